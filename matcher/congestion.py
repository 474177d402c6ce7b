"""Congestion metrics of a set of lists: what happens when every caseworker uses them at once.

Inputs: ``lists`` (``citizen_id, rank, opportunity_id``), ``capacity`` (opening -> free places)
and ``truth``: the true probabilities of the pairs (a simulated world's ``_truth``), a frame
``citizen_id, opportunity_id, probability`` and optionally ``declined`` (the probability the
citizen declines), covering every listed pair and, for the exact optimum and the oracle ratio,
every candidate pair.

The random-order procedure: citizens in a random order, each is proposed the first opening in
their list that still has a place; a proposal takes the place. Its realised expected successes
(the sum of the true success probabilities of the proposals made), averaged over seeded orders,
divided by the exact optimum (the best capacity-respecting assignment on the true probabilities)
is the allocation ratio. With ``holds`` (citizen -> opening held in a plan) the procedure keeps
each held place for its holder until the holder's turn: the plan in force, as when the app shows
places held for others as unavailable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from matcher.plan import as_capacity, assign
from matcher.settings import get_settings


@dataclass
class Orders:
    """Averages over the random orders of the procedure. ``first_choice_full``: share of the
    citizens with a list whose first suggestion had no place left at their turn;
    ``openings_proposed``: share of the openings with free places that got a proposal."""

    successes: float
    declines: float | None
    first_choice_full: float
    openings_proposed: float


def _listed(lists: pd.DataFrame, truth: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in ("citizen_id", "rank", "opportunity_id") if c not in lists.columns]
    missing += [f"truth.{c}" for c in ("citizen_id", "opportunity_id", "probability") if c not in truth.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}")
    cols = ["citizen_id", "opportunity_id", "probability"] + (["declined"] if "declined" in truth.columns else [])
    out = lists[["citizen_id", "rank", "opportunity_id"]].merge(truth[cols], on=["citizen_id", "opportunity_id"], how="left")
    if out["probability"].isna().any():
        row = out[out["probability"].isna()].iloc[0]
        raise ValueError(f"{where}: the truth has no probability for listed pair ({row['citizen_id']}, {row['opportunity_id']})")
    return out.sort_values(["citizen_id", "rank"], kind="stable").reset_index(drop=True)


def random_order(
    lists: pd.DataFrame,
    capacity: Mapping[str, int] | pd.Series,
    truth: pd.DataFrame,
    orders: int | None = None,
    seed: int | None = None,
    holds: Mapping[str, str] | pd.Series | None = None,
) -> Orders:
    """The random-order procedure over ``orders`` seeded orders (defaults: ``settings.plan``)."""
    s = get_settings().plan
    orders = s.orders if orders is None else orders
    seed = s.seed if seed is None else seed
    cap = as_capacity(capacity, "random_order")
    listed = _listed(lists, truth, "random_order")
    unknown = sorted(set(listed["opportunity_id"]) - set(cap.index))
    if unknown:
        raise ValueError(f"random_order: listed opening(s) {unknown[:5]} have no capacity given")
    ci, citizens = pd.factorize(listed["citizen_id"], sort=True)
    oi = pd.Index(cap.index).get_indexer(listed["opportunity_id"])
    starts = np.r_[0, np.flatnonzero(np.diff(ci)) + 1, len(ci)]
    p = listed["probability"].to_numpy(dtype=float)
    d = listed["declined"].to_numpy(dtype=float) if "declined" in listed.columns else None
    held = np.full(len(citizens), -1)
    if holds is not None:
        h = pd.Series(holds).reindex(citizens)
        known = h.notna().to_numpy()
        held[known] = pd.Index(cap.index).get_indexer(h[known])
    base = cap.to_numpy()
    rng = np.random.default_rng(seed)
    got, declined, full, proposed = [], [], [], []
    for _ in range(orders):
        left = base.copy()
        reserved = np.bincount(held[held >= 0], minlength=len(base))
        total = dec = 0.0
        n_full = 0
        taken = np.zeros(len(base), dtype=bool)
        for c in rng.permutation(len(citizens)):
            mine = held[c]
            for j in range(starts[c], starts[c + 1]):
                o = oi[j]
                # Places held for others who have not had their turn are not free for c.
                free = left[o] - reserved[o] + (1 if o == mine else 0)
                if j == starts[c] and free <= 0:
                    n_full += 1
                if free > 0:
                    left[o] -= 1
                    taken[o] = True
                    total += p[j]
                    dec += d[j] if d is not None else 0.0
                    break
            if mine >= 0:
                reserved[mine] -= 1
        got.append(total)
        declined.append(dec)
        full.append(n_full / max(len(citizens), 1))
        proposed.append(taken[base > 0].mean() if (base > 0).any() else np.nan)
    return Orders(
        successes=float(np.mean(got)),
        declines=float(np.mean(declined)) if d is not None else None,
        first_choice_full=float(np.mean(full)),
        openings_proposed=float(np.mean(proposed)),
    )


def optimum(truth: pd.DataFrame, capacity: Mapping[str, int] | pd.Series) -> float:
    """Expected successes of the best capacity-respecting assignment on the true probabilities."""
    held = assign(truth[["citizen_id", "opportunity_id", "probability"]].rename(columns={"probability": "value"}), capacity)
    return float(held["value"].sum())


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one holds all."""
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float(2.0 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1.0) / n)


def exposure(lists: pd.DataFrame, capacity: Mapping[str, int] | pd.Series) -> pd.Series:
    """How many lists each opening with free places appears in (0 for those in none)."""
    cap = as_capacity(capacity, "exposure")
    openings = cap.index[cap > 0]
    return lists["opportunity_id"].value_counts().reindex(openings, fill_value=0)


def list_oracle_ratio(lists: pd.DataFrame, truth: pd.DataFrame, k: int = 10) -> float:
    """Σ true probability of each citizen's listed top ``k`` / Σ of the best possible top ``k``.

    Per citizen as ``matcher.metrics.oracle_ratio_at_k``, over every citizen in ``truth``: a
    citizen with a short or empty list counts with what it holds.
    """
    listed = _listed(lists[lists["rank"] <= k], truth, "list_oracle_ratio")
    best = truth.sort_values(["citizen_id", "probability"], ascending=[True, False], kind="stable").groupby("citizen_id").head(k)
    top = best["probability"].sum()
    return float(listed["probability"].sum() / top) if top > 0 else float("nan")


def congestion(
    lists: pd.DataFrame,
    capacity: Mapping[str, int] | pd.Series,
    truth: pd.DataFrame,
    k: int = 10,
    holds: Mapping[str, str] | pd.Series | None = None,
    best: float | None = None,
) -> dict[str, float]:
    """Every congestion metric of ``lists`` at once (``best``: the exact optimum, if known)."""
    best = optimum(truth, capacity) if best is None else best
    run = random_order(lists, capacity, truth, holds=holds)
    shown = exposure(lists, capacity)
    out = {
        "allocation_ratio": run.successes / best if best > 0 else float("nan"),
        "expected_starts": run.successes,
        "optimum_starts": best,
        "first_choice_full": run.first_choice_full,
        "exposure_gini": gini(shown.to_numpy()),
        "openings_listed": float((shown > 0).mean()) if len(shown) else float("nan"),
        "openings_proposed": run.openings_proposed,
        f"oracle_ratio@{k}": list_oracle_ratio(lists, truth, k),
    }
    if run.declines is not None:
        out["expected_declines"] = run.declines
    return out
