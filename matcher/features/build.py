"""The feature matrix: one row a (citizen, opportunity, as_of) pair, the columns ``FEATURES``.

Every feature is computed from what was known at the pair's ``as_of``: work history started
before it, referral outcomes recorded before it. Gender and origin are never read.

Monotone constraints (``MONOTONE``): commute, Danish shortfall, hours over the citizen's
maximum and a missing driving licence may only lower a score. The referral log is confounded
(a caseworker proposes a far-away or demanding opening only when something else makes it
worth it), so an unconstrained model can learn that distance "helps"; the constraints encode
what caseworkers and citizens know and make the behavioural tests hold by construction.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from matcher.features.commute import COMMUTE_FEATURES, commute_features
from matcher.features.config import FeatureConfig
from matcher.features.course import COURSE_FEATURES, course_features, course_subjects
from matcher.features.fit import FIT_FEATURES, barrier_flags, export_date, fit_features
from matcher.features.history import HISTORY_FEATURES, HistoryIndex, history_features
from matcher.features.occupation import OCCUPATION_FEATURES, OccupationSpace, citizen_occupations, occupation_features
from matcher.features.skills import SKILL_FEATURES, SkillSpace, skill_features
from matcher.taxonomy import Taxonomy, load_taxonomy
from matcher.world import World

FEATURES: list[str] = SKILL_FEATURES + OCCUPATION_FEATURES + COMMUTE_FEATURES + FIT_FEATURES + COURSE_FEATURES + HISTORY_FEATURES

# -1: the score may only fall as the feature rises (see the module docstring for why).
MONOTONE: dict[str, int] = {
    "commute_minutes": -1,
    "commute_ratio": -1,
    "commute_over_limit": -1,
    "commute_minutes_over": -1,
    "danish_gap": -1,
    "danish_short": -1,
    "danish_short_x_job": -1,
    "danish_short_x_education": -1,
    "hours_over": -1,
    "licence_missing": -1,
    "course_teaches_known": -1,
}

# Never model inputs, whatever a future feature module does.
PROTECTED = ("gender", "origin")

PAIR_COLUMNS = ("citizen_id", "opportunity_id", "as_of")

_CITIZEN_COLUMNS = [
    "citizen_id", "home_lat", "home_lon", "max_commute_minutes", "danish_level", "max_hours_per_week",
    "has_drivers_license", "readiness", "birth_year", "months_on_benefit", "education", "enrolled_on", "left_on",
]


@lru_cache(maxsize=2)
def _occupation_space(esco_dir: str, embedding_model: str) -> OccupationSpace:
    from matcher.embeddings import occupation_embeddings

    taxonomy = load_taxonomy(esco_dir)
    return OccupationSpace(taxonomy, occupation_embeddings(taxonomy, embedding_model))


@dataclass
class FeatureSpace:
    """Per-world precomputations shared by every call: skill matrices, occupation vectors, tables.

    Valid for the citizens, work history and opportunities it was built from; referrals are
    always read from the world passed to :func:`build_features`, so one space serves every date.
    ``config``: the settings that shape feature values (a trained model's own, when scoring for it).
    """

    taxonomy: Taxonomy
    skills: SkillSpace
    occupations: OccupationSpace
    citizens: pd.DataFrame
    opportunities: pd.DataFrame
    citizen_occupations: dict[str, pd.DataFrame]
    _source: tuple
    config: FeatureConfig
    exported_on: pd.Timestamp | None = None
    history: HistoryIndex | None = None

    def history_for(self, world: World) -> HistoryIndex:
        """The history index of this world's referrals (rebuilt when the referrals table changes)."""
        if self.history is None or self.history.source != id(world.referrals):
            self.history = HistoryIndex(world.referrals, world.opportunities, world.citizens["citizen_id"], self.config)
        return self.history

    @classmethod
    def of(cls, world: World, config: FeatureConfig | None = None) -> "FeatureSpace":
        config = config or FeatureConfig.from_settings()
        taxonomy = load_taxonomy()
        citizens = world.citizens[_CITIZEN_COLUMNS].reset_index(drop=True)
        citizens = pd.concat([citizens, barrier_flags(world.citizens.reset_index(drop=True))], axis=1)
        employers = world.employers[["employer_id", "name", "social_agreement", "employees"]].rename(columns={"name": "employer_name"})
        opportunities = world.opportunities.reset_index(drop=True).merge(employers, on="employer_id", how="left")
        opportunities["course_subject"] = course_subjects(opportunities["title"]).to_numpy()
        occupations = _occupation_space(str(taxonomy.esco_dir), config.embedding_model)
        return cls(
            taxonomy=taxonomy,
            skills=SkillSpace(taxonomy, opportunities, config),
            occupations=occupations,
            citizen_occupations=citizen_occupations(occupations, world),
            citizens=citizens.set_index("citizen_id", drop=False),
            opportunities=opportunities.set_index("opportunity_id", drop=False),
            _source=(id(world.citizens), id(world.opportunities), id(world.work_history), id(world.employers)),
            exported_on=export_date(world),
            config=config,
        )

    def rebind(self, world: World) -> None:
        """Claim ``world`` again after both were unpickled together (a Dask worker): object ids change
        in transit, and ``serves`` compares them. Only for the very world this space was built from."""
        self._source = (id(world.citizens), id(world.opportunities), id(world.work_history), id(world.employers))
        if self.history is not None:
            self.history.source = id(world.referrals)

    def serves(self, world: World) -> bool:
        """Whether this space was built from the same citizen, opportunity and history tables."""
        return self._source == (id(world.citizens), id(world.opportunities), id(world.work_history), id(world.employers))


def check_pairs(space: FeatureSpace, pairs: pd.DataFrame) -> None:
    """Clear errors for pairs that lack columns or name unknown citizens or opportunities."""
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise ValueError(f"pairs: missing column(s) {missing}; need {list(PAIR_COLUMNS)}")
    if pairs["as_of"].isna().any():
        raise ValueError(f"pairs.as_of: {int(pairs['as_of'].isna().sum())} row(s) have no date")
    # Index lookups, not isin: isin on Arrow strings costs ~15 ms a call on a 10k-citizen world.
    for column, index in (("citizen_id", space.citizens.index), ("opportunity_id", space.opportunities.index)):
        unknown = index.get_indexer(pairs[column]) < 0
        if unknown.any():
            raise ValueError(f"pairs.{column}: {int(unknown.sum())} unknown id(s), e.g. {pairs.loc[unknown, column].iloc[:3].tolist()}")


def build_features(
    world: World, pairs: pd.DataFrame, space: FeatureSpace | None = None, details: dict | None = None,
    config: FeatureConfig | None = None,
) -> pd.DataFrame:
    """The ``FEATURES`` matrix for ``pairs`` (``citizen_id``, ``opportunity_id``, ``as_of``), row-aligned.

    ``space``: precomputations to reuse (rebuilt when it does not serve this world or was built
    with another ``config``; None: the space's, else the settings'). ``details``:
    when a dict is given, it receives per-pair context the reasons need (best-matching wish and
    history occupation, commute limit, shared-skill rows).
    """
    if space is None or not space.serves(world) or (config is not None and space.config != config):
        space = FeatureSpace.of(world, config if config is not None else space.config if space is not None else None)
    check_pairs(space, pairs)
    p = pd.DataFrame(
        {
            "citizen_id": pairs["citizen_id"].to_numpy(),
            "opportunity_id": pairs["opportunity_id"].to_numpy(),
            "as_of": pd.to_datetime(pairs["as_of"]).to_numpy(dtype="datetime64[ns]"),
        }
    )
    cit = space.citizens.loc[p["citizen_id"]].reset_index(drop=True)
    opp = space.opportunities.loc[p["opportunity_id"]].reset_index(drop=True)

    keys = p[["citizen_id", "as_of"]].drop_duplicates().reset_index(drop=True)
    key_rows = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(p[["citizen_id", "as_of"]]))
    citizen_skills = space.skills.citizen_matrix(world, keys)
    opp_rows = space.skills.opportunity_index.get_indexer(p["opportunity_id"])

    occ, best = occupation_features(space.occupations, space.citizen_occupations, p.assign(opportunity_uri=opp["occupation_uri"].to_numpy()))
    skills = skill_features(citizen_skills, key_rows, space.skills.opportunities, opp_rows)
    fit = fit_features(cit, opp, p["as_of"], space.exported_on)
    parts = [
        skills,
        occ,
        commute_features(cit["home_lat"], cit["home_lon"], opp["lat"], opp["lon"], cit["max_commute_minutes"], space.config),
        fit,
        course_features(opp["course_subject"].to_numpy(), opp["kind"].to_numpy(), fit["danish_level"].to_numpy(),
                        fit["education_level"].to_numpy(), skills["skill_coverage"].to_numpy()),
        history_features(world, p, space.history_for(world)).reset_index(drop=True),
    ]
    features = pd.concat([part.reset_index(drop=True) for part in parts], axis=1)[FEATURES].astype(float)
    features.index = pairs.index
    if details is not None:
        details.update(best)
        details.update(space=space, citizen_skills=citizen_skills, key_rows=key_rows, opp_rows=opp_rows)
    return features
