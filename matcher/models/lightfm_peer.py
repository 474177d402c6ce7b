"""LightFM hybrid peer: citizens and opportunities described only by their attributes.

No identity features: every citizen and opportunity is the sum of its attribute embeddings, so a
new opportunity or a citizen without history is scored like any other (no cold start), at the
price of not learning per-opportunity quirks. Gender and origin are never attributes; benefit
type is left out too, because it stands in for origin.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from matcher.models.base import Pairs
from matcher.models.baselines import isco_of, success_gain
from matcher.postcodes import district_of
from matcher.settings import get_settings


def citizen_tokens(citizens: pd.DataFrame) -> pd.Series:
    """Attribute tokens per citizen: district, Danish level, education, readiness, wished ISCO-2."""
    base = (
        "district=" + citizens["home_postcode"].astype(str).map(district_of)
        + "|danish=" + citizens["danish_level"].astype(str)
        + "|edu=" + citizens["education"].astype(str)
        + "|ready=" + citizens["readiness"].astype(str)
    ).str.split("|")
    wishes = citizens[["job_wishes"]].explode("job_wishes").dropna()
    wish_groups = ("wish=" + isco_of(wishes["job_wishes"], 2)).groupby(level=0).agg(lambda v: sorted(set(v)))
    wish_groups = wish_groups.reindex(citizens.index).map(lambda v: v if isinstance(v, list) else [])
    return pd.Series([a + b for a, b in zip(base, wish_groups)], index=citizens["citizen_id"].to_numpy())


def opportunity_tokens(opportunities: pd.DataFrame) -> pd.Series:
    """Attribute tokens per opportunity: kind, ISCO-2, employer, Danish required, postcode area."""
    tokens = (
        "kind=" + opportunities["kind"].astype(str)
        + "|isco2=" + isco_of(opportunities["occupation_uri"], 2)
        + "|employer=" + opportunities["employer_id"].fillna("none").astype(str)
        + "|danish_req=" + opportunities["danish_required"].astype(str)
        + "|area=" + opportunities["postcode"].astype(str).map(district_of)
    ).str.split("|")
    return pd.Series(tokens.to_numpy(), index=opportunities["opportunity_id"].to_numpy())


def token_matrix(tokens: pd.Series, vocabulary: dict[str, int]) -> sp.csr_matrix:
    """Rows = entities, columns = known tokens, each row normalised to sum 1 (unknown tokens dropped)."""
    flat = tokens.explode()
    rows = pd.factorize(flat.index)[0] if len(flat) else np.array([], dtype=int)
    cols = flat.map(vocabulary)
    keep = cols.notna().to_numpy()
    m = sp.csr_matrix(
        (np.ones(keep.sum(), dtype=np.float32), (rows[keep], cols[keep].astype(int).to_numpy())),
        shape=(len(tokens), len(vocabulary)),
    )
    sums = np.asarray(m.sum(axis=1)).ravel()
    return sp.diags(1.0 / np.where(sums > 0, sums, 1.0)).astype(np.float32) @ m


class LightFMRanker:
    """LightFM (WARP or BPR) on successful training referrals, with citizen and opportunity features."""

    name = "lightfm"

    def __init__(self) -> None:
        self.settings = get_settings().peers

    def fit(self, train: Pairs) -> "LightFMRanker":
        from lightfm import LightFM

        ctoks = citizen_tokens(train.world.citizens)
        otoks = opportunity_tokens(train.world.opportunities)
        self.citizen_vocab_ = {t: i for i, t in enumerate(sorted(set(ctoks.explode().dropna())))}
        self.opportunity_vocab_ = {t: i for i, t in enumerate(sorted(set(otoks.explode().dropna())))}
        won = train.frame[train.frame["gain"] >= success_gain()]
        if won.empty:
            raise ValueError("lightfm ranker: no successful referral in the training pairs")
        users = ctoks.index.get_indexer(won["citizen_id"])
        items = otoks.index.get_indexer(won["opportunity_id"])
        interactions = sp.coo_matrix(
            (np.ones(len(won), dtype=np.float32), (users, items)), shape=(len(ctoks), len(otoks))
        )
        self.model_ = LightFM(
            no_components=self.settings.lightfm_components,
            loss=self.settings.lightfm_loss,
            random_state=self.settings.seed,
        )
        self.model_.fit(
            interactions,
            user_features=token_matrix(ctoks, self.citizen_vocab_),
            item_features=token_matrix(otoks, self.opportunity_vocab_),
            epochs=self.settings.lightfm_epochs,
            # One thread: LightFM's Hogwild updates make a multi-threaded fit unrepeatable.
            num_threads=1,
        )
        return self

    def score(self, pairs: Pairs) -> np.ndarray:
        citizens = pairs.world.citizens[pairs.world.citizens["citizen_id"].isin(pairs.frame["citizen_id"])]
        opps = pairs.world.opportunities[pairs.world.opportunities["opportunity_id"].isin(pairs.frame["opportunity_id"])]
        ctoks, otoks = citizen_tokens(citizens), opportunity_tokens(opps)
        return self.model_.predict(
            ctoks.index.get_indexer(pairs.frame["citizen_id"]).astype(np.int32),
            otoks.index.get_indexer(pairs.frame["opportunity_id"]).astype(np.int32),
            user_features=token_matrix(ctoks, self.citizen_vocab_),
            item_features=token_matrix(otoks, self.opportunity_vocab_),
            num_threads=self.settings.n_jobs,
        ).astype(float)
