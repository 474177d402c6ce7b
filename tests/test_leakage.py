"""No leakage: referrals and outcomes dated on or after a pair's ``as_of`` cannot change its features."""
from dataclasses import replace

import numpy as np
import pandas as pd

from matcher.features.build import build_features
from matcher.labels import training_pairs


def _future_changes(world, as_of_min: pd.Timestamp, seed: int = 0):
    """The world with every referral dated on/after ``as_of_min`` altered and new future ones added."""
    rng = np.random.default_rng(seed)
    r = world.referrals.copy()
    # Outcomes recorded on or after the date flip to another outcome and move later still.
    later = r["outcome_on"] >= as_of_min
    r.loc[later, "outcome"] = rng.choice(["hired", "no_show", "completed", "declined"], later.sum())
    r.loc[later, "outcome_on"] = r.loc[later, "outcome_on"] + pd.Timedelta(days=3)
    # New referrals proposed on the date itself and after, some already resolved.
    n = 40
    new = pd.DataFrame(
        {
            "referral_id": [f"future{i}" for i in range(n)],
            "citizen_id": rng.choice(world.citizens["citizen_id"], n),
            "opportunity_id": rng.choice(world.opportunities["opportunity_id"], n),
            "caseworker_id": world.caseworkers["caseworker_id"].iloc[0],
            "proposed_on": as_of_min + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
            "outcome": rng.choice(["hired", "completed", "declined", "pending"], n),
        }
    )
    new["outcome_on"] = np.where(new["outcome"] == "pending", pd.NaT, new["proposed_on"] + pd.Timedelta(days=5))
    new["outcome_on"] = pd.to_datetime(new["outcome_on"])
    new["source"], new["outcome_source"] = "import", None
    world.referrals = pd.concat([r, new[r.columns]], ignore_index=True)
    return world


def test_future_referrals_do_not_change_features_tiny(tiny_world):
    as_of = pd.Timestamp("2023-03-01")
    pairs = pd.DataFrame(
        [(c, o, as_of) for c in ("c1", "c2", "c3") for o in ("o1", "o2", "o3", "o4")], columns=["citizen_id", "opportunity_id", "as_of"]
    )
    before = build_features(tiny_world, pairs)
    after = build_features(_future_changes(tiny_world, as_of), pairs)
    pd.testing.assert_frame_equal(before, after)


def test_changing_a_known_outcome_does_change_features(tiny_world):
    # The guard above must be able to fail: an outcome known before the date does matter.
    pairs = pd.DataFrame({"citizen_id": ["c1"], "opportunity_id": ["o1"], "as_of": [pd.Timestamp("2023-06-02")]})
    before = build_features(tiny_world, pairs)
    tiny_world.referrals.loc[tiny_world.referrals["referral_id"] == "r3", "outcome"] = "rejected"
    after = build_features(tiny_world, pairs)
    assert not before.equals(after)


def test_future_referrals_do_not_change_features_small(small_world):
    """On the simulated world: pairs scored on a date are blind to everything dated on or after it."""
    as_of = small_world.referrals["proposed_on"].quantile(0.6).normalize()
    labelled = training_pairs(small_world, None)
    pairs = labelled.sample(400, random_state=0)[["citizen_id", "opportunity_id"]].assign(as_of=as_of)
    before = build_features(small_world, pairs)
    world = _future_changes(replace(small_world), as_of)
    after = build_features(world, pairs)
    pd.testing.assert_frame_equal(before, after)
    # Scored a month later, the same pairs do see the changes (the test can fail).
    later = pairs.assign(as_of=as_of + pd.Timedelta(days=30))
    assert not build_features(small_world, later).equals(build_features(world, later))


def test_training_pairs_only_know_outcomes_before_the_cutoff(tiny_world):
    cutoff = pd.Timestamp("2023-03-01")
    pairs = training_pairs(tiny_world, cutoff)
    # r1 (completed on the cutoff) and r3 (proposed on it) are not labels yet; r2 is.
    assert pairs["referral_id"].tolist() == ["r2"]
    assert pairs["gain"].tolist() == [0] and pairs["query_id"].tolist() == ["c2|2023-02-01"]
    all_pairs = training_pairs(tiny_world, None)
    assert sorted(all_pairs["referral_id"]) == ["r1", "r2", "r3"]
    assert dict(zip(all_pairs["referral_id"], all_pairs["gain"])) == {"r1": 2, "r2": 0, "r3": 3}
