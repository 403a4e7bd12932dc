"""PII entities declared once: specs, the built-in registry, and Presidio recognizers as specs.

* :class:`EntitySpec` - one entity: patterns, validator, keywords per language,
  confidences, mask, tag (:mod:`~classifiers.pii.entities.spec`);
* :data:`BUILTIN_ENTITIES` - the built-ins (:mod:`~classifiers.pii.entities.builtin`);
* :func:`parse_presidio_recognizers` - Presidio recognizer-registry YAML as specs
  (:mod:`~classifiers.pii.entities.presidio`, imports presidio-analyzer when called).

Custom entities (:mod:`classifiers.pii.custom`) become specs too, and the classifier reads one
:class:`EntityRegistry` whatever the source. Cheap to import: no pyarrow, no spaCy.
"""

from classifiers.pii.entities.builtin import BUILTIN_ENTITIES
from classifiers.pii.entities.presidio import PresidioRecognizerError, parse_presidio_recognizers
from classifiers.pii.entities.spec import (
    EntityRegistry,
    EntitySpec,
    Keywords,
    MaskKind,
    PatternSpec,
)

__all__ = [
    "BUILTIN_ENTITIES",
    "EntityRegistry",
    "EntitySpec",
    "Keywords",
    "MaskKind",
    "PatternSpec",
    "PresidioRecognizerError",
    "parse_presidio_recognizers",
]
