"""How learnable the simulated world is: simple rankings against the oracle, on one date.

For every citizen active on the date and every opportunity open with free capacity (not yet
proposed to that citizen), each ranking picks its top k; the figure is the sum of the truth's
success probability over those picks divided by the oracle's (the truth's own top k).
"Observable oracle" ranks by the truth with the hidden traits set to zero: the ceiling of a
model that learns every observable effect perfectly. The baselines show what is easy.
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from matcher.features.commute import haversine_km
from matcher.simulate.truth import EPOCH, Truth

SUCCESS = [4, 5]  # completed, hired in OUTCOME_COLUMNS


def candidate_pairs(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Citizens active on ``as_of`` and opportunities open then with free capacity (the contract's rules)."""
    c, o, r = tables["citizens"], tables["opportunities"], tables["referrals"]
    active = c[(c["enrolled_on"] <= as_of) & (c["left_on"].isna() | (c["left_on"] > as_of))]
    open_ = o[(o["open_from"] <= as_of) & (o["open_until"].isna() | (o["open_until"] > as_of))]
    busy = r[(r["proposed_on"] <= as_of) & (r["outcome_on"].isna() | (r["outcome_on"] > as_of))]
    taken = busy.groupby("opportunity_id").size()
    free = open_["capacity"] - open_["opportunity_id"].map(taken).fillna(0)
    return active, open_[free.to_numpy() > 0]


def without_latents(truth: Truth) -> Truth:
    """The same truth with motivation, affinity, employer inclusiveness and tastes set to zero."""
    t = copy.copy(truth)
    t.c_motivation = np.zeros_like(truth.c_motivation)
    t.c_affinity = np.zeros_like(truth.c_affinity)
    t.o_inclusive = np.zeros_like(truth.o_inclusive)
    t.o_taste = np.zeros_like(truth.o_taste)
    return t


def ranking_ratios(truth: Truth, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, k: int = 10,
                   max_citizens: int = 1500, seed: int = 0) -> dict[str, float]:
    """Share of the oracle's expected successes in the top ``k`` of each simple ranking."""
    active, open_ = candidate_pairs(tables, as_of)
    rng = np.random.default_rng(seed)
    if len(active) > max_citizens:
        active = active.iloc[np.sort(rng.choice(len(active), max_citizens, replace=False))]
    ci = truth.citizen_index.get_indexer(active["citizen_id"])
    oi = truth.opportunity_index.get_indexer(open_["opportunity_id"])
    n_c, n_o = len(ci), len(oi)
    if not n_c or n_o < k:
        raise ValueError(f"ranking_ratios: {n_c} active citizens and {n_o} open opportunities on {as_of.date()}")
    cc, oo = np.repeat(ci, n_o), np.tile(oi, n_c)
    day = np.full(len(cc), int((np.datetime64(as_of.date()) - EPOCH) / np.timedelta64(1, "D")))
    p = truth.probabilities_at(cc, oo, day)[:, SUCCESS].sum(axis=1).reshape(n_c, n_o)
    observable = without_latents(truth).probabilities_at(cc, oo, day)[:, SUCCESS].sum(axis=1).reshape(n_c, n_o)
    r = tables["referrals"]
    seen = r[r["proposed_on"] <= as_of]
    mask = np.zeros((n_c, n_o), bool)
    rows = pd.Index(active["citizen_id"]).get_indexer(seen["citizen_id"])
    cols = pd.Index(open_["opportunity_id"]).get_indexer(seen["opportunity_id"])
    hit = (rows >= 0) & (cols >= 0)
    mask[rows[hit], cols[hit]] = True
    km = haversine_km(truth.c_lat[ci][:, None], truth.c_lon[ci][:, None], truth.o_lat[oi][None, :], truth.o_lon[oi][None, :])
    wish = np.where(truth.o_occ[oi] >= 0, truth.wish_level[ci][:, np.maximum(truth.o_occ[oi], 0)], 0)
    past = r[r["proposed_on"] < as_of]
    popularity = open_["opportunity_id"].map(past.groupby("opportunity_id").size()).fillna(0).to_numpy(float)
    rankings = {
        "oracle": p,
        "observable oracle": observable,
        "wish first, then nearest": wish * 1000.0 - km,
        "nearest": -km,
        "popularity": np.broadcast_to(popularity + rng.random(n_o) * 1e-3, (n_c, n_o)).copy(),
        "random": rng.random((n_c, n_o)),
    }
    out = {}
    for name, score in rankings.items():
        score = np.where(mask, -np.inf, score)
        top = np.argpartition(-score, k - 1, axis=1)[:, :k]
        out[name] = float(np.take_along_axis(p, top, axis=1).sum())
    best = out["oracle"]
    return {name: v / best for name, v in out.items()}


def logged_vs_oracle(truth: Truth, tables: dict[str, pd.DataFrame]) -> tuple[float, float]:
    """Mean truth success of the logged proposals, and of the oracle's top choice on the same days."""
    r = tables["referrals"]
    ci = truth.citizen_index.get_indexer(r["citizen_id"])
    oi = truth.opportunity_index.get_indexer(r["opportunity_id"])
    day = ((r["proposed_on"].to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64))
    logged = truth.probabilities_at(ci, oi, day)[:, SUCCESS].sum(axis=1).mean()
    dates = pd.to_datetime(sorted(r["proposed_on"].dt.to_period("Q").dt.start_time.unique()))[1:-1]
    best = []
    for d in dates[:: max(1, len(dates) // 4)]:
        active, open_ = candidate_pairs(tables, d)
        a = truth.citizen_index.get_indexer(active["citizen_id"][:400])
        o = truth.opportunity_index.get_indexer(open_["opportunity_id"])
        dd = np.full(len(a) * len(o), int((np.datetime64(d.date()) - EPOCH) / np.timedelta64(1, "D")))
        p = truth.probabilities_at(np.repeat(a, len(o)), np.tile(o, len(a)), dd)[:, SUCCESS].sum(axis=1)
        best.append(p.reshape(len(a), len(o)).max(axis=1).mean())
    return float(logged), float(np.mean(best))
