"""``enricher atlan check``: what the API token can do, one result per capability.

Every check is a read: type definitions, the connections by qualified name, and Atlas's
permission evaluator (``POST /api/meta/entity/evaluator``, ``EntityREST.evaluatePolicies``),
which answers "may this token do X to Y?" without doing it. Y may be an asset that does not
exist yet: Atlas then judges it by its type and qualified name, as persona policies do, so
the probes name would-be assets (``s3-enricher-preflight``) and nothing is written.

Capabilities, in order (names are stable):

* ``connectivity``: type definitions are readable, i.e. Atlan answers and takes the API key.
  When it fails nothing else is checked.
* ``tags``, ``custom metadata``: the definitions s3-enricher writes exist (``definitions``
  notes that only an admin can create them, when some are missing).
* ``connection``: the S3 connection exists and the token may read it.
* ``write S3 assets``: create, read, update, archive, set custom metadata, add and remove
  tags on bucket and object assets in the S3 connection.
* ``lineage`` (when lineage is configured): create lineage processes and prefix datasets in
  the S3 connection; ``lineage postgres`` / ``snowflake`` / ``redshift`` (per configured
  table connection): the connection is readable, its tables may be linked to processes and
  its columns updated and tagged.

A denied action becomes one line of the result's message (lines are separated by newlines) naming
the persona permission to grant and the connection. pyatlan 11.6 has no method for the
evaluator: it is called through the client's ``_call_api``, so the API key, retries and
error handling are pyatlan's own. A tenant without the endpoint (404) gets "could not verify"
for the capabilities that need it, never a crash. :func:`run_preflight` never raises.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from worker.adapters.atlan.client import atlan_errors, http_status
from worker.adapters.atlan.lookup import read_asset
from worker.core.errors import (
    CatalogAuthError,
    CatalogPermissionDenied,
    CatalogUnavailable,
    CatalogWriteError,
    EnrichmentError,
)
from worker.core.plan.cm_values import missing_attributes
from worker.core.plan.desired import CM_ATTRIBUTES

if TYPE_CHECKING:
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.core.settings import LineageSettings

logger = logging.getLogger(__name__)

#: The would-be assets the probes name (never created).
PROBE_BUCKET = "s3-enricher-preflight"
PROBE_KEY = "probe.csv"
PROBE_PROCESS = "s3-enricher-preflight"
#: Where persona permissions are granted in Atlan's UI.
_WHERE = "(Governance > Personas > Metadata policies)"
#: Atlas evaluator action -> the persona permission that grants it.
PERMISSION = {
    "ENTITY_READ": "Read",
    "ENTITY_CREATE": "Create",
    "ENTITY_UPDATE": "Update",
    "ENTITY_DELETE": "Delete",
    "ENTITY_UPDATE_BUSINESS_METADATA": "Update custom metadata",
    "ENTITY_ADD_CLASSIFICATION": "Add tags",
    "ENTITY_REMOVE_CLASSIFICATION": "Remove tags",
    "RELATIONSHIP_ADD": "Update",
}
#: Lineage table connections: (settings attribute, capability suffix).
_TABLE_CONNECTIONS = (
    ("postgres_connection_qualified_name", "postgres"),
    ("snowflake_connection_qualified_name", "snowflake"),
    ("redshift_connection_qualified_name", "redshift"),
)
#: Atlas's relationship types of ``Process.inputs`` and ``Process.outputs``.
_INPUTS, _OUTPUTS = "dataset_process_inputs", "process_dataset_outputs"
#: The fields Atlas echoes in its answer that tell the requests apart.
_ANSWER_FIELDS = (
    "action",
    "typeName",
    "entityId",
    "classification",
    "entityIdEnd1",
    "entityIdEnd2",
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of ``enricher atlan check``."""

    name: str
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class Probe:
    """One question to the evaluator and what a "no" means.

    :param request: the ``AtlasEvaluatePolicyRequest`` (JSON keys as Atlas names them).
    :param connection: the connection whose persona policy must grant it.
    :param purpose: what s3-enricher needs the action for (a few words).
    """

    request: dict[str, str]
    connection: str
    purpose: str

    @property
    def permission(self) -> str:
        """The persona permission that grants the action."""
        return PERMISSION.get(self.request["action"], self.request["action"])

    @property
    def key(self) -> tuple[str, ...]:
        """What identifies the probe in the evaluator's answer."""
        return _answer_key(self.request)


def entity_probe(
    action: str,
    type_name: str,
    qualified_name: str,
    connection: str,
    purpose: str,
    classification: str | None = None,
) -> Probe:
    """A probe: may the token do ``action`` to the (possibly not yet existing) asset."""
    request = {"action": action, "typeName": type_name, "entityId": qualified_name}
    if classification is not None:
        request["classification"] = classification
    return Probe(request, connection, purpose)


def relationship_probe(
    relationship: str,
    end1: tuple[str, str],
    end2: tuple[str, str],
    connection: str,
    purpose: str,
) -> Probe:
    """A probe: may the token relate the two (type name, qualified name) assets."""
    request = {
        "action": "RELATIONSHIP_ADD",
        "relationShipTypeName": relationship,
        "entityTypeEnd1": end1[0],
        "entityIdEnd1": end1[1],
        "entityTypeEnd2": end2[0],
        "entityIdEnd2": end2[1],
    }
    return Probe(request, connection, purpose)


def _answer_key(item: dict[str, Any]) -> tuple[str, ...]:
    """What identifies an evaluator request in its answer (Atlas echoes these fields)."""
    return tuple(str(item.get(k) or "") for k in _ANSWER_FIELDS)


class EvaluatorUnavailable(Exception):
    """The tenant's Atlas has no permission evaluator, or its answer is unusable."""


def evaluate(client: Any, probes: Sequence[Probe]) -> list[bool | None]:
    """Atlas's answer to each probe: allowed, denied, or ``None`` (no answer for it).

    :raises EvaluatorUnavailable: the endpoint does not exist (404) or answered no list.
    :raises CatalogWriteError: Atlan refused the key, is unavailable, or rejected the request.
    """
    from http import HTTPStatus

    from pyatlan.errors import NotFoundError
    from pyatlan.utils import API, EndPoint, HTTPMethod

    api = API("entity/evaluator", HTTPMethod.POST, HTTPStatus.OK, endpoint=EndPoint.ATLAS)
    try:
        with atlan_errors("asking Atlan's permission evaluator what the API token may do"):
            answer = client._call_api(api, request_obj=[p.request for p in probes])
    except CatalogWriteError as exc:
        cause = exc.__cause__
        status = http_status(cause)
        if isinstance(cause, NotFoundError) or status == 404:
            raise EvaluatorUnavailable(
                "Atlan has no permission evaluator (POST /api/meta/entity/evaluator: HTTP 404)"
            ) from exc
        if isinstance(exc, CatalogPermissionDenied):
            raise EvaluatorUnavailable(
                "Atlan refused its permission evaluator to this token (HTTP 403)"
            ) from exc
        raise
    if answer is None:  # pyatlan's answer to a 503 (after its retries) or an empty body
        raise CatalogUnavailable(
            "Atlan's permission evaluator is unavailable (HTTP 503 or an empty answer)"
        )
    if not isinstance(answer, list):
        raise EvaluatorUnavailable("Atlan's permission evaluator did not answer with a list")
    by_key: dict[tuple[str, ...], bool] = {}
    for item in answer:
        if isinstance(item, dict) and isinstance(item.get("allowed"), bool):
            by_key.setdefault(_answer_key(item), item["allowed"])
    out: list[bool | None] = [by_key.get(p.key) for p in probes]
    if None in out and len(answer) == len(probes):
        # Atlas answers in request order; use it where the echoed fields differ from ours.
        for i, item in enumerate(answer):
            if out[i] is None and isinstance(item, dict) and isinstance(item.get("allowed"), bool):
                out[i] = item["allowed"]
    return out


def _denials(probes: Sequence[Probe], answers: Sequence[bool | None]) -> list[str]:
    """One line per missing permission (per connection), in the order of the probes."""
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    unanswered: list[str] = []
    for probe, allowed in zip(probes, answers, strict=True):
        if allowed is None:
            action = probe.request["action"]
            if action not in unanswered:
                unanswered.append(action)
            continue
        if allowed or (probe.permission, probe.connection) in seen:
            continue
        seen.add((probe.permission, probe.connection))
        lines.append(
            f"{probe.purpose} is denied: grant the token's persona '{probe.permission}' on "
            f"connection {probe.connection} {_WHERE}"
        )
    if unanswered:
        lines.append(
            "could not verify (Atlan's permission evaluator gave no answer for "
            f"{', '.join(unanswered)})"
        )
    return lines


def _message(exc: BaseException) -> str:
    if isinstance(exc, EnrichmentError):
        return exc.message
    if isinstance(exc, EvaluatorUnavailable):
        return f"could not verify ({exc}); an Atlan admin can confirm the persona instead"
    return f"could not check ({type(exc).__name__})"


class _Preflight:
    def __init__(self, writer: AtlanCatalogWriter, lineage: LineageSettings | None) -> None:
        self.writer = writer
        self.settings = writer.settings
        self.lineage = lineage
        self.client: Any = None
        self.connection_qn: str | None = None
        self.tag_id: str | None = None
        self.tag_name: str | None = None
        self.definitions_missing = False

    # -- one capability each -------------------------------------------------------------

    def connectivity(self) -> tuple[bool, str]:
        self.client = self.writer.client
        with atlan_errors("reading type definitions"):
            self.client.atlan_tag_cache.refresh_cache()
        return True, f"Atlan at {self.client.base_url} answered; API key accepted"

    def tags(self) -> tuple[bool, str]:
        cache = self.client.atlan_tag_cache
        with atlan_errors("reading tag definitions"):
            ids = {n: cache.get_id_for_name(n) for n in self.writer.tag_names()}
        missing = [n for n, i in ids.items() if i is None]
        for name, tag_id in ids.items():  # the tag the probes ask to add and remove
            if tag_id is not None:
                self.tag_name, self.tag_id = name, str(tag_id)
                break
        if missing:
            self.definitions_missing = True
            return False, f"missing tags: {', '.join(missing)} (run `enricher atlan init`)"
        return True, f"all {len(ids)} tag definitions exist"

    def custom_metadata(self) -> tuple[bool, str]:
        from pyatlan.errors import NotFoundError

        name = self.settings.custom_metadata_set
        cache = self.client.custom_metadata_cache
        with atlan_errors("reading custom metadata definitions"):
            cache.refresh_cache()
            try:
                definition = cache.get_custom_metadata_def(name)
            except NotFoundError:
                self.definitions_missing = True
                return False, f"custom metadata set {name!r} is missing (run `enricher atlan init`)"
        lacking = missing_attributes(definition, CM_ATTRIBUTES)
        if lacking:
            self.definitions_missing = True
            return False, (
                f"custom metadata set {name!r} lacks {', '.join(lacking)} "
                "(run `enricher atlan init` to add them)"
            )
        return True, f"custom metadata set {name!r} has all {len(CM_ATTRIBUTES)} attributes"

    def connection(self) -> tuple[bool, str]:
        qn = self.writer.connection_qualified_name()
        self.connection_qn = qn
        return self._readable(qn, "S3 connection", "atlan.connection_qualified_name")

    def _readable(self, qn: str, what: str, setting: str) -> tuple[bool, str]:
        from pyatlan.model.assets import Connection

        try:
            found = read_asset(self.client, Connection, qn)
            if found is None:
                return False, f"{what} {qn} does not exist in Atlan (check {setting})"
        except CatalogPermissionDenied:
            return False, (
                f"may not read the {what} {qn}: grant the token's persona 'Read' on "
                f"connection {qn} {_WHERE}"
            )
        name = getattr(found, "name", None)
        return True, f"{what} {qn}" + (f" ({name!r})" if name else "") + " is readable"

    def write_s3_assets(self) -> tuple[bool, str]:
        conn = self._need_connection()
        naming = self.writer.naming()
        bucket = naming.bucket(PROBE_BUCKET)
        obj = naming.object(PROBE_BUCKET, PROBE_KEY)
        probes = [
            entity_probe("ENTITY_READ", "S3Object", obj, conn, "reading S3 objects"),
            *(
                entity_probe(action, type_name, qn, conn, f"{verb} bucket and object assets")
                for action, verb in (("ENTITY_CREATE", "creating"), ("ENTITY_UPDATE", "updating"))
                for type_name, qn in (("S3Bucket", bucket), ("S3Object", obj))
            ),
            entity_probe(
                "ENTITY_UPDATE_BUSINESS_METADATA",
                "S3Object",
                obj,
                conn,
                f"setting custom metadata {self.settings.custom_metadata_set!r}",
            ),
            entity_probe(
                "ENTITY_DELETE", "S3Object", obj, conn, "archiving assets of deleted objects"
            ),
        ]
        probes += self._tag_probes("S3Object", obj, conn, "objects")
        return self._verdict(
            probes,
            f"may create, read, update and archive S3 assets, set custom metadata"
            f"{' and add/remove tags' if self.tag_id else ''} in {conn}",
        )

    def lineage_processes(self) -> tuple[bool, str]:
        conn = self._need_connection()
        process = f"{conn}/{PROBE_PROCESS}"
        prefix = self.writer.naming().prefix(PROBE_BUCKET, "preflight")
        what = "lineage processes and prefix datasets"
        probes = [
            entity_probe(action, type_name, qn, conn, f"{verb} {what}")
            for action, verb in (("ENTITY_CREATE", "creating"), ("ENTITY_UPDATE", "updating"))
            for type_name, qn in (("Process", process), ("S3Prefix", prefix))
        ]
        return self._verdict(probes, f"may create lineage processes and prefix datasets in {conn}")

    def table_connection(self, system: str, qn: str, setting: str) -> tuple[bool, str]:
        readable, message = self._readable(qn, f"{system} connection", setting)
        table = f"{qn}/{PROBE_PROCESS}/preflight/probe"
        column = f"{table}/probe"
        linking = "linking tables to lineage and tagging their columns"
        probes = [
            entity_probe("ENTITY_UPDATE", "Table", table, qn, linking),
            entity_probe("ENTITY_UPDATE", "Column", column, qn, linking),
        ]
        probes += self._tag_probes("Column", column, qn, "table columns", remove=False)
        if self.connection_qn is not None:
            process = ("Process", f"{self.connection_qn}/{PROBE_PROCESS}")
            purpose = "lineage inputs and outputs"
            probes += [
                relationship_probe(_INPUTS, ("Table", table), process, qn, purpose),
                relationship_probe(_OUTPUTS, process, ("Table", table), qn, purpose),
            ]
        lines = [] if readable else [message]
        try:
            lines += _denials(probes, evaluate(self.client, probes))
        except CatalogAuthError:
            raise
        except (CatalogWriteError, EvaluatorUnavailable) as exc:
            lines.append(_message(exc))
        if lines:
            return False, "\n".join(lines)
        return True, f"{message}; may link its tables to lineage and tag their columns"

    # -- helpers -----------------------------------------------------------------------------

    def _need_connection(self) -> str:
        if self.connection_qn is None:
            raise _NotChecked("not checked: no S3 connection (see `connection` above)")
        return self.connection_qn

    def _tag_probes(
        self, type_name: str, qn: str, conn: str, what: str, *, remove: bool = True
    ) -> list[Probe]:
        if self.tag_id is None:
            return []  # no tag is defined: `tags` says so; nothing to ask about
        tag = f"tag {self.tag_name!r}"
        probes = [
            entity_probe(
                "ENTITY_ADD_CLASSIFICATION",
                type_name,
                qn,
                conn,
                f"adding {tag} to {what}",
                self.tag_id,
            )
        ]
        if remove:
            probes.append(
                entity_probe(
                    "ENTITY_REMOVE_CLASSIFICATION",
                    type_name,
                    qn,
                    conn,
                    f"removing {tag} from {what}",
                    self.tag_id,
                )
            )
        return probes

    def _verdict(self, probes: Sequence[Probe], allowed: str) -> tuple[bool, str]:
        lines = _denials(probes, evaluate(self.client, probes))
        return (not lines, "\n".join(lines) if lines else allowed)


class _NotChecked(Exception):
    """A capability that cannot be checked because an earlier one failed."""


def _lineage_configured(lineage: LineageSettings) -> bool:
    return any(
        (
            lineage.declared_file,
            lineage.postgres_url,
            lineage.snowflake_schema_file,
            *(getattr(lineage, attr) for attr, _ in _TABLE_CONNECTIONS),
        )
    )


def run_preflight(
    writer: AtlanCatalogWriter, lineage: LineageSettings | None = None
) -> list[CheckResult]:
    """Check what s3-enricher needs from Atlan, one result per capability (never raises).

    Only reads: definitions, connections by qualified name, the permission evaluator.

    :param writer: the Atlan writer (its settings, client and S3 connection).
    :param lineage: the lineage settings; when lineage is configured, its capabilities are
        checked too (the S3 connection's processes and each table connection).
    :returns: results in a stable order; a failed result's message has one line per missing
        permission.
    """
    pf = _Preflight(writer, lineage)
    results: list[CheckResult] = []

    def run(name: str, check: Callable[[], tuple[bool, str]]) -> bool:
        try:
            ok, message = check()
        except _NotChecked as exc:
            ok, message = False, str(exc)
        except Exception as exc:  # a check reports, it never raises
            if not isinstance(exc, (EnrichmentError, EvaluatorUnavailable)):
                logger.warning("atlan check %r failed unexpectedly", name, exc_info=True)
            ok, message = False, _message(exc)
        results.append(CheckResult(name, ok, message))
        return ok

    if not run("connectivity", pf.connectivity):
        return results  # nothing else can work
    run("tags", pf.tags)
    run("custom metadata", pf.custom_metadata)
    if pf.definitions_missing:
        results.append(
            CheckResult(
                "definitions",
                True,
                "only the workspace admin role ($admin) may define tags and custom metadata: "
                "unless this token is an admin's, ask an admin to run `enricher atlan init`",
            )
        )
    run("connection", pf.connection)
    run("write S3 assets", pf.write_s3_assets)
    if lineage is not None and _lineage_configured(lineage):
        run("lineage", pf.lineage_processes)
        for attr, system in _TABLE_CONNECTIONS:
            qn = getattr(lineage, attr)
            if qn:
                label = {"postgres": "PostgreSQL"}.get(system, system.capitalize())
                run(
                    f"lineage {system}",
                    functools.partial(pf.table_connection, label, qn, f"lineage.{attr}"),
                )
    return results
