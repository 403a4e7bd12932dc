"""docker-compose.yml, Dockerfile and .dockerignore hang together.

The structure is checked in Python (no Docker engine is needed); when a Compose CLI is on the
machine, ``config -q`` must also accept the file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from worker import settings as settings_module
from worker.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"

CORE_SERVICES = {"minio", "minio-init", "redis", "postgres", "worker", "initial-job", "review-ui"}
LATER_SERVICES = {"flower"}

# A subset of the Compose specification: enough to catch typos and misplaced keys.
TOP_LEVEL_KEYS = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
SERVICE_KEYS = {
    "build",
    "image",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "depends_on",
    "healthcheck",
    "restart",
    "profiles",
    "networks",
    "user",
    "working_dir",
    "labels",
    "deploy",
    "pull_policy",
    "stop_grace_period",
    "container_name",
}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "disable"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _interpolate(value: str) -> str:
    """Compose-style ``${VAR:-default}`` with only the defaults (host environment ignored)."""
    text = _VAR.sub(lambda m: m.group("default") or "", value)
    assert "${" not in text and "$" not in text.replace("$$", ""), value
    return text.replace("$$", "$")


def _environment(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: None if v is None else _interpolate(str(v)) for k, v in env.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return deps


def _setting_path_problem(name: str) -> str | None:
    """Why ``name`` (an ``ENRICH_*`` variable) is not one leaf setting, or None if it is."""
    model: type[BaseModel] | None = Settings
    parts = name.removeprefix("ENRICH_").lower().split("__")
    for i, part in enumerate(parts):
        if model is None:
            return f"{'__'.join(parts[:i])} is not a section"
        if part not in model.model_fields:
            return f"{part!r} is not a field of {model.__name__}"
        annotation = model.model_fields[part].annotation
        nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if nested else None
    if model is not None:
        return "names a whole section, not a setting"
    return None


def test_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert CORE_SERVICES | LATER_SERVICES <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name


def test_keys_follow_the_spec(compose: dict[str, Any], services: dict[str, Any]) -> None:
    for key in compose:
        assert key in TOP_LEVEL_KEYS or key.startswith("x-"), key
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        if "healthcheck" in service:
            assert set(service["healthcheck"]) <= HEALTHCHECK_KEYS, name
            assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL", "NONE"}, name


def test_depends_on_targets_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, spec in _depends_on(service).items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            condition = spec.get("condition", "service_started")
            assert condition in CONDITIONS, (name, target, condition)
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            # A core service must not wait for one that only starts with a profile.
            if "profiles" not in service:
                assert "profiles" not in services[target], (name, target)


def test_healthchecks_and_startup_order(services: dict[str, dict[str, Any]]) -> None:
    for name in ("minio", "redis", "postgres"):
        assert "healthcheck" in services[name], name
    worker_deps = _depends_on(services["worker"])
    assert worker_deps["minio-init"]["condition"] == "service_completed_successfully"
    assert worker_deps["redis"]["condition"] == "service_healthy"
    assert worker_deps["postgres"]["condition"] == "service_healthy"
    assert _depends_on(services["minio-init"])["minio"]["condition"] == "service_healthy"
    init_cmd = " ".join(services["minio-init"]["command"])
    assert "mc mb --ignore-existing local/lake" in init_cmd


def test_profiles(services: dict[str, dict[str, Any]]) -> None:
    for name in CORE_SERVICES:
        assert "profiles" not in services[name], name
    for name in LATER_SERVICES:
        assert services[name]["profiles"] == ["later"], name
    assert services["review-ui"]["command"] == ["enricher", "serve"]
    assert services["flower"]["command"] == ["celery", "--broker=redis://redis:6379/0", "flower"]
    assert services["worker"]["command"] == ["enricher", "worker", "--concurrency", "2"]
    assert services["initial-job"]["command"] == ["enricher", "job", "start", "s3://lake/"]


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
            else:
                assert (REPO_ROOT / source).exists(), source
    assert used and used == declared


def test_worker_env_vars_are_real_settings(services: dict[str, dict[str, Any]]) -> None:
    for name in ("worker", "review-ui"):
        env = _environment(services[name])
        enrich = {k: v for k, v in env.items() if k.upper().startswith("ENRICH_")}
        assert enrich, name
        for key in enrich:
            assert key == key.upper(), key
            problem = _setting_path_problem(key)
            assert problem is None, f"{name}: {key}: {problem}"
        # The settings module's own check agrees.
        assert settings_module._unknown_env_keys({k: v or "" for k, v in enrich.items()}) == []
    env = _environment(services["worker"])
    assert env["ENRICH_S3__ENDPOINT_URL"] == "http://minio:9000"
    assert env["ENRICH_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "ATLAN_BASE_URL" in env and env["ATLAN_BASE_URL"] is None  # passed through
    assert "ATLAN_API_KEY" in env and env["ATLAN_API_KEY"] is None
    minio_env = _environment(services["minio"])
    assert env["ENRICH_S3__ACCESS_KEY_ID"] == minio_env["MINIO_ROOT_USER"]
    assert env["ENRICH_S3__SECRET_ACCESS_KEY"] == minio_env["MINIO_ROOT_PASSWORD"]


def test_worker_env_loads(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.upper().startswith("ENRICH_"):
            monkeypatch.delenv(key)
    env = _environment(services["worker"])
    for key, value in env.items():
        if key.startswith("ENRICH_") and value is not None:
            monkeypatch.setenv(key, value)
    loaded = load_settings()
    assert loaded.s3.endpoint_url == "http://minio:9000"
    assert loaded.s3.access_key_id is not None
    assert loaded.database_url == env["ENRICH_DATABASE_URL"]


def test_dockerfile_and_ignore_agree() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "pip install ." in dockerfile
    ignored = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for sources in re.findall(r"^COPY\s+(.+?)\s+\S+$", dockerfile, re.MULTILINE):
        for source in sources.split():
            plain = source.rstrip("*")
            assert plain not in ignored, f"{source} is copied but .dockerignore drops it"
            if not source.endswith("*"):
                assert (REPO_ROOT / source).exists(), source
    for package in ("models", "classifiers", "worker"):
        assert f"COPY {package} " in dockerfile, package


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
    return [docker, "compose"] if probe.returncode == 0 else None


def test_compose_cli_accepts_the_file(tmp_path: Path) -> None:
    """``docker compose config -q`` when the Compose v2 plugin is installed; else the legacy
    ``docker-compose`` (v1, which predates the top-level ``name``) on a copy without it; the
    structural tests above run either way."""
    cli = _compose_cli()
    if cli is not None:
        target = COMPOSE_FILE
    else:
        legacy = shutil.which("docker-compose")
        if legacy is None:
            return  # no Compose CLI on this machine: the structural tests stand alone
        text = COMPOSE_FILE.read_text(encoding="utf-8")
        target = tmp_path / "docker-compose.yml"
        target.write_text(re.sub(r"^name:.*\n", "", text, flags=re.MULTILINE), "utf-8")
        cli = [legacy]
    for profile in ([], ["--profile", "later"]):
        result = subprocess.run(
            [*cli, "-f", str(target), "--project-directory", str(REPO_ROOT), *profile]
            + ["config", "-q"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
