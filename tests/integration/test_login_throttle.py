"""Login throttling under parallel attack: attempts are recorded before passwords are checked.

Over real HTTP (uvicorn in a thread, clients on 127.0.0.1 and 127.0.0.2) and on the user
store directly, on SQLite and PostgreSQL. ``_verify`` (one argon2 verification) is wrapped to
count the checks that really ran.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from models.review import Role
from tests.support.uvicorn_thread import serve
from worker.adapters.catalog import users as users_module
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.adapters.catalog.schema import UserRow
from worker.adapters.catalog.users import LoginBusy, SqlUserStore
from worker.bootstrap import build_review
from worker.core.errors import LoginThrottled, NotAuthenticated
from worker.core.settings import ReviewSettings, load_settings
from worker.web.app import create_app

PASSWORD = "right-password-1"
WRONG = "wrong-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Checks:
    """Counts argon2 verifications (and how many ran at once); can hold them back."""

    def __init__(self) -> None:
        self.count = 0
        self.active = 0
        self.most = 0
        self.lock = threading.Lock()
        self.gate: threading.Event | None = None
        self.inside = threading.Event()
        self.real = users_module._verify

    def __call__(self, stored: str, password: str) -> bool:
        with self.lock:
            self.count += 1
            self.active += 1
            self.most = max(self.most, self.active)
        self.inside.set()
        try:
            if self.gate is not None:
                assert self.gate.wait(30)
            return self.real(stored, password)
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    counter = Checks()
    monkeypatch.setattr(users_module, "_verify", counter)
    return counter


def _client(base: str, address: str) -> httpx.Client:
    """A browser-like client connecting from ``address`` (a loopback alias)."""
    return httpx.Client(
        base_url=base,
        transport=httpx.HTTPTransport(local_address=address),
        timeout=60,
        follow_redirects=False,
    )


def _form_token(client: httpx.Client) -> str:
    match = CSRF_RE.search(client.get("/login").text)
    assert match is not None
    return match.group(1)


def _post_login(client: httpx.Client, token: str, password: str) -> httpx.Response:
    return client.post(
        "/login", data={"username": "ann", "password": password, "csrf_token": token}
    )


def _web(tmp_path: Path, **review: Any) -> Any:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'e.db'}", review=review)
    service = build_review(settings)
    service.users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    return service, create_app(None, lambda _e: None, review=service)


def _parallel(base: str, address: str, n: int, password: str) -> list[httpx.Response]:
    """``n`` logins as ann from ``address`` sent at the same moment (forms fetched before)."""
    clients = [_client(base, address) for _ in range(n)]
    tokens = [_form_token(c) for c in clients]
    barrier = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        barrier.wait()
        return _post_login(clients[i], tokens[i], password)

    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, range(n)))
    finally:
        for c in clients:
            c.close()


def test_twelve_parallel_wrong_logins_check_at_most_five_passwords(
    tmp_path: Path, checks: Checks, clock: Clock
) -> None:
    # A stopped clock: on a loaded machine the 2 s delay could run out before the last check.
    service, app = _web(tmp_path, login_max_concurrent=16)
    with serve(app) as base:
        answers = _parallel(base, "127.0.0.1", 12, WRONG)
        codes = sorted(r.status_code for r in answers)
        assert checks.count <= 5, codes
        assert codes.count(401) == checks.count == 5
        assert codes.count(429) == 7
        assert all(int(r.headers["retry-after"]) >= 1 for r in answers if r.status_code == 429)
        # The attacker's address waits, for the right password too ...
        with _client(base, "127.0.0.1") as attacker:
            assert _post_login(attacker, _form_token(attacker), PASSWORD).status_code == 429
        # ... the real user, from another address, is not slowed down at all.
        with _client(base, "127.0.0.2") as real:
            ok = _post_login(real, _form_token(real), PASSWORD)
            assert ok.status_code == 303 and ok.headers["location"] == "/queue"
            assert real.get("/queue").status_code == 200
    assert checks.count == 6
    failed = service.store.audit_entries(action_prefix="login.failed", limit=None)
    assert len(failed) == 5 and {e.address for e in failed} == {"127.0.0.1"}
    (ok_entry,) = service.store.audit_entries(action_prefix="login.ok", limit=None)
    assert ok_entry.address == "127.0.0.2"
    service.store.catalog.engine.dispose()


def test_password_checks_beyond_the_cap_are_refused_at_once_with_503(
    tmp_path: Path, checks: Checks
) -> None:
    service, app = _web(tmp_path, login_max_concurrent=2, login_max_failures=50)
    checks.gate = threading.Event()
    with serve(app) as base, ThreadPoolExecutor(2) as pool:
        holders = []
        for address in ("127.0.0.3", "127.0.0.4"):
            client = _client(base, address)
            checks.inside.clear()
            holders.append((client, pool.submit(_post_login, client, _form_token(client), WRONG)))
            assert checks.inside.wait(10)
        # Two argon2 checks are running (held): a third is refused, quickly, not queued.
        with _client(base, "127.0.0.5") as third:
            token = _form_token(third)
            started = time.monotonic()
            busy = _post_login(third, token, PASSWORD)
            assert time.monotonic() - started < 1
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "try again" in busy.text
        checks.gate.set()
        assert [f.result().status_code for _, f in holders] == [401, 401]
        for client, _ in holders:
            client.close()
        with _client(base, "127.0.0.5") as third:
            assert _post_login(third, _form_token(third), PASSWORD).status_code == 303
    assert checks.most == 2
    service.store.catalog.engine.dispose()


# -- the user store, on SQLite and PostgreSQL --------------------------------------------------


@pytest.fixture
def store(database_url: str) -> Iterator[SqlReviewStore]:
    s = SqlReviewStore(SqlLocalCatalog(database_url))
    yield s
    s.catalog.engine.dispose()


def test_parallel_attempts_are_counted_before_verification(
    store: SqlReviewStore, checks: Checks, clock: Clock
) -> None:
    # A stopped clock, as above: the throttle must still hold at the last line.
    users = SqlUserStore(store, ReviewSettings(login_max_concurrent=16))
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    barrier = threading.Barrier(12)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            users.authenticate("ann", WRONG, "10.0.0.1")
        except LoginThrottled:
            return "throttled"
        except NotAuthenticated:
            return "wrong"
        return "in"

    with ThreadPoolExecutor(12) as pool:
        outcomes = sorted(pool.map(attempt, range(12)))
    assert checks.count == 5 and outcomes == ["throttled"] * 7 + ["wrong"] * 5
    assert users.authenticate("ann", PASSWORD, "10.0.0.2").name == "ann"
    with pytest.raises(LoginThrottled):
        users.authenticate("ann", PASSWORD, "10.0.0.1")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(users_module, "_now", c)
    return c


def _retry(users: SqlUserStore, name: str, password: str, address: str) -> int:
    with pytest.raises(LoginThrottled) as throttled:
        users.authenticate(name, password, address)
    return throttled.value.retry_after_s


def test_waits_double_per_user_and_address_and_a_success_resets_them(
    store: SqlReviewStore, clock: Clock
) -> None:
    users = SqlUserStore(store, ReviewSettings(login_max_failures=3, login_delay_seconds=2))
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            users.authenticate("ann", WRONG, "10.0.0.1")
    assert _retry(users, "ann", PASSWORD, "10.0.0.1") == 2
    waits: list[int] = []
    for _ in range(4):
        clock.advance(waits[-1] if waits else 2)
        with pytest.raises(NotAuthenticated):
            users.authenticate("ann", WRONG, "10.0.0.1")
        waits.append(_retry(users, "ann", PASSWORD, "10.0.0.1"))
    assert waits == [4, 8, 16, 32]
    # Another address is not slowed down.
    assert users.authenticate("ann", PASSWORD, "10.0.0.2").name == "ann"
    # Once the wait is over, the right password works, and the count starts again.
    clock.advance(32)
    assert users.authenticate("ann", PASSWORD, "10.0.0.1").name == "ann"
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            users.authenticate("ann", WRONG, "10.0.0.1")
    assert _retry(users, "ann", WRONG, "10.0.0.1") == 2
    # Failures older than the window are forgotten.
    clock.advance(15 * 60 + 1)
    with pytest.raises(NotAuthenticated):
        users.authenticate("ann", WRONG, "10.0.0.1")


def test_the_user_wide_wait_starts_much_later_and_grows_slowly(
    store: SqlReviewStore, clock: Clock
) -> None:
    settings = ReviewSettings(login_max_failures=3, login_user_max_failures=8)
    users = SqlUserStore(store, settings)
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    for i in range(8):  # a distributed guesser: 8 addresses, one failure each
        with pytest.raises(NotAuthenticated):
            users.authenticate("ann", WRONG, f"10.1.0.{i}")
    # Now every address waits, the user's own too: 2 s, then 4, 6 ... (linear, at most 60 s).
    assert _retry(users, "ann", PASSWORD, "10.0.0.2") == 2
    clock.advance(2)
    with pytest.raises(NotAuthenticated):
        users.authenticate("ann", WRONG, "10.1.0.99")
    assert _retry(users, "ann", PASSWORD, "10.0.0.2") == 4
    clock.advance(4)
    assert users.authenticate("ann", PASSWORD, "10.0.0.2").name == "ann"


def test_one_address_trying_many_names_waits_after_four_times_the_limit(
    store: SqlReviewStore, clock: Clock
) -> None:
    users = SqlUserStore(store, ReviewSettings(login_max_failures=2))
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    for i in range(8):
        with pytest.raises(NotAuthenticated):
            users.authenticate(f"guess{i}", WRONG, "10.9.9.9")
    assert _retry(users, "ann", PASSWORD, "10.9.9.9") == 2
    assert users.authenticate("ann", PASSWORD, "10.0.0.2").name == "ann"


def test_outdated_argon2_parameters_are_rehashed_on_login(store: SqlReviewStore) -> None:
    users = SqlUserStore(store, ReviewSettings())
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with store.catalog.engine.begin() as conn:
        conn.execute(update(UserRow).where(UserRow.name == "ann").values(password_hash=weak))
    with pytest.raises(NotAuthenticated):
        users.authenticate("ann", WRONG, "10.0.0.1")
    with store.catalog.engine.connect() as conn:
        assert conn.execute(select(UserRow.password_hash)).scalar_one() == weak  # not on failure
    users.authenticate("ann", PASSWORD, "10.0.0.1")
    with store.catalog.engine.connect() as conn:
        fresh = conn.execute(select(UserRow.password_hash)).scalar_one()
    assert fresh != weak and "m=65536" in fresh
    assert not PasswordHasher().check_needs_rehash(fresh)
    assert users.authenticate("ann", PASSWORD, "10.0.0.1").name == "ann"


def test_login_busy_is_raised_without_waiting(store: SqlReviewStore, checks: Checks) -> None:
    users = SqlUserStore(store, ReviewSettings(login_max_concurrent=1))
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    checks.gate = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(users.authenticate, "ann", PASSWORD, "10.0.0.1")
        assert checks.inside.wait(10)
        started = time.monotonic()
        with pytest.raises(LoginBusy) as busy:
            users.authenticate("ann", PASSWORD, "10.0.0.2")
        assert time.monotonic() - started < 0.5 and busy.value.retry_after_s == 1
        checks.gate.set()
        assert held.result().name == "ann"
    assert checks.count == 1  # the refused one never reached argon2


def test_old_attempts_are_purged(
    store: SqlReviewStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_module, "_PURGE_EVERY", 1)
    users = SqlUserStore(store, ReviewSettings())
    users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            users.authenticate("ann", WRONG, "10.0.0.1")
    clock.advance(2 * 24 * 3600)
    users.authenticate("ann", PASSWORD, "10.0.0.1")
    with store.catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM login_attempts").scalar() == 1
