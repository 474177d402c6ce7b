"""Retraining: fit the LightGBM ranker, log the run to MLflow, register it, and promote it only
when it does at least as well as the champion on the same held-out window.

The training window is every referral proposed before ``as_of`` with an outcome known before it.
Its last ``evaluation.holdout_fraction`` (by proposal date, from the holdout start H) is held out:
the model is fitted on what was known at H and measured (NDCG@10, one query per citizen) on the
held-out referrals; the champion is re-scored on exactly those referrals. The registered model is
the one that was measured, so the number in the registry belongs to the artifact next to it.
"""
from __future__ import annotations

import json
import pickle
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher import metrics, registry
from matcher.evaluate import data_fingerprint, labelled_pairs, make_pairs
from matcher.models.base import Pairs, Ranker
from matcher.settings import get_settings
from matcher.world import World


@dataclass
class TrainResult:
    """What one training run produced and what the gate decided."""

    version: str
    run_id: str
    promoted: bool
    reason: str
    holdout_ndcg10: float
    champion_before: str | None
    champion_ndcg10: float | None
    train_start: date
    holdout_start: date
    train_end: date
    train_pairs: int
    holdout_pairs: int
    seconds: float

    def describe(self) -> str:
        """A short text summary for the command line and the app."""
        decision = "promoted to champion" if self.promoted else "NOT promoted"
        return "\n".join(
            [
                f"registered version {self.version} (run {self.run_id}): {decision}",
                f"  reason: {self.reason}",
                f"  fitted on {self.train_pairs:,} referrals proposed {self.train_start} .. {self.holdout_start} (exclusive), "
                f"held out {self.holdout_pairs:,} proposed {self.holdout_start} .. {self.train_end} (exclusive)",
                f"  held-out NDCG@10: {self.holdout_ndcg10:.4f}"
                + (f" vs champion v{self.champion_before}: {self.champion_ndcg10:.4f}" if self.champion_ndcg10 is not None else ""),
                f"  {self.seconds:.0f} s",
            ]
        )


def holdout_start(frame: pd.DataFrame, fraction: float) -> pd.Timestamp:
    """The proposal date from which the last ``fraction`` of the window's referrals are held out."""
    return pd.Timestamp(pd.to_datetime(frame["as_of"]).quantile(1.0 - fraction)).normalize()


def _ndcg10(pairs: Pairs, scores: np.ndarray, k: int = 10) -> float:
    """NDCG@k over the held-out referrals, one query per citizen.

    A query per citizen and proposal date would mostly hold a single referral (caseworkers
    propose one thing at a time), and a one-item query scores 1 whatever the model does; a
    citizen's held-out referrals together are what the gate can rank.
    """
    frame = pairs.frame.assign(query_id=pairs.frame["citizen_id"], score=scores)
    return metrics.ndcg_at_k(frame, k, get_settings().evaluation.seed)


def _gate(new: float, champion: float | None, champion_version: str | None, overlap: int) -> tuple[bool, str]:
    """Promote when there is no champion, or the new model reaches tolerance × the champion's NDCG@10."""
    tolerance = get_settings().gate_tolerance
    if champion_version is None:
        return True, "no champion yet: the first registered model becomes champion"
    bar = tolerance * champion
    caveat = (
        f" (the champion was trained on {overlap:,} of these held-out referrals, so its score is optimistic)"
        if overlap
        else ""
    )
    if new >= bar:
        return True, f"held-out NDCG@10 {new:.4f} ≥ {tolerance:g} × champion v{champion_version}'s {champion:.4f}{caveat}"
    return False, (
        f"held-out NDCG@10 {new:.4f} < {tolerance:g} × champion v{champion_version}'s {champion:.4f} on the same "
        f"held-out referrals{caveat}; champion v{champion_version} stays"
    )


def _flat_params(ranker: Ranker) -> dict[str, str]:
    """The settings' ranker parameters and, when the ranker records them, the ones it chose."""
    params = {f"ranker.{k}": str(v) for k, v in get_settings().ranker.model_dump().items()}
    metadata = getattr(ranker, "metadata", None) or {}
    chosen = metadata.get("chosen", {})
    params.update({f"chosen.{k}": str(v) for k, v in chosen.get("params", {}).items()})
    if "best_iteration" in chosen:
        params["chosen.num_iterations"] = str(chosen["best_iteration"])
    return params


def train_and_register(
    engine: Engine,
    as_of: date | None = None,
    ranker: Ranker | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> TrainResult:
    """Train on referrals proposed before ``as_of`` (all when None), log, register, gate, promote.

    ``ranker``: the model to train (default: a fresh ``LightGBMRanker``); any
    :class:`~matcher.models.base.Ranker` that pickles can be registered. ``progress``: called
    with a fraction 0..1 and the step under way (the app's retrain bar).
    """
    report = progress or (lambda fraction, step: None)
    import mlflow

    from matcher.features.build import FEATURES
    from matcher.models.lgbm import LightGBMRanker

    started = time.perf_counter()
    settings = get_settings()
    ranker = ranker or LightGBMRanker()
    report(0.05, "loading the data")
    world = World.from_db(engine)
    if world.referrals.empty:
        raise ValueError("train: the database holds no referrals; import a folder with a referral history first")
    last = pd.concat([world.referrals["proposed_on"], world.referrals["outcome_on"]]).max()
    end = pd.Timestamp(as_of) if as_of is not None else last + pd.Timedelta(days=1)
    window = labelled_pairs(world, None, end)
    if window["query_id"].nunique() < 10:
        raise ValueError(f"train: only {len(window)} referrals with known outcomes before {end.date()}; too few to train")
    h = holdout_start(window, settings.evaluation.holdout_fraction)
    known = world.as_of(h)
    fit_frame = labelled_pairs(world, None, h)
    hold_frame = window[pd.to_datetime(window["as_of"]) >= h]
    from matcher.features.build import FeatureSpace

    report(0.15, f"features for {len(fit_frame):,} training and {len(hold_frame):,} held-out referrals")
    space = FeatureSpace.of(known)
    fit_pairs, hold_pairs = make_pairs(known, fit_frame, space), make_pairs(known, hold_frame, space)

    report(0.3, "fitting the model (hyperparameters by time-ordered validation)")
    ranker.fit(fit_pairs)
    report(0.8, "quality gate: the new model and the champion on the held-out referrals")
    hold_scores = ranker.score(hold_pairs)
    new_ndcg = _ndcg10(hold_pairs, hold_scores)
    champion_before = registry.champion_version()
    champion_ndcg, overlap = None, 0
    if champion_before is not None:
        champion = registry.load_version(champion_before)
        champion_ndcg = _ndcg10(hold_pairs, champion.score(hold_pairs))
        meta = registry.champion_metadata()
        champion_fit_end = pd.Timestamp(meta["params"].get("holdout_start", h))
        overlap = int((pd.to_datetime(hold_frame["as_of"]) < champion_fit_end).sum())
    promoted, reason = _gate(new_ndcg, champion_ndcg, champion_before, overlap)

    train_start = pd.to_datetime(fit_frame["as_of"]).min()
    params = {
        "model": type(ranker).__name__,
        "train_start": train_start.date().isoformat(),
        "holdout_start": h.date().isoformat(),
        "train_end": end.date().isoformat(),
        "train_pairs": len(fit_frame),
        "holdout_pairs": len(hold_frame),
        "n_features": len(FEATURES),
        "data_fingerprint": data_fingerprint(world),
        "gate_tolerance": settings.gate_tolerance,
        "holdout_fraction": settings.evaluation.holdout_fraction,
        **_flat_params(ranker),
    }
    run_metrics = {
        "holdout_ndcg10": new_ndcg,
        "holdout_ndcg5": _ndcg10(hold_pairs, hold_scores, k=5),
    }
    if champion_ndcg is not None:
        run_metrics["champion_holdout_ndcg10"] = champion_ndcg

    report(0.9, "logging to MLflow and registering the version")
    exp = registry.experiment_id()
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{end.date()}") as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(params)
        mlflow.log_metrics(run_metrics)
        model_dir = Path(tmp) / registry.ARTIFACT_PATH
        model_dir.mkdir()
        with open(model_dir / registry.ARTIFACT_FILE, "wb") as f:
            pickle.dump(ranker, f)
        (model_dir / "features.json").write_text(json.dumps(list(FEATURES), indent=1))
        if hasattr(ranker, "save"):
            # The LightGBM text model and its metadata, readable without Python.
            ranker.save(model_dir / "lightgbm")
        mlflow.log_artifacts(str(model_dir), artifact_path=registry.ARTIFACT_PATH)
        mlflow.set_tags({"promoted": str(promoted).lower(), "gate_reason": reason})
        artifact_uri = f"{run.info.artifact_uri}/{registry.ARTIFACT_PATH}"
    version = registry.register(run.info.run_id, artifact_uri, description=reason)
    if promoted:
        registry.promote(version)
    report(1.0, reason)
    return TrainResult(
        version=version,
        run_id=run.info.run_id,
        promoted=promoted,
        reason=reason,
        holdout_ndcg10=new_ndcg,
        champion_before=champion_before,
        champion_ndcg10=champion_ndcg,
        train_start=train_start.date(),
        holdout_start=h.date(),
        train_end=end.date(),
        train_pairs=len(fit_frame),
        holdout_pairs=len(hold_frame),
        seconds=time.perf_counter() - started,
    )
