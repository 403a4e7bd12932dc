"""Business categories and column business types: the model against two baselines.

Usage: ``python bench/category.py [--artifacts models/artifacts] [--json out.json]``.

Runs on the ``test`` split of :mod:`training.corpus` (other seed, held-out name
variants for half its columns, plotly rows never used in training). Reports, in one run:

- category accuracy and macro F1, column-type macro (and weighted) F1 for the model, the
  majority class of the training split, and keyword rules (taxonomy keywords against path and
  column-name tokens for categories; column-name rules for types);
- calibration of the top category (expected calibration error over 10 bins, Brier score);
- breakdowns: plotly tables only, columns with opaque names, and the synthetic tables again
  with every name hidden (positional column names, a neutral bucket and folder), with
  their column names shuffled (misleading) and with names in CJK or Cyrillic letters;
- inference cost per object in ms (features + both models; loading excluded).

Targets: category accuracy >= 0.85, column-type macro F1 >= 0.85; prints PASS/FAIL and exits
1 on FAIL.

Every mode runs in the numeric environment ``make train`` trains in
(:mod:`training.numeric_env`; started outside it, the script re-runs itself in a child
process), so the figures, and the threshold and blend they choose for ``make train``, do not
take a box's AVX-512 paths.

``python bench/category.py --loso [--json out.json]``: leave-one-source-out instead. The
sources are each package of real tables (:mod:`training.real_tables`), plotly's tables and
the synthetic generator; each fold trains on every other source and tests on the held-out
one, so a package (or the generator) is wholly in train or wholly in test. Several models in one
run: *today's* recipe (synthetic + plotly tables only, as committed before the real tables),
the *retrained* recipe (:func:`training.train.fit_models` on every source), and, with the
distilled word vectors (``training/data/semantic_vectors.npz``), *semantic* (retrained with the
semantic prior's features), *semantic, calibrated* (its probabilities raised to the power
chosen on the other real packages) and *prior alone*; with the quantised sentence encoder
(``training/data/sentence_encoder.npz``), *sentence prior*: the calibrated probabilities
blended with the encoder's zero-shot prior (:func:`classifiers.business.encoder.blend`), power,
weight and temperature chosen on the other real packages (what ``make train`` builds). Reports
top-1, top-3, ECE, log loss, Brier score and column-type macro F1 (also over the types of
>= 10 true columns, and F1 per type in ``--json``, which also holds each real table's
prediction under the adopted recipe, ``real_predictions``) for real tables apart from
synthetic ones, and the abstention threshold: the lowest top-1 probability above which the
adopted recipe's (:data:`ADOPTED_RECIPE`) pooled real-table LOSO predictions are right >= 95%
of the time, with the share it covers, and the calibration power chosen on all real packages.
``--train-seed N`` draws the generator's training tables from another seed (the figures'
spread between generator draws; such a run cannot ``--write-threshold``).
``--write-threshold`` writes it to ``training/data/category_threshold.json``, which
``make train`` copies into the manifest's ``category_apply_threshold`` (``null``: none
reaches 95%, so the review policy applies no category without a steward).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from classifiers.business.encoder import (  # noqa: E402
    SentenceEncoder,
    blend,
    sentence_log_prior,
    values_cosines,
    with_values_prior,
)
from classifiers.business.features import (  # noqa: E402
    hidden_share,
    name_tokens,
    opaque_names,
    path_tokens,
    table_features,
)
from classifiers.business.model import (  # noqa: E402
    SUGGESTION_THRESHOLD,
    BusinessModel,
    category_prior,
    hidden_prior,
)
from classifiers.business.semantic import (  # noqa: E402
    SemanticVectors,
    column_words,
    path_words,
    semantic_features,
    softmax,
    words_category,
)
from classifiers.business.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from training.corpus import (  # noqa: E402
    DEFAULT_SEEDS,
    LabelledTable,
    build_corpus,
    business_table,
    hide_names,
    other_locale_tables,
    script_names,
    shuffle_names,
)
from training.numeric_env import pinned, run_pinned  # noqa: E402
from training.semantic_vectors import DEFAULT_OUT as DEFAULT_VECTORS  # noqa: E402
from training.semantic_vectors import artifact_bytes  # noqa: E402
from training.sentence_encoder import DEFAULT_OUT as DEFAULT_ENCODER  # noqa: E402
from training.train import CATEGORY_THRESHOLD_FILE, VALUES_PRIOR_TEMPERATURE  # noqa: E402

TARGET_CATEGORY_ACCURACY = 0.85
TARGET_COLUMN_MACRO_F1 = 0.85
_OPAQUE = re.compile(r"^(col_|field|c|attr_|column)\d+$")

#: Column-name rules for the keyword baseline of column types (first match wins).
NAME_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("url", frozenset({"url", "link", "website", "page", "referrer"})),
    ("version_string", frozenset({"version", "firmware", "fw"})),
    ("product_code_sku", frozenset({"sku", "code", "article", "part"})),
    ("currency_code", frozenset({"currency", "ccy", "curr"})),
    ("postal_code", frozenset({"zip", "zipcode", "postcode", "postal"})),
    ("country", frozenset({"country", "nation", "iso"})),
    ("city", frozenset({"city", "town", "municipality", "locality"})),
    ("percentage", frozenset({"pct", "percent", "rate", "ctr", "ratio", "probability"})),
    ("timestamp", frozenset({"ts", "timestamp", "time", "at"})),
    ("date", frozenset({"date", "day", "on", "dob", "year"})),
    ("boolean_flag", frozenset({"is", "has", "flag", "active", "opted"})),
    ("amount", frozenset({"amount", "price", "total", "salary", "cost", "budget", "pay"})),
    ("quantity", frozenset({"qty", "quantity", "count", "units", "num", "clicks", "points"})),
    ("person_data", frozenset({"name", "email", "phone", "address", "ip", "street"})),
    ("free_text", frozenset({"description", "notes", "comment", "summary", "message"})),
    ("measurement", frozenset({"kg", "cm", "temperature", "weight", "lat", "lon", "length"})),
    ("identifier", frozenset({"id", "uuid", "key"})),
)


def keyword_category(table: LabelledTable, taxonomy: Taxonomy, fallback: str) -> str:
    """The category whose keywords match most path and column-name tokens."""
    tokens = path_tokens(table.sample)
    for col in table.sample.columns:
        tokens.extend(name_tokens(col.name))
        tokens.append("_".join(name_tokens(col.name)))
    counts = Counter(tokens)
    best, best_score = fallback, 0
    for cat in taxonomy.categories:
        score = sum(counts[k] for k in cat.keywords)
        if score > best_score:
            best, best_score = cat.name, score
    return best


def keyword_column_type(name: str, fallback: str) -> str:
    """The first :data:`NAME_RULES` type whose keywords meet the name's tokens."""
    toks = set(name_tokens(name))
    for ctype, words in NAME_RULES:
        if toks & words:
            if ctype == "identifier" and len(toks) > 1:
                return "foreign_key_id"
            return ctype
    return fallback


def calibration(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    """Expected calibration error of top-1 confidences."""
    total = len(confidences)
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo < c <= hi or (b == 0 and c == 0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            ece += len(idx) / total * abs(acc - conf)
    return ece


def run(artifacts: Path | None) -> dict[str, Any]:
    model = BusinessModel.load(artifacts)
    taxonomy = load_taxonomy()
    train = build_corpus("train")
    test = build_corpus("test")
    major_cat = Counter(t.category for t in train).most_common(1)[0][0]
    major_col = Counter(c for t in train for c in t.column_types).most_common(1)[0][0]

    y_cat: list[str] = []
    y_col: list[str] = []
    pred_cat: dict[str, list[str]] = {"model": [], "majority": [], "keywords": []}
    pred_col: dict[str, list[str]] = {"model": [], "majority": [], "keywords": []}
    conf: list[float] = []
    brier = 0.0
    plotly_idx: list[int] = []
    opaque_idx: list[int] = []
    elapsed = 0.0
    for i, table in enumerate(test):
        started = time.perf_counter()
        types = model.column_types(table.sample)
        top = model.categories(table.sample, types, table.pii, top=len(model.category_labels))
        elapsed += time.perf_counter() - started
        y_cat.append(table.category)
        pred_cat["model"].append(top[0][0])
        pred_cat["majority"].append(major_cat)
        pred_cat["keywords"].append(keyword_category(table, taxonomy, major_cat))
        conf.append(top[0][1])
        brier += sum((p - (1.0 if label == table.category else 0.0)) ** 2 for label, p in top)
        if table.source.startswith("plotly:"):
            plotly_idx.append(i)
        for col, truth, (ptype, _) in zip(
            table.sample.columns, table.column_types, types, strict=True
        ):
            if _OPAQUE.match(col.name):
                opaque_idx.append(len(y_col))
            y_col.append(truth)
            pred_col["model"].append(ptype)
            pred_col["majority"].append(major_col)
            pred_col["keywords"].append(keyword_column_type(col.name, major_col))

    def cat_scores(pred: list[str], idx: list[int] | None = None) -> dict[str, float]:
        ys = y_cat if idx is None else [y_cat[i] for i in idx]
        ps = pred if idx is None else [pred[i] for i in idx]
        return {
            "accuracy": round(float(accuracy_score(ys, ps)), 4),
            "macro_f1": round(float(f1_score(ys, ps, average="macro", zero_division=0)), 4),
        }

    def col_scores(pred: list[str], idx: list[int] | None = None) -> dict[str, float]:
        ys = y_col if idx is None else [y_col[i] for i in idx]
        ps = pred if idx is None else [pred[i] for i in idx]
        return {
            "macro_f1": round(float(f1_score(ys, ps, average="macro", zero_division=0)), 4),
            "weighted_f1": round(float(f1_score(ys, ps, average="weighted", zero_division=0)), 4),
        }

    correct = [p == y for p, y in zip(pred_cat["model"], y_cat, strict=True)]
    low = [i for i, c in enumerate(conf) if c < SUGGESTION_THRESHOLD]
    per_type = f1_score(y_col, pred_col["model"], average=None, labels=sorted(set(y_col)))
    return {
        "model_version": model.version,
        "test_tables": len(test),
        "test_columns": len(y_col),
        "categories": {name: cat_scores(p) for name, p in pred_cat.items()},
        "column_types": {name: col_scores(p) for name, p in pred_col.items()},
        "per_type_f1": {
            t: round(float(f), 3) for t, f in zip(sorted(set(y_col)), per_type, strict=True)
        },
        "plotly_only": {
            "tables": len(plotly_idx),
            "category": cat_scores(pred_cat["model"], plotly_idx),
        },
        "opaque_names": {
            "columns": len(opaque_idx),
            "column_types": col_scores(pred_col["model"], opaque_idx),
        },
        "calibration": {
            "top1_ece": round(calibration(conf, correct), 4),
            "brier": round(brier / len(test), 4),
            "mean_top1_confidence": round(sum(conf) / len(conf), 4),
            "below_threshold_share": round(len(low) / len(test), 4),
            "accuracy_below_threshold": round(sum(correct[i] for i in low) / len(low), 4)
            if low
            else None,
        },
        "ms_per_object": round(1000 * elapsed / len(test), 2),
        "semantic_ms_per_object": _semantic_cost(model.semantic, test) if model.semantic else None,
        "names_hidden": renamed_scores(model, test, hide_names),
        "names_shuffled": renamed_scores(model, test, shuffle_names),
        "names_unreadable": renamed_scores(model, test, script_names),
        "names_hidden_other_locales": renamed_scores(
            model, other_locale_tables("test"), hide_names
        ),
    }


def renamed_scores(
    model: BusinessModel,
    tables: list[LabelledTable],
    rename: Callable[[LabelledTable, random.Random], LabelledTable],
) -> dict[str, float | int | None]:
    """Category top-1 / top-3 (top-1 also apart for the business and the research
    templates, :data:`training.corpus.RESEARCH_TEMPLATES`) and column-type macro F1 on the
    synthetic tables of ``tables`` renamed by ``rename`` (:func:`training.corpus.hide_names`:
    positional names, neutral path; :func:`training.corpus.shuffle_names`: misleading names),
    each table with its own seeded draw. Pure apart from running the models.
    """
    top3 = 0
    # Top-1 apart for the business and the research templates (RESEARCH_TEMPLATES: the
    # pair for names that say nothing does not learn the latter); pooled for the whole.
    right: dict[str, list[bool]] = {"business": [], "research": []}
    y_col: list[str] = []
    p_col: list[str] = []
    synthetic = [t for t in tables if t.source.startswith("synthetic:")]
    for t in synthetic:
        renamed = rename(t, random.Random(f"{rename.__name__}|{t.sample.info.etag}"))
        types = model.column_types(renamed.sample)
        top = [label for label, _ in model.categories(renamed.sample, types, renamed.pii)]
        top3 += t.category in top[:3]
        kind = "business" if business_table(t) else "research"
        right[kind].append(top[0] == t.category)
        y_col += t.column_types
        p_col += [ptype for ptype, _ in types]
    n = max(1, len(synthetic))
    return {
        "tables": len(synthetic),
        "category_top1": round(sum(map(sum, right.values())) / n, 4),
        "category_top3": round(top3 / n, 4),
        **{
            f"category_top1_{kind}": round(sum(r) / len(r), 4) if r else None
            for kind, r in right.items()
        },
        "column_macro_f1": round(
            float(f1_score(y_col, p_col, average="macro", zero_division=0)), 4
        ),
    }


#: Precision the applied (not abstained) categories must reach on real tables.
TARGET_APPLIED_PRECISION = 0.95


def _proba_rows(
    columns_model: Any,
    categories_model: Any,
    tables: list[LabelledTable],
    semantic: SemanticVectors | None = None,
    encoder: SentenceEncoder | None = None,
) -> Any:
    from training.train import category_rows

    tx, _ = category_rows(tables, columns_model, semantic, encoder)
    return categories_model.predict_proba(tx)


def score_group(
    columns_model: Any,
    categories_model: Any,
    tables: list[LabelledTable],
    semantic: SemanticVectors | None = None,
    hidden_pair: tuple[Any, Any] | None = None,
    encoder: SentenceEncoder | None = None,
) -> dict[str, Any]:
    """Top-1, top-3, ECE and column-type macro F1 of a fitted model pair on ``tables``.

    :param encoder: the sentence encoder when the category model reads its embedding.

    :param hidden_pair: the pair for names that say nothing
        (:func:`training.train.fit_hidden_models`), used as the run time does
        (:class:`~classifiers.business.model.BusinessModel`): it types the columns
        :func:`~classifiers.business.features.opaque_names` picks, and its category
        probabilities (with the values text's prior when ``encoder`` is given, at
        ``training.train.VALUES_PRIOR_TEMPERATURE``) are mixed in by their share
        (:func:`mixed`); ``None``: the first pair alone.
    Also returns the raw per-table (truth, top-1 label, top-1 probability, top-3) rows, so
    groups can be pooled. Pure apart from running the models.
    """
    from training.train import column_rows

    cx, cy = column_rows(tables, semantic)
    col_pred = [str(x) for x in columns_model.predict(cx)]
    opaque = [opaque_names(t.sample) if hidden_pair else [] for t in tables]
    hidden_proba: list[list[float] | None] = [None] * len(tables)
    if hidden_pair is None or not any(any(o) for o in opaque):
        proba = [
            list(p) for p in _proba_rows(columns_model, categories_model, tables, semantic, encoder)
        ]
    else:
        hidden_columns, hidden_categories = hidden_pair
        proba = []
        start = 0
        for i, t in enumerate(tables):
            end = start + len(t.sample.columns)
            types = col_pred[start:end]
            if any(opaque[i]):
                hx, _ = column_rows([t])
                typed = [str(x) for x in hidden_columns.predict(hx)]
                types = [h if o else n for n, h, o in zip(types, typed, opaque[i], strict=True)]
                col_pred[start:end] = types
                row = table_features(
                    t.sample, types, t.pii, hidden_prior(semantic, t.sample, t.pii)
                )
                pair = hidden_categories.predict_proba([row])[0]
                if encoder is not None and VALUES_PRIOR_TEMPERATURE is not None:
                    # As the run time does: the values text's prior multiplied into the pair's.
                    order = encoder.order([str(c) for c in hidden_categories.classes_])
                    cosines = values_cosines(encoder, t.sample, types, t.pii, order)
                    pair = with_values_prior(pair, cosines, VALUES_PRIOR_TEMPERATURE)
                hidden_proba[i] = [float(x) for x in pair]
            vector = encoder.table_vector(t.sample) if encoder is not None else None
            row = table_features(t.sample, types, t.pii, category_prior(semantic, t.sample, vector))
            proba.append([float(x) for x in categories_model.predict_proba([row])[0]])
            start = end
    labels = [str(c) for c in categories_model.classes_]
    share = [
        hidden_share(t.sample, o) if any(o) else 0.0 for t, o in zip(tables, opaque, strict=True)
    ]
    mixed_proba = [mixed(p, h, w, 1.0) for p, h, w in zip(proba, hidden_proba, share, strict=True)]
    return {
        "hidden_proba": hidden_proba,
        "opaque_share": share,
        "named_proba": [[float(x) for x in p] for p in proba],
        "rows": _rows([t.category for t in tables], labels, mixed_proba),
        "col_true": cy,
        "col_pred": col_pred,
        "labels": labels,
        "proba": mixed_proba,
        "truth": [t.category for t in tables],
        "sources": [t.source for t in tables],
    }


def _rows(
    truths: list[str], labels: list[str], proba: list[list[float]]
) -> list[tuple[str, str, float, list[str]]]:
    """(truth, top-1 label, top-1 probability, top-3) per table. Pure."""
    rows = []
    for truth, p in zip(truths, proba, strict=True):
        order = sorted(range(len(labels)), key=lambda i: (-p[i], labels[i]))
        rows.append((truth, labels[order[0]], p[order[0]], [labels[i] for i in order[:3]]))
    return rows


#: Powers tried for the category probabilities (``p ** a``, renormalised): a < 1 softens an
#: over-confident model without changing its ranking of categories.
POWER_GRID = (0.25, 0.33, 0.5, 0.67, 0.75, 1.0)


def powered(proba: list[float], power: float) -> list[float]:
    """``proba ** power``, renormalised to sum to 1. Pure."""
    raised = [max(p, 1e-12) ** power for p in proba]
    total = sum(raised)
    return [r / total for r in raised]


def pick_power(groups: list[dict[str, Any]]) -> float:
    """The power of :data:`POWER_GRID` with the smallest pooled log loss on ``groups``
    (:func:`score_group` results); ties keep the larger power. Pure."""
    best, best_loss = 1.0, float("inf")
    for power in sorted(POWER_GRID, reverse=True):
        losses = [
            -math.log(max(mixed(p, h, w, power)[g["labels"].index(truth)], 1e-12))
            for g in groups
            for p, h, w, truth in zip(
                g["named_proba"], g["hidden_proba"], g["opaque_share"], g["truth"], strict=True
            )
        ]
        loss = sum(losses) / max(1, len(losses))
        if loss < best_loss - 1e-9:
            best, best_loss = power, loss
    return best


def mixed(
    named: list[float], hidden: list[float] | None, share: float, power: float
) -> list[float]:
    """The first pair's probabilities raised to ``power``, then ``hidden`` (the hidden-names
    pair's) mixed in by ``share``, the share of names that say nothing. Pure."""
    out = powered(named, power) if power != 1.0 else list(named)
    if hidden is None or share <= 0.0:
        return out
    return [(1.0 - share) * p + share * h for p, h in zip(out, hidden, strict=True)]


def with_power(group: dict[str, Any], power: float) -> dict[str, Any]:
    """``group`` with the first pair's probabilities raised to ``power`` before the
    hidden-names pair's are mixed in (:func:`mixed`, as at run time); rows recomputed. Pure."""
    proba = [
        mixed(p, h, w, power)
        for p, h, w in zip(
            group["named_proba"], group["hidden_proba"], group["opaque_share"], strict=True
        )
    ]
    return {
        **group,
        "proba": proba,
        "rows": _rows(group["truth"], group["labels"], proba),
        "power": power,
    }


#: (power, weight, temperature) tried for the sentence prior's blend: the model's
#: probabilities to the power, times the prior (softmax of temperature x cosines) to the weight.
SENTENCE_GRID = tuple(
    (p, w, t)
    for p in (0.33, 0.5, 0.67, 1.0)
    for w in (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0)
    for t in (10.0, 20.0, 40.0, 80.0, 160.0)
)


def sentence_cosines(
    encoder: SentenceEncoder, tables: list[LabelledTable], labels: list[str]
) -> list[list[float]]:
    """Each table's cosines with the categories (prototypes and facets pooled,
    :meth:`~classifiers.business.encoder.SentenceEncoder.category_cosines`), in ``labels``
    order. Pure apart from running the encoder."""
    order = encoder.order(labels)
    return [[float(x) for x in encoder.similarities(t.sample)[order]] for t in tables]


def sentence_mixed(
    named: list[float],
    hidden: list[float] | None,
    share: float,
    cosines: list[float],
    params: tuple[float, float, float],
) -> list[float]:
    """As the run time does (:meth:`~classifiers.business.model.BusinessModel.categories`):
    the first pair's probabilities blended with the sentence prior, then the hidden-names
    pair's mixed in by ``share``. Pure."""
    power, weight, temperature = params
    q = blend(np.array(named), sentence_log_prior(np.array(cosines), temperature), power, weight)
    return mixed([float(x) for x in q], hidden, share, 1.0)


def pick_sentence(groups: list[dict[str, Any]]) -> tuple[float, float, float]:
    """The :data:`SENTENCE_GRID` entry with the smallest pooled log loss on ``groups``
    (:func:`score_group` results with ``cosines``); ties keep the earlier entry. Pure."""
    best, best_loss = SENTENCE_GRID[0], float("inf")
    for params in SENTENCE_GRID:
        losses = [
            -math.log(max(sentence_mixed(p, h, w, c, params)[g["labels"].index(truth)], 1e-12))
            for g in groups
            for p, h, w, c, truth in zip(
                g["named_proba"],
                g["hidden_proba"],
                g["opaque_share"],
                g["cosines"],
                g["truth"],
                strict=True,
            )
        ]
        loss = sum(losses) / max(1, len(losses))
        if loss < best_loss - 1e-9:
            best, best_loss = params, loss
    return best


def with_sentence(group: dict[str, Any], params: tuple[float, float, float]) -> dict[str, Any]:
    """``group`` (with ``cosines``) blended with the sentence prior by ``params``; rows
    recomputed. Pure."""
    proba = [
        sentence_mixed(p, h, w, c, params)
        for p, h, w, c in zip(
            group["named_proba"],
            group["hidden_proba"],
            group["opaque_share"],
            group["cosines"],
            strict=True,
        )
    ]
    return {
        **group,
        "proba": proba,
        "rows": _rows(group["truth"], group["labels"], proba),
        "sentence": list(params),
    }


def summarise(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool :func:`score_group` results: tables, top-1, top-3, ECE, log loss and Brier score
    (:func:`proper_scores`), column-type macro F1."""
    rows = [r for g in groups for r in g["rows"]]
    col_true = [c for g in groups for c in g["col_true"]]
    col_pred = [c for g in groups for c in g["col_pred"]]
    if not rows:
        return {"tables": 0}
    correct = [truth == top1 for truth, top1, _, _ in rows]
    labels = sorted(set(col_true))
    return {
        "tables": len(rows),
        "top1": round(sum(correct) / len(rows), 3),
        "top3": round(sum(truth in top3 for truth, _, _, top3 in rows) / len(rows), 3),
        "ece": round(calibration([conf for _, _, conf, _ in rows], correct), 3),
        **proper_scores(groups),
        "columns": len(col_true),
        "column_macro_f1": round(
            float(f1_score(col_true, col_pred, labels=labels, average="macro", zero_division=0)),
            3,
        )
        if col_true
        else None,
        **column_class_scores(col_true, col_pred),
    }


#: Column types with fewer true columns than this are left out of ``column_macro_f1_common``:
#: on the real tables a class of one column moves macro F1 by 0.06 (bench/README.md).
COMMON_SUPPORT = 10


def column_class_scores(col_true: list[str], col_pred: list[str]) -> dict[str, Any]:
    """Per column type: true columns and F1; macro F1 over the types of >= COMMON_SUPPORT."""
    if not col_true:
        return {"column_macro_f1_common": None, "column_f1_per_type": {}}
    labels = sorted(set(col_true))
    scores = f1_score(col_true, col_pred, labels=labels, average=None, zero_division=0)
    support = {label: col_true.count(label) for label in labels}
    common = [
        float(f)
        for label, f in zip(labels, scores, strict=True)
        if support[label] >= COMMON_SUPPORT
    ]
    return {
        "column_macro_f1_common": round(sum(common) / len(common), 3) if common else None,
        "column_f1_per_type": {
            label: {"columns": support[label], "f1": round(float(f), 3)}
            for label, f in zip(labels, scores, strict=True)
        },
    }


def proper_scores(groups: list[dict[str, Any]]) -> dict[str, float | None]:
    """Pooled log loss and multi-class Brier score of the groups' category probabilities.

    Steadier than a 10-bin ECE over ~100 tables (no binning); ``None`` when a group has no
    probabilities (the prior alone). Pure.
    """
    if not groups or any("proba" not in g for g in groups):
        return {"log_loss": None, "brier": None}
    nll: list[float] = []
    brier: list[float] = []
    for g in groups:
        for p, truth in zip(g["proba"], g["truth"], strict=True):
            # A category the fold's model never saw has probability 0 (clipped to 1e-12).
            k = g["labels"].index(truth) if truth in g["labels"] else -1
            nll.append(-math.log(max(p[k], 1e-12) if k >= 0 else 1e-12))
            brier.append(
                sum((q - (1.0 if i == k else 0.0)) ** 2 for i, q in enumerate(p)) + (k < 0)
            )
    n = max(1, len(nll))
    return {"log_loss": round(sum(nll) / n, 3), "brier": round(sum(brier) / n, 3)}


#: Fewest applied tables a threshold is judged on: one or two lucky tables prove nothing.
MIN_APPLIED = 10


def applied_at(rows: list[tuple[str, str, float, list[str]]], threshold: float) -> dict[str, Any]:
    """Precision and coverage of the top-1 categories with probability >= ``threshold``."""
    applied = [r for r in rows if r[2] >= threshold]
    return {
        "threshold": threshold,
        "applied": len(applied),
        "precision": round(sum(r[0] == r[1] for r in applied) / len(applied), 3)
        if applied
        else None,
        "coverage": round(len(applied) / len(rows), 3) if rows else 0.0,
    }


def floor4(value: float) -> float:
    """``value`` rounded down to 4 decimals (a threshold never above what it was cut at)."""
    return math.floor(float(value) * 10_000) / 10_000


def abstention_threshold(
    rows: list[tuple[str, str, float, list[str]]], target: float = TARGET_APPLIED_PRECISION
) -> dict[str, Any]:
    """The lowest top-1 probability t at which predictions with probability >= t are right
    at least ``target`` of the time, over at least :data:`MIN_APPLIED` tables (cuts only
    between probabilities that differ at 4 decimals).

    t is the last applied table's probability rounded *down* to 4 decimals, so that the
    manifest's t applies exactly the tables counted here (rounded to nearest it could leave
    the last one out).

    :returns: threshold (``None`` when no t reaches the target), precision and coverage.
    Pure.
    """
    ranked = sorted(rows, key=lambda r: -r[2])
    best: dict[str, Any] = {"threshold": None, "precision": None, "coverage": 0.0}
    right = 0
    for k, (truth, top1, conf, _) in enumerate(ranked, 1):
        right += truth == top1
        precision = right / k
        nxt = ranked[k][2] if k < len(ranked) else -1.0
        cut = floor4(conf)
        if nxt >= cut:
            continue  # only cut where the 4-decimal threshold leaves the next table out
        if precision >= target and k >= MIN_APPLIED:
            best = {
                "threshold": cut,
                "precision": round(precision, 3),
                "coverage": round(k / len(ranked), 3),
            }
    return best


def nested_abstention(
    rows: list[tuple[str, str, float, list[str]]],
    packages: list[str],
    target: float = TARGET_APPLIED_PRECISION,
) -> dict[str, Any]:
    """What the apply threshold does on tables it was not chosen on.

    :func:`abstention_threshold` picks the threshold on the same pooled predictions it then
    reports precision on. Here each package's tables are judged by the threshold chosen on
    the other packages' (a package whose others reach no threshold applies nothing), and the
    applied tables are pooled: the precision a lake of a package unlike the others can
    expect. ``packages`` names each row's package. :func:`nested_gate` with every table's
    words agreeing (one threshold). Pure.
    """
    return _nested(rows, [True] * len(rows), packages, target)


#: Factors tried for a top category the table's words do not point to: its probability is
#: multiplied by one before the threshold (1.0: the words are not asked).
DISAGREE_FACTORS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 1.0)


def gate_threshold(
    rows: list[tuple[str, str, float, list[str]]],
    agree: list[bool],
    target: float = TARGET_APPLIED_PRECISION,
) -> dict[str, Any]:
    """The apply threshold with the words' second opinion: the factor of
    :data:`DISAGREE_FACTORS` and threshold t that apply the most tables right >= ``target``
    of the time, a table whose words point elsewhere (``agree`` false) judged at its
    probability times the factor (ties: the larger factor). ``threshold_words_disagree`` is
    t / factor rounded down, the probability such a table needs (``None`` above 1: never);
    precision and coverage are those of the two thresholds as the review policy applies them.
    Pure.
    """
    best: dict[str, Any] = {"threshold": None, "coverage": 0.0, "factor": 1.0}
    for factor in DISAGREE_FACTORS:
        scored = [
            (truth, top1, p if ok else p * factor, top3)
            for (truth, top1, p, top3), ok in zip(rows, agree, strict=True)
        ]
        found = abstention_threshold(scored, target)
        if found["threshold"] is not None and found["coverage"] >= best["coverage"]:
            best = {**found, "factor": factor}
    t = best["threshold"]
    strict = floor4(t / best["factor"]) if t is not None else None
    best["threshold_words_disagree"] = strict if strict is not None and strict <= 1 else None
    if t is not None:
        hits = [r[0] == r[1] for r, ok in zip(rows, agree, strict=True) if _gated(r[2], ok, best)]
        best["precision"] = round(sum(hits) / len(hits), 3)
        best["coverage"] = round(len(hits) / len(rows), 3)
    return best


def _gated(p: float, agree: bool, gate: dict[str, Any]) -> bool:
    """Whether a top category at ``p`` is applied by :func:`gate_threshold`'s two thresholds."""
    limit = gate["threshold"] if agree else gate["threshold_words_disagree"]
    return limit is not None and p >= limit


def nested_gate(
    rows: list[tuple[str, str, float, list[str]]],
    agree: list[bool],
    packages: list[str],
    target: float = TARGET_APPLIED_PRECISION,
) -> dict[str, Any]:
    """:func:`nested_abstention` for :func:`gate_threshold`: each package's tables judged by
    the two thresholds chosen on the other packages'. Pure."""
    found = _nested(rows, agree, packages, target)
    return {k: v for k, v in found.items() if k != "per_package"}


def _nested(
    rows: list[tuple[str, str, float, list[str]]],
    agree: list[bool],
    packages: list[str],
    target: float,
) -> dict[str, Any]:
    """Each package's tables judged by :func:`gate_threshold` chosen on the other packages'
    (none reached: nothing applied), pooled; per package its threshold (for agreeing
    words), applied and right tables. Pure."""
    applied = right = 0
    per: dict[str, dict[str, Any]] = {}
    for pkg in sorted(set(packages)):
        picked = [i for i, q in enumerate(packages) if q != pkg]
        gate = gate_threshold([rows[i] for i in picked], [agree[i] for i in picked], target)
        hits = [
            truth == top1
            for (truth, top1, p, _), ok, q in zip(rows, agree, packages, strict=True)
            if q == pkg and gate["threshold"] is not None and _gated(p, ok, gate)
        ]
        applied, right = applied + len(hits), right + sum(hits)
        per[pkg] = {"threshold": gate["threshold"], "applied": len(hits), "right": sum(hits)}
    return {
        "applied": applied,
        "coverage": round(applied / max(1, len(rows)), 3),
        "precision": round(right / applied, 3) if applied else None,
        "per_package": per,
    }


def _semantic_cost(semantic: SemanticVectors, tables: list[LabelledTable]) -> float:
    """Milliseconds per object for the semantic prior's features (a fresh word cache)."""
    fresh = SemanticVectors.__new__(SemanticVectors)
    fresh.__dict__.update(semantic.__dict__)
    fresh._cache = {}
    started = time.perf_counter()
    for t in tables:
        semantic_features(fresh, t.sample)
    return round(1000 * (time.perf_counter() - started) / max(1, len(tables)), 3)


def prior_group(semantic: SemanticVectors, tables: list[LabelledTable]) -> dict[str, Any]:
    """The semantic prior alone as a classifier (path and column words together, softmax of
    the prototype cosines): :func:`score_group`'s rows, column types left empty. Pure."""
    rows = []
    for t in tables:
        words = path_words(t.sample) + column_words(t.sample)
        p = softmax(semantic.similarities(semantic.text(words)))
        order = sorted(p, key=lambda k: (-p[k], k)) or ["reference"]
        rows.append((t.category, order[0], p.get(order[0], 0.0), order[:3]))
    return {"rows": rows, "col_true": [], "col_pred": []}


def _loso_recipe(
    sources: dict[str, list[LabelledTable]],
    tests: dict[str, list[LabelledTable]],
    semantic: SemanticVectors | None,
    c_used: dict[str, float],
    tag: str,
    encoder: SentenceEncoder | None = None,
    train_seed: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Each source held out in turn: fit on every other source, score on its test tables."""
    from training.train import fit_hidden_models, fit_models

    real = [t for name in sources if name not in ("synthetic", "plotly") for t in sources[name]]
    other_locales = other_locale_tables("train", seed=train_seed)
    out: dict[str, dict[str, Any]] = {}
    for name, held in tests.items():
        # The training order of the recipe before the prior, so its figures stay comparable.
        if name == "synthetic":
            train = real + sources["plotly"]
        elif name == "plotly":
            train = sources["synthetic"] + real
        else:
            held_ids = {id(t) for t in sources[name]}
            rest = [t for t in real if id(t) not in held_ids]
            train = sources["synthetic"] + sources["plotly"] + rest
        cols, cats, c = fit_models(train, semantic=semantic, encoder=encoder)
        c_used[f"{tag}:{name}"] = c
        # The hidden-names pair learns from the synthetic tables only; none when they are
        # the held-out source.
        hidden_pair = (
            fit_hidden_models(train, other_locales, semantic)[:2] if name != "synthetic" else None
        )
        out[name] = score_group(cols, cats, held, semantic, hidden_pair, encoder)
    return out


def run_loso(
    semantic_file: Path | None = DEFAULT_VECTORS,
    encoder_file: Path | None = DEFAULT_ENCODER,
    train_seed: int | None = None,
) -> dict[str, Any]:
    """Leave-one-source-out figures for today's recipe, the retrained one and, with word
    vectors, the retrained one with the semantic prior (see module doc).

    :param semantic_file: the distilled word vectors (``training/data/semantic_vectors.npz``);
        ``None`` or a missing file skips the semantic recipe.
    :param train_seed: the seed of the generator's training tables (default: the one ``make
        train`` uses, ``training.corpus.DEFAULT_SEEDS``). Another seed measures how much the
        figures move with the generator's draw alone; it is recorded as ``train_seed``.
    Side effects: fits 2 + 2 x (number of sources + 2) model pairs (minutes on one core).
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from training.real_tables import load_real_tables, package_of
    from training.train import fit_models

    synthetic_all = build_corpus("train", seed=train_seed)
    synthetic_test_all = build_corpus("test")
    real = load_real_tables()
    syn_train = [t for t in synthetic_all if package_of(t.source) == "synthetic"]
    plotly_train = [t for t in synthetic_all if package_of(t.source) == "plotly"]
    syn_test = [t for t in synthetic_test_all if package_of(t.source) == "synthetic"]
    plotly_test = [t for t in synthetic_test_all if package_of(t.source) == "plotly"]
    packages = sorted({package_of(t.source) for t in real})
    semantic = (
        SemanticVectors.from_bytes(artifact_bytes(semantic_file.read_bytes()))
        if semantic_file is not None and semantic_file.is_file()
        else None
    )
    sources = {p: [t for t in real if package_of(t.source) == p] for p in packages}
    sources |= {"synthetic": syn_train, "plotly": plotly_train}
    tests = {p: sources[p] for p in packages} | {"synthetic": syn_test, "plotly": plotly_test}
    today: dict[str, dict[str, Any]] = {}
    c_used: dict[str, float] = {}
    models: dict[str, dict[str, dict[str, Any]]] = {}
    with threadpool_limits(limits=1):
        # Today's recipe: synthetic + plotly only. No real package is in its training data,
        # so every real package is held out; the synthetic test split is not (same generator).
        cols, cats, c = fit_models(
            syn_train + plotly_train, prune_columns=False, prune_categories=False
        )
        c_used["today"] = c
        for pkg in packages:
            today[pkg] = score_group(cols, cats, sources[pkg])
        today["synthetic"] = score_group(cols, cats, syn_test)
        today["plotly"] = score_group(cols, cats, plotly_test)
        models["today"] = today
        models["retrained"] = _loso_recipe(
            sources, tests, None, c_used, "retrained", train_seed=train_seed
        )
        encoder = (
            SentenceEncoder.load(encoder_file)
            if encoder_file is not None and encoder_file.is_file()
            else None
        )
        if semantic is not None:
            # The category model reads the table-text embedding too when the encoder is
            # there (what make train builds).
            models["semantic"] = _loso_recipe(
                sources, tests, semantic, c_used, "semantic", encoder, train_seed
            )
            models["prior alone"] = {n: prior_group(semantic, tests[n]) for n in tests}
            # The calibration power of the semantic recipe, chosen for each held-out package
            # on the other packages' LOSO predictions only (synthetic and plotly: on all).
            sem = models["semantic"]
            models["semantic, calibrated"] = {
                name: with_power(sem[name], pick_power([sem[p] for p in packages if p != name]))
                for name in tests
            }
            if encoder is not None:
                # The sentence prior: blend parameters chosen for each held-out package on
                # the other packages' LOSO predictions only (synthetic and plotly: on all).
                # Timed cold: the category model's features filled the cache already.
                encoder.clear_cache()
                started = time.perf_counter()
                for name in tests:
                    sem[name]["cosines"] = sentence_cosines(
                        encoder, tests[name], sem[name]["labels"]
                    )
                sentence_seconds = time.perf_counter() - started
                sentence_objects = sum(len(tests[n]) for n in tests)
                models["sentence prior"] = {
                    name: with_sentence(
                        sem[name], pick_sentence([sem[p] for p in packages if p != name])
                    )
                    for name in tests
                }
    out: dict[str, Any] = {
        "category_C": c_used,
        "per_source": {},
        "pooled": {},
        "train_seed": DEFAULT_SEEDS["train"] if train_seed is None else train_seed,
        # The values text's prior the hidden-names pair was read with (score_group).
        "values_prior_temperature": VALUES_PRIOR_TEMPERATURE,
    }
    if semantic is not None:
        out["category_power"] = pick_power([models["semantic"][p] for p in packages])
        out["power_per_fold"] = {n: g["power"] for n, g in models["semantic, calibrated"].items()}
    if "sentence prior" in models:
        power, weight, temperature = pick_sentence([models["semantic"][p] for p in packages])
        out["sentence_prior"] = {"power": power, "weight": weight, "temperature": temperature}
        out["sentence_per_fold"] = {n: g["sentence"] for n, g in models["sentence prior"].items()}
        out["sentence_ms_per_object"] = round(1000 * sentence_seconds / sentence_objects, 2)
    for name in tests:
        out["per_source"][name] = {k: summarise([v[name]]) for k, v in models.items()}
    out["pooled"]["real"] = {k: summarise([v[p] for p in packages]) for k, v in models.items()}
    if semantic is not None:
        out["semantic_ms_per_object"] = _semantic_cost(semantic, real + syn_test)
    real_rows = {k: [r for p in packages for r in v[p]["rows"]] for k, v in models.items()}
    out["abstention_real"] = {k: abstention_threshold(v) for k, v in real_rows.items()}
    first = next(iter(models.values()))
    row_packages = [p for p in packages for _ in first[p]["rows"]]
    out["abstention_real_nested"] = {
        k: nested_abstention(v, row_packages) for k, v in real_rows.items()
    }
    if semantic is not None:
        # The words' second opinion (classifiers.business.semantic.words_category), as the
        # review policy asks it: does the top category match what the words alone say?
        said = [words_category(semantic, t.sample) for p in packages for t in tests[p]]
        for k, v in real_rows.items():
            agree = [w == r[1] for w, r in zip(said, v, strict=True)]
            out.setdefault("gate_real", {})[k] = gate_threshold(v, agree)
            out.setdefault("gate_real_nested", {})[k] = nested_gate(v, agree, row_packages)
    out["applied_real"] = {
        k: [applied_at(v, t) for t in (0.6, 0.8, 0.9, SUGGESTION_THRESHOLD)]
        for k, v in real_rows.items()
    }
    per_cat: dict[str, dict[str, str]] = {}
    for k, rows in real_rows.items():
        for cat in sorted({r[0] for r in rows}):
            mine = [r for r in rows if r[0] == cat]
            per_cat.setdefault(cat, {})[k] = f"{sum(r[0] == r[1] for r in mine)}/{len(mine)}"
    out["per_category_real"] = per_cat
    # Each real table's prediction under the adopted recipe, to read its errors one by one.
    if ADOPTED_RECIPE in models:
        out["real_predictions"] = [
            {"table": src, "truth": truth, "top1": top1, "p": round(p, 3), "top3": top3}
            for pkg in packages
            for src, (truth, top1, p, top3) in zip(
                models[ADOPTED_RECIPE][pkg]["sources"],
                models[ADOPTED_RECIPE][pkg]["rows"],
                strict=True,
            )
        ]
        # Every recipe's rows (truth, top-1, probability, top 3), in the order above.
        out["real_rows_by_recipe"] = {k: v for k, v in real_rows.items()}
    return out


#: The recipe ``make train`` uses, whose LOSO predictions choose the apply threshold.
ADOPTED_RECIPE = "sentence prior"


def threshold_record(res: dict[str, Any]) -> dict[str, Any]:
    """The category apply threshold for the manifest, from :func:`run_loso` figures.

    The smallest top-1 probability t at which the adopted recipe's (:data:`ADOPTED_RECIPE`)
    pooled real-table LOSO predictions with probability >= t are right >=
    :data:`TARGET_APPLIED_PRECISION` of the time over >= :data:`MIN_APPLIED` tables; ``None``
    when no t does (then no category is applied without a steward). Pure apart from hashing
    the real-tables sample file and the sentence encoder.
    """
    import hashlib

    from training.real_tables import DEFAULT_DATA

    if "sentence_prior" not in res:
        raise SystemExit(
            f"no {ADOPTED_RECIPE!r} figures: build {DEFAULT_ENCODER} "
            "(python -m training.sentence_encoder) and rerun --loso"
        )
    found = res["gate_real"][ADOPTED_RECIPE]
    pooled = res["pooled"]["real"][ADOPTED_RECIPE]
    threshold = found["threshold"]
    reason = (
        f"the smallest t with precision >= {TARGET_APPLIED_PRECISION} over >= {MIN_APPLIED} "
        "real tables held out by source, a table whose words alone point to another category "
        f"judged at its probability times {found['factor']} (the factor of "
        f"{list(DISAGREE_FACTORS)} that applies the most)"
        if threshold is not None
        else f"no threshold reaches precision {TARGET_APPLIED_PRECISION} over >= {MIN_APPLIED} "
        "real tables held out by source: no category is applied without a steward"
    )
    return {
        "category_apply_threshold": threshold,
        "category_apply_threshold_words_disagree": found["threshold_words_disagree"],
        "words_disagree_factor": found["factor"],
        "nested": {
            "without_words": res["abstention_real_nested"][ADOPTED_RECIPE],
            "with_words": res["gate_real_nested"][ADOPTED_RECIPE],
        },
        "reason": reason,
        "measured_by": "PYTHONPATH=. python bench/category.py --loso --write-threshold",
        "target_precision": TARGET_APPLIED_PRECISION,
        "min_applied": MIN_APPLIED,
        "precision": found["precision"],
        "coverage": found["coverage"],
        "real_tables": pooled["tables"],
        "real_top1": pooled["top1"],
        "applied_at": res["applied_real"][ADOPTED_RECIPE][:3],
        "category_power": res["sentence_prior"]["power"],
        "sentence_prior": {
            "weight": res["sentence_prior"]["weight"],
            "temperature": res["sentence_prior"]["temperature"],
        },
        "recipe": ADOPTED_RECIPE,
        "real_tables_file_sha256": hashlib.sha256(DEFAULT_DATA.read_bytes()).hexdigest(),
        "sentence_encoder_file_sha256": hashlib.sha256(DEFAULT_ENCODER.read_bytes()).hexdigest(),
        # ``make train`` refuses a record measured with another (training.train).
        "values_prior_temperature": res.get("values_prior_temperature"),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_loso(res: dict[str, Any]) -> None:
    """Print :func:`run_loso` figures as Markdown tables. Side effects: stdout."""
    print(
        "| held-out source | tables | model | top-1 | top-3 | ECE | log loss | Brier |"
        " column macro F1 | ... types of >= 10 columns |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, both in [
        *res["per_source"].items(),
        ("**all real (pooled)**", res["pooled"]["real"]),
    ]:
        for model, m in both.items():
            print(
                f"| {name} | {m['tables']} | {model} | {m['top1']:.3f} | {m['top3']:.3f} |"
                f" {m['ece']:.3f} | {_fmt(m.get('log_loss'))} | {_fmt(m.get('brier'))} |"
                f" {_fmt(m['column_macro_f1'])} | {_fmt(m.get('column_macro_f1_common'))} |"
            )
    print()
    print("per category, real tables, right/total:", res["per_category_real"])
    print("abstention on pooled real LOSO predictions:", res["abstention_real"])
    print("applied (top-1 >= t) on pooled real LOSO predictions:", res["applied_real"])
    if "gate_real" in res:
        print("applied with the words' second opinion:", res["gate_real"])
        print("... each package judged by the factor and threshold of the others:")
        print(res["gate_real_nested"])
    print(
        "applied, each package judged by the threshold chosen on the others:",
        {
            k: {x: v[x] for x in ("applied", "coverage", "precision")}
            for k, v in res["abstention_real_nested"].items()
        },
    )
    print("category C per fold:", res["category_C"])
    if "category_power" in res:
        print("calibration power (all real packages):", res["category_power"])
        print("calibration power per held-out source:", res["power_per_fold"])
        print("semantic features, ms per object:", res["semantic_ms_per_object"])
    if "sentence_prior" in res:
        print("sentence prior (all real packages):", res["sentence_prior"])
        print("sentence prior per held-out source:", res["sentence_per_fold"])
        print("sentence encoder, ms per object (cold cache):", res["sentence_ms_per_object"])


def main() -> int:
    if not pinned():
        # The figures choose what make train ships (the threshold, the blend): measured in
        # the numeric environment it trains in, not on a box's own SIMD paths.
        return run_pinned([str(Path(__file__).resolve()), *sys.argv[1:]])
    parser = argparse.ArgumentParser(description="business category / column type benchmark")
    parser.add_argument("--artifacts", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--loso", action="store_true", help="leave-one-source-out instead")
    parser.add_argument(
        "--write-threshold",
        nargs="?",
        type=Path,
        const=CATEGORY_THRESHOLD_FILE,
        default=None,
        help="with --loso: write the category apply threshold that make train copies into "
        f"the manifest (default {CATEGORY_THRESHOLD_FILE.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="with --loso: print (and --write-threshold) from an earlier --json output",
    )
    parser.add_argument(
        "--train-seed",
        type=int,
        default=None,
        help="with --loso: draw the generator's training tables from this seed instead of "
        f"make train's ({DEFAULT_SEEDS['train']}), to see how much a generator draw alone "
        "moves the figures; refuses --write-threshold",
    )
    args = parser.parse_args()
    if args.loso:
        if args.from_json and args.train_seed is not None:
            print("--train-seed with --from-json: the JSON says its seed", file=sys.stderr)
            return 2
        if args.from_json:
            loso = json.loads(args.from_json.read_text(encoding="utf-8"))
            seed = loso.get("train_seed", DEFAULT_SEEDS["train"])
        else:
            seed = DEFAULT_SEEDS["train"] if args.train_seed is None else args.train_seed
        if args.write_threshold and seed != DEFAULT_SEEDS["train"]:
            # make train fits on the default seed's tables: a threshold measured on other
            # tables would not be the shipped model's.
            print(
                f"refusing --write-threshold: measured with training seed {seed}, make train"
                f" uses {DEFAULT_SEEDS['train']}",
                file=sys.stderr,
            )
            return 2
        if not args.from_json:
            loso = run_loso(train_seed=args.train_seed)
        print_loso(loso)
        record = threshold_record(loso)
        print("category apply threshold:", json.dumps(record, sort_keys=True))
        if args.write_threshold:
            args.write_threshold.write_text(
                json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
        if args.json:
            args.json.write_text(
                json.dumps(loso, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
        return 0
    res = run(args.artifacts)
    print(
        f"model {res['model_version']}: {res['test_tables']} test tables,"
        f" {res['test_columns']} columns"
    )
    print(f"{'':10} {'cat acc':>8} {'cat F1':>8} {'col F1':>8} {'col wF1':>8}")
    for name in ("model", "majority", "keywords"):
        c, t = res["categories"][name], res["column_types"][name]
        print(
            f"{name:10} {c['accuracy']:8.3f} {c['macro_f1']:8.3f}"
            f" {t['macro_f1']:8.3f} {t['weighted_f1']:8.3f}"
        )
    print("per-type F1:", ", ".join(f"{k} {v:.2f}" for k, v in res["per_type_f1"].items()))
    print("plotly tables only:", res["plotly_only"])
    print("opaque column names:", res["opaque_names"])
    print("synthetic tables, names hidden (positional, neutral path):", res["names_hidden"])
    print("synthetic tables, names shuffled (misleading):", res["names_shuffled"])
    print("synthetic tables, names in CJK or Cyrillic letters:", res["names_unreadable"])
    print("synthetic tables in ten other locales, names hidden:", res["names_hidden_other_locales"])
    print("calibration:", res["calibration"])
    print(
        f"inference: {res['ms_per_object']} ms per object (features and both models), of"
        f" which the semantic prior's word vectors {res['semantic_ms_per_object']} ms"
    )
    ok = (
        res["categories"]["model"]["accuracy"] >= TARGET_CATEGORY_ACCURACY
        and res["column_types"]["model"]["macro_f1"] >= TARGET_COLUMN_MACRO_F1
    )
    verdict = "PASS" if ok else "FAIL"
    print(
        f"{verdict}: category accuracy {res['categories']['model']['accuracy']:.3f}"
        f" (>= {TARGET_CATEGORY_ACCURACY}), column-type macro F1"
        f" {res['column_types']['model']['macro_f1']:.3f} (>= {TARGET_COLUMN_MACRO_F1})"
    )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
