"""``enricher atlan check``: a preflight of what the API token may do, with reads only.

Real pyatlan 11.6 against ``tests/support/atlan_server.py``: tokens are users with personas, and
Atlas's permission evaluator (``POST entity/evaluator``) answers what they may do to assets
that need not exist. Every test asserts that the preflight sent no mutating request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import READ, FakeAtlan
from tests.support.cli import run_enricher
from worker.adapters.atlan.preflight import CheckResult, run_preflight
from worker.adapters.atlan.writer import AtlanCatalogWriter
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.settings import AtlanSettings, LineageSettings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client

SETTINGS = AtlanSettings(enabled=True, max_retries=1, backoff_s=0.05)
PG = "default/postgres/1700000000"
SF = "default/snowflake/1700000001"


@dataclass
class Rig:
    server: FakeAtlan
    admin: AtlanCatalogWriter
    tmp_path: Path
    clients: list[Any]

    @property
    def connection(self) -> str:
        return self.admin.connection_qualified_name()

    def writer(self, api_key: str, settings: AtlanSettings | None = None) -> AtlanCatalogWriter:
        """A writer using ``api_key``, configured with the S3 connection ``init`` created."""
        client = _atlan.make_atlan_client(self.server, api_key=api_key, total_retries=1)
        self.clients.append(client)
        settings = (settings or SETTINGS).model_copy(
            update={"connection_qualified_name": self.connection}
        )
        state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{self.tmp_path / f'{api_key}.db'}"))
        return AtlanCatalogWriter(settings, state, client=client)

    def check(
        self, writer: AtlanCatalogWriter, lineage: LineageSettings | None = None
    ) -> dict[str, CheckResult]:
        """Run the preflight; assert it wrote nothing and never asked twice by name."""
        before = len(self.server.mutating_requests())
        results = run_preflight(writer, lineage)
        assert len(self.server.mutating_requests()) == before, "the preflight wrote to Atlan"
        names = [r.name for r in results]
        assert len(names) == len(set(names)), names
        return {r.name: r for r in results}


#: The persona permissions s3-enricher needs on its S3 connection, in the order check lists them.
S3_PERMISSIONS = ["Create", "Update", "Update custom metadata", "Delete", "Add tags", "Remove tags"]


@pytest.fixture
def rig(atlan_server: FakeAtlan, atlan_client: Any, tmp_path: Path) -> Iterator[Rig]:
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'admin.db'}"))
    admin = AtlanCatalogWriter(SETTINGS, state, client=atlan_client)
    admin.init()
    atlan_server.add_entity("Connection", PG, {"name": "crm", "connectorName": "postgres"})
    atlan_server.add_entity("Connection", SF, {"name": "dwh", "connectorName": "snowflake"})
    r = Rig(atlan_server, admin, tmp_path, [])
    try:
        yield r
    finally:
        for client in r.clients:
            _atlan.close_atlan_client(client)


def _lines(result: CheckResult) -> list[str]:
    return result.message.splitlines()


def _permission(line: str) -> str:
    """The persona permission a denial line asks to grant."""
    found = re.search(r"grant the token's persona '([^']+)' on connection ", line)
    assert found, line
    return found.group(1)


def _cli_env(server: FakeAtlan, tmp_path: Path, api_key: str) -> dict[str, str]:
    return {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "ENRICH_ATLAN__ENABLED": "true",
        "ENRICH_ATLAN__MAX_RETRIES": "1",
        "ENRICH_ATLAN__BACKOFF_S": "0.05",
        "ENRICH_LINEAGE__POSTGRES_CONNECTION_QUALIFIED_NAME": PG,
        "ATLAN_BASE_URL": server.base_url,
        "ATLAN_API_KEY": api_key,
    }


# (a) ---------------------------------------------------------------------------- all ok


def test_cli_admin_token_after_init_is_all_ok(rig: Rig, tmp_path: Path) -> None:
    env = _cli_env(rig.server, tmp_path, _atlan.API_KEY)  # finds init's connection by name
    before = len(rig.server.mutating_requests())

    check = run_enricher(["atlan", "check"], env, tmp_path)

    assert check.returncode == 0, check.stdout + check.stderr
    assert len(rig.server.mutating_requests()) == before
    lines = check.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [
        "ok   connectivity",
        "ok   tags",
        "ok   custom metadata",
        "ok   connection",
        "ok   write S3 assets",
        "ok   lineage",
        "ok   lineage postgres",
    ], check.stdout
    assert rig.connection in check.stdout and PG in check.stdout
    evaluated = [r for r in rig.server.requests if r.path.endswith("/entity/evaluator")]
    assert evaluated and all(r.status == 200 for r in evaluated)


def test_admin_writer_check_without_lineage(rig: Rig) -> None:
    results = rig.check(rig.admin)
    assert all(r.ok for r in results.values()), results
    assert list(results) == [
        "connectivity",
        "tags",
        "custom metadata",
        "connection",
        "write S3 assets",
    ]
    assert run_preflight(rig.admin) == list(results.values())  # the writer's own entry point


# (b) ------------------------------------------------------------------ read-only persona


def test_read_only_persona_names_every_permission_to_grant(rig: Rig) -> None:
    rig.server.add_token("reader-key")
    rig.server.grant("reader-key", rig.connection, READ)

    results = rig.check(rig.writer("reader-key"))

    assert results["connectivity"].ok and results["tags"].ok
    assert results["custom metadata"].ok and results["connection"].ok
    write = results["write S3 assets"]
    assert not write.ok
    lines = _lines(write)
    permissions = [_permission(line) for line in lines]
    assert permissions == S3_PERMISSIONS, lines
    for line in lines:
        assert rig.connection in line and "grant the token's persona" in line
        assert "Governance > Personas" in line
    assert "Read" not in permissions  # granted


def test_cli_read_only_persona_exits_1_with_one_line_per_permission(
    rig: Rig, tmp_path: Path
) -> None:
    rig.server.add_token("reader-key")
    rig.server.grant("reader-key", rig.connection, READ)
    env = _cli_env(rig.server, tmp_path, "reader-key")
    env["ENRICH_ATLAN__CONNECTION_QUALIFIED_NAME"] = rig.connection
    before = len(rig.server.mutating_requests())

    check = run_enricher(["atlan", "check"], env, tmp_path)

    assert check.returncode == 1, check.stdout + check.stderr
    assert len(rig.server.mutating_requests()) == before
    fails = [line for line in check.stdout.splitlines() if line.startswith("FAIL")]
    write = [line for line in fails if line.startswith("FAIL write S3 assets: ")]
    assert len(write) == 6
    assert [_permission(line) for line in write] == S3_PERMISSIONS
    assert all(rig.connection in line for line in write), write
    # PostgreSQL: neither readable nor linkable; lineage processes: not creatable.
    assert any(line.startswith("FAIL lineage postgres: may not read") for line in fails)
    assert "FAIL lineage: creating lineage processes and prefix datasets is denied" in check.stdout
    assert "ok   connection:" in check.stdout


# (c) ------------------------------------------------------- lineage connection not granted


def test_lineage_connection_configured_but_not_granted(rig: Rig) -> None:
    rig.server.add_token("s3-only-key")
    rig.server.grant("s3-only-key", rig.connection)  # everything on the S3 connection
    lineage = LineageSettings(
        postgres_connection_qualified_name=PG, snowflake_connection_qualified_name=SF
    )
    rig.server.grant("s3-only-key", SF)  # Snowflake: everything

    results = rig.check(rig.writer("s3-only-key"), lineage)

    assert results["write S3 assets"].ok and results["lineage"].ok
    assert results["lineage snowflake"].ok, results["lineage snowflake"]
    postgres = results["lineage postgres"]
    assert not postgres.ok
    lines = _lines(postgres)
    assert lines[0].startswith(f"may not read the PostgreSQL connection {PG}")
    assert "'Read'" in lines[0]
    assert all(PG in line for line in lines)
    assert [_permission(line) for line in lines] == ["Read", "Update", "Add tags"]


def test_lineage_connection_that_does_not_exist(rig: Rig) -> None:
    lineage = LineageSettings(redshift_connection_qualified_name="default/redshift/1")
    results = rig.check(rig.admin, lineage)
    redshift = results["lineage redshift"]
    assert not redshift.ok
    assert "default/redshift/1 does not exist" in redshift.message
    assert "lineage.redshift_connection_qualified_name" in redshift.message


def test_lineage_read_only_on_the_table_connection(rig: Rig) -> None:
    rig.server.add_token("pg-reader")
    rig.server.grant("pg-reader", rig.connection)
    rig.server.grant("pg-reader", PG, READ)
    lineage = LineageSettings(postgres_connection_qualified_name=PG)

    results = rig.check(rig.writer("pg-reader"), lineage)

    postgres = results["lineage postgres"]
    assert not postgres.ok
    lines = _lines(postgres)
    assert not any("may not read" in line for line in lines)
    assert lines and all(PG in line and "grant the token's persona" in line for line in lines)


# (d) ---------------------------------------------------------------- missing definitions


def test_missing_tag_definition_is_named(rig: Rig) -> None:
    rig.server.delete_tag("PII Email")

    results = rig.check(rig.writer(_atlan.API_KEY))

    tags = results["tags"]
    assert not tags.ok
    assert tags.message == "missing tags: PII Email (run `enricher atlan init`)"
    assert "$admin" in results["definitions"].message
    assert results["definitions"].ok  # a note, not a failure of its own
    assert results["write S3 assets"].ok  # the umbrella tag still exists: probes use it


def test_missing_custom_metadata_attribute_is_named(
    atlan_server: FakeAtlan, atlan_client: Any, tmp_path: Path
) -> None:
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    writer = AtlanCatalogWriter(SETTINGS, state, client=atlan_client)
    writer.init()
    with atlan_server._lock:  # an older s3-enricher's set, without "Reviewed by"
        (cm,) = atlan_server._typedefs["businessMetadataDefs"]
        cm["attributeDefs"] = [a for a in cm["attributeDefs"] if a["displayName"] != "Reviewed by"]
    before = len(atlan_server.mutating_requests())

    results = {r.name: r for r in run_preflight(writer)}

    assert len(atlan_server.mutating_requests()) == before
    cm_result = results["custom metadata"]
    assert not cm_result.ok and "lacks Reviewed by" in cm_result.message
    assert "enricher atlan init" in cm_result.message


def test_before_init_nothing_is_defined(
    atlan_server: FakeAtlan, atlan_client: Any, tmp_path: Path
) -> None:
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    writer = AtlanCatalogWriter(SETTINGS, state, client=atlan_client)
    before = len(atlan_server.mutating_requests())

    results = {r.name: r for r in run_preflight(writer)}

    assert len(atlan_server.mutating_requests()) == before
    assert results["connectivity"].ok
    assert "missing tags" in results["tags"].message
    assert "is missing" in results["custom metadata"].message
    assert not results["connection"].ok and "enricher atlan init" in results["connection"].message
    assert not results["write S3 assets"].ok
    assert results["write S3 assets"].message.startswith("not checked")


# (e) --------------------------------------------------------------------- wrong API key


def test_wrong_api_key_fails_connectivity_and_nothing_else(rig: Rig) -> None:
    results = rig.check(rig.writer("wrong-key"))

    assert list(results) == ["connectivity"]
    assert not results["connectivity"].ok
    assert "API key" in results["connectivity"].message
    assert "401" in results["connectivity"].message


# evaluator unavailable ------------------------------------------------------------------


def test_evaluator_unavailable_is_could_not_verify(rig: Rig) -> None:
    rig.server.fail_next(404, times=10, path_contains="entity/evaluator")
    lineage = LineageSettings(postgres_connection_qualified_name=PG)

    results = rig.check(rig.admin, lineage)

    assert results["connection"].ok
    for name in ("write S3 assets", "lineage", "lineage postgres"):
        assert not results[name].ok
        assert "could not verify" in results[name].message, results[name]
        assert "evaluator" in results[name].message


def test_atlan_unavailable_during_the_evaluator_is_reported(rig: Rig) -> None:
    rig.server.fail_next(503, times=100, path_contains="entity/evaluator")

    results = rig.check(rig.admin)

    assert not results["write S3 assets"].ok
    assert "unavailable" in results["write S3 assets"].message.lower()
