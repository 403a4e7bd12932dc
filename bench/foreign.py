"""Non-English names: the business models on lakes named in German, French, Spanish, Italian,
Portuguese and Dutch, with the multilingual lexicon and without it.

The test tables are the synthetic ``test`` split of :mod:`training.corpus` with every column
and folder name replaced by its translation from ``bench/foreign_names.yaml`` (one
language per table, chosen by the table's index), written by hand independently of
:mod:`classifiers.business.lexicon` (its author never saw the lexicon and the other way
round), and the bucket replaced by a neutral ``data-lake`` so that only names and values
speak. Opaque names stay opaque. Both models are trained in this run on the same data as
``make train`` (synthetic ``train`` split, plotly, the real tables), once with the lexicon and
once with :func:`classifiers.business.lexicon.translate_tokens` replaced by the identity
(what the models were before the lexicon). Reported for each: category accuracy and
column-type macro F1 on the English test split and on its foreign copy, per language.

Usage: ``python bench/foreign.py [--json out.json]`` (two trainings; a few minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from models import ObjectRef  # noqa: E402
from training.corpus import LabelledTable, build_corpus  # noqa: E402

NAMES_FILE = ROOT / "bench" / "foreign_names.yaml"
LANGUAGES = ("de", "fr", "es", "it", "pt", "nl")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


Names = dict[str, dict[str, str]]


def load_names(path: Path = NAMES_FILE) -> tuple[Names, Names]:
    """(column translations, folder translations): English name -> language -> name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["columns"], data["folders"]


def _translate_name(name: str, lang: str, columns: Names) -> str:
    """``name`` in ``lang`` keeping its case style (UPPER, CamelCase); unknown: unchanged."""
    snake = _CAMEL.sub("_", name).lower() if not name.isupper() else name.lower()
    entry = columns.get(name) or columns.get(snake)
    if entry is None:
        return name
    out = entry[lang]
    if name.isupper() and not name.islower():
        return out.upper()
    if name != snake and name[:1].isupper():
        return "".join(p.title() for p in out.split("_"))
    return out


def foreign_copy(
    tables: list[LabelledTable],
    columns: Names,
    folders: Names,
) -> list[tuple[str, LabelledTable]]:
    """Each table renamed into one language: (language, table). Pure."""
    out = []
    for index, table in enumerate(tables):
        lang = random.Random(index).choice(LANGUAGES)
        sample = table.sample
        used: set[str] = set()
        cols = []
        for c in sample.columns:
            name = _translate_name(c.name, lang, columns)
            if name in used:
                name = f"{name}_{len(used)}"
            used.add(name)
            cols.append(dataclasses.replace(c, name=name))
        ref = sample.info.ref
        parts = ref.key.split("/")
        parts[:-1] = [folders[p][lang] if p in folders else p for p in parts[:-1]]
        uri = f"s3://data-lake/{'/'.join(parts)}"
        info = dataclasses.replace(sample.info, ref=ObjectRef.parse(uri))
        renamed = dataclasses.replace(sample, columns=tuple(cols), info=info)
        out.append((lang, dataclasses.replace(table, sample=renamed)))
    return out


def _untranslated(tokens: Sequence[str]) -> list[str]:
    """The tokens as they are: the name features before the lexicon."""
    return list(tokens)


def _fit(train_tables: list[LabelledTable], semantic: Any) -> tuple[Any, Any]:
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from training.train import fit_models

    with threadpool_limits(1):
        cols, cats, _ = fit_models(train_tables, semantic=semantic)
    return cols, cats


def measure(with_lexicon: bool) -> dict[str, Any]:
    """Train once (lexicon on or off) and score the English and foreign test tables."""
    from classifiers.business import lexicon
    from classifiers.business.features import clear_name_caches
    from classifiers.business.semantic import SemanticVectors
    from training.real_tables import load_real_tables
    from training.train import SEMANTIC_VECTORS_FILE, evaluate

    original = lexicon.translate_tokens
    if not with_lexicon:
        lexicon.translate_tokens = _untranslated
    # Names are tokenised once per process and kept: forget what the other lexicon made.
    clear_name_caches()
    try:
        semantic = SemanticVectors.from_bytes(SEMANTIC_VECTORS_FILE.read_bytes())
        started = time.perf_counter()
        cols, cats = _fit(build_corpus("train") + load_real_tables(), semantic)
        fit_s = time.perf_counter() - started
        english = build_corpus("test")
        columns, folders = load_names()
        foreign = foreign_copy(english, columns, folders)
        out: dict[str, Any] = {
            "fit_s": round(fit_s, 1),
            "english": evaluate(cols, cats, english, semantic),
            "foreign": evaluate(cols, cats, [t for _, t in foreign], semantic),
            "per_language": {},
        }
        for lang in LANGUAGES:
            group = [t for lg, t in foreign if lg == lang]
            if group:
                out["per_language"][lang] = {
                    "tables": len(group),
                    **evaluate(cols, cats, group, semantic),
                }
        return out
    finally:
        lexicon.translate_tokens = original
        clear_name_caches()


def main(argv: list[str] | None = None) -> int:
    """Run both trainings and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    res = {"without_lexicon": measure(False), "with_lexicon": measure(True)}
    keys = ("category_accuracy", "column_type_macro_f1")
    print("| test tables | lexicon | category accuracy | column-type macro F1 |")
    print("|---|---|---:|---:|")
    for split in ("english", "foreign"):
        for tag in ("without_lexicon", "with_lexicon"):
            m = res[tag][split]
            print(f"| {split} | {tag.split('_')[0]} | {m[keys[0]]:.3f} | {m[keys[1]]:.3f} |")
    for lang in LANGUAGES:
        a = res["without_lexicon"]["per_language"].get(lang)
        b = res["with_lexicon"]["per_language"].get(lang)
        if a and b:
            print(
                f"| {lang} ({a['tables']}) | without -> with | {a[keys[0]]:.3f} -> "
                f"{b[keys[0]]:.3f} | {a[keys[1]]:.3f} -> {b[keys[1]]:.3f} |"
            )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
