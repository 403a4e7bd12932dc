"""``ReviewService``: the operations the web UI, the JSON API and the CLI share.

Permission checks live here, once: viewers look, stewards and admins decide, admins manage
users. An approval is written to Atlan through the catalog writer right away when Atlan is
enabled, and marked ``applied`` once Atlan confirms; if Atlan is down it stays ``approved``
and ``enricher atlan flush`` (or the workers' flush) delivers it later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol

from typing_extensions import TypeVar

from models.datasets import AlertKind, AlertState
from models.review import Page, Role, SuggestionFilter, SuggestionView, User
from worker.core.errors import PermissionDenied
from worker.core.ports import AlertStore, CatalogWriter, LineageStore, ReviewStore

log = logging.getLogger(__name__)

# The service is generic in its adapters, bounded by the ports it calls, so that the
# composition root's callers keep the concrete adapters' other operations (user admin, the
# audit export) through ``service.store`` and ``service.users`` while this module names no
# adapter. A bare ``ReviewService`` means the ports.
StoreT = TypeVar("StoreT", bound=ReviewStore, default=ReviewStore, covariant=True)
UsersT = TypeVar("UsersT", default=object, covariant=True)
WriterT = TypeVar("WriterT", bound=CatalogWriter, default=CatalogWriter, covariant=True)
LineageT = TypeVar("LineageT", bound=LineageStore, default=LineageStore, covariant=True)


@dataclass(slots=True)
class DecisionReport:
    """What a decision did: the suggestions decided, and what Atlan confirmed."""

    decided: list[SuggestionView] = field(default_factory=list)
    applied: int = 0
    waiting: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for flash messages and the CLI."""
        n = len(self.decided)
        if not n:
            return "nothing decided"
        verb = "approved" if self.decided[0].state.value in ("approved", "applied") else "rejected"
        line = f"{n} suggestion{'s' if n != 1 else ''} {verb}"
        if verb == "approved":
            line += f"; {self.applied} applied"
            if self.waiting:
                reason = next(iter(self.waiting.values()))
                line += f", {len(self.waiting)} waiting ({reason})"
        return line


class TableTagger(Protocol):
    """Writes approved tags on table columns (``postgres:``/``snowflake:`` suggestions)."""

    def tag_table_columns(
        self, approved: Sequence[SuggestionView]
    ) -> tuple[list[int], dict[int, str]]:
        """Tag the columns; return (ids Atlan confirmed, {id: why not})."""
        ...


class ReviewService(Generic[StoreT, UsersT, WriterT, LineageT]):
    """Queue, decisions and users, with permissions.

    :param store: the review store (suggestions, decisions, audit).
    :param users: the user store; the service only carries it for the web UI and the CLI.
    :param writer: the catalog writer, or ``None`` when Atlan is not enabled.
    :param lineage: the lineage store (a decision on an inferred edge sets its state).
    :param table_tagger: tags table columns in Atlan (lineage evidence on PostgreSQL and
        Snowflake columns); ``None``: such approvals wait.
    :param alerts: the alert store: approving a ``contract`` item (a waiver) resolves the
        violation's open alert; ``None``: the alert is left as it is.
    """

    def __init__(
        self,
        store: StoreT,
        users: UsersT,
        writer: WriterT | None = None,
        lineage: LineageT | None = None,
        table_tagger: TableTagger | None = None,
        alerts: AlertStore | None = None,
    ) -> None:
        self.store: StoreT = store
        self.users: UsersT = users
        self.writer: WriterT | None = writer
        self.lineage: LineageT | None = lineage
        self.table_tagger = table_tagger
        self.alerts = alerts

    @staticmethod
    def require(user: User, role: Role) -> None:
        """Refuse unless ``user`` has at least ``role``.

        :raises PermissionDenied: it has not.
        """
        order = [Role.VIEWER, Role.STEWARD, Role.ADMIN]
        if order.index(user.role) < order.index(role):
            raise PermissionDenied(f"{user.name} is a {user.role.value}: needs {role.value}")

    def queue(self, user: User, f: SuggestionFilter, sort: str, offset: int, limit: int) -> Page:
        """A page of the queue (every role)."""
        return self.store.page(f, sort=sort, offset=offset, limit=limit)

    def approve(
        self, user: User, ids: Sequence[int], reason: str | None = None, address: str | None = None
    ) -> DecisionReport:
        """Approve pending suggestions and write them to Atlan.

        :raises PermissionDenied: a viewer.
        :raises InvalidDecision: not pending.
        :raises SuggestionNotFound: an unknown id.
        """
        self.require(user, Role.STEWARD)
        decided = self.store.decide(ids, True, user.name, reason, address)
        return self._apply(DecisionReport(decided=decided), user)

    def reject(
        self, user: User, ids: Sequence[int], reason: str, address: str | None = None
    ) -> DecisionReport:
        """Reject pending suggestions with a reason (they are not suggested again).

        :raises PermissionDenied: a viewer.
        :raises InvalidDecision: no reason, or not pending.
        """
        self.require(user, Role.STEWARD)
        report = DecisionReport(decided=self.store.decide(ids, False, user.name, reason, address))
        self._lineage_decisions(report.decided, applied=False)
        return report

    def bulk(
        self,
        user: User,
        f: SuggestionFilter,
        approve: bool,
        reason: str | None,
        expected: int | None,
        address: str | None = None,
    ) -> DecisionReport:
        """Decide every pending suggestion ``f`` selects (after the person saw ``expected``).

        :raises PermissionDenied: a viewer.
        :raises InvalidDecision: nothing matches, the count changed, no reason to reject.
        """
        self.require(user, Role.STEWARD)
        decided = self.store.decide_matching(f, approve, user.name, reason, expected, address)
        report = DecisionReport(decided=decided)
        if approve:
            return self._apply(report, user)
        self._lineage_decisions(report.decided, applied=False)
        return report

    def apply_approved(self) -> DecisionReport:
        """Deliver every approved suggestion Atlan has not confirmed (``atlan flush``)."""
        return self._apply(DecisionReport(decided=self.store.approved_unapplied()), None)

    def _lineage_decisions(self, decided: Sequence[SuggestionView], applied: bool) -> list[int]:
        """Set the state of the lineage edges behind decided ``lineage`` suggestions."""
        done = []
        for s in decided:
            edge_id = s.evidence.get("lineage_edge")
            if s.kind == "lineage" and self.lineage is not None and isinstance(edge_id, str):
                self.lineage.set_state(edge_id, "applied" if applied else "rejected")
                done.append(s.id)
        return done

    def _contract_waivers(self, approved: Sequence[SuggestionView]) -> list[int]:
        """Resolve the open alerts of approved ``contract`` items (waived violations).

        :returns: the ids of the ``contract`` items (all applied locally: nothing goes to
            Atlan).
        Side effects: resolves alerts in the alert store, as the item's decider.
        """
        waived = [s for s in approved if s.kind == "contract"]
        if not waived or self.alerts is None:
            return [s.id for s in waived]
        for uri in sorted({s.object_uri for s in waived}):
            subjects = {
                str(s.evidence.get("alert_subject")): s for s in waived if s.object_uri == uri
            }
            for alert in self.alerts.list_alerts(
                dataset_uri=uri, kind=AlertKind.CONTRACT, limit=10_000
            ):
                s = subjects.get(alert.subject)
                if s is None or alert.state is AlertState.RESOLVED:
                    continue
                note = f"waived in review (suggestion {s.id})"
                if s.decision_reason:
                    note += f": {s.decision_reason}"
                self.alerts.set_state(alert.id, AlertState.RESOLVED, s.decided_by or "review", note)
        return [s.id for s in waived]

    def _apply(self, report: DecisionReport, user: User | None) -> DecisionReport:
        approved = [s for s in report.decided if s.state.value == "approved"]
        # A lineage edge is written by `enricher lineage write`, and a waived contract
        # violation has nothing to write: both decisions are final as they stand.
        edges = self._lineage_decisions(approved, applied=True) + self._contract_waivers(approved)
        tables = [s for s in approved if s.kind in ("tag", "term") and s.object_uri.split(":", 1)[0]
                  in ("postgres", "snowflake", "redshift")]  # fmt: skip
        if tables:
            if self.writer is None or self.table_tagger is None:
                report.waiting.update({s.id: "Atlan is not enabled" for s in tables})
            else:
                done, failed = self.table_tagger.tag_table_columns(tables)
                if done:
                    self.store.mark_applied(done)
                for reason in sorted(set(failed.values())):
                    self.store.mark_apply_failed(
                        [i for i, r in failed.items() if r == reason], reason
                    )
                report.applied += len(done)
                report.waiting.update(failed)
        handled = set(edges) | {s.id for s in tables}
        approved = [s for s in approved if s.id not in handled]
        local = [s.id for s in approved if not s.object_uri.startswith("s3://")] + edges
        if local:
            # A local file has no Atlan asset, and an approved edge is written by
            # `enricher lineage write`: the decision is final as it stands.
            self.store.mark_applied(local, actor="s3-enricher")
            report.applied += len(local)
        remote = [s for s in approved if s.object_uri.startswith("s3://")]
        if not remote:
            return report
        if self.writer is None:
            report.waiting.update({s.id: "Atlan is not enabled" for s in remote})
            return report
        reviewer = {s.id: s.decided_by or (user.name if user else "") for s in remote}
        done, failed = self.writer.apply_decisions(remote, reviewer)
        if done:
            self.store.mark_applied(done)
        if failed:
            log.warning("%d approved suggestions not applied yet", len(failed))
            for reason in sorted(set(failed.values())):
                self.store.mark_apply_failed([i for i, r in failed.items() if r == reason], reason)
        report.applied += len(done)
        report.waiting.update(failed)
        return report
