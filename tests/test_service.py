"""The recommendation API on the small world with the trained ranker."""
import numpy as np
import pandas as pd
import pytest

from matcher.features.candidates import suggestable
from matcher.service import Matcher, NoTrainedModel, latest_date


@pytest.fixture(scope="module")
def day(small_world):
    return latest_date(small_world)


def _citizen_with_history(world, day):
    active = world.active_citizens(day)["citizen_id"]
    counts = world.referrals[world.referrals["citizen_id"].isin(active)].groupby("citizen_id").size()
    return counts.idxmax()


def test_latest_date_is_the_end_of_the_data(small_world, day):
    assert day == max(small_world.referrals["proposed_on"].max(), small_world.opportunities["open_from"].max())


def test_recommend_follows_the_rules(small_world, small_matcher, day):
    cid = _citizen_with_history(small_world, day)
    out = small_matcher.recommend(cid, k=10)
    assert 0 < len(out) <= 10
    open_ids = set(suggestable(small_world, day)["opportunity_id"])
    proposed = set(small_world.referrals.loc[(small_world.referrals["citizen_id"] == cid) & (small_world.referrals["proposed_on"] <= day), "opportunity_id"])
    assert all(s.opportunity_id in open_ids and s.opportunity_id not in proposed for s in out)
    # Feasible first, each part by score.
    flags = [s.feasible for s in out]
    assert flags == sorted(flags, reverse=True)
    for part in (True, False):
        scores = [s.score for s in out if s.feasible is part]
        assert scores == sorted(scores, reverse=True)
    assert [s.rank for s in out] == list(range(1, len(out) + 1))
    for s in out:
        assert 3 <= len(s.reasons_da) <= 5 and len(s.reasons_da) == len(s.reasons_en)
        assert s.title in s.describe() and s.employer


def test_reasons_carry_the_actual_values(small_world, small_matcher, day):
    cid = _citizen_with_history(small_world, day)
    for s in small_matcher.recommend(cid, k=10):
        commute = [r for r in s.reasons_da if "minutters transport" in r]
        for r in commute:
            assert r.startswith(f"{round(s.commute_minutes)} minutters transport")
        if not s.feasible:
            assert s.reasons_da[0].startswith("ikke muligt nu") and s.reasons_en[0].startswith("not feasible now")


def test_filters(small_world, small_matcher, day):
    cid = _citizen_with_history(small_world, day)
    assert all(s.kind == "company_placement" for s in small_matcher.recommend(cid, k=20, kinds=["company_placement"]))
    assert all(s.commute_minutes <= 30 for s in small_matcher.recommend(cid, k=20, max_commute=30))
    hours = small_world.opportunities.set_index("opportunity_id")["hours_per_week"]
    assert all(hours[s.opportunity_id] <= 20 for s in small_matcher.recommend(cid, k=20, max_hours=20))
    with pytest.raises(ValueError, match="unknown kind"):
        small_matcher.recommend(cid, kinds=["holiday"])
    with pytest.raises(KeyError, match="unknown citizen_id"):
        small_matcher.recommend("C-nobody")


def test_candidates_only_consenting_active_citizens(small_world, small_matcher, day):
    oid = suggestable(small_world, day)["opportunity_id"].iloc[0]
    out = small_matcher.candidates(oid, k=15)
    active = small_world.active_citizens(day)
    consenting = set(active.loc[active["candidate_search_consent"].fillna(False).astype(bool), "citizen_id"])
    assert 0 < len(out) <= 15
    assert all(s.citizen_id in consenting and s.opportunity_id == oid for s in out)
    with pytest.raises(KeyError, match="unknown opportunity_id"):
        small_matcher.candidates("O-nothing")


def test_recommend_all_agrees_with_recommend(small_world, small_matcher, day):
    frame = small_matcher.recommend_all(k=5)
    assert list(frame.columns) == ["citizen_id", "rank", "opportunity_id", "score"]
    assert set(frame["citizen_id"]) == set(small_world.active_citizens(day)["citizen_id"])
    assert frame.groupby("citizen_id")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1))).all()
    assert not frame.duplicated(["citizen_id", "opportunity_id"]).any()
    for cid in frame["citizen_id"].drop_duplicates().sample(3, random_state=0):
        one = [s.opportunity_id for s in small_matcher.recommend(cid, k=5)]
        assert frame.loc[frame["citizen_id"] == cid, "opportunity_id"].tolist() == one


def test_no_model_is_a_clear_error(small_world, small_engine, tmp_path, monkeypatch):
    with pytest.raises(NoTrainedModel, match="run `matcher train`"):
        Matcher(small_world, None)
    from matcher.settings import get_settings

    monkeypatch.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    try:
        with pytest.raises(NoTrainedModel, match="run `matcher train`"):
            Matcher.load(small_engine)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_save_and_load_round_trip(small_world, trained_ranker, tmp_path):
    from matcher.features.build import build_features
    from matcher.labels import training_pairs
    from matcher.models.lgbm import LightGBMRanker

    path = trained_ranker.save(tmp_path / "model")
    loaded = LightGBMRanker.load(path)
    pairs = training_pairs(small_world, None).head(200)
    features = build_features(small_world, pairs)
    np.testing.assert_array_equal(loaded.score(features), trained_ranker.score(features))
    assert loaded.metadata["data_fingerprint"] == trained_ranker.metadata["data_fingerprint"]
    assert loaded.metadata["features"] == trained_ranker.features
    contributions = loaded.contributions(features)
    np.testing.assert_allclose(contributions.sum(axis=1), loaded.score(features), rtol=1e-6, atol=1e-6)


def test_funnel_step_of_each_referral_follows_gain_then_outcome():
    from matcher.models.lgbm import _stopped_at

    stages = ["declined", "no_show", "rejected", "dropped_out"]
    frame = pd.DataFrame(
        {
            "outcome": ["declined", "no_show", "rejected", "dropped_out", "completed", "hired", "hired", "declined"],
            # The last two disagree with their outcome: the gain (the label) wins.
            "gain": [0, 0, 0, 1, 2, 3, 0, 3],
        }
    )
    assert _stopped_at(frame, stages).tolist() == [0, 1, 2, 3, 4, 4, 0, 4]
    with pytest.raises(ValueError, match="not outcomes with a gain"):
        _stopped_at(frame, ["declined", "ghosted"])


def test_the_chain_scores_log_success_probabilities_and_saves_each_step(small_world, trained_ranker, tmp_path):
    from matcher.features.build import build_features
    from matcher.labels import training_pairs

    assert trained_ranker.metadata["structure"] == "chain"
    features = build_features(small_world, training_pairs(small_world, None).head(300))
    scores = trained_ranker.score(features)
    # log P(success): negative, and spread (the model tells pairs apart).
    assert (scores < 0).all() and np.std(scores) > 0
    path = trained_ranker.save(tmp_path / "chain")
    assert sorted(p.name for p in path.glob("model_*.txt")) == sorted(f"model_{s}.txt" for s in trained_ranker.metadata["stages"])


def test_the_lambdarank_structure_still_trains_saves_and_loads(small_world, tmp_path, monkeypatch):
    from matcher.features.build import build_features
    from matcher.labels import training_pairs
    from matcher.models.base import Pairs
    from matcher.models.lgbm import MODEL_FILE, LightGBMRanker
    from matcher.settings import get_settings

    monkeypatch.setenv("MATCHER_RANKER__STRUCTURE", "lambdarank")
    monkeypatch.setenv("MATCHER_RANKER__GRID", '{"num_leaves": [7]}')
    get_settings.cache_clear()
    try:
        frame = training_pairs(small_world, None)
        ranker = LightGBMRanker().fit(Pairs(frame, build_features(small_world, frame), small_world))
        assert ranker.metadata["structure"] == "lambdarank" and ranker.metadata["query_by"] == "citizen_date"
        path = ranker.save(tmp_path / "lambdarank")
        assert (path / MODEL_FILE).exists()
        features = build_features(small_world, frame.head(100))
        np.testing.assert_array_equal(LightGBMRanker.load(path).score(features), ranker.score(features))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_structure_can_be_chosen_per_ranker(small_world, tmp_path, monkeypatch):
    """The evaluation runs both structures side by side; each keeps its name through save/load."""
    from matcher.features.build import build_features
    from matcher.labels import training_pairs
    from matcher.models.base import Pairs
    from matcher.models.lgbm import LightGBMRanker
    from matcher.settings import get_settings

    monkeypatch.setenv("MATCHER_RANKER__GRID", '{"num_leaves": [7]}')
    get_settings.cache_clear()
    try:
        assert get_settings().ranker.structure == "chain"
        frame = training_pairs(small_world, None)
        ranker = LightGBMRanker(structure="lambdarank").fit(Pairs(frame, build_features(small_world, frame), small_world))
        assert ranker.metadata["structure"] == "lambdarank" and ranker.name == "lightgbm_lambdarank"
        loaded = LightGBMRanker.load(ranker.save(tmp_path / "lr"))
        assert loaded.structure == "lambdarank" and loaded.name == "lightgbm_lambdarank"
        assert LightGBMRanker().name == "lightgbm"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_suggestions_carry_the_funnels_chance_of_success(small_matcher, small_world):
    """The funnel's score is log P(success): caseworkers read it as a chance, lambdarank gives none."""
    from matcher.models.lgbm import LightGBMRanker

    citizen = small_world.active_citizens(small_matcher._date(None))["citizen_id"].iloc[0]
    suggestions = small_matcher.recommend(citizen, k=5)
    assert suggestions
    for s in suggestions:
        assert 0.0 < s.chance < 1.0
        assert s.chance == pytest.approx(np.exp(s.score))
    assert LightGBMRanker(structure="lambdarank").chance(np.array([0.3])) is None
