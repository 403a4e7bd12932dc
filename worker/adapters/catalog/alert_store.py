"""``SqlAlertStore``: alerts in the local catalog, deduplicated by fingerprint.

Implements :class:`worker.core.ports.AlertStore` on SQLite or PostgreSQL. The same finding on
the next scan (same kind, dataset and subject: :attr:`AlertCandidate.fingerprint`, a unique
column) is the same alert: an open or acknowledged one counts one more occurrence; a resolved
one opens again. Each candidate is stored in its own short transaction by conditional
UPDATEs, so two workers raising the same alert at once neither insert it twice nor reopen it
twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.datasets import Alert, AlertCandidate, AlertKind, AlertState, Severity
from worker.adapters.catalog.database import SqlLocalCatalog, as_utc, chunks
from worker.adapters.catalog.schema import alerts
from worker.core.errors import AlertNotFound

__all__ = ["SqlAlertStore", "delivery_column"]

#: The column that records a delivery, by channel.
_CHANNELS = {"webhook": "delivered_at", "atlan": "announced_at"}

#: Attempts per candidate: a lost insert race is followed by an update, which cannot race.
_ATTEMPTS = 3


def delivery_column(channel: str) -> str:
    """The ``alerts`` column recording deliveries by ``channel`` (``webhook`` or ``atlan``).

    :raises ValueError: an unknown channel.
    """
    try:
        return _CHANNELS[channel]
    except KeyError:
        raise ValueError(f"unknown alert channel {channel!r}: webhook or atlan") from None


def _utc(value: datetime) -> datetime:
    # Stored times are UTC: SQLite keeps the wall time and drops the offset.
    return as_utc(value).astimezone(UTC)


def _alert(row: Any) -> Alert:
    return Alert(
        id=int(row.id),
        kind=AlertKind(row.kind),
        severity=Severity(row.severity),
        dataset_uri=row.dataset_uri,
        subject=row.subject,
        message=row.message,
        evidence=dict(row.evidence or {}),
        state=AlertState(row.state),
        first_seen=_utc(row.first_seen),
        last_seen=_utc(row.last_seen),
        occurrences=int(row.occurrences),
        actor=row.actor,
        note=row.note,
    )


class SqlAlertStore:
    """Alerts on the local catalog's database.

    :param catalog: the local catalog (migrated on first use).
    :param clock: the current time (tests pin it); UTC now by default.
    """

    def __init__(
        self, catalog: SqlLocalCatalog, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.catalog = catalog
        self.clock = clock or (lambda: datetime.now(UTC))

    @property
    def _engine(self) -> Engine:
        return self.catalog.engine

    def raise_alerts(self, candidates: Sequence[AlertCandidate]) -> list[Alert]:
        """Store candidates, deduplicated by fingerprint; return the alerts that (re)opened.

        An open or acknowledged alert with the fingerprint counts one more occurrence and
        takes the candidate's severity, message and evidence (not returned); a resolved one
        opens again with one more occurrence (returned, its actor and note cleared); an
        unknown fingerprint is inserted (returned). A fingerprint another worker inserts at
        the same moment counts as known.

        Side effects: one transaction per candidate.
        """
        opened: list[Alert] = []
        for candidate in candidates:
            alert = self._raise_one(candidate)
            if alert is not None:
                opened.append(alert)
        return opened

    def _raise_one(self, c: AlertCandidate) -> Alert | None:
        fingerprint = c.fingerprint
        for attempt in range(_ATTEMPTS):
            now = _utc(self.clock())
            fresh = {
                "severity": Severity(c.severity).value,
                "message": c.message,
                "evidence": dict(c.evidence),
                "last_seen": now,
                "occurrences": alerts.c.occurrences + 1,
            }
            by_fp = alerts.c.fingerprint == fingerprint
            live = (AlertState.OPEN.value, AlertState.ACKNOWLEDGED.value)
            try:
                with self._engine.begin() as conn:
                    # Conditional updates: the row lock makes a concurrent worker re-check
                    # the state, so only one of two reopens a resolved alert.
                    seen = conn.execute(
                        update(alerts).where(by_fp, alerts.c.state.in_(live)).values(**fresh)
                    )
                    if seen.rowcount:
                        return None
                    reopened = conn.execute(
                        update(alerts)
                        .where(by_fp, alerts.c.state == AlertState.RESOLVED.value)
                        .values(state=AlertState.OPEN.value, actor=None, note=None, **fresh)
                    )
                    if not reopened.rowcount:
                        conn.execute(
                            insert(alerts).values(
                                fingerprint=fingerprint,
                                kind=AlertKind(c.kind).value,
                                severity=Severity(c.severity).value,
                                dataset_uri=c.dataset_uri,
                                subject=c.subject,
                                message=c.message,
                                evidence=dict(c.evidence),
                                state=AlertState.OPEN.value,
                                first_seen=now,
                                last_seen=now,
                                occurrences=1,
                            )
                        )
                    return self._by_fingerprint(conn, fingerprint)
            except IntegrityError:
                # Another worker inserted this fingerprint between our update and insert;
                # the next attempt finds its row and counts an occurrence.
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _by_fingerprint(conn: Connection, fingerprint: str) -> Alert:
        row = conn.execute(select(alerts).where(alerts.c.fingerprint == fingerprint)).one()
        return _alert(row)

    def list_alerts(
        self,
        state: AlertState | None = None,
        severity: Severity | None = None,
        dataset_uri: str | None = None,
        kind: AlertKind | None = None,
        limit: int = 200,
    ) -> list[Alert]:
        """Alerts matching every filter given, newest ``last_seen`` first (then newest id)."""
        query = select(alerts).order_by(alerts.c.last_seen.desc(), alerts.c.id.desc())
        if state is not None:
            query = query.where(alerts.c.state == AlertState(state).value)
        if severity is not None:
            query = query.where(alerts.c.severity == Severity(severity).value)
        if dataset_uri is not None:
            query = query.where(alerts.c.dataset_uri == dataset_uri)
        if kind is not None:
            query = query.where(alerts.c.kind == AlertKind(kind).value)
        with self._engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query.limit(max(0, limit)))]

    def get(self, alert_id: int) -> Alert | None:
        """One alert, or ``None``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return _alert(row) if row is not None else None

    def set_state(
        self, alert_id: int, state: AlertState, actor: str, note: str | None = None
    ) -> Alert:
        """Set the alert's state, recording who did it and why; return it as it is now.

        :raises AlertNotFound: no alert with that id.
        """
        with self._engine.begin() as conn:
            done = conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(state=AlertState(state).value, actor=actor, note=note)
            )
            if not done.rowcount:
                raise AlertNotFound(f"no alert {alert_id}")
            return _alert(conn.execute(select(alerts).where(alerts.c.id == alert_id)).one())

    def mark_delivered(self, alert_ids: Sequence[int], channel: str) -> None:
        """Record that ``channel`` delivered these alerts now (unknown ids are skipped).

        :raises ValueError: an unknown channel.
        """
        column = delivery_column(channel)
        now = _utc(self.clock())
        with self._engine.begin() as conn:
            for chunk in chunks(sorted(set(alert_ids)), 500):
                conn.execute(
                    update(alerts).where(alerts.c.id.in_(list(chunk))).values({column: now})
                )

    def undelivered(self, channel: str, limit: int = 500) -> list[Alert]:
        """Open alerts ``channel`` never delivered, oldest first.

        :raises ValueError: an unknown channel.
        """
        column = alerts.c[delivery_column(channel)]
        query = (
            select(alerts)
            .where(alerts.c.state == AlertState.OPEN.value, column.is_(None))
            .order_by(alerts.c.first_seen, alerts.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query)]

    def delivered_since(self, since: datetime, channel: str) -> int:
        """How many alerts ``channel`` last delivered at or after ``since``.

        :raises ValueError: an unknown channel.
        """
        column = alerts.c[delivery_column(channel)]
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(alerts).where(column >= _utc(since))
                ).scalar_one()
            )
