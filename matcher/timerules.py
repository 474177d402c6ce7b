"""The contract's rules of time, in one home: each in pandas form and in SQL form.

On a date D (DATA_CONTRACT.md, "Time"):

- a citizen is *active* when ``enrolled_on <= D`` and ``left_on`` is empty or after D;
- an opportunity is *open* when ``open_from <= D`` and ``open_until`` is empty or after D;
- a referral is *unresolved* when proposed on or before D and its outcome is unknown on D
  (``outcome_on`` empty or after D);
- an opportunity's *free capacity* is its ``capacity`` minus its referrals unresolved on D.

The pandas forms take frames with the contract's columns (dates as datetime64, as in
``matcher.world.World``) and return boolean masks or counts aligned with the frame; the SQL forms
are SQLAlchemy expressions over the tables of ``matcher.db``, for queries that should not load a
world. ``tests/test_timerules.py`` checks that both forms agree.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement

from matcher.db import Citizen, Opportunity, Referral


def _day(on) -> pd.Timestamp:
    return pd.Timestamp(on).normalize()


def _date(on) -> date:
    return _day(on).date()


def _until_after(until: pd.Series, d: pd.Timestamp) -> pd.Series:
    """Empty, or after D: the end of a period that still includes D."""
    until = pd.to_datetime(until)
    return until.isna() | (until > d)


# ---- pandas ----------------------------------------------------------------------------------


def citizen_active(citizens: pd.DataFrame, on) -> pd.Series:
    """Citizens active on D."""
    d = _day(on)
    return (pd.to_datetime(citizens["enrolled_on"]) <= d) & _until_after(citizens["left_on"], d)


def opportunity_open(opportunities: pd.DataFrame, on) -> pd.Series:
    """Opportunities open on D."""
    d = _day(on)
    return (pd.to_datetime(opportunities["open_from"]) <= d) & _until_after(opportunities["open_until"], d)


def referral_unresolved(referrals: pd.DataFrame, on) -> pd.Series:
    """Referrals unresolved on D."""
    d = _day(on)
    return (pd.to_datetime(referrals["proposed_on"]) <= d) & _until_after(referrals["outcome_on"], d)


def free_capacity(opportunities: pd.DataFrame, referrals: pd.DataFrame, on) -> pd.Series:
    """Each opportunity's free capacity on D, aligned with ``opportunities``."""
    taken = referrals.loc[referral_unresolved(referrals, on), "opportunity_id"].value_counts()
    return opportunities["capacity"] - opportunities["opportunity_id"].map(taken).fillna(0).astype(int)


# ---- SQL -------------------------------------------------------------------------------------


def citizen_active_sql(on) -> ColumnElement[bool]:
    """``citizens`` rows active on D."""
    d = _date(on)
    return (Citizen.enrolled_on <= d) & (Citizen.left_on.is_(None) | (Citizen.left_on > d))


def opportunity_open_sql(on) -> ColumnElement[bool]:
    """``opportunities`` rows open on D."""
    d = _date(on)
    return (Opportunity.open_from <= d) & (Opportunity.open_until.is_(None) | (Opportunity.open_until > d))


def referral_unresolved_sql(on) -> ColumnElement[bool]:
    """``referrals`` rows unresolved on D."""
    d = _date(on)
    return (Referral.proposed_on <= d) & (Referral.outcome_on.is_(None) | (Referral.outcome_on > d))


def free_capacity_sql(on) -> ColumnElement[int]:
    """The free capacity on D of the ``opportunities`` row in the enclosing query."""
    taken = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.opportunity_id == Opportunity.opportunity_id, referral_unresolved_sql(on))
        .correlate(Opportunity)
        .scalar_subquery()
    )
    return Opportunity.capacity - taken
