"""Bounded polling: wait for something observable instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    message: str | Callable[[], str],
    interval: float = 0.1,
) -> T:
    """Call ``condition`` until it returns something truthy; return that value.

    ``message`` (or its result, computed only on failure) explains what never happened.

    Raises:
        AssertionError: ``condition`` was still falsy after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"not within {timeout:g} s: {text}")
        time.sleep(interval)
