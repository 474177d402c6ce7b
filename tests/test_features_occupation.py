"""Occupation fit: embedding similarity and ISCO distance to wishes and history."""
import numpy as np
import pandas as pd
import pytest

from matcher.features.build import build_features
from matcher.features.occupation import NO_MATCH_DISTANCE
from matcher.taxonomy import Taxonomy


def _features(world, rows):
    pairs = pd.DataFrame(rows, columns=["citizen_id", "opportunity_id", "as_of"])
    pairs["as_of"] = pd.to_datetime(pairs["as_of"])
    return build_features(world, pairs)


def test_wish_and_history_fit(tiny_world):
    f = _features(tiny_world, [("c1", "o1", "2023-06-02"), ("c1", "o2", "2023-06-02"), ("c2", "o1", "2023-06-02"), ("c1", "o3", "2023-06-02")])
    # c1 wishes exactly o1's occupation (kitchen assistant) and has worked as kitchen porter (same ISCO 9412).
    assert f.loc[0, "wish_similarity"] == pytest.approx(1.0, abs=1e-3)
    assert f.loc[0, "wish_isco_distance"] == 0 and f.loc[0, "history_isco_distance"] == 0
    # Warehouse worker (9333) shares only the major group 9 with kitchen work (9412).
    assert f.loc[1, "wish_isco_distance"] == Taxonomy.isco_distance("9333", "9412") == 3
    assert f.loc[1, "wish_similarity"] < f.loc[0, "wish_similarity"]
    # c2 has no wishes and no history: missing, not zero.
    assert np.isnan(f.loc[2, "wish_similarity"]) and f.loc[2, "has_wishes"] == 0
    assert f.loc[2, "wish_isco_distance"] == NO_MATCH_DISTANCE
    # A course has no occupation to compare.
    assert np.isnan(f.loc[3, "wish_similarity"])


def test_history_counts_only_jobs_started_before_the_date(tiny_world):
    # c3 starts as a warehouse worker on 2023-08-01.
    f = _features(tiny_world, [("c3", "o2", "2023-06-02"), ("c3", "o2", "2023-09-01")])
    assert f["has_history"].tolist() == [0.0, 1.0]
    assert f.loc[1, "history_isco_distance"] == 0


def test_the_very_occupation_is_told_from_its_isco_group(tiny_world):
    f = _features(tiny_world, [("c1", "o1", "2023-06-02"), ("c1", "o2", "2023-06-02"), ("c3", "o2", "2023-09-01"), ("c2", "o1", "2023-06-02")])
    # c1 wishes kitchen assistant (o1's occupation) and worked as kitchen porter (same ISCO unit, other occupation).
    assert f.loc[0, ["wish_same_occupation", "history_same_occupation"]].tolist() == [1.0, 0.0]
    assert f.loc[1, ["wish_same_occupation", "history_same_occupation"]].tolist() == [0.0, 0.0]
    # c3 wishes and (from 2023-08-01) works as a warehouse worker, o2's occupation.
    assert f.loc[2, ["wish_same_occupation", "history_same_occupation"]].tolist() == [1.0, 1.0]
    # No wishes, no history: no match.
    assert f.loc[3, ["wish_same_occupation", "history_same_occupation"]].tolist() == [0.0, 0.0]
