"""Retraining: fit a challenger, gate it against the champion on the latest held-out window, refit
the winner on everything up to ``as_of``, log both fits to MLflow and register the served one.

The training window is every referral proposed before ``as_of`` with an outcome known before it.
Its last ``evaluation.holdout_fraction`` (by proposal date, from the holdout start H) is held out.

1. **Gate fits.** The challenger is fitted on what was known at H. So is the champion's
   specification (its structure, features, feature config and validated parameters, refitted on the
   same pre-H referrals), so the two are compared fairly: neither has seen the held-out window.
2. **The gate.** Both are measured on the held-out referrals (NDCG@10, one query per citizen); the
   challenger is promoted when it reaches ``gate_tolerance`` × the champion's figure.
   And by group (``matcher.fairness.group_check``): the challenger's held-out NDCG@10 and the
   calibration of its chance per gender, origin, district, age band and barrier; a challenger
   whose worst group is below ``audit.gate_min_group_ratio`` × the best beyond doubt is refused,
   and the reason names the group (also the first model: then there is no champion).
   Beside it, the **off-policy estimate** (``matcher.offpolicy``) of both on the held-out window's
   logged meetings: each one's expected successes per meeting in its top k over every open
   opportunity, from the logs alone, with a 95 % interval. It is recorded (MLflow metrics, the
   decision's text) and, by default, does not decide: on a window of a few thousand meetings its
   interval is wide and its ratio leans high for models like its own reward model. With
   ``offpolicy.gate_blocks`` it also refuses a challenger whose interval lies wholly below the
   champion's estimate.
3. **Refit.** A promoted challenger is refitted on the whole window up to ``as_of`` with its
   validated parameters (no new search): the most recent referrals are the most relevant, and the
   served model must not leave them to the gate alone. A challenger that is not promoted is
   registered as fitted for the gate.

One MLflow run holds both fits: ``gate_model/`` (what was measured) and ``model/`` (what is
registered and served), each a saved ranker (LightGBM text models and ``metadata.json``).
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher import calibration, metrics, registry
from matcher.evaluate import data_fingerprint, labelled_pairs, make_pairs
from matcher.i18n import said
from matcher.models.base import Pairs, Persistent, Ranker
from matcher.settings import get_settings
from matcher.world import World

GATE_ARTIFACT = "gate_model"
# The gate fit's held-out figures per group (matcher.fairness.group_check), one table per measure.
GROUP_ARTIFACT = "group_check"


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
    # The registered model's own window: up to train_end when refitted after promotion, else up to H.
    served_train_end: date | None = None
    served_pairs: int = 0
    # The off-policy estimates on the held-out window (matcher.offpolicy.Estimate), when computed.
    offpolicy: object | None = None
    champion_offpolicy: object | None = None
    # The gate's group check (matcher.fairness.GroupCheck).
    group_check: object | None = None

    @property
    def refitted(self) -> bool:
        return self.served_train_end == self.train_end

    @property
    def outcome(self) -> str:
        """One sentence for the app, in any language (``matcher.i18n.text_of``)."""
        key = "training_done_promoted" if self.promoted else "training_done_kept"
        return said(key, version=str(self.version), ndcg=round(float(self.holdout_ndcg10), 4))

    def describe(self) -> str:
        """A short text summary for the command line."""
        decision = "promoted to champion" if self.promoted else "NOT promoted"
        served = (
            f"  served model refitted on all {self.served_pairs:,} referrals proposed {self.train_start} .. {self.train_end} (exclusive)"
            if self.refitted
            else f"  registered as fitted for the gate (up to {self.holdout_start})"
        )
        return "\n".join(
            [
                f"registered version {self.version} (run {self.run_id}): {decision}",
                f"  reason: {self.reason}",
                f"  gate fits on {self.train_pairs:,} referrals proposed {self.train_start} .. {self.holdout_start} (exclusive), "
                f"held out {self.holdout_pairs:,} proposed {self.holdout_start} .. {self.train_end} (exclusive)",
                f"  held-out NDCG@10: {self.holdout_ndcg10:.4f}"
                + (f" vs champion v{self.champion_before} refitted on the same window: {self.champion_ndcg10:.4f}" if self.champion_ndcg10 is not None else ""),
                *([f"  challenger: {self.offpolicy.describe()}"] if self.offpolicy is not None else []),
                *([f"  champion v{self.champion_before}: {self.champion_offpolicy.describe()}"] if self.champion_offpolicy is not None else []),
                served,
                f"  {self.seconds:.0f} s",
            ]
        )


def holdout_start(frame: pd.DataFrame, fraction: float) -> pd.Timestamp:
    """The proposal date from which the last ``fraction`` of the window's referrals are held out."""
    return pd.Timestamp(pd.to_datetime(frame["as_of"]).quantile(1.0 - fraction)).normalize()


def _ndcg10(pairs: Pairs, scores: np.ndarray, k: int = 10) -> float:
    """NDCG@k over the held-out referrals, one query per citizen.

    A query per citizen and proposal date mostly holds one or two referrals, which any model
    ranks nearly right; a citizen's held-out referrals together are what the gate can rank.
    """
    frame = pairs.frame.assign(query_id=pairs.frame["citizen_id"], score=scores)
    return metrics.ndcg_at_k(frame, k, get_settings().evaluation.seed)


def _gate(new: float, champion: float | None, champion_version: str | None, note: str = "") -> tuple[bool, str]:
    """Promote when there is no comparable champion, or the new model reaches tolerance × its NDCG@10."""
    tolerance = get_settings().gate_tolerance
    if champion is None:
        return True, ("no champion yet: the first registered model becomes champion" if champion_version is None else note)
    bar = tolerance * champion
    same = f"champion v{champion_version} refitted on the same window"
    if new >= bar:
        return True, f"held-out NDCG@10 {new:.4f} ≥ {tolerance:g} × {same}: {champion:.4f}"
    return False, f"held-out NDCG@10 {new:.4f} < {tolerance:g} × {same}: {champion:.4f}; champion v{champion_version} stays"


def _flat_params(ranker: Ranker) -> dict[str, str]:
    """The settings' ranker parameters and, when the ranker records them, the ones it chose."""
    params = {f"ranker.{k}": str(v) for k, v in get_settings().ranker.model_dump().items()}
    plan = (getattr(ranker, "metadata", None) or {}).get("plan", {})
    for head, chosen in plan.items():
        params.update({f"chosen.{head}.{k}": str(v) for k, v in chosen.get("params", {}).items()})
    return params


class _Features:
    """Feature matrices for one world, one per feature config (challenger and champion may differ)."""

    def __init__(self, world: World, features: Callable | None = None) -> None:
        from matcher.features.build import FeatureSpace

        self.world, self._spaces, self._space_of, self._features = world, {}, FeatureSpace.of, features

    def space(self, config):
        if config not in self._spaces:
            self._spaces[config] = self._space_of(self.world, config)
        return self._spaces[config]

    def pairs(self, frame: pd.DataFrame, config) -> Pairs:
        if self._features is None:
            return make_pairs(self.world, frame, self.space(config))
        frame = frame.reset_index(drop=True)
        return Pairs(frame, self._features(self.world, frame, self.space(config)), self.world)


def _champion_on(at_h: _Features, fit_frame, hold_frame) -> tuple[str | None, float | None, str, Ranker | None]:
    """The champion's specification refitted before H and scored on the held-out window (and the refit)."""
    version = registry.champion_version()
    if version is None:
        return None, None, "", None
    try:
        champion = registry.load_version(version)
    except (ValueError, FileNotFoundError) as unusable:
        return version, None, f"champion v{version} cannot be compared ({unusable}); the challenger replaces it", None
    if not hasattr(champion, "refit"):
        return version, None, f"champion v{version} ({type(champion).__name__}) cannot be refitted for a fair comparison; the challenger replaces it", None
    config = getattr(champion, "feature_config", None)
    twin = champion.refit(at_h.pairs(fit_frame, config))
    hold = at_h.pairs(hold_frame, config)
    return version, _ndcg10(hold, twin.score(hold)), "", twin


def _offpolicy_gate(at_end: _Features, h: pd.Timestamp, end: pd.Timestamp, challenger: Ranker,
                    twin: Ranker | None) -> tuple[object | None, object | None, str]:
    """Both gate fits estimated from the held-out window's logged meetings (``matcher.offpolicy``):
    (challenger's estimate, champion's estimate, a sentence for the decision)."""
    from matcher.models.base import predict
    from matcher.offpolicy import OffPolicy

    try:
        ope = OffPolicy.from_log(at_end.world, h, end, space=at_end.space(challenger.feature_config))
    except ValueError as why:
        return None, None, f"no off-policy estimate ({why})"
    mine = ope.evaluate(challenger)
    theirs = None
    if twin is not None:
        pairs = at_end.pairs(ope.pairs.frame, getattr(twin, "feature_config", None))
        theirs = ope.estimate(predict(twin, pairs).score)
    k, (lo, hi) = mine.k, mine.ci["dr"]
    text = f"off-policy DR estimate of successes in the top {k} per logged meeting {mine.value['dr']:.3f} ({lo:.3f}–{hi:.3f})"
    if theirs is not None:
        text += f" vs champion {theirs.value['dr']:.3f} ({theirs.ci['dr'][0]:.3f}–{theirs.ci['dr'][1]:.3f})"
    return mine, theirs, text


def _group_check(world: World, ranker: Ranker, hold: Pairs, scores: np.ndarray, h: pd.Timestamp):
    """The gate's group check (``matcher.fairness.group_check``) of the challenger's gate fit."""
    from matcher.fairness import group_check
    from matcher.models.base import predict

    return group_check(world, hold.frame, scores, predict(ranker, hold).chance, h)


def train_and_register(
    engine: Engine,
    as_of: date | None = None,
    ranker: Ranker | None = None,
    progress: Callable[[float, str], None] | None = None,
    actor=None,
    features: Callable | None = None,
) -> TrainResult:
    """Train on referrals proposed before ``as_of`` (all when None), gate, refit, log, register, promote.

    ``ranker``: the challenger (default: a fresh ``LightGBMRanker``); it must be ``Persistent`` and
    have ``refit`` to be served. ``progress``: called with a fraction 0..1 and the step under way.
    ``actor``: who trains (a signed-in data scientist; default the command line's operator),
    authorised and audited by the registry, which also marks runs of killed trainings failed.
    ``features``: builds the feature matrices, ``(world, frame, space) -> DataFrame`` (default:
    here, ``build_features``; ``matcher.cluster.DaskFeatures`` builds them on a Dask cluster).
    """
    report = progress or (lambda fraction, step: None)
    import mlflow

    from matcher.auth import operator
    from matcher.features.build import FEATURES
    from matcher.models.lgbm import LightGBMRanker

    started = time.perf_counter()
    settings = get_settings()
    ranker = ranker or LightGBMRanker()
    if not isinstance(ranker, Persistent) or not hasattr(ranker, "refit"):
        raise TypeError(f"train: {type(ranker).__name__} cannot be registered (it needs save, feature_config and refit)")
    actor = registry.begin_training(engine, actor or operator())
    report(0.05, said("training_loading"))
    world = World.from_db(engine)
    if world.referrals.empty:
        raise ValueError("train: the database holds no referrals; import a folder with a referral history first")
    last = pd.concat([world.referrals["proposed_on"], world.referrals["outcome_on"]]).max()
    end = pd.Timestamp(as_of) if as_of is not None else last + pd.Timedelta(days=1)
    window = labelled_pairs(world, None, end)
    if window["query_id"].nunique() < 10:
        raise ValueError(f"train: only {len(window)} referrals with known outcomes before {end.date()}; too few to train")
    h = holdout_start(window, settings.evaluation.holdout_fraction)
    fit_frame = labelled_pairs(world, None, h)
    hold_frame = window[pd.to_datetime(window["as_of"]) >= h]
    at_h = _Features(world.as_of(h), features)

    report(0.15, said("training_features", fit=len(fit_frame), held=len(hold_frame)))
    fit_pairs, hold_pairs = at_h.pairs(fit_frame, ranker.feature_config), at_h.pairs(hold_frame, ranker.feature_config)
    report(0.25, said("training_fitting"))
    ranker.fit(fit_pairs)
    hold_scores = ranker.score(hold_pairs)
    chance_table = calibration.measure(ranker, hold_pairs)  # the chance's interval, saved with the model
    new_ndcg = _ndcg10(hold_pairs, hold_scores)
    report(0.5, said("training_gate"))
    champion_before, champion_ndcg, note, twin = _champion_on(at_h, fit_frame, hold_frame)
    promoted, reason = _gate(new_ndcg, champion_ndcg, champion_before, note)
    check = _group_check(world, ranker, hold_pairs, hold_scores, h)
    if promoted and not check.passed:
        promoted = False
        reason += f"; {check.reason}: " + (f"champion v{champion_before} stays" if champion_before else "not promoted")
    else:
        reason += f"; {check.reason}"
    estimate = champion_estimate = None
    at_end = _Features(world.as_of(end), features)
    if settings.offpolicy.gate_estimate:
        report(0.55, said("training_offpolicy"))
        estimate, champion_estimate, sentence = _offpolicy_gate(at_end, h, end, ranker, twin)
        reason += f"; {sentence}"
        if (promoted and settings.offpolicy.gate_blocks and estimate is not None and champion_estimate is not None
                and estimate.ci["dr"][1] < champion_estimate.value["dr"]):
            promoted = False
            reason += f"; its interval lies below the champion's estimate (offpolicy.gate_blocks): champion v{champion_before} stays"

    served, served_end, served_pairs = ranker, h, len(fit_frame)
    if promoted:
        report(0.65, said("training_refit", n=len(window), end=end.date()))
        served = ranker.refit(at_end.pairs(window, ranker.feature_config))
        served_end, served_pairs = end, len(window)

    train_start = pd.to_datetime(fit_frame["as_of"]).min()
    params = {
        "model": type(ranker).__name__,
        "train_start": train_start.date().isoformat(),
        "holdout_start": h.date().isoformat(),
        "train_end": end.date().isoformat(),
        "served_train_end": served_end.date().isoformat(),
        "train_pairs": len(fit_frame),
        "holdout_pairs": len(hold_frame),
        "served_pairs": served_pairs,
        "n_features": len(FEATURES),
        "data_fingerprint": data_fingerprint(world),
        "gate_tolerance": settings.gate_tolerance,
        "holdout_fraction": settings.evaluation.holdout_fraction,
        **_flat_params(ranker),
    }
    run_metrics = {"holdout_ndcg10": new_ndcg, "holdout_ndcg5": _ndcg10(hold_pairs, hold_scores, k=5)}
    if champion_ndcg is not None:
        run_metrics["champion_holdout_ndcg10"] = champion_ndcg
    run_metrics.update(check.metrics())
    for prefix, est in (("offpolicy", estimate), ("champion_offpolicy", champion_estimate)):
        if est is not None:
            run_metrics.update({f"{prefix}_dr{est.k}": est.value["dr"], f"{prefix}_dr{est.k}_lo": est.ci["dr"][0],
                                f"{prefix}_dr{est.k}_hi": est.ci["dr"][1], f"{prefix}_ips{est.k}": est.value["ips"],
                                f"{prefix}_snips{est.k}": est.value["snips"], f"{prefix}_ratio{est.k}": est.ratio})

    report(0.9, said("training_logging"))
    with registry.start_run(f"train-{end.date()}") as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(params)
        mlflow.log_metrics(run_metrics)
        mlflow.log_artifacts(str(ranker.save(Path(tmp) / GATE_ARTIFACT)), artifact_path=GATE_ARTIFACT)
        for measure, table in check.tables.items():
            mlflow.log_table(table, artifact_file=f"{GROUP_ARTIFACT}/{measure}.json")
        served_dir = served.save(Path(tmp) / registry.ARTIFACT_PATH)
        calibration.save(chance_table, served_dir)
        mlflow.log_artifacts(str(served_dir), artifact_path=registry.ARTIFACT_PATH)
        mlflow.set_tags({registry.GATE_TAG: str(promoted).lower(), "gate_reason": reason, "refitted": str(promoted).lower(),
                         "group_check": str(check.passed).lower()})
        artifact_uri = f"{run.info.artifact_uri}/{registry.ARTIFACT_PATH}"
    version = registry.register(run.info.run_id, artifact_uri, description=reason)
    report(0.95, "writing the model card")
    from matcher.model_card import write_card

    write_card(version)
    if promoted:
        registry.promote(version, engine=engine, actor=actor, reason=reason)
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
        served_train_end=served_end.date(),
        served_pairs=served_pairs,
        offpolicy=estimate,
        champion_offpolicy=champion_estimate,
        group_check=check,
    )
