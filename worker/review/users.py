"""Users, browser sessions, API tokens and login rate limiting for the review UI.

Passwords are hashed with argon2id (``argon2-cffi``); session cookies and API tokens are
random 256-bit values of which only the sha256 is stored, so a copy of the database does not
let anyone log in. Users come from the database (``enricher users add``, the admin page) and
from the settings file (``review.users``, with argon2 hashes); a database user of the same name
wins. Every login, failed login and user change is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.review import Role, User
from worker.catalog.schema import ApiTokenRow, LoginAttemptRow, UserRow, WebSessionRow
from worker.catalog.sql import as_utc
from worker.errors import InvalidDecision, LoginThrottled, NotAuthenticated, SuggestionNotFound
from worker.review.store import SqlReviewStore
from worker.settings import ReviewSettings

MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


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
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class SqlUserStore:
    """Users, sessions, tokens and login attempts on the local catalog's database.

    :param review: the review store (its database, and its audit log).
    :param settings: the ``review`` settings (declared users, session length, rate limits).
    """

    def __init__(self, review: SqlReviewStore, settings: ReviewSettings) -> None:
        self.review = review
        self.settings = settings

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
    ) -> User:
        """Change a database user's role, active flag or password (sessions end on disable).

        :raises SuggestionNotFound: no database user of that name.
        """
        hashed = hash_password(password) if password is not None else None
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
            row.updated_at = _now()
            after = {"role": row.role, "active": row.active}
            if active is False or hashed is not None:
                session.execute(delete(WebSessionRow).where(WebSessionRow.user_name == name))
            user = User(row.name, Role(row.role), row.active)
        detail = "password changed" if hashed is not None else None
        self.review.audit(actor, "user.update", f"user {name}", before, after, detail)
        return user

    # -- logging in ---------------------------------------------------------------------------

    def _throttle(self, session: Session, name: str, address: str) -> None:
        window = timedelta(minutes=self.settings.login_window_minutes)
        since = _now() - window
        limit = self.settings.login_max_failures
        for column, value, allowed in (
            (LoginAttemptRow.user_name, name, limit),
            # An address trying many names is throttled too, a little later.
            (LoginAttemptRow.address, address, limit * 4),
        ):
            failures = session.execute(
                select(func.count(LoginAttemptRow.id), func.min(LoginAttemptRow.at))
                .where(column == value)
                .where(LoginAttemptRow.ok.is_(False))
                .where(LoginAttemptRow.at >= since)
            ).one()
            if failures[0] >= allowed:
                oldest = as_utc(failures[1])
                retry = max(1, int((oldest + window - _now()).total_seconds()) + 1)
                raise LoginThrottled(
                    f"too many failed logins; try again in {retry} s", retry_after_s=retry
                )

    def authenticate(self, name: str, password: str, address: str) -> User:
        """Check a user name and password; record the attempt; audit it.

        :raises LoginThrottled: too many recent failures for this user or address.
        :raises NotAuthenticated: unknown user, disabled user or wrong password (one message
            for all three, so that names cannot be probed).
        """
        name = name.strip()[:128]
        with self._session() as session, session.begin():
            self._throttle(session, name, address)
        row_hash: str | None = None
        user: User | None = None
        with self._session() as session:
            row = session.get(UserRow, name)
        if row is not None:
            row_hash, user = row.password_hash, User(row.name, Role(row.role), row.active)
        else:
            for u in self.settings.users:
                if u.name == name:
                    row_hash = u.password_hash.get_secret_value()
                    user = User(u.name, Role(u.role), True, "settings")
        ok = _verify(row_hash or _DUMMY_HASH, password) and user is not None and user.active
        with self._session() as session, session.begin():
            session.add(LoginAttemptRow(user_name=name, address=address[:64], at=_now(), ok=ok))
        self.review.audit(
            name or "-",
            "login.ok" if ok else "login.failed",
            f"user {name}",
            address=address,
        )
        if not ok or user is None:
            raise NotAuthenticated("wrong user name or password")
        return user

    def create_session(self, user: User) -> tuple[str, str]:
        """Open a browser session; return (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now()
        with self._session() as session, session.begin():
            session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
            session.add(
                WebSessionRow(
                    token_hash=_digest(token),
                    user_name=user.name,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=self.settings.session_hours),
                )
            )
        return token, csrf

    def session_user(self, token: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or ``None`` (expired, ended, disabled)."""
        if not token:
            return None
        with self._session() as session:
            row = session.get(WebSessionRow, _digest(token))
        if row is None or as_utc(row.expires_at) < _now():
            return None
        user = self.get(row.user_name)
        if user is None or not user.active:
            return None
        return user, row.csrf_token

    def end_session(self, token: str) -> None:
        """Log out: forget the session."""
        with self._session() as session, session.begin():
            session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _digest(token)))

    # -- API tokens ---------------------------------------------------------------------------

    def create_token(self, name: str, label: str, actor: str) -> str:
        """A new bearer token for ``name`` (shown once; only its hash is kept).

        :raises SuggestionNotFound: no such user.
        """
        if self.get(name) is None:
            raise SuggestionNotFound(f"no user {name!r}")
        token = "s3e_" + secrets.token_urlsafe(32)
        with self._session() as session, session.begin():
            session.add(
                ApiTokenRow(
                    token_hash=_digest(token),
                    user_name=name,
                    label=label[:128],
                    created_at=_now(),
                    last_used_at=None,
                    revoked=False,
                )
            )
        self.review.audit(actor, "token.create", f"user {name}", None, {"label": label[:128]})
        return token

    def token_user(self, token: str) -> User:
        """The user a bearer token belongs to.

        :raises NotAuthenticated: unknown or revoked token, or the user is disabled.
        """
        with self._session() as session, session.begin():
            row = session.get(ApiTokenRow, _digest(token))
            if row is None or row.revoked:
                raise NotAuthenticated("unknown or revoked API token")
            row.last_used_at = _now()
            name = row.user_name
        user = self.get(name)
        if user is None or not user.active:
            raise NotAuthenticated("the token's user is disabled")
        return user
