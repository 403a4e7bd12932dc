"""bench/foreign_names.yaml: the hand-written non-English evaluation names.

Every column-name and folder-name variant of training/corpus.py's TEMPLATES must have a German,
French, Spanish, Italian, Portuguese and Dutch name, each lower-case ASCII snake_case.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from training.corpus import TEMPLATES

DATA = Path(__file__).resolve().parents[2] / "bench" / "foreign_names.yaml"
LANGUAGES = frozenset({"de", "fr", "es", "it", "pt", "nl"})
NAME = re.compile(r"[a-z0-9_]+")
PROVENANCE = "written by hand for s3-enricher's evaluation, not used in training"


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _column_variants() -> set[str]:
    return {name for template in TEMPLATES for spec in template.columns for name in spec.names}


def _folder_variants() -> set[str]:
    return {folder for template in TEMPLATES for folder in template.folders}


def test_provenance_comment_present() -> None:
    head = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any("provenance" in line and PROVENANCE in line for line in head)


def test_sections(data: dict[str, Any]) -> None:
    assert set(data) == {"columns", "folders"}
    assert isinstance(data["columns"], dict)
    assert isinstance(data["folders"], dict)


def test_no_duplicate_keys() -> None:
    # yaml.safe_load keeps the last of two equal keys silently; count the raw keys instead.
    seen: dict[tuple[str, str], int] = {}
    section = ""
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line in ("columns:", "folders:"):
            section = line
            continue
        match = re.match(r"  ([A-Za-z0-9_]+):", line)
        if match:
            key = (section, match.group(1))
            seen[key] = seen.get(key, 0) + 1
    assert [key for key, count in seen.items() if count > 1] == []


@pytest.mark.parametrize(
    ("section", "variants"),
    [("columns", _column_variants()), ("folders", _folder_variants())],
)
def test_every_template_variant_is_covered(
    data: dict[str, Any], section: str, variants: set[str]
) -> None:
    assert variants, section
    missing = sorted(variants - set(data[section]))
    assert missing == [], f"{section} without translations: {missing}"


def test_created_and_updated_columns_covered(data: dict[str, Any]) -> None:
    for name in ("created_at", "createdAt", "load_ts", "updated_at", "updatedAt", "last_modified"):
        assert name in data["columns"]


@pytest.mark.parametrize("section", ["columns", "folders"])
def test_translations_complete_and_well_formed(data: dict[str, Any], section: str) -> None:
    bad: list[str] = []
    for english, translations in data[section].items():
        if not isinstance(translations, dict) or set(translations) != LANGUAGES:
            bad.append(f"{english}: languages {sorted(translations or ())}")
            continue
        for language, name in translations.items():
            if not isinstance(name, str) or not NAME.fullmatch(name):
                bad.append(f"{english}.{language}: {name!r}")
    assert bad == []
