"""Drift: the population stability index, and the verdict on a world whose recent referrals
changed and on a model whose window ended long ago."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matcher.drift import drift, psi


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 20_000)
    assert psi(a, rng.normal(0, 1, 20_000)) < 0.01
    assert psi(a, rng.normal(1, 1, 20_000)) > 0.25
    # A yes/no feature gets one bin per value.
    flags = (rng.random(10_000) < 0.2).astype(float)
    assert psi(flags, flags) == pytest.approx(0.0)
    assert psi(flags, (rng.random(10_000) < 0.6).astype(float)) > 0.25
    assert np.isnan(psi(np.array([]), a))


@pytest.fixture(scope="module")
def params(small_world):
    end = small_world.referrals["proposed_on"].max()
    return {"train_start": small_world.referrals["proposed_on"].min().date().isoformat(),
            "served_train_end": (end - pd.Timedelta(days=200)).date().isoformat()}


def test_drift_of_an_unchanged_world_measures_every_feature(small_world, trained_ranker, params):
    result = drift(small_world, trained_ranker, params)
    assert set(result.features["feature"]) == set(trained_ranker.features)
    assert (result.features["psi"].dropna() >= 0).all()
    assert result.sizes["window"] > 0 and result.sizes["recent"] > 0
    assert {"success", "declined", "decided"} <= set(result.outcomes.index)
    # The model's window ended 200 days before the data's end: due by age alone.
    assert result.model_age_days >= 200 and any("days ago" in r for r in result.reasons("en"))
    assert any("dage siden" in r for r in result.reasons("da"))
    assert "retraining due" in result.describe()


def test_a_changed_population_is_found_feature_by_feature(small_world, trained_ranker, params, setting):
    setting("DRIFT__MAX_MODEL_AGE_DAYS", "10000")
    before = drift(small_world, trained_ranker, params)
    r, c = small_world.referrals, small_world.citizens
    recent = r["proposed_on"] >= r["proposed_on"].max() - pd.Timedelta(days=90)
    fluent = r["citizen_id"].isin(c.loc[c["danish_level"].fillna(0) >= 2, "citizen_id"])
    changed = replace(small_world, referrals=r[~(recent & fluent)].reset_index(drop=True))
    after = drift(changed, trained_ranker, params)
    psi_of = lambda d: d.features.set_index("feature")["psi"]  # noqa: E731
    assert psi_of(after)["danish_level"] > 0.25 > psi_of(before)["danish_level"]
    assert any("danish_level" in reason for reason in after.reasons())
