"""The assembled matrix: columns, row alignment, input errors."""
import pandas as pd
import pytest

from matcher.features.build import FEATURES, MONOTONE, build_features


def _pairs(rows):
    p = pd.DataFrame(rows, columns=["citizen_id", "opportunity_id", "as_of"])
    p["as_of"] = pd.to_datetime(p["as_of"])
    return p


ROWS = [(c, o, d) for c in ("c1", "c2", "c3") for o in ("o1", "o2", "o3", "o4") for d in ("2023-02-01", "2023-06-02")]


def test_columns_and_row_alignment(tiny_world):
    pairs = _pairs(ROWS)
    f = build_features(tiny_world, pairs)
    assert list(f.columns) == FEATURES and len(f) == len(pairs)
    assert all(f.dtypes == float)
    assert set(MONOTONE) <= set(FEATURES)
    # Shuffled pairs with a different index give the same row for the same pair.
    shuffled = pairs.sample(frac=1, random_state=3)
    shuffled.index = shuffled.index + 100
    g = build_features(tiny_world, shuffled)
    assert list(g.index) == list(shuffled.index)
    pd.testing.assert_frame_equal(g.set_index(shuffled.index - 100).sort_index(), f)


def test_each_pair_is_computed_alone(tiny_world):
    pairs = _pairs(ROWS)
    f = build_features(tiny_world, pairs)
    one = build_features(tiny_world, pairs.iloc[[7]])
    pd.testing.assert_frame_equal(one, f.iloc[[7]])


def test_bad_pairs_are_refused_with_a_clear_error(tiny_world):
    with pytest.raises(ValueError, match="missing column"):
        build_features(tiny_world, pd.DataFrame({"citizen_id": ["c1"], "opportunity_id": ["o1"]}))
    with pytest.raises(ValueError, match=r"pairs.citizen_id: 1 unknown"):
        build_features(tiny_world, _pairs([("nobody", "o1", "2023-01-01")]))
    with pytest.raises(ValueError, match=r"pairs.opportunity_id"):
        build_features(tiny_world, _pairs([("c1", "o9", "2023-01-01")]))


def test_gender_and_origin_change_nothing(tiny_world):
    pairs = _pairs(ROWS)
    before = build_features(tiny_world, pairs)
    tiny_world.citizens["gender"] = ["M", "F", "F"]
    tiny_world.citizens["origin"] = ["non_western", "danish", "western"]
    after = build_features(tiny_world, pairs)
    pd.testing.assert_frame_equal(before, after)
