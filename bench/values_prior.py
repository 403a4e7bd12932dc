"""What the values say, in words: the values text's prior on the hidden-names pair (issue 16).

For a table whose column names say nothing, the category comes from the hidden-names pair,
which learned our generator's tables only. The values text
(:func:`classifiers.business.encoder.values_text`: each column's PII entity or business
type, and the words of its enum-like values, ``"id, person name, category sales support"``)
is read by the sentence encoder as it reads a table's names, and its zero-shot prior is
multiplied into the pair's probabilities at a temperature ``k`` (``k = 0``: the pair alone).

Measured here, with the shipped models (the pair's own probabilities: the manifest's
``category_values_prior`` switched off in this process), on four sets of tables with every
name hidden (:func:`training.corpus.hide_names`; the Faker probe's own opaque naming):

* **validation**: the generator's ``train`` split drawn with another seed
  (:data:`VALIDATION_SEED`), tables the pair never saw from the generator it learned. ``k``
  is chosen here: the smallest pooled log loss over :data:`GRID`
  (``training.train.VALUES_PRIOR_TEMPERATURE`` is what this prints);
* **synthetic test**: the ``test`` split (another seed, held-out name variants);
* **real tables**: the 206 labelled real tables, every one out of the pair's training;
* **Faker probe**: ``bench/category_faker.py``'s 176 opaque tables, of designs our
  generator did not make (a probe: not used to choose).

The first three sets carry their labelled PII (as ``bench/category.py`` feeds its models), the
probe the PII classifier's findings and the business types as the worker merges them.
Prints top-1, top-3 and log loss per set and ``k``. Never prints a value or a values text.
Usage: ``python bench/values_prior.py [--json FILE]`` (about a minute); runs
itself again under ``PYTHONHASHSEED=0`` when that is not set, as the Faker probe does.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from classifiers.business.encoder import values_cosines, with_values_prior  # noqa: E402
from models import TableSample  # noqa: E402

#: The generator's seed for the validation tables (train 6101, test 6202).
VALIDATION_SEED = 6303
#: Temperatures tried (0: the hidden-names pair alone).
GRID = (0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 17.5, 20.0, 25.0, 30.0)


@dataclass(frozen=True)
class Scored:
    """One table: its category, the pair's probabilities and the values text's cosines
    (``None``: an empty text, which the run time does not read)."""

    truth: str
    hidden: np.ndarray
    cosines: np.ndarray | None


def score(
    model: Any,
    truth: str,
    sample: TableSample,
    pii: Mapping[str, set[str]],
    types: list[str] | None = None,
) -> Scored:
    """The pair's probabilities (every name hidden) and the values text's cosines.

    ``types``: the columns' business types as the worker has them; ``None``: the hidden-names
    column model's.
    """
    labels = list(model.category_labels)
    if types is None:
        types = [label for label, _ in model.column_types(sample)]
    ranked = dict(model.categories(sample, types, pii, top=len(labels)))
    encoder = model._encoder  # the shipped encoder; the bench reads it as the model does
    cosines = values_cosines(encoder, sample, types, pii, encoder.order(labels))
    return Scored(truth, np.array([ranked[label] for label in labels]), cosines)


def figures(rows: Iterable[Scored], labels: list[str], k: float) -> dict[str, float]:
    """Top-1, top-3 and mean log loss of ``rows`` with the prior at temperature ``k``."""
    top1 = top3 = 0
    loss = 0.0
    n = 0
    for r in rows:
        p = with_values_prior(r.hidden, r.cosines, k)
        i = labels.index(r.truth)
        rank = list(np.argsort(-p, kind="stable"))
        top1 += rank[0] == i
        top3 += i in rank[:3]
        loss -= math.log(max(float(p[i]), 1e-12))
        n += 1
    return {
        "tables": n,
        "top1": round(top1 / n, 3),
        "top3": round(top3 / n, 3),
        "log_loss": round(loss / n, 3),
    }


def scored_sets(model: Any) -> dict[str, list[Scored]]:
    """The four sets of the module docstring, each table scored."""
    from bench.category_faker import classified_tables
    from classifiers.pii import PiiClassifier
    from training.corpus import build_corpus, hide_names
    from training.real_tables import load_real_tables

    def hidden_rows(tables: list[Any]) -> list[Scored]:
        out = []
        for t in tables:
            if t.source.startswith("plotly:"):
                continue
            renamed = hide_names(t, random.Random(f"hide_names|{t.sample.info.etag}"))
            out.append(score(model, t.category, renamed.sample, renamed.pii))
        return out

    sets = {
        "validation": hidden_rows(build_corpus("train", seed=VALIDATION_SEED)),
        "synthetic test": hidden_rows(build_corpus("test")),
        "real tables": hidden_rows(load_real_tables()),
    }
    from classifiers.business.classifier import BusinessClassifier
    from classifiers.business.features import findings_inputs

    pii = PiiClassifier()
    pii.load()
    business = BusinessClassifier()
    business._model = model  # the model measured here, its values prior off
    probe = []
    for c in classified_tables(pii, business, 300, 11):
        if c.naming != "opaque":
            continue
        # As the worker passes them on (BusinessClassifier.classify_table).
        types, found = findings_inputs(c.merged)
        probe.append(score(model, c.design.category, c.sample, found, types))
    sets["Faker probe, opaque"] = probe
    return sets


def run() -> dict[str, Any]:
    """Every set at every temperature of :data:`GRID`, and the temperature chosen."""
    from classifiers.business.model import BusinessModel

    model = BusinessModel.load()
    # The pair's own probabilities: the values prior is what is measured.
    model._values_prior = None
    labels = list(model.category_labels)
    sets = scored_sets(model)
    table = {name: {str(k): figures(rows, labels, k) for k in GRID} for name, rows in sets.items()}
    chosen = min(GRID, key=lambda k: (table["validation"][str(k)]["log_loss"], k))
    return {"chosen_temperature": chosen, "validation_seed": VALIDATION_SEED, "sets": table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    from bench.category_faker import fixed_hash_seed

    fixed_hash_seed()  # the Italian towns of bench/category_faker.py's tables
    out = run()
    print(f"chosen temperature (smallest validation log loss): {out['chosen_temperature']}")
    print("\n| set | k | tables | top-1 | top-3 | log loss |\n|---|---:|---:|---:|---:|---:|")
    for name, per_k in out["sets"].items():
        for k, f in per_k.items():
            mark = " (chosen)" if float(k) == out["chosen_temperature"] else ""
            print(
                f"| {name} | {k}{mark} | {f['tables']} | {f['top1']:.3f} | {f['top3']:.3f} "
                f"| {f['log_loss']:.3f} |"
            )
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
