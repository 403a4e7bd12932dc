"""Fixtures shared by the unit tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from classifiers.pii import PiiClassifier


@pytest.fixture(scope="module")
def classifier() -> PiiClassifier:
    """A loaded PII classifier with its defaults, one per test module.

    A module that needs other settings (custom entities, a fixed day) defines its own
    ``classifier``, which takes precedence.
    """
    from classifiers.pii import PiiClassifier

    clf = PiiClassifier()
    clf.load()
    return clf
