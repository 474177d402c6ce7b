"""One protocol for every ranker: the LightGBM model and each baseline are evaluated by the same loop,
and the service serves any ranker through the same few declared capabilities.

A ranker learns from labelled pairs (``fit``) and scores pairs (``score``); higher is better.
Pairs carry the world as it was known at their cutoff, so a ranker that needs more than the
feature matrix (ALS, LightFM, the caseworker's rule) finds it there without a special case.

What the service may use beyond ``score`` is declared, not guessed:

- :class:`Predicts`: ``predict(pairs) -> Prediction`` with the estimated chance of success and the
  chance the citizen says yes (acceptance, "ønske"), when the ranker has them;
- :class:`Explains`: ``contributions(pairs)``, per-feature contributions that sum to the score,
  over ``features`` (the reasons are built from them);
- :class:`Persistent`: ``save(folder)`` and the frozen ``feature_config`` its features were
  computed with, so it can be registered and served later without today's settings
  (``matcher.models.artifact.load_ranker`` reads it back).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from matcher.features.config import FeatureConfig
from matcher.world import World


@dataclass
class Pairs:
    """Citizen–opportunity pairs to learn from or to score.

    ``frame``: one row a pair with ``citizen_id``, ``opportunity_id``, ``as_of`` (Timestamp: the
    moment the pair is scored at, the proposal date for a logged referral) and, for training,
    ``gain`` (graded relevance from the settings' mapping), ``query_id`` (citizen and date) and
    ``outcome``. ``features``: the feature matrix, row-aligned with ``frame``.
    ``world``: what was known at the cutoff (never anything later).
    """

    frame: pd.DataFrame
    features: pd.DataFrame
    world: World

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class Prediction:
    """What a ranker says about pairs: the ordering score and, when it has them, probabilities."""

    score: np.ndarray
    # Estimated probability of success (completed or hired) if proposed.
    chance: np.ndarray | None = None
    # Estimated probability that the citizen does not decline (what the citizen wants).
    acceptance: np.ndarray | None = None


@runtime_checkable
class Ranker(Protocol):
    name: str

    def fit(self, train: Pairs) -> "Ranker": ...

    def score(self, pairs: Pairs) -> np.ndarray: ...


@runtime_checkable
class Predicts(Protocol):
    def predict(self, pairs: Pairs | pd.DataFrame) -> Prediction: ...


@runtime_checkable
class Explains(Protocol):
    features: list[str]

    def contributions(self, pairs: Pairs | pd.DataFrame) -> np.ndarray: ...


@runtime_checkable
class Persistent(Protocol):
    feature_config: FeatureConfig

    def save(self, folder: str | Path) -> Path: ...


def predict(ranker: Ranker, pairs: Pairs | pd.DataFrame) -> Prediction:
    """The ranker's prediction: its own when it :class:`Predicts`, else its score alone."""
    if isinstance(ranker, Predicts):
        return ranker.predict(pairs)
    return Prediction(score=np.asarray(ranker.score(pairs), dtype=float))


def feature_matrix(pairs: Pairs | pd.DataFrame) -> pd.DataFrame:
    """The feature frame of ``Pairs`` or a bare feature frame."""
    return pairs.features if isinstance(pairs, Pairs) else pairs
