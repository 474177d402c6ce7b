"""The LightGBM ranker: a chain of funnel-step models (default) or one lambdarank model.

``settings.ranker.structure = "chain"``: a referral either fails at one step of the funnel
(declined by the citizen, no-show, rejected by the employer or provider, dropped out) or
succeeds (completed, hired). One binary LightGBM model per step learns the probability of
failing there among the referrals that reached it; a pair's score is the log probability of
passing every step, log P(success). Why: the referral log only holds what caseworkers proposed,
while a recommendation ranks every open opportunity; each step depends on few drivers (the
citizen's wish and commute for a decline, skills and Danish for a rejection), so small trees per
step extrapolate far better to unlogged pairs than one deep model of the whole outcome
(oracle ratio@10 on the default world's development split, chosen inside the training window:
chain 0.934, lambdarank 0.866 with citizen x date queries and 0.878 with citizen queries,
logistic peer 0.881; boosting each step from a logistic base scored 0.888).

``structure = "lambdarank"``: graded gains, queries per ``settings.ranker.query_by``.

Hyperparameters are chosen by time-ordered validation: the last ~20 % of the training window
(by proposal date) is held out, every grid point is trained with early stopping there (per step:
log loss; lambdarank: NDCG@10), and the best is refitted on the whole window with its best
iteration count. Monotone constraints come from ``matcher.features.build.MONOTONE`` (for a step's
failure model they are reversed: what may only lower the score may only raise a failure).
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
from matcher.models.base import Pairs
from matcher.settings import get_settings

VALIDATION_FRACTION = 0.2
EVAL_AT = 10
MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
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


class OutcomeChain:
    """The funnel-step boosters as one booster-like object: ``predict`` gives log P(success).

    Each step's booster predicts the log-odds z of failing at that step; passing it has log
    probability -softplus(z), and the score is their sum. Contributions (``pred_contrib``) are
    each step's SHAP values carried into that space along the secant of -softplus between the
    step's expected value and the pair's z, so they keep their sign and add up to the score.
    """

    def __init__(self, stages: list[str], boosters: list[lgb.Booster]) -> None:
        if len(stages) != len(boosters) or not stages:
            raise ValueError(f"an outcome chain needs one booster per stage, got {len(stages)} stages and {len(boosters)} boosters")
        self.stages = list(stages)
        self.boosters = list(boosters)

    def predict(self, X: np.ndarray, pred_contrib: bool = False, num_threads: int = 0, **_) -> np.ndarray:
        """log P(success) per row, or (n, features + 1) contributions that sum to it."""
        if not pred_contrib:
            return -sum(_softplus(b.predict(X, raw_score=True, num_threads=num_threads)) for b in self.boosters)
        total = 0.0
        for b in self.boosters:
            contrib = b.predict(X, pred_contrib=True, num_threads=num_threads)
            bias, z = contrib[:, -1], contrib.sum(axis=1)
            delta = z - bias
            # Secant slope of -softplus from the bias to z (its derivative -sigmoid where they meet).
            close = np.abs(delta) < 1e-9
            slope = np.where(close, -1.0 / (1.0 + np.exp(-z)), (_softplus(bias) - _softplus(z)) / np.where(close, 1.0, delta))
            scaled = contrib * slope[:, None]
            scaled[:, -1] = -_softplus(bias)
            total = total + scaled
        return total

    def feature_importance(self, importance_type: str = "split") -> np.ndarray:
        """Importance summed over the steps."""
        return np.sum([b.feature_importance(importance_type=importance_type) for b in self.boosters], axis=0)

    def feature_name(self) -> list[str]:
        return self.boosters[0].feature_name()

    def save_model(self, folder: str | Path) -> list[Path]:
        """One LightGBM text model per step: ``model_<stage>.txt`` in ``folder``."""
        paths = []
        for stage, b in zip(self.stages, self.boosters):
            paths.append(Path(folder) / f"model_{stage}.txt")
            b.save_model(str(paths[-1]))
        return paths

    @classmethod
    def load(cls, folder: str | Path, stages: list[str]) -> "OutcomeChain":
        missing = [st for st in stages if not (Path(folder) / f"model_{st}.txt").exists()]
        if missing:
            raise FileNotFoundError(f"outcome chain at {folder}: no model file for stage(s) {missing}")
        return cls(stages, [lgb.Booster(model_file=str(Path(folder) / f"model_{st}.txt")) for st in stages])


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


class LightGBMRanker:
    """LightGBM ``lambdarank`` behind the ``Ranker`` protocol, with save/load and contributions."""

    def __init__(
        self,
        features: list[str] | None = None,
        params: dict | None = None,
        seed: int = 0,
        structure: str | None = None,
    ) -> None:
        self.features = list(features or FEATURES)
        self.params = dict(params or {})
        self.seed = seed
        # None: the settings' ranker.structure. The evaluation also runs the other structure, so
        # the lambdarank and the funnel are always measured side by side.
        self._structure = structure
        self.booster: lgb.Booster | None = None
        self.metadata: dict = {}

    @property
    def structure(self) -> str:
        return self._structure or get_settings().ranker.structure

    @property
    def name(self) -> str:
        """'lightgbm' for the configured structure; the other one is named after itself."""
        return "lightgbm" if self.structure == get_settings().ranker.structure else f"lightgbm_{self.structure}"

    # ---- training ------------------------------------------------------------------------

    def _params(self, overrides: dict, rows: int) -> dict:
        r = get_settings().ranker
        params = {
            "objective": r.objective,
            "metric": "ndcg",
            "eval_at": [EVAL_AT],
            "learning_rate": r.learning_rate,
            "num_leaves": r.num_leaves,
            "min_data_in_leaf": r.min_child_samples,
            "bagging_fraction": r.subsample,
            "bagging_freq": 1,
            "feature_fraction": r.colsample_bytree,
            "monotone_constraints": [MONOTONE.get(f, 0) for f in self.features],
            "monotone_constraints_method": "intermediate",
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
            "num_threads": _threads(rows),
        }
        params.update(self.params)
        params.update(overrides)
        return params

    def _dataset(self, frame: pd.DataFrame, features: pd.DataFrame) -> lgb.Dataset:
        return lgb.Dataset(
            features[self.features].to_numpy(dtype=float),
            label=frame["gain"].to_numpy(),
            group=_group_sizes(frame["_group"]),
            feature_name=self.features,
            free_raw_data=False,
        )

    def fit(self, train: Pairs) -> "LightGBMRanker":
        """Choose hyperparameters on the last part of the window, then refit on all of it."""
        frame, features = self._sorted(train)
        if frame["gain"].nunique() < 2:
            raise ValueError(f"cannot train a ranker: all {len(frame)} training pairs have the same gain")
        started = time.perf_counter()
        structure = self.structure
        split = frame["as_of"].quantile(1 - VALIDATION_FRACTION)
        is_valid = (frame["as_of"] >= split).to_numpy()
        if not (is_valid.any() and (~is_valid).any()):
            # One proposal date only: nothing to validate on, so the settings' defaults are used.
            is_valid = None
        if structure == "chain":
            self.booster, trials, chosen, params = self._fit_chain(frame, features, is_valid)
        elif structure == "lambdarank":
            self.booster, trials, chosen, params = self._fit_lambdarank(frame, features, is_valid)
        else:
            raise ValueError(f"settings.ranker.structure must be 'chain' or 'lambdarank', got {structure!r}")
        self.metadata = {
            "ranker": self.name,
            "structure": structure,
            "stages": getattr(self.booster, "stages", None),
            "features": self.features,
            "monotone": {f: MONOTONE[f] for f in self.features if f in MONOTONE},
            "training_window": [str(frame["as_of"].min().date()), str(frame["as_of"].max().date())],
            "validation_from": str(pd.Timestamp(split).date()),
            "n_pairs": int(len(frame)),
            "n_queries": int(frame["_group"].nunique()),
            "query_by": get_settings().ranker.query_by,
            "single_item_share_citizen_date": float((frame.groupby("query_id")["gain"].transform("size") == 1).mean()),
            "gain_counts": {str(k): int(v) for k, v in frame["gain"].value_counts().sort_index().items()},
            "data_fingerprint": fingerprint(frame, features),
            "grid": trials,
            "chosen": chosen,
            "params": params,
            "num_iterations": chosen["best_iteration"],
            "lightgbm_version": lgb.__version__,
            "fit_seconds": round(time.perf_counter() - started, 2),
            "gains": get_settings().gains,
        }
        return self

    def _fit_lambdarank(self, frame: pd.DataFrame, features: pd.DataFrame, is_valid: np.ndarray | None):
        r = get_settings().ranker
        grid = [dict(zip(r.grid, values)) for values in itertools.product(*r.grid.values())] or [{}]
        trials = []
        if is_valid is not None:
            dtrain = self._dataset(frame[~is_valid], features[~is_valid])
            dvalid = self._dataset(frame[is_valid], features[is_valid])
            for point in grid:
                evals: dict = {}
                lgb.train(
                    self._params(point, len(frame)),
                    dtrain,
                    num_boost_round=r.n_estimators,
                    valid_sets=[dvalid],
                    valid_names=["valid"],
                    callbacks=[lgb.early_stopping(r.early_stopping_rounds, verbose=False), lgb.record_evaluation(evals)],
                )
                curve = evals["valid"][f"ndcg@{EVAL_AT}"]
                best = int(np.argmax(curve)) + 1
                trials.append({"params": point, "best_iteration": best, f"valid_ndcg@{EVAL_AT}": float(curve[best - 1])})
            chosen = max(trials, key=lambda t: t[f"valid_ndcg@{EVAL_AT}"])
        else:
            chosen = {"params": {}, "best_iteration": r.n_estimators, f"valid_ndcg@{EVAL_AT}": None}
        params = self._params(chosen["params"], len(frame))
        booster = lgb.train(params, self._dataset(frame, features), num_boost_round=chosen["best_iteration"])
        return booster, trials, chosen, {k: v for k, v in params.items() if k != "monotone_constraints"}

    def _chain_params(self, overrides: dict, rows: int) -> dict:
        r = get_settings().ranker
        params = {
            "objective": "binary",
            "metric": "binary_logloss",
            "learning_rate": r.chain_learning_rate,
            "num_leaves": 7,
            "min_data_in_leaf": r.chain_min_child_samples,
            "bagging_fraction": r.subsample,
            "bagging_freq": 1,
            "feature_fraction": r.colsample_bytree,
            # A step models failing: what may only lower the score may only raise a failure.
            "monotone_constraints": [-MONOTONE.get(f, 0) for f in self.features],
            "monotone_constraints_method": "intermediate",
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
            # One thread: a step's model is small, and on a shared two-core machine a second LightGBM
            # thread waits on busy cores (measured: the same chain took 225 s on two threads under
            # load against about 20 s on one).
            "num_threads": 1,
        }
        params.update(self.params)
        params.update(overrides)
        return params

    def _fit_chain(self, frame: pd.DataFrame, features: pd.DataFrame, is_valid: np.ndarray | None):
        """One binary failure model per funnel step, each on the referrals that reached it."""
        r = get_settings().ranker
        stages = list(r.chain_stages)
        stopped = _stopped_at(frame, stages)
        X = features[self.features].to_numpy(dtype=float)
        grid = [dict(zip(r.chain_grid, values)) for values in itertools.product(*r.chain_grid.values())] or [{}]
        boosters, trials, chosen_all = [], [], {}
        reached = np.ones(len(frame), dtype=bool)
        for k, stage in enumerate(stages):
            y = (stopped == k).astype(float)
            if len(np.unique(y[reached])) < 2:
                raise ValueError(f"cannot train the chain: no variety of outcomes at stage {stage!r} ({int(reached.sum())} referrals reached it)")
            chosen = {"params": {}, "best_iteration": r.chain_n_estimators, "valid_logloss": None}
            if is_valid is not None:
                fit_rows, valid_rows = reached & ~is_valid, reached & is_valid
                dtrain = lgb.Dataset(X[fit_rows], label=y[fit_rows], feature_name=self.features, free_raw_data=False)
                dvalid = lgb.Dataset(X[valid_rows], label=y[valid_rows], reference=dtrain)
                stage_trials = []
                for point in grid:
                    evals: dict = {}
                    lgb.train(
                        self._chain_params(point, len(frame)), dtrain, num_boost_round=r.chain_n_estimators,
                        valid_sets=[dvalid], valid_names=["valid"],
                        callbacks=[lgb.early_stopping(r.early_stopping_rounds, verbose=False), lgb.record_evaluation(evals)],
                    )
                    curve = evals["valid"]["binary_logloss"]
                    best = int(np.argmin(curve)) + 1
                    stage_trials.append({"stage": stage, "params": point, "best_iteration": best, "valid_logloss": float(curve[best - 1])})
                chosen = min(stage_trials, key=lambda t: t["valid_logloss"])
                trials += stage_trials
            # Refit on the whole window, a little longer than validated: it holds ~25 % more rows.
            rounds = max(1, int(round(chosen["best_iteration"] / (1 - VALIDATION_FRACTION)))) if is_valid is not None else chosen["best_iteration"]
            data = lgb.Dataset(X[reached], label=y[reached], feature_name=self.features, free_raw_data=False)
            boosters.append(lgb.train(self._chain_params(chosen["params"], len(frame)), data, num_boost_round=rounds))
            chosen_all[stage] = {**chosen, "refit_iterations": rounds, "rows": int(reached.sum()), "failure_rate": float(y[reached].mean())}
            reached &= stopped != k
        params = {k: v for k, v in self._chain_params({}, len(frame)).items() if k != "monotone_constraints"}
        # "best_iteration" (total trees over the steps) keeps the lambdarank metadata's shape.
        chosen = {"params": {}, "stages": chosen_all, "best_iteration": sum(c["refit_iterations"] for c in chosen_all.values())}
        return OutcomeChain(stages, boosters), trials, chosen, params

    def _sorted(self, train: Pairs) -> tuple[pd.DataFrame, pd.DataFrame]:
        needed = ("gain", "query_id", "as_of") + (("outcome",) if self.structure == "chain" else ())
        missing = [c for c in needed if c not in train.frame.columns]
        if missing:
            raise ValueError(f"training pairs lack column(s) {missing}; build them with matcher.labels.training_pairs")
        self._check_features(train.features)
        query_by = get_settings().ranker.query_by
        if query_by not in QUERY_KEYS:
            raise ValueError(f"settings.ranker.query_by must be one of {list(QUERY_KEYS)}, got {query_by!r}")
        group = train.frame[QUERY_KEYS[query_by]].to_numpy()
        # Groups contiguous (LightGBM's layout), each in time order; the split later keeps that.
        order = np.lexsort((train.frame["query_id"].to_numpy(), train.frame["as_of"].to_numpy(), group))
        frame = train.frame.iloc[order].reset_index(drop=True)
        frame["_group"] = group[order]
        features = train.features.iloc[order].reset_index(drop=True)
        return frame, features

    def _check_features(self, features: pd.DataFrame) -> None:
        missing = [f for f in self.features if f not in features.columns]
        if missing:
            raise ValueError(f"feature matrix lacks {len(missing)} column(s) the ranker uses, e.g. {missing[:5]}")

    # ---- scoring -------------------------------------------------------------------------

    def _matrix(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        if self.booster is None:
            raise RuntimeError("the ranker is not fitted: call fit() or load() first")
        features = pairs.features if isinstance(pairs, Pairs) else pairs
        self._check_features(features)
        return features[self.features].to_numpy(dtype=float)

    def score(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        """Higher is better; accepts ``Pairs`` or a bare feature frame."""
        return self.booster.predict(self._matrix(pairs), num_threads=_threads(len(pairs))) if len(pairs) else np.zeros(0)

    def chance(self, scores: np.ndarray) -> np.ndarray | None:
        """Estimated probability of success (completed or hired) for the funnel's scores, which are
        log P(success); None for lambdarank, whose scores only order."""
        return np.exp(scores) if self.structure == "chain" else None

    def contributions(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        """Per-feature contributions (SHAP values), shape (n, len(features) + 1); the last column is the bias."""
        return self.booster.predict(self._matrix(pairs), pred_contrib=True, num_threads=_threads(len(pairs)))

    # ---- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the LightGBM text model(s) (``model.txt``, or ``model_<stage>.txt`` per funnel
        step of a chain) and ``metadata.json`` into the folder ``path``."""
        if self.booster is None:
            raise RuntimeError("nothing to save: the ranker is not fitted")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if isinstance(self.booster, OutcomeChain):
            self.booster.save_model(path)
        else:
            self.booster.save_model(str(path / MODEL_FILE))
        (path / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LightGBMRanker":
        """A fitted ranker from a folder written by :meth:`save`."""
        path = Path(path)
        metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8")) if (path / METADATA_FILE).exists() else {}
        ranker = cls(features=metadata.get("features"), structure=metadata.get("structure"))
        if metadata.get("structure") == "chain":
            ranker.booster = OutcomeChain.load(path, metadata["stages"])
        elif (path / MODEL_FILE).exists():
            ranker.booster = lgb.Booster(model_file=str(path / MODEL_FILE))
        else:
            raise FileNotFoundError(f"no LightGBM model at {path / MODEL_FILE}")
        ranker.features = ranker.booster.feature_name()
        ranker.metadata = metadata
        return ranker
