"""``enricher review ...`` and ``enricher users ...`` in process (click's CliRunner).

Suggestions are seeded through the review store as a scan would; every decision goes through
the command line and must land in the audit log with the user's name and the address ``cli``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

from models.plan import Suggestion
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.cli.app import cli
from worker.core.errors import NotAuthenticated

PASSWORD = "correct horse battery"
CRM = "s3://lake/crm/customers.parquet"
HR = "s3://lake/hr/staff.csv"
LOCAL = "file:///data/exports/orders.csv"


def _suggestion(uri: str, column: str, entity: str, confidence: float) -> Suggestion:
    return Suggestion(
        object_uri=uri,
        qualified_name="",
        kind="tag",
        tag=f"PII {entity.title()}",
        entity=entity,
        column=column,
        confidence=confidence,
        reason=f"{entity} in {column}",
        evidence={"hits": 40, "sampled": 50, "examples": ["j***@e***.com"]},
        classifier_version="pii=1.0",
    )


def _seed(url: str) -> dict[tuple[str, str], int]:
    """Thirteen pending suggestions on three objects; returns their ids by (uri, column)."""
    catalog = SqlLocalCatalog(url)
    store = SqlReviewStore(catalog)
    store.sync(
        CRM,
        [
            _suggestion(CRM, "email", "EMAIL_ADDRESS", 0.95),
            _suggestion(CRM, "ssn", "US_SSN", 0.9),
            _suggestion(CRM, "phone", "PHONE_NUMBER", 0.6),
        ],
    )
    store.sync(
        HR,
        [_suggestion(HR, f"col{i}", "PERSON", 0.5 + i / 100) for i in range(8)],
    )
    store.sync(
        LOCAL,
        [
            _suggestion(LOCAL, "mail", "EMAIL_ADDRESS", 0.8),
            _suggestion(LOCAL, "name", "PERSON", 0.4),
        ],
    )
    from models.review import SuggestionFilter

    page = store.page(SuggestionFilter(state=None), sort="object", limit=500)
    ids = {(s.object_uri, s.column or ""): s.id for s in page.items}
    catalog.engine.dispose()
    assert len(ids) == 13
    return ids


class Enricher:
    """Runs ``enricher`` in process against one catalog database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        env: dict[str, str | None] = {"ENRICH_DATABASE_URL": self.url, "ENRICHER_CONFIG": None}
        return self.runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def fails(self, *args: str, message: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("enricher: error: ")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def state(self, suggestion_id: int) -> str:
        data = self.json("review", "show", str(suggestion_id))
        return str(data["suggestion"]["state"])

    def add_user(self, name: str, role: str) -> None:
        self.ok("users", "add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'e.db'}"


@pytest.fixture
def enricher(sqlite_url: str) -> Enricher:
    return Enricher(sqlite_url)


@pytest.fixture
def seeded(enricher: Enricher) -> dict[tuple[str, str], int]:
    ids = _seed(enricher.url)
    enricher.add_user("alice", "steward")
    enricher.add_user("victor", "viewer")
    return ids


def test_users_add_list_set_token_hash(enricher: Enricher) -> None:
    enricher.add_user("alice", "admin")
    # without --password-stdin: a hidden prompt with confirmation
    prompted = enricher.ok(
        "users", "add", "bob", "--role", "viewer", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert "user bob added (viewer)" in prompted.stdout
    assert PASSWORD not in prompted.stdout
    enricher.fails(
        "users", "add", "bob", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n",
        message="exists",
    )  # fmt: skip
    enricher.fails(
        "users", "add", "carol", "--role", "steward", "--password-stdin", input="short\n",
        message="at least 8 characters",
    )  # fmt: skip
    assert enricher("users", "add", "dave", "--role", "king").exit_code == 2

    table = enricher.ok("users", "list").stdout
    assert "alice" in table and "bob" in table and "admin" in table
    listed = {u["name"]: u for u in enricher.json("users", "list")}
    assert listed == {
        "alice": {"name": "alice", "role": "admin", "active": True, "source": "database"},
        "bob": {"name": "bob", "role": "viewer", "active": True, "source": "database"},
    }

    assert "steward" in enricher.ok("users", "set", "bob", "--role", "steward").stdout
    assert "disabled" in enricher.ok("users", "set", "bob", "--disable").stdout
    changed = enricher.ok("users", "set", "bob", "--password-stdin", input="another password\n")
    assert "password changed" in changed.stdout
    bob = {u["name"]: u for u in enricher.json("users", "list")}["bob"]
    assert bob["role"] == "steward" and bob["active"] is False
    assert "active" in enricher.ok("users", "set", "bob", "--enable").stdout
    enricher.fails("users", "set", "nobody", "--role", "admin", message="no user 'nobody'")
    assert enricher("users", "set", "bob").exit_code == 2  # nothing to change

    token = enricher.ok("users", "token", "alice", "--label", "ci").stdout.strip()
    assert token.startswith("s3e_") and len(token.splitlines()) == 1
    enricher.fails("users", "token", "nobody", message="no user")
    from worker.adapters.catalog.users import SqlUserStore
    from worker.core.settings import ReviewSettings

    catalog = SqlLocalCatalog(enricher.url)
    store = SqlReviewStore(catalog)
    assert SqlUserStore(store, ReviewSettings()).token_user(token).name == "alice"
    actions = {(e.actor, e.action, e.target) for e in store.audit_entries()}
    catalog.engine.dispose()
    assert ("cli", "user.add", "user alice") in actions
    assert ("cli", "user.update", "user bob") in actions
    assert ("cli", "token.create", "user alice") in actions

    hashed = enricher.ok("users", "hash", "--password-stdin", input=PASSWORD + "\n").stdout.strip()
    assert hashed.startswith("$argon2id$")
    assert PasswordHasher().verify(hashed, PASSWORD)
    prompted_hash = enricher.ok("users", "hash", input=f"{PASSWORD}\n{PASSWORD}\n").stdout
    assert PasswordHasher().verify(prompted_hash.strip().splitlines()[-1], PASSWORD)
    enricher.fails("users", "hash", "--password-stdin", input="abc\n", message="at least 8")


def test_users_token_list_revoke_read_only_and_expiry(enricher: Enricher) -> None:
    from worker.adapters.catalog.users import SqlUserStore
    from worker.core.settings import ReviewSettings

    enricher.add_user("alice", "steward")
    enricher.add_user("bob", "viewer")
    made = enricher.ok("users", "token", "alice", "--label", "ci", "--read-only", "--days", "7")
    token = made.stdout.strip()
    assert token.startswith("s3e_") and "(read) expires" in made.stderr
    other = enricher.ok("users", "token", "alice").stdout.strip()
    enricher.ok("users", "token", "bob", "--label", "bobs")
    listed = enricher.json("users", "token", "alice", "--list")
    assert [(t["label"], t["scope"], t["state"]) for t in listed] == [
        ("cli", "write", "active"),
        ("ci", "read", "active"),
    ]
    assert token not in json.dumps(listed) and other not in json.dumps(listed)
    table = enricher.ok("users", "token", "alice", "--list").stdout
    assert listed[1]["id"] in table and "read" in table
    catalog = SqlLocalCatalog(enricher.url)
    users = SqlUserStore(SqlReviewStore(catalog), ReviewSettings())
    access = users.token_access(token)
    assert access.read_only and (access.expires_at - datetime.now(UTC)).days in (6, 7)

    revoked = enricher.ok("users", "token", "alice", "--revoke", listed[1]["id"])
    assert "1 API token of alice revoked" in revoked.stdout
    enricher.fails("users", "token", "alice", "--revoke", "0123456789ab", message="no API token")
    bobs = enricher.json("users", "token", "bob", "--list")[0]["id"]
    enricher.fails("users", "token", "alice", "--revoke", bobs, message="no API token")
    states = {t["label"]: t["state"] for t in enricher.json("users", "token", "alice", "--list")}
    assert states == {"ci": "revoked", "cli": "active"}
    assert "1 API tokens" not in enricher.ok("users", "token", "alice", "--revoke-all").stdout
    assert users.tokens("alice")[0].state() == "revoked"
    assert enricher("users", "token", "alice", "--list", "--revoke-all").exit_code == 2
    assert enricher("users", "token", "alice", "--list", "--read-only").exit_code == 2
    lineage = enricher.ok("users", "token", "bob", "--lineage-only", "--label", "airflow")
    assert "(lineage) expires" in lineage.stderr
    assert users.token_access(lineage.stdout.strip()).scope == "lineage"
    assert enricher("users", "token", "bob", "--lineage-only", "--read-only").exit_code == 2
    assert enricher("users", "token", "alice", "--days", "0").exit_code == 2
    enricher.fails("users", "token", "nobody", "--list", message="no user")

    # A password change revokes the user's tokens.
    fresh = enricher.ok("users", "token", "bob").stdout.strip()
    changed = enricher.ok("users", "set", "bob", "--password-stdin", input="another password\n")
    assert "API tokens were revoked" in changed.stderr
    with pytest.raises(NotAuthenticated):
        users.token_user(fresh)
    actions = [e.action for e in users.review.audit_entries(limit=None)]
    catalog.engine.dispose()
    assert actions.count("token.revoke") == 2


def test_list_filters_sort_paging_and_json(
    enricher: Enricher, seeded: dict[tuple[str, str], int]
) -> None:
    table = enricher.ok("review", "list").stdout
    for header in ("id", "object", "column", "kind", "tag", "confidence", "state", "reason"):
        assert header in table
    assert CRM in table and "0.95" in table and "1-13 of 13" in table

    everything = enricher.json("review", "list")
    assert everything["total"] == 13
    confidences = [s["confidence"] for s in everything["items"]]
    assert confidences == sorted(confidences, reverse=True)  # -confidence by default
    assert everything["items"][0]["evidence"]["examples"] == ["j***@e***.com"]

    emails = enricher.json("review", "list", "--entity", "EMAIL_ADDRESS")
    assert {s["object_uri"] for s in emails["items"]} == {CRM, LOCAL}
    crm = enricher.json("review", "list", "--uri", "s3://lake/crm/")
    assert crm["total"] == 3
    glob = enricher.json("review", "list", "--uri", "s3://lake/*/staff.*")
    assert glob["total"] == 8
    sure = enricher.json("review", "list", "--min-confidence", "0.85", "--sort", "confidence")
    assert [s["column"] for s in sure["items"]] == ["ssn", "email"]
    low = enricher.json("review", "list", "--max-confidence", "0.5", "--kind", "tag")
    assert {s["column"] for s in low["items"]} == {"col0", "name"}
    one = enricher.json("review", "list", "--object", LOCAL, "--tag", "PII Person")
    assert [s["column"] for s in one["items"]] == ["name"]
    assert enricher.json("review", "list", "--classifier-version", "pii=2.0")["total"] == 0
    page = enricher.json("review", "list", "--sort", "object", "--limit", "2", "--offset", "3")
    assert page["total"] == 13 and len(page["items"]) == 2 and page["offset"] == 3
    assert "4-5 of 13" in enricher.ok("review", "list", "--limit", "2", "--offset", "3").stdout
    assert enricher.json("review", "list", "--state", "approved")["total"] == 0
    assert "no suggestions" in enricher.ok("review", "list", "--state", "rejected").stdout
    assert enricher("review", "list", "--state", "nonsense").exit_code == 2
    assert enricher("review", "list", "--sort", "tag").exit_code == 2


def test_show_approve_reject_and_permissions(
    enricher: Enricher, seeded: dict[tuple[str, str], int]
) -> None:
    # ids "1" and "12": an audit target prefix of the one matches the other
    first, twelfth = seeded[(CRM, "email")], seeded[(LOCAL, "mail")]
    assert (first, twelfth) == (1, 12)
    shown = enricher.ok("review", "show", str(first)).stdout
    assert "j***@e***.com" in shown and "pending" in shown and "no history" in shown
    enricher.fails("review", "show", "999", message="no suggestion 999")

    # a viewer cannot decide; nothing changes
    enricher.fails("review", "approve", str(first), "--as", "victor", message="needs steward")
    enricher.fails(
        "review", "reject", str(first), "--reason", "no", "--as", "victor", message="viewer"
    )
    enricher.fails("review", "approve", str(first), "--as", "mallory", message="no user")
    assert enricher.state(first) == "pending"
    assert enricher("review", "approve", str(first)).exit_code == 2  # --as is required

    # suggestion 12 is decided: its history must not show up on suggestion 1
    approved = enricher.ok("review", "approve", str(twelfth), "--as", "alice", "--reason", "ok")
    assert "1 suggestion approved" in approved.stdout
    history = enricher.json("review", "show", str(first))["history"]
    assert history == []
    twelve = enricher.json("review", "show", str(twelfth))
    assert [e["action"] for e in twelve["history"]][0] == "suggestion.approve"
    assert twelve["history"][0]["actor"] == "alice" and twelve["history"][0]["address"] == "cli"

    # reject needs a reason
    enricher.fails("review", "reject", str(first), "--as", "alice", message="needs a reason")
    enricher.fails(
        "review", "reject", str(first), "--as", "alice", "--reason", "  ", message="reason"
    )
    assert enricher.state(first) == "pending"
    rejected = enricher.ok(
        "review", "reject", str(first), "--as", "alice", "--reason", "test data, not real"
    )
    assert "1 suggestion rejected" in rejected.stdout
    data = enricher.json("review", "show", str(first))
    assert data["suggestion"]["state"] == "rejected"
    assert data["suggestion"]["decided_by"] == "alice"
    assert data["suggestion"]["decision_reason"] == "test data, not real"
    (entry,) = data["history"]
    assert (entry["action"], entry["before"]["state"], entry["after"]["state"]) == (
        "suggestion.reject",
        "pending",
        "rejected",
    )
    table = enricher.ok("review", "show", str(first)).stdout
    assert "pending → rejected" in table and "test data, not real" in table

    # a decision is final; unknown ids are refused as a whole
    enricher.fails("review", "approve", str(first), "--as", "alice", message="not pending")
    crm_ids = [str(seeded[(CRM, "ssn")]), str(seeded[(CRM, "phone")])]
    enricher.fails("review", "approve", *crm_ids, "999", "--as", "alice", message="999")
    assert enricher.state(int(crm_ids[0])) == "pending"
    both = enricher.ok("review", "approve", *crm_ids, "--as", "alice")
    assert "2 suggestions approved; 0 applied, 2 waiting (Atlan is not enabled)" in both.stdout
    assert enricher.state(int(crm_ids[0])) == "approved"
    # a local object has no Atlan asset: approved means applied
    assert enricher.state(twelfth) == "applied"
    actions = [e["action"] for e in enricher.json("review", "show", str(twelfth))["history"]]
    assert actions == ["suggestion.approve", "suggestion.applied"]
    # usage errors
    assert enricher("review", "approve", "--as", "alice").exit_code == 2
    assert enricher("review", "approve", "2", "--all-matching", "--as", "alice").exit_code == 2
    assert enricher("review", "approve", "2", "--entity", "X", "--as", "alice").exit_code == 2


def test_bulk_decisions_confirm_decline_and_yes(
    enricher: Enricher, seeded: dict[tuple[str, str], int]
) -> None:
    filters = ("--all-matching", "--uri", "s3://lake/hr/", "--min-confidence", "0.545")
    # declined: nothing changes
    declined = enricher("review", "approve", *filters, "--as", "alice", input="n\n")
    assert declined.exit_code == 1, declined.stderr
    assert "would approve 3 suggestions matching: state=pending, uri=s3://lake/hr/" in (
        declined.stdout
    )
    assert "nothing decided" in declined.stderr
    assert enricher.json("review", "list", "--state", "pending")["total"] == 13
    # a viewer is refused before being asked
    viewer = enricher.fails("review", "approve", *filters, "--as", "victor", message="viewer")
    assert "would approve" not in viewer.stdout

    confirmed = enricher.ok("review", "approve", *filters, "--as", "alice", input="y\n")
    assert "3 suggestions approved; 0 applied, 3 waiting (Atlan is not enabled)" in (
        confirmed.stdout
    )
    approved = enricher.json("review", "list", "--state", "approved")
    assert {s["column"] for s in approved["items"]} == {"col5", "col6", "col7"}
    assert all(s["decided_by"] == "alice" for s in approved["items"])

    # nothing matches any more
    enricher.fails("review", "approve", *filters, "--as", "alice", "--yes", message="no pending")
    # bulk reject needs a reason, before any question
    enricher.fails(
        "review", "reject", "--all-matching", "--entity", "PERSON", "--as", "alice", "--yes",
        message="needs a reason",
    )  # fmt: skip
    rejected = enricher.ok(
        "review", "reject", "--all-matching", "--entity", "PERSON", "--as", "alice", "--yes",
        "--reason", "names of public figures",
    )  # fmt: skip
    assert "6 suggestions rejected" in rejected.stdout  # 5 left on hr, 1 local
    assert enricher.json("review", "list")["total"] == 4

    # the bulk decision appears in each suggestion's history
    col6 = seeded[(HR, "col6")]
    (entry,) = enricher.json("review", "show", str(col6))["history"]
    assert entry["action"] == "bulk.approve" and col6 in entry["before"]["ids"]


def test_export_audit_and_suggestions(
    enricher: Enricher, seeded: dict[tuple[str, str], int], tmp_path: Path
) -> None:
    email, ssn = seeded[(CRM, "email")], seeded[(CRM, "ssn")]
    enricher.ok("review", "approve", str(email), "--as", "alice", "--reason", "yes")
    enricher.ok("review", "reject", str(ssn), "--as", "alice", "--reason", "fake ids")

    rows = list(csv.DictReader(io.StringIO(enricher.ok("review", "export").stdout)))
    decisions = {r["target"]: r for r in rows if r["action"].startswith("suggestion.")}
    approve = decisions[f"suggestion {email}"]
    assert (approve["actor"], approve["action"], approve["address"]) == (
        "alice",
        "suggestion.approve",
        "cli",
    )
    assert json.loads(approve["before"])["state"] == "pending"
    assert json.loads(approve["after"])["state"] == "approved"
    reject = decisions[f"suggestion {ssn}"]
    assert json.loads(reject["after"])["state"] == "rejected" and reject["detail"] == "fake ids"
    assert any(r["action"] == "user.add" and r["actor"] == "cli" for r in rows)

    out = tmp_path / "audit.json"
    written = enricher.ok("review", "export", "--format", "json", "--output", str(out))
    assert written.stdout == "" and f"to {out}" in written.stderr
    entries = json.loads(out.read_text(encoding="utf-8"))
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)  # oldest first
    by_target = {e["target"]: e for e in entries if e["action"].startswith("suggestion.")}
    assert by_target[f"suggestion {ssn}"]["before"]["state"] == "pending"
    assert by_target[f"suggestion {ssn}"]["after"]["state"] == "rejected"
    assert by_target[f"suggestion {ssn}"]["actor"] == "alice"

    future = enricher.ok("review", "export", "--format", "json", "--since", "2999-01-01")
    assert json.loads(future.stdout) == []
    past = enricher.ok("review", "export", "--format", "json", "--since", "2000-01-01T00:00Z")
    assert len(json.loads(past.stdout)) == len(entries)
    assert enricher("review", "export", "--since", "yesterday").exit_code == 2

    suggestions = json.loads(
        enricher.ok("review", "export", "--what", "suggestions", "--format", "json").stdout
    )
    assert len(suggestions) == 13
    states = {s["id"]: s["state"] for s in suggestions}
    assert states[email] == "approved" and states[ssn] == "rejected"
    as_csv = enricher.ok("review", "export", "--what", "suggestions").stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert len(rows) == 13
    row = next(r for r in rows if r["id"] == str(ssn))
    assert row["state"] == "rejected" and row["decision_reason"] == "fake ids"
    assert json.loads(row["evidence"])["examples"] == ["j***@e***.com"]


def test_review_on_postgresql(postgres_url: str) -> None:
    enricher = Enricher(postgres_url)
    ids = _seed(postgres_url)
    enricher.add_user("alice", "steward")
    email = ids[(CRM, "email")]
    enricher.ok("review", "approve", str(email), "--as", "alice")
    bulk = enricher.ok(
        "review", "reject", "--all-matching", "--uri", "s3://lake/hr/*", "--as", "alice",
        "--reason", "staff list", "--yes",
    )  # fmt: skip
    assert "8 suggestions rejected" in bulk.stdout
    assert enricher.json("review", "list", "--state", "rejected")["total"] == 8
    assert enricher.json("review", "list", "--entity", "EMAIL_ADDRESS")["total"] == 1
    entries = json.loads(enricher.ok("review", "export", "--format", "json").stdout)
    actions = [(e["actor"], e["action"]) for e in entries]
    assert ("alice", "suggestion.approve") in actions and ("alice", "bulk.reject") in actions
    assert enricher.state(email) == "approved"


def test_serve_passes_trusted_proxies_to_uvicorn(
    enricher: Enricher, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    env: dict[str, str | None] = {"ENRICH_DATABASE_URL": enricher.url, "ENRICHER_CONFIG": None}
    assert enricher.runner.invoke(cli, ["serve"], env=env).exit_code == 0
    trusted = {**env, "ENRICH_WEB__TRUSTED_PROXIES": '["10.0.0.0/8", "192.0.2.7"]'}
    assert enricher.runner.invoke(cli, ["serve"], env=trusted).exit_code == 0
    # Default: uvicorn believes no X-Forwarded-* (its own default trusts loopback).
    assert calls[0]["proxy_headers"] is False
    assert calls[1]["proxy_headers"] is True
    assert calls[1]["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.7"]
    bad = {**env, "ENRICH_WEB__TRUSTED_PROXIES": '["proxy.internal"]'}
    result = enricher.runner.invoke(cli, ["serve"], env=bad)
    assert result.exit_code != 0 and "not an IP address" in result.stderr
