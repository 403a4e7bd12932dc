"""Would the values alone be a safe veto on applied categories? (issue 16, a probe)

Today the business classifier asks its hidden-names pair (the category read from the values
alone, :meth:`~classifiers.business.classifier.BusinessClassifier._values_alone`) only when a
column's values contradict its name, and withholds a category the values alone give less
than :data:`~classifiers.business.contradictions.VALUES_AGREE_MIN`. This probe measures the
same veto on *every* table, at several bars, before anyone ships it:

- **real tables, held out by source**: the adopted recipe's top category and probability per
  real table, read from an earlier ``bench/category.py --loso --json FILE`` run
  (``real_predictions``), beside the values-alone probability of that category from the
  hidden-names pair fitted without the table's package (:func:`training.train.fit_hidden_models`
  per fold, as ``bench/category.py --loso`` fits it). Of the tables applied at the manifest's
  threshold, how many each bar would withhold, and how many of those were right;
- **the Faker probe** (``bench/category_faker.py``'s tables, seed 11, 300 rows), with the
  shipped models: of the applied tables, per naming (``named``, ``misleading``), how many
  each bar would withhold.

Usage: ``python bench/values_agree.py --loso-json FILE [--json OUT]`` (about 6 minutes: 14
folds of the hidden-names pair, then 528 probe tables). Prints counts only, never values.
Exits 0 (a probe, no target).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The bars measured: a category the values alone give less than this would be withheld.
BARS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)


def real_rows(loso: dict[str, Any]) -> list[dict[str, Any]]:
    """Per real table: its LOSO top-1 (from ``loso``) and the values-alone probability of it."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from bench.category import score_group
    from classifiers.business.features import without_names
    from classifiers.business.semantic import SemanticVectors
    from training.corpus import build_corpus, other_locale_tables
    from training.real_tables import load_real_tables, package_of
    from training.semantic_vectors import DEFAULT_OUT, artifact_bytes
    from training.train import fit_hidden_models

    predictions = {r["table"]: r for r in loso["real_predictions"]}
    generated = [
        t for t in build_corpus("train") if package_of(t.source) in ("synthetic", "plotly")
    ]
    real = load_real_tables()
    semantic = SemanticVectors.from_bytes(artifact_bytes(DEFAULT_OUT.read_bytes()))
    other = other_locale_tables("train")
    out: list[dict[str, Any]] = []
    with threadpool_limits(limits=1):
        for package in sorted({package_of(t.source) for t in real}):
            held = [t for t in real if package_of(t.source) == package]
            train = generated + [t for t in real if package_of(t.source) != package]
            hidden_columns, hidden_categories, _ = fit_hidden_models(train, other, semantic)
            hidden = []
            for t in held:
                sample = without_names(t.sample)
                pii = {h.name: t.pii.get(c.name, set())
                       for h, c in zip(sample.columns, t.sample.columns, strict=True)}  # fmt: skip
                hidden.append(replace(t, sample=sample, pii=pii))
            # Every name hidden: score_group reads these tables with the hidden pair alone.
            group = score_group(hidden_columns, hidden_categories, hidden, semantic,
                                (hidden_columns, hidden_categories))  # fmt: skip
            labels = [str(x) for x in hidden_categories.classes_]
            for t, proba in zip(held, group["hidden_proba"], strict=True):
                named = predictions[t.source]
                alone = dict(zip(labels, proba or [], strict=False))
                out.append({"table": t.source, "truth": named["truth"], "top1": named["top1"],
                            "p": named["p"], "alone": alone.get(named["top1"], 0.0)})  # fmt: skip
    return out


def probe_rows(rows: int = 300, seed: int = 11) -> list[dict[str, Any]]:
    """Per Faker probe table: naming, truth, top-1, applied, values-alone probability of it."""
    from bench.category_faker import classified_tables
    from classifiers.business.classifier import BusinessClassifier
    from classifiers.pii import PiiClassifier

    pii, business = PiiClassifier(), BusinessClassifier()
    pii.load()
    business.load()
    out: list[dict[str, Any]] = []
    for c in classified_tables(pii, business, rows, seed):
        found = {f.column: {e.entity for e in f.entities} for f in c.merged}
        # All categories (top=64): the probability of the named top-1, wherever it ranks.
        alone = dict(business._values_alone(c.sample, found, top=64))
        top = c.ranked[0].label
        out.append({"naming": c.naming, "truth": c.design.category, "top1": top,
                    "applied": c.applied, "alone": alone.get(top, 0.0)})  # fmt: skip
    return out


def blocked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per bar: the applied tables it would withhold, and how many of them were right."""
    out = []
    for bar in BARS:
        hit = [r for r in rows if r["alone"] < bar]
        out.append({"bar": bar, "withheld": len(hit),
                    "right": sum(r["top1"] == r["truth"] for r in hit)})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loso-json", type=Path, required=True,
                        help="an earlier bench/category.py --loso --json output")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    from classifiers.business.model import category_apply_threshold

    loso = json.loads(args.loso_json.read_text(encoding="utf-8"))
    threshold = category_apply_threshold(None, True)
    real = real_rows(loso)
    applied = [r for r in real if threshold is not None and r["p"] >= threshold]
    print(f"real tables: {len(real)}, applied at {threshold}: {len(applied)} "
          f"({sum(r['top1'] == r['truth'] for r in applied)} right)")  # fmt: skip
    for b in blocked(applied):
        print(f"  bar {b['bar']}: withheld {b['withheld']}, of them right {b['right']}")
    probe = probe_rows()
    result: dict[str, Any] = {"threshold": threshold, "real": blocked(applied), "probe": {}}
    for naming in ("named", "misleading"):
        mine = [r for r in probe if r["naming"] == naming and r["applied"]]
        result["probe"][naming] = {"applied": len(mine), "bars": blocked(mine)}
        print(f"Faker probe, {naming}: applied {len(mine)} "
              f"({sum(r['top1'] == r['truth'] for r in mine)} right)")  # fmt: skip
        for b in blocked(mine):
            print(f"  bar {b['bar']}: withheld {b['withheld']}, of them right {b['right']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    from bench.category_faker import fixed_hash_seed

    fixed_hash_seed()
    sys.exit(main())
