"""Users, browser sessions, API tokens and login rate limiting for the review UI.

Passwords are hashed with argon2id (``argon2-cffi``); session cookies and API tokens are
random 256-bit values of which only the sha256 is stored, so a copy of the database does not
let anyone log in. Users come from the database (``enricher users add``, the admin page) and
from the settings file (``review.users``, with argon2 hashes); a database user of the same name
wins. Every login, failed login and user change is audited.

Password checks (:meth:`SqlUserStore.authenticate`) are rate limited:

* an attempt is recorded, as a failure, in the same transaction that counts the recent
  failures (PostgreSQL: under advisory locks on the user and the address; SQLite: the insert
  comes first and takes the write lock), and only then is the password verified; a right
  password turns the record into a success. Parallel attempts therefore see each other: of
  12 parallel wrong passwords against ``login_max_failures`` 5, five are verified;
* the first ``login_max_failures`` failures of one user *from one address* (since its last
  success there) cost nothing; after that each attempt from that address waits
  ``login_delay_seconds`` after the previous failure, doubling per failure up to
  ``login_max_delay_seconds``. Someone guessing from another address does not slow the real
  user down;
* one address trying any names waits the same way after 4 x ``login_max_failures`` failures;
* one user from all addresses together waits only after ``login_user_max_failures`` (50), and
  then linearly, at most 60 s: a distributed guesser is slowed, the user is not locked out;
* at most ``login_max_concurrent`` argon2 checks (64 MiB each) run at once per process;
  beyond that a login is refused at once (:class:`LoginBusy`, 503 with ``Retry-After``).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models.review import Role, User
from worker.adapters.catalog.database import as_utc
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.adapters.catalog.schema import ApiTokenRow, LoginAttemptRow, UserRow, WebSessionRow
from worker.core.errors import (
    InvalidDecision,
    LoginThrottled,
    NotAuthenticated,
    ReviewError,
    SuggestionNotFound,
)
from worker.core.settings import ReviewSettings

MIN_PASSWORD = 8
#: Token scopes: ``read`` tokens may only GET; ``write`` tokens may do what the user's role may;
#: ``lineage`` tokens may only post OpenLineage events (``POST /api/v1/lineage``).
SCOPES = ("read", "write", "lineage")
#: How many characters of a token's hash name it (``enricher users token --list``).
TOKEN_ID_LENGTH = 12
#: The user-wide wait (all addresses together) grows linearly up to this.
USER_MAX_DELAY_S = 60.0
#: An address trying any names may fail this many times ``login_max_failures`` before waiting.
ADDRESS_FACTOR = 4
_TOKEN_ID = re.compile(rf"[0-9a-f]{{{TOKEN_ID_LENGTH}}}")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class LoginBusy(ReviewError):
    """Too many password checks at once in this process: refused at once (503), not queued."""

    kind = "login_busy"
    retryable = True

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as listed (never the secret: only its id, a prefix of its hash)."""

    id: str
    user: str
    label: str
    scope: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked:
            return "revoked"
        return "expired" if self.expires_at <= (now or _now()) else "active"

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``enricher users token NAME --list --format json``)."""
        return {
            "id": self.id,
            "user": self.user,
            "label": self.label,
            "scope": self.scope,
            "state": self.state(),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True, slots=True)
class TokenAccess:
    """What a bearer token allows: its user, its scope and when it ends."""

    user: User
    scope: str
    token_id: str
    expires_at: datetime

    @property
    def read_only(self) -> bool:
        """A ``read`` token: GET requests only."""
        return self.scope == "read"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (for ``review.users`` in the settings file).

    :raises InvalidDecision: shorter than :data:`MIN_PASSWORD` characters.
    """
    if len(password) < MIN_PASSWORD:
        raise InvalidDecision(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _verify(stored_hash: str, password: str) -> bool:
    """One argon2 verification (the expensive part of a login: 64 MiB, tens of ms)."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return False


def backoff(failures: int, free: int, base_s: float, cap_s: float) -> float:
    """The wait after the last failure: none for ``free`` failures, then doubling to ``cap_s``."""
    if failures < free:
        return 0.0
    return min(cap_s, base_s * 2.0 ** min(failures - free, 40))


def linear_backoff(failures: int, free: int, base_s: float, cap_s: float) -> float:
    """The same, growing by ``base_s`` per failure instead of doubling."""
    if failures < free:
        return 0.0
    return min(cap_s, base_s * (failures - free + 1))


def _lock_key(kind: str, value: str) -> int:
    """A PostgreSQL advisory lock key (signed 64-bit) for one user name or address."""
    digest = hashlib.sha256(f"s3e-login:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def token_id(token: str) -> str:
    """The id under which a token is listed and revoked: the start of its hash."""
    return _digest(token)[:TOKEN_ID_LENGTH]


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.token_hash[:TOKEN_ID_LENGTH],
        user=row.user_name,
        label=row.label,
        scope=row.scope,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
        revoked=row.revoked,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


class SqlUserStore:
    """Users, sessions, tokens and login attempts on the local catalog's database.

    :param review: the review store (its database, and its audit log).
    :param settings: the ``review`` settings (declared users, session length, rate limits).
    """

    def __init__(self, review: SqlReviewStore, settings: ReviewSettings) -> None:
        self.review = review
        self.settings = settings
        self._checks = threading.BoundedSemaphore(settings.login_max_concurrent)

    def _session(self) -> Session:
        return Session(self.review.catalog.engine, expire_on_commit=False)

    # -- users --------------------------------------------------------------------------------

    def users(self) -> list[User]:
        """Every user, database ones first, then those only in the settings file."""
        with self._session() as session:
            rows = list(session.scalars(select(UserRow).order_by(UserRow.name)))
        out = [User(r.name, Role(r.role), r.active) for r in rows]
        known = {u.name for u in out}
        out += [
            User(u.name, Role(u.role), True, "settings")
            for u in self.settings.users
            if u.name not in known
        ]
        return out

    def get(self, name: str) -> User | None:
        """One user (database first, then settings), or ``None``."""
        with self._session() as session:
            row = session.get(UserRow, name)
        if row is not None:
            return User(row.name, Role(row.role), row.active)
        for u in self.settings.users:
            if u.name == name:
                return User(u.name, Role(u.role), True, "settings")
        return None

    def add(self, name: str, role: Role, password: str, actor: str) -> User:
        """Create a database user.

        :raises InvalidDecision: the name exists, is malformed, or the password is too short.
        """
        if not name or len(name) > 128 or not all(c.isalnum() or c in "_.@-" for c in name):
            raise InvalidDecision("a user name is 1-128 letters, digits or _ . @ -")
        hashed = hash_password(password)
        now = _now()
        with self._session() as session, session.begin():
            if session.get(UserRow, name) is not None:
                raise InvalidDecision(f"user {name!r} exists")
            session.add(
                UserRow(
                    name=name,
                    role=role.value,
                    password_hash=hashed,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
        self.review.audit(actor, "user.add", f"user {name}", None, {"role": role.value})
        return User(name, role, True)

    def update(
        self,
        name: str,
        actor: str,
        role: Role | None = None,
        active: bool | None = None,
        password: str | None = None,
        keep_session: str | None = None,
    ) -> User:
        """Change a database user's role, active flag or password.

        Disabling the user or changing the password ends the user's sessions (but the one whose
        cookie token is ``keep_session``) and revokes all the user's API tokens.

        :raises SuggestionNotFound: no database user of that name.
        """
        hashed = hash_password(password) if password is not None else None
        now = _now()
        revoked = 0
        with self._session() as session, session.begin():
            row = session.get(UserRow, name)
            if row is None:
                raise SuggestionNotFound(f"no database user {name!r}")
            before = {"role": row.role, "active": row.active}
            if role is not None:
                row.role = role.value
            if active is not None:
                row.active = active
            if hashed is not None:
                row.password_hash = hashed
            row.updated_at = now
            after = {"role": row.role, "active": row.active}
            if active is False or hashed is not None:
                ended = delete(WebSessionRow).where(WebSessionRow.user_name == name)
                if keep_session:
                    ended = ended.where(WebSessionRow.token_hash != _digest(keep_session))
                session.execute(ended)
                revoked = self._revoke(session, ApiTokenRow.user_name == name, now)
            user = User(row.name, Role(row.role), row.active)
        details = ["password changed"] if hashed is not None else []
        if revoked:
            details.append(f"{revoked} API token{'s' if revoked != 1 else ''} revoked")
        self.review.audit(
            actor, "user.update", f"user {name}", before, after, "; ".join(details) or None
        )
        return user

    def change_password(
        self, name: str, current: str, new: str, address: str, keep_session: str | None = None
    ) -> User:
        """A user changes their own password: the current one is checked (and rate limited).

        Their other sessions end and their API tokens are revoked (:meth:`update`).

        :raises InvalidDecision: a settings-file user, a too short or unchanged password.
        :raises NotAuthenticated: the current password is wrong.
        :raises LoginThrottled: too many wrong passwords lately.
        :raises LoginBusy: too many password checks at once.
        """
        known = self.get(name)
        if known is None:
            raise SuggestionNotFound(f"no user {name!r}")
        if known.source != "database":
            raise InvalidDecision(
                f"user {name!r} is declared in the settings file (review.users): change the "
                "hash there"
            )
        if len(new) < MIN_PASSWORD:
            raise InvalidDecision(f"a password needs at least {MIN_PASSWORD} characters")
        self._check_password(name, current, address, "password")
        if new == current:
            raise InvalidDecision("the new password is the same as the current one")
        return self.update(name, actor=name, password=new, keep_session=keep_session)

    # -- logging in ---------------------------------------------------------------------------

    def _failures(
        self, session: Session, since: datetime, exclude: int, *match: ColumnElement[bool]
    ) -> tuple[int, datetime | None]:
        """How many failed (or still running) attempts match since ``since``, and the last one."""
        count, last = session.execute(
            select(func.count(LoginAttemptRow.id), func.max(LoginAttemptRow.at))
            .where(*match)
            .where(LoginAttemptRow.ok.is_(False))
            .where(LoginAttemptRow.at >= since)
            .where(LoginAttemptRow.id != exclude)
        ).one()
        return int(count), as_utc(last) if last is not None else None

    def _admit(self, name: str, address: str) -> int:
        """Record an attempt, as a failure until verified, unless it has to wait; its id.

        One transaction: the counts and the insert cannot interleave with another attempt's.

        :raises LoginThrottled: the user, the address or the pair has to wait.
        """
        s = self.settings
        now = _now()
        window = timedelta(minutes=s.login_window_minutes)
        since = now - window
        base, cap = s.login_delay_seconds, s.login_max_delay_seconds
        with self._session() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                for key in sorted({_lock_key("user", name), _lock_key("address", address)}):
                    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            attempt = LoginAttemptRow(user_name=name, address=address, at=now, ok=False)
            session.add(attempt)
            session.flush()  # SQLite: the first write takes the database's write lock
            pair = (LoginAttemptRow.user_name == name, LoginAttemptRow.address == address)
            last_ok = session.scalar(
                select(func.max(LoginAttemptRow.id)).where(*pair, LoginAttemptRow.ok.is_(True))
            )
            after_ok = LoginAttemptRow.id > (last_ok or 0)
            rules: list[tuple[tuple[ColumnElement[bool], ...], Callable[[int], float]]] = [
                ((*pair, after_ok), lambda n: backoff(n, s.login_max_failures, base, cap)),
                (
                    (LoginAttemptRow.user_name == name,),
                    lambda n: linear_backoff(
                        n, s.login_user_max_failures, base, min(cap, USER_MAX_DELAY_S)
                    ),
                ),
                (
                    (LoginAttemptRow.address == address,),
                    lambda n: backoff(n, s.login_max_failures * ADDRESS_FACTOR, base, cap),
                ),
            ]
            waits = []
            for match, rule in rules:
                count, last = self._failures(session, since, attempt.id, *match)
                delay = rule(count)
                if delay and last is not None:
                    waits.append((last + timedelta(seconds=delay) - now).total_seconds())
            wait = max(waits, default=0.0)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                # Leaving the block rolls the attempt back: a refused attempt is no failure.
                raise LoginThrottled(
                    f"too many failed logins; try again in {retry} s", retry_after_s=retry
                )
            attempt_id = attempt.id
        if attempt_id % _PURGE_EVERY == 0:
            self._purge_attempts(now - max(window, _DAY))
        return attempt_id

    def _purge_attempts(self, before: datetime) -> None:
        """Forget old login attempts (best effort, outside any attempt's transaction)."""
        try:
            with self._session() as session, session.begin():
                session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
        except SQLAlchemyError:  # e.g. a deadlock with a concurrent purge: the next one will do
            pass

    def _lookup(self, name: str) -> tuple[str | None, User | None]:
        with self._session() as session:
            row = session.get(UserRow, name)
        if row is not None:
            return row.password_hash, User(row.name, Role(row.role), row.active)
        for u in self.settings.users:
            if u.name == name:
                return u.password_hash.get_secret_value(), User(
                    u.name, Role(u.role), True, "settings"
                )
        return None, None

    def _check_password(self, name: str, password: str, address: str, action: str) -> User:
        """Admit, verify and record one password check (see the module docstring)."""
        address = address[:64]
        if not self._checks.acquire(blocking=False):
            raise LoginBusy("too many sign-ins at this moment; try again in a second")
        try:
            attempt = self._admit(name, address)
            stored, user = self._lookup(name)
            ok = _verify(stored or _DUMMY_HASH, password) and user is not None and user.active
            if ok:
                with self._session() as session, session.begin():
                    session.execute(
                        update(LoginAttemptRow).where(LoginAttemptRow.id == attempt).values(ok=True)
                    )
                if stored is not None and user is not None and user.source == "database":
                    self._rehash_if_needed(name, stored, password)
        finally:
            self._checks.release()
        if not ok or action == "login":
            outcome = "ok" if ok else "failed"
            self.review.audit(name or "-", f"{action}.{outcome}", f"user {name}", address=address)
        if not ok or user is None:
            raise NotAuthenticated("wrong user name or password")
        return user

    def _rehash_if_needed(self, name: str, stored: str, password: str) -> None:
        """Store a new hash when argon2's parameters changed since ``stored`` was made."""
        if not _needs_rehash(stored):
            return
        fresh = _hasher.hash(password)
        with self._session() as session, session.begin():
            # Only if nobody changed the password meanwhile.
            session.execute(
                update(UserRow)
                .where(UserRow.name == name, UserRow.password_hash == stored)
                .values(password_hash=fresh)
            )

    def authenticate(self, name: str, password: str, address: str) -> User:
        """Check a user name and password; record the attempt; audit it.

        A database user's hash made with older argon2 parameters is replaced on success.

        :raises LoginThrottled: too many recent failures for this user, address or both.
        :raises LoginBusy: too many password checks running at once (try again in a second).
        :raises NotAuthenticated: unknown user, disabled user or wrong password (one message
            for all three, so that names cannot be probed).
        """
        return self._check_password(name.strip()[:128], password, address, "login")

    # -- browser sessions ---------------------------------------------------------------------

    def create_session(self, user: User) -> tuple[str, str]:
        """Open a browser session; return (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now()
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        with self._session() as session, session.begin():
            session.execute(
                delete(WebSessionRow).where(
                    (WebSessionRow.expires_at < now) | (WebSessionRow.last_seen_at < now - idle)
                )
            )
            session.add(
                WebSessionRow(
                    token_hash=_digest(token),
                    user_name=user.name,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=self.settings.session_hours),
                    last_seen_at=now,
                )
            )
        return token, csrf

    def session_user(self, token: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or ``None``.

        A session ends ``session_hours`` after login, after ``session_idle_minutes`` without a
        request, at logout, and when its user is disabled or changes password. Each use marks
        it seen (written at most every minute).
        """
        if not token:
            return None
        now = _now()
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        with self._session() as session, session.begin():
            row = session.get(WebSessionRow, _digest(token))
            if row is None:
                return None
            seen = as_utc(row.last_seen_at)
            if as_utc(row.expires_at) < now or seen + idle < now:
                session.delete(row)
                return None
            if now - seen >= min(_SEEN_EVERY, idle / 10):
                row.last_seen_at = now
            name, csrf = row.user_name, row.csrf_token
        user = self.get(name)
        if user is None or not user.active:
            return None
        return user, csrf

    def end_session(self, token: str) -> None:
        """Log out: forget the session."""
        with self._session() as session, session.begin():
            session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _digest(token)))

    # -- API tokens ---------------------------------------------------------------------------

    def create_token(
        self,
        name: str,
        label: str,
        actor: str,
        scope: str = "write",
        days: int | None = None,
    ) -> str:
        """A new bearer token for ``name`` (shown once; only its hash is kept).

        :param scope: ``read`` (GET only), ``write`` or ``lineage`` (OpenLineage events only).
        :param days: days until it expires (default ``review.token_days``).
        :raises SuggestionNotFound: no such user.
        :raises InvalidDecision: a disabled user, an unknown scope, days out of 1-3650.
        """
        user = self.get(name)
        if user is None:
            raise SuggestionNotFound(f"no user {name!r}")
        if not user.active:
            raise InvalidDecision(f"user {name!r} is disabled")
        if scope not in SCOPES:
            raise InvalidDecision(f"a token's scope is read or write (or lineage), not {scope!r}")
        days = self.settings.token_days if days is None else days
        if not 1 <= days <= 3650:
            raise InvalidDecision("a token lasts 1 to 3650 days")
        token = "s3e_" + secrets.token_urlsafe(32)
        now = _now()
        expires = now + timedelta(days=days)
        label = label.strip()[:128] or "-"
        with self._session() as session, session.begin():
            session.add(
                ApiTokenRow(
                    token_hash=_digest(token),
                    user_name=name,
                    label=label,
                    created_at=now,
                    last_used_at=None,
                    revoked=False,
                    scope=scope,
                    expires_at=expires,
                    revoked_at=None,
                )
            )
        self.review.audit(
            actor,
            "token.create",
            f"user {name}",
            None,
            {
                "id": token_id(token),
                "label": label,
                "scope": scope,
                "expires_at": expires.isoformat(timespec="seconds"),
            },
        )
        return token

    def tokens(self, name: str) -> list[ApiToken]:
        """``name``'s API tokens, newest first (revoked and expired ones too)."""
        with self._session() as session:
            rows = session.scalars(
                select(ApiTokenRow)
                .where(ApiTokenRow.user_name == name)
                .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.token_hash)
            )
            return [_token(r) for r in rows]

    @staticmethod
    def _revoke(session: Session, match: ColumnElement[bool], now: datetime) -> int:
        done = session.connection().execute(
            update(ApiTokenRow)
            .where(match, ApiTokenRow.revoked.is_(False))
            .values(revoked=True, revoked_at=now)
        )
        return int(done.rowcount or 0)

    def revoke_tokens(self, name: str, ids: Sequence[str] | None, actor: str) -> int:
        """Revoke some of ``name``'s tokens by id (``None``: all); return how many were live.

        :raises SuggestionNotFound: an id that is not one of ``name``'s tokens.
        """
        now = _now()
        with self._session() as session, session.begin():
            if ids is None:
                count = self._revoke(session, ApiTokenRow.user_name == name, now)
            else:
                count = 0
                for token_id in ids:
                    token_id = token_id.strip().lower()
                    missing = SuggestionNotFound(f"user {name!r} has no API token {token_id!r}")
                    if not _TOKEN_ID.fullmatch(token_id):
                        raise missing
                    match = (ApiTokenRow.user_name == name) & ApiTokenRow.token_hash.startswith(
                        token_id
                    )
                    if not session.scalar(select(func.count()).where(match)):
                        raise missing
                    count += self._revoke(session, match, now)
        what = "all" if ids is None else ", ".join(i.strip().lower() for i in ids)
        self.review.audit(
            actor, "token.revoke", f"user {name}", None, {"tokens": what}, f"{count} revoked"
        )
        return count

    def token_access(self, token: str) -> TokenAccess:
        """The user, scope and expiry of a bearer token (and mark it used).

        :raises NotAuthenticated: unknown, revoked or expired token, or the user is disabled.
        """
        now = _now()
        with self._session() as session, session.begin():
            row = session.get(ApiTokenRow, _digest(token))
            if row is None or row.revoked:
                raise NotAuthenticated("unknown or revoked API token")
            expires = as_utc(row.expires_at)
            if expires <= now:
                raise NotAuthenticated("the API token has expired: create a new one")
            row.last_used_at = now
            name, scope, token_id = row.user_name, row.scope, row.token_hash[:TOKEN_ID_LENGTH]
        user = self.get(name)
        if user is None or not user.active:
            raise NotAuthenticated("the token's user is disabled")
        return TokenAccess(user=user, scope=scope, token_id=token_id, expires_at=expires)

    def token_user(self, token: str) -> User:
        """The user a bearer token belongs to (see :meth:`token_access`).

        :raises NotAuthenticated: unknown, revoked or expired token, or the user is disabled.
        """
        return self.token_access(token).user


_DAY = timedelta(days=1)
#: Every this many attempts, attempts older than the window (and a day) are deleted.
_PURGE_EVERY = 50
_SEEN_EVERY = timedelta(minutes=1)
