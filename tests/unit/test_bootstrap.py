"""The composition root builds the configured classifiers; a broken custom-entity file stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.pii import PiiClassifier
from worker.bootstrap import build_classifiers, build_deps
from worker.core.errors import ConfigError
from worker.core.settings import load_settings


def test_defaults_are_pii_and_business_classifiers_unloaded() -> None:
    from classifiers.business.classifier import BusinessClassifier

    pii, business = build_classifiers(load_settings(None))
    assert isinstance(pii, PiiClassifier) and not pii.loaded
    assert isinstance(business, BusinessClassifier) and not business.loaded
    assert business.version.startswith("1;model=") and "missing" not in business.version
    off = load_settings(None, business={"enabled": False})
    assert [c.name for c in build_classifiers(off)] == ["pii"]


def test_custom_entities_file_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text("entities:\n  - name: EMPLOYEE_ID\n    regex: '^E-\\d{6}$'\n")
    settings = load_settings(None, pii={"custom_entities_file": str(path)})
    clf = build_classifiers(settings)[0]
    assert "EMPLOYEE_ID" in clf.labels


def test_broken_custom_entities_file_is_a_start_up_error(tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text("entities:\n  - name: EMPLOYEE_ID\n    regex: '('\n")
    settings = load_settings(None, pii={"custom_entities_file": str(path)})
    with pytest.raises(ConfigError, match=r"custom.yaml, line 3: the regex does not compile"):
        build_classifiers(settings)
    missing = load_settings(None, pii={"custom_entities_file": str(tmp_path / "nope.yaml")})
    with pytest.raises(ConfigError, match="cannot read custom entities"):
        build_classifiers(missing)


def test_deps_take_classifiers_built_before() -> None:
    settings = load_settings(None, business={"enabled": False})
    built = build_classifiers(settings)
    deps = build_deps(settings, built)
    assert list(deps.classifiers) == built
    assert [c.name for c in build_deps(settings).classifiers] == ["pii"]
