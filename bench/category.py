"""Business categories and column business types: the model against two baselines.

Usage: ``python bench/category.py [--artifacts models/artifacts] [--json out.json]``.

Runs on the ``test`` split of :mod:`training.corpus` (other seed, held-out name
variants for half its columns, plotly rows never used in training). Reports, in one run:

- category accuracy and macro F1, column-type macro (and weighted) F1 for the model, the
  majority class of the training split, and keyword rules (taxonomy keywords against path and
  column-name tokens for categories; column-name rules for types);
- calibration of the top category (expected calibration error over 10 bins, Brier score);
- breakdowns: plotly tables only, columns with opaque names;
- inference cost per object in ms (features + both models; loading excluded).

Targets: category accuracy >= 0.85, column-type macro F1 >= 0.85; prints PASS/FAIL and exits
1 on FAIL.

``python bench/category.py --loso [--json out.json]``: leave-one-source-out instead. The
sources are each package of real tables (:mod:`training.real_tables`), plotly's tables and
the synthetic generator; each fold trains on every other source and tests on the held-out
one, so a package (or the generator) is wholly in train or wholly in test. Two models in one
run: *today's* recipe (synthetic + plotly tables only, as committed before the real tables)
and the *retrained* recipe (:func:`training.train.fit_models` on every source). Reports
top-1, top-3, ECE and column-type macro F1 for real tables apart from synthetic ones, and the
abstention threshold: the lowest top-1 probability above which the retrained model's pooled
real-table LOSO predictions are right >= 95% of the time, with the share it covers.
``--write-threshold`` writes it to ``training/data/category_threshold.json``, which
``make train`` copies into the manifest's ``category_apply_threshold`` (``null``: none
reaches 95%, so the review policy applies no category without a steward).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from classifiers.business.features import name_tokens, path_tokens  # noqa: E402
from classifiers.business.model import SUGGESTION_THRESHOLD, BusinessModel  # noqa: E402
from classifiers.business.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from training.corpus import LabelledTable, build_corpus  # noqa: E402
from training.train import CATEGORY_THRESHOLD_FILE  # noqa: E402

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
    }


#: Precision the applied (not abstained) categories must reach on real tables.
TARGET_APPLIED_PRECISION = 0.95


def _proba_rows(columns_model: Any, categories_model: Any, tables: list[LabelledTable]) -> Any:
    from training.train import category_rows

    tx, _ = category_rows(tables, columns_model)
    return categories_model.predict_proba(tx)


def score_group(
    columns_model: Any, categories_model: Any, tables: list[LabelledTable]
) -> dict[str, Any]:
    """Top-1, top-3, ECE and column-type macro F1 of a fitted model pair on ``tables``.

    Also returns the raw per-table (truth, top-1 label, top-1 probability, top-3) rows, so
    groups can be pooled. Pure apart from running the models.
    """
    from training.train import column_rows

    proba = _proba_rows(columns_model, categories_model, tables)
    labels = [str(c) for c in categories_model.classes_]
    rows = []
    for t, p in zip(tables, proba, strict=True):
        order = sorted(range(len(labels)), key=lambda i: (-float(p[i]), labels[i]))
        rows.append(
            (t.category, labels[order[0]], float(p[order[0]]), [labels[i] for i in order[:3]])
        )
    cx, cy = column_rows(tables)
    col_pred = [str(x) for x in columns_model.predict(cx)]
    return {"rows": rows, "col_true": cy, "col_pred": col_pred}


def summarise(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool :func:`score_group` results: tables, top-1, top-3, ECE, column-type macro F1."""
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
        "columns": len(col_true),
        "column_macro_f1": round(
            float(f1_score(col_true, col_pred, labels=labels, average="macro", zero_division=0)),
            3,
        ),
    }


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


def abstention_threshold(
    rows: list[tuple[str, str, float, list[str]]], target: float = TARGET_APPLIED_PRECISION
) -> dict[str, Any]:
    """The lowest top-1 probability t at which predictions with probability >= t are right
    at least ``target`` of the time, over at least :data:`MIN_APPLIED` tables (cuts only
    between distinct probabilities).

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
        if nxt == conf:
            continue  # only cut between distinct probabilities
        if precision >= target and k >= MIN_APPLIED:
            best = {
                "threshold": round(conf, 4),
                "precision": round(precision, 3),
                "coverage": round(k / len(ranked), 3),
            }
    return best


def run_loso() -> dict[str, Any]:
    """Leave-one-source-out figures for today's recipe and the retrained one (see module doc).

    Side effects: fits 2 + number-of-sources model pairs (a few minutes on one core).
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from training.real_tables import load_real_tables, package_of
    from training.train import fit_models

    synthetic_all = build_corpus("train")
    synthetic_test_all = build_corpus("test")
    real = load_real_tables()
    syn_train = [t for t in synthetic_all if package_of(t.source) == "synthetic"]
    plotly_train = [t for t in synthetic_all if package_of(t.source) == "plotly"]
    syn_test = [t for t in synthetic_test_all if package_of(t.source) == "synthetic"]
    plotly_test = [t for t in synthetic_test_all if package_of(t.source) == "plotly"]
    packages = sorted({package_of(t.source) for t in real})
    today: dict[str, dict[str, Any]] = {}
    retrained: dict[str, dict[str, Any]] = {}
    c_used: dict[str, float] = {}
    with threadpool_limits(limits=1):
        # Today's recipe: synthetic + plotly only. No real package is in its training data,
        # so every real package is held out; the synthetic test split is not (same generator).
        cols, cats, c = fit_models(
            syn_train + plotly_train, prune_columns=False, prune_categories=False
        )
        c_used["today"] = c
        for pkg in packages:
            today[pkg] = score_group(cols, cats, [t for t in real if package_of(t.source) == pkg])
        today["synthetic (in-distribution)"] = score_group(cols, cats, syn_test)
        today["plotly (rows held out)"] = score_group(cols, cats, plotly_test)
        for pkg in packages:
            rest = [t for t in real if package_of(t.source) != pkg]
            held = [t for t in real if package_of(t.source) == pkg]
            cols, cats, c = fit_models(syn_train + plotly_train + rest)
            c_used[pkg] = c
            retrained[pkg] = score_group(cols, cats, held)
        cols, cats, c = fit_models(real + plotly_train)
        c_used["synthetic"] = c
        retrained["synthetic"] = score_group(cols, cats, syn_test)
        cols, cats, c = fit_models(syn_train + real)
        c_used["plotly"] = c
        retrained["plotly"] = score_group(cols, cats, plotly_test)
    out: dict[str, Any] = {"category_C": c_used, "per_source": {}, "pooled": {}}
    for name in [*packages, "synthetic", "plotly"]:
        t_key = {"synthetic": "synthetic (in-distribution)", "plotly": "plotly (rows held out)"}
        out["per_source"][name] = {
            "today": summarise([today[t_key.get(name, name)]]),
            "retrained": summarise([retrained[name]]),
        }
    out["pooled"]["real"] = {
        "today": summarise([today[p] for p in packages]),
        "retrained": summarise([retrained[p] for p in packages]),
    }
    real_rows = {
        "today": [r for p in packages for r in today[p]["rows"]],
        "retrained": [r for p in packages for r in retrained[p]["rows"]],
    }
    out["abstention_real"] = {k: abstention_threshold(v) for k, v in real_rows.items()}
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
    return out


def threshold_record(res: dict[str, Any]) -> dict[str, Any]:
    """The category apply threshold for the manifest, from :func:`run_loso` figures.

    The smallest top-1 probability t at which the retrained recipe's pooled real-table LOSO
    predictions with probability >= t are right >= :data:`TARGET_APPLIED_PRECISION` of the
    time over >= :data:`MIN_APPLIED` tables; ``None`` when no t does (then no category is
    applied without a steward). Pure apart from hashing the real-tables sample file.
    """
    import hashlib

    from training.real_tables import DEFAULT_DATA

    found = res["abstention_real"]["retrained"]
    pooled = res["pooled"]["real"]["retrained"]
    threshold = found["threshold"]
    reason = (
        f"the smallest t with precision >= {TARGET_APPLIED_PRECISION} over >= {MIN_APPLIED} "
        "real tables held out by source"
        if threshold is not None
        else f"no threshold reaches precision {TARGET_APPLIED_PRECISION} over >= {MIN_APPLIED} "
        "real tables held out by source: no category is applied without a steward"
    )
    return {
        "category_apply_threshold": threshold,
        "reason": reason,
        "measured_by": "PYTHONPATH=. python bench/category.py --loso --write-threshold",
        "target_precision": TARGET_APPLIED_PRECISION,
        "min_applied": MIN_APPLIED,
        "precision": found["precision"],
        "coverage": found["coverage"],
        "real_tables": pooled["tables"],
        "real_top1": pooled["top1"],
        "applied_at": res["applied_real"]["retrained"][:3],
        "real_tables_file_sha256": hashlib.sha256(DEFAULT_DATA.read_bytes()).hexdigest(),
    }


def print_loso(res: dict[str, Any]) -> None:
    """Print :func:`run_loso` figures as Markdown tables. Side effects: stdout."""
    print("| held-out source | tables | model | top-1 | top-3 | ECE | column macro F1 |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for name, both in [
        *res["per_source"].items(),
        ("**all real (pooled)**", res["pooled"]["real"]),
    ]:
        for model in ("today", "retrained"):
            m = both[model]
            print(
                f"| {name} | {m['tables']} | {model} | {m['top1']:.3f} | {m['top3']:.3f} |"
                f" {m['ece']:.3f} | {m['column_macro_f1']:.3f} |"
            )
    print()
    print("per category, real tables, right/total:", res["per_category_real"])
    print("abstention on pooled real LOSO predictions:", res["abstention_real"])
    print("applied (top-1 >= t) on pooled real LOSO predictions:", res["applied_real"])
    print("category C per fold:", res["category_C"])


def main() -> int:
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
    args = parser.parse_args()
    if args.loso:
        if args.from_json:
            loso = json.loads(args.from_json.read_text(encoding="utf-8"))
        else:
            loso = run_loso()
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
    print("calibration:", res["calibration"])
    print(f"inference: {res['ms_per_object']} ms per object")
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
