"""The peers: behaviour on a hand-made world, then every peer through the same loop on the small world."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.models.als import ALSRanker
from matcher.models.base import Pairs, Ranker
from matcher.models.baselines import (
    CaseworkerRuleRanker,
    EmbeddingRanker,
    LogisticRanker,
    PopularityRanker,
    RandomRanker,
)
from matcher.models.lightfm_peer import LightFMRanker
from matcher.taxonomy import load_taxonomy
from matcher.world import World

ISCO = ("9112", "5120", "8322")  # cleaning, cooking, driving


def _uri(code: str) -> str:
    return load_taxonomy().by_isco(code)["uri"].iloc[0]


def signal_world(seed: int = 1) -> World:
    """60 citizens, 24 opportunities in 3 occupations; a referral succeeds mostly when the
    opportunity is in the citizen's wished occupation (the signal the peers should find)."""
    rng = np.random.default_rng(seed)
    uris = [_uri(c) for c in ISCO]
    n_cit, n_opp = 60, 24
    citizens = pd.DataFrame(
        {
            "citizen_id": [f"c{i:03d}" for i in range(n_cit)],
            "gender": rng.choice(["F", "M"], n_cit),
            "origin": rng.choice(["danish", "non_western"], n_cit),
            "home_postcode": rng.choice(["2200", "2700", "2300"], n_cit),
            "home_lat": 55.68 + rng.normal(0, 0.02, n_cit),
            "home_lon": 12.55 + rng.normal(0, 0.03, n_cit),
            "readiness": "jobparat",
            "education": "primary",
            "danish_level": rng.integers(1, 5, n_cit),
            "job_wishes": [[uris[i % 3]] for i in range(n_cit)],
            "enrolled_on": pd.Timestamp("2023-01-01"),
            "left_on": pd.NaT,
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": [f"o{j:03d}" for j in range(n_opp)],
            "kind": "company_placement",
            "employer_id": [f"e{j % 6}" for j in range(n_opp)],
            "occupation_uri": [uris[j % 3] for j in range(n_opp)],
            "danish_required": 1,
            "postcode": "2200",
            "lat": 55.68 + rng.normal(0, 0.02, n_opp),
            "lon": 12.55 + rng.normal(0, 0.03, n_opp),
            "open_from": pd.Timestamp("2023-01-01"),
            "open_until": pd.NaT,
            "capacity": 50,
        }
    )
    n_ref = 400
    cit = rng.integers(0, n_cit, n_ref)
    opp = rng.integers(0, n_opp, n_ref)
    match = (cit % 3) == (opp % 3)
    success = rng.random(n_ref) < np.where(match, 0.8, 0.1)
    proposed = pd.Timestamp("2023-02-01") + pd.to_timedelta(rng.integers(0, 300, n_ref), unit="D")
    referrals = pd.DataFrame(
        {
            "referral_id": [f"r{k:04d}" for k in range(n_ref)],
            "citizen_id": citizens["citizen_id"].to_numpy()[cit],
            "opportunity_id": opportunities["opportunity_id"].to_numpy()[opp],
            "proposed_on": proposed,
            "outcome": np.where(success, "completed", "declined"),
            "outcome_on": proposed + pd.Timedelta(days=20),
        }
    )
    empty = pd.DataFrame()
    return World(empty, citizens, empty, empty, opportunities, referrals)


def tiny_pairs(world: World, referrals: pd.DataFrame, seed: int = 2) -> Pairs:
    """Logged referrals as pairs, with a noisy 'wish_similarity' feature and a pure-noise one."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "citizen_id": referrals["citizen_id"].to_numpy(),
            "opportunity_id": referrals["opportunity_id"].to_numpy(),
            "as_of": referrals["proposed_on"].to_numpy(),
            "gain": np.where(referrals["outcome"].to_numpy() == "completed", 2, 0),
        }
    )
    frame["query_id"] = frame["citizen_id"] + "@" + frame["as_of"].astype(str)
    wish = world.citizens.set_index("citizen_id")["job_wishes"].str[0].reindex(frame["citizen_id"]).to_numpy()
    occ = world.opportunities.set_index("opportunity_id")["occupation_uri"].reindex(frame["opportunity_id"]).to_numpy()
    features = pd.DataFrame(
        {"wish_similarity": (wish == occ) * 0.6 + rng.normal(0, 0.1, len(frame)), "noise": rng.normal(size=len(frame))}
    )
    return Pairs(frame, features, world)


@pytest.fixture(scope="module")
def tiny():
    world = signal_world()
    cut = pd.Timestamp("2023-10-01")
    train_refs = world.referrals[world.referrals["proposed_on"] < cut]
    test_refs = world.referrals[world.referrals["proposed_on"] >= cut]
    return world, tiny_pairs(world.as_of(cut), train_refs), tiny_pairs(world.as_of(cut), test_refs, seed=3)


PEERS = [RandomRanker, PopularityRanker, CaseworkerRuleRanker, EmbeddingRanker, LogisticRanker, LightFMRanker, ALSRanker]


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return roc_auc_score(positive, scores)


@pytest.mark.parametrize("peer", PEERS, ids=lambda p: p.name)
def test_every_peer_fits_and_scores_every_pair(peer, tiny):
    _, train, test = tiny
    model = peer()
    assert isinstance(model, Ranker)
    scores = model.fit(train).score(test)
    assert scores.shape == (len(test),)
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("peer", PEERS, ids=lambda p: p.name)
def test_gender_and_origin_do_not_move_any_score(peer, tiny):
    world, train, test = tiny
    flipped_citizens = world.citizens.assign(
        gender=world.citizens["gender"].map({"F": "M", "M": "F"}),
        origin=world.citizens["origin"].map({"danish": "non_western", "non_western": "danish"}),
    )
    flipped = World(world.caseworkers, flipped_citizens, world.work_history, world.employers, world.opportunities, test.world.referrals)
    a = peer().fit(train).score(test)
    b = peer().fit(Pairs(train.frame, train.features, flipped)).score(Pairs(test.frame, test.features, flipped))
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_random_is_seeded(tiny):
    _, train, test = tiny
    assert np.array_equal(RandomRanker(seed=4).score(test), RandomRanker(seed=4).score(test))
    assert not np.array_equal(RandomRanker(seed=4).score(test), RandomRanker(seed=5).score(test))


def test_popularity_counts_successes_and_backs_off_to_the_employer(tiny):
    world, train, _ = tiny
    model = PopularityRanker().fit(train)
    won = train.frame[train.frame["gain"] >= 2].join(
        world.opportunities.set_index("opportunity_id")[["employer_id", "occupation_uri"]], on="opportunity_id"
    )
    best = won["opportunity_id"].value_counts().index[0]
    # A new opportunity (no record of its own) at the best one's employer, in its occupation.
    new_opp = world.opportunities[world.opportunities["opportunity_id"] == best].assign(opportunity_id="o-new")
    grown = World(world.caseworkers, world.citizens, world.work_history, world.employers,
                  pd.concat([world.opportunities, new_opp], ignore_index=True), train.world.referrals)
    probe = pd.DataFrame({"citizen_id": "c000", "opportunity_id": [best, "o-new"], "as_of": pd.Timestamp("2024-01-01")})
    scores = model.score(Pairs(probe, pd.DataFrame(index=probe.index), grown))
    row = won[won["opportunity_id"] == best].iloc[0]
    inherited = (won["employer_id"] == row["employer_id"]).sum() + (won["occupation_uri"] == row["occupation_uri"]).sum()
    assert scores[1] == inherited
    assert scores[0] == inherited + (won["opportunity_id"] == best).sum()


def test_caseworker_rule_puts_the_wish_first_then_the_nearest(tiny):
    world, train, _ = tiny
    citizen = world.citizens.iloc[0]
    wish = citizen["job_wishes"][0]
    opps = world.opportunities
    in_wish = opps[opps["occupation_uri"] == wish]["opportunity_id"].tolist()
    other = opps[opps["occupation_uri"] != wish]["opportunity_id"].tolist()
    probe = pd.DataFrame({"citizen_id": citizen["citizen_id"], "opportunity_id": in_wish + other, "as_of": pd.Timestamp("2024-01-01")})
    scores = CaseworkerRuleRanker().score(Pairs(probe, pd.DataFrame(index=probe.index), world))
    assert scores[: len(in_wish)].min() > scores[len(in_wish):].max()
    # Within the non-wished ones, the order is the commute: nearer scores higher.
    from matcher.models.baselines import pair_commute_minutes

    minutes = pair_commute_minutes(Pairs(probe, pd.DataFrame(index=probe.index), world))[len(in_wish):]
    assert np.array_equal(np.argsort(-scores[len(in_wish):]), np.argsort(minutes))


def test_embedding_needs_a_similarity_feature(tiny):
    _, _, test = tiny
    scores = EmbeddingRanker().score(test)
    assert np.allclose(scores, test.features["wish_similarity"])
    with pytest.raises(ValueError, match="_similarity"):
        EmbeddingRanker().score(Pairs(test.frame, test.features[["noise"]], test.world))


@pytest.mark.parametrize("peer", [PopularityRanker, CaseworkerRuleRanker, EmbeddingRanker, LogisticRanker, LightFMRanker], ids=lambda p: p.name)
def test_peers_that_can_see_the_signal_beat_chance(peer, tiny):
    _, train, test = tiny
    positive = test.frame["gain"].to_numpy() >= 2
    auc = _auc(peer().fit(train).score(test), positive)
    # The rule sees the wish directly; popularity only sees opportunity/employer/occupation counts.
    assert auc > (0.55 if peer is PopularityRanker else 0.65), f"{peer.name}: AUC {auc:.2f}"


def test_logistic_refuses_a_single_class(tiny):
    _, train, _ = tiny
    one_class = Pairs(train.frame.assign(gain=0), train.features, train.world)
    with pytest.raises(ValueError, match="both successes and failures"):
        LogisticRanker().fit(one_class)


def test_als_cold_opportunity_borrows_its_occupation_factor(tiny):
    world, train, _ = tiny
    model = ALSRanker().fit(train)
    known = train.frame["opportunity_id"].iloc[0]
    occupation = world.opportunities.set_index("opportunity_id").loc[known, "occupation_uri"]
    new_opp = world.opportunities[world.opportunities["opportunity_id"] == known].assign(opportunity_id="o-new", employer_id="e-new")
    cold_world = World(world.caseworkers, world.citizens, world.work_history, world.employers,
                       pd.concat([world.opportunities, new_opp], ignore_index=True), train.world.referrals)
    citizen = train.frame["citizen_id"].iloc[0]
    probe = pd.DataFrame({"citizen_id": citizen, "opportunity_id": ["o-new"], "as_of": pd.Timestamp("2024-01-01")})
    score = model.score(Pairs(probe, pd.DataFrame(index=probe.index), cold_world))
    expected = model.user_factors_.loc[citizen].to_numpy() @ model.by_occupation_.loc[occupation].to_numpy()
    assert score[0] == pytest.approx(expected, rel=1e-5)
    # A citizen never seen in training scores 0 everywhere (the documented limitation).
    stranger = probe.assign(citizen_id="c-none")
    assert model.score(Pairs(stranger, pd.DataFrame(index=probe.index), cold_world))[0] == 0.0
