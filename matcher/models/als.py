"""Implicit-feedback ALS peer: citizen × opportunity matrix factorisation of the referral log.

Every training referral is an implicit interaction (the caseworker proposed it) with confidence
1 + gain, so a success weighs more than a proposal that failed or is still pending; successes
alone leave too few citizens with a factor to rank anything.

Cold start, the honest limitation: most opportunities the model is asked about at T are new
(open after the training referrals) and most citizens have few or no successes. A new opportunity
borrows the mean factor of the trained opportunities in the same ESCO occupation, else of the same
employer; with neither it scores 0. A citizen without a referral in training has no factor and
every opportunity scores 0 for them (the evaluation's seeded tie-break then orders them at random).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from matcher.models.base import Pairs
from matcher.models.baselines import with_opportunity
from matcher.settings import get_settings


class ALSRanker:
    """``implicit.als.AlternatingLeastSquares`` on training referrals, confidence 1 + gain."""

    name = "als"

    def __init__(self) -> None:
        self.settings = get_settings().peers

    def fit(self, train: Pairs) -> "ALSRanker":
        from implicit.als import AlternatingLeastSquares

        won = train.frame
        if won.empty:
            raise ValueError("als ranker: no referral in the training pairs")
        citizens, users = np.unique(won["citizen_id"].to_numpy(), return_inverse=True)
        opportunities, items = np.unique(won["opportunity_id"].to_numpy(), return_inverse=True)
        weights = 1.0 + won["gain"].fillna(0).to_numpy(dtype=np.float32)
        user_items = sp.csr_matrix((weights, (users, items)), shape=(len(citizens), len(opportunities)))
        # implicit warns and slows down when BLAS runs its own threads inside its loop.
        with threadpool_limits(1, "blas"):
            self.model_ = AlternatingLeastSquares(
                factors=self.settings.als_factors,
                regularization=self.settings.als_regularization,
                alpha=self.settings.als_alpha,
                iterations=self.settings.als_iterations,
                random_state=self.settings.seed,
                num_threads=self.settings.n_jobs,
            )
            self.model_.fit(user_items, show_progress=False)
        self.user_factors_ = pd.DataFrame(np.asarray(self.model_.user_factors), index=citizens)
        item_factors = pd.DataFrame(np.asarray(self.model_.item_factors), index=opportunities)
        self.item_factors_ = item_factors
        opp = train.world.opportunities.set_index("opportunity_id").reindex(opportunities)
        # Back-off factors for new opportunities: mean over the trained ones of the same kind.
        self.by_occupation_ = item_factors.groupby(opp["occupation_uri"].to_numpy()).mean()
        self.by_employer_ = item_factors.groupby(opp["employer_id"].to_numpy()).mean()
        return self

    def _item_matrix(self, pairs: Pairs) -> np.ndarray:
        ids = pairs.frame["opportunity_id"].to_numpy()
        attrs = with_opportunity(pairs, ["occupation_uri", "employer_id"])
        out = self.item_factors_.reindex(ids).to_numpy(copy=True)
        for level, table in (("occupation_uri", self.by_occupation_), ("employer_id", self.by_employer_)):
            missing = np.isnan(out).any(axis=1)
            if not missing.any():
                break
            out[missing] = table.reindex(attrs.loc[missing, level].to_numpy()).to_numpy()
        return np.nan_to_num(out, nan=0.0)

    def score(self, pairs: Pairs) -> np.ndarray:
        users = self.user_factors_.reindex(pairs.frame["citizen_id"].to_numpy()).to_numpy()
        return np.einsum("ij,ij->i", np.nan_to_num(users, nan=0.0), self._item_matrix(pairs)).astype(float)
