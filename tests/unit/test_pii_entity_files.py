"""The worker reads the PII entity files the settings name; classifiers/ only parses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.pii import PiiClassifier
from worker.bootstrap import build_classifiers
from worker.core.errors import ConfigError
from worker.core.pii_entity_files import read_custom_entities, read_presidio_recognizers
from worker.core.settings import load_settings

RECOGNIZERS = """\
recognizers:
  - name: Badge recognizer
    supported_language: en
    supported_entity: EMPLOYEE_BADGE
    patterns:
      - {name: badge, regex: "\\\\bBDG-\\\\d{5}\\\\b", score: 0.6}
    context: [badge]
"""


def test_presidio_recognizer_files_are_read_into_the_classifier(tmp_path: Path) -> None:
    path = tmp_path / "recognizers.yaml"
    path.write_text(RECOGNIZERS)
    custom = tmp_path / "custom.yaml"
    custom.write_text("entities:\n  - name: EMPLOYEE_ID\n    regex: '^E-\\d{6}$'\n")
    settings = load_settings(
        None, pii={"presidio_recognizers": [str(path)], "custom_entities_file": str(custom)}
    )
    clf = build_classifiers(settings)[0]
    assert isinstance(clf, PiiClassifier)
    assert clf.labels[-2:] == ("EMPLOYEE_ID", "EMPLOYEE_BADGE")
    assert clf.registry["EMPLOYEE_BADGE"].source == "presidio"


def test_the_setting_defaults_to_no_files() -> None:
    assert load_settings(None).pii.presidio_recognizers == []
    assert read_presidio_recognizers([]) == ()
    assert read_custom_entities(None) == ()


def test_a_bad_recognizer_file_is_a_config_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "recognizers.yaml"
    path.write_text(RECOGNIZERS.replace("EMPLOYEE_BADGE", "US_SSN"))
    with pytest.raises(ConfigError, match=r"recognizers.yaml, line 2: US_SSN is a built-in"):
        read_presidio_recognizers([path])
    settings = load_settings(None, pii={"presidio_recognizers": [str(path)]})
    with pytest.raises(ConfigError, match="US_SSN is a built-in"):
        build_classifiers(settings)
    with pytest.raises(ConfigError, match=r"cannot read Presidio recognizers .*nope.yaml"):
        read_presidio_recognizers([tmp_path / "nope.yaml"])
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_presidio_recognizers([binary])


def test_an_entity_declared_twice_across_files_names_both(tmp_path: Path) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(RECOGNIZERS)
    two.write_text(RECOGNIZERS)
    with pytest.raises(ConfigError, match=r"two.yaml: entity EMPLOYEE_BADGE .* in .*one.yaml"):
        read_presidio_recognizers([one, two])
    with pytest.raises(ConfigError, match=r"one.yaml: entity EMPLOYEE_BADGE .* in custom.yaml"):
        read_presidio_recognizers([one], taken={"EMPLOYEE_BADGE": "custom.yaml"})


def test_an_unknown_builtin_entity_in_settings_is_a_config_error() -> None:
    settings = load_settings(None, pii={"entities": ["US_SSN", "NOPE"]})
    with pytest.raises(ConfigError, match=r"pii: unknown PII entities \['NOPE'\]"):
        build_classifiers(settings)
