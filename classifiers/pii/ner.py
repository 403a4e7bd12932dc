"""spaCy named-entity recognition for the two entities patterns cannot find: names and places.

Loaded once per process from an installed package (never downloaded), with every component
but ``ner`` disabled. Values are de-duplicated by the caller and streamed through
``nlp.pipe`` in batches; texts are cut to :data:`MAX_TEXT` characters first, because spaCy's
cost grows with length and a 4 KiB cell says all it will say in its first 1,000 characters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.base import ClassifierLoadError
from classifiers.pii.spacy_model import (
    LOWER_LEMMA_PIPE,
    downloads_refused,
    install_hint,
    missing_model_message,
    model_is_installed,
    slim_pipeline,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 1000

#: spaCy labels that mean "a place or an organisation, not a person".
OTHER_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "PRODUCT", "NORP", "EVENT", "WORK_OF_ART"})


@dataclass(frozen=True, slots=True)
class ValueEntities:
    """What NER saw in one value.

    :param whole_person: a PERSON span covers at least half of the value.
    :param whole_other: an organisation/place span covers at least half of the value.
    :param persons: full-name PERSON spans in the value (their text stays in the worker).
    """

    whole_person: bool
    whole_other: bool
    persons: tuple[str, ...]


def _full_name(span: str) -> bool:
    """A PERSON span that names someone: two to four capitalised words (``Jane Smith``).

    In prose the small model labels many lone capitalised words PERSON (a sentence's first
    word, a German noun); a full name is what makes a text personal data.
    """
    words = [w for w in span.split() if w not in _PARTICLES]
    return 2 <= len(words) <= 4 and all(w[:1].isupper() and w[:1].isalpha() for w in words)


_PARTICLES = frozenset("de la le du des van von der den del della di da dos das y".split())


def may_hold_full_name(text: str) -> bool:
    """Whether NER could find a full name in ``text`` (as :meth:`SpacyNer.analyse` reads it).

    A full name (:func:`_full_name`) has at least two words starting with a capital letter,
    so a text whose first :data:`MAX_TEXT` characters hold fewer than two cannot have one.
    A necessary condition, not a guess: ``False`` means no full name whatever the model says.
    """
    return sum(map(str.isupper, text[:MAX_TEXT])) >= 2


class SpacyNer:
    """A lazily loaded spaCy NER pipeline, shared by every column of every table.

    :param spacy_model: an installed spaCy package name or a model directory.
    :param batch_size: texts per ``nlp.pipe`` batch.
    """

    def __init__(self, spacy_model: str, batch_size: int = 256) -> None:
        self.spacy_model = spacy_model
        self.batch_size = batch_size
        self._nlp: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """``True`` once :meth:`load` has succeeded."""
        return self._nlp is not None

    def load(self) -> None:
        """Load the model once (about 1 s); later calls return at once.

        Side effects: imports spaCy; replaces ``spacy.cli.download`` while loading.

        :raises ClassifierLoadError: the model is not installed, not loadable, or has no NER.
        """
        if self._nlp is not None:
            return
        with self._lock:
            if self._nlp is not None:
                return
            try:
                import spacy
            except ImportError as exc:
                raise ClassifierLoadError(f"the PII classifier needs spaCy: {exc}") from exc
            if not model_is_installed(self.spacy_model):
                raise ClassifierLoadError(missing_model_message(self.spacy_model))
            with downloads_refused():
                try:
                    nlp = spacy.load(self.spacy_model)
                except ClassifierLoadError:
                    raise
                except Exception as exc:  # spaCy raises OSError/ValueError for bad models
                    raise ClassifierLoadError(
                        f"cannot load spaCy model {self.spacy_model!r}: {exc}. {install_hint()}"
                    ) from exc
            slim_pipeline(nlp, self.spacy_model)
            self._nlp = nlp
            logger.info("spaCy NER loaded: %s", self.spacy_model)

    def analyse(self, texts: Sequence[str]) -> list[ValueEntities]:
        """Run NER over ``texts`` (distinct values), one result per text, in order.

        A text that repeats (after the cut to :data:`MAX_TEXT`) is read once: spaCy's entities
        for a text do not depend on the other texts of its batch, so its result is the same.
        Only the components entities come from run (not the lemma copy kept for Presidio).

        :raises ClassifierLoadError: the model could not be loaded.
        """
        self.load()
        cut = [t[:MAX_TEXT] for t in texts]
        unique = list(dict.fromkeys(cut))
        read: dict[str, ValueEntities] = {}
        with self._lock:  # spaCy makes no promise about concurrent use of one pipeline
            docs = self._nlp.pipe(unique, batch_size=self.batch_size, disable=_NOT_FOR_ENTITIES)
            for text, doc in zip(unique, docs, strict=True):
                read[text] = _entities(text, doc)
        return [read[t] for t in cut]


#: Pipeline components whose output :meth:`SpacyNer.analyse` does not read (they run after
#: ``ner`` and leave entities alone).
_NOT_FOR_ENTITIES = (LOWER_LEMMA_PIPE,)


def _entities(text: str, doc: Any) -> ValueEntities:
    """What ``doc`` (spaCy's reading of ``text``) says of persons and other entities."""
    half = max(1, len(text.strip())) / 2
    # ``doc.ents`` builds its spans on every access: read them once.
    ents = [(e.label_, e.text) for e in doc.ents]
    persons = tuple(t for label, t in ents if label == "PERSON" and _full_name(t))
    whole_person = any(label == "PERSON" and len(t) >= half for label, t in ents)
    whole_other = any(label in OTHER_LABELS and len(t) >= half for label, t in ents)
    return ValueEntities(whole_person, whole_other, persons)
