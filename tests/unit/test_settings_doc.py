"""docs/settings.md is what scripts/settings_doc.py makes from the settings models, and every
setting has a description to put in it."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tests.support.scripts import load_script
from worker.core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "settings_doc.py"
DOC = REPO_ROOT / "docs" / "settings.md"


def _load_script() -> ModuleType:
    return load_script("settings_doc", SCRIPT)


def _fields(model: type[BaseModel], path: str = "") -> Iterator[tuple[str, type, FieldInfo]]:
    """Every field reachable from ``model``: sections, their fields, list entries' fields."""
    for name, field in model.model_fields.items():
        key = f"{path}.{name}" if path else name
        yield key, model, field
        for inner in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from _fields(inner, key)


def test_the_settings_reference_is_current() -> None:
    expected = _load_script().render(Settings)
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == expected, "docs/settings.md is stale: run `make settings-doc`"


def test_every_setting_has_a_description() -> None:
    missing = [key for key, model, field in _fields(Settings) if not field.description]
    assert missing == [], f"add description= to: {', '.join(missing)}"


def test_the_reference_names_every_setting_and_its_variable() -> None:
    text = DOC.read_text(encoding="utf-8")
    for key, model, field in _fields(Settings):
        section = isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        if model.__name__.endswith("Settings") and not section:  # not a list entry's key
            assert f"| `{key}` | `ENRICH_{key.replace('.', '__').upper()}` |" in text
