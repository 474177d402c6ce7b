"""The LightGBM lambdarank ranker: graded gains, one query per citizen and proposal date.

Hyperparameters are chosen by time-ordered validation: the last ~20 % of the training window
(by proposal date) is held out, every combination of ``settings.ranker.grid`` is trained with
early stopping on NDCG@10 there, and the best is refitted on the whole window with its best
iteration count. Monotone constraints come from ``matcher.features.build.MONOTONE``.
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


class LightGBMRanker:
    """LightGBM ``lambdarank`` behind the ``Ranker`` protocol, with save/load and contributions."""

    name = "lightgbm"

    def __init__(self, features: list[str] | None = None, params: dict | None = None, seed: int = 0) -> None:
        self.features = list(features or FEATURES)
        self.params = dict(params or {})
        self.seed = seed
        self.booster: lgb.Booster | None = None
        self.metadata: dict = {}

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
        r = get_settings().ranker
        split = frame["as_of"].quantile(1 - VALIDATION_FRACTION)
        is_valid = (frame["as_of"] >= split).to_numpy()
        grid = [dict(zip(r.grid, values)) for values in itertools.product(*r.grid.values())] or [{}]
        trials = []
        if is_valid.any() and (~is_valid).any():
            dtrain = self._dataset(frame[~is_valid], features[~is_valid])
            dvalid = self._dataset(frame[is_valid], features[is_valid])
            for point in grid:
                evals: dict = {}
                booster = lgb.train(
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
            # One proposal date only: nothing to validate on, so the settings' defaults are used.
            chosen = {"params": {}, "best_iteration": r.n_estimators, f"valid_ndcg@{EVAL_AT}": None}
        params = self._params(chosen["params"], len(frame))
        self.booster = lgb.train(params, self._dataset(frame, features), num_boost_round=chosen["best_iteration"])
        self.metadata = {
            "ranker": self.name,
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
            "params": {k: v for k, v in params.items() if k != "monotone_constraints"},
            "num_iterations": chosen["best_iteration"],
            "lightgbm_version": lgb.__version__,
            "fit_seconds": round(time.perf_counter() - started, 2),
            "gains": get_settings().gains,
        }
        return self

    def _sorted(self, train: Pairs) -> tuple[pd.DataFrame, pd.DataFrame]:
        missing = [c for c in ("gain", "query_id", "as_of") if c not in train.frame.columns]
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

    def contributions(self, pairs: Pairs | pd.DataFrame) -> np.ndarray:
        """Per-feature contributions (SHAP values), shape (n, len(features) + 1); the last column is the bias."""
        return self.booster.predict(self._matrix(pairs), pred_contrib=True, num_threads=_threads(len(pairs)))

    # ---- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write ``model.txt`` (LightGBM text) and ``metadata.json`` into the folder ``path``."""
        if self.booster is None:
            raise RuntimeError("nothing to save: the ranker is not fitted")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path / MODEL_FILE))
        (path / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LightGBMRanker":
        """A fitted ranker from a folder written by :meth:`save`."""
        path = Path(path)
        if not (path / MODEL_FILE).exists():
            raise FileNotFoundError(f"no LightGBM model at {path / MODEL_FILE}")
        metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8")) if (path / METADATA_FILE).exists() else {}
        ranker = cls(features=metadata.get("features"))
        ranker.booster = lgb.Booster(model_file=str(path / MODEL_FILE))
        ranker.features = ranker.booster.feature_name()
        ranker.metadata = metadata
        return ranker
