"""The employer liaison's view: employers with open openings, and candidates limited to what a
liaison may see (``matcher.access.LIAISON_FIELDS``, and reasons only of the topics in
``LIAISON_REASONS``), consenting citizens only. Viewing candidates needs a live liaison session
and is audited, with the citizens shown."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from matcher import audit, timerules
from matcher.access import LIAISON_FIELDS, LIAISON_REASONS, AccessDenied, authorise
from matcher.auth import SignedIn
from matcher.db import Citizen, Employer, Opportunity, WorkHistory
from matcher.postcodes import district_of
from matcher.taxonomy import load_taxonomy


def openings(engine: Engine, on: date, employer_id: str | None = None) -> pd.DataFrame:
    """Opportunities at employers open on D, with ``free_capacity`` (courses and educations are
    not an employer's openings and are left out)."""
    q = (
        select(
            Opportunity.opportunity_id,
            Opportunity.kind,
            Opportunity.title,
            Opportunity.employer_id,
            Employer.name.label("employer"),
            Opportunity.postcode,
            Opportunity.hours_per_week,
            Opportunity.danish_required,
            Opportunity.capacity,
            Opportunity.open_from,
            Opportunity.open_until,
            timerules.free_capacity_sql(on).label("free_capacity"),
        )
        .join(Employer, Employer.employer_id == Opportunity.employer_id)
        .where(timerules.opportunity_open_sql(on))
    )
    if employer_id:
        q = q.where(Opportunity.employer_id == employer_id)
    with engine.connect() as conn:
        opps = pd.read_sql(q, conn)
    opps["free_capacity"] = opps["free_capacity"].astype(int)
    opps["district"] = opps["postcode"].map(district_of)
    return opps.sort_values(["employer", "title"]).reset_index(drop=True)


def employers_with_openings(engine: Engine, on: date) -> pd.DataFrame:
    """Employers with at least one opening on D: id, name, openings, free places."""
    opps = openings(engine, on)
    return (
        opps.groupby(["employer_id", "employer"], as_index=False)
        .agg(openings=("opportunity_id", "size"), free_places=("free_capacity", "sum"))
        .sort_values("employer")
        .reset_index(drop=True)
    )


def candidate_facts(engine: Engine, citizen_ids: list[str]) -> pd.DataFrame:
    """The liaison's facts about candidates, consenting citizens only, nothing beyond
    ``LIAISON_FIELDS`` (experience and wishes as Danish occupation labels)."""
    with engine.connect() as conn:
        citizens = pd.read_sql(
            select(
                Citizen.citizen_id,
                Citizen.home_postcode,
                Citizen.danish_level,
                Citizen.education,
                Citizen.readiness,
                Citizen.has_drivers_license,
                Citizen.max_hours_per_week,
                Citizen.job_wishes,
            ).where(Citizen.citizen_id.in_(citizen_ids), Citizen.candidate_search_consent.is_(True)),
            conn,
        )
        work = pd.read_sql(
            select(WorkHistory.citizen_id, WorkHistory.occupation_uri).where(
                WorkHistory.citizen_id.in_(citizens["citizen_id"].tolist())
            ),
            conn,
        )
    taxonomy = load_taxonomy()
    work["label"] = work["occupation_uri"].map(taxonomy.label)
    experience = work.groupby("citizen_id")["label"].agg(lambda s: ", ".join(dict.fromkeys(s)))
    citizens["district"] = citizens["home_postcode"].map(district_of)
    citizens["experience"] = citizens["citizen_id"].map(experience).fillna("")
    citizens["wishes"] = citizens["job_wishes"].map(
        lambda uris: ", ".join(taxonomy.label(u) for u in (uris or []))
    )
    return citizens[list(LIAISON_FIELDS)].reset_index(drop=True)


def liaison_reasons(reasons: list[str]) -> list[str]:
    """The reasons a liaison may read: those of a topic in ``LIAISON_REASONS``. A sentence that
    names no topic (``matcher.reasons.Reason``) is left out, so nothing new slips through."""
    return [r for r in reasons if getattr(r, "topic", None) in LIAISON_REASONS]


def candidates_table(engine: Engine, suggestions: list, lang: str) -> pd.DataFrame:
    """Ranked candidates for one opening: score, commute, feasibility, the reasons a liaison may
    read, and the liaison's facts.

    A candidate who has not consented is dropped here even if the recommender returned them, so
    the rule holds whatever the recommender does.
    """
    ranked = pd.DataFrame(
        {
            "citizen_id": [s.citizen_id for s in suggestions],
            "score": [float(s.score) for s in suggestions],
            "chance": [float("nan") if s.chance is None else float(s.chance) for s in suggestions],
            "commute_minutes": [float(s.commute_minutes) for s in suggestions],
            "feasible": [bool(s.feasible) for s in suggestions],
            "reasons": ["; ".join(liaison_reasons(s.reasons_en if lang == "en" else s.reasons_da)) for s in suggestions],
        }
    )
    facts = candidate_facts(engine, ranked["citizen_id"].tolist())
    table = ranked.merge(facts, on="citizen_id", how="inner").sort_values("score", ascending=False)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


def view_candidates(
    engine: Engine, user: SignedIn, matcher, opportunity_id: str, on: date, k: int, lang: str
) -> pd.DataFrame:
    """The liaison's ranked candidates for an opening (``candidates_table``), from ``matcher``
    (a ``matcher.service.Matcher``). Needs a live liaison session; the view is audited with the
    citizens shown, a refusal too."""
    with audit.refusals(engine, user, audit.VIEW_CANDIDATES, (AccessDenied,), opportunity_id=opportunity_id):
        current = authorise(engine, user, audit.VIEW_CANDIDATES)
    table = candidates_table(engine, matcher.candidates(opportunity_id, k=k, as_of=on), lang)
    audit.record(
        engine, current, audit.VIEW_CANDIDATES, opportunity_id=opportunity_id,
        detail={"citizens": table["citizen_id"].tolist()},
    )
    return table
