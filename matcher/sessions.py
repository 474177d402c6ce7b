"""Server-side sessions: a signed-in person acts only while their session is live.

A session starts at sign-in (:func:`start_session`) and gives an opaque random token; only its
SHA-256 is stored, so the table opens nothing to whoever reads it. :func:`resume_session` turns a
token back into the account as it is now, and ends the session when it was idle longer than
``auth.session_minutes``, the account was deactivated, or its role or staff link changed. The
token is what a browser cookie may carry to survive a reload (sign it; the token itself is enough
to resume, so send it only over HTTPS).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matcher import audit
from matcher.auth import AuthError, SignedIn, authenticate, bounded_source, signed_in_as
from matcher.db import AppSession, User, session_scope, utcnow
from matcher.settings import get_settings

TOKEN_BYTES = 32
# A session's last use is written at most this often: every page run and action resumes the
# session, and the idle limit is counted in minutes.
TOUCH_EVERY = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(engine: Engine, user: SignedIn, source: str | None = None) -> str:
    """A new session for an active account (audited as ``sign_in``); returns its token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    source = bounded_source(source)
    with session_scope(engine) as s:
        account = s.get(User, user.username)
        if account is None or not account.active:
            raise AuthError(f"no active account named {user.username!r}")
        s.add(
            AppSession(
                token_hash=_digest(token), username=account.username, role=account.role,
                caseworker_id=account.caseworker_id, source=source,
            )
        )
        audit.write(s, signed_in_as(account), audit.SIGN_IN, detail={"source": source})
    return token


def sign_in(engine: Engine, username: str, password: str, source: str | None = None) -> SignedIn | None:
    """Check the password (throttled, see ``matcher.auth.authenticate``) and start a session:
    the signed-in user with their session, or None for a wrong username or password."""
    found = authenticate(engine, username, password, source)
    return None if found is None else replace(found, session=start_session(engine, found, source))


def resume_session(engine: Engine, token: str | None) -> SignedIn | None:
    """The account behind a live session, as it is now (and the session marked as used); None
    for an unknown or ended session. Ends (and audits) a session found idle too long, or whose
    account was deactivated or had its role or staff link changed."""
    if not token:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().auth.session_minutes)
    with session_scope(engine) as s:
        row = s.get(AppSession, _digest(token))
        if row is None or row.ended_at is not None:
            return None
        account = s.get(User, row.username)
        if account is None or not account.active:
            why = "deactivated"
        elif (account.role, account.caseworker_id) != (row.role, row.caseworker_id):
            why = "role_changed"
        elif now - row.last_seen > idle:
            why = "expired"
        else:
            if now - row.last_seen > TOUCH_EVERY:
                row.last_seen = now
            return replace(signed_in_as(account), session=token)
        _end(s, row, why)
        return None


def _end(s: Session, row: AppSession, why: str) -> None:
    row.ended_at = utcnow()
    row.end_reason = why
    who = SignedIn(row.username, row.role, row.caseworker_id)
    audit.write(s, who, audit.SIGN_OUT if why == "signed_out" else audit.SESSION_ENDED, detail={"why": why})


def end_session(engine: Engine, token: str | None) -> None:
    """Sign out: end the session (audited); nothing happens for an unknown or ended one."""
    if not token:
        return
    with session_scope(engine) as s:
        row = s.get(AppSession, _digest(token))
        if row is not None and row.ended_at is None:
            _end(s, row, "signed_out")


def end_sessions_of(s: Session, username: str, why: str, keep: str | None = None) -> int:
    """End every live session of an account in the caller's transaction (but ``keep``'s token);
    returns how many were ended."""
    keep_digest = _digest(keep) if keep else None
    rows = s.scalars(select(AppSession).where(AppSession.username == username, AppSession.ended_at.is_(None))).all()
    ended = [row for row in rows if row.token_hash != keep_digest]
    for row in ended:
        _end(s, row, why)
    return len(ended)
