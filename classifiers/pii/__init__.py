"""Column PII classification: validated patterns, column names, value shapes, spaCy NER.

Importing this package is cheap: spaCy is imported by :meth:`PiiClassifier.load`, not here.
:class:`PresidioPiiClassifier` is the first version (Presidio cell by cell), kept as the
do-it-yourself baseline the benchmark compares against.
"""

from classifiers.pii.classifier import PiiClassifier
from classifiers.pii.presidio_classifier import PresidioPiiClassifier

__all__ = ["PiiClassifier", "PresidioPiiClassifier"]
