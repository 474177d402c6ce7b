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
    assert [s.rank for s in out] == list(range(1, len(out) + 1))
    # Flags say why, they do not re-sort: a flagged suggestion carries its reasons wherever it ranks.
    assert all(s.feasible == (not s.flags) for s in out)
    for s in out:
        assert 3 <= len(s.reasons_da) <= 5 and len(s.reasons_da) == len(s.reasons_en)
        assert s.title in s.describe() and s.employer


def test_reasons_carry_the_actual_values(small_world, small_matcher, day):
    cid = _citizen_with_history(small_world, day)
    for s in small_matcher.recommend(cid, k=10):
        commute = [r for r in s.reasons_da if getattr(r, "topic", None) == "commute"]
        for r in commute:
            assert r.startswith(f"{round(s.commute_minutes)} min. transport, ") and "grænse på" in r
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


def test_the_models_order_is_the_lists_order(small_world, small_matcher, day, monkeypatch):
    """No re-sort after scoring: without the diversity step the list is the score order (duplicates
    aside), flagged or not; a hard rule switched on in settings puts breaches last."""
    from matcher.service import dup_keys
    from matcher.settings import get_settings

    cid = _citizen_with_history(small_world, day)
    monkeypatch.setenv("MATCHER_RANKING__KIND_PENALTY", "0")
    get_settings.cache_clear()
    try:
        out = small_matcher.recommend(cid, k=15)
        scores = [s.score for s in out]
        assert scores == sorted(scores, reverse=True)
        dups = dup_keys(small_world.opportunities.set_index("opportunity_id", drop=False)).reindex([s.opportunity_id for s in out])
        assert not dups.duplicated().any()
        flagged = [s.flags for s in out]
        monkeypatch.setenv("MATCHER_RANKING__HARD_RULES", '["commute", "hours", "licence", "danish"]')
        get_settings.cache_clear()
        ruled = small_matcher.recommend(cid, k=15)
        breaches = [not s.feasible for s in ruled]
        assert breaches == sorted(breaches)
        for part in (False, True):
            part_scores = [s.score for s in ruled if (not s.feasible) is part]
            assert part_scores == sorted(part_scores, reverse=True)
        # Without the rule, flagged suggestions keep their place in the model's order.
        assert any(flagged) or all(s.feasible for s in ruled)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


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


def test_save_and_load_round_trip_needs_no_settings(small_world, trained_ranker, tmp_path, monkeypatch):
    """The artefact carries everything that shapes its scores: changed settings change nothing."""
    from matcher.features.build import FeatureSpace, build_features
    from matcher.labels import training_pairs
    from matcher.models.artifact import load_ranker
    from matcher.settings import get_settings

    path = trained_ranker.save(tmp_path / "model")
    assert not list(path.glob("*.pkl"))
    pairs = training_pairs(small_world, None).head(200)
    features = build_features(small_world, pairs, space=FeatureSpace.of(small_world, trained_ranker.feature_config))
    before = trained_ranker.predict(features)
    # Other commute speed, overhead, smoothing and structure today: the saved model must not care.
    for key, value in {"COMMUTE_SPEED_KMH": "5", "COMMUTE_OVERHEAD_MINUTES": "30", "HISTORY_SMOOTHING": "50",
                       "RANKER__STRUCTURE": "lambdarank", "DEFAULT_MAX_COMMUTE_MINUTES": "10"}.items():
        monkeypatch.setenv(f"MATCHER_{key}", value)
    get_settings.cache_clear()
    try:
        loaded = load_ranker(path)
        assert loaded.feature_config == trained_ranker.feature_config and loaded.structure == trained_ranker.structure
        again = build_features(small_world, pairs, space=FeatureSpace.of(small_world, loaded.feature_config))
        after = loaded.predict(again)
        np.testing.assert_array_equal(after.score, before.score)
        np.testing.assert_array_equal(after.acceptance, before.acceptance)
        assert loaded.metadata["data_fingerprint"] == trained_ranker.metadata["data_fingerprint"]
        contributions = loaded.contributions(again)
        np.testing.assert_allclose(contributions.sum(axis=1), after.score, rtol=1e-6, atol=1e-6)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


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


def test_the_binary_ranker_gives_log_chances_and_an_acceptance(small_world, trained_ranker):
    from matcher.features.build import build_features
    from matcher.labels import training_pairs

    assert trained_ranker.metadata["structure"] == "binary"
    pred = trained_ranker.predict(build_features(small_world, training_pairs(small_world, None).head(300)))
    # log P(success): negative and spread (the model tells pairs apart); both chances are probabilities.
    assert (pred.score < 0).all() and np.std(pred.score) > 0
    np.testing.assert_allclose(pred.chance, np.exp(pred.score))
    assert ((pred.acceptance > 0) & (pred.acceptance < 1)).all() and np.std(pred.acceptance) > 0


@pytest.mark.parametrize("structure", ["chain", "lambdarank"])
def test_the_other_structures_train_save_load_and_refit(small_world, tmp_path, monkeypatch, structure):
    from matcher.features.build import build_features
    from matcher.labels import training_pairs
    from matcher.models.base import Pairs
    from matcher.models.lgbm import LightGBMRanker
    from matcher.settings import get_settings

    monkeypatch.setenv("MATCHER_RANKER__GRID", '{"num_leaves": [7]}')
    monkeypatch.setenv("MATCHER_RANKER__CHAIN_GRID", '{"num_leaves": [4]}')
    monkeypatch.setenv("MATCHER_RANKER__BINARY_GRID", '{"num_leaves": [4]}')
    get_settings.cache_clear()
    try:
        frame = training_pairs(small_world, None)
        pairs = Pairs(frame, build_features(small_world, frame), small_world)
        ranker = LightGBMRanker(structure=structure).fit(pairs)
        assert ranker.metadata["structure"] == structure and ranker.name == f"lightgbm_{structure}"
        loaded = LightGBMRanker.load(ranker.save(tmp_path / structure))
        assert loaded.structure == structure and loaded.name == ranker.name
        np.testing.assert_array_equal(loaded.score(pairs), ranker.score(pairs))
        pred = loaded.predict(pairs)
        assert (pred.chance is None) == (structure == "lambdarank")
        # The refit reuses the validated parameters: no new search, rounds in proportion to rows.
        half = Pairs(frame.iloc[: len(frame) // 2].reset_index(drop=True), pairs.features.iloc[: len(frame) // 2].reset_index(drop=True), small_world)
        twin = ranker.refit(half)
        assert twin.metadata["refit_of_plan"] and not twin.metadata["grid"]
        assert twin.metadata["plan"] == ranker.metadata["plan"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_suggestions_carry_the_models_chances(small_matcher, small_world):
    """Caseworkers read the chance of success and the chance the citizen says yes."""
    citizen = small_world.active_citizens(small_matcher._date(None))["citizen_id"].iloc[0]
    suggestions = small_matcher.recommend(citizen, k=5)
    assert suggestions
    for s in suggestions:
        assert 0.0 < s.chance < 1.0 and 0.0 < s.acceptance < 1.0
        assert s.chance == pytest.approx(np.exp(s.score))
