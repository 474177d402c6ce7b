"""Occupation fit: how close the opportunity's occupation is to the citizen's wishes and history.

Two measures, each taken as the best over the citizen's job wishes and, separately, the best
over the occupations in their work history (jobs started before ``as_of``):
- cosine similarity of the occupations' text embeddings (``matcher.embeddings``);
- distance in the ISCO-08 hierarchy (0 same unit group ... 4 different major group).
Both are computed on the distinct (occupation, occupation) combinations and gathered, so the
cost grows with the number of distinct occupations, not of pairs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.taxonomy import Taxonomy

OCCUPATION_FEATURES = [
    "wish_similarity",
    "wish_isco_distance",
    "history_similarity",
    "history_isco_distance",
    "has_wishes",
    "has_history",
    "wish_same_occupation",
    "history_same_occupation",
]
# Distance for "no occupation to compare": further than the farthest real distance (4).
NO_MATCH_DISTANCE = 5.0


class OccupationSpace:
    """Embedding rows and ISCO digits for every occupation of the taxonomy."""

    def __init__(self, taxonomy: Taxonomy, embeddings=None) -> None:
        if embeddings is None:
            from matcher.embeddings import occupation_embeddings

            embeddings = occupation_embeddings()
        self.index = pd.Index(taxonomy.uris)
        rows = _embedding_rows(embeddings, self.index)
        matrix = np.asarray(embeddings.matrix, dtype=np.float32)[rows]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.vectors = matrix / np.where(norms > 0, norms, 1.0)
        codes = taxonomy.frame["isco_code"].str.ljust(4, "x").str[:4]
        self.isco = np.array([list(c) for c in codes.to_numpy()], dtype="<U1")

    def rows(self, uris) -> np.ndarray:
        return self.index.get_indexer(pd.Series(uris, dtype=object).fillna(""))

    def similarity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Cosine similarity of occupation rows ``a[i]`` and ``b[i]`` (row indices).

        Computed in float64, rounded to 5 decimals and clipped to [-1, 1]: BLAS sums differ in their
        last bits with the batch's shape (float32: 1.0000004 vs 1.0, and 0.510435 falls either side
        of a rounding), and a pair's value must not depend on which other pairs were computed with
        it (a Dask partition, a retrieved batch).
        """
        raw = _gather(lambda ua, ub: self.vectors[ua].astype(np.float64) @ self.vectors[ub].astype(np.float64).T, a, b)
        return np.clip(np.round(raw, 5), -1.0, 1.0)

    def isco_distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """ISCO distance of occupation rows ``a[i]`` and ``b[i]``: 4 minus the shared leading digits."""

        def table(ua, ub):
            same = self.isco[ua][:, None, :] == self.isco[ub][None, :, :]
            return 4 - np.cumprod(same, axis=2).sum(axis=2)

        return _gather(table, a, b).astype(float)


def _embedding_rows(embeddings, index: pd.Index) -> np.ndarray:
    """Row of each taxonomy URI in the embedding matrix; its index may be a pandas Index or a dict."""
    emb_index = embeddings.index
    if isinstance(emb_index, dict):
        rows = index.map(lambda u: emb_index.get(u, -1)).to_numpy()
    else:
        rows = pd.Index(emb_index).get_indexer(index)
    if (rows < 0).any():
        missing = index[rows < 0][:3].tolist()
        raise ValueError(f"occupation embeddings lack {int((rows < 0).sum())} taxonomy URI(s), e.g. {missing}; rebuild the embedding cache")
    return rows


def _gather(table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    return np.asarray(table(ua, ub))[ia, ib]


def _best(space: OccupationSpace, links: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best similarity, smallest distance, the best-matching occupation row and an exact-match
    flag (the very occupation, not only its ISCO group) per pair.

    ``links``: ``pair`` (row number), ``occ`` (citizen-side occupation row), ``target`` (the
    opportunity's occupation row); rows with a missing side are ignored.
    """
    links = links[(links["occ"] >= 0) & (links["target"] >= 0)]
    sim = np.full(n, np.nan)
    dist = np.full(n, NO_MATCH_DISTANCE)
    best = np.full(n, -1)
    exact = np.zeros(n)
    if len(links):
        s = space.similarity(links["occ"].to_numpy(), links["target"].to_numpy())
        d = space.isco_distance(links["occ"].to_numpy(), links["target"].to_numpy())
        frame = pd.DataFrame({"pair": links["pair"].to_numpy(), "occ": links["occ"].to_numpy(), "s": s, "d": d})
        top = frame.sort_values(["pair", "s"], ascending=[True, False]).drop_duplicates("pair")
        sim[top["pair"].to_numpy()] = top["s"].to_numpy()
        best[top["pair"].to_numpy()] = top["occ"].to_numpy()
        nearest = frame.groupby("pair")["d"].min()
        dist[nearest.index.to_numpy()] = nearest.to_numpy()
        same = links["pair"].to_numpy()[links["occ"].to_numpy() == links["target"].to_numpy()]
        exact[same] = 1.0
    return sim, dist, best, exact


def citizen_occupations(space: OccupationSpace, world) -> dict[str, pd.DataFrame]:
    """Each citizen's wished occupations and work-history occupations (with start dates), as rows."""
    wishes = world.citizens[["citizen_id", "job_wishes"]].explode("job_wishes").dropna()
    history = world.work_history
    return {
        "wish": pd.DataFrame({"citizen_id": wishes["citizen_id"].to_numpy(), "occ": space.rows(wishes["job_wishes"].to_numpy())}),
        "history": pd.DataFrame(
            {"citizen_id": history["citizen_id"].to_numpy(), "occ": space.rows(history["occupation_uri"].to_numpy()), "start_on": history["start_on"].to_numpy()}
        ).drop_duplicates(),
    }


def occupation_links(space: OccupationSpace, citizen_occ: dict[str, pd.DataFrame], pairs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Pair-to-occupation links for wishes and for work history known before ``as_of``."""
    n = len(pairs)
    base = pd.DataFrame(
        {
            "pair": np.arange(n),
            "citizen_id": pairs["citizen_id"].to_numpy(),
            "as_of": pairs["as_of"].to_numpy(),
            "target": space.rows(pairs["opportunity_uri"].to_numpy()),
        }
    )
    wish_links = base.merge(citizen_occ["wish"], on="citizen_id")
    hist_links = base.merge(citizen_occ["history"], on="citizen_id")
    hist_links = hist_links[hist_links["start_on"] < hist_links["as_of"]].drop(columns="start_on")
    return {"wish": wish_links, "history": hist_links}


def occupation_features(space: OccupationSpace, citizen_occ: dict[str, pd.DataFrame], pairs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Occupation-fit features, and for each pair the best-matching wish and history occupation URI.

    ``citizen_occ``: from :func:`citizen_occupations`. ``pairs`` carries ``citizen_id``, ``as_of``
    and ``opportunity_uri`` (missing for a course).
    """
    # Many pairs share citizen, date and occupation (one citizen, many openings in one trade).
    keys = pd.DataFrame(
        {"citizen_id": pairs["citizen_id"].to_numpy(), "as_of": pairs["as_of"].to_numpy(), "opportunity_uri": pairs["opportunity_uri"].fillna("").to_numpy()}
    )
    codes = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    unique = keys.drop_duplicates().reset_index(drop=True)
    features, best = _occupation_features(space, citizen_occ, unique)
    return features.iloc[codes].reset_index(drop=True), {k: v[codes] for k, v in best.items()}


def _occupation_features(space: OccupationSpace, citizen_occ: dict[str, pd.DataFrame], pairs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(pairs)
    links = occupation_links(space, citizen_occ, pairs)
    w_sim, w_dist, w_best, w_exact = _best(space, links["wish"], n)
    h_sim, h_dist, h_best, h_exact = _best(space, links["history"], n)
    features = pd.DataFrame(
        {
            "wish_similarity": w_sim,
            "wish_isco_distance": w_dist,
            "history_similarity": h_sim,
            "history_isco_distance": h_dist,
            "has_wishes": np.bincount(links["wish"]["pair"].to_numpy(), minlength=n)[:n].astype(bool).astype(float),
            "has_history": np.bincount(links["history"]["pair"].to_numpy(), minlength=n)[:n].astype(bool).astype(float),
            "wish_same_occupation": w_exact,
            "history_same_occupation": h_exact,
        }
    )
    uris = space.index.to_numpy()
    best = {
        "wish_uri": np.where(w_best >= 0, uris[np.maximum(w_best, 0)], None),
        "history_uri": np.where(h_best >= 0, uris[np.maximum(h_best, 0)], None),
    }
    return features, best
