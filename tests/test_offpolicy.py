"""The off-policy estimate from the logs (matcher/offpolicy.py), on the small simulated world.

Behavioural: the candidates follow the contract's time rules, the propensities are a distribution
per meeting, the choice model never reads an outcome, the estimators recover a known value when
choices and outcomes are drawn from known models, and a reversed ranking is estimated lower.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matcher import timerules
from matcher.models.base import Pairs
from matcher.offpolicy import OUTCOME_FEATURES, OffPolicy, choice_design, inclusion_probability, logged_meetings


@pytest.fixture(scope="module")
def window(small_world):
    from matcher.evaluate import split_date

    start = split_date(small_world)
    return start, small_world.referrals["proposed_on"].max() + pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def ope(small_world, window):
    return OffPolicy.from_log(small_world, *window, max_meetings=400, seed=3)


def test_meetings_group_referrals_by_citizen_and_date(small_world, window):
    logged = logged_meetings(small_world, *window)
    assert not logged.empty
    # A pending referral counts as its chance of success; a resolved one as 0 or 1.
    assert logged.loc[~logged["pending"], "reward"].isin([0.0, 1.0]).all()
    assert logged["reward"].between(0, 1).all()
    assert logged["meeting"].str.split("|").str[0].eq(logged["citizen_id"]).all()
    assert logged.groupby("meeting")["as_of"].nunique().eq(1).all()
    assert logged.groupby("meeting")["caseworker_id"].nunique().eq(1).all()


def test_candidates_follow_the_time_rules(ope, small_world):
    f = ope.pairs.frame
    # Every logged choice is a candidate, and every meeting has one.
    assert f.groupby("meeting")["chosen"].any().all()
    opp = small_world.opportunities.set_index("opportunity_id")
    for day, group in list(f.groupby("as_of"))[:15]:
        open_ = timerules.opportunity_open(opp.loc[group["opportunity_id"]].reset_index(), day).to_numpy()
        assert open_.all(), f"a candidate on {day.date()} is not open then"
        earlier = small_world.referrals[small_world.referrals["proposed_on"] < day]
        done = set(zip(earlier["citizen_id"], earlier["opportunity_id"]))
        assert not any((c, o) in done for c, o in zip(group["citizen_id"], group["opportunity_id"]))


def test_propensities_are_a_distribution_per_meeting(ope):
    f = ope.pairs.frame.assign(p=ope.propensity, pi=ope.inclusion)
    sums = f.groupby("meeting").agg(p=("p", "sum"), pi=("pi", "sum"), m=("chosen", "sum"), n=("chosen", "size"))
    assert np.allclose(sums["p"], 1.0)
    assert np.allclose(sums["pi"], np.minimum(sums["m"], sums["n"]), atol=1e-3)
    assert ((ope.inclusion >= ope.propensity - 1e-12) & (ope.inclusion <= 1.0)).all()
    # The caseworkers' choices are predictable: the fitted model puts more than chance on them.
    chance = 1.0 / f.groupby("meeting")["chosen"].transform("size")
    assert f.loc[f["chosen"], "p"].mean() > 1.3 * chance[f["chosen"]].mean()


def test_a_long_pending_referral_counts_as_a_likely_success(small_world, window):
    """Refusals come within weeks, starts take months: the longer an outcome is unknown, the
    likelier it is a success (learnt from the referrals before the window)."""
    from matcher.offpolicy import pending_success

    kinds = np.array(["company_placement"] * 3)
    soon, later, long = pending_success(small_world, window[0], kinds, np.array([1, 60, 150]))
    assert soon < later < long


def test_inclusion_probability_matches_sampling_without_replacement():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.full(30, 0.7))
    m = 3
    gumbel = np.log(p)[None, :] + rng.gumbel(size=(40_000, 30))
    top = np.argsort(-gumbel, axis=1)[:, :m]
    empirical = np.bincount(top.ravel(), minlength=30) / 40_000
    approx = inclusion_probability(p, np.zeros(30, dtype=int), np.full(30, m))
    assert np.abs(approx - empirical).max() < 0.03


def test_the_choice_model_reads_no_outcome(small_world, window):
    """Shuffling the outcomes of resolved referrals leaves every propensity exactly as it was."""
    r = small_world.referrals.copy()
    resolved = (r["outcome"] != "pending").to_numpy()
    r.loc[resolved, "outcome"] = np.random.default_rng(1).permutation(r.loc[resolved, "outcome"].to_numpy())
    shuffled = replace(small_world, referrals=r)
    a = OffPolicy.from_log(small_world, *window, max_meetings=150, seed=5)
    b = OffPolicy.from_log(shuffled, *window, max_meetings=150, seed=5)
    assert a.pairs.frame["opportunity_id"].equals(b.pairs.frame["opportunity_id"])
    assert not set(OUTCOME_FEATURES) & set(a.choice.columns_)
    np.testing.assert_allclose(a.propensity, b.propensity)
    assert not np.allclose(a.q, b.q), "the reward model should see the outcomes"
    design = choice_design(a.pairs, a.pairs.frame, small_world.referrals[["caseworker_id", "opportunity_id"]])
    assert not set(OUTCOME_FEATURES) & set(design.columns)


def test_estimators_recover_a_known_value(ope):
    """Choices drawn from the fitted choice model, outcomes from a known model the reward model
    does not match: IPS, SNIPS and DR land near the known value of a policy."""
    f = ope.pairs.frame
    rng = np.random.default_rng(11)
    g = pd.factorize(f["meeting"])[0]
    m = f.groupby("meeting", sort=False)["chosen"].transform("sum").to_numpy()
    logit_q = np.log(ope.q / (1 - ope.q))
    q_true = 1 / (1 + np.exp(-(logit_q + rng.normal(0, 1.0, len(f)))))
    policy = ope.pairs.features["skill_overlap"].to_numpy() + rng.normal(0, 1e-3, len(f))
    true_value = float(q_true[pd.Series(policy).groupby(g).rank(ascending=False, method="first").to_numpy() <= 10].sum() / (g.max() + 1))
    estimates = []
    for rep in range(20):
        key = np.log(ope.propensity) + rng.gumbel(size=len(f))
        rank = pd.Series(key).groupby(g).rank(ascending=False, method="first").to_numpy()
        chosen = rank <= m
        reward = np.where(chosen, rng.random(len(f)) < q_true, np.nan)
        frame = f.assign(chosen=chosen, reward=reward)
        drawn = replace(ope, pairs=Pairs(frame, ope.pairs.features, ope.pairs.world), _greedy={}, bootstrap=20)
        estimates.append(drawn.estimate(policy, 10).value)
    mean = pd.DataFrame(estimates).mean()
    for name in ("ips", "snips", "dr"):
        assert abs(mean[name] - true_value) < 0.1 * true_value, f"{name}: {mean[name]:.4f} vs true {true_value:.4f}"


def test_a_reversed_ranking_is_estimated_lower(ope):
    good = ope.estimate(ope.greedy_scores(), 5)
    bad = ope.estimate(-ope.greedy_scores(), 5)
    assert good.value["dr"] > bad.value["dr"]
    assert good.value["ips"] > bad.value["ips"]
    assert good.ratio == pytest.approx(1.0)
    assert bad.ratio < 0.9


def test_intervals_contain_their_estimates(ope):
    est = ope.estimate(ope.logging_scores(), 10)
    for name, (lo, hi) in est.ci.items():
        assert lo <= est.value[name] <= hi, name
    assert est.ratio_ci[0] <= est.ratio <= est.ratio_ci[1]
    assert est.meetings == ope.pairs.frame["meeting"].nunique()
    assert "successes per meeting" in est.describe()


def test_scores_must_match_the_candidates(ope):
    with pytest.raises(ValueError, match="one score per candidate pair"):
        ope.estimate(np.zeros(3), 10)
