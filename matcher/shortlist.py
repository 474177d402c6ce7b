"""A liaison's shortlist of candidates per opening, kept in the database (``shortlists``), not in
the browser: a reload, a new tab or the next day finds it again. Adding and removing need a live
liaison session and a candidate the liaison may see (consenting), and are audited
(``shortlist`` with ``added``/``removed``); a proposal takes the candidate off
(:func:`remove` after ``matcher.caseload.propose``)."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from matcher import audit
from matcher.access import AccessDenied, authorise, require_candidate
from matcher.auth import SignedIn
from matcher.db import ShortlistEntry, session_scope


def of(engine: Engine, user: SignedIn, opportunity_id: str) -> list[str]:
    """The citizens on the user's shortlist for the opening, in the order they were added."""
    with session_scope(engine) as s:
        return list(
            s.scalars(
                select(ShortlistEntry.citizen_id)
                .where(ShortlistEntry.username == user.username, ShortlistEntry.opportunity_id == opportunity_id)
                .order_by(ShortlistEntry.added_at, ShortlistEntry.citizen_id)
            ).all()
        )


def add(engine: Engine, user: SignedIn, opportunity_id: str, citizen_id: str) -> bool:
    """Put a candidate on the shortlist (audited); False when they were on it already."""
    with audit.refusals(engine, user, audit.SHORTLIST, (AccessDenied,), citizen_id, opportunity_id):
        current = authorise(engine, user, audit.SHORTLIST)
        require_candidate(engine, current, citizen_id)
    with session_scope(engine) as s:
        if s.get(ShortlistEntry, (current.username, opportunity_id, citizen_id)) is not None:
            return False
        s.add(ShortlistEntry(username=current.username, opportunity_id=opportunity_id, citizen_id=citizen_id))
        audit.write(s, current, audit.SHORTLIST, citizen_id, opportunity_id, {"change": "added"})
    return True


def remove(engine: Engine, user: SignedIn, opportunity_id: str, citizen_id: str, why: str = "removed") -> bool:
    """Take a candidate off the shortlist (audited, ``why``: "removed" or "proposed"); False when
    they were not on it."""
    with audit.refusals(engine, user, audit.SHORTLIST, (AccessDenied,), citizen_id, opportunity_id):
        current = authorise(engine, user, audit.SHORTLIST)
    with session_scope(engine) as s:
        gone = s.execute(
            delete(ShortlistEntry).where(
                ShortlistEntry.username == current.username,
                ShortlistEntry.opportunity_id == opportunity_id,
                ShortlistEntry.citizen_id == citizen_id,
            )
        ).rowcount
        if gone:
            audit.write(s, current, audit.SHORTLIST, citizen_id, opportunity_id, {"change": why})
    return bool(gone)
