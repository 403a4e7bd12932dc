"""The pinned numeric environment shared by ``make train`` and ``bench/category.py``."""

from __future__ import annotations

import pytest

from training.numeric_env import PINNED_ENV, pinned, run_pinned


def test_pinned_needs_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PINNED_ENV.items():
        monkeypatch.setenv(key, value)
    assert pinned()
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert not pinned()
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert not pinned()


def test_the_child_runs_pinned_and_its_exit_code_is_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    # The child imports training through the PYTHONPATH run_pinned gives it.
    check = "import sys; from training.numeric_env import pinned; sys.exit(7 if pinned() else 3)"
    assert run_pinned(["-c", check]) == 7
    assert not pinned()  # the parent's environment is left alone
