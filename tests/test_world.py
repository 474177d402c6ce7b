"""The contract's rules of time: active citizens, open opportunities, free capacity, what is known on D."""
from __future__ import annotations

import pandas as pd

from matcher.postcodes import centroid, district_of, is_danish_postcode
from matcher.world import World

T = pd.Timestamp


def _world() -> World:
    citizens = pd.DataFrame(
        {
            "citizen_id": ["a", "b", "c"],
            "enrolled_on": [T("2024-01-01"), T("2024-06-01"), T("2023-01-01")],
            "left_on": [pd.NaT, pd.NaT, T("2024-03-01")],
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o2", "o3"],
            "open_from": [T("2024-01-01"), T("2024-05-01"), T("2023-01-01")],
            "open_until": [pd.NaT, T("2024-12-31"), T("2024-03-01")],
            "capacity": [2, 1, 1],
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_id": ["r1", "r2", "r3"],
            "citizen_id": ["a", "a", "b"],
            "opportunity_id": ["o1", "o1", "o2"],
            "proposed_on": [T("2024-02-01"), T("2024-03-01"), T("2024-06-02")],
            "outcome": ["completed", "pending", "hired"],
            "outcome_on": [T("2024-04-01"), pd.NaT, T("2024-08-01")],
        }
    )
    empty = pd.DataFrame()
    return World(empty, citizens, empty, empty, opportunities, referrals)


def test_active_citizens_respects_enrolment_and_leaving():
    w = _world()
    assert set(w.active_citizens("2024-02-15")["citizen_id"]) == {"a", "c"}
    # left_on is the day they left: not active on it
    assert set(w.active_citizens("2024-03-01")["citizen_id"]) == {"a"}
    assert set(w.active_citizens("2024-06-01")["citizen_id"]) == {"a", "b"}


def test_open_opportunities_and_free_capacity():
    w = _world()
    open_ = w.open_opportunities("2024-03-15").set_index("opportunity_id")
    assert set(open_.index) == {"o1"}
    # r1 (outcome 2024-04-01, after D) and r2 (pending) both hold a place
    assert open_.loc["o1", "free_capacity"] == 0
    later = w.open_opportunities("2024-06-10").set_index("opportunity_id")
    assert later.loc["o1", "free_capacity"] == 1  # r1 resolved, r2 still pending
    assert later.loc["o2", "free_capacity"] == 0  # r3 unresolved until 2024-08-01


def test_outcomes_after_the_date_are_unknown():
    w = _world()
    known = w.referrals_known("2024-03-15").set_index("referral_id")
    assert set(known.index) == {"r1", "r2"}
    assert known.loc["r1", "outcome"] == "pending"
    assert pd.isna(known.loc["r1", "outcome_on"])
    assert w.referrals_known("2024-04-02").set_index("referral_id").loc["r1", "outcome"] == "completed"
    assert len(w.as_of("2024-01-15").referrals) == 0


def test_postcodes():
    assert is_danish_postcode("2700") and not is_danish_postcode("27000") and not is_danish_postcode("abcd")
    assert district_of("2700") == "Brønshøj-Husum"
    assert district_of("2770").startswith("Kastrup")
    lat, lon = centroid("9000")
    assert 56.5 < lat < 57.5  # Aalborg region, by the regional fallback
