"""Retraining: MLflow runs, registered versions, the quality gate, promotion and rollback.

Each module run uses its own temporary MLflow store (SQLite + artifact folder).
"""
from __future__ import annotations

import numpy as np
import pytest

from matcher.auth import operator
from matcher.settings import get_settings


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory):
    """A fresh MLflow tracking/registry store and a one-point LightGBM grid (fast)."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("mlflow")
    mp.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    mp.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(root / "artifacts"))
    mp.setenv("MATCHER_RANKER__BINARY_GRID", '{"num_leaves": [4]}')
    get_settings.cache_clear()
    yield root
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def train_engine(small_db_url, tmp_path_factory):
    """A copy of the small world's database: training writes its audit entries there."""
    from tests.app_helpers import copy_database

    return copy_database(small_db_url, tmp_path_factory.mktemp("train"))


@pytest.fixture(scope="module")
def first(mlflow_store, train_engine):
    from matcher.training import train_and_register

    return train_and_register(train_engine)


def shuffled_labels():
    """A deliberately worse challenger: the LightGBM ranker trained on shuffled outcomes."""
    from matcher.models.base import Pairs
    from matcher.models.lgbm import LightGBMRanker

    class ShuffledLabels(LightGBMRanker):
        def fit(self, train, plan=None):
            order = np.random.default_rng(0).permutation(len(train.frame))
            frame = train.frame.assign(gain=train.frame["gain"].to_numpy()[order], outcome=train.frame["outcome"].to_numpy()[order])
            return super().fit(Pairs(frame, train.features, train.world), plan)

    return ShuffledLabels()


def test_first_training_registers_and_becomes_champion(first):
    from matcher import registry

    assert first.promoted
    assert "no champion yet" in first.reason
    assert registry.champion_version() == first.version
    assert 0.0 < first.holdout_ndcg10 <= 1.0
    assert first.train_start < first.holdout_start < first.train_end
    assert first.holdout_pairs > 0 and first.train_pairs > first.holdout_pairs
    meta = registry.champion_metadata()
    assert meta["version"] == first.version
    assert meta["metrics"]["holdout_ndcg10"] == pytest.approx(first.holdout_ndcg10)
    assert meta["params"]["holdout_start"] == first.holdout_start.isoformat()
    assert len(meta["params"]["data_fingerprint"]) == 16
    assert "promoted to champion" in first.describe()
    # The off-policy estimate of the held-out window is recorded and shown beside the decision.
    est = first.offpolicy
    assert est is not None and est.ci["dr"][0] <= est.value["dr"] <= est.ci["dr"][1]
    assert "off-policy DR estimate" in first.reason and "off-policy DR estimate" in first.describe()
    assert meta["metrics"]["offpolicy_dr10"] == pytest.approx(est.value["dr"])


def test_the_champion_loads_and_scores_like_the_trained_model(first, small_world):
    from matcher import registry
    from matcher.evaluate import labelled_pairs, make_pairs

    champion = registry.load_champion()
    import pandas as pd

    frame = labelled_pairs(small_world, None, pd.Timestamp(first.holdout_start)).head(50)
    scores = champion.score(make_pairs(small_world.as_of(pd.Timestamp(first.holdout_start)), frame))
    assert scores.shape == (len(frame),) and np.isfinite(scores).all()
    assert np.std(scores) > 0


def test_a_worse_challenger_is_registered_but_not_promoted(first, train_engine):
    from matcher import registry
    from matcher.training import train_and_register

    before = registry.champion_version()
    steps = []
    result = train_and_register(train_engine, ranker=shuffled_labels(), progress=lambda f, m: steps.append((f, m)))
    # The app's retrain bar: several steps, in order, the last one saying what the gate decided.
    fractions = [f for f, _ in steps]
    assert len(steps) >= 5 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert steps[-1][1] == result.reason
    assert not result.promoted
    assert result.holdout_ndcg10 < result.champion_ndcg10
    # The logs alone say the same: the shuffled-label model's top 10 is estimated below the champion's.
    assert result.offpolicy.value["dr"] < result.champion_offpolicy.value["dr"]
    assert "vs champion" in result.reason
    assert f"champion v{before} stays" in result.reason
    assert registry.champion_version() == before
    versions = registry.list_versions()
    row = versions[versions["version"] == int(result.version)].iloc[0]
    assert not row["champion"] and row["promoted"] == "false" and row["gate_passed"] == "false"
    assert "stays" in row["gate_reason"]


def test_promote_then_rollback_moves_the_alias_back(first, train_engine):
    from matcher import registry
    from matcher.training import train_and_register

    before = registry.champion_version()
    challenger = train_and_register(train_engine, ranker=shuffled_labels())
    registry.promote(challenger.version, engine=train_engine, actor=operator())
    assert registry.champion_version() == challenger.version
    message = registry.rollback(engine=train_engine, actor=operator())
    assert registry.champion_version() == before
    assert f"from version {challenger.version} to version {before}" in message


def test_rollback_without_a_previous_champion_is_refused(mlflow_store, train_engine, monkeypatch):
    from matcher import registry

    monkeypatch.setenv("MATCHER_REGISTERED_MODEL_NAME", "nothing-here")
    get_settings.cache_clear()
    try:
        assert registry.load_champion() is None
        assert registry.list_versions().empty
        with pytest.raises(registry.RegistryError, match="no previous champion"):
            registry.rollback(engine=train_engine, actor=operator())
    finally:
        monkeypatch.delenv("MATCHER_REGISTERED_MODEL_NAME")
        get_settings.cache_clear()


def test_promote_an_unknown_version_says_which_exist(first, train_engine):
    from matcher import registry

    with pytest.raises(registry.RegistryError, match="no version 999"):
        registry.promote(999, engine=train_engine, actor=operator())


def test_training_on_an_earlier_window_uses_only_what_was_known(first, train_engine, small_world):
    from matcher.training import train_and_register

    import pandas as pd

    as_of = (pd.Timestamp(first.holdout_start) - pd.Timedelta(days=60)).date()
    result = train_and_register(train_engine, as_of=as_of)
    assert result.train_end == as_of
    assert result.holdout_start < as_of


def test_the_promoted_model_is_refitted_on_the_whole_window(first, small_world):
    """The gate measures a fit that stops at H; the served champion is refitted up to as_of, and
    MLflow keeps both fits."""
    import mlflow
    import pandas as pd

    from matcher import registry
    from matcher.models.artifact import load_ranker
    from matcher.training import GATE_ARTIFACT

    assert first.refitted and first.served_train_end == first.train_end
    served = registry.load_version(first.version)
    first_day, last_day = (pd.Timestamp(d) for d in served.metadata["training_window"])
    # Trained on referrals after the holdout start, and on none at or after train_end.
    assert pd.Timestamp(first.holdout_start) <= last_day < pd.Timestamp(first.train_end)
    assert served.metadata["refit_of_plan"] and served.metadata["n_pairs"] == first.served_pairs > first.train_pairs
    run = registry.client().get_run(first.run_id)
    gate = load_ranker(mlflow.artifacts.download_artifacts(run_id=first.run_id, artifact_path=GATE_ARTIFACT))
    assert pd.Timestamp(gate.metadata["training_window"][1]) < pd.Timestamp(first.holdout_start)
    assert gate.metadata["plan"] == served.metadata["plan"]
    assert run.data.params["served_train_end"] == first.train_end.isoformat()


def older_relabelled():
    """A challenger built to fail a group: trained on data where every referral of a citizen aged
    50 or more (the feature ``age``) is relabelled a decline."""
    from matcher.models.base import Pairs
    from matcher.models.lgbm import LightGBMRanker

    class OlderRelabelled(LightGBMRanker):
        def fit(self, train, plan=None):
            older = train.features["age"].to_numpy() >= 50
            frame = train.frame.assign(gain=np.where(older, 0, train.frame["gain"]),
                                       outcome=np.where(older, "declined", train.frame["outcome"]))
            return super().fit(Pairs(frame, train.features, train.world), plan)

    return OlderRelabelled()


def test_the_gate_checks_groups_and_logs_their_figures(first):
    from matcher import registry

    check = first.group_check
    assert check.passed and "group check passed" in first.reason
    assert {"ndcg10", "calibration"} == set(check.tables)
    assert {"gender", "origin", "age_band", "barrier"} <= set(check.ratios["dimension"])
    run = registry.client().get_run(first.run_id)
    assert run.data.metrics["group_calibration_age_band_ratio"] == pytest.approx(
        check.ratios.set_index(["measure", "dimension"]).loc[("calibration", "age_band"), "ratio"])
    assert run.data.tags["group_check"] == "true"


def test_a_challenger_that_fails_a_group_is_refused_naming_the_group(first, train_engine):
    from matcher import registry
    from matcher.training import train_and_register

    before = registry.champion_version()
    result = train_and_register(train_engine, ranker=older_relabelled())
    assert not result.promoted
    assert registry.champion_version() == before
    assert "group check failed" in result.reason and "age_band" in result.reason
    assert "'50–59'" in result.reason or "'60+'" in result.reason
    assert f"champion v{before} stays" in result.reason
    # The refusal is about the group, not the overall figure: the ordering within a citizen's
    # list is the same, so the overall held-out NDCG@10 stays close to the champion's.
    assert result.holdout_ndcg10 >= 0.95 * result.champion_ndcg10
    row = registry.list_versions().set_index("version").loc[int(result.version)]
    assert row["gate_passed"] == "false" and "age_band" in row["gate_reason"]


def test_every_registered_version_has_a_model_card(first, train_engine):
    """Cards in both languages for every version: those training wrote, and one registered
    without (as before cards existed), written by `matcher model-card`."""
    import json

    import mlflow

    from matcher import registry
    from matcher.model_card import has_card, load_card, write_missing_cards

    with mlflow.start_run(experiment_id=registry.experiment_id(), run_name="registered-without-a-card") as run:
        mlflow.log_params({"model": "LightGBMRanker", "train_start": "2022-01-03", "train_end": "2024-01-01"})
        uri = registry.client().get_model_version(get_settings().registered_model_name, first.version).source
    bare = registry.register(run.info.run_id, uri, description="registered by hand")
    assert not has_card(bare)
    assert write_missing_cards() == [bare]
    versions = registry.list_versions()
    assert len(versions) >= 3
    for _, row in versions.iterrows():
        version = str(row["version"])
        assert has_card(version), version
        da, en = load_card(version, "da"), load_card(version, "en")
        assert f"Modelkort: version {version}" in da and f"Model card: version {version}" in en
        for text in ("Tilsigtet brug", "Må ikke bruges til", "Kendte begrænsninger", "Kvalitetskontrollens afgørelse"):
            assert text in da
        assert "Ikke input (kun brugt til revision): gender, origin" in da
        assert "ADVARSEL" not in da
        if isinstance(row["fingerprint"], str):
            assert f"`{row['fingerprint']}`" in en
        decision = "passed" if row["gate_passed"] == "true" else "not passed"
        assert f"Decision: **{decision}**" in en
    # The card of the version trained to fail a group names the group; the first has group figures.
    refused = versions[versions["gate_reason"].fillna("").str.contains("group check failed")]
    assert len(refused) and "age_band" in load_card(str(refused["version"].iloc[0]), "en")
    first_card = load_card(first.version, "en")
    mv = registry.client().get_model_version(get_settings().registered_model_name, first.version)
    # Every worst/best ratio the gate logged for the run has its row (a dimension whose ratio the
    # small world cannot measure, e.g. no successes in a group, is logged as nothing and not shown).
    from matcher.fairness import DIMENSIONS, GATE_MEASURES

    logged = registry.client().get_run(mv.run_id).data.metrics
    rows = [(m, d) for m in GATE_MEASURES for d in DIMENSIONS if f"group_{m}_{d}_ratio" in logged]
    assert rows, "the gate logged no group ratio for the first version"
    for measure, dimension in rows:
        assert f"| {measure} | {dimension} |" in first_card
    card = json.loads(open(mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path="model_card/card.json")).read())
    assert card["sensitive_inputs"]["age"] == "age" and card["importance"]
