"""The contract's time rules: the pandas form (World) and the SQL form (caseload, liaison) agree
on the small world for many dates, the boundary dates of the data included."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from matcher import timerules
from matcher.db import Citizen, Opportunity, Referral


def dates_to_check(world, n_random: int = 25) -> list[pd.Timestamp]:
    """Random dates over the data's span, and dates on which something starts or ends (where a
    rule's < and <= differ), with the day before each."""
    rng = np.random.default_rng(5)
    edges = pd.concat(
        [
            world.citizens["enrolled_on"], world.citizens["left_on"],
            world.opportunities["open_from"], world.opportunities["open_until"],
            world.referrals["proposed_on"], world.referrals["outcome_on"],
        ]
    ).dropna()
    first, last = edges.min(), edges.max()
    span = (last - first).days
    random = [first + pd.Timedelta(days=int(d)) for d in rng.integers(0, span + 1, n_random)]
    boundary = list(edges.sample(15, random_state=5))
    return sorted(set(random + boundary + [d - pd.Timedelta(days=1) for d in boundary] + [first, last]))


def ids(engine, query) -> set:
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def test_both_forms_agree_on_many_dates(small_engine, small_world):
    w = small_world
    checked = 0
    for d in dates_to_check(w):
        pandas_active = set(w.citizens.loc[timerules.citizen_active(w.citizens, d), "citizen_id"])
        sql_active = ids(small_engine, select(Citizen.citizen_id).where(timerules.citizen_active_sql(d)))
        assert pandas_active == sql_active, d

        pandas_open = w.opportunities[timerules.opportunity_open(w.opportunities, d)]
        sql_open = ids(small_engine, select(Opportunity.opportunity_id).where(timerules.opportunity_open_sql(d)))
        assert set(pandas_open["opportunity_id"]) == sql_open, d

        pandas_unresolved = set(w.referrals.loc[timerules.referral_unresolved(w.referrals, d), "referral_id"])
        sql_unresolved = ids(small_engine, select(Referral.referral_id).where(timerules.referral_unresolved_sql(d)))
        assert pandas_unresolved == sql_unresolved, d

        free = pd.Series(timerules.free_capacity(pandas_open, w.referrals, d).to_numpy(), index=pandas_open["opportunity_id"])
        with small_engine.connect() as conn:
            rows = conn.execute(
                select(Opportunity.opportunity_id, timerules.free_capacity_sql(d)).where(timerules.opportunity_open_sql(d))
            ).all()
        assert dict(rows) == free.to_dict(), d
        checked += len(pandas_active) + len(pandas_open) + len(pandas_unresolved)
    assert checked > 1000  # the dates were not all empty


def test_world_uses_the_rules(small_world):
    d = small_world.referrals["proposed_on"].median()
    opened = small_world.open_opportunities(d)
    assert opened["free_capacity"].lt(opened["capacity"]).any()  # some places are taken
    assert len(small_world.active_citizens(d)) == timerules.citizen_active(small_world.citizens, d).sum()


@pytest.mark.parametrize(
    "on, active, unresolved",
    [("2023-01-31", False, False), ("2023-02-01", True, False), ("2023-05-31", False, True), ("2023-05-30", True, True)],
)
def test_the_boundaries_by_hand(on, active, unresolved):
    # Enrolled 2023-02-01, left 2023-05-31; a referral proposed 2023-03-01, decided 2023-06-01.
    citizens = pd.DataFrame({"enrolled_on": [pd.Timestamp("2023-02-01")], "left_on": [pd.Timestamp("2023-05-31")]})
    referrals = pd.DataFrame({"proposed_on": [pd.Timestamp("2023-03-01")], "outcome_on": [pd.Timestamp("2023-06-01")]})
    assert bool(timerules.citizen_active(citizens, on).iloc[0]) == active
    assert bool(timerules.referral_unresolved(referrals, on).iloc[0]) == unresolved
