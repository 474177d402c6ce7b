"""Retrieval (the first stage): what it keeps obeys the rules, the budget holds, and a citizen's
candidates do not depend on who else is retrieved with them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.features.candidates import suggestable
from matcher.features.commute import commute_features
from matcher.retrieval import RetrievalIndex, recall_at_k, retrieval_quality
from matcher.service import Matcher, latest_date


@pytest.fixture(scope="module")
def day(small_world):
    return latest_date(small_world)


def _index(small_matcher, day):
    return RetrievalIndex(small_matcher.space, suggestable(small_matcher.world, day), small_matcher.world.referrals, day)


def test_retrieved_pairs_are_suggestable_reachable_and_not_proposed(small_world, small_matcher, day, setting):
    setting("RETRIEVAL__CANDIDATES", "8")
    setting("RETRIEVAL__REACH_FACTOR", "1.5")
    index = _index(small_matcher, day)
    citizens = small_world.active_citizens(day)["citizen_id"].to_numpy()
    pairs = index.pairs(citizens)
    open_ids = set(suggestable(small_world, day)["opportunity_id"])
    assert set(pairs["opportunity_id"]) <= open_ids
    r = small_world.referrals
    done = set(zip(r.loc[r["proposed_on"] <= day, "citizen_id"], r.loc[r["proposed_on"] <= day, "opportunity_id"]))
    assert not any(pair in done for pair in zip(pairs["citizen_id"], pairs["opportunity_id"]))
    cit = small_matcher.space.citizens.loc[pairs["citizen_id"]]
    opp = small_matcher.space.opportunities.loc[pairs["opportunity_id"]]
    commute = commute_features(cit["home_lat"], cit["home_lon"], opp["lat"], opp["lon"], cit["max_commute_minutes"], small_matcher.space.config)
    assert (commute["commute_ratio"].to_numpy() <= 1.5 + 1e-9).all()
    # The budget: 8 a citizen, plus reachable places without an occupation (kept always).
    with_occupation = opp["occupation_uri"].notna().to_numpy()
    assert pairs[with_occupation].groupby("citizen_id").size().max() <= 8
    assert len(open_ids) > 8 and pairs.groupby("citizen_id").size().max() < len(open_ids)


def test_kinds_are_a_hard_filter(small_world, small_matcher, day):
    index = _index(small_matcher, day)
    cid = small_world.active_citizens(day)["citizen_id"].iloc[0]
    pairs = index.pairs([cid], kinds=["course", "education"])
    kinds = small_matcher.space.opportunities.loc[pairs["opportunity_id"], "kind"]
    assert len(pairs) and set(kinds) <= {"course", "education"}


def test_a_citizens_candidates_do_not_depend_on_the_batch(small_world, small_matcher, day, setting):
    setting("RETRIEVAL__CANDIDATES", "6")
    index = _index(small_matcher, day)
    citizens = small_world.active_citizens(day)["citizen_id"].to_numpy()
    together = index.pairs(citizens)
    alone = pd.concat([index.pairs([c]) for c in citizens[::-1]], ignore_index=True)
    key = ["citizen_id", "opportunity_id"]
    pd.testing.assert_frame_equal(together.sort_values(key).reset_index(drop=True), alone.sort_values(key).reset_index(drop=True))


def test_unknown_citizen_is_a_clear_error(small_matcher, day):
    with pytest.raises(KeyError, match="unknown citizen_id"):
        _index(small_matcher, day).pairs(["nobody"])


def test_recall_counts_the_full_top_k_found(small_world, small_matcher, day, setting):
    full = pd.DataFrame({"citizen_id": ["a", "a", "b"], "opportunity_id": ["x", "y", "x"]})
    assert recall_at_k(full, pd.DataFrame({"citizen_id": ["a", "b"], "opportunity_id": ["x", "x"]})) == pytest.approx(2 / 3)
    citizens = small_world.active_citizens(day)["citizen_id"].to_numpy()[:60]
    # The default budget retrieves every reachable place on the small world: nothing is lost.
    assert retrieval_quality(small_matcher, day, citizens)["recall"] >= 0.98
    setting("RETRIEVAL__CANDIDATES", "4")
    tight = Matcher(small_matcher.world, small_matcher.ranker)
    quality = retrieval_quality(tight, day, citizens)
    assert quality["candidates"] < quality["open"] and quality["recall"] < 1.0
