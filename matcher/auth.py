"""Who is acting: app accounts' passwords (argon2), throttled sign-in, and the command line's operator.

Two ways to sign in, chosen by ``get_settings().auth.mode``:

- ``"password"`` (default): a username and a password checked against an argon2id hash in the
  ``users`` table (:func:`authenticate`). Repeated failures lock the account and the client
  address for a while (settings ``auth.max_failures``, ``max_failures_per_source``,
  ``failure_window_minutes``, ``lockout_minutes``). A failure is audited without what was typed:
  the username only when it names an account, else only its length; never the password.
- ``"oidc"``: Streamlit's ``st.login(provider)`` signs the person in with the municipality's
  identity provider (configured under ``[auth]`` in ``.streamlit/secrets.toml``); the app then
  looks up ``st.user.email`` in the ``users`` table, which still decides the role. An identity
  the table does not know, or an inactive one, is refused.

Either way a signed-in person acts through a server-side session (``matcher.sessions``); accounts
are managed in ``matcher.users``. The command line acts as an :class:`Operator` (the OS user), who
may do what the operators' commands do (demo users, training, promotion, rollback).
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matcher import audit
from matcher.db import SignInFailure, User, session_scope, utcnow
from matcher.settings import get_settings

ROLES = ("caseworker", "employer_liaison", "data_scientist", "admin")
OPERATOR_ROLE = "operator"
# Roles that act for a person in the contract's caseworkers table.
STAFF_ROLES = {"caseworker": "caseworker", "employer_liaison": "employer_liaison"}
MIN_PASSWORD_LENGTH = 10
MAX_USERNAME_LENGTH = 64  # the users table's column
UNKNOWN_SOURCE = "unknown"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthError(ValueError):
    """A user could not be created, changed or signed in; the message says why."""


class SignInLocked(AuthError):
    """Too many failed sign-ins for this account or from this address; ``until`` says how long."""

    def __init__(self, until: datetime) -> None:
        minutes = max(1, int((until - utcnow()).total_seconds() // 60) + 1)
        super().__init__(f"too many failed sign-ins: try again in {minutes} minute(s)")
        self.until = until
        self.minutes = minutes


@dataclass(frozen=True)
class SignedIn:
    """The person using the app, as the pages and the access rules see them.

    ``session`` is the opaque token of their server-side session (``matcher.sessions``); the
    library acts for them only while it is live. It is left out of the repr and of comparisons.
    """

    username: str
    role: str
    caseworker_id: str | None = None
    display_name: str | None = None
    session: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Operator:
    """Someone running ``matcher`` commands on the server: trusted with the operators' commands,
    audited under their OS user name."""

    username: str
    role: str = OPERATOR_ROLE
    caseworker_id: None = None


def operator() -> Operator:
    """The command line's actor: ``cli:<OS user>``."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = "unknown"
    return Operator(f"cli:{name}"[:MAX_USERNAME_LENGTH])


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash (False for any malformed hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def signed_in_as(user: User) -> SignedIn:
    """The account as the app sees it (no session yet)."""
    return SignedIn(user.username, user.role, user.caseworker_id, user.display_name)


def bounded_source(source: str | None) -> str:
    """The client address as stored: at most 64 characters."""
    return (source or UNKNOWN_SOURCE).strip()[:64] or UNKNOWN_SOURCE


def _locked_until(s: Session, scope: str, key: str, limit: int, now: datetime) -> datetime | None:
    """End of the lockout for a key: ``limit`` failures within the window lock it for the lockout time."""
    cfg = get_settings().auth
    window, lockout = timedelta(minutes=cfg.failure_window_minutes), timedelta(minutes=cfg.lockout_minutes)
    times = s.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.scope == scope, SignInFailure.key == key, SignInFailure.at > now - window - lockout)
        .order_by(SignInFailure.at)
    ).all()
    ends = [times[i] + lockout for i in range(limit - 1, len(times)) if times[i] - times[i - limit + 1] <= window]
    return max(ends) if ends and max(ends) > now else None


def _note_failure(s: Session, account: str | None, source: str, now: datetime) -> None:
    cfg = get_settings().auth
    horizon = now - timedelta(minutes=cfg.failure_window_minutes + cfg.lockout_minutes)
    s.execute(delete(SignInFailure).where(SignInFailure.at <= horizon))
    s.add(SignInFailure(at=now, scope="source", key=source))
    if account is not None:
        s.add(SignInFailure(at=now, scope="user", key=account))


def authenticate(engine: Engine, username: str, password: str, source: str | None = None) -> SignedIn | None:
    """The account for a right username and password of an active account, else None.

    Raises :class:`SignInLocked` while the account or the address is locked (the password is not
    even checked then). Every failure is audited (``sign_in_failed``) with a bounded, password-safe
    form of what was typed; success is audited when the session starts.
    """
    cfg = get_settings().auth
    name = (username or "").strip()
    source = bounded_source(source)
    now = utcnow()
    with session_scope(engine) as s:
        user = s.get(User, name) if 0 < len(name) <= MAX_USERNAME_LENGTH else None
        account = user.username if user is not None else None
        locks = [_locked_until(s, "source", source, cfg.max_failures_per_source, now)]
        if account is not None:
            locks.append(_locked_until(s, "user", account, cfg.max_failures, now))
        until = max((t for t in locks if t is not None), default=None)
        if until is None:
            ok = verify_password(user.password_hash if user is not None else None, password or "")
            if ok and user.active:
                s.execute(delete(SignInFailure).where(SignInFailure.scope == "user", SignInFailure.key == account))
                return signed_in_as(user)
            why = "unknown account" if user is None else ("inactive account" if ok else "wrong password")
            _note_failure(s, account, source, now)
        else:
            why = "locked"
        typed = {} if account is not None else {"typed_length": min(len(name), 1000)}
        detail = {"why": why, "source": source, **typed}
        if until is not None:
            detail["locked_until"] = until.isoformat(timespec="seconds")
        audit.write(s, account, audit.SIGN_IN_FAILED, detail=detail)
    if until is not None:
        raise SignInLocked(until)
    return None


def user_for_identity(engine: Engine, email: str | None) -> SignedIn | None:
    """The account for an identity the OIDC provider vouched for (matched on username = email)."""
    if not email:
        return None
    with session_scope(engine) as s:
        user = s.get(User, email.strip().lower())
        return signed_in_as(user) if user is not None and user.active else None
