"""Ranking metrics: NDCG@k, MAP@k, recall@k on logged referrals, the oracle ratio@k on the
simulator's truth, and coverage.

Every function takes a long frame (one row a scored pair) and works per query with vectorised
pandas: no Python loop over pairs or queries. Ties in the score are broken by a seeded random
key, never by row order: the logged order of referrals would otherwise leak into the metric
(a constant scorer would look as good as the order the caseworkers typed them in).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

TIE_SEED = 0


def _check(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: the frame lacks column(s) {missing}; it has {list(frame.columns)}")
    if frame["score"].isna().any():
        raise ValueError(f"{where}: {int(frame['score'].isna().sum())} score(s) are NaN; a ranker must score every pair")


def rank_within(query: pd.Series | np.ndarray, score: np.ndarray, seed: int = TIE_SEED) -> np.ndarray:
    """1-based rank of each row within its query, highest score first, ties in seeded random order."""
    query = np.asarray(query)
    score = np.asarray(score, dtype=float)
    tie = np.random.default_rng(seed).random(len(score))
    # lexsort sorts by the last key first: query, then score descending, then the random key.
    order = np.lexsort((tie, -score, pd.factorize(query)[0]))
    ranks = np.empty(len(score), dtype=np.int64)
    sorted_query = pd.factorize(query)[0][order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_query)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks[order] = np.arange(len(order)) - group_start + 1
    return ranks


def _discount(rank: np.ndarray) -> np.ndarray:
    return 1.0 / np.log2(rank + 1.0)


def ndcg_per_query(frame: pd.DataFrame, k: int, seed: int = TIE_SEED) -> pd.Series:
    """NDCG@k per query with graded gains (2^gain - 1, the usual lambdarank gain).

    ``frame`` has ``query_id``, ``gain`` and ``score``. Queries whose ideal DCG is 0 (no
    relevant item) are left out: they cannot tell rankings apart.
    """
    _check(frame, ("query_id", "gain", "score"), "ndcg")
    gain = 2.0 ** frame["gain"].to_numpy(dtype=float) - 1.0
    rank = rank_within(frame["query_id"], frame["score"].to_numpy(), seed)
    # The ideal ranking sorts by gain itself (ties do not change the ideal DCG).
    ideal_rank = rank_within(frame["query_id"], gain, seed)
    dcg = np.where(rank <= k, gain * _discount(rank), 0.0)
    idcg = np.where(ideal_rank <= k, gain * _discount(ideal_rank), 0.0)
    per = pd.DataFrame({"q": frame["query_id"].to_numpy(), "dcg": dcg, "idcg": idcg}).groupby("q", sort=False).sum()
    per = per[per["idcg"] > 0]
    return per["dcg"] / per["idcg"]


def _hits(frame: pd.DataFrame, relevant_from: float, seed: int) -> pd.DataFrame:
    rank = rank_within(frame["query_id"], frame["score"].to_numpy(), seed)
    rel = frame["gain"].to_numpy(dtype=float) >= relevant_from
    out = pd.DataFrame({"q": frame["query_id"].to_numpy(), "rank": rank, "rel": rel})
    out["n_rel"] = out.groupby("q", sort=False)["rel"].transform("sum")
    return out[out["n_rel"] > 0]


def average_precision_per_query(frame: pd.DataFrame, k: int, relevant_from: float = 2, seed: int = TIE_SEED) -> pd.Series:
    """AP@k per query: relevant = ``gain >= relevant_from``; normalised by min(#relevant, k)."""
    _check(frame, ("query_id", "gain", "score"), "map")
    h = _hits(frame, relevant_from, seed).sort_values(["q", "rank"])
    h["hits_so_far"] = h.groupby("q", sort=False)["rel"].cumsum()
    h["prec"] = np.where(h["rel"] & (h["rank"] <= k), h["hits_so_far"] / h["rank"], 0.0)
    per = h.groupby("q", sort=False).agg(s=("prec", "sum"), n=("n_rel", "first"))
    return per["s"] / np.minimum(per["n"], k)


def recall_per_query(frame: pd.DataFrame, k: int, relevant_from: float = 2, seed: int = TIE_SEED) -> pd.Series:
    """Share of a query's relevant items (``gain >= relevant_from``) ranked in its top k."""
    _check(frame, ("query_id", "gain", "score"), "recall")
    h = _hits(frame, relevant_from, seed)
    h["hit"] = h["rel"] & (h["rank"] <= k)
    per = h.groupby("q", sort=False).agg(hit=("hit", "sum"), n=("n_rel", "first"))
    return per["hit"] / per["n"]


def ndcg_at_k(frame: pd.DataFrame, k: int, seed: int = TIE_SEED) -> float:
    """Mean NDCG@k over queries with at least one relevant item (NaN when there is none)."""
    return float(ndcg_per_query(frame, k, seed).mean())


def map_at_k(frame: pd.DataFrame, k: int, relevant_from: float = 2, seed: int = TIE_SEED) -> float:
    """Mean average precision at k over queries with at least one relevant item."""
    return float(average_precision_per_query(frame, k, relevant_from, seed).mean())


def recall_at_k(frame: pd.DataFrame, k: int, relevant_from: float = 2, seed: int = TIE_SEED) -> float:
    """Mean recall at k over queries with at least one relevant item."""
    return float(recall_per_query(frame, k, relevant_from, seed).mean())


def oracle_ratio_curve(frame: pd.DataFrame, ks: list[int] | range, seed: int = TIE_SEED) -> pd.Series:
    """Expected successes of each top k by score over the best possible top k's, for every k.

    ``frame`` has ``query_id`` (a citizen), ``score`` and ``probability`` (the truth's success
    probability). The ratio is of sums over all queries: Σ p(model's top k) / Σ p(oracle's top k).
    """
    _check(frame, ("query_id", "score", "probability"), "oracle ratio")
    p = frame["probability"].to_numpy(dtype=float)
    rank = rank_within(frame["query_id"], frame["score"].to_numpy(), seed)
    best = rank_within(frame["query_id"], p, seed)
    ks = list(ks)
    # One cumulative pass for every k: expected successes at each rank position, summed.
    by_rank = np.bincount(rank, weights=p, minlength=max(ks) + 1)
    by_best = np.bincount(best, weights=p, minlength=max(ks) + 1)
    got, top = np.cumsum(by_rank), np.cumsum(by_best)
    return pd.Series([got[k] / top[k] if top[k] > 0 else np.nan for k in ks], index=ks, name="oracle_ratio")


def oracle_ratio_at_k(frame: pd.DataFrame, k: int, seed: int = TIE_SEED) -> float:
    """Σ truth probability of each query's top k by score / Σ of its best possible top k."""
    return float(oracle_ratio_curve(frame, [k], seed).iloc[0])


def coverage(feasible: pd.DataFrame, citizens: pd.Series | np.ndarray, minimum: int = 3) -> float:
    """Share of ``citizens`` with at least ``minimum`` feasible suggestions.

    ``feasible`` has one row per feasible (``citizen_id``, ``opportunity_id``) pair.
    """
    citizens = pd.Index(pd.unique(np.asarray(citizens)))
    if len(citizens) == 0:
        raise ValueError("coverage: no citizens to cover")
    counts = feasible.groupby("citizen_id").size().reindex(citizens, fill_value=0)
    return float((counts >= minimum).mean())
