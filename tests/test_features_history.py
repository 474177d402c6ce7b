"""History features: the binary-search counter against brute force, and hand-computed values."""
import numpy as np
import pandas as pd
import pytest

from matcher.features.build import build_features
from matcher.features.history import counts_before
from matcher.settings import get_settings


def test_counts_before_matches_brute_force():
    rng = np.random.default_rng(0)
    eg, ed, ev = rng.integers(0, 5, 300), rng.integers(0, 100, 300), rng.random(300)
    qg, qd = rng.integers(-1, 6, 200), rng.integers(0, 110, 200)
    n, s = counts_before(eg, ed, ev, qg, qd)
    hit = (eg[None, :] == qg[:, None]) & (ed[None, :] < qd[:, None])
    np.testing.assert_array_equal(n, hit.sum(axis=1))
    np.testing.assert_allclose(s, (hit * ev[None, :]).sum(axis=1))


def test_history_values_on_the_tiny_world(tiny_world):
    pairs = pd.DataFrame(
        {"citizen_id": ["c1", "c1", "c3"], "opportunity_id": ["o1", "o1", "o4"], "as_of": pd.to_datetime(["2023-03-01", "2023-06-02", "2023-06-02"])}
    )
    f = build_features(tiny_world, pairs)
    # On 2023-03-01 the completion of r1 (recorded that day) is not yet known; r2 (declined) is.
    assert f.loc[0, ["cit_prev_outcomes", "cit_pending", "cit_prev_same_employer"]].tolist() == [0, 1, 0]
    assert f.loc[0, "emp_known_referrals"] == 1 and f.loc[0, "emp_success_rate"] == pytest.approx((0 + get_settings().history_smoothing * 0.0) / (1 + get_settings().history_smoothing))
    # On 2023-06-02: r1 completed (success, same employer e1), r4 pending.
    assert f.loc[1, ["cit_prev_outcomes", "cit_prev_successes", "cit_pending", "cit_prev_same_employer"]].tolist() == [1, 1, 1, 1]
    # e1: r1 completed, r2 declined, r3 hired -> 2 of 3; the prior is the same 2/3.
    assert f.loc[1, "emp_success_rate"] == pytest.approx((2 + get_settings().history_smoothing * 2 / 3) / (3 + get_settings().history_smoothing))
    assert f.loc[2, ["cit_prev_outcomes", "cit_prev_same_kind", "cit_prev_same_kind_successes"]].tolist() == [1, 0, 0]
