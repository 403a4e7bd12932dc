"""The review store and user store, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from models.plan import Suggestion
from models.review import Role, SuggestionFilter, SuggestionState
from worker.adapters.catalog import users as users_module
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore, audit_csv, audit_json
from worker.adapters.catalog.users import SqlUserStore, hash_password
from worker.core.errors import InvalidDecision, LoginThrottled, NotAuthenticated, SuggestionNotFound
from worker.core.settings import ReviewSettings, UserEntry

EVIDENCE = {"prevalence": 0.4, "masked_examples": ["Xxxx@xxxx.xxx"], "validator_pass_rate": None}


def _s(
    uri: str = "s3://lake/a.csv",
    tag: str = "PII Email",
    column: str | None = "email",
    confidence: float = 0.7,
    kind: str = "tag",
    version: str = "pii=2",
) -> Suggestion:
    entity = "EMAIL_ADDRESS" if kind == "tag" else None
    return Suggestion(
        uri, "", kind, tag, entity, column, confidence, "below threshold", dict(EVIDENCE), version
    )


@pytest.fixture
def store(database_url: str):  # type: ignore[no-untyped-def]
    s = SqlReviewStore(SqlLocalCatalog(database_url))
    yield s
    s.catalog.engine.dispose()


def _states(store: SqlReviewStore) -> list[tuple[str, str | None, str]]:
    page = store.page(SuggestionFilter(state=None), sort="object", limit=100)
    return [(s.tag, s.column, s.state.value) for s in page.items]


def test_sync_inserts_refreshes_and_supersedes(store: SqlReviewStore) -> None:
    uri = "s3://lake/a.csv"
    r1 = store.sync(uri, [_s(), _s(tag="PII Phone", column="phone")])
    assert (r1.new, r1.refreshed, r1.superseded) == (2, 0, 0)
    r2 = store.sync(uri, [_s(confidence=0.8)])
    assert (r2.new, r2.refreshed, r2.superseded) == (0, 1, 1)
    assert _states(store) == [
        ("PII Email", "email", "pending"),
        ("PII Phone", "phone", "superseded"),
    ]
    (email,) = store.page(SuggestionFilter()).items
    assert email.confidence == 0.8 and email.evidence["masked_examples"] == ["Xxxx@xxxx.xxx"]


def test_decisions_are_audited_and_never_overwritten_by_scans(store: SqlReviewStore) -> None:
    uri = "s3://lake/a.csv"
    store.sync(uri, [_s(), _s(tag="PII Phone", column="phone")])
    email, phone = sorted(store.page(SuggestionFilter()).items, key=lambda s: s.tag)
    with pytest.raises(InvalidDecision, match="needs a reason"):
        store.decide([phone.id], False, "ann", "  ")
    store.decide([email.id], True, "ann", address="10.0.0.1")
    store.decide([phone.id], False, "ann", "a product code, not a phone")
    with pytest.raises(InvalidDecision, match="not pending"):
        store.decide([phone.id], True, "bob")
    with pytest.raises(SuggestionNotFound):
        store.decide([999_999], True, "bob")
    # A later scan producing nothing supersedes nothing decided; one producing both leaves
    # the approval alone (the policy would not send a rejected one back unchanged).
    store.sync(uri, [])
    store.save_suggestions([_s(), _s(tag="PII Phone", column="phone")])
    assert _states(store) == [
        ("PII Email", "email", "approved"),
        ("PII Phone", "phone", "rejected"),
    ]
    decisions = store.decisions_for(uri)
    assert decisions[("tag", "PII Phone", "phone")].state is SuggestionState.REJECTED
    assert decisions[("tag", "PII Phone", "phone")].evidence["prevalence"] == 0.4
    entries = store.audit_entries()
    assert [(e.actor, e.action) for e in entries] == [
        ("ann", "suggestion.reject"),
        ("ann", "suggestion.approve"),
    ]
    assert entries[0].before is not None and entries[0].after is not None
    assert entries[0].before["state"] == "pending" and entries[0].after["state"] == "rejected"
    assert entries[0].detail == "a product code, not a phone" and entries[1].address == "10.0.0.1"
    # The scan path (policy saw a material change) may ask again: a new pending row.
    store.sync(uri, [_s(tag="PII Phone", column="phone")])
    assert ("PII Phone", "phone", "pending") in _states(store)
    assert store.decisions_for(uri)[("tag", "PII Phone", "phone")].state is SuggestionState.REJECTED


def test_filters_sorting_and_paging(store: SqlReviewStore) -> None:
    for i in range(12):
        uri = f"s3://lake/{'exports' if i % 2 else 'raw'}/t{i:02d}.csv"
        store.sync(uri, [_s(uri, confidence=i / 20, version="pii=2" if i < 6 else "pii=3")])
    store.sync("s3://lake/raw_x/t.csv", [_s("s3://lake/raw_x/t.csv", kind="term", tag="G@T")])
    assert store.count(SuggestionFilter(uri_pattern="s3://lake/exports/")) == 6
    assert store.count(SuggestionFilter(uri_pattern="s3://lake/raw/*")) == 6  # no raw_x
    assert store.count(SuggestionFilter(uri_pattern="s3://lake/*/t0?.csv")) == 10
    assert store.count(SuggestionFilter(min_confidence=0.2, max_confidence=0.4)) == 5
    assert store.count(SuggestionFilter(classifier_version="pii=3")) == 6
    assert store.count(SuggestionFilter(kind="term")) == 1
    assert store.count(SuggestionFilter(entity="EMAIL_ADDRESS")) == 12
    page = store.page(SuggestionFilter(kind="tag"), sort="-confidence", offset=10, limit=5)
    assert page.total == 12 and len(page.items) == 2
    assert [s.confidence for s in page.items] == [0.05, 0.0]
    with pytest.raises(InvalidDecision, match="unknown sort"):
        store.page(SuggestionFilter(), sort="evil; drop table")
    assert store.facets()["kind"] == ["tag", "term"]


def test_bulk_decision_needs_the_confirmed_count(store: SqlReviewStore) -> None:
    for i in range(4):
        store.sync(f"s3://lake/x/{i}.csv", [_s(f"s3://lake/x/{i}.csv")])
    f = SuggestionFilter(uri_pattern="s3://lake/x/", state=None)
    with pytest.raises(InvalidDecision, match="4 suggestions match now, 3 were confirmed"):
        store.decide_matching(f, False, "ann", "not PII", expected=3)
    done = store.decide_matching(f, False, "ann", "not PII", expected=4)
    assert {s.state for s in done} == {SuggestionState.REJECTED}
    (entry,) = store.audit_entries()
    assert entry.action == "bulk.reject" and entry.after == {"state": "rejected", "count": 4}
    assert entry.before is not None and len(entry.before["ids"]) == 4
    with pytest.raises(InvalidDecision, match="no pending suggestion"):
        store.decide_matching(f, True, "ann")


def test_atlan_side_changes_are_recorded_once(store: SqlReviewStore) -> None:
    uri = "s3://lake/a.csv"
    store.sync(uri, [_s(tag="PII Phone", column="phone")])
    assert store.record_atlan_decisions(uri, "qn", removed={"PII Email"}, added={"PII Phone"}) == 2
    assert store.record_atlan_decisions(uri, "qn", removed={"PII Email"}, added={"PII Phone"}) == 0
    decisions = store.decisions_for(uri)
    assert decisions[("tag", "PII Email", None)].state is SuggestionState.REJECTED
    assert decisions[("tag", "PII Email", None)].decided_by == "atlan"
    assert ("PII Phone", "phone", "applied") in _states(store)


def test_approved_then_applied(store: SqlReviewStore) -> None:
    store.sync("s3://lake/a.csv", [_s()])
    (s,) = store.page(SuggestionFilter()).items
    store.decide([s.id], True, "ann")
    assert [a.id for a in store.approved_unapplied()] == [s.id]
    store.mark_apply_failed([s.id], "Atlan is unavailable")
    assert store.get(s.id).apply_error == "Atlan is unavailable"
    store.mark_applied([s.id])
    got = store.get(s.id)
    assert got.state is SuggestionState.APPLIED and got.applied_at is not None
    assert got.apply_error is None and store.approved_unapplied() == []


def test_audit_exports(store: SqlReviewStore) -> None:
    store.audit("ann", "login.ok", "user ann", address="127.0.0.1")
    store.audit("ann", "user.add", "user bob", None, {"role": "viewer"})
    rows = list(csv.DictReader(io.StringIO(audit_csv(store.iter_audit()))))
    assert [r["action"] for r in rows] == ["login.ok", "user.add"]
    assert json.loads(rows[1]["after"]) == {"role": "viewer"}
    data = json.loads(audit_json(store.iter_audit()))
    assert data[0]["actor"] == "ann" and data[0]["address"] == "127.0.0.1"


def test_users_sessions_tokens_and_throttling(store: SqlReviewStore) -> None:
    declared = UserEntry(name="gov", role="viewer", password_hash=hash_password("governance1"))
    users = SqlUserStore(store, ReviewSettings(users=[declared], login_max_failures=3))
    users.add("ann", Role.STEWARD, "correct horse", actor="admin")
    with pytest.raises(InvalidDecision, match="exists"):
        users.add("ann", Role.VIEWER, "whatever12", actor="admin")
    with pytest.raises(InvalidDecision, match="at least 8"):
        users.add("bob", Role.VIEWER, "short", actor="admin")
    assert users.authenticate("ann", "correct horse", "1.2.3.4").role is Role.STEWARD
    assert users.authenticate("gov", "governance1", "1.2.3.4").source == "settings"
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            users.authenticate("ann", "wrong", "5.6.7.8")
    with pytest.raises(LoginThrottled) as throttled:
        users.authenticate("ann", "correct horse", "5.6.7.8")
    assert 0 < throttled.value.retry_after_s <= 15 * 60 + 1
    with pytest.raises(NotAuthenticated):
        users.authenticate("nobody", "x", "9.9.9.9")
    gov = users.get("gov")
    assert gov is not None
    token, csrf = users.create_session(gov)
    assert users.session_user(token) == (gov, csrf)
    users.end_session(token)
    assert users.session_user(token) is None
    api = users.create_token("ann", "ci", actor="admin")
    assert users.token_user(api).name == "ann"
    ann = users.get("ann")
    assert ann is not None
    cookie, _ = users.create_session(ann)
    users.update("ann", actor="admin", active=False)
    assert users.session_user(cookie) is None
    with pytest.raises(NotAuthenticated):
        users.token_user(api)
    with pytest.raises(NotAuthenticated):
        users.token_user("s3e_forged")
    actions = [e.action for e in store.audit_entries(limit=None, oldest_first=True)]
    assert actions.count("login.failed") == 4 and "user.update" in actions
    # Nothing secret reaches the database in the clear.
    with store.catalog.engine.connect() as conn:
        dump = str([list(r) for t in ("users", "web_sessions", "api_tokens")
                    for r in conn.exec_driver_sql(f"SELECT * FROM {t}")])  # fmt: skip
    assert "correct horse" not in dump and api not in dump and cookie not in dump


def test_csv_export_neutralises_spreadsheet_formulas(store: SqlReviewStore) -> None:
    store.audit("ann", "suggestion.reject", "suggestion 1", detail='=HYPERLINK("http://x")')
    (row,) = list(csv.DictReader(io.StringIO(audit_csv(store.iter_audit()))))
    assert row["detail"] == '\'=HYPERLINK("http://x")' and row["actor"] == "ann"
    assert store.audit_count() == 1


def test_tokens_expire_are_listed_revoked_and_end_with_the_password(
    store: SqlReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = SqlUserStore(store, ReviewSettings(token_days=90))
    users.add("ann", Role.STEWARD, "correct horse", actor="admin")
    users.add("bob", Role.VIEWER, "correct horse", actor="admin")
    ci = users.create_token("ann", "ci", actor="admin")
    dash = users.create_token("ann", "dash", actor="admin", scope="read", days=1)
    access = users.token_access(dash)
    assert access.read_only and access.user.name == "ann"
    assert users.token_access(ci).scope == "write"
    listed = users.tokens("ann")
    assert [t.label for t in listed] == ["dash", "ci"] and {t.state() for t in listed} == {"active"}
    assert all(len(t.id) == 12 and t.id not in (ci, dash) for t in listed)
    assert (listed[1].expires_at - listed[1].created_at).days == 90
    with pytest.raises(InvalidDecision, match="read or write"):
        users.create_token("ann", "x", actor="admin", scope="admin")
    with pytest.raises(InvalidDecision, match="1 to 3650"):
        users.create_token("ann", "x", actor="admin", days=0)

    real_now = users_module._now()
    monkeypatch.setattr(users_module, "_now", lambda: real_now + timedelta(days=2))
    with pytest.raises(NotAuthenticated, match="expired"):
        users.token_access(dash)
    assert users.token_user(ci).name == "ann"
    assert [t.state() for t in users.tokens("ann")] == ["expired", "active"]
    monkeypatch.undo()

    ci_id = next(t.id for t in users.tokens("ann") if t.label == "ci")
    bobs = users.create_token("bob", "mine", actor="admin")
    bob_id = users.tokens("bob")[0].id
    with pytest.raises(SuggestionNotFound):
        users.revoke_tokens("ann", [bob_id], actor="admin")  # not ann's
    with pytest.raises(SuggestionNotFound):
        users.revoke_tokens("ann", ["%"], actor="admin")
    assert users.revoke_tokens("ann", [ci_id.upper()], actor="admin") == 1
    with pytest.raises(NotAuthenticated):
        users.token_user(ci)
    assert users.token_user(bobs).name == "bob"

    fresh = users.create_token("ann", "fresh", actor="admin")
    ann = users.get("ann")
    assert ann is not None
    cookie, _ = users.create_session(ann)
    users.update("ann", actor="admin", password="a new password")
    with pytest.raises(NotAuthenticated):
        users.token_user(fresh)
    assert users.session_user(cookie) is None
    later = users.create_token("ann", "later", actor="admin")
    users.update("ann", actor="admin", active=False)
    users.update("ann", actor="admin", active=True)
    with pytest.raises(NotAuthenticated):
        users.token_user(later)  # enabling again does not bring tokens back
    users.update("bob", actor="admin", active=False)
    with pytest.raises(InvalidDecision, match="disabled"):
        users.create_token("bob", "x", actor="admin")
    assert users.revoke_tokens("bob", None, actor="admin") == 0  # already revoked by disabling
    details = [e.detail for e in store.audit_entries(action_prefix="user.update", limit=None)]
    assert "password changed; 2 API tokens revoked" in details  # fresh, and the expired dash
    actions = [e.action for e in store.audit_entries(limit=None)]
    assert actions.count("token.create") == 5 and actions.count("token.revoke") == 2


def test_sessions_end_after_idle_minutes(
    store: SqlReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = SqlUserStore(store, ReviewSettings(session_idle_minutes=30, session_hours=2))
    users.add("ann", Role.STEWARD, "correct horse", actor="admin")
    ann = users.get("ann")
    assert ann is not None
    start = users_module._now()
    moment = [start]
    monkeypatch.setattr(users_module, "_now", lambda: moment[0])
    token, csrf = users.create_session(ann)
    for minutes in (29, 58, 87, 116):  # used every 29 minutes: alive until the 2 hours
        moment[0] = start + timedelta(minutes=minutes)
        assert users.session_user(token) == (ann, csrf)
    moment[0] = start + timedelta(minutes=121)
    assert users.session_user(token) is None  # absolute limit
    token, _ = users.create_session(ann)
    moment[0] += timedelta(minutes=31)
    assert users.session_user(token) is None  # idle
    with store.catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM web_sessions").scalar() == 0
