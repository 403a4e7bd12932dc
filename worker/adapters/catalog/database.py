"""The local catalog on SQLAlchemy: SQLite by default (``./enricher.db``), any SQL URL works.

It keeps runs, objects (technical metadata and last status), columns and findings. It never
stores sampled values: findings carry counts, shares and masked examples only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from models import EnrichmentResult, ObjectInfo, ObjectStatus
from worker.adapters.catalog.migrate import migrate
from worker.adapters.catalog.schema import (
    atlan_connections,
    atlan_outbox,
    atlan_written,
    columns,
    findings,
    job_items,
    jobs,
    metadata,
    objects,
    runs,
    suggestions,
)
from worker.core.errors import ConfigError

__all__ = [
    "SqlLocalCatalog",
    "as_utc",
    "safe_url",
    "chunks",
    "like_escape",
    "update_or_insert",
    "atlan_connections",
    "atlan_outbox",
    "atlan_written",
    "columns",
    "findings",
    "job_items",
    "jobs",
    "metadata",
    "objects",
    "runs",
    "suggestions",
]


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (IN-lists, Atlan request batches)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def like_escape(text: str) -> str:
    """``text`` for a LIKE pattern escaped with a backslash: ``%`` and ``_`` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def update_or_insert(
    conn: Connection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Set ``values`` on the row of ``table`` with ``key``, inserting it when there is none.

    A concurrent insert of the same key (another worker, between the update and the insert)
    wins; this one is dropped. Side effects: one UPDATE, maybe one INSERT, in ``conn``'s
    transaction.
    """
    match = {f"match_{name}": value for name, value in key.items()}
    if conn.execute(_keyed_update(table, tuple(key)), {**match, **values}).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(table), {**key, **values})
    except IntegrityError:
        pass


@cache
def _keyed_update(table: Table, key: tuple[str, ...]) -> Any:
    """``UPDATE table ... WHERE`` each column of ``key`` equals its ``match_<name>`` parameter.

    Built once per table and key (the SET columns come from the execution parameters), so
    repeated upserts skip building and hashing a new statement.
    """
    return update(table).where(*(table.c[name] == bindparam(f"match_{name}") for name in key))


def safe_url(url: str) -> str:
    """A database URL fit to print or log: its password masked (``***``)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError, TypeError):
        return "<unparseable database URL>"


def _scrub(text: str, url: str) -> str:
    """``text`` (an error message) without the URL's password, should a driver repeat it."""
    secrets: set[str] = set()
    try:
        password = make_url(url).password
    except (SQLAlchemyError, ValueError, TypeError):
        password = None
        secrets.add(url)
    if password:
        from urllib.parse import quote_plus

        secrets |= {str(password), quote_plus(str(password))}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def as_utc(value: datetime) -> datetime:
    """A datetime read back from the catalog, as UTC (SQLite returns them naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets a reader (e.g. a report) look while a scan writes; busy_timeout avoids
    # "database is locked" when two processes record at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# The statements of the per-object calls, built once: building a statement with literal
# values costs more than running it on SQLite. The values come as execution parameters (the
# SET clause of an UPDATE takes the parameters' column keys), so the compiled cache keeps one
# entry per statement. ``match_uri`` names the WHERE parameter apart from the ``uri`` column.
_CURRENT = select(objects.c.etag, objects.c.status, objects.c.classifier_versions).where(
    objects.c.uri == bindparam("match_uri")
)
_UPDATE_OBJECT = update(objects).where(objects.c.uri == bindparam("match_uri"))
_INSERT_OBJECT = insert(objects)
_DELETE_FINDINGS = delete(findings).where(findings.c.object_uri == bindparam("match_uri"))
_DELETE_COLUMNS = delete(columns).where(columns.c.object_uri == bindparam("match_uri"))
_INSERT_COLUMNS = insert(columns)
_INSERT_FINDINGS = insert(findings)


class SqlLocalCatalog:
    """:class:`~worker.core.ports.LocalCatalog` over SQLAlchemy Core.

    The schema is created or upgraded on first use with Alembic
    (:func:`worker.adapters.catalog.migrate.migrate`).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        return f"SqlLocalCatalog({safe_url(self.url)!r})"

    @property
    def engine(self) -> Engine:
        """The engine, created and migrated (Alembic) lazily on first use.

        :raises ConfigError: the URL is invalid or the database cannot be opened.
        """
        if self._engine is None:
            try:
                engine = create_engine(self.url, future=True)
                if engine.dialect.name == "sqlite":
                    event.listen(engine, "connect", _sqlite_pragmas)
                migrate(engine)
            except (SQLAlchemyError, ValueError) as exc:
                # Neither the message nor the chained exception may carry the password.
                raise ConfigError(
                    f"cannot open the local catalog at {safe_url(self.url)}: "
                    f"{_scrub(str(exc), self.url)}"
                ) from None
            self._engine = engine
        return self._engine

    def is_current(self, info: ObjectInfo, classifier_versions: Mapping[str, str]) -> bool:
        """True when the same ETag was classified or skipped with the same classifier versions."""
        with self.engine.connect() as conn:
            row = conn.execute(_CURRENT, {"match_uri": info.ref.uri}).first()
        if row is None:
            return False
        return (
            row.etag == info.etag
            and row.status in (ObjectStatus.CLASSIFIED.value, ObjectStatus.SKIPPED.value)
            and dict(row.classifier_versions or {}) == dict(classifier_versions)
        )

    def archive(self, uri: str) -> bool:
        """Mark an object removed from its store as ``archived`` (its findings are kept).

        :returns: whether the catalog knew the object.
        """
        with self.engine.begin() as conn:
            done = conn.execute(
                update(objects)
                .where(objects.c.uri == uri)
                .values(status="archived", scanned_at=datetime.now(UTC))
            )
        return bool(done.rowcount)

    def start_run(self, command: str, targets: list[str]) -> str:
        """Insert a run row and return its id."""
        run_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                insert(runs).values(
                    id=run_id, command=command, targets=targets, started_at=datetime.now(UTC)
                )
            )
        return run_id

    def finish_run(self, run_id: str, counts: Mapping[str, int]) -> None:
        """Close the run with its counts."""
        with self.engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=datetime.now(UTC), counts=dict(counts))
            )

    def record(self, run_id: str, result: EnrichmentResult) -> None:
        """Upsert the object's row; replace its columns and findings when it was classified.

        An "unchanged" skip only touches ``last_run_id`` so the earlier findings stay.
        Side effects: one transaction; the row is updated first and inserted only when the
        update found none (no SELECT before); columns and findings are written with one
        executemany each.
        """
        now = datetime.now(UTC)
        uri = result.ref.uri
        with self.engine.begin() as conn:
            if result.error is not None and result.error.kind == "unchanged":
                touched = conn.execute(_UPDATE_OBJECT, {"match_uri": uri, "last_run_id": run_id})
                if touched.rowcount:
                    return
                # Not recorded before: the whole row, as for any other result.
                conn.execute(_INSERT_OBJECT, {"uri": uri, **self._object_row(result, run_id, now)})
                known = False
            else:
                row = self._object_row(result, run_id, now)
                known = bool(conn.execute(_UPDATE_OBJECT, {"match_uri": uri, **row}).rowcount)
                if not known:
                    conn.execute(_INSERT_OBJECT, {"uri": uri, **row})
            if result.status is not ObjectStatus.CLASSIFIED:
                return
            if known:
                # A new object has no columns or findings to replace: only this method writes
                # them, after the object's row (and they reference it).
                conn.execute(_DELETE_FINDINGS, {"match_uri": uri})
                conn.execute(_DELETE_COLUMNS, {"match_uri": uri})
            if result.columns:
                conn.execute(
                    _INSERT_COLUMNS,
                    [
                        {
                            "object_uri": uri,
                            "name": c.column,
                            "position": i,
                            "data_type": c.data_type,
                        }
                        for i, c in enumerate(result.columns)
                    ],
                )
            finding_rows = [
                {
                    "object_uri": uri,
                    "column_name": c.column,
                    "entity": e.entity,
                    "classifier": e.classifier,
                    "confidence": e.confidence,
                    "prevalence": e.prevalence,
                    "evidence": json.loads(json.dumps(e.evidence.to_dict())),
                }
                for c in result.columns
                for e in c.entities
            ]
            if finding_rows:
                conn.execute(_INSERT_FINDINGS, finding_rows)

    @staticmethod
    def _object_row(result: EnrichmentResult, run_id: str, now: datetime) -> dict[str, Any]:
        info, sample = result.info, result.sample
        return {
            "bucket": result.ref.bucket,
            "key": result.ref.key,
            "etag": info.etag if info else None,
            "version_id": info.version_id if info else None,
            "size_bytes": info.size if info else None,
            "last_modified": info.last_modified if info else None,
            "content_type": info.content_type if info else None,
            "storage_class": info.storage_class if info else None,
            "format": sample.format if sample else None,
            "compression": sample.compression if sample else None,
            "row_count": sample.row_count if sample else None,
            "row_count_estimated": sample.row_count_estimated if sample else None,
            "rows_sampled": sample.rows_sampled if sample else None,
            "bytes_read": result.bytes_read,
            "status": result.status.value,
            "error_kind": result.error.kind if result.error else None,
            "error_message": result.error.message if result.error else None,
            "classifier_versions": dict(result.classifier_versions),
            "scanned_at": now,
            "last_run_id": run_id,
        }
