"""The registry stays consistent: the champion history is the truth (one write promotes or rolls
back), the alias is repaired when it lags, promotion and rollback are authorised and audited,
orphan runs are marked failed, and a training killed at any of several points leaves a registry
whose champion, history, alias and rollback agree."""
from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from matcher import audit, registry
from matcher.access import AccessDenied
from matcher.auth import operator
from matcher.settings import get_settings
from tests.app_helpers import copy_database, live_user

CLI = operator()


def alias() -> str:
    """The version the champion alias points at."""
    return str(registry._registered().aliases[get_settings().champion_alias])


def use_store(monkeypatch, folder: Path, artifacts: Path) -> None:
    monkeypatch.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
    monkeypatch.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(artifacts))
    get_settings.cache_clear()


def copy_store(base: Path, folder: Path) -> Path:
    """A copy of an MLflow SQLite store (the artifacts stay where the copy's runs point)."""
    folder.mkdir(parents=True)
    copy_database(f"sqlite:///{base / 'mlflow.db'}", folder).dispose()
    (folder / "app.db").rename(folder / "mlflow.db")
    return folder


@pytest.fixture(scope="module")
def base_store(tmp_path_factory, small_db_url):
    """An MLflow store with versions 1 and 2 trained (logistic regression: fast) and promoted in turn,
    and a writable copy of the small world's database for the audit log."""
    from matcher.models.baselines import LogisticRanker
    from matcher.training import train_and_register

    root = tmp_path_factory.mktemp("registry")
    mp = pytest.MonkeyPatch()
    use_store(mp, root / "base", root / "artifacts")
    mp.setenv("MATCHER_GATE_TOLERANCE", "0")  # every challenger passes: the killed training promotes
    mp.setenv("MATCHER_OFFPOLICY__GATE_ESTIMATE", "false")  # the registry is under test, not the estimate (tests/test_training.py)
    (root / "base").mkdir()
    engine = copy_database(small_db_url, root)
    for _ in range(2):
        assert train_and_register(engine, ranker=LogisticRanker()).promoted
    yield root, engine
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture
def store(base_store, tmp_path, monkeypatch):
    """A fresh copy of the base store, in use: champion v2, history [1, 2]."""
    root, engine = base_store
    use_store(monkeypatch, copy_store(root / "base", tmp_path / "store"), root / "artifacts")
    monkeypatch.setenv("MATCHER_GATE_TOLERANCE", "0")
    assert registry.champion_version() == "2" and registry._history() == ["1", "2"]
    return engine


def test_promote_and_rollback_are_one_step_each_and_audited(store):
    scientist = live_user(store, "dora", "data_scientist")
    message = registry.rollback(engine=store, actor=scientist)
    assert "from version 2 to version 1" in message
    assert registry.champion_version() == "1" and registry._history() == ["1"]
    assert alias() == "1"
    registry.promote(2, engine=store, actor=CLI)
    assert registry._history() == ["1", "2"]
    versions = registry.list_versions().set_index("version")
    assert versions.at[2, "champion"] and versions.at[2, "promoted"] == "true"
    entries = audit.read(store)
    assert (entries.iloc[0]["action"], entries.iloc[0]["username"], entries.iloc[0]["detail"]) == (audit.PROMOTE, CLI.username, {"version": "2"})
    assert (entries.iloc[1]["action"], entries.iloc[1]["username"], entries.iloc[1]["detail"]) == (audit.ROLLBACK, "dora", {"from": "2", "to": "1"})


def test_promote_and_rollback_refused_for_other_roles_and_audited(store):
    admin = live_user(store, "root", "admin")
    with pytest.raises(AccessDenied, match="may not promote"):
        registry.promote(1, engine=store, actor=admin)
    with pytest.raises(AccessDenied, match="may not rollback"):
        registry.rollback(engine=store, actor=admin)
    assert registry._history() == ["1", "2"]
    denied = audit.read(store, action=audit.ACCESS_DENIED)["detail"].map(lambda d: d["action"]).tolist()
    assert denied == [audit.ROLLBACK, audit.PROMOTE]
    with pytest.raises(registry.RegistryError, match="no version 99"):
        registry.promote(99, engine=store, actor=CLI)
    assert audit.read(store, action=audit.REFUSED).iloc[0]["detail"]["version"] == "99"


def test_the_alias_follows_the_history(store):
    c = registry.client()
    name = get_settings().registered_model_name
    # A process killed between the history write and the alias: the history says 1, the alias 2.
    c.set_registered_model_tag(name, registry.HISTORY_TAG, "1")
    assert registry.champion_version() == "1"
    assert alias() == "1"  # repaired
    # A store written before the history was the truth: an alias and no history.
    c.delete_registered_model_tag(name, registry.HISTORY_TAG)
    c.set_registered_model_alias(name, get_settings().champion_alias, "2")
    assert registry.champion_version() == "2" and registry._history() == ["2"]


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_orphan_runs_are_marked_failed(store, monkeypatch):
    c = registry.client()
    exp = registry.experiment_id()
    here = socket.gethostname()
    dead = c.create_run(exp, tags={registry.PID_TAG: str(dead_pid()), registry.HOST_TAG: here}).info.run_id
    alive = c.create_run(exp, tags={registry.PID_TAG: str(os.getpid()), registry.HOST_TAG: here}).info.run_id
    elsewhere = c.create_run(exp, tags={registry.PID_TAG: "1", registry.HOST_TAG: "another-host"}).info.run_id
    assert registry.mark_orphans() == [dead]
    assert c.get_run(dead).info.status == "FAILED" and "orphaned" in c.get_run(dead).data.tags["failure"]
    assert c.get_run(alive).info.status == "RUNNING" and c.get_run(elsewhere).info.status == "RUNNING"
    # A run on another machine is given up after orphan_run_minutes.
    monkeypatch.setenv("MATCHER_ORPHAN_RUN_MINUTES", "0")
    get_settings.cache_clear()
    assert registry.mark_orphans() == [elsewhere]
    c.set_terminated(alive)


# ---- kill test --------------------------------------------------------------------------------

KILL_POINTS = {
    # where the training dies -> the champion afterwards (v3 only once its history entry is written)
    "fitting": "2",
    "refitting the promoted model": "2",
    "artifacts logged, run open": "2",
    "before registering": "2",
    "registered, before the history write": "2",
    "history written, before the alias": "3",
    "promoted, before the audit entry": "3",
}


def _train_and_die(point: str, engine_url: str) -> None:
    """In a forked child: train (logistic regression), SIGKILL itself at ``point``."""
    from mlflow import MlflowClient

    from matcher.db import make_engine
    from matcher.models.baselines import LogisticRanker
    from matcher.training import train_and_register

    def die(*_, **__):
        os.kill(os.getpid(), signal.SIGKILL)

    get_settings.cache_clear()
    hooks = {
        "artifacts logged, run open": (MlflowClient, "log_artifacts"),
        "before registering": (MlflowClient, "create_model_version"),
        "registered, before the history write": (MlflowClient, "set_registered_model_tag"),
        "history written, before the alias": (MlflowClient, "set_registered_model_alias"),
    }
    if point in hooks:
        owner, method = hooks[point]
        setattr(owner, method, die)
    if point == "promoted, before the audit entry":
        real = audit.record
        audit.record = lambda engine, who, action, *a, **k: die() if action == audit.PROMOTE else real(engine, who, action, *a, **k)
    # The training's progress steps: 0.25 starts the fit, 0.65 the refit of a model that passed the gate.
    at = {"fitting": 0.25, "refitting the promoted model": 0.65}.get(point)
    progress = (lambda fraction, step: die() if fraction >= at else None) if at else None
    train_and_register(make_engine(engine_url), ranker=LogisticRanker(), progress=progress)
    os._exit(3)  # not killed: the hook was never reached


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_training_leaves_a_consistent_registry(store, point):
    child = multiprocessing.get_context("fork").Process(target=_train_and_die, args=(point, str(store.url)))
    child.start()
    child.join(timeout=300)
    assert child.exitcode == -signal.SIGKILL, f"the training was not killed at {point!r} (exit {child.exitcode})"

    # The next training begins by marking the dead one's run failed.
    registry.begin_training(store, CLI)
    c = registry.client()
    running = c.search_runs([registry.experiment_id()], filter_string="attributes.status = 'RUNNING'")
    assert not running
    # Champion, history and alias agree; nothing is called promoted that is not in the history.
    champion, history = registry.champion_version(), registry._history()
    assert champion == KILL_POINTS[point] == history[-1]
    assert alias() == champion
    versions = registry.list_versions()
    assert set(history) <= set(versions["version"].astype(str))
    assert versions["champion"].sum() == 1
    promoted = set(versions.loc[versions["promoted"] == "true", "version"].astype(str))
    assert promoted == set(history)
    # And rollback works: back to the champion before.
    registry.rollback(engine=store, actor=CLI)
    assert registry.champion_version() == history[-2]
