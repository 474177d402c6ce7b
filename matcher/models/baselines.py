"""The simple peers the LightGBM ranker must beat: random, popularity, the caseworker's rule,
embedding similarity alone, and a pointwise logistic regression on the same features.

Each implements :class:`matcher.models.base.Ranker`; none reads gender or origin.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from matcher.features.commute import commute_minutes, haversine_km
from matcher.models.base import Pairs
from matcher.settings import get_settings
from matcher.taxonomy import load_taxonomy

# Columns a model must never see, whatever the features module produces.
PROTECTED = ("gender", "origin")


def success_gain() -> float:
    """The smallest gain that counts as a success (the settings' success outcomes)."""
    s = get_settings()
    return float(min(s.gains[o] for o in s.success_outcomes))


def model_columns(features: pd.DataFrame) -> list[str]:
    """Numeric feature columns a model may use (protected attributes excluded)."""
    numeric = features.select_dtypes(include=["number", "bool"]).columns
    return [c for c in numeric if not any(p in c for p in PROTECTED)]


def with_opportunity(pairs: Pairs, columns: list[str]) -> pd.DataFrame:
    """The pairs' frame with the named opportunity columns joined on (row order kept)."""
    opp = pairs.world.opportunities.set_index("opportunity_id")[columns]
    return opp.reindex(pairs.frame["opportunity_id"].to_numpy()).reset_index(drop=True)


def with_citizen(pairs: Pairs, columns: list[str]) -> pd.DataFrame:
    """The pairs' frame with the named citizen columns joined on (row order kept)."""
    cit = pairs.world.citizens.set_index("citizen_id")[columns]
    return cit.reindex(pairs.frame["citizen_id"].to_numpy()).reset_index(drop=True)


def isco_of(uris: pd.Series, digits: int = 4) -> pd.Series:
    """ISCO-08 code prefix of ESCO occupation URIs ('' for a missing or unknown URI)."""
    codes = load_taxonomy().frame["isco_code"]
    return uris.map(codes).fillna("").astype(str).str[:digits]


def pair_commute_minutes(pairs: Pairs) -> np.ndarray:
    """Door-to-door minutes from each pair's citizen's home to its opportunity."""
    c = with_citizen(pairs, ["home_lat", "home_lon"]).to_numpy(dtype=float)
    o = with_opportunity(pairs, ["lat", "lon"]).to_numpy(dtype=float)
    return commute_minutes(haversine_km(c[:, 0], c[:, 1], o[:, 0], o[:, 1]))


class RandomRanker:
    """Uniform random scores (seeded): the floor every model must clear."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.seed = get_settings().peers.seed if seed is None else seed

    def fit(self, train: Pairs) -> "RandomRanker":
        return self

    def score(self, pairs: Pairs) -> np.ndarray:
        return np.random.default_rng(self.seed).random(len(pairs))


class PopularityRanker:
    """Successes in the training referrals of the opportunity, its employer and its occupation.

    The employer and occupation counts let a new opportunity inherit its neighbours' record.
    """

    name = "popularity"
    LEVELS = ("opportunity_id", "employer_id", "occupation_uri")

    def fit(self, train: Pairs) -> "PopularityRanker":
        won = train.frame.loc[train.frame["gain"] >= success_gain(), ["opportunity_id"]]
        opp = train.world.opportunities.set_index("opportunity_id")[["employer_id", "occupation_uri"]]
        won = won.join(opp, on="opportunity_id")
        self.counts_ = {level: won[level].value_counts() for level in self.LEVELS}
        return self

    def score(self, pairs: Pairs) -> np.ndarray:
        attrs = with_opportunity(pairs, ["employer_id", "occupation_uri"])
        attrs["opportunity_id"] = pairs.frame["opportunity_id"].to_numpy()
        total = np.zeros(len(pairs))
        for level in self.LEVELS:
            total += attrs[level].map(self.counts_[level]).fillna(0).to_numpy(dtype=float)
        return total


class CaseworkerRuleRanker:
    """The caseworker's rule of thumb: an opportunity in a wished occupation first (same ESCO
    occupation or same ISCO-08 unit group), then the nearest by commute."""

    name = "caseworker_rule"

    def fit(self, train: Pairs) -> "CaseworkerRuleRanker":
        return self

    def score(self, pairs: Pairs) -> np.ndarray:
        wishes = pairs.world.citizens[["citizen_id", "job_wishes"]].explode("job_wishes").dropna()
        wishes["isco"] = isco_of(wishes["job_wishes"])
        wished = pd.MultiIndex.from_frame(wishes[["citizen_id", "isco"]])
        opp_isco = isco_of(with_opportunity(pairs, ["occupation_uri"])["occupation_uri"])
        keys = pd.MultiIndex.from_arrays([pairs.frame["citizen_id"].to_numpy(), opp_isco.to_numpy()])
        in_wish = keys.isin(wished) & (opp_isco.to_numpy() != "")
        # A wish match outranks any commute difference (a commute is well under 10,000 minutes).
        return in_wish * 10_000.0 - pair_commute_minutes(pairs)


class EmbeddingRanker:
    """Embedding similarity alone: the larger of the citizen's wish and history similarity to the
    opportunity's occupation (sentence embeddings of ESCO text; features ``*_similarity``)."""

    name = "embedding"
    SUFFIX = "_similarity"

    def fit(self, train: Pairs) -> "EmbeddingRanker":
        return self

    def score(self, pairs: Pairs) -> np.ndarray:
        cols = [c for c in pairs.features.columns if c.endswith(self.SUFFIX)]
        if not cols:
            raise ValueError(
                f"embedding ranker: no '*{self.SUFFIX}' column in the features; it has {list(pairs.features.columns)}"
            )
        return pairs.features[cols].astype(float).fillna(-1.0).max(axis=1).to_numpy()


class LogisticRanker:
    """Pointwise logistic regression on the standardised features; label = success (gain ≥ 2)."""

    name = "logistic"

    def __init__(self, c: float | None = None) -> None:
        peers = get_settings().peers
        self.c = peers.logistic_c if c is None else c
        self.seed = peers.seed

    def fit(self, train: Pairs) -> "LogisticRanker":
        labelled = train.frame["gain"].notna().to_numpy()
        y = (train.frame["gain"].to_numpy()[labelled] >= success_gain()).astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError("logistic ranker: the training pairs need both successes and failures")
        self.columns_ = model_columns(train.features)
        self.model_ = make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=self.c, max_iter=2000, random_state=self.seed),
        )
        self.model_.fit(train.features[self.columns_].astype(float)[labelled], y)
        return self

    def score(self, pairs: Pairs) -> np.ndarray:
        return self.model_.predict_proba(pairs.features[self.columns_].astype(float))[:, 1]
