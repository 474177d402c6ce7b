"""The caseworker in charge: how often caseworkers follow the suggestions, what comes of it, and
why they go against them.

Every proposal made in the app is recorded with what the app showed at that moment
(:func:`proposal_detail`, written into the proposal's audit entry by ``matcher.caseload.propose``):
the suggestion's place in the list, the model version, the opportunities shown and the reasons
given. From those entries and the referrals' outcomes:

- :func:`proposals`: one row per app proposal, with its *choice*: ``first`` (the first
  suggestion), ``top3`` (second or third), ``lower`` (fourth or later), ``unlisted`` (not among
  the suggestions: found by search) or ``off`` (made while suggestions were switched off);
- :func:`choices`: the choices counted by team and by week or month;
- :func:`outcomes`: success rates of followed (first or top 3) and overruled (lower or unlisted)
  proposals, with a 95 % Jeffreys interval, on the proposals whose outcome is known;
- :func:`reasons`: the reasons caseworkers wrote when they went outside the top 3.

Referrals loaded from an export were made outside the app: nothing says what, if anything, was
suggested, so they are not counted here. Everything is aggregated per team: no citizen ids leave
this module (the page is for data scientists and admins, who see no citizen pages).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import beta
from sqlalchemy import select
from sqlalchemy.engine import Engine

from matcher import audit
from matcher.db import SOURCE_APP, AuditLog, Caseworker, Referral
from matcher.settings import get_settings

CHOICES = ("first", "top3", "lower", "unlisted", "off")
FOLLOWED = ("first", "top3")
OVERRULED = ("lower", "unlisted")
# The top of the list a caseworker is expected to choose from; going below asks for a reason.
TOP = 3
PERIODS = {"week": "W-SUN", "month": "M"}  # weeks Monday to Sunday
NO_TEAM = "(uden team)"


def proposal_detail(suggestion=None, shown: list[str] | None = None, model_version: str | None = None,
                    suggestions_on: bool = True, rank: int | None = None) -> dict:
    """What the app showed when a proposal was made, for the proposal's audit entry.

    ``suggestion``: the ``matcher.service.Suggestion`` proposed (its rank as shown, score, chance,
    reasons), or None when the opportunity was found by search; ``shown``: the opportunity ids
    the list showed, in order; ``suggestions_on``: False when an admin had switched them off;
    ``rank``: its place as shown, when the page numbered the list itself (default: its own rank).
    """
    detail: dict = {"suggestions": "on" if suggestions_on else "off", "listed": suggestion is not None}
    if model_version is not None:
        detail["model_version"] = str(model_version)
    if shown is not None:
        detail["shown"] = list(shown)
    if suggestion is not None:
        detail.update(
            rank=int(suggestion.rank if rank is None else rank), score=round(float(suggestion.score), 6),
            reasons_da=[str(r) for r in suggestion.reasons_da], reasons_en=[str(r) for r in suggestion.reasons_en],
        )
        if suggestion.chance is not None:
            detail["chance"] = round(float(suggestion.chance), 4)
    return detail


def needs_reason(rank: int | None) -> bool:
    """A proposal outside the top 3 (or not among the suggestions) asks for a short reason."""
    return rank is None or rank > TOP


def choice(detail: dict | None) -> str:
    """The choice a proposal's audit detail records (one of :data:`CHOICES`)."""
    detail = detail or {}
    if detail.get("suggestions") == "off":
        return "off"
    rank = detail.get("rank")
    if rank is None:
        return "unlisted"
    rank = int(rank)
    return "first" if rank == 1 else "top3" if rank <= TOP else "lower"


def proposals(engine: Engine, since: date | None = None) -> pd.DataFrame:
    """One row per proposal made in the app: referral_id, proposed_on, team, channel
    (caseworker or liaison), rank, choice, model_version, outcome, success (True/False, NaN while
    pending), reason."""
    columns = ["referral_id", "proposed_on", "team", "channel", "rank", "choice", "model_version",
               "outcome", "success", "reason"]
    q = (
        select(Referral.referral_id, Referral.proposed_on, Referral.outcome, Referral.override_reason,
               Caseworker.team, Caseworker.role)
        .join(Caseworker, Caseworker.caseworker_id == Referral.caseworker_id)
        .where(Referral.source == SOURCE_APP)
    )
    if since is not None:
        q = q.where(Referral.proposed_on >= since)
    entries = select(AuditLog.detail).where(AuditLog.action == audit.PROPOSE)
    with engine.connect() as conn:
        refs = pd.read_sql(q, conn)
        details = [d for (d,) in conn.execute(entries) if isinstance(d, dict) and d.get("referral_id")]
    if refs.empty:
        return pd.DataFrame(columns=columns)
    by_referral = {d["referral_id"]: d for d in details}
    detail = refs["referral_id"].map(lambda r: by_referral.get(r, {}))
    success_outcomes = set(get_settings().success_outcomes)
    frame = pd.DataFrame(
        {
            "referral_id": refs["referral_id"],
            "proposed_on": pd.to_datetime(refs["proposed_on"]),
            "team": refs["team"].fillna(NO_TEAM),
            "channel": np.where((refs["role"] == "employer_liaison") | detail.map(lambda d: d.get("via") == "liaison"),
                                "liaison", "caseworker"),
            "rank": detail.map(lambda d: d.get("rank")).astype("Float64"),
            "choice": detail.map(choice),
            "model_version": detail.map(lambda d: d.get("model_version")),
            "outcome": refs["outcome"],
            "success": np.where(refs["outcome"] == "pending", np.nan, refs["outcome"].isin(success_outcomes).astype(float)),
            "reason": refs["override_reason"],
        }
    )
    return frame[columns].sort_values(["proposed_on", "referral_id"]).reset_index(drop=True)


def choices(frame: pd.DataFrame, by: str = "team", period: str | None = None) -> pd.DataFrame:
    """How many proposals were each choice, per ``by`` (a column: team, channel) and, with
    ``period`` ("week" or "month"), per period starting that day; plus ``total`` and
    ``followed`` (the share of first or top-3 among proposals made with suggestions on)."""
    if period is not None and period not in PERIODS:
        raise ValueError(f"period must be one of {list(PERIODS)}, got {period!r}")
    keys = ([by] if by else []) + (["period"] if period else [])
    data = frame.copy()
    if period:
        data["period"] = data["proposed_on"].dt.to_period(PERIODS[period]).dt.start_time.dt.date
    if data.empty:
        return pd.DataFrame(columns=keys + list(CHOICES) + ["total", "followed"])
    table = pd.crosstab([data[k] for k in keys], data["choice"]) if keys else data["choice"].value_counts().to_frame().T
    table = table.reindex(columns=list(CHOICES), fill_value=0)
    table["total"] = table.sum(axis=1)
    with_list = table[[c for c in CHOICES if c != "off"]].sum(axis=1)
    table["followed"] = (table["first"] + table["top3"]) / with_list.where(with_list > 0)
    return table.reset_index()


def rate_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """A Jeffreys interval (Beta(k + ½, n − k + ½) quantiles) for a success rate; (nan, nan) without data."""
    if n <= 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes + 0.5, n - successes + 0.5))
    high = 1.0 if successes == n else float(beta.ppf(1 - tail, successes + 0.5, n - successes + 0.5))
    return low, high


def outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """Followed (first, top 3) vs overruled (lower, unlisted) vs made with suggestions off:
    proposals, pending, known outcomes, successes, success rate and its 95 % interval."""
    group = frame["choice"].map(lambda c: "followed" if c in FOLLOWED else "overruled" if c in OVERRULED else "off")
    rows = []
    for name in ("followed", "overruled", "off"):
        part = frame[group == name]
        known = part["success"].dropna()
        k, n = int(known.sum()), int(len(known))
        low, high = rate_interval(k, n)
        rows.append({"group": name, "proposals": len(part), "pending": len(part) - n, "known": n, "successes": k,
                     "success_rate": k / n if n else float("nan"), "low": low, "high": high})
    return pd.DataFrame(rows)


def reasons(frame: pd.DataFrame) -> pd.DataFrame:
    """The reasons given for proposals outside the top 3, newest first: date, team, choice, reason."""
    given = frame[frame["reason"].notna() & (frame["reason"].astype(str).str.strip() != "")]
    return (given[["proposed_on", "team", "choice", "rank", "reason"]]
            .sort_values("proposed_on", ascending=False).reset_index(drop=True))
