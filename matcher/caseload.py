"""A caseworker's day: the caseload, a citizen's profile and history, proposals and outcomes.

Everything reads the database directly (not a cached World), so a proposal made a moment ago
shows at once. "As of D" follows the contract (``matcher.timerules``): a citizen is in the
caseload when active on D; an *active offer* is a referral that is unresolved on D (pending, or
its outcome recorded after D), i.e. something real is under way. "Job from day one" means nobody
should be without one.

Acting for a user (opening a citizen, proposing, recording an outcome) needs a live session and
the right role (``matcher.access.authorise``); every refusal is audited here, where it is decided.
A proposal takes a place atomically: the opportunity is locked, then its free capacity and the
citizen's pending referrals are checked and the referral written in the same transaction.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from matcher import audit, timerules
from matcher.access import AccessDenied, authorise, require_citizen, require_proposer
from matcher.auth import SignedIn
from matcher.contract import OUTCOMES
from matcher.db import (
    SOURCE_APP,
    Citizen,
    Employer,
    Opportunity,
    Referral,
    WorkHistory,
    lock_for_update,
    session_scope,
    utcnow,
)
from matcher.postcodes import district_of
from matcher.settings import get_settings
from matcher.taxonomy import load_taxonomy

# A proposal's reason for going against the app's advice is a sentence or two, not a document.
MAX_REASON_LENGTH = 500


class ProposalRefused(ValueError):
    """A proposal or an outcome that cannot be recorded; the message says why (in English, for the
    command line and logs) and ``key`` with ``values`` say it again for a reader in any language
    (``matcher.i18n.error_text``, keys ``refused_*``)."""

    def __init__(self, message: str, key: str | None = None, **values) -> None:
        super().__init__(message)
        self.key, self.values = key, values


class HeldForOthers(ProposalRefused):
    """The opening's free places are held in the municipal plan for other citizens: proposing it
    anyway needs a reason (``settings.plan.enforce_holds``)."""


# What a proposal or an outcome may be refused with (each refusal is audited).
REFUSALS = (AccessDenied, ProposalRefused)


def app_date(engine: Engine) -> date:
    """The app's "today": the setting, else the last date in the referrals, capped at today."""
    configured = get_settings().app_as_of
    if configured is not None:
        return configured
    with session_scope(engine) as s:
        last = s.execute(
            select(func.max(Referral.proposed_on), func.max(Referral.outcome_on)).where(
                Referral.source != SOURCE_APP
            )
        ).one()
    known = [d for d in last if d is not None]
    return min(max(known), date.today()) if known else date.today()


def caseload(engine: Engine, caseworker_id: str, on: date, search: str = "") -> pd.DataFrame:
    """The caseworker's citizens active on D, those without an active offer first.

    Columns: citizen_id, age, district, readiness, danish_level, months_on_benefit,
    referrals, last_proposed_on, active_offer. ``search`` matches id or district, any case.
    """
    d = pd.Timestamp(on)
    mine = Citizen.caseworker_id == caseworker_id
    with engine.connect() as conn:
        citizens = pd.read_sql(
            select(
                Citizen.citizen_id,
                Citizen.birth_year,
                Citizen.home_postcode,
                Citizen.readiness,
                Citizen.danish_level,
                Citizen.months_on_benefit,
            ).where(mine, timerules.citizen_active_sql(on)),
            conn,
        )
        referrals = pd.read_sql(
            select(
                Referral.citizen_id,
                Referral.proposed_on,
                timerules.referral_unresolved_sql(on).label("unresolved"),
            )
            .join(Citizen, Citizen.citizen_id == Referral.citizen_id)
            .where(mine, Referral.proposed_on <= on),
            conn,
        )
    active = referrals.loc[referrals["unresolved"].astype(bool), "citizen_id"].unique()
    counts = referrals.groupby("citizen_id").agg(
        referrals=("proposed_on", "size"), last_proposed_on=("proposed_on", "max")
    )
    frame = citizens.join(counts, on="citizen_id")
    frame["referrals"] = frame["referrals"].fillna(0).astype(int)
    frame["age"] = d.year - frame["birth_year"]
    frame["district"] = frame["home_postcode"].map(district_of)
    frame["active_offer"] = frame["citizen_id"].isin(active)
    if search.strip():
        needle = search.strip().lower()
        hit = frame["citizen_id"].str.lower().str.contains(needle, regex=False) | frame[
            "district"
        ].str.lower().str.contains(needle, regex=False)
        frame = frame[hit]
    columns = [
        "citizen_id", "age", "district", "readiness", "danish_level", "months_on_benefit",
        "referrals", "last_proposed_on", "active_offer",
    ]
    return frame.sort_values(["active_offer", "citizen_id"])[columns].reset_index(drop=True)


@dataclass
class Profile:
    """What a caseworker sees at the top of a citizen's page."""

    citizen_id: str
    age: int
    district: str
    postcode: str
    home_lat: float
    home_lon: float
    benefit: str
    readiness: str
    months_on_benefit: int
    education: str
    danish_level: int
    barriers: list[str]
    wishes: list[str]
    experience: list[str]
    max_hours_per_week: int | None
    max_commute_minutes: int | None
    has_drivers_license: bool | None
    candidate_search_consent: bool
    notes: str | None
    caseworker_id: str
    wish_uris: list[str] = field(default_factory=list)


def _labels(uris: list[str]) -> list[str]:
    taxonomy = load_taxonomy()
    return [taxonomy.label(u) for u in uris if u]


def profile(engine: Engine, citizen_id: str, on: date) -> Profile:
    """The citizen's profile: pseudonymous id, situation, barriers, wishes in Danish, experience."""
    from matcher.postcodes import centroid

    with session_scope(engine) as s:
        c = s.get(Citizen, citizen_id)
        if c is None:
            raise KeyError(f"citizen {citizen_id!r} does not exist")
        experience = s.scalars(
            select(WorkHistory.occupation_uri)
            .where(WorkHistory.citizen_id == citizen_id)
            .order_by(WorkHistory.start_on.desc())
        ).all()
    lat, lon = (c.home_lat, c.home_lon) if c.home_lat is not None else centroid(c.home_postcode)
    return Profile(
        citizen_id=c.citizen_id,
        age=on.year - c.birth_year,
        district=district_of(c.home_postcode),
        postcode=c.home_postcode,
        home_lat=float(lat),
        home_lon=float(lon),
        benefit=c.benefit,
        readiness=c.readiness,
        months_on_benefit=c.months_on_benefit,
        education=c.education,
        danish_level=c.danish_level,
        barriers=list(c.barriers or []),
        wishes=_labels(list(c.job_wishes or [])),
        experience=list(dict.fromkeys(_labels(list(experience)))),
        max_hours_per_week=c.max_hours_per_week,
        max_commute_minutes=c.max_commute_minutes,
        has_drivers_license=c.has_drivers_license,
        candidate_search_consent=bool(c.candidate_search_consent),
        notes=c.notes,
        caseworker_id=c.caseworker_id,
        wish_uris=list(c.job_wishes or []),
    )


def open_citizen(engine: Engine, user: SignedIn, citizen_id: str, on: date) -> Profile:
    """The profile for the citizen's own caseworker, audited; a refusal is audited too."""
    with audit.refusals(engine, user, audit.OPEN_CITIZEN, (AccessDenied,), citizen_id=citizen_id):
        current = authorise(engine, user, audit.OPEN_CITIZEN)
        require_citizen(engine, current, citizen_id)
    audit.record(engine, current, audit.OPEN_CITIZEN, citizen_id=citizen_id)
    return profile(engine, citizen_id, on)


def history(engine: Engine, citizen_id: str) -> pd.DataFrame:
    """The citizen's referrals, newest first, with what was proposed and where."""
    q = (
        select(
            Referral.referral_id,
            Referral.proposed_on,
            Opportunity.kind,
            Opportunity.title,
            func.coalesce(Employer.name, Opportunity.provider).label("place"),
            Referral.outcome,
            Referral.outcome_on,
            Referral.source,
            Referral.outcome_source,
            Referral.opportunity_id,
        )
        .join(Opportunity, Opportunity.opportunity_id == Referral.opportunity_id)
        .outerjoin(Employer, Employer.employer_id == Opportunity.employer_id)
        .where(Referral.citizen_id == citizen_id)
        .order_by(Referral.proposed_on.desc(), Referral.referral_id.desc())
    )
    with engine.connect() as conn:
        return pd.read_sql(q, conn)


def free_capacity(engine: Engine, opportunity_id: str, on: date) -> int:
    """Capacity minus the referrals to the opportunity still unresolved on D."""
    with session_scope(engine) as s:
        free = s.scalar(select(timerules.free_capacity_sql(on)).where(Opportunity.opportunity_id == opportunity_id))
    if free is None:
        raise KeyError(f"opportunity {opportunity_id!r} does not exist")
    return int(free)


def free_places(engine: Engine, opportunity_ids, on: date) -> dict[str, int]:
    """Capacity minus the referrals still unresolved on D, for several opportunities at once
    (read now from the database: a proposal a moment ago counts)."""
    ids = list(dict.fromkeys(opportunity_ids))
    if not ids:
        return {}
    with session_scope(engine) as s:
        rows = s.execute(
            select(Opportunity.opportunity_id, timerules.free_capacity_sql(on)).where(Opportunity.opportunity_id.in_(ids))
        ).all()
    return {o: int(free) for o, free in rows}


def _check_date(engine: Engine, on: date) -> date:
    """The app's date, when a proposal dated D is dated from ``proposal_days_back`` days before it
    up to it; else ProposalRefused."""
    today = app_date(engine)
    earliest = today - timedelta(days=get_settings().proposal_days_back)
    if not isinstance(on, date) or not earliest <= on <= today:
        raise ProposalRefused(f"a proposal must be dated from {earliest} to {today} (the app's date); got {on}",
                              "refused_date", earliest=earliest, today=today, on=on)
    return today


def _check_reason(reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise ProposalRefused(f"the reason is longer than {MAX_REASON_LENGTH} characters; shorten it",
                              "refused_reason_long", n=MAX_REASON_LENGTH)
    return reason


def _fewest_free(s, opp: Opportunity, on: date, until: date) -> int:
    """The opportunity's least free capacity from D to ``until``: a pending referral dated D holds
    its place on every later day, so a backdated proposal must fit on each of them."""
    rows = s.execute(
        select(Referral.proposed_on, Referral.outcome_on).where(Referral.opportunity_id == opp.opportunity_id)
    ).all()
    refs = pd.DataFrame(rows, columns=["proposed_on", "outcome_on"])
    days = {on} | {d for d in refs["proposed_on"] if on < d <= until}
    return min(opp.capacity - int(timerules.referral_unresolved(refs, day).sum()) for day in days)


def propose(
    engine: Engine,
    user: SignedIn,
    citizen_id: str,
    opportunity_id: str,
    on: date,
    detail: dict | None = None,
    reason: str | None = None,
) -> str:
    """Record a proposal: ONE pending referral (source 'app') and ONE audit entry, together.

    Refused (ProposalRefused or AccessDenied, audited) when the user may not propose for the
    citizen or has no live session, the date is outside the window (``proposal_days_back`` before
    the app's date up to it), the citizen is not active on D, the opportunity is not open on D or
    has no free place, or the citizen already has a pending referral to it. ``reason``: why the
    caseworker proposes against the app's advice; stored on the referral and in the audit entry.
    The opportunity is locked for the check and the insert (``db.lock_for_update``), so
    concurrent proposals cannot overbook it.
    """
    with audit.refusals(engine, user, audit.PROPOSE, REFUSALS, citizen_id, opportunity_id):
        current = authorise(engine, user, audit.PROPOSE)
        require_proposer(engine, current, citizen_id)
        if not current.caseworker_id:
            raise ProposalRefused(f"user {current.username!r} is not linked to a caseworker_id",
                                  "refused_not_linked", user=current.username)
        reason = _check_reason(reason)
        today = _check_date(engine, on)
        try:
            with session_scope(engine) as s:
                referral_id, kind = _take_place(s, current, citizen_id, opportunity_id, on, today, reason)
                audit.write(
                    s, current, audit.PROPOSE, citizen_id, opportunity_id,
                    {**(detail or {}), "referral_id": referral_id, "kind": kind, **({"reason": reason} if reason else {})},
                )
        except IntegrityError:
            raise ProposalRefused(f"citizen {citizen_id!r} already has a pending referral to {opportunity_id!r}",
                                  "refused_duplicate", citizen=citizen_id, opportunity=opportunity_id)
        except OperationalError as busy:
            if "locked" not in str(busy.orig):
                raise
            raise ProposalRefused("the database is busy with other proposals; nothing was recorded; try again", "refused_busy")
    return referral_id


def _take_place(
    s, user: SignedIn, citizen_id: str, opportunity_id: str, on: date, today: date, reason: str | None
) -> tuple[str, str]:
    """Inside the proposal's transaction: lock the opportunity, check, and add the referral."""
    opp = lock_for_update(s, Opportunity, opportunity_id)
    if opp is None:
        raise ProposalRefused(f"opportunity {opportunity_id!r} does not exist", "refused_no_opportunity", opportunity=opportunity_id)
    if s.scalar(select(Citizen.citizen_id).where(Citizen.citizen_id == citizen_id, timerules.citizen_active_sql(on))) is None:
        c = s.get(Citizen, citizen_id)
        known = f" (enrolled {c.enrolled_on}, left {c.left_on or '-'})" if c is not None else ""
        raise ProposalRefused(f"citizen {citizen_id!r} is not in the programme on {on}{known}",
                              "refused_not_enrolled", citizen=citizen_id, on=on)
    if s.scalar(select(Opportunity.opportunity_id).where(Opportunity.opportunity_id == opportunity_id, timerules.opportunity_open_sql(on))) is None:
        raise ProposalRefused(f"opportunity {opportunity_id!r} is not open on {on}", "refused_not_open", opportunity=opportunity_id, on=on)
    duplicate = s.scalar(
        select(Referral.referral_id).where(
            Referral.citizen_id == citizen_id,
            Referral.opportunity_id == opportunity_id,
            (Referral.outcome == "pending") | timerules.referral_unresolved_sql(on),
        )
    )
    if duplicate:
        raise ProposalRefused(f"citizen {citizen_id!r} already has the pending referral {duplicate} to {opportunity_id!r}",
                              "refused_duplicate", citizen=citizen_id, opportunity=opportunity_id)
    free = _fewest_free(s, opp, on, today)
    if free <= 0:
        raise ProposalRefused(f"opportunity {opportunity_id!r} has no free capacity on {on}", "refused_full", opportunity=opportunity_id, on=on)
    if reason is None and get_settings().plan.enforce_holds:
        from matcher.plan_store import held_for_others

        held = held_for_others(s, on, citizen_id, opportunity_id)
        if held >= free:
            raise HeldForOthers(
                f"the plan holds the {free} free place(s) of {opportunity_id!r} for other citizens; "
                "give a reason to propose it anyway",
                "refused_held", free=free, opportunity=opportunity_id,
            )
    referral_id = f"APP-{uuid.uuid4().hex[:12]}"
    s.add(
        Referral(
            referral_id=referral_id,
            citizen_id=citizen_id,
            opportunity_id=opportunity_id,
            caseworker_id=user.caseworker_id,
            proposed_on=on,
            outcome="pending",
            source=SOURCE_APP,
            recorded_by=user.username,
            recorded_at=utcnow(),
            override_reason=reason,
        )
    )
    return referral_id, opp.kind


def record_outcome(engine: Engine, user: SignedIn, referral_id: str, outcome: str, on: date) -> None:
    """Enter an outcome for a referral (outcome_source 'app'), audited in the same transaction;
    a refusal is audited too."""
    with session_scope(engine) as s:
        referral = s.get(Referral, referral_id)
        citizen_id, opportunity_id = (referral.citizen_id, referral.opportunity_id) if referral else (None, None)
    with audit.refusals(engine, user, audit.RECORD_OUTCOME, REFUSALS, citizen_id, opportunity_id):
        current = authorise(engine, user, audit.RECORD_OUTCOME)
        if outcome not in OUTCOMES or outcome == "pending":
            raise ProposalRefused(f"outcome {str(outcome)[:40]!r} is not one of {', '.join(OUTCOMES[1:])}",
                                  "refused_outcome_unknown", outcome=str(outcome)[:40])
        if citizen_id is None:
            raise ProposalRefused(f"referral {str(referral_id)[:64]!r} does not exist", "refused_no_referral", referral=str(referral_id)[:64])
        require_citizen(engine, current, citizen_id)
        with session_scope(engine) as s:
            referral = s.get(Referral, referral_id)
            if on < referral.proposed_on:
                raise ProposalRefused(
                    f"outcome date {on} is before the referral was proposed ({referral.proposed_on})",
                    "refused_outcome_before", on=on, proposed_on=referral.proposed_on,
                )
            before = referral.outcome
            referral.outcome = outcome
            referral.outcome_on = on
            referral.outcome_source = SOURCE_APP
            referral.recorded_by = current.username
            referral.recorded_at = utcnow()
            audit.write(
                s, current, audit.RECORD_OUTCOME, citizen_id, referral.opportunity_id,
                {"referral_id": referral_id, "outcome": outcome, "before": before, "outcome_on": on.isoformat()},
            )


def suggestions_table(suggestions: list, lang: str, already: set[str] | frozenset = frozenset()) -> pd.DataFrame:
    """``matcher.service.Suggestion`` objects as rows, in the recommender's order (feasible first,
    then score), leaving out opportunities the citizen already has a pending referral to; the
    reasons in the chosen language joined into one line."""
    columns = [
        "rank", "opportunity_id", "kind", "title", "place", "occupation", "score", "chance",
        "commute_minutes", "feasible", "reasons", "lat", "lon", "flags",
    ]
    rows = [
        {
            "opportunity_id": s.opportunity_id,
            "kind": s.kind,
            "title": s.title,
            "place": s.employer,
            "occupation": s.occupation,
            "score": float(s.score),
            "chance": float("nan") if s.chance is None else float(s.chance),
            "commute_minutes": float(s.commute_minutes),
            "feasible": bool(s.feasible),
            "reasons": "; ".join(s.reasons_en if lang == "en" else s.reasons_da),
            "lat": float(s.lat),
            "lon": float(s.lon),
            "flags": list(getattr(s, "flags", []) or []),
        }
        for s in suggestions
        if s.opportunity_id not in already
    ]
    frame = pd.DataFrame(rows, columns=columns[1:])
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame


HOME_COLOR = "#d62728"
PLACE_COLOR = "#1f77b4"


def map_points(p: Profile, suggestions: pd.DataFrame) -> pd.DataFrame:
    """Home (red, larger) and the suggested places (blue) as lat, lon, color, size rows."""
    home = pd.DataFrame({"lat": [p.home_lat], "lon": [p.home_lon], "color": [HOME_COLOR], "size": [120.0]})
    places = suggestions[["lat", "lon"]].assign(color=PLACE_COLOR, size=60.0)
    return pd.concat([home, places], ignore_index=True)
