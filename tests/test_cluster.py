"""The batch on Dask against a real LocalCluster: the same rows as in one process, row for row."""
from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher.settings import get_settings


@pytest.fixture(scope="module")
def client():
    from matcher.cluster import dask_client

    with dask_client(workers=2) as c:
        yield c


@pytest.fixture
def many_partitions(setting):
    # About 20 citizens a partition: the small world's batch goes out in many tasks.
    setting("SCALE__PARTITION_PAIRS", str(20 * get_settings().retrieval.candidates))


def test_recommend_all_on_dask_is_the_single_process_output(client, small_matcher, many_partitions):
    from matcher.cluster import recommend_all_on

    day, citizens = small_matcher.batch_citizens(None)
    assert len(small_matcher.partitions(citizens)) > 5
    local = small_matcher.recommend_all(k=5)
    on_dask = recommend_all_on(client, small_matcher, k=5)
    assert len(local) > 0
    pd.testing.assert_frame_equal(on_dask, local)


def test_the_plan_scored_on_dask_is_the_single_process_plan(client, small_matcher, many_partitions):
    from matcher.cluster import score_pairs_on
    from matcher.plan import plan_for, score_pairs

    pairs, capacity = score_pairs(small_matcher)
    pairs_dask, capacity_dask = score_pairs_on(client, small_matcher)
    pd.testing.assert_frame_equal(pairs_dask, pairs)
    pd.testing.assert_series_equal(capacity_dask, capacity)
    pd.testing.assert_frame_equal(plan_for(small_matcher, k=4, client=client).detail, plan_for(small_matcher, k=4).detail)


def test_training_features_built_on_dask_are_the_same(client, small_world, setting):
    from matcher.cluster import DaskFeatures
    from matcher.features.build import FeatureSpace, build_features
    from matcher.labels import training_pairs

    setting("SCALE__PARTITION_PAIRS", "700")
    frame = training_pairs(small_world, None).sample(frac=1.0, random_state=3).reset_index(drop=True)
    space = FeatureSpace.of(small_world)
    local = build_features(small_world, frame, space=space)
    on_dask = DaskFeatures(client)(small_world, frame, space)
    pd.testing.assert_frame_equal(on_dask, local.reset_index(drop=True))


def test_cli_recommend_all_on_a_running_scheduler(client, small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    from matcher.cli import app

    monkeypatch.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{champion_mlflow_dir / 'mlflow.db'}")
    monkeypatch.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(champion_mlflow_dir / "artifacts"))
    monkeypatch.setenv("MATCHER_SCALE__PARTITION_PAIRS", "9000")
    get_settings.cache_clear()
    runner = CliRunner()
    out = {name: tmp_path / f"{name}.csv" for name in ("local", "dask", "plan_local", "plan_dask")}
    try:
        base = ["recommend", "--all", "--k", "4", "--db", small_db_url]
        results = [
            runner.invoke(app, base + ["--out", str(out["local"])]),
            runner.invoke(app, base + ["--out", str(out["dask"]), "--engine", "dask", "--scheduler", client.scheduler.address]),
            runner.invoke(app, base + ["--allocate", "--out", str(out["plan_local"])]),
            runner.invoke(app, base + ["--allocate", "--out", str(out["plan_dask"]), "--engine", "dask", "--scheduler", client.scheduler.address]),
        ]
        bad = runner.invoke(app, base + ["--out", str(tmp_path / "x.csv"), "--engine", "spark"])
        needs = runner.invoke(app, base + ["--out", str(tmp_path / "x.csv"), "--scheduler", client.scheduler.address])
    finally:
        get_settings.cache_clear()
    for result in results:
        assert result.exit_code == 0, result.output
    assert out["local"].read_bytes() == out["dask"].read_bytes()
    assert out["plan_local"].read_bytes() == out["plan_dask"].read_bytes()
    assert len(pd.read_csv(out["dask"])) > 0
    assert bad.exit_code != 0 and "--engine takes local or dask" in bad.output
    assert needs.exit_code != 0 and "--scheduler needs --engine dask" in needs.output
