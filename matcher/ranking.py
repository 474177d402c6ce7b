"""From a model's predictions to the list a caseworker sees: the one home of the ranking policy.

1. **The index.** By default the model's own score decides the order: log P(success) for a
   probabilistic ranker. With ``ranking.wish_weight`` w > 0 the order follows an expected-surplus
   index, log P(success) + w · log P(the citizen says yes): a job they can get *and* want
   (VADORE, "A Job I Like or a Job I Can Get"). The evaluation reports expected successes and
   declines for each w.
2. **Hard rules are off by default.** Stated limits (commute, hours, Danish, licence) are flags
   with reasons; the model prices them. A municipality may list rules in ``ranking.hard_rules``:
   a suggestion breaking one is then placed after every suggestion that breaks none.
3. **No near-duplicates.** Two openings with the same title at the same place (employer or
   provider) are one suggestion to a caseworker: only the better one is listed.
4. **Diversity where scores are close.** Each pick pays ``ranking.kind_penalty`` (in log units
   of the index) for every suggestion of the same kind already above it, so a fourth course
   only stays ahead of a placement whose chance is within that margin (a penalty of 0.1 per
   earlier item of the kind: a course must be ~10 % likelier per course already listed).

Everything here is vectorised per citizen over the few best candidates, so the batch of every
citizen costs little more than scoring.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.settings import get_settings

# How many of a citizen's best candidates the greedy list-builder looks at per suggestion wanted.
POOL_PER_SLOT = 4
EPS = 1e-12


def ranking_index(score: np.ndarray, chance: np.ndarray | None, acceptance: np.ndarray | None, wish_weight: float | None = None) -> np.ndarray:
    """The order key: log chance + w · log acceptance (or the bare score without probabilities)."""
    w = get_settings().ranking.wish_weight if wish_weight is None else wish_weight
    if chance is None:
        return np.asarray(score, dtype=float)
    index = np.log(np.clip(chance, EPS, 1.0))
    if w and acceptance is not None:
        index = index + w * np.log(np.clip(acceptance, EPS, 1.0))
    return index


def hard_rule_breaches(flags: pd.DataFrame, rules: list[str] | None = None) -> np.ndarray:
    """True where a pair breaks one of the hard rules switched on in settings (none by default)."""
    rules = get_settings().ranking.hard_rules if rules is None else rules
    if not rules:
        return np.zeros(len(flags), dtype=bool)
    unknown = sorted(set(rules) - set(flags.columns))
    if unknown:
        raise ValueError(f"ranking.hard_rules: unknown rule(s) {unknown}; choose from {list(flags.columns)}")
    return flags[list(rules)].any(axis=1).to_numpy()


def policy_frame(
    citizen_id, opportunity_id, pred, flags: pd.DataFrame, kind=None, dup_key=None,
    hard_rules: list[str] | None = None, wish_weight: float | None = None,
) -> pd.DataFrame:
    """The frame :func:`rank_lists` orders: one row a pair, with its index, breach, kind and
    duplicate key (``pred``: a :class:`matcher.models.base.Prediction`; ``flags``: the stated-limit
    flags of ``matcher.features.candidates.infeasibility``); ``row`` is the pair's position."""
    frame = pd.DataFrame({
        "citizen_id": np.asarray(citizen_id),
        "opportunity_id": np.asarray(opportunity_id),
        "score": np.asarray(pred.score, dtype=float),
        "index": ranking_index(pred.score, pred.chance, pred.acceptance, wish_weight),
        "breach": hard_rule_breaches(flags, hard_rules),
        "row": np.arange(len(flags)),
    })
    if kind is not None:
        frame["kind"] = np.asarray(kind)
    if dup_key is not None:
        frame["dup_key"] = np.asarray(dup_key)
    return frame


def rank_lists(
    frame: pd.DataFrame,
    k: int,
    group: str = "citizen_id",
    kind_penalty: float | None = None,
    dedupe: bool = True,
) -> pd.DataFrame:
    """Each group's top ``k`` rows by the policy above, with ``rank`` 1..k, in rank order.

    ``frame`` columns: ``group``, ``index`` (from :func:`ranking_index`), ``breach`` (hard rules),
    and for lists of opportunities ``kind`` and ``dup_key`` (title and place); rows with equal
    keys are ordered by the frame's order (stable), so equal inputs give equal lists.
    """
    penalty = get_settings().ranking.kind_penalty if kind_penalty is None else kind_penalty
    if frame.empty:
        return frame.assign(rank=pd.Series(dtype=int))
    # Best first within each group: no breach before breach, then the index.
    ordered = frame.assign(_order=np.arange(len(frame))).sort_values(
        [group, "breach", "index", "_order"], ascending=[True, True, False, True], kind="stable")
    if dedupe and "dup_key" in ordered:
        ordered = ordered.drop_duplicates([group, "dup_key"], keep="first")
    diversify = penalty > 0 and "kind" in ordered
    if not diversify:
        top = ordered.groupby(group, sort=False).head(k)
        return top.assign(rank=top.groupby(group, sort=False).cumcount() + 1).drop(columns="_order")
    pool = ordered.groupby(group, sort=False).head(k * POOL_PER_SLOT).reset_index(drop=True)
    starts = np.flatnonzero(np.r_[True, pool[group].to_numpy()[1:] != pool[group].to_numpy()[:-1]])
    ends = np.r_[starts[1:], len(pool)]
    kind_codes = pd.factorize(pool["kind"])[0]
    index = pool["index"].to_numpy(dtype=float)
    breach = pool["breach"].to_numpy(dtype=bool)
    picked_rows, ranks = [], []
    for a, b in zip(starts, ends):
        idx, kinds, br = index[a:b], kind_codes[a:b], breach[a:b]
        taken = np.zeros(b - a, dtype=bool)
        counts = np.zeros(kind_codes.max() + 1)
        # A breach still comes after every non-breach, whatever the penalty.
        base = idx - np.where(br, 1e9, 0.0)
        for r in range(min(k, b - a)):
            adjusted = np.where(taken, -np.inf, base - penalty * counts[kinds])
            j = int(np.argmax(adjusted))
            taken[j] = True
            counts[kinds[j]] += 1
            picked_rows.append(a + j)
            ranks.append(r + 1)
    out = pool.iloc[picked_rows].assign(rank=ranks)
    return out.drop(columns="_order")
