"""Caseload queries, the job-from-day-one flag, profiles, history, proposals and outcomes."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from matcher import audit
from matcher.access import AccessDenied
from matcher.caseload import (
    ProposalRefused,
    app_date,
    caseload,
    free_capacity,
    history,
    map_points,
    profile,
    propose,
    record_outcome,
)
from matcher.db import Referral, session_scope
from matcher.liaison import employers_with_openings, openings
from tests.app_helpers import live_user

ON = date(2023, 3, 1)


@pytest.fixture
def staff(export_engine):
    """Signed-in users with live sessions: caseworkers of cw01, cw03 and cw06, liaison cw08."""
    return {
        "cw01": live_user(export_engine, "anne", "caseworker", "cw01"),
        "cw03": live_user(export_engine, "bo", "caseworker", "cw03"),
        "cw06": live_user(export_engine, "m", "caseworker", "cw06"),
        "cw08": live_user(export_engine, "lis", "employer_liaison", "cw08"),
    }


def referral(engine, referral_id) -> Referral:
    with session_scope(engine) as s:
        return s.get(Referral, referral_id)


def referral_count(engine) -> int:
    with session_scope(engine) as s:
        return len(s.scalars(select(Referral).where(Referral.source == "app")).all())


def test_app_date_is_the_last_date_in_the_export(export_engine):
    assert app_date(export_engine) == ON  # R009 proposed 2023-03-01


def test_caseload_holds_own_active_citizens_only(export_engine):
    mine = caseload(export_engine, "cw01", ON)
    assert sorted(mine["citizen_id"]) == ["P0001", "P0009"]
    assert set(mine.columns) >= {"age", "district", "active_offer", "referrals"}
    assert mine.set_index("citizen_id").at["P0001", "referrals"] == 2
    assert mine.set_index("citizen_id").at["P0001", "age"] == 2023 - 1975
    # cw05's only citizen left the programme in 2023-05; before that she is in the caseload.
    assert caseload(export_engine, "cw05", ON).empty is False
    assert caseload(export_engine, "cw05", date(2023, 6, 1)).empty


def test_no_active_offer_flag_follows_pending_referrals(export_engine, staff):
    before = caseload(export_engine, "cw01", ON).set_index("citizen_id")
    assert not before["active_offer"].any()
    propose(export_engine, staff["cw01"], "P0009", "O01", ON)
    after = caseload(export_engine, "cw01", ON)
    assert after.set_index("citizen_id").at["P0009", "active_offer"]
    # Those without an active offer come first.
    assert after.iloc[0]["citizen_id"] == "P0001"
    # cw06's citizen has a pending referral from the export.
    assert caseload(export_engine, "cw06", ON)["active_offer"].all()


def test_search_matches_id_or_district(export_engine):
    assert list(caseload(export_engine, "cw01", ON, "p0009")["citizen_id"]) == ["P0009"]
    assert len(caseload(export_engine, "cw01", ON, "nørre")) == 2
    assert caseload(export_engine, "cw01", ON, "valby").empty


def test_profile_in_danish_and_history(export_engine):
    p = profile(export_engine, "P0001", ON)
    assert p.district == "Nørrebro" and p.danish_level == 4 and p.barriers == ["debt"]
    assert p.wishes == ["rengøringsassistent", "køkkenmedhjælper"]
    assert not hasattr(p, "gender") and not hasattr(p, "origin")
    past = history(export_engine, "P0001")
    assert list(past["referral_id"]) == ["R010", "R001"]
    assert past.iloc[1]["place"] == "Rent & Pænt ApS"
    # A course shows its provider as the place.
    assert history(export_engine, "P0007").iloc[0]["place"] == "AMU Hovedstaden"


def test_propose_writes_one_pending_app_referral(export_engine, staff):
    rid = propose(export_engine, staff["cw01"], "P0001", "O01", ON, {"rank": 1})
    r = referral(export_engine, rid)
    assert (r.citizen_id, r.opportunity_id, r.caseworker_id, r.proposed_on) == ("P0001", "O01", "cw01", ON)
    assert (r.outcome, r.source, r.recorded_by, r.outcome_on) == ("pending", "app", "anne", None)
    with session_scope(export_engine) as s:
        assert len(s.scalars(select(Referral).where(Referral.source == "app")).all()) == 1
    assert history(export_engine, "P0001").iloc[0]["referral_id"] == rid


def test_propose_is_refused_with_reasons(export_engine, staff, setting):
    cw01 = staff["cw01"]
    with pytest.raises(AccessDenied):
        propose(export_engine, cw01, "P0002", "O01", ON)
    # O08 has capacity 1: one proposal fills it.
    propose(export_engine, cw01, "P0001", "O08", ON)
    assert free_capacity(export_engine, "O08", ON) == 0
    with pytest.raises(ProposalRefused, match="no free capacity"):
        propose(export_engine, cw01, "P0009", "O08", ON)
    # Later in the programme: O02 closed on 2024-03-01.
    setting("APP_AS_OF", "2024-06-01")
    with pytest.raises(ProposalRefused, match="not open"):
        propose(export_engine, cw01, "P0001", "O02", date(2024, 6, 1))


def test_no_proposal_for_an_inactive_citizen_or_outside_the_date_window(export_engine, setting):
    # Not yet enrolled: P0010 enrolled 2023-02-01; the fixture's app date is 2023-03-01.
    birgitte = live_user(export_engine, "birgitte", "caseworker", "cw10")
    with pytest.raises(ProposalRefused, match="not in the programme on 2023-01-31"):
        propose(export_engine, birgitte, "P0010", "O01", date(2023, 1, 31))
    sara = live_user(export_engine, "sara", "caseworker", "cw05")  # P0003: enrolled 2019, left 2023-05-31
    setting("APP_AS_OF", "2023-06-15")
    with pytest.raises(ProposalRefused, match="not in the programme on 2023-06-15 .enrolled 2019-01-10, left 2023-05-31"):
        propose(export_engine, sara, "P0003", "O01", date(2023, 6, 15))
    propose(export_engine, sara, "P0003", "O01", date(2023, 5, 30))  # backdated, while she was in
    with pytest.raises(ProposalRefused, match="must be dated from 2023-05-15 to 2023-06-15"):
        propose(export_engine, sara, "P0003", "O03", date(2023, 6, 16))  # after the app's date
    with pytest.raises(ProposalRefused, match="must be dated"):
        propose(export_engine, sara, "P0003", "O03", date(2023, 5, 14))  # too far back
    assert referral_count(export_engine) == 1


def test_a_backdated_proposal_must_fit_on_every_later_day(export_engine, staff):
    # O08 (capacity 1) is taken from ON on; a proposal dated a week earlier would overbook it from ON.
    propose(export_engine, staff["cw01"], "P0001", "O08", ON)
    with pytest.raises(ProposalRefused, match="no free capacity"):
        propose(export_engine, staff["cw01"], "P0009", "O08", ON - timedelta(days=7))


def test_the_reason_for_going_against_the_advice_is_kept(export_engine, staff):
    rid = propose(export_engine, staff["cw01"], "P0001", "O09", ON, {"rank": 7}, reason="Har kørekort på vej")
    assert referral(export_engine, rid).override_reason == "Har kørekort på vej"
    entry = audit.read(export_engine, action=audit.PROPOSE).iloc[0]["detail"]
    assert entry["reason"] == "Har kørekort på vej" and entry["rank"] == 7
    with pytest.raises(ProposalRefused, match="longer than 500"):
        propose(export_engine, staff["cw01"], "P0009", "O09", ON, reason="x" * 501)


def test_liaison_proposes_only_for_consenting_citizens(export_engine, staff):
    rid = propose(export_engine, staff["cw08"], "P0001", "O03", ON)
    assert referral(export_engine, rid).caseworker_id == "cw08"
    with pytest.raises(AccessDenied, match="not consented"):
        propose(export_engine, staff["cw08"], "P0009", "O03", ON)


def test_record_outcome_marks_app_source(export_engine, staff):
    cw01 = staff["cw01"]
    rid = propose(export_engine, cw01, "P0001", "O01", ON)
    with pytest.raises(ProposalRefused, match="before the referral was proposed"):
        record_outcome(export_engine, cw01, rid, "completed", date(2023, 2, 1))
    with pytest.raises(ProposalRefused, match="is not one of"):
        record_outcome(export_engine, cw01, rid, "pending", ON)
    with pytest.raises(AccessDenied):
        record_outcome(export_engine, staff["cw03"], rid, "hired", ON)
    record_outcome(export_engine, cw01, rid, "completed", date(2023, 4, 1))
    r = referral(export_engine, rid)
    assert (r.outcome, r.outcome_on, r.outcome_source, r.recorded_by) == ("completed", date(2023, 4, 1), "app", "anne")
    # An imported pending referral can be resolved in the app too.
    record_outcome(export_engine, staff["cw06"], "R007", "hired", ON)
    assert referral(export_engine, "R007").outcome_source == "app"
    # Each refusal is audited where it was decided.
    refusals = audit.read(export_engine, action=audit.REFUSED)["detail"].tolist()
    denials = audit.read(export_engine, action=audit.ACCESS_DENIED)["detail"].tolist()
    assert [d["action"] for d in refusals] == [audit.RECORD_OUTCOME] * 2
    assert [d["action"] for d in denials] == [audit.RECORD_OUTCOME]


def test_openings_count_free_places(export_engine):
    opps = openings(export_engine, ON).set_index("opportunity_id")
    assert "O05" not in opps.index and "O06" not in opps.index  # course, education: no employer
    assert opps.at["O04", "free_capacity"] == 1  # capacity 2, one pending referral
    assert opps.at["O01", "free_capacity"] == 3
    employers = employers_with_openings(export_engine, ON).set_index("employer_id")
    assert employers.at["E01", "free_places"] == 3


def test_map_points_have_home_first(export_engine):
    p = profile(export_engine, "P0001", ON)
    places = pd.DataFrame({"lat": [55.70, 55.66], "lon": [12.50, 12.40]})
    points = map_points(p, places)
    assert len(points) == 3 and points.iloc[0]["lat"] == p.home_lat
    assert points["color"].nunique() == 2
