"""Skill overlap against an independent set computation on the hand-made world."""
import pandas as pd
import pytest

from tests.conftest import KITCHEN_ASSISTANT, KITCHEN_PORTER, SHOP_ASSISTANT
from matcher.features.build import build_features
from matcher.taxonomy import load_taxonomy


def _essential(uri):
    return {s.lower() for s in load_taxonomy().essential_skills(uri)}


def test_overlap_counts_history_and_completed_placements(tiny_world):
    pairs = pd.DataFrame({"citizen_id": ["c1", "c1"], "opportunity_id": ["o1", "o1"], "as_of": pd.to_datetime(["2023-06-02", "2023-02-01"])})
    f = build_features(tiny_world, pairs)
    opp = _essential(KITCHEN_ASSISTANT) | {"food hygiene"}
    # After 2023-03-01 c1 has completed the shop placement (o4): its skills count too.
    after = _essential(KITCHEN_PORTER) | _essential(SHOP_ASSISTANT)
    before = _essential(KITCHEN_PORTER)
    assert f["skill_overlap"].tolist() == [len(after & opp), len(before & opp)]
    assert f["citizen_skill_count"].tolist() == [len(after), len(before)]
    assert f["skill_coverage"].iloc[0] == pytest.approx(len(after & opp) / len(opp))
    assert f["skill_jaccard"].iloc[0] == pytest.approx(len(after & opp) / len(after | opp))


def test_no_evidence_means_no_skills(tiny_world):
    # c2 has no work history and no completed referral.
    pairs = pd.DataFrame({"citizen_id": ["c2"], "opportunity_id": ["o3"], "as_of": [pd.Timestamp("2023-06-02")]})
    f = build_features(tiny_world, pairs)
    assert f["skill_overlap"].iloc[0] == 0 and f["citizen_skill_count"].iloc[0] == 0


def test_listed_skills_count_for_a_course(tiny_world):
    # A course has no occupation: only its listed skill; c1 learns it by completing the course.
    w = tiny_world
    w.referrals.loc[len(w.referrals)] = ["r5", "c2", "o3", "cw1", pd.Timestamp("2023-03-01"), "completed", pd.Timestamp("2023-03-20"), "import", None]
    pairs = pd.DataFrame({"citizen_id": ["c2", "c2"], "opportunity_id": ["o3", "o3"], "as_of": pd.to_datetime(["2023-03-20", "2023-03-21"])})
    f = build_features(w, pairs)
    assert f["skill_overlap"].tolist() == [0, 1]
