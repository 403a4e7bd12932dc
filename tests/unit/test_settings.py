from __future__ import annotations

from pathlib import Path

import pytest

from worker.core.errors import ConfigError
from worker.core.settings import load_settings


def test_defaults() -> None:
    s = load_settings()
    assert s.sampling.rows == 1000
    assert s.sampling.options().byte_budget == 8 * 1024 * 1024
    assert s.database_url == "sqlite:///enricher.db"


def test_yaml_then_env_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "s3:\n  endpoint_url: http://file:1\n  region: eu-central-1\nsampling:\n  rows: 5\n"
    )
    monkeypatch.setenv("ENRICH_S3__REGION", "eu-west-1")
    s = load_settings(cfg, sampling={"rows": 7})
    assert s.s3.endpoint_url == "http://file:1"  # from the file
    assert s.s3.region == "eu-west-1"  # environment beats the file
    assert s.sampling.rows == 7  # command line beats both


def test_unknown_yaml_key_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("s3:\n  endpoit_url: http://x\n")
    with pytest.raises(ConfigError, match=r"unknown key 's3\.endpoit_url'"):
        load_settings(cfg)


def test_unknown_env_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_SAMPLING__ROWZ", "3")
    with pytest.raises(ConfigError, match="ENRICH_SAMPLING__ROWZ"):
        load_settings()


def test_invalid_value_and_yaml_syntax(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sampling:\n  rows: -1\n")
    with pytest.raises(ConfigError, match="sampling.rows"):
        load_settings(cfg)
    cfg.write_text("sampling:\n  rows: [1\n")
    with pytest.raises(ConfigError, match="line"):
        load_settings(cfg)


def test_secrets_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_S3__SECRET_ACCESS_KEY", "hunter2-very-secret")
    s = load_settings()
    assert "hunter2" not in repr(s)
    assert "hunter2" not in str(s.model_dump())
    assert s.s3.secret_access_key is not None
    assert s.s3.secret_access_key.get_secret_value() == "hunter2-very-secret"
