"""The audit log: who did what to which citizen or opportunity, and when.

Every opening of a citizen's page, every proposal, every outcome entered, every sign-in and
every change to users or models is written here. Writes that accompany a change to the data
(a proposal, an outcome) go in the same transaction as the change, so one never exists without
the other.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matcher.auth import SignedIn
from matcher.db import AuditLog, session_scope

OPEN_CITIZEN = "open_citizen"
PROPOSE = "propose"
RECORD_OUTCOME = "record_outcome"
VIEW_CANDIDATES = "view_candidates"
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
ACCESS_DENIED = "access_denied"
USER_CHANGED = "user_changed"
RETRAIN = "retrain"
PROMOTE = "promote"
ROLLBACK = "rollback"


def write(
    session: Session,
    who: SignedIn | str,
    action: str,
    citizen_id: str | None = None,
    opportunity_id: str | None = None,
    detail: dict | None = None,
) -> None:
    """Add one entry to the session's transaction (committed with it)."""
    username, role = (who.username, who.role) if isinstance(who, SignedIn) else (who, "anonymous")
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
    who: SignedIn | str,
    action: str,
    citizen_id: str | None = None,
    opportunity_id: str | None = None,
    detail: dict | None = None,
) -> None:
    """Write one entry in its own transaction."""
    with session_scope(engine) as s:
        write(s, who, action, citizen_id, opportunity_id, detail)


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
