"""Bring a database to the current schema with Alembic (run on first use of an engine).

* a new, empty database gets ``create_all`` and is stamped at the head revision (Alembic's
  recipe for fresh databases: one round trip instead of replaying history);
* a database made before Alembic (tables, no ``alembic_version``) is stamped ``0001`` and
  upgraded;
* a versioned one is upgraded to the head.

Concurrent starts (several workers) are serialised: a PostgreSQL advisory lock, or a file
lock next to a SQLite file.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from worker.adapters.catalog.schema import metadata

if TYPE_CHECKING:
    from alembic.config import Config

#: The migration history's head; a test checks it matches the scripts.
HEAD = "0013"
_SCRIPTS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x53_33_45_4E  # "S3EN"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the bundled scripts (and at ``connection`` if given)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_head() -> str:
    """The head revision of the bundled migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None``: not under Alembic)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _is_current(engine: Engine) -> bool:
    # Checked without Alembic (importing it costs 0.15 s on every command start).
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    except SQLAlchemyError:
        return False


@contextlib.contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock = Path(database).with_name(Path(database).name + ".migrate-lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(engine: Engine) -> str:
    """Upgrade the database behind ``engine`` to :data:`HEAD`; return what was done.

    :raises sqlalchemy.exc.SQLAlchemyError: the database refused (the caller maps it).
    Side effects: creates or alters tables; takes a lock while doing so.
    """
    if _is_current(engine):
        return "current"
    from alembic import command

    lock = (
        _sqlite_file_lock(engine) if engine.dialect.name == "sqlite" else contextlib.nullcontext()
    )
    with lock, engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        revision = current_revision(conn)
        if revision == HEAD:
            return "current"
        cfg = alembic_config(conn)
        if revision is None:
            if "objects" not in inspect(conn).get_table_names():
                metadata.create_all(conn)
                command.stamp(cfg, HEAD)
                return "created"
            command.stamp(cfg, "0001")
        command.upgrade(cfg, "head")
        return "upgraded"
