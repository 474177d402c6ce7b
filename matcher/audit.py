"""The audit log: who did what to which citizen or opportunity, and when.

Every opening of a citizen's page, every proposal, every outcome entered, every sign-in and
every change to users or models is written here, by the library function that decides it, so
the app and the command line cannot differ. Writes that accompany a change to the data (a
proposal, an outcome) go in the same transaction as the change, so one never exists without the
other. Refusals are written too (:func:`refusals`), after the refused change was rolled back.

``who`` is anything with ``username`` and ``role`` (a signed-in user, the command line's
operator), or None for a visitor who is not signed in.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matcher.db import AuditLog, session_scope

OPEN_CITIZEN = "open_citizen"
PROPOSE = "propose"
RECORD_OUTCOME = "record_outcome"
VIEW_CANDIDATES = "view_candidates"
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
SESSION_ENDED = "session_ended"
ACCESS_DENIED = "access_denied"
REFUSED = "refused"
USER_CHANGED = "user_changed"
RETRAIN = "retrain"
PROMOTE = "promote"
ROLLBACK = "rollback"
OPEN_PAGE = "open_page"
SHORTLIST = "shortlist"
SWITCH_SUGGESTIONS = "switch_suggestions"
EXPLAIN_REFERRAL = "explain_referral"

ANONYMOUS = "-"
# Free text in an entry (a refusal's reason) is cut here: the log is no place for pasted data.
MAX_WHY = 500


def _identity(who) -> tuple[str, str]:
    if who is None:
        return ANONYMOUS, "anonymous"
    if isinstance(who, str):
        return who[:64], "anonymous"
    return who.username[:64], who.role


def write(
    session: Session,
    who,
    action: str,
    citizen_id: str | None = None,
    opportunity_id: str | None = None,
    detail: dict | None = None,
) -> None:
    """Add one entry to the session's transaction (committed with it)."""
    username, role = _identity(who)
    session.add(
        AuditLog(
            username=username,
            role=role,
            action=action,
            citizen_id=citizen_id,
            opportunity_id=opportunity_id,
            detail=detail,
        )
    )


def record(
    engine: Engine,
    who,
    action: str,
    citizen_id: str | None = None,
    opportunity_id: str | None = None,
    detail: dict | None = None,
) -> None:
    """Write one entry in its own transaction."""
    with session_scope(engine) as s:
        write(s, who, action, citizen_id, opportunity_id, detail)


@contextmanager
def refusals(
    engine: Engine,
    who,
    action: str,
    refused: tuple[type[BaseException], ...],
    citizen_id: str | None = None,
    opportunity_id: str | None = None,
    detail: dict | None = None,
) -> Iterator[None]:
    """Audit a refusal of ``action`` raised inside the block (one of ``refused``), then re-raise it.

    A refusal for lack of rights (a ``PermissionError``, e.g. ``AccessDenied``) is written as
    ``access_denied``, any other (a full opening, a date out of range) as ``refused``; the detail
    names the action, says why, and adds ``detail``.
    """
    try:
        yield
    except refused as problem:
        kind = ACCESS_DENIED if isinstance(problem, PermissionError) else REFUSED
        record(engine, who, kind, citizen_id, opportunity_id, {"action": action, "why": str(problem)[:MAX_WHY], **(detail or {})})
        raise


def read(
    engine: Engine,
    username: str | None = None,
    citizen_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Entries, newest first, filtered by any of username, citizen, action and time."""
    q = select(
        AuditLog.id,
        AuditLog.at,
        AuditLog.username,
        AuditLog.role,
        AuditLog.action,
        AuditLog.citizen_id,
        AuditLog.opportunity_id,
        AuditLog.detail,
    )
    if username:
        q = q.where(AuditLog.username == username)
    if citizen_id:
        q = q.where(AuditLog.citizen_id == citizen_id)
    if action:
        q = q.where(AuditLog.action == action)
    if since:
        q = q.where(AuditLog.at >= since)
    q = q.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    with engine.connect() as conn:
        return pd.read_sql(q, conn)
