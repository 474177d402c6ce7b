"""The municipal plan: every active citizen's suggestions chosen jointly under the openings' free places.

Each caseworker's list is otherwise computed as if no one else existed, while all of them draw on
the same few hundred free places. The plan first solves the assignment under capacity — each
citizen holds at most one place, each opening gives at most its free places, the sum of the
assigned pairs' ``value`` is as large as possible — and then builds each citizen's list of K from
it: the held place first, then alternatives that still have room after everyone's assignment
(by value), then, when fewer than K remain and ``settings.plan.fill_taken`` is on, the citizen's
best remaining places, marked ``room_left == 0``: taken in the plan. Why fill: when places are
scarce (the default world: 1,133 free places for 6,053 active citizens on its last date) the
optimum fills every place, nothing has room after it, and a list without them would be empty for
four citizens in five; the caseworker should still see the best options and that they are held
for others (they come free when a holder declines or is rejected).

Why min-cost flow (OR-Tools) and not entropic optimal transport (POT): a held place belongs to
one named citizen, so the plan must be an integral assignment. Min-cost flow finds the exact
optimum of that integer problem (the network matrix is totally unimodular, so the LP optimum is
integral) in about a second, deterministically, with nothing to tune. Entropic transport solves a
smoothed relaxation: its plan spreads each citizen over openings in proportion to
exp(value / epsilon), approaches the optimum only as epsilon goes to 0, where Sinkhorn's iterations
slow down and underflow, and still needs a rounding step to hold places, which gives up the
exactness the allocation ratio is measured against. Its smoothing spreads exposure; here exposure
is measured instead (``matcher.congestion``).

The holds protect places only where they are kept: when every caseworker proposes from the lists
as they are, a place the plan holds for one citizen goes to whichever listing citizen comes
first. ``matcher.congestion.random_order`` measures both (``holds``), and so does
``benchmarks/bench_plan.py``.

The network: source -> citizen (capacity 1) -> opening (capacity 1, cost -value) -> sink (the
opening's free places), plus a zero-cost arc source -> sink so that no one has to be assigned.
Values are scaled to integers (``settings.plan.resolution`` units for the largest value; the
rounding costs at most n / resolution of the largest value in total). Pairs are sorted by
(citizen_id, opportunity_id) before the network is built, so the same input in any row order
gives the same plan; ties between equal values go the way the solver (deterministic) takes them.
Every pair is an arc: on the default world (1.66 million pairs) the solve takes about 2 s, and
keeping only each citizen's 50 (20) best pairs saved no time and lost 0.2 % (1.9 %) of the plan's
true expected successes, since a large opening's places then lack takers; so the network is not cut
by value. It holds what retrieval keeps (``matcher.retrieval``: reachable places, a few hundred a
citizen), which on the default world is nearly every pair and at national scale keeps the network
to hundreds, not thousands, of arcs a citizen.

``value`` is generic: by default the model's chance of success, later an expected-surplus index
that combines acceptance and success. The list's ``score`` is that value, so the held rows' scores
add up to the plan's objective (``recommend --all`` writes the model's raw score instead, for the
outcome chain log P(success)); scores are not monotone in rank within a plan's list, by design.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Mapping

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow

from matcher.settings import get_settings

LIST_COLUMNS = ["citizen_id", "rank", "opportunity_id", "score"]
DETAIL_COLUMNS = LIST_COLUMNS + ["assigned", "room_left"]
PAIR_COLUMNS = ["citizen_id", "opportunity_id", "score", "value", "feasible", "eligible"]


@dataclass
class Plan:
    """A plan: each citizen's ranked list and what it holds.

    ``detail`` has ``citizen_id, rank, opportunity_id, score, assigned, room_left`` (plus
    ``feasible`` when the pairs carried it): ``assigned`` marks the place held for this citizen,
    ``room_left`` is the opening's free places left after everyone's assignment.
    """

    detail: pd.DataFrame
    objective: float
    arcs: int
    seconds: float

    @property
    def lists(self) -> pd.DataFrame:
        """The contract's ``--all`` columns: ``citizen_id, rank, opportunity_id, score``."""
        return self.detail[LIST_COLUMNS].reset_index(drop=True)

    @property
    def assignment(self) -> pd.DataFrame:
        """The held places: ``citizen_id, opportunity_id, value``."""
        held = self.detail[self.detail["assigned"]]
        return held[["citizen_id", "opportunity_id", "score"]].rename(columns={"score": "value"}).reset_index(drop=True)


def as_capacity(capacity: Mapping[str, int] | pd.Series, where: str) -> pd.Series:
    """Free places per opening as whole numbers >= 0, or a clear error naming ``where``."""
    cap = pd.Series(capacity, dtype=object) if not isinstance(capacity, pd.Series) else capacity
    values = pd.to_numeric(cap, errors="coerce")
    bad = cap.index[values.isna() | (values < 0) | (values != np.floor(values))]
    if len(bad):
        raise ValueError(f"{where}: capacity must be a whole number >= 0 for every opening; bad for {list(bad[:5])}")
    if cap.index.has_duplicates:
        raise ValueError(f"{where}: capacity names opening(s) {list(cap.index[cap.index.duplicated()][:5])} twice")
    return values.astype(np.int64).rename_axis("opportunity_id")


def _pairs(pairs: pd.DataFrame, capacity: pd.Series, where: str) -> pd.DataFrame:
    missing = [c for c in ("citizen_id", "opportunity_id", "value") if c not in pairs.columns]
    if missing:
        raise ValueError(f"{where}: pairs lack column(s) {missing}; they have {list(pairs.columns)}")
    value = pd.to_numeric(pairs["value"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(value).all():
        raise ValueError(f"{where}: {int((~np.isfinite(value)).sum())} value(s) are missing or not finite; every pair needs a value")
    if pairs.duplicated(["citizen_id", "opportunity_id"]).any():
        first = pairs.loc[pairs.duplicated(["citizen_id", "opportunity_id"]), ["citizen_id", "opportunity_id"]].iloc[0]
        raise ValueError(f"{where}: pair ({first['citizen_id']}, {first['opportunity_id']}) appears more than once")
    unknown = pd.unique(pairs.loc[~pairs["opportunity_id"].isin(capacity.index), "opportunity_id"])
    if len(unknown):
        raise ValueError(f"{where}: opening(s) {list(unknown[:5])} have no capacity given")
    # Only what the plan uses: a caller's own columns (a model's raw score, say) stay out of it.
    keep = ["citizen_id", "opportunity_id", "value"] + [c for c in ("feasible", "eligible") if c in pairs.columns]
    out = pairs.assign(value=value)[keep].sort_values(["citizen_id", "opportunity_id"], kind="stable")
    return out.reset_index(drop=True)


def assign(pairs: pd.DataFrame, capacity: Mapping[str, int] | pd.Series) -> pd.DataFrame:
    """The exact best assignment under capacity: ``citizen_id, opportunity_id, value`` of the held pairs.

    Maximises the sum of ``value`` with each citizen in at most one pair and each opening in at
    most ``capacity[opening]`` pairs; pairs of value <= 0 are never chosen.
    """
    cap = as_capacity(capacity, "assign")
    frame = _pairs(pairs, cap, "assign")
    return _solve(frame, cap)[0]


def _solve(frame: pd.DataFrame, cap: pd.Series) -> tuple[pd.DataFrame, int]:
    columns = ["citizen_id", "opportunity_id", "value"]
    arcs = frame[frame["value"] > 0]
    if arcs.empty:
        return pd.DataFrame(columns=columns), 0
    resolution = get_settings().plan.resolution
    cost = np.rint(arcs["value"].to_numpy() * (resolution / arcs["value"].max())).astype(np.int64)
    arcs = arcs[cost > 0]
    cost = cost[cost > 0]
    ci, citizens = pd.factorize(arcs["citizen_id"], sort=True)
    oi, openings = pd.factorize(arcs["opportunity_id"], sort=True)
    n, m = len(citizens), len(openings)
    source, sink = n + m, n + m + 1
    tails = np.concatenate([np.full(n, source), ci, n + np.arange(m), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(n), n + oi, np.full(m, sink), [sink]]).astype(np.int32)
    capacities = np.concatenate([np.ones(n + len(ci)), cap.reindex(openings).to_numpy(), [n]]).astype(np.int64)
    costs = np.concatenate([np.zeros(n), -cost, np.zeros(m + 1)]).astype(np.int64)
    solver = min_cost_flow.SimpleMinCostFlow()
    all_arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    solver.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([n, -n], dtype=np.int64))
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"assign: the min-cost flow solver stopped with status {status}, not OPTIMAL")
    flows = solver.flows(all_arcs[n : n + len(ci)])
    return arcs.loc[flows > 0, columns].reset_index(drop=True), len(ci)


def allocate(
    pairs: pd.DataFrame,
    capacity: Mapping[str, int] | pd.Series,
    k: int,
    fill_taken: bool | None = None,
    feasible_only: bool | None = None,
) -> Plan:
    """The plan: the best assignment under capacity, and each citizen's list of ``k`` built from it.

    ``pairs``: ``citizen_id, opportunity_id, value`` (and optionally ``feasible``, carried into
    the detail). ``capacity``: opening -> free places. A list holds the citizen's assigned place
    first, then places with room left after the assignment, then (``fill_taken``, default
    ``settings.plan.fill_taken``) places taken in the plan; each block by value, then id.
    ``feasible_only`` keeps pairs with ``feasible == False`` out of the assignment, and pairs with
    ``eligible == False`` (a hard rule of the ranking policy) are always kept out; both may still be
    listed.
    """
    if k < 1:
        raise ValueError(f"allocate: k must be at least 1, got {k}")
    s = get_settings().plan
    fill_taken = s.fill_taken if fill_taken is None else fill_taken
    feasible_only = bool(feasible_only)
    cap = as_capacity(capacity, "allocate")
    frame = _pairs(pairs, cap, "allocate")
    started = time.perf_counter()
    if feasible_only and "feasible" not in frame.columns:
        raise ValueError("allocate: feasible_only needs a 'feasible' column in the pairs")
    holdable = np.ones(len(frame), dtype=bool)
    if "eligible" in frame.columns:
        holdable &= frame["eligible"].astype(bool).to_numpy()
    if feasible_only:
        holdable &= frame["feasible"].astype(bool).to_numpy()
    held, n_arcs = _solve(frame[holdable], cap)
    seconds = time.perf_counter() - started

    room = cap.sub(held["opportunity_id"].value_counts(), fill_value=0).astype(np.int64)
    frame = frame.merge(held[["citizen_id", "opportunity_id"]].assign(assigned=True), on=["citizen_id", "opportunity_id"], how="left")
    frame["assigned"] = frame["assigned"].fillna(False).astype(bool)
    frame["room_left"] = room.reindex(frame["opportunity_id"]).to_numpy()
    # Block 0: the held place; 1: room left after everyone's assignment; 2: taken in the plan.
    frame["_block"] = np.where(frame["assigned"], 0, np.where(frame["room_left"] > 0, 1, 2))
    if not fill_taken:
        frame = frame[frame["_block"] < 2]
    frame = frame.sort_values(["citizen_id", "_block", "value", "opportunity_id"], ascending=[True, True, False, True], kind="stable")
    top = frame.groupby("citizen_id", sort=False).head(k).copy()
    top["rank"] = top.groupby("citizen_id", sort=False).cumcount() + 1
    columns = DETAIL_COLUMNS + (["feasible"] if "feasible" in top.columns else [])
    detail = top.rename(columns={"value": "score"})[columns].reset_index(drop=True)
    return Plan(detail=detail, objective=float(held["value"].sum()), arcs=n_arcs, seconds=seconds)


def score_pairs(matcher, as_of: date | pd.Timestamp | str | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Every active citizen x the suggestable openings retrieval keeps on ``as_of``, scored by ``matcher``'s ranker.

    Returns the pairs (``citizen_id, opportunity_id, score, value, feasible, eligible``) and the
    free capacity per suggestable opening. ``value`` is what the ranking policy orders by, as a
    probability: the chance of success, times the chance the citizen says yes to the power of the
    wish weight (``matcher.ranking``); ``feasible``: no stated limit broken (the flags the page
    shows); ``eligible``: no hard rule switched on in settings broken (a place is held only there). The ranker must estimate chances: a plan adds values up across citizens, which a
    score that only orders one citizen's list cannot support.
    """
    from matcher.service import latest_date

    day = latest_date(matcher.world) if as_of is None else pd.Timestamp(as_of).normalize()
    capacity = plan_capacity(matcher, day)
    parts = [plan_pairs(pairs, pred, flags) for pairs, pred, flags in matcher.score_all(day)]
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PAIR_COLUMNS)), capacity


def plan_capacity(matcher, day: pd.Timestamp) -> pd.Series:
    """Free places per suggestable opening on ``day``."""
    from matcher.features.candidates import suggestable

    return suggestable(matcher.world, day).set_index("opportunity_id")["free_capacity"].astype(np.int64)


def plan_pairs(pairs: pd.DataFrame, pred, flags: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs as the plan takes them (``PAIR_COLUMNS``; see :func:`score_pairs`)."""
    from matcher.ranking import hard_rule_breaches, ranking_index

    if pred.chance is None:
        raise ValueError(
            "plan: the model gives no chance of success (a lambdarank model only orders each list); "
            "train a probabilistic structure (settings.ranker.structure = 'binary' or 'chain') to plan"
        )
    value = np.exp(ranking_index(pred.score, pred.chance, pred.acceptance))
    return pairs.assign(score=pred.score, value=value, feasible=~flags.any(axis=1).to_numpy(),
                        eligible=~hard_rule_breaches(flags))[PAIR_COLUMNS]


def plan_for(matcher, k: int, as_of: date | pd.Timestamp | str | None = None, client=None) -> Plan:
    """The plan on ``as_of`` for every active citizen, from ``matcher``'s model (the CLI's ``--allocate``).

    ``client``: a Dask client (``matcher.cluster``): the pairs are scored on its workers, the
    assignment is solved here, on one node (min-cost flow does not split)."""
    if client is not None:
        from matcher.cluster import score_pairs_on

        pairs, capacity = score_pairs_on(client, matcher, as_of)
    else:
        pairs, capacity = score_pairs(matcher, as_of)
    return allocate(pairs, capacity, k)
