"""The model registry: which trained ranker is the champion, its history, and rollback.

MLflow holds the runs and the registered versions (a local SQLite store unless
``MATCHER_MLFLOW_TRACKING_URI`` points elsewhere). The truth about the champion is one tag of the
registered model, ``champion_history`` (the promoted versions in order, comma-separated): a
promotion or a rollback is one write of that tag, so it happens whole or not at all, whatever
kills the process. The ``champion`` alias (settings' ``champion_alias``) mirrors the history's
last entry for other MLflow clients and is repaired whenever it is found behind
(:func:`champion_version`). ``rollback`` moves back along the history.

Promotion, rollback and training are authorised (``matcher.access``: a data scientist with a live
session, or the command line's operator) and audited here, so the app and the CLI cannot differ.
Training runs carry their process id and host (:func:`start_run`); a run left RUNNING by a
process that died is marked FAILED by :func:`mark_orphans` when the next training begins.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from matcher import audit
from matcher.access import AccessDenied, authorise
from matcher.i18n import said
from matcher.settings import get_settings

HISTORY_TAG = "champion_history"
ROLLED_BACK_TAG = "rolled_back"
GATE_TAG = "gate_passed"
PID_TAG = "matcher.pid"
HOST_TAG = "matcher.host"
# The served model's folder in a run's artifacts (a saved ranker: model files + metadata.json).
ARTIFACT_PATH = "model"
EXPERIMENT = "matcher-ranker"

# No progress bars or telemetry in a command-line tool or a test log.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (no model, no such version, nothing to roll back to)."""


def client():
    """An MLflow client on the settings' tracking URI (its SQLite folder created if needed)."""
    import mlflow
    from mlflow import MlflowClient

    uri = get_settings().mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id() -> str:
    """The experiment runs are logged to; artifacts under the settings' artifact root."""
    c = client()
    exp = c.get_experiment_by_name(EXPERIMENT)
    if exp is not None:
        return exp.experiment_id
    root = Path(get_settings().mlflow_artifact_root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return c.create_experiment(EXPERIMENT, artifact_location=root.as_uri())


def _model_name() -> str:
    return get_settings().registered_model_name


def _registered():
    """The registered model, or None before the first training."""
    from mlflow.exceptions import MlflowException

    try:
        return client().get_registered_model(_model_name())
    except MlflowException:
        return None


def _history_of(model) -> list[str]:
    raw = (model.tags or {}).get(HISTORY_TAG, "") if model is not None else ""
    return [v for v in raw.split(",") if v]


def _history() -> list[str]:
    return _history_of(_registered())


def register(run_id: str, artifact_uri: str, description: str = "") -> str:
    """Register the run's model artifact as a new version; returns the version number."""
    c = client()
    if _registered() is None:
        c.create_registered_model(_model_name(), description="matcher's citizen × opportunity ranker")
    version = c.create_model_version(_model_name(), source=artifact_uri, run_id=run_id, description=description)
    return str(version.version)


def champion_version() -> str | None:
    """The champion: the last version of the champion history (None before the first promotion).

    Repairs the alias when it is not that version (a process killed between the two writes), and
    adopts the alias as the history of a store written before the history was the truth.
    """
    model = _registered()
    if model is None:
        return None
    alias_name = get_settings().champion_alias
    alias = (model.aliases or {}).get(alias_name)
    history = _history_of(model)
    if not history:
        if alias is None:
            return None
        history = [str(alias)]
        client().set_registered_model_tag(_model_name(), HISTORY_TAG, history[0])
    if alias is None or str(alias) != history[-1]:
        client().set_registered_model_alias(_model_name(), alias_name, history[-1])
    return history[-1]


def _set_history(history: list[str]) -> None:
    """The one write that promotes or rolls back; the alias follows it."""
    c = client()
    c.set_registered_model_tag(_model_name(), HISTORY_TAG, ",".join(history))
    if history:
        c.set_registered_model_alias(_model_name(), get_settings().champion_alias, history[-1])


def _promote(version: str) -> str:
    c = client()
    known = {str(v.version) for v in c.search_model_versions(f"name='{_model_name()}'")}
    if version not in known:
        raise RegistryError(said("registry_no_version", model=_model_name(), version=version, known=sorted(known, key=int)))
    history = _history()
    if not history or history[-1] != version:
        _set_history(history + [version])
    else:
        champion_version()  # already champion: make sure the alias agrees
    return said("registry_promoted", version=version, model=_model_name(), alias=get_settings().champion_alias)


def promote(version: str | int, *, engine: Engine, actor, reason: str | None = None) -> str:
    """Make ``version`` the champion (authorised and audited in ``engine``'s audit log); says what
    it did. ``reason``: why (the quality gate's verdict when training promotes)."""
    version = str(version)
    with audit.refusals(engine, actor, audit.PROMOTE, (AccessDenied, RegistryError), detail={"version": version}):
        current = authorise(engine, actor, audit.PROMOTE)
        message = _promote(version)
    audit.record(engine, current, audit.PROMOTE, detail={"version": version, **({"reason": reason} if reason else {})})
    return message


def rollback_plan() -> tuple[str, str] | None:
    """What :func:`rollback` would do now: (the champion it replaces, the version it brings
    back), or None when there is no previous champion. A page shows it before asking."""
    history = _history()
    return (history[-1], history[-2]) if len(history) >= 2 else None


def rollback(*, engine: Engine, actor, expect_from: str | None = None) -> str:
    """Move the champion back to the previous one in the history (authorised and audited); says
    what it did. ``expect_from``: the champion the caller confirmed to replace; when another
    version is champion by now, nothing changes (RegistryError)."""
    with audit.refusals(engine, actor, audit.ROLLBACK, (AccessDenied, RegistryError)):
        current = authorise(engine, actor, audit.ROLLBACK)
        history = _history()
        if len(history) < 2:
            raise RegistryError(said("registry_no_previous", model=_model_name(), history=history or "empty"))
        previous, replaced = history[-2], history[-1]
        if expect_from is not None and str(expect_from) != replaced:
            raise RegistryError(said("registry_moved", replaced=replaced, expected=str(expect_from)))
        _set_history(history[:-1])
        client().set_model_version_tag(_model_name(), replaced, ROLLED_BACK_TAG, "true")
    audit.record(engine, current, audit.ROLLBACK, detail={"from": replaced, "to": previous})
    return said("registry_rolled_back", alias=get_settings().champion_alias, replaced=replaced, previous=previous)


def begin_training(engine: Engine, actor):
    """Before a training: authorise it (audited, a refusal too) and mark runs orphaned by killed
    trainings as failed. Returns the live actor, who also authorises the gate's promotion."""
    with audit.refusals(engine, actor, audit.RETRAIN, (AccessDenied,)):
        current = authorise(engine, actor, audit.RETRAIN)
    orphans = mark_orphans()
    audit.record(engine, current, audit.RETRAIN, detail={"orphan_runs_failed": orphans} if orphans else None)
    return current


def start_run(run_name: str):
    """An MLflow run in the training experiment, tagged with this process's id and host so that
    :func:`mark_orphans` can tell a live training from a dead one."""
    import mlflow

    return mlflow.start_run(
        experiment_id=experiment_id(), run_name=run_name,
        tags={PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()},
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _running_runs():
    """The training runs MLflow still calls RUNNING, each with whether its process lives: on this
    host, by its process id; elsewhere (or without one), started within ``orphan_run_minutes``."""
    c = client()
    exp = c.get_experiment_by_name(EXPERIMENT)
    if exp is None:
        return
    here = socket.gethostname()
    too_old = time.time() * 1000 - get_settings().orphan_run_minutes * 60_000
    for run in c.search_runs([exp.experiment_id], filter_string="attributes.status = 'RUNNING'"):
        pid, host = run.data.tags.get(PID_TAG), run.data.tags.get(HOST_TAG)
        yield run, (_alive(int(pid)) if pid and host == here else run.info.start_time >= too_old)


def running_trainings() -> list[dict]:
    """Trainings under way in any process (MLflow runs still RUNNING whose process lives, by the
    rule of :func:`mark_orphans`): run id, run name and start time (UTC, naive). The models page
    disables retraining while one runs, whichever process or page started it."""
    from datetime import datetime, timezone

    found = []
    for run, alive in _running_runs():
        if alive:
            started = datetime.fromtimestamp(run.info.start_time / 1000, tz=timezone.utc).replace(tzinfo=None)
            found.append({"run_id": run.info.run_id, "run_name": run.info.run_name, "started": started})
    return found


def mark_orphans() -> list[str]:
    """Mark FAILED the training runs still RUNNING whose process is gone: on this host, a dead
    process id; elsewhere (or without one), started more than ``orphan_run_minutes`` ago.
    Returns their run ids."""
    c = client()
    marked = []
    for run, alive in _running_runs():
        if not alive:
            c.set_tag(run.info.run_id, "failure", "orphaned: the training process ended before the run finished")
            c.set_terminated(run.info.run_id, status="FAILED")
            marked.append(run.info.run_id)
    return marked


def load_version(version: str | int):
    """The ranker stored with a registered version (read from its saved folder, no pickle)."""
    import mlflow

    from matcher.models.artifact import load_ranker

    mv = client().get_model_version(_model_name(), str(version))
    return load_ranker(mlflow.artifacts.download_artifacts(artifact_uri=mv.source))


def load_champion():
    """The champion ranker, or None when no model has been trained and promoted yet."""
    version = champion_version()
    return None if version is None else load_version(version)


def champion_metadata() -> dict | None:
    """Version, run, metrics, parameters and training window of the champion (None without one)."""
    version = champion_version()
    if version is None:
        return None
    c = client()
    mv = c.get_model_version(_model_name(), version)
    run = c.get_run(mv.run_id)
    return {
        "version": version,
        "run_id": mv.run_id,
        "created": pd.Timestamp(mv.creation_timestamp, unit="ms"),
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
        "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
    }


def list_versions() -> pd.DataFrame:
    """Every registered version, newest first: created, metrics, champion flag, training window,
    whether the quality gate passed it and whether it was ever promoted (from the history and
    the rollback tags, not from what a training meant to do)."""
    columns = ["version", "created", "champion", "was_champion", "holdout_ndcg10", "train_start", "train_end",
               "holdout_start", "train_pairs", "fingerprint", "gate_passed", "promoted", "gate_reason", "run_id"]
    model = _registered()
    if model is None:
        return pd.DataFrame(columns=columns)
    c = client()
    champion = champion_version()
    history = set(_history())
    rows = []
    for mv in c.search_model_versions(f"name='{_model_name()}'"):
        run = c.get_run(mv.run_id)
        p, m, t = run.data.params, run.data.metrics, run.data.tags
        version = str(mv.version)
        rows.append(
            {
                "version": int(mv.version),
                "created": pd.Timestamp(mv.creation_timestamp, unit="ms"),
                "champion": version == champion,
                "was_champion": version in history,
                "holdout_ndcg10": m.get("holdout_ndcg10"),
                "train_start": p.get("train_start"),
                "train_end": p.get("train_end"),
                "holdout_start": p.get("holdout_start"),
                "train_pairs": p.get("train_pairs"),
                "fingerprint": p.get("data_fingerprint"),
                # Runs logged before the gate had its own tag called it "promoted".
                "gate_passed": t.get(GATE_TAG, t.get("promoted")),
                "promoted": str(version in history or (mv.tags or {}).get(ROLLED_BACK_TAG) == "true").lower(),
                "gate_reason": t.get("gate_reason"),
                "run_id": mv.run_id,
            }
        )
    return pd.DataFrame(rows, columns=columns).sort_values("version", ascending=False).reset_index(drop=True)
