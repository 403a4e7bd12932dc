"""PII classification with Presidio and spaCy.

Importing this package is cheap: Presidio and spaCy are imported by
:meth:`PresidioPiiClassifier.load`, not here.
"""

from classifiers.pii.presidio_classifier import PresidioPiiClassifier

__all__ = ["PresidioPiiClassifier"]
