"""Retrieval: the first of two stages, a few hundred candidates per citizen for the ranker.

At national scale every citizen against every open place is billions of pairs; the ranker's
features cost about 15 µs a pair. Retrieval keeps, for each citizen, at most
``settings.retrieval.candidates`` of the suggestable places (open on the date, free place, never
proposed to the citizen, kind allowed by the caller) that are *reachable*: a commute within
``reach_factor`` times the citizen's own limit (generous on purpose: a place a little over the
limit is still shown, flagged). When more are reachable than the budget, it keeps the union of
the half closest in occupation (the best cosine similarity of the place's occupation embedding to
any of the citizen's wished or earlier occupations) and the half nearest by commute; places
without an occupation (some courses) are always kept while reachable.

Occupation proximity is exact, not approximate: the open places share a few hundred distinct
ESCO occupations, so one matrix product of the citizen's occupations (usually one to five)
against those few hundred vectors is cheaper than querying an approximate-nearest-neighbour
index, and loses nothing.

The index is built once per date (``RetrievalIndex``) and kept warm by ``matcher.service.Matcher``;
its per-citizen answer depends only on that citizen, so any split of a batch into parts gives the
same candidates. What retrieval loses is measured (``recall_at_k``, ``benchmarks/bench_scale.py``):
the share of the full-scoring top 10 found among the candidates, and the oracle ratio lost.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.features.commute import EARTH_RADIUS_KM, commute_limit
from matcher.settings import get_settings

# Citizens handled in one vectorised block (a block x open-places matrix of floats).
_BLOCK = 256


def _csr(codes: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row pointers and values of a sparse row list: ``values[ptr[i]:ptr[i+1]]`` belong to row ``i``."""
    order = np.argsort(codes, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=n), out=ptr[1:])
    return ptr, values[order]


class RetrievalIndex:
    """What may be suggested on one date, arranged for fast per-citizen retrieval.

    ``space``: the ``FeatureSpace`` (citizens, occupation vectors, citizens' occupations);
    ``open_opportunities``: the suggestable places (``matcher.features.candidates.suggestable``);
    ``referrals``: the world's referrals (those proposed on or before ``day`` are excluded).
    """

    def __init__(self, space, open_opportunities: pd.DataFrame, referrals: pd.DataFrame, day: pd.Timestamp) -> None:
        s = get_settings().retrieval
        self.day = pd.Timestamp(day)
        self.candidates_per_citizen = int(s.candidates)
        self.reach_factor = float(s.reach_factor)
        self.config = space.config
        o = open_opportunities
        self.ids = o["opportunity_id"].to_numpy(dtype=object)
        self.kind = o["kind"].to_numpy(dtype=object)
        self.lat = np.radians(o["lat"].to_numpy(dtype=float))
        self.lon = np.radians(o["lon"].to_numpy(dtype=float))
        occ = space.occupations.rows(o["occupation_uri"].to_numpy())
        self.has_occupation = occ >= 0
        self.occ_unique, self.occ_of = np.unique(np.maximum(occ, 0), return_inverse=True)
        self.all_vectors = space.occupations.vectors
        self.vectors = self.all_vectors[self.occ_unique]

        cit = space.citizens
        self.citizens = pd.Index(cit["citizen_id"].to_numpy(dtype=object))
        self.home_lat = np.radians(cit["home_lat"].to_numpy(dtype=float))
        self.home_lon = np.radians(cit["home_lon"].to_numpy(dtype=float))
        self.limit = commute_limit(cit["max_commute_minutes"], self.config)

        # The citizen's occupations known on the day: wishes and work history started before it.
        wish = space.citizen_occupations["wish"]
        hist = space.citizen_occupations["history"]
        hist = hist[pd.to_datetime(hist["start_on"]) < self.day]
        links = pd.concat([wish[["citizen_id", "occ"]], hist[["citizen_id", "occ"]]], ignore_index=True)
        links = links[links["occ"] >= 0].drop_duplicates()
        codes = self.citizens.get_indexer(links["citizen_id"])
        keep = codes >= 0
        self.occ_ptr, self.occ_rows = _csr(codes[keep], links["occ"].to_numpy()[keep], len(self.citizens))

        # Places already proposed to each citizen on or before the day.
        r = referrals[referrals["proposed_on"] <= self.day]
        rc = self.citizens.get_indexer(r["citizen_id"])
        ro = pd.Index(self.ids).get_indexer(r["opportunity_id"])
        keep = (rc >= 0) & (ro >= 0)
        self.done_ptr, self.done = _csr(rc[keep], ro[keep], len(self.citizens))

    def __len__(self) -> int:
        return len(self.ids)

    def _minutes(self, rows: np.ndarray) -> np.ndarray:
        """Commute minutes of citizens ``rows`` to every open place (the features' own formula)."""
        lat1, lon1 = self.home_lat[rows][:, None], self.home_lon[rows][:, None]
        a = np.sin((self.lat[None, :] - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(self.lat[None, :]) * np.sin((self.lon[None, :] - lon1) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        return km / self.config.commute_speed_kmh * 60.0 + self.config.commute_overhead_minutes

    def _proximity(self, rows: np.ndarray) -> np.ndarray:
        """Best occupation similarity of each citizen in ``rows`` to every open place (-inf: none)."""
        best = np.full((len(rows), len(self.occ_unique)), -np.inf, dtype=np.float32)
        starts, ends = self.occ_ptr[rows], self.occ_ptr[rows + 1]
        owner = np.repeat(np.arange(len(rows)), ends - starts)
        occs = np.concatenate([self.occ_rows[a:b] for a, b in zip(starts, ends)]) if len(owner) else np.empty(0, dtype=np.int64)
        if len(occs):
            sims = self.all_vectors[occs] @ self.vectors.T
            np.maximum.at(best, owner, sims)
        prox = best[:, self.occ_of]
        prox[:, ~self.has_occupation] = np.inf
        return prox

    def _budget(self, rows: np.ndarray, ok: np.ndarray, minutes: np.ndarray, n_budget: int) -> np.ndarray:
        """The ``n_budget`` best of the reachable places ``ok``, taken alternately by occupation
        proximity and by commute (each place at its better rank; ties by position), plus every
        reachable place without an occupation."""
        prox = np.where(ok, self._proximity(rows), -np.inf)
        near = np.where(ok, -minutes, -np.inf)
        rank = np.full(ok.shape, np.iinfo(np.int64).max, dtype=np.int64)
        for score in (prox, near):
            order = np.argsort(-score, axis=1, kind="stable")
            r = np.empty_like(order)
            np.put_along_axis(r, order, np.arange(ok.shape[1])[None, :], axis=1)
            rank = np.minimum(rank, r)
        # Two places share each rank (one per list): order by rank, then by position.
        key = rank * ok.shape[1] + np.arange(ok.shape[1])[None, :]
        keep = np.argpartition(key, n_budget - 1, axis=1)[:, :n_budget]
        chosen = np.zeros_like(ok)
        np.put_along_axis(chosen, keep, True, axis=1)
        return ok & (chosen | ~self.has_occupation[None, :])

    def candidate_rows(self, citizen_ids, kinds: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Retrieved (citizen position in ``citizen_ids``, open-place position) pairs, by citizen then place."""
        ids = np.asarray(citizen_ids, dtype=object)
        rows = self.citizens.get_indexer(ids)
        if (rows < 0).any():
            raise KeyError(f"retrieval: unknown citizen_id(s) {ids[rows < 0][:3].tolist()}")
        allowed = np.ones(len(self.ids), dtype=bool) if kinds is None else np.isin(self.kind, list(kinds))
        n_budget = self.candidates_per_citizen
        out_c, out_o = [], []
        for start in range(0, len(rows), _BLOCK):
            block = rows[start : start + _BLOCK]
            minutes = self._minutes(block)
            ok = (minutes <= self.reach_factor * np.maximum(self.limit[block], 1.0)[:, None]) & allowed[None, :]
            for i, row in enumerate(block):
                ok[i, self.done[self.done_ptr[row] : self.done_ptr[row + 1]]] = False
            wide = ok.sum(axis=1) > n_budget
            if wide.any():
                ok[wide] = self._budget(block[wide], ok[wide], minutes[wide], n_budget)
            c, o = np.nonzero(ok)
            out_c.append(c + start)
            out_o.append(o)
        if not out_c:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(out_c), np.concatenate(out_o)

    def pairs(self, citizen_ids, kinds: list[str] | None = None) -> pd.DataFrame:
        """The retrieved pairs ``citizen_id, opportunity_id, as_of`` (citizens in the given order)."""
        ids = np.asarray(citizen_ids, dtype=object)
        c, o = self.candidate_rows(ids, kinds)
        return pd.DataFrame({"citizen_id": ids[c], "opportunity_id": self.ids[o], "as_of": self.day})


def build_index(space, world, open_opportunities: pd.DataFrame, day: pd.Timestamp) -> RetrievalIndex:
    """A warm retrieval index of ``world`` on ``day`` over ``open_opportunities``."""
    return RetrievalIndex(space, open_opportunities, world.referrals, day)


def recall_at_k(full: pd.DataFrame, retrieved: pd.DataFrame) -> float:
    """Share of the rows of ``full`` (each citizen's top k by full scoring: ``citizen_id, opportunity_id``)
    that are among the ``retrieved`` pairs."""
    if full.empty:
        raise ValueError("recall_at_k: no full-scoring lists to compare with")
    hit = full[["citizen_id", "opportunity_id"]].merge(
        retrieved[["citizen_id", "opportunity_id"]].drop_duplicates().assign(_in=True), how="left", on=["citizen_id", "opportunity_id"]
    )
    return float(hit["_in"].fillna(False).astype(bool).mean())


def retrieval_quality(matcher, day: pd.Timestamp, citizen_ids, k: int = 10, success=None) -> dict[str, float]:
    """What retrieval loses for ``citizen_ids`` on ``day``, against scoring every suggestable place.

    ``recall``: share of the full-scoring top ``k`` (the served lists) among the retrieved
    candidates; ``candidates``: mean retrieved per citizen, ``open``: suggestable places. With
    ``success`` (pairs -> true success probability, a simulated world's ``Truth.success_probability``):
    ``oracle_full`` and ``oracle_retrieved``, the served top ``k``'s expected successes over the best
    possible top ``k`` among all suggestable places, and ``oracle_loss``, their difference.
    """
    from matcher.features.candidates import candidate_pairs

    ids = np.asarray(citizen_ids, dtype=object)
    full = candidate_pairs(matcher.world, ids, matcher._open_on(day)["opportunity_id"], day)
    retrieved = matcher.retrieval(day).pairs(ids)
    lists = {}
    for name, pairs in (("full", full), ("retrieved", retrieved)):
        _, pred, flags = matcher._predict(pairs)
        ranked = matcher._ranked(pairs, pred, flags, k)
        lists[name] = pairs.iloc[ranked["row"].to_numpy()][["citizen_id", "opportunity_id"]]
    out = {"recall": recall_at_k(lists["full"], retrieved), "candidates": len(retrieved) / max(1, len(ids)),
           "open": float(len(matcher._open_on(day)))}
    if success is not None:
        p = full.assign(p=success(full))
        best = p.sort_values("p", ascending=False).groupby("citizen_id").head(k)["p"].sum()
        for name, top in lists.items():
            out[f"oracle_{name}"] = float(top.merge(p, on=["citizen_id", "opportunity_id"])["p"].sum() / best)
        out["oracle_loss"] = out["oracle_full"] - out["oracle_retrieved"]
    return out
