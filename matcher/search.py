"""Finding offers and candidates without the model: what the pages use when suggestions are
switched off (``matcher.switch``), and what a caseworker uses to propose an offer the
suggestions do not list.

- :func:`open_opportunities`: opportunities open on D with a free place, matching a text (title,
  employer or provider, any case) and kinds; no ranking, alphabetical.
- :func:`browse_candidates`: for a liaison, the citizens active on D who consented to candidate
  search, with only the liaison's fields (``matcher.access.LIAISON_FIELDS``), unranked; the view
  is authorised and audited like ``matcher.liaison.view_candidates``.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from matcher import audit, timerules
from matcher.access import AccessDenied, authorise
from matcher.auth import SignedIn
from matcher.db import Citizen, Employer, Opportunity
from matcher.liaison import candidate_facts
from matcher.postcodes import district_of

# A search shows at most this many rows: a caseworker narrows it with words, not by scrolling.
MAX_ROWS = 50


def open_opportunities(engine: Engine, on: date, text: str = "", kinds: list[str] | None = None,
                       exclude: set[str] | frozenset = frozenset(), limit: int = MAX_ROWS) -> pd.DataFrame:
    """Open opportunities with a free place on D: opportunity_id, kind, title, place, hours_per_week,
    danish_required, free_capacity, district; filtered by ``text`` and ``kinds``, without ``exclude``."""
    place = func.coalesce(Employer.name, Opportunity.provider)
    free = timerules.free_capacity_sql(on)
    q = (
        select(Opportunity.opportunity_id, Opportunity.kind, Opportunity.title, place.label("place"),
               Opportunity.hours_per_week, Opportunity.danish_required, free.label("free_capacity"),
               Opportunity.postcode)
        .outerjoin(Employer, Employer.employer_id == Opportunity.employer_id)
        .where(timerules.opportunity_open_sql(on), free > 0)
    )
    needle = text.strip().lower()
    if needle:
        like = f"%{needle}%"
        q = q.where(func.lower(Opportunity.title).like(like) | func.lower(func.coalesce(place, "")).like(like))
    if kinds:
        q = q.where(Opportunity.kind.in_(list(kinds)))
    q = q.order_by(Opportunity.title, Opportunity.opportunity_id)
    with engine.connect() as conn:
        found = pd.read_sql(q, conn)
    found = found[~found["opportunity_id"].isin(set(exclude))].head(limit)
    found["free_capacity"] = found["free_capacity"].astype(int)
    found["district"] = found.pop("postcode").map(district_of)
    return found.reset_index(drop=True)


def browse_candidates(engine: Engine, user: SignedIn, opportunity_id: str, on: date, text: str = "",
                      limit: int = MAX_ROWS) -> pd.DataFrame:
    """Consenting citizens active on D, unranked (by id), with the liaison's fields; ``text``
    matches experience, wishes or district. Needs a live liaison session; the view is audited
    with the citizens shown (``ranked: false``), a refusal too."""
    with audit.refusals(engine, user, audit.VIEW_CANDIDATES, (AccessDenied,), opportunity_id=opportunity_id):
        current = authorise(engine, user, audit.VIEW_CANDIDATES)
    with engine.connect() as conn:
        ids = [c for (c,) in conn.execute(
            select(Citizen.citizen_id)
            .where(timerules.citizen_active_sql(on), Citizen.candidate_search_consent.is_(True))
            .order_by(Citizen.citizen_id)
        )]
    facts = candidate_facts(engine, ids)
    needle = text.strip().lower()
    if needle:
        hay = (facts["experience"] + " " + facts["wishes"] + " " + facts["district"]).str.lower()
        facts = facts[hay.str.contains(needle, regex=False)]
    facts = facts.sort_values("citizen_id").head(limit).reset_index(drop=True)
    audit.record(engine, current, audit.VIEW_CANDIDATES, opportunity_id=opportunity_id,
                 detail={"citizens": facts["citizen_id"].tolist(), "ranked": False})
    return facts
