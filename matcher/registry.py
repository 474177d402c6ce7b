"""The model registry: which trained ranker is the champion, its history, and rollback.

MLflow holds the runs and the registered versions (a local SQLite store unless
``MATCHER_MLFLOW_TRACKING_URI`` points elsewhere). The champion is the version carrying the
settings' ``champion_alias``. Every promotion is appended to the registered model's tag
``champion_history`` (comma-separated versions), so ``rollback`` knows what "previous" means
even after several promotions.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from matcher.settings import get_settings

HISTORY_TAG = "champion_history"
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


def _history() -> list[str]:
    model = _registered()
    raw = (model.tags or {}).get(HISTORY_TAG, "") if model else ""
    return [v for v in raw.split(",") if v]


def register(run_id: str, artifact_uri: str, description: str = "") -> str:
    """Register the run's model artifact as a new version; returns the version number."""
    c = client()
    if _registered() is None:
        c.create_registered_model(_model_name(), description="matcher's citizen × opportunity ranker")
    version = c.create_model_version(_model_name(), source=artifact_uri, run_id=run_id, description=description)
    return str(version.version)


def champion_version() -> str | None:
    """The version carrying the champion alias, or None."""
    model = _registered()
    if model is None:
        return None
    version = (model.aliases or {}).get(get_settings().champion_alias)
    return None if version is None else str(version)


def promote(version: str | int) -> str:
    """Make ``version`` the champion and record it in the champion history."""
    c = client()
    version = str(version)
    known = {str(v.version) for v in c.search_model_versions(f"name='{_model_name()}'")}
    if version not in known:
        raise RegistryError(f"promote: {_model_name()} has no version {version}; versions: {sorted(known, key=int)}")
    c.set_registered_model_alias(_model_name(), get_settings().champion_alias, version)
    history = _history()
    if not history or history[-1] != version:
        c.set_registered_model_tag(_model_name(), HISTORY_TAG, ",".join(history + [version]))
    return f"version {version} of {_model_name()} is now '{get_settings().champion_alias}'"


def rollback() -> str:
    """Move the champion alias back to the previous champion; says what it did."""
    history = _history()
    if len(history) < 2:
        raise RegistryError(
            f"rollback: {_model_name()} has no previous champion (history: {history or 'empty'}); nothing changed"
        )
    c = client()
    previous, current = history[-2], history[-1]
    c.set_registered_model_alias(_model_name(), get_settings().champion_alias, previous)
    c.set_registered_model_tag(_model_name(), HISTORY_TAG, ",".join(history[:-1]))
    c.set_model_version_tag(_model_name(), current, "rolled_back", "true")
    return f"rolled back: '{get_settings().champion_alias}' moved from version {current} to version {previous}"


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
    """Every registered version, newest first: created, metrics, champion flag, training window."""
    columns = ["version", "created", "champion", "was_champion", "holdout_ndcg10", "train_start", "train_end",
               "holdout_start", "train_pairs", "fingerprint", "promoted", "gate_reason", "run_id"]
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
        rows.append(
            {
                "version": int(mv.version),
                "created": pd.Timestamp(mv.creation_timestamp, unit="ms"),
                "champion": str(mv.version) == champion,
                "was_champion": str(mv.version) in history,
                "holdout_ndcg10": m.get("holdout_ndcg10"),
                "train_start": p.get("train_start"),
                "train_end": p.get("train_end"),
                "holdout_start": p.get("holdout_start"),
                "train_pairs": p.get("train_pairs"),
                "fingerprint": p.get("data_fingerprint"),
                "promoted": t.get("promoted"),
                "gate_reason": t.get("gate_reason"),
                "run_id": mv.run_id,
            }
        )
    return pd.DataFrame(rows, columns=columns).sort_values("version", ascending=False).reset_index(drop=True)
