"""The contract's commands as other tools call them."""
from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from matcher.cli import _shard, app


def test_shards_partition_the_batch(small_matcher):
    full = small_matcher.recommend_all(k=5)
    parts = [small_matcher.recommend_all(k=5, shard=(i, 3)) for i in range(3)]
    ids = [set(p["citizen_id"]) for p in parts]
    assert not (ids[0] & ids[1]) and not (ids[1] & ids[2]) and not (ids[0] & ids[2])
    merged = pd.concat(parts).sort_values(["citizen_id", "rank"]).reset_index(drop=True)
    expected = full.sort_values(["citizen_id", "rank"]).reset_index(drop=True)
    # Same citizens, same ranks, same scores (equal scores may swap places between batches).
    pd.testing.assert_frame_equal(merged[["citizen_id", "rank"]], expected[["citizen_id", "rank"]])
    assert (merged["score"] - expected["score"]).abs().max() < 1e-6


def test_bad_shard_is_a_clear_error():
    assert _shard("1/4") == (1, 4)
    result = CliRunner().invoke(app, ["recommend", "--all", "--out", "x.csv", "--shard", "4/4"])
    assert result.exit_code != 0
    assert "I must be between 0 and N-1" in result.output + (result.stderr or "")


def test_simulate_then_import_through_the_commands(tmp_path):
    world, db = tmp_path / "w", f"sqlite:///{tmp_path / 'm.db'}"
    runner = CliRunner()
    sim = runner.invoke(app, ["simulate", "--out", str(world), "--citizens", "300", "--seed", "3"])
    assert sim.exit_code == 0, sim.output
    assert (world / "citizens.csv").exists() and (world / "_truth").is_dir()
    imp = runner.invoke(app, ["import", str(world), "--db", db])
    assert imp.exit_code == 0, imp.output
    n_citizens = len(pd.read_csv(world / "citizens.csv", dtype=str))
    from sqlalchemy import create_engine, text

    with create_engine(db).connect() as conn:
        assert conn.execute(text("select count(*) from citizens")).scalar() == n_citizens


def test_operators_commands_are_audited_as_the_os_user(export_engine, setting, tmp_path):
    from matcher import audit
    from matcher.auth import operator

    db = str(export_engine.url)
    setting("DB_URL", db)  # the commands set it too; the fixture puts it back afterwards
    setting("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    setting("MLFLOW_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    runner = CliRunner()
    users = runner.invoke(app, ["demo-users", "--db", db])
    assert users.exit_code == 0, users.output
    rollback = runner.invoke(app, ["rollback", "--db", db])
    assert rollback.exit_code == 1 and "no previous champion" in rollback.output
    log = audit.read(export_engine)
    assert set(log["username"]) == {operator().username} and set(log["role"]) == {"operator"}
    assert (log["action"] == audit.USER_CHANGED).sum() == 5
    assert log.iloc[0]["action"] == audit.REFUSED and log.iloc[0]["detail"]["action"] == audit.ROLLBACK
