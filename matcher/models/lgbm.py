"""The LightGBM ranker: a calibrated success model plus an acceptance model, saved as text models.

Two heads, both LightGBM, both fitted on the referral log:

- **success**: the chance a proposal succeeds (completed or hired). ``settings.ranker.structure``
  picks its form: ``"binary"`` (default: one pointwise binary model of success), ``"chain"`` (one
  binary model per funnel step — declined, no-show, rejected, dropped out — each on the referrals
  that reached it; the score is log P(passing every step)) or ``"lambdarank"`` (graded gains,
  queries per ``settings.ranker.query_by``; it orders but gives no probability).
- **acceptance**: the chance the citizen does not decline (what the citizen wants: wishes,
  commute, hours), a binary model on every referral with a known outcome.

The score is log P(success) (binary, chain) or the lambdarank score. Hyperparameters are chosen by
time-ordered validation: the last ``VALIDATION_FRACTION`` of the training window (by proposal
date) is held out, every grid point is trained with early stopping there, and the best is
refitted on the whole window with a proportionally longer run. Monotone constraints come from
``matcher.features.build.MONOTONE`` (for a failure model they are reversed). The stated limits
(commute, hours, Danish, licence) are features with monotone constraints: the model prices them,
it does not obey them as cliffs.

Everything that shapes a score travels with the fitted ranker: the structure, the features, the
chosen parameters and iteration counts, and the :class:`~matcher.features.config.FeatureConfig`
its features were computed with. ``save`` writes LightGBM text models and ``metadata.json``;
``load`` needs nothing else (no pickle, no settings).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from matcher.features.build import FEATURES, MONOTONE
from matcher.features.config import FeatureConfig
from matcher.models.base import Pairs, Prediction, feature_matrix
from matcher.settings import get_settings

VALIDATION_FRACTION = 0.2
EVAL_AT = 10
METADATA_FILE = "metadata.json"
ARTIFACT_KIND = "lightgbm"
STRUCTURES = ("binary", "chain", "lambdarank")
# settings.ranker.query_by -> the column that names a lambdarank query.
QUERY_KEYS = {"citizen": "citizen_id", "citizen_date": "query_id"}
# Below this many rows LightGBM's threads cost more than they save (measured: 4k pairs train
# 4x faster on one thread than on two on a shared two-core machine).
SMALL_ROWS = 50_000


def _threads(rows: int) -> int:
    return 1 if rows < SMALL_ROWS else get_settings().ranker.n_jobs


def fingerprint(frame: pd.DataFrame, features: pd.DataFrame) -> str:
    """A short hash of the training pairs, their gains and their feature values."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame[["citizen_id", "opportunity_id", "as_of", "gain"]], index=False).to_numpy().tobytes())
    h.update(pd.util.hash_pandas_object(features.reset_index(drop=True), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def _group_sizes(query_id: pd.Series) -> np.ndarray:
    """Sizes of consecutive runs of equal query ids (the frame must be sorted by query)."""
    codes = pd.factorize(query_id)[0]
    if len(codes) and (np.diff(codes) < 0).any():
        raise ValueError("training pairs must be contiguous by query")
    return np.bincount(codes) if len(codes) else np.zeros(0, dtype=int)


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _log_pass_contributions(booster: lgb.Booster, X: np.ndarray, num_threads: int) -> np.ndarray:
    """Contributions to log P(pass) = -softplus(z) of a failure model with log-odds z.

    Each feature's SHAP value on z is carried along the secant of -softplus between the model's
    expected value and the pair's z, so contributions keep their sign and add up to log P(pass).
    """
    contrib = booster.predict(X, pred_contrib=True, num_threads=num_threads)
    bias, z = contrib[:, -1], contrib.sum(axis=1)
    delta = z - bias
    close = np.abs(delta) < 1e-9
    slope = np.where(close, -1.0 / (1.0 + np.exp(-z)), (_softplus(bias) - _softplus(z)) / np.where(close, 1.0, delta))
    scaled = contrib * slope[:, None]
    scaled[:, -1] = -_softplus(bias)
    return scaled


class FailureChain:
    """Failure models (log-odds of failing at a step) as one score: log P(passing them all).

    A binary success model is the one-step chain whose "failure" is not succeeding.
    """

    def __init__(self, stages: list[str], boosters: list[lgb.Booster]) -> None:
        if len(stages) != len(boosters) or not stages:
            raise ValueError(f"a failure chain needs one booster per stage, got {len(stages)} stages and {len(boosters)} boosters")
        self.stages = list(stages)
        self.boosters = list(boosters)

    def predict(self, X: np.ndarray, num_threads: int = 0) -> np.ndarray:
        return -sum(_softplus(b.predict(X, raw_score=True, num_threads=num_threads)) for b in self.boosters)

    def contributions(self, X: np.ndarray, num_threads: int = 0) -> np.ndarray:
        return sum(_log_pass_contributions(b, X, num_threads) for b in self.boosters)

    def feature_importance(self, importance_type: str = "gain") -> np.ndarray:
        return np.sum([b.feature_importance(importance_type=importance_type) for b in self.boosters], axis=0)


def _stopped_at(frame: pd.DataFrame, stages: list[str]) -> np.ndarray:
    """The funnel step each labelled referral stopped at (its index in ``stages``; len(stages): success).

    The gain is the label (the Ranker protocol's): it says how far a referral got; the
    ``outcome`` only says at which of the steps with that gain it stopped (declined, no-show and
    rejected share gain 0). An outcome that disagrees with its gain is placed at the first step
    with that gain.
    """
    s = get_settings()
    unknown = sorted(set(stages) - set(s.gains))
    if unknown:
        raise ValueError(f"settings.ranker.chain_stages: {unknown} are not outcomes with a gain ({sorted(s.gains)})")
    gain = frame["gain"].to_numpy(dtype=float)
    success_gain = min(s.gains[o] for o in s.success_outcomes)
    stage_gain = np.array([s.gains[st] for st in stages], dtype=float)
    stopped = np.full(len(frame), len(stages), dtype=np.int64)
    failed = gain < success_gain
    first_with_gain = {g: int(np.flatnonzero(stage_gain == g)[0]) for g in np.unique(stage_gain)}
    orphans = sorted(set(np.unique(gain[failed])) - set(first_with_gain))
    if orphans:
        raise ValueError(f"training pairs: gain(s) {orphans} below success belong to no step of settings.ranker.chain_stages {stages}")
    stopped[failed] = pd.Series(gain[failed]).map(first_with_gain).to_numpy()
    outcome = frame["outcome"].astype(str).to_numpy()
    for k, st in enumerate(stages):
        stopped[failed & (outcome == st) & (gain == stage_gain[k])] = k
    return stopped


def _grid(grid: dict) -> list[dict]:
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]


class LightGBMRanker:
    """The product's ranker behind the ``Ranker`` protocol; also ``Predicts``, ``Explains``, ``Persistent``."""

    def __init__(
        self,
        features: list[str] | None = None,
        params: dict | None = None,
        seed: int = 0,
        structure: str | None = None,
        feature_config: FeatureConfig | None = None,
    ) -> None:
        self.features = list(features or FEATURES)
        self.params = dict(params or {})
        self.seed = seed
        default = get_settings().ranker.structure
        self.structure = structure or default
        if self.structure not in STRUCTURES:
            raise ValueError(f"ranker structure must be one of {STRUCTURES}, got {self.structure!r}")
        # The configured structure is "lightgbm"; the evaluation also runs the others by name.
        self.name = "lightgbm" if self.structure == default else f"lightgbm_{self.structure}"
        self.feature_config = feature_config or FeatureConfig.from_settings()
        self.success: FailureChain | lgb.Booster | None = None
        self.acceptance_model: FailureChain | None = None
        self.metadata: dict = {}

    # ---- training ------------------------------------------------------------------------

    def _base_params(self, objective: str, monotone_sign: int, rows: int) -> dict:
        r = get_settings().ranker
        return {
            "objective": objective,
            "learning_rate": r.learning_rate,
            "num_leaves": r.num_leaves,
            "min_data_in_leaf": r.min_child_samples,
            "bagging_fraction": r.subsample,
            "bagging_freq": 1,
            "feature_fraction": r.colsample_bytree,
            "monotone_constraints": [monotone_sign * MONOTONE.get(f, 0) for f in self.features],
            "monotone_constraints_method": "intermediate",
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
            "num_threads": _threads(rows),
            **self.params,
        }

    def _fit_binary(self, X: np.ndarray, y: np.ndarray, is_valid: np.ndarray | None, monotone_sign: int,
                    grid: dict, what: str, plan: dict | None) -> tuple[lgb.Booster, dict]:
        """One binary model of ``y`` (1 = failure at this step): grid by validation log loss, then
        refitted on every row. ``plan``: a validated choice to reuse (params and rounds), no search."""
        r = get_settings().ranker
        base = self._base_params("binary", monotone_sign, len(y)) | {"metric": "binary_logloss"}
        if len(np.unique(y)) < 2:
            raise ValueError(f"cannot train the {what} model: all {len(y)} training referrals have the same outcome there")
        if plan is not None:
            rounds = max(1, int(round(plan["rounds_per_row"] * len(y))))
            booster = lgb.train(base | plan["params"], lgb.Dataset(X, label=y, feature_name=self.features), num_boost_round=rounds)
            return booster, {**plan, "rounds": rounds, "rows": int(len(y)), "failure_rate": float(y.mean())}
        trials = []
        chosen = {"params": {}, "best_iteration": r.n_estimators, "valid_logloss": None}
        if is_valid is not None and len(np.unique(y[~is_valid])) == 2 and len(np.unique(y[is_valid])) == 2:
            dtrain = lgb.Dataset(X[~is_valid], label=y[~is_valid], feature_name=self.features, free_raw_data=False)
            dvalid = lgb.Dataset(X[is_valid], label=y[is_valid], reference=dtrain)
            for point in _grid(grid):
                evals: dict = {}
                lgb.train(base | point, dtrain, num_boost_round=r.n_estimators, valid_sets=[dvalid], valid_names=["valid"],
                          callbacks=[lgb.early_stopping(r.early_stopping_rounds, verbose=False), lgb.record_evaluation(evals)])
                curve = evals["valid"]["binary_logloss"]
                best = int(np.argmin(curve)) + 1
                trials.append({"model": what, "params": point, "best_iteration": best, "valid_logloss": float(curve[best - 1])})
            chosen = min(trials, key=lambda t: t["valid_logloss"])
            # Refit on every row, a proportionally longer run: it holds 1 / (1 - fraction) more rows.
            rounds = max(1, int(round(chosen["best_iteration"] * len(y) / int((~is_valid).sum()))))
        else:
            rounds = chosen["best_iteration"]
        booster = lgb.train(base | chosen["params"], lgb.Dataset(X, label=y, feature_name=self.features), num_boost_round=rounds)
        return booster, {"params": chosen["params"], "rounds": rounds, "rounds_per_row": rounds / len(y), "rows": int(len(y)),
                         "failure_rate": float(y.mean()), "valid_logloss": chosen["valid_logloss"], "trials": trials}

    def _fit_lambdarank(self, frame: pd.DataFrame, X: np.ndarray, is_valid: np.ndarray | None, plan: dict | None) -> tuple[lgb.Booster, dict]:
        r = get_settings().ranker
        group = frame[QUERY_KEYS[r.query_by]].to_numpy()

        def dataset(rows: np.ndarray) -> lgb.Dataset:
            return lgb.Dataset(X[rows], label=frame["gain"].to_numpy()[rows], group=_group_sizes(pd.Series(group[rows])),
                               feature_name=self.features, free_raw_data=False)

        base = self._base_params("lambdarank", 1, len(frame)) | {"metric": "ndcg", "eval_at": [EVAL_AT]}
        everything = np.ones(len(frame), dtype=bool)
        if plan is not None:
            rounds = max(1, int(round(plan["rounds_per_row"] * len(frame))))
            return lgb.train(base | plan["params"], dataset(everything), num_boost_round=rounds), {**plan, "rounds": rounds, "rows": len(frame)}
        trials = []
        chosen = {"params": {}, "best_iteration": r.n_estimators}
        if is_valid is not None:
            dtrain, dvalid = dataset(~is_valid), dataset(is_valid)
            for point in _grid(r.grid):
                evals: dict = {}
                lgb.train(base | point, dtrain, num_boost_round=r.n_estimators, valid_sets=[dvalid], valid_names=["valid"],
                          callbacks=[lgb.early_stopping(r.early_stopping_rounds, verbose=False), lgb.record_evaluation(evals)])
                curve = evals["valid"][f"ndcg@{EVAL_AT}"]
                best = int(np.argmax(curve)) + 1
                trials.append({"model": "success", "params": point, "best_iteration": best, f"valid_ndcg@{EVAL_AT}": float(curve[best - 1])})
            chosen = max(trials, key=lambda t: t[f"valid_ndcg@{EVAL_AT}"])
            rounds = max(1, int(round(chosen["best_iteration"] * len(frame) / int((~is_valid).sum()))))
        else:
            rounds = chosen["best_iteration"]
        booster = lgb.train(base | chosen["params"], dataset(everything), num_boost_round=rounds)
        return booster, {"params": chosen["params"], "rounds": rounds, "rounds_per_row": rounds / len(frame), "rows": len(frame), "trials": trials}

    def fit(self, train: Pairs, plan: dict | None = None) -> "LightGBMRanker":
        """Choose hyperparameters on the last part of the window, then refit on all of it.

        ``plan``: the ``metadata["plan"]`` of a validated ranker; its parameters and iterations
        (per training row) are reused without a new search: the refit after the quality gate.
        """
        frame, features = self._sorted(train)
        if frame["gain"].nunique() < 2:
            raise ValueError(f"cannot train a ranker: all {len(frame)} training pairs have the same gain")
        started = time.perf_counter()
        r = get_settings().ranker
        X = features[self.features].to_numpy(dtype=float)
        split = frame["as_of"].quantile(1 - VALIDATION_FRACTION)
        is_valid = (frame["as_of"] >= split).to_numpy()
        if not (is_valid.any() and (~is_valid).any()):
            is_valid = None  # one proposal date only: the settings' defaults are used
        plans: dict = {}
        reused = (plan or {}).get

        if self.structure == "lambdarank":
            self.success, plans["success"] = self._fit_lambdarank(frame, X, is_valid, reused("success"))
        else:
            stages = list(r.chain_stages) if self.structure == "chain" else ["not_success"]
            stopped = _stopped_at(frame, list(r.chain_stages)) if self.structure == "chain" else None
            success = (frame["gain"].to_numpy() >= min(get_settings().gains[o] for o in get_settings().success_outcomes))
            boosters = []
            reached = np.ones(len(frame), dtype=bool)
            for k, stage in enumerate(stages):
                y = (stopped == k).astype(float) if stopped is not None else (~success).astype(float)
                booster, plans[stage] = self._fit_binary(
                    X[reached], y[reached], None if is_valid is None else is_valid[reached], -1,
                    r.binary_grid if stopped is None else r.chain_grid, stage, reused(stage))
                boosters.append(booster)
                if stopped is not None:
                    reached &= stopped != k
            self.success = FailureChain(stages, boosters)
        declined = (frame["outcome"].astype(str) == "declined").to_numpy(dtype=float)
        accept, plans["acceptance"] = self._fit_binary(X, declined, is_valid, -1, r.binary_grid, "acceptance", reused("acceptance"))
        self.acceptance_model = FailureChain(["declined"], [accept])

        self.metadata = {
            "kind": ARTIFACT_KIND,
            "ranker": self.name,
            "structure": self.structure,
            "stages": self.success.stages if isinstance(self.success, FailureChain) else None,
            "features": self.features,
            "feature_config": self.feature_config.to_dict(),
            "monotone": {f: MONOTONE[f] for f in self.features if f in MONOTONE},
            "training_window": [str(frame["as_of"].min().date()), str(frame["as_of"].max().date())],
            "validation_from": str(pd.Timestamp(split).date()),
            "n_pairs": int(len(frame)),
            "n_queries": int(frame["query_id"].nunique()),
            "query_by": r.query_by,
            "gain_counts": {str(k): int(v) for k, v in frame["gain"].value_counts().sort_index().items()},
            "data_fingerprint": fingerprint(frame, features),
            "plan": {k: {key: v[key] for key in ("params", "rounds_per_row")} for k, v in plans.items()},
            "fits": {k: {key: val for key, val in v.items() if key != "trials"} for k, v in plans.items()},
            "grid": [t for v in plans.values() for t in v.get("trials", [])],
            "refit_of_plan": plan is not None,
            "lightgbm_version": lgb.__version__,
            "fit_seconds": round(time.perf_counter() - started, 2),
            "gains": get_settings().gains,
            "success_outcomes": list(get_settings().success_outcomes),
        }
        return self

    def refit(self, train: Pairs) -> "LightGBMRanker":
        """A new ranker of the same structure, features and feature config, fitted on ``train``
        with this one's validated parameters (no new search)."""
        if not self.metadata.get("plan"):
            raise RuntimeError("refit: this ranker was not fitted, so it has no validated parameters")
        twin = LightGBMRanker(self.features, self.params, self.seed, self.structure, self.feature_config)
        twin.name = self.name
        return twin.fit(train, plan=self.metadata["plan"])

    def _sorted(self, train: Pairs) -> tuple[pd.DataFrame, pd.DataFrame]:
        needed = ("gain", "query_id", "as_of", "outcome")
        missing = [c for c in needed if c not in train.frame.columns]
        if missing:
            raise ValueError(f"training pairs lack column(s) {missing}; build them with matcher.labels.training_pairs")
        self._check_features(train.features)
        query_by = get_settings().ranker.query_by
        if query_by not in QUERY_KEYS:
            raise ValueError(f"settings.ranker.query_by must be one of {list(QUERY_KEYS)}, got {query_by!r}")
        group = train.frame[QUERY_KEYS[query_by]].to_numpy()
        # Queries contiguous (lambdarank's layout), each in time order; the time split keeps that.
        order = np.lexsort((train.frame["query_id"].to_numpy(), train.frame["as_of"].to_numpy(), group))
        return train.frame.iloc[order].reset_index(drop=True), train.features.iloc[order].reset_index(drop=True)

    def _check_features(self, features: pd.DataFrame) -> None:
        missing = [f for f in self.features if f not in features.columns]
        if missing:
            raise ValueError(f"feature matrix lacks {len(missing)} column(s) the ranker uses, e.g. {missing[:5]}")

    # ---- scoring -------------------------------------------------------------------------

    def _matrix(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        if self.success is None:
            raise RuntimeError("the ranker is not fitted: call fit() or load() first")
        features = feature_matrix(pairs)
        self._check_features(features)
        return features[self.features].to_numpy(dtype=float)

    def score(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        """Higher is better: log P(success), or the lambdarank score. Accepts ``Pairs`` or a feature frame."""
        if not len(pairs):
            return np.zeros(0)
        X = self._matrix(pairs)
        if isinstance(self.success, FailureChain):
            return self.success.predict(X, num_threads=_threads(len(X)))
        return self.success.predict(X, num_threads=_threads(len(X)))

    def predict(self, pairs: Pairs | pd.DataFrame) -> Prediction:
        """Score, chance of success (None for lambdarank) and chance the citizen says yes."""
        if not len(pairs):
            return Prediction(np.zeros(0), np.zeros(0), np.zeros(0))
        X = self._matrix(pairs)
        threads = _threads(len(X))
        acceptance = np.exp(self.acceptance_model.predict(X, num_threads=threads))
        if isinstance(self.success, FailureChain):
            log_p = self.success.predict(X, num_threads=threads)
            return Prediction(log_p, np.exp(log_p), acceptance)
        return Prediction(self.success.predict(X, num_threads=threads), None, acceptance)

    def contributions(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        """Per-feature contributions to the score, shape (n, len(features) + 1); the last column is the bias."""
        X = self._matrix(pairs)
        if isinstance(self.success, FailureChain):
            return self.success.contributions(X, num_threads=_threads(len(X)))
        return self.success.predict(X, pred_contrib=True, num_threads=_threads(len(X)))

    def feature_importance(self) -> pd.Series:
        """Total gain per feature of the success model, largest first."""
        if self.success is None:
            raise RuntimeError("the ranker is not fitted")
        values = self.success.feature_importance(importance_type="gain")
        return pd.Series(values, index=self.features).sort_values(ascending=False)

    # ---- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write ``success_<stage>.txt`` (or ``success.txt`` for lambdarank), ``acceptance.txt`` and
        ``metadata.json`` into the folder ``path``: LightGBM text models, readable without Python."""
        if self.success is None:
            raise RuntimeError("nothing to save: the ranker is not fitted")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if isinstance(self.success, FailureChain):
            for stage, b in zip(self.success.stages, self.success.boosters):
                b.save_model(str(path / f"success_{stage}.txt"))
        else:
            self.success.save_model(str(path / "success.txt"))
        self.acceptance_model.boosters[0].save_model(str(path / "acceptance.txt"))
        (path / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LightGBMRanker":
        """A fitted ranker from a folder written by :meth:`save`; reads no settings."""
        path = Path(path)
        if not (path / METADATA_FILE).exists():
            raise FileNotFoundError(f"no {METADATA_FILE} in {path}: not a saved LightGBM ranker")
        metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
        if metadata.get("kind") != ARTIFACT_KIND:
            raise ValueError(f"{path}: a {metadata.get('kind')!r} artefact, not {ARTIFACT_KIND!r}")
        ranker = cls.__new__(cls)
        ranker.features = list(metadata["features"])
        ranker.params, ranker.seed = {}, 0
        ranker.structure = metadata["structure"]
        ranker.name = metadata["ranker"]
        ranker.feature_config = FeatureConfig.from_dict(metadata["feature_config"])
        ranker.metadata = metadata

        def booster(name: str) -> lgb.Booster:
            file = path / name
            if not file.exists():
                raise FileNotFoundError(f"saved ranker at {path}: {name} is missing")
            return lgb.Booster(model_file=str(file))

        if metadata["stages"]:
            ranker.success = FailureChain(metadata["stages"], [booster(f"success_{s}.txt") for s in metadata["stages"]])
        else:
            ranker.success = booster("success.txt")
        ranker.acceptance_model = FailureChain(["declined"], [booster("acceptance.txt")])
        if ranker.success_feature_names() != ranker.features:
            raise ValueError(f"saved ranker at {path}: the model files' features differ from metadata.json's")
        return ranker

    def success_feature_names(self) -> list[str]:
        first = self.success.boosters[0] if isinstance(self.success, FailureChain) else self.success
        return list(first.feature_name())
