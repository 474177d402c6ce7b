"""Skill overlap: what the citizen has shown against what the opportunity asks for.

A citizen's skills on a date are the essential skills of the occupations in their work history
(jobs started before the date) and the skills of the opportunities they completed before it
(outcome recorded before the date, counted as a success). An opportunity asks for its
occupation's essential skills plus its own listed ``skills``. Both are rows of a sparse 0/1
matrix over one skill vocabulary, so overlaps are sparse products, not set loops.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from matcher.features.pairdot import pair_dot
from matcher.features.config import FeatureConfig
from matcher.taxonomy import Taxonomy, load_taxonomy

SKILL_FEATURES = ["skill_overlap", "skill_coverage", "skill_jaccard", "citizen_skill_count"]


@lru_cache(maxsize=2)
def _occupation_skills(esco_dir: str) -> tuple[dict[str, int], sp.csr_matrix]:
    """Vocabulary of essential-skill labels and the occupation x skill 0/1 matrix (taxonomy order)."""
    tax = load_taxonomy(esco_dir)
    exploded = tax.frame["essential_skills"].reset_index(drop=True).explode().dropna()
    codes, labels = pd.factorize(exploded.str.lower())
    vocab = {label: i for i, label in enumerate(labels)}
    matrix = sp.csr_matrix(
        (np.ones(len(codes)), (exploded.index.to_numpy(), codes)), shape=(len(tax), len(vocab))
    )
    matrix.data[:] = 1.0
    return vocab, matrix


class SkillSpace:
    """The skill vocabulary of one world: taxonomy skills plus the opportunities' listed ones."""

    def __init__(self, taxonomy: Taxonomy, opportunities: pd.DataFrame, config: FeatureConfig | None = None) -> None:
        self.success_outcomes = list((config or FeatureConfig.from_settings()).success_outcomes)
        base_vocab, occ = _occupation_skills(str(taxonomy.esco_dir))
        listed = opportunities["skills"].reset_index(drop=True).explode().dropna().astype(str).str.strip().str.lower()
        extra = pd.Index(listed.unique()).difference(pd.Index(list(base_vocab)))
        self.vocab = {**base_vocab, **{label: len(base_vocab) + i for i, label in enumerate(extra)}}
        self.labels = np.array(list(self.vocab), dtype=object)
        width = len(self.vocab)
        self.occupation_index = pd.Index(taxonomy.uris)
        occ = occ.tocoo()
        self.occupations = sp.csr_matrix((occ.data, (occ.row, occ.col)), shape=(occ.shape[0], width))
        self.opportunity_index = pd.Index(opportunities["opportunity_id"])
        self.opportunities = self._opportunity_matrix(opportunities, listed)

    def _opportunity_matrix(self, opportunities: pd.DataFrame, listed: pd.Series) -> sp.csr_matrix:
        width = len(self.vocab)
        occ_rows = self.occupation_index.get_indexer(opportunities["occupation_uri"].fillna(""))
        has = np.flatnonzero(occ_rows >= 0)
        pick = sp.csr_matrix((np.ones(len(has)), (has, occ_rows[has])), shape=(len(opportunities), len(self.occupation_index)))
        from_occupation = pick @ self.occupations
        own = sp.csr_matrix(
            (np.ones(len(listed)), (listed.index.to_numpy(), listed.map(self.vocab).to_numpy(dtype=np.int64))),
            shape=(len(opportunities), width),
        )
        return _binary(from_occupation + own)

    def citizen_matrix(self, world, keys: pd.DataFrame) -> sp.csr_matrix:
        """Skills shown before each key's ``as_of`` (keys: ``citizen_id``, ``as_of``; one row each)."""
        # Only the keys' citizens: one citizen's call must not pay for the whole log.
        who = keys["citizen_id"].unique()
        wh = world.work_history[world.work_history["citizen_id"].isin(who)]
        r = world.referrals[world.referrals["citizen_id"].isin(who)]
        done = r[r["outcome"].isin(self.success_outcomes) & r["outcome_on"].notna()]
        wh_rows = self.occupation_index.get_indexer(wh["occupation_uri"])
        wh = wh.assign(_occ=wh_rows)[wh_rows >= 0]
        done_rows = self.opportunity_index.get_indexer(done["opportunity_id"])
        events = pd.concat(
            [
                pd.DataFrame({"citizen_id": wh["citizen_id"].to_numpy(), "day": wh["start_on"].to_numpy(), "src": 0, "row": wh["_occ"].to_numpy()}),
                pd.DataFrame({"citizen_id": done["citizen_id"].to_numpy(), "day": done["outcome_on"].to_numpy(), "src": 1, "row": done_rows}),
            ],
            ignore_index=True,
        )
        events = events[events["row"] >= 0].reset_index(drop=True)
        evidence = sp.vstack(
            [self.occupations[events.loc[events["src"] == 0, "row"].to_numpy()],
             self.opportunities[events.loc[events["src"] == 1, "row"].to_numpy()]]
        ).tocsr()
        # vstack puts work history first, then completions: renumber events in that order.
        events["evidence_row"] = _stack_order(events["src"].to_numpy())
        k = keys.reset_index(drop=True).assign(key=lambda f: np.arange(len(f)))
        hits = k.merge(events, on="citizen_id")
        hits = hits[hits["day"] < hits["as_of"]]
        incidence = sp.csr_matrix(
            (np.ones(len(hits)), (hits["key"].to_numpy(), hits["evidence_row"].to_numpy())),
            shape=(len(k), evidence.shape[0]),
        )
        return _binary(incidence @ evidence)


def _stack_order(src: np.ndarray) -> np.ndarray:
    """Row of each event in a vstack of the src==0 rows followed by the src==1 rows."""
    order = np.argsort(src, kind="stable")
    position = np.empty(len(src), dtype=np.int64)
    position[order] = np.arange(len(src))
    return position


def _binary(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    m.sum_duplicates()
    m.data[:] = 1.0
    m.eliminate_zeros()
    return m


def skill_features(citizen_skills: sp.csr_matrix, key_rows: np.ndarray, opp_skills: sp.csr_matrix, opp_rows: np.ndarray) -> pd.DataFrame:
    """Overlap count, coverage of the opportunity's skills, Jaccard, and the citizen's skill count."""
    overlap = pair_dot(citizen_skills, key_rows, opp_skills, opp_rows)
    n_cit = np.asarray(citizen_skills.sum(axis=1)).ravel()[key_rows]
    n_opp = np.asarray(opp_skills.sum(axis=1)).ravel()[opp_rows]
    union = n_cit + n_opp - overlap
    return pd.DataFrame(
        {
            "skill_overlap": overlap,
            "skill_coverage": np.where(n_opp > 0, overlap / np.maximum(n_opp, 1), 0.0),
            "skill_jaccard": np.where(union > 0, overlap / np.maximum(union, 1), 0.0),
            "citizen_skill_count": n_cit,
        }
    )


def shared_skills(space: SkillSpace, citizen_skills: sp.csr_matrix, key_row: int, opp_row: int, limit: int = 3) -> list[str]:
    """The first few skill labels a citizen and an opportunity share (for reasons)."""
    both = citizen_skills[key_row].multiply(space.opportunities[opp_row]).tocsr()
    return [str(space.labels[j]) for j in both.indices[:limit]]
