"""Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text

from models.lineage import Dataset
from worker.adapters.catalog.database import SqlLocalCatalog, as_utc, objects, runs, suggestions
from worker.adapters.catalog.migrate import (
    HEAD,
    alembic_config,
    current_revision,
    migrate,
    script_head,
)
from worker.adapters.catalog.schema import metadata


def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
    engine.dispose()
    return list(diffs)


def test_head_constant_matches_the_scripts() -> None:
    assert script_head() == HEAD


def test_replaying_every_migration_gives_the_declared_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()
    assert _diff(database_url) == []


def test_a_fresh_database_is_created_and_stamped(database_url: str) -> None:
    engine = create_engine(database_url)
    assert migrate(engine) == "created"
    assert migrate(engine) == "current"
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD
    engine.dispose()
    assert _diff(database_url) == []


def test_a_database_from_before_alembic_is_upgraded_with_its_data(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        cfg = alembic_config(conn)
        command.upgrade(cfg, "0001")
        conn.execute(text("DROP TABLE alembic_version"))  # as create_all left it
        now = datetime.now(UTC)
        conn.execute(insert(runs).values(id="r1", command="scan", targets=[], started_at=now))
        conn.execute(
            text(
                "INSERT INTO suggestions (object_uri, qualified_name, kind, tag, reason, state,"
                " first_seen, last_seen) VALUES ('s3://b/k', 'qn', 'tag', 'PII Email', 'low',"
                " 'pending', :now, :now)"
            ),
            {"now": now},
        )
    assert "alembic_version" not in inspect(engine).get_table_names()
    engine.dispose()
    catalog = SqlLocalCatalog(database_url)  # first use migrates
    with catalog.engine.connect() as conn:
        assert current_revision(conn) == HEAD
        assert conn.execute(select(runs.c.id)).scalar_one() == "r1"
        row = conn.execute(select(suggestions)).one()
        assert (row.tag, row.state, row.evidence) == ("PII Email", "pending", None)
        assert conn.execute(select(objects)).first() is None
    catalog.engine.dispose()
    assert _diff(database_url) == []


def test_downgrade_to_the_first_revision_and_back(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert "audit_log" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()
    assert _diff(database_url) == []


def test_0005_keeps_tokens_working_for_90_days_and_sessions_alive(database_url: str) -> None:
    engine = create_engine(database_url)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(
            text(
                "INSERT INTO api_tokens (token_hash, user_name, label, created_at, revoked)"
                " VALUES ('ab12', 'ann', 'ci', :at, false)"
            ),
            {"at": created},
        )
        conn.execute(
            text(
                "INSERT INTO web_sessions (token_hash, user_name, csrf_token, created_at,"
                " expires_at) VALUES ('cd34', 'ann', 'x', :at, :at)"
            ),
            {"at": created},
        )
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        scope, expires, revoked_at = conn.execute(
            text("SELECT scope, expires_at, revoked_at FROM api_tokens")
        ).one()
        seen = conn.execute(text("SELECT last_seen_at FROM web_sessions")).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM webhook_signatures")).scalar() == 0
    engine.dispose()
    assert scope == "write" and revoked_at is None
    expires = expires if isinstance(expires, datetime) else datetime.fromisoformat(expires)
    days = (as_utc(expires) - datetime.now(UTC)).days
    assert 88 <= days <= 90  # from the upgrade, not from when the token was made
    seen = seen if isinstance(seen, datetime) else datetime.fromisoformat(seen)
    assert as_utc(seen) == created
    assert _diff(database_url) == []


def test_0007_rekeys_stored_lineage_edges_on_their_datasets(database_url: str) -> None:
    from models.lineage import edge_id
    from worker.adapters.catalog.schema import LineageEdgeRow, SuggestionRow, datasets

    edges_table = LineageEdgeRow.__table__
    pg, sf = "postgres:appdb.app.users", "snowflake:RAW.LANDING.USERS"
    users_file, users = "s3://lake/exports/users/users.csv", "s3://lake/exports/users/"
    countries = "s3://lake/reference/countries.csv"
    part = "s3://lake/exports/orders/dt=2025-01-01/part-0.parquet"
    sf_orders = "snowflake:RAW.LANDING.ORDERS"
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def edge(
        source: str, target: str, origin: str, state: str, cols: list[str]
    ) -> dict[str, object]:
        return {"id": edge_id(Dataset.parse(source), Dataset.parse(target)),
                "source_uri": source, "target_uri": target, "origin": origin,
                "confidence": 1.0 if origin != "inferred" else 0.6, "state": state,
                "columns": [{"source": c, "target": c, "expression": None, "masked": False}
                            for c in cols],
                "sql": None, "location": None, "reason": "", "first_seen": now,
                "last_seen": now}  # fmt: skip

    rows = [
        edge(pg, users_file, "sql", "applied", ["id"]),  # the export's file...
        edge(pg, users, "inferred", "rejected", ["email"]),  # ...and a guess of the same hop
        edge(users, sf, "sql", "applied", []),  # the COPY's prefix
        edge("postgres:appdb.app.countries", countries, "sql", "applied", []),
        edge(part, sf_orders, "inferred", "suggested", ["id"]),
    ]
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
        conn.execute(insert(LineageEdgeRow), rows)
        # What a scan recorded: two reference tables as files of one folder, and the users
        # export alone in its folder (it stands for the folder).
        for root in (
            "reference/countries.csv",
            "reference/currencies.csv",
            "exports/users/users.csv",
        ):
            conn.execute(insert(datasets).values(
                uri=f"s3://lake/{root}", bucket="lake", root=root, rule="single",
                explanation="a file", object_count=1, total_bytes=10, marker_count=0,
                partition_columns=[], partition_count=0, formats=[["csv", 1]],
                first_seen=now, last_seen=now))  # fmt: skip
        versions = {"lineage": "lineage-infer=1", "tag": "lineage=1"}
        for kind, obj, tag, evidence in (
            ("lineage", part, sf_orders,
             {"lineage_edge": rows[4]["id"], "source": part, "target": sf_orders}),
            ("tag", pg, "PII Email", {"lineage_edge": rows[0]["id"], "via": users_file}),
        ):  # fmt: skip
            conn.execute(insert(SuggestionRow).values(
                object_uri=obj, qualified_name="", kind=kind, tag=tag, reason="r",
                state="pending", first_seen=now, last_seen=now, evidence=evidence,
                classifier_version=versions[kind]))  # fmt: skip
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        stored = {
            (r.source_uri, r.target_uri): (r.id, r.origin, r.state,
                                           [c["source"] for c in r.columns], r.reason)
            for r in conn.execute(select(edges_table))
        }  # fmt: skip
        items = {r.kind: r for r in conn.execute(select(suggestions))}
    engine.dispose()
    merged_id = edge_id(Dataset.parse(pg), Dataset.parse(users))
    orders_id = edge_id(Dataset.parse("s3://lake/exports/orders/"), Dataset.parse(sf_orders))
    assert stored == {
        # One chain: the SQL export wins over the rejected guess and keeps its column map.
        (pg, users): (merged_id, "sql", "applied", ["id"], f"target written as {users_file}"),
        (users, sf): (rows[2]["id"], "sql", "applied", [], ""),
        # The catalog knows countries.csv as a dataset of one beside another: it stays itself.
        ("postgres:appdb.app.countries", countries): (rows[3]["id"], "sql", "applied", [], ""),
        ("s3://lake/exports/orders/", sf_orders): (orders_id, "inferred", "suggested", ["id"],
                                                   f"source written as {part}"),
    }  # fmt: skip
    assert items["lineage"].object_uri == "s3://lake/exports/orders/"
    assert items["lineage"].state == "pending"  # the guess still waits for a steward
    assert items["lineage"].evidence == {"lineage_edge": orders_id,
                                         "source": "s3://lake/exports/orders/",
                                         "target": sf_orders}  # fmt: skip
    assert items["tag"].evidence == {"lineage_edge": merged_id, "via": users}
    assert _diff(database_url) == []


def test_0008_chains_existing_audit_rows_in_id_order(database_url: str) -> None:
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.core.audit_chain import GENESIS, row_hash, verify_chain

    engine = create_engine(database_url)
    at = datetime(2026, 11, 2, 8, 0, 0, 250000, tzinfo=UTC)
    entries: list[dict[str, Any]] = [
        # Out of time order, and ids that skip a number (a deleted row): the chain follows
        # the ids.
        {"at": at, "actor": "ann", "action": "suggestion.approve",
         "target": "suggestion 1", "before": {"state": "pending", "confidence": 0.91},
         "after": {"state": "approved", "confidence": 0.91}, "detail": None, "address": "cli"},
        {"at": at, "actor": "gone", "action": "login.ok", "target": "user gone",
         "before": None, "after": None, "detail": None, "address": None},
        {"at": at.replace(hour=7), "actor": "sam", "action": "suggestion.reject",
         "target": "suggestion 2", "before": {"state": "pending"}, "after": {"state": "rejected"},
         "detail": "a product code, not a name", "address": None},
        {"at": at.replace(hour=9), "actor": "-", "action": "login.failed",
         "target": "user zoë", "before": None, "after": None, "detail": "",
         "address": "10.0.0.7"},
    ]  # fmt: skip
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0007")
        audit = text(
            "INSERT INTO audit_log (at, actor, action, target, before, after, detail, address)"
            " VALUES (:at, :actor, :action, :target, :before, :after, :detail, :address)"
        )
        for e in entries:
            as_json = {k: json.dumps(e[k]) if e[k] else None for k in ("before", "after")}
            conn.execute(audit, {**e, **as_json})
        conn.execute(text("DELETE FROM audit_log WHERE actor = 'gone'"))
    del entries[1]
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()
    assert _diff(database_url) == []
    store = SqlReviewStore(SqlLocalCatalog(database_url))
    rows = list(store.audit_chain())
    assert [(r.id, r.seq) for r in rows] == [(1, 1), (3, 2), (4, 3)]
    prev = GENESIS
    for r, e in zip(rows, entries, strict=True):
        assert r.prev_hash == prev
        assert r.row_hash == row_hash(1 + rows.index(r), e["at"], e["actor"], e["action"],
                                      e["target"], e["before"], e["after"], e["detail"],
                                      e["address"], prev)  # fmt: skip
        prev = r.row_hash
    assert store.audit_chain_head() == (3, prev)
    # New rows extend the back-filled chain; tampering with a back-filled row is caught.
    store.audit("ann", "login.ok", "user ann", address="::1")
    head = store.audit_chain_head()
    assert head is not None and head[0] == 4
    assert verify_chain(store.audit_chain(), head=head).ok
    with store.catalog.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
    broken = verify_chain(store.audit_chain(), head=head).broken
    assert broken is not None and broken.kind == "edited" and broken.row is not None
    assert broken.row.id == 3
    store.catalog.engine.dispose()


def test_0013_indexes_lineage_endpoints_with_their_state(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0012")

    def indexes() -> dict[str, list[str | None]]:
        found = inspect(engine).get_indexes("lineage_edges")
        return {str(i["name"]): list(i["column_names"]) for i in found}

    assert indexes()["ix_lineage_edges_source_uri"] == ["source_uri"]
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0013")
    after = indexes()
    assert after["ix_lineage_edges_source_state"] == ["source_uri", "state"]
    assert after["ix_lineage_edges_target_state"] == ["target_uri", "state"]
    assert "ix_lineage_edges_source_uri" not in after
    assert "ix_lineage_edges_target_uri" not in after
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0012")
    assert indexes()["ix_lineage_edges_target_uri"] == ["target_uri"]
    assert "ix_lineage_edges_target_state" not in indexes()
    engine.dispose()
