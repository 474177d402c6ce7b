"""The simple peers the LightGBM ranker must beat: random, popularity, the caseworker's rule,
embedding similarity alone, and a pointwise logistic regression on the same features.

Each implements :class:`matcher.models.base.Ranker`; none reads gender or origin.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from matcher.features.commute import commute_minutes, haversine_km
from matcher.features.config import FeatureConfig
from matcher.models.base import Pairs, Prediction, feature_matrix
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
    """Pointwise logistic regression on the standardised features; label = success (gain ≥ 2).

    ``Predicts`` (its probability is a chance of success) and ``Persistent`` (saved as JSON
    coefficients), so it can be registered and served like the LightGBM ranker.
    """

    name = "logistic"
    ARTIFACT_KIND = "logistic"

    def __init__(self, c: float | None = None) -> None:
        peers = get_settings().peers
        self.c = peers.logistic_c if c is None else c
        self.seed = peers.seed
        self.feature_config = FeatureConfig.from_settings()

    def fit(self, train: Pairs) -> "LogisticRanker":
        labelled = train.frame["gain"].notna().to_numpy()
        y = (train.frame["gain"].to_numpy()[labelled] >= success_gain()).astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError("logistic ranker: the training pairs need both successes and failures")
        self.columns_ = model_columns(train.features)
        model = make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=self.c, max_iter=2000, random_state=self.seed),
        )
        model.fit(train.features[self.columns_].astype(float)[labelled], y)
        imputer, scaler, logit = model.steps[0][1], model.steps[1][1], model.steps[2][1]
        # The fitted model is these numbers: what scoring, saving and loading use.
        self.fill_ = imputer.statistics_.astype(float)
        self.mean_, self.scale_ = scaler.mean_.astype(float), scaler.scale_.astype(float)
        self.coef_, self.intercept_ = logit.coef_[0].astype(float), float(logit.intercept_[0])
        return self

    def refit(self, train: Pairs) -> "LogisticRanker":
        """The same specification (regularisation, feature config) fitted on ``train``."""
        twin = LogisticRanker(self.c)
        twin.feature_config = self.feature_config
        return twin.fit(train)

    @property
    def features(self) -> list[str]:
        return self.columns_

    def _logit(self, pairs) -> np.ndarray:
        X = feature_matrix(pairs)[self.columns_].to_numpy(dtype=float)
        X = np.where(np.isnan(X), self.fill_, X)
        return ((X - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def score(self, pairs) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self._logit(pairs)))

    def predict(self, pairs) -> Prediction:
        chance = self.score(pairs)
        return Prediction(score=chance, chance=chance)

    def contributions(self, pairs) -> np.ndarray:
        """Each feature's term of the logit and the intercept (they sum to the logit, not the score)."""
        X = feature_matrix(pairs)[self.columns_].to_numpy(dtype=float)
        X = np.where(np.isnan(X), self.fill_, X)
        terms = (X - self.mean_) / self.scale_ * self.coef_
        return np.column_stack([terms, np.full(len(X), self.intercept_)])

    def feature_importance(self) -> pd.Series:
        """Absolute standardised coefficient per feature, largest first."""
        return pd.Series(np.abs(self.coef_), index=self.columns_).sort_values(ascending=False)

    def save(self, folder) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "kind": self.ARTIFACT_KIND, "ranker": self.name, "features": self.columns_, "c": self.c,
            "fill": self.fill_.tolist(), "mean": self.mean_.tolist(), "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(), "intercept": self.intercept_, "feature_config": self.feature_config.to_dict(),
        }
        (folder / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder) -> "LogisticRanker":
        meta = json.loads((Path(folder) / "metadata.json").read_text(encoding="utf-8"))
        ranker = cls.__new__(cls)
        ranker.c, ranker.seed = meta["c"], 0
        ranker.columns_ = list(meta["features"])
        ranker.fill_, ranker.mean_, ranker.scale_, ranker.coef_ = (np.asarray(meta[k], float) for k in ("fill", "mean", "scale", "coef"))
        ranker.intercept_ = float(meta["intercept"])
        ranker.feature_config = FeatureConfig.from_dict(meta["feature_config"])
        return ranker
