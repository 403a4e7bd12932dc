"""Build the Presidio analyzer from an explicitly named, installed spaCy model, never downloading.

Only the do-it-yourself Presidio baseline of the benchmark uses this; the production classifier
loads spaCy through :mod:`classifiers.pii.spacy_model` and never builds an analyzer.

Presidio's defaults reach for the network twice: ``AnalyzerEngine()`` without an NLP engine asks
for ``en_core_web_lg`` and calls ``spacy.cli.download`` when it is missing, and the email
recogniser's ``tldextract`` fetches the Public Suffix List on first use. :func:`build_analyzer`
closes both: it names the model itself, refuses downloads while loading, and points tldextract
at its bundled snapshot.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from bench.baselines.street_address import street_address_recognizer
from classifiers.base import ClassifierLoadError
from classifiers.pii.spacy_model import (
    DEFAULT_MODEL_PACKAGE,
    LOWER_LEMMA_PIPE,
    downloads_refused,
    install_hint,
    missing_model_message,
    model_is_installed,
    slim_pipeline,
)

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer

__all__ = [
    "CONTEXT_FACTOR",
    "CONTEXT_MIN_SCORE",
    "DEFAULT_MODEL_PACKAGE",
    "LOWER_LEMMA_PIPE",
    "build_analyzer",
    "downloads_refused",
    "install_hint",
    "missing_model_message",
    "model_is_installed",
]

logger = logging.getLogger(__name__)

_TLDEXTRACT_ENV = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"

#: spaCy labels Presidio turns into its entities (Presidio's own default for spaCy models).
_NER_MAPPING = {
    "PER": "PERSON",
    "PERSON": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "ORG": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
_NER_IGNORED = [
    "ORGANIZATION", "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT",
    "PRODUCT", "QUANTITY", "WORK_OF_ART",
]  # fmt: skip

#: Context enhancement: a context word (in the value, or a word of the column name) adds 0.35
#: and lifts the hit to at least 0.6, so that a weak pattern the column name supports (a bare
#: 9-digit number in column ``ssn``) outranks an unsupported generic match of the same digits
#: (the phone recogniser's 0.4). Whole-word matching, because Presidio's default substring
#: matching would let the passport context word "us" match inside "customer" or "status".
CONTEXT_FACTOR = 0.35
CONTEXT_MIN_SCORE = 0.6

_load_lock = threading.Lock()


def _keep_tldextract_offline() -> None:
    # tldextract reads the variable when its module-level extractor is built, i.e. on import;
    # an explicit setting (a local PSL file, say) is respected.
    os.environ.setdefault(_TLDEXTRACT_ENV, "")
    import tldextract.tldextract as tld

    # If something imported tldextract before us, its extractor kept the network URLs: allow
    # only local files, falling back to the bundled snapshot.
    extractor = tld.TLD_EXTRACTOR
    extractor.suffix_list_urls = tuple(
        url for url in extractor.suffix_list_urls if url.startswith("file:")
    )


def _recognizers(language: str, nlp_engine: Any) -> list[EntityRecognizer]:
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        SgFinRecognizer,
        SpacyRecognizer,
        UrlRecognizer,
        UsLicenseRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )

    # An explicit list instead of Presidio's YAML defaults: the recognisers, and so the
    # results, change only when this list or the Presidio version (part of our version) does.
    recognizers: list[EntityRecognizer] = [
        cls(supported_language=language)
        for cls in (
            CreditCardRecognizer,
            DateRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            SgFinRecognizer,
            UrlRecognizer,
            UsLicenseRecognizer,
            UsPassportRecognizer,
            UsSsnRecognizer,
        )
    ]
    recognizers.append(
        SpacyRecognizer(
            supported_language=language,
            supported_entities=nlp_engine.get_supported_entities(),
        )
    )
    recognizers.append(street_address_recognizer(language))
    return recognizers


def build_analyzer(spacy_model: str, language: str) -> AnalyzerEngine:
    """Load ``spacy_model`` and build a Presidio analyzer around it, offline.

    Side effects: imports spaCy and Presidio, sets ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` to
    empty unless already set, registers the spaCy component :data:`LOWER_LEMMA_PIPE`, and
    replaces ``spacy.cli.download`` for the duration of the load. Takes 1-3 s.

    :raises ClassifierLoadError: the model is not installed, cannot be loaded, has no NER, or
        Presidio cannot be set up with it. The message names the model and how to install it.
    """
    with _load_lock:
        try:
            _keep_tldextract_offline()
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
            from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        except ImportError as exc:
            raise ClassifierLoadError(
                f"the PII classifier needs presidio-analyzer and spaCy: {exc}"
            ) from exc

        if not model_is_installed(spacy_model):
            raise ClassifierLoadError(missing_model_message(spacy_model))

        with downloads_refused():
            nlp_engine = SpacyNlpEngine(
                models=[{"lang_code": language, "model_name": spacy_model}],
                ner_model_configuration=NerModelConfiguration(
                    model_to_presidio_entity_mapping=dict(_NER_MAPPING),
                    labels_to_ignore=list(_NER_IGNORED),
                ),
            )
            try:
                nlp_engine.load()
            except ClassifierLoadError:
                raise
            except Exception as exc:  # spaCy raises OSError/ValueError/IOError for bad models
                raise ClassifierLoadError(
                    f"cannot load spaCy model {spacy_model!r}: {exc}. {install_hint()}"
                ) from exc

        disabled = slim_pipeline(nlp_engine.nlp[language], spacy_model)
        try:
            registry = RecognizerRegistry(supported_languages=[language])
            for recognizer in _recognizers(language, nlp_engine):
                registry.add_recognizer(recognizer)
            analyzer = AnalyzerEngine(
                registry=registry,
                nlp_engine=nlp_engine,
                supported_languages=[language],
                context_aware_enhancer=LemmaContextAwareEnhancer(
                    context_similarity_factor=CONTEXT_FACTOR,
                    min_score_with_context_similarity=CONTEXT_MIN_SCORE,
                    context_matching_mode="whole_word",
                ),
            )
        except Exception as exc:
            raise ClassifierLoadError(
                f"cannot set up Presidio with spaCy model {spacy_model!r} for language "
                f"{language!r}: {exc}"
            ) from exc
        logger.info(
            "PII analyzer ready: model %s, language %s, spaCy components disabled: %s",
            spacy_model,
            language,
            ", ".join(disabled) or "none",
        )
        return analyzer
