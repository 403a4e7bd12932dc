"""deploy/k8s/ is valid Kubernetes and deploys what docs/deploy.md says (issue 17).

Built-in kinds are validated offline with ``kubernetes-validate`` (it bundles the OpenAPI
schemas of each Kubernetes release) in strict mode, which also refuses unknown fields. KEDA's
``ScaledObject`` and ``TriggerAuthentication`` are custom resources it has no schema for: they
are validated with ``jsonschema`` against the schemas below, written from KEDA's documented
fields (keda.sh/docs/2.15: reference/scaledobject-spec, scalers/redis-lists and the
TriggerAuthentication reference). A kind neither knows is an error, not a skip. Each validator is
shown to fail on a broken copy of a shipped manifest.

Beyond the schemas: beat runs as exactly one replica, the workers scale on the depth of the
Celery queue their enrich task is routed to, every ENRICH_* variable is a setting the enricher
accepts, and credentials only ever come from the Secret the docs tell you to create.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from worker.core.queues import QUEUES
from worker.core.settings import CelerySettings, Settings, load_settings
from worker.tasks import names
from worker.tasks.app import make_app

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
KUBERNETES_VERSION = "1.37.0"
SECRET = "s3-enricher-credentials"
IMAGE = "s3-enricher"

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
    "additionalProperties": False,
}
# The redis scaler's metadata: a list and where its Redis is (address, or host and port).
_REDIS_METADATA = {
    "type": "object",
    "required": ["listName", "listLength"],
    "properties": {
        key: {"type": "string", "minLength": 1}
        for key in (
            "address",
            "addressFromEnv",
            "host",
            "hostFromEnv",
            "port",
            "portFromEnv",
            "usernameFromEnv",
            "passwordFromEnv",
            "listName",
            "listLength",
            "activationListLength",
            "databaseIndex",
            "enableTLS",
            "unsafeSsl",
        )
    },
    "additionalProperties": False,
    "anyOf": [
        {"required": ["address"]},
        {"required": ["addressFromEnv"]},
        {"required": ["host", "port"]},
        {"required": ["hostFromEnv", "portFromEnv"]},
    ],
}
_COUNT = {"type": "integer", "minimum": 0}
SCALED_OBJECT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "name": {"type": "string", "minLength": 1},
                        "envSourceContainerName": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
                "pollingInterval": _COUNT,
                "cooldownPeriod": _COUNT,
                "initialCooldownPeriod": _COUNT,
                "idleReplicaCount": _COUNT,
                "minReplicaCount": _COUNT,
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "fallback": {
                    "type": "object",
                    "required": ["failureThreshold", "replicas"],
                    "properties": {
                        "failureThreshold": {"type": "integer", "minimum": 1},
                        "replicas": _COUNT,
                        "behavior": {
                            "enum": [
                                "static",
                                "currentReplicas",
                                "currentReplicasIfHigher",
                                "currentReplicasIfLower",
                            ]
                        },
                    },
                    "additionalProperties": False,
                },
                "advanced": {
                    "type": "object",
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                # autoscaling/v2 HorizontalPodAutoscalerBehavior
                                "behavior": {
                                    "type": "object",
                                    "properties": {
                                        "scaleUp": {"$ref": "#/$defs/scalingRules"},
                                        "scaleDown": {"$ref": "#/$defs/scalingRules"},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                            "additionalProperties": False,
                        },
                        "scalingModifiers": {"type": "object"},
                    },
                    "additionalProperties": False,
                },
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": {"type": "string", "minLength": 1},
                            "name": {"type": "string"},
                            "metadata": _STRING_MAP,
                            "authenticationRef": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "kind": {
                                        "enum": [
                                            "TriggerAuthentication",
                                            "ClusterTriggerAuthentication",
                                        ]
                                    },
                                },
                                "additionalProperties": False,
                            },
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "useCachedMetrics": {"type": "boolean"},
                        },
                        "additionalProperties": False,
                        "if": {"properties": {"type": {"const": "redis"}}},
                        "then": {"properties": {"metadata": _REDIS_METADATA}},
                    },
                },
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
    "$defs": {
        "scalingRules": {
            "type": "object",
            "properties": {
                "stabilizationWindowSeconds": _COUNT,
                "selectPolicy": {"enum": ["Max", "Min", "Disabled"]},
                "policies": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "value", "periodSeconds"],
                        "properties": {
                            "type": {"enum": ["Pods", "Percent"]},
                            "value": {"type": "integer", "minimum": 1},
                            "periodSeconds": {"type": "integer", "minimum": 1, "maximum": 1800},
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        }
    },
}
_SECRET_TARGET = {
    "type": "object",
    "required": ["parameter", "name", "key"],
    "properties": {
        "parameter": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "key": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}
# The credential sources these manifests may use (KEDA knows more: vaults, cloud key stores).
TRIGGER_AUTHENTICATION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "TriggerAuthentication"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "secretTargetRef": {"type": "array", "minItems": 1, "items": _SECRET_TARGET},
                "configMapTargetRef": {"type": "array", "minItems": 1, "items": _SECRET_TARGET},
                "env": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parameter", "name"],
                        "properties": {
                            "parameter": {"type": "string"},
                            "name": {"type": "string"},
                            "containerName": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                },
                "podIdentity": {
                    "type": "object",
                    "required": ["provider"],
                    "properties": {"provider": {"type": "string"}},
                },
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT_SCHEMA,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TRIGGER_AUTHENTICATION_SCHEMA,
}
for _schema in CRD_SCHEMAS.values():
    jsonschema.Draft202012Validator.check_schema(_schema)


def _manifest_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml")


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def validate_resource(doc: dict[str, Any]) -> None:
    """Validate one resource: its CRD schema above, else Kubernetes' own (strict).

    :raises jsonschema.ValidationError: the resource does not match its schema.
    :raises kubernetes_validate.utils.SchemaNotFoundError: a kind nobody has a schema for.
    """
    schema = CRD_SCHEMAS.get((doc.get("apiVersion", ""), doc.get("kind", "")))
    if schema is not None:
        jsonschema.Draft202012Validator(schema).validate(doc)
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def validation_errors(path: Path) -> list[str]:
    """What is wrong with the resources of one manifest file (empty: all valid)."""
    errors = []
    for doc in _docs(path):
        try:
            validate_resource(doc)
        except Exception as exc:  # noqa: BLE001 - every validator's error is a finding here
            errors.append(f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}: {exc}")
    return errors


@pytest.fixture(scope="module")
def resources() -> dict[tuple[str, str], dict[str, Any]]:
    """Every shipped resource by (kind, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in _manifest_files():
        for doc in _docs(path):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} defined twice"
            found[key] = doc
    return found


def _deployment(resources: dict[tuple[str, str], dict[str, Any]], name: str) -> dict[str, Any]:
    return resources[("Deployment", f"s3-enricher-{name}")]


def _deployments(resources: dict[tuple[str, str], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (doc for (kind, _), doc in resources.items() if kind == "Deployment")


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers


# ---- schemas


@pytest.mark.parametrize("path", _manifest_files(), ids=lambda p: p.name)
def test_manifest_is_valid(path: Path) -> None:
    assert _docs(path), f"{path.name} holds no resource"
    assert validation_errors(path) == []


_DELETE = object()


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with ``_DELETE`` remove) the value at a dotted path (list indexes as numbers)."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = doc
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


# (file, resource kind, dotted path, new value): each breaks what a validator must catch.
BREAKAGES = [
    ("worker.yaml", "Deployment", "spec.replicas", "two"),
    ("worker.yaml", "Deployment", "spec.template.spec.containers.0.imagePullPolcy", "Always"),
    ("worker.yaml", "Deployment", "spec.template.spec.containers", _DELETE),
    ("review-ui.yaml", "Service", "spec.ports.0.port", "http"),
    ("beat.yaml", "Deployment", "spec.template.spec.containers.0.livenessProbe.exec.command", "ok"),
    ("configmap.yaml", "ConfigMap", "data.ENRICH_CELERY__CONCURRENCY", 2),
    ("keda.yaml", "ScaledObject", "spec.triggers.0.metadata.listName", _DELETE),
    ("keda.yaml", "ScaledObject", "spec.triggers.0.metadata.listLenght", "50"),
    ("keda.yaml", "ScaledObject", "spec.minReplicaCount", "one"),
    ("keda.yaml", "ScaledObject", "spec.scaleTargetRef", _DELETE),
    ("keda.yaml", "TriggerAuthentication", "spec.secretTargetRef.0.key", _DELETE),
]


@pytest.mark.parametrize(
    ("name", "kind", "path", "value"), BREAKAGES, ids=[f"{b[0]}:{b[2]}" for b in BREAKAGES]
)
def test_a_broken_manifest_is_refused(
    name: str, kind: str, path: str, value: Any, tmp_path: Path
) -> None:
    """A shipped manifest, broken in one place and written out again, fails validation."""
    docs = _docs(K8S_DIR / name)
    target = next(d for d in docs if d["kind"] == kind)
    _set(target, path, value)
    broken = tmp_path / name
    broken.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    errors = validation_errors(broken)
    assert len(errors) == 1 and errors[0].startswith(f"{kind}/"), errors


def test_an_unknown_kind_is_an_error_not_a_skip(tmp_path: Path) -> None:
    odd = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    path = tmp_path / "gadget.yaml"
    path.write_text(yaml.safe_dump(odd), encoding="utf-8")
    assert validation_errors(path) and "Gadget" in validation_errors(path)[0]


def test_kustomization_lists_every_manifest(
    resources: dict[tuple[str, str], dict[str, Any]],
) -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == [p.name for p in _manifest_files()]
    assert [i["name"] for i in kustomization["images"]] == [IMAGE]
    namespaces = [name for kind, name in resources if kind == "Namespace"]
    assert namespaces == [kustomization["namespace"]]


# ---- what the manifests deploy


def test_worker_beat_and_ui_are_there(resources: dict[tuple[str, str], dict[str, Any]]) -> None:
    commands = {
        doc["metadata"]["name"]: _containers(doc)[0]["command"][:2]
        for doc in _deployments(resources)
    }
    assert commands == {
        "s3-enricher-worker": ["enricher", "worker"],
        "s3-enricher-beat": ["enricher", "beat"],
        "s3-enricher-review-ui": ["enricher", "serve"],
    }
    for doc in _deployments(resources):
        selector = doc["spec"]["selector"]["matchLabels"]
        labels = doc["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), doc["metadata"]["name"]
        assert [c["image"] for c in _containers(doc)] == [IMAGE]
    service = resources[("Service", "s3-enricher-review-ui")]
    ui = _deployment(resources, "review-ui")
    assert (
        service["spec"]["selector"].items() <= ui["spec"]["template"]["metadata"]["labels"].items()
    )
    port_names = {p["name"] for p in _containers(ui)[0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_beat_runs_as_exactly_one_replica(
    resources: dict[tuple[str, str], dict[str, Any]],
) -> None:
    beat = _deployment(resources, "beat")
    assert beat["spec"]["replicas"] == 1
    # Recreate: during a rollout the old beat is gone before the new one starts.
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    scaled = [
        doc["spec"]["scaleTargetRef"]["name"]
        for (kind, _), doc in resources.items()
        if kind == "ScaledObject"
    ]
    hpas = [
        doc["spec"]["scaleTargetRef"]["name"]
        for (kind, _), doc in resources.items()
        if kind == "HorizontalPodAutoscaler"
    ]
    assert scaled == ["s3-enricher-worker"] and hpas == []


def test_workers_scale_on_the_enrich_queue(
    resources: dict[tuple[str, str], dict[str, Any]],
) -> None:
    scaled = resources[("ScaledObject", "s3-enricher-worker")]["spec"]
    assert scaled["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "s3-enricher-worker",
    }
    [trigger] = scaled["triggers"]
    assert trigger["type"] == "redis"
    # Celery on Redis keeps a queue's waiting messages in a list named after the queue.
    app = make_app(Settings())
    assert trigger["metadata"]["listName"] == app.conf.task_routes[names.ENRICH]["queue"]
    assert trigger["metadata"]["listName"] in QUEUES
    assert int(trigger["metadata"]["databaseIndex"]) == 0  # the broker's database in the docs
    assert int(trigger["metadata"]["listLength"]) > int(trigger["metadata"]["activationListLength"])
    # Zero workers would stall the jobs queue, which fills the enrich queue in the first place.
    assert 1 <= scaled["minReplicaCount"] < scaled["maxReplicaCount"]
    auth = resources[("TriggerAuthentication", trigger["authenticationRef"]["name"])]["spec"]
    assert auth["secretTargetRef"] == [
        {"parameter": "password", "name": SECRET, "key": "REDIS_PASSWORD"}
    ]


def test_workers_drain_before_they_are_killed(
    resources: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """A scale-down's SIGTERM starts Celery's warm shutdown: the running tasks (at most the
    hard time limit) finish before Kubernetes' SIGKILL."""
    worker = _deployment(resources, "worker")["spec"]
    limit = CelerySettings().task_time_limit_s
    assert worker["template"]["spec"]["terminationGracePeriodSeconds"] > limit
    assert worker["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def _quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)


def test_every_container_has_probes_limits_and_no_privileges(
    resources: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for doc in _deployments(resources):
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
        for container in pod["containers"]:
            where = (doc["metadata"]["name"], container["name"])
            res = container["resources"]
            for kind in ("cpu", "memory"):
                request, limit = res["requests"][kind], res["limits"][kind]
                assert 0 < _quantity(request) <= _quantity(limit), (where, kind)
            assert "livenessProbe" in container, where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, where  # writable scratch on a read-only root
    ui = _containers(_deployment(resources, "review-ui"))[0]
    assert ui["readinessProbe"]["httpGet"]["path"] == "/healthz"
    worker = _containers(_deployment(resources, "worker"))[0]
    assert "startupProbe" in worker  # the models load before the worker answers


def _env_of(
    container: dict[str, Any], resources: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, str]:
    """The container's environment, with a stand-in for each value taken from the Secret."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(resources[("ConfigMap", source["configMapRef"]["name"])]["data"])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            assert ref["name"] == SECRET, item
            env[item["name"]] = _STAND_INS.get(item["name"], "stand-in")
    return env


_STAND_INS = {
    "ENRICH_DATABASE_URL": "postgresql+psycopg://enricher:pw@postgres:5432/enricher",
    "ENRICH_CELERY__BROKER_URL": "redis://:pw@redis:6379/0",
    "ENRICH_CELERY__RESULT_BACKEND": "redis://:pw@redis:6379/1",
    "ATLAN_BASE_URL": "https://tenant.atlan.com",
}
# Values that carry a credential: from the Secret only, never written in a manifest.
CREDENTIALS = {
    "ENRICH_DATABASE_URL",
    "ENRICH_CELERY__BROKER_URL",
    "ENRICH_CELERY__RESULT_BACKEND",
    "ENRICH_S3__ACCESS_KEY_ID",
    "ENRICH_S3__SECRET_ACCESS_KEY",
    "ATLAN_API_KEY",
}


@pytest.mark.parametrize("name", ["worker", "beat", "review-ui"])
def test_settings_load_in_every_container(
    name: str,
    resources: dict[tuple[str, str], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The container's environment and mounted settings file are accepted by the enricher
    (an unknown ENRICH_* variable or key would stop it at start-up)."""
    deployment = _deployment(resources, name)
    [container] = _containers(deployment)
    env = _env_of(container, resources)
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    config_path = Path(env["ENRICHER_CONFIG"])
    config_map = mounts[str(config_path.parent)]["configMap"]["name"]
    config_file = tmp_path / config_path.name
    config_file.write_text(resources[("ConfigMap", config_map)]["data"][config_path.name])
    for key in [k for k in os.environ if k.upper().startswith("ENRICH_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(config_file)
    assert settings.celery.broker_url == _STAND_INS["ENRICH_CELERY__BROKER_URL"]
    assert settings.celery.schedules, "beat needs a schedule (or Atlan) to start"
    if name == "review-ui":
        assert settings.web.host == "0.0.0.0"
        assert "ENRICH_S3__SECRET_ACCESS_KEY" not in env  # the UI reads no S3
    if name == "beat":
        assert "ENRICH_DATABASE_URL" not in env  # it only sends tasks


def test_credentials_come_from_the_documented_secret_only(
    resources: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert not [key for key in resources if key[0] == "Secret"], "never ship a Secret"
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    used: set[str] = set()
    for deployment in _deployments(resources):
        for container in _containers(deployment):
            for item in container.get("env", []):
                if item["name"] in CREDENTIALS:
                    assert "valueFrom" in item, item["name"]
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    used.add(ref["key"])
    for (kind, _), resource in resources.items():
        if kind == "ConfigMap":
            assert not CREDENTIALS & set(resource["data"]), resource["metadata"]["name"]
        if kind == "TriggerAuthentication":
            used.update(ref["key"] for ref in resource["spec"]["secretTargetRef"])
    assert CREDENTIALS <= used
    for key in sorted(used):
        assert f"`{key}`" in doc, f"docs/deploy.md does not list the Secret key {key}"
