"""The logging policy: how caseworkers proposed things, week by week, and what came of it.

Caseworkers do not see the truth. Each week every active citizen whose turn has come has a
meeting with 1-4 proposals ("job from day one": the first within three weeks of enrolment), chosen among the
opportunities open then with free capacity by what a caseworker sees and does: the citizen's
wishes and history, distance, the caseworker's own habits (favourite kinds and employers),
readiness, and chance. The outcome is then drawn from the truth, with dates; a hire ends the
citizen's programme. All scoring is one matrix per week (due citizens x open opportunities).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.contract import KINDS
from matcher.features.commute import haversine_km
from matcher.simulate.outcomes import OUTCOME_COLUMNS
from matcher.simulate.truth import EPOCH, Truth

NEVER = np.iinfo(np.int64).max // 4
K = {k: i for i, k in enumerate(KINDS)}
# What caseworkers reach for (log weights), by readiness.
KIND_HABIT = {
    "jobparat": {"company_placement": 0.6, "wage_subsidy_job": 0.3, "small_job": 0.3, "ordinary_job": 0.6,
                 "flex_job": -1.0, "course": -1.2, "education": -2.2},
    "aktivitetsparat": {"company_placement": 0.9, "wage_subsidy_job": -0.3, "small_job": 0.1, "ordinary_job": -1.0,
                        "flex_job": 0.0, "course": -0.6, "education": -2.6},
}
WISH_WEIGHT = np.array([0.0, 0.6, 1.2, 2.0])
HISTORY_WEIGHT = np.array([0.0, 0.3, 0.5, 0.7])


@dataclass
class PolicySettings:
    """Knobs of the caseworkers' routine (days unless named otherwise)."""

    first_proposal_days: tuple[int, int] = (3, 21)
    gap_after_start: tuple[int, int] = (35, 84)
    gap_after_no_start: tuple[int, int] = (56, 126)
    extra_gap_aktivitetsparat: int = 56
    clarification_days: tuple[int, int] = (60, 240)
    distance_per_km: float = 0.08
    habit_sigma: float = 0.5
    favourite_employers: int = 10
    favourite_weight: float = 1.0
    noise: float = 1.0
    liaison_share: float = 0.05
    # Share of meetings with 1, 2, 3, 4 proposals, and the pull of the first proposal's kind.
    proposals_per_meeting: tuple[float, ...] = (0.25, 0.35, 0.25, 0.15)
    kind_focus: float = 1.0
    capacity_rounds: int = 3
    target_caseload: float = 37.5


@dataclass
class Log:
    """The policy's result: referrals, leaving dates, caseworker assignment, fill dates."""

    referrals: pd.DataFrame
    left_day: np.ndarray
    caseworker: np.ndarray  # per citizen, index into the caseworker frame
    filled_day: np.ndarray  # per opportunity: the day its last place was filled (NEVER if not)


def _outcome_days(rng, kind: np.ndarray, outcome: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """Days from proposal to outcome: quick answers for no, the placement's weeks for a start."""
    n = len(kind)
    lead = rng.integers(7, 36, n)
    w = np.where(np.isnan(weeks), 12, weeks) * 7
    frac = rng.uniform(0.1, 0.8, n)
    job = np.isin(kind, [K["ordinary_job"], K["flex_job"], K["small_job"]])
    edu = kind == K["education"]
    days = np.select(
        [outcome == 0, outcome == 1, outcome == 2],  # declined, rejected, no_show
        [rng.integers(2, 15, n), rng.integers(7, 36, n), lead + rng.integers(0, 4, n)],
        default=0,
    )
    started = outcome >= 3
    through = np.where(job | edu, rng.integers(56, 183, n), w)  # a job or an education has no fixed end here
    drop = np.where(job | edu, rng.integers(14, 85, n), w * frac)
    hired_now = (outcome == 5) & (np.isin(kind, [K["ordinary_job"], K["flex_job"]]) | edu)
    started_days = np.select([outcome == 3, hired_now], [lead + drop, lead], default=lead + through)
    return np.where(started, started_days, days).astype(np.int64)


def _meeting_choices(rng, score: np.ndarray, kinds: np.ndarray, free: np.ndarray,
                     ps: "PolicySettings") -> tuple[np.ndarray, np.ndarray]:
    """The opportunities each due citizen is offered at a meeting: 1-4 of them, in the caseworker's order.

    The first choice sets the meeting's theme: other options of the same kind get ``kind_focus``
    on top of their score, so a meeting is mostly about one or two kinds. Meetings take places in
    random order; a caseworker who finds a place taken goes on to the next option (in rounds).
    Returns (row, column) of every proposal.
    """
    n_rows, n_cols = score.shape
    best = np.argmax(score, axis=1)
    themed = score + ps.kind_focus * (kinds[None, :] == kinds[best][:, None])
    p = np.asarray(ps.proposals_per_meeting, float)
    wanted = rng.choice(np.arange(1, len(p) + 1), n_rows, p=p / p.sum())
    turn = np.empty(n_rows, np.int64)
    turn[rng.permutation(n_rows)] = np.arange(n_rows)
    left_free = free.astype(np.int64).copy()
    got = np.zeros(n_rows, np.int64)
    out_rows, out_cols = [], []
    for _ in range(ps.capacity_rounds):
        need = wanted - got
        width = min(int(need.max()), n_cols)
        if width <= 0:
            break
        masked = np.where(left_free[None, :] > 0, themed, -np.inf)
        top = np.argpartition(-masked, width - 1, axis=1)[:, :width] if width < n_cols else np.tile(np.arange(n_cols), (n_rows, 1))
        top_score = np.take_along_axis(masked, top, axis=1)
        order = np.argsort(-top_score, axis=1, kind="stable")
        top, top_score = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_score, order, axis=1)
        ok = (np.arange(width)[None, :] < need[:, None]) & np.isfinite(top_score)
        rows = np.broadcast_to(np.arange(n_rows)[:, None], top.shape)[ok]
        cols = top[ok]
        if not len(rows):
            break
        by_turn = np.argsort(turn[rows], kind="stable")
        rows, cols = rows[by_turn], cols[by_turn]
        rank = pd.Series(np.ones(len(cols))).groupby(cols).cumsum().to_numpy().astype(np.int64) - 1
        take = rank < left_free[cols]
        rows, cols = rows[take], cols[take]
        out_rows.append(rows)
        out_cols.append(cols)
        np.subtract.at(left_free, cols, 1)
        got += np.bincount(rows, minlength=n_rows)
        themed[rows, cols] = -np.inf  # never the same option twice at one meeting
    rows = np.concatenate(out_rows) if out_rows else np.empty(0, np.int64)
    cols = np.concatenate(out_cols) if out_cols else np.empty(0, np.int64)
    return rows, cols


def _decline_after_hire(rows: np.ndarray, n_rows: int, outcome: np.ndarray, out_day: np.ndarray) -> None:
    """A citizen hired on one proposal of a meeting declines the others still open then (in place)."""
    hired = outcome == OUTCOME_COLUMNS.index("hired")
    first_hire = np.full(n_rows, NEVER)
    np.minimum.at(first_hire, rows[hired], out_day[hired])
    later = out_day > first_hire[rows]
    outcome[later] = OUTCOME_COLUMNS.index("declined")
    out_day[later] = first_hire[rows][later]


def run_policy(
    rng: np.random.Generator, truth: Truth, citizens: pd.DataFrame, team: np.ndarray, leave_exogenous: np.ndarray,
    caseworkers: pd.DataFrame, opportunities: pd.DataFrame, employers: pd.DataFrame,
    start: np.datetime64, weeks: int, ps: PolicySettings,
) -> Log:
    """Simulate ``weeks`` weeks of proposals from ``start``; outcomes drawn from ``truth``."""
    n_c, n_o = len(citizens), len(opportunities)
    day0 = int((start - EPOCH) / np.timedelta64(1, "D"))
    end_day = day0 + 7 * weeks
    enrolled = ((citizens["enrolled_on"].to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64))
    left = np.where(pd.isna(leave_exogenous), NEVER,
                    (pd.to_datetime(leave_exogenous).to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64))
    aktiv = (citizens["readiness"] == "aktivitetsparat").to_numpy()
    # Complex cases (activity-ready with mental health or substance use) are clarified first.
    complex_case = aktiv & truth.c_barriers[:, [1, 2]].any(axis=1)
    next_due = (enrolled + rng.integers(*ps.first_proposal_days, n_c)
                + complex_case * rng.integers(*ps.clarification_days, n_c))
    flex_ok = truth.c_barriers[:, [0, 1]].any(axis=1)  # physical or mental health: a flex job can be on the table
    consent = citizens["candidate_search_consent"].to_numpy(bool)

    is_cw = (caseworkers["role"] == "caseworker").to_numpy()
    cw_idx = np.flatnonzero(is_cw)
    liaison_idx = np.flatnonzero(~is_cw)
    cw_team = caseworkers["team"].to_numpy()
    assigned = np.full(n_c, -1)
    habit = np.array([[KIND_HABIT[r][k] for k in KINDS] for r in ("jobparat", "aktivitetsparat")])
    cw_habit = rng.normal(0, ps.habit_sigma, (len(caseworkers), len(KINDS)))
    size = np.sqrt(employers["employees"].to_numpy(float))
    cw_fav = np.zeros((len(caseworkers), len(employers) + 1), bool)  # last column: no employer
    for i in range(len(caseworkers)):
        cw_fav[i, rng.choice(len(employers), min(ps.favourite_employers, len(employers)), replace=False, p=size / size.sum())] = True

    o = opportunities
    o_from = ((o["open_from"].to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64))
    until = o["open_until"].to_numpy().astype("datetime64[D]")
    o_until = np.where(np.isnat(until), NEVER, (until - EPOCH).astype(np.int64))
    o_cap = o["capacity"].to_numpy(int)
    o_kind = truth.o_kind
    o_weeks = o["weeks"].to_numpy(float)
    o_emp = pd.Index(employers["employer_id"]).get_indexer(o["employer_id"].fillna(""))
    o_emp = np.where(o_emp >= 0, o_emp, len(employers))
    o_occ = truth.o_occ
    filled = np.full(n_o, NEVER)
    hire_days: dict[int, list[int]] = {}

    cols = {k: [] for k in ("cit", "opp", "cw", "prop", "out_day", "outcome")}
    all_cit = np.empty(0, np.int64)
    all_opp = np.empty(0, np.int64)
    all_out = np.empty(0, np.int64)
    comp_cit, comp_day = [], []

    for week in range(weeks):
        d = day0 + 7 * week
        # New enrolees this week go to the least loaded caseworker of their team.
        active_now = (enrolled <= d) & (left > d)
        load = np.bincount(assigned[active_now & (assigned >= 0)], minlength=len(caseworkers)).astype(float)
        new = np.flatnonzero((enrolled < d + 7) & (assigned < 0))
        for c in new[rng.permutation(len(new))]:
            team_cws = cw_idx[cw_team[cw_idx] == team[c]]
            if not len(team_cws):
                team_cws = cw_idx
            pick = team_cws[np.argmin(load[team_cws])]
            assigned[c] = pick
            load[pick] += 1

        due = np.flatnonzero((enrolled <= d) & (left > d + 4) & (next_due < d + 7) & (assigned >= 0))
        unresolved = np.bincount(all_opp[all_out > d], minlength=n_o) if len(all_opp) else np.zeros(n_o, int)
        free = o_cap - unresolved
        open_ = np.flatnonzero((o_from <= d) & (o_until > d + 4) & (filled > d + 4) & (free > 0))
        if not len(due) or not len(open_):
            continue
        ci = due[:, None]
        oo = open_[None, :]
        occ = o_occ[open_]
        has = occ >= 0
        wish = np.where(has[None, :], truth.wish_level[ci, np.maximum(occ, 0)[None, :]], 0)
        hist = np.where(has[None, :], truth.history_level[ci, np.maximum(occ, 0)[None, :]], 0)
        km = haversine_km(truth.c_lat[ci], truth.c_lon[ci], truth.o_lat[oo], truth.o_lon[oo])
        kinds = o_kind[open_][None, :]
        score = (WISH_WEIGHT[wish] + HISTORY_WEIGHT[hist] - ps.distance_per_km * km
                 + habit[aktiv[due].astype(int)[:, None], kinds] + cw_habit[assigned[due][:, None], kinds]
                 + ps.favourite_weight * cw_fav[assigned[due][:, None], o_emp[open_][None, :]]
                 - 0.5 * np.maximum(truth.o_danish[oo] - truth.c_danish[ci] - 1, 0)
                 + ps.noise * rng.gumbel(size=(len(due), len(open_))))
        score[~flex_ok[due][:, None] & (kinds == K["flex_job"])] = -np.inf
        # Never the same opportunity twice to one citizen.
        row_of = np.full(n_c, -1)
        row_of[due] = np.arange(len(due))
        col_of = np.full(n_o, -1)
        col_of[open_] = np.arange(len(open_))
        seen = (row_of[all_cit] >= 0) & (col_of[all_opp] >= 0)
        score[row_of[all_cit[seen]], col_of[all_opp[seen]]] = -np.inf
        rows, chosen = _meeting_choices(rng, score, kinds[0], free[open_], ps)
        if not len(rows):
            continue
        cit = due[rows]
        opp = open_[chosen]
        prop = (d + rng.integers(0, 5, len(due)))[rows]  # one meeting day per citizen
        truth.set_completed(np.asarray(comp_cit, np.int64), np.asarray(comp_day, np.int64))
        probs = truth.probabilities_at(cit, opp, prop)
        outcome = (rng.random((len(rows), 1)) > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, 5)
        out_day = prop + _outcome_days(rng, o_kind[opp], outcome, o_weeks[opp])
        _decline_after_hire(rows, len(due), outcome, out_day)

        by = assigned[cit].copy()
        liaison = (consent[cit] & (o_emp[opp] < len(employers)) & (rng.random(len(rows)) < ps.liaison_share)
                   & (len(liaison_idx) > 0))
        if liaison.any():
            by[liaison] = liaison_idx[rng.integers(0, len(liaison_idx), int(liaison.sum()))]
        for key, val in (("cit", cit), ("opp", opp), ("cw", by), ("prop", prop), ("out_day", out_day), ("outcome", outcome)):
            cols[key].append(val)
        all_cit = np.concatenate([all_cit, cit])
        all_opp = np.concatenate([all_opp, opp])
        all_out = np.concatenate([all_out, out_day])

        done = outcome == OUTCOME_COLUMNS.index("completed")
        comp_cit.extend(cit[done].tolist())
        comp_day.extend(out_day[done].tolist())
        hired = outcome == OUTCOME_COLUMNS.index("hired")
        np.minimum.at(left, cit[hired], out_day[hired])
        for j in np.flatnonzero(hired & np.isin(o_kind[opp], [K["ordinary_job"], K["flex_job"], K["small_job"], K["wage_subsidy_job"]])):
            days = sorted(hire_days.setdefault(int(opp[j]), []) + [int(out_day[j])])
            hire_days[int(opp[j])] = days
            if len(days) >= o_cap[opp[j]]:
                filled[opp[j]] = days[o_cap[opp[j]] - 1]
        # The next meeting comes after the last outcome of this one.
        met = np.unique(rows)
        last = np.full(len(due), -1, np.int64)
        np.maximum.at(last, rows, out_day)
        started = np.zeros(len(due), bool)
        np.logical_or.at(started, rows, outcome >= 3)
        gap = np.where(started[met], rng.integers(*ps.gap_after_start, len(met)), rng.integers(*ps.gap_after_no_start, len(met)))
        gap += aktiv[due[met]] * rng.integers(0, ps.extra_gap_aktivitetsparat + 1, len(met))
        next_due[due[met]] = last[met] + gap

    ref = pd.DataFrame({k: (np.concatenate(v) if v else np.empty(0, np.int64)) for k, v in cols.items()})
    ref = ref.sort_values(["prop", "cit"], kind="stable").reset_index(drop=True)
    left = np.where(left <= end_day, left, NEVER)
    return Log(ref, left, assigned, filled)
