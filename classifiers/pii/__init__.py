"""Column PII classification: validated patterns, column names, value shapes, spaCy NER.

Every entity is declared once, as a spec in :mod:`classifiers.pii.entities` (built-ins,
custom entities and Presidio recognizers alike). Importing this package is cheap: the
classifier (pyarrow) is imported on first access to :class:`PiiClassifier`, spaCy by
:meth:`PiiClassifier.load`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifiers.pii.classifier import PiiClassifier

__all__ = ["PiiClassifier"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the settings layer can read the entity registry without pyarrow.
    if name == "PiiClassifier":
        from classifiers.pii.classifier import PiiClassifier

        return PiiClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
