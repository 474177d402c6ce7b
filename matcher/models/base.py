"""One protocol for every ranker: the LightGBM model and each baseline are evaluated by the same loop.

A ranker learns from labelled pairs (``fit``) and scores pairs (``score``); higher is better.
Pairs carry the world as it was known at their cutoff, so a ranker that needs more than the
feature matrix (ALS, LightFM, the caseworker's rule) finds it there without a special case.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from matcher.world import World


@dataclass
class Pairs:
    """Citizen–opportunity pairs to learn from or to score.

    ``frame``: one row a pair with ``citizen_id``, ``opportunity_id``, ``as_of`` (Timestamp: the
    moment the pair is scored at, the proposal date for a logged referral) and, for training,
    ``gain`` (graded relevance from the settings' mapping) and ``query_id`` (citizen and date).
    ``features``: the feature matrix, row-aligned with ``frame``.
    ``world``: what was known at the cutoff (never anything later).
    """

    frame: pd.DataFrame
    features: pd.DataFrame
    world: World

    def __len__(self) -> int:
        return len(self.frame)


@runtime_checkable
class Ranker(Protocol):
    name: str

    def fit(self, train: Pairs) -> "Ranker": ...

    def score(self, pairs: Pairs) -> np.ndarray: ...
