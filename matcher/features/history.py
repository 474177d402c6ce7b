"""What was known of earlier referrals at the moment a pair is scored.

Every count here uses only referrals whose outcome was recorded strictly before the pair's
``as_of`` (and, for pending ones, proposed strictly before it). Referrals or outcomes dated
on or after ``as_of`` cannot change a feature: ``tests/test_leakage.py`` proves it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.settings import get_settings
from matcher.world import World

# Prior weight (pseudo-referrals) that pulls a small employer's or opportunity's rate to the mean.
SMOOTHING = 5.0

HISTORY_FEATURES = [
    "cit_prev_outcomes",
    "cit_prev_successes",
    "cit_prev_success_rate",
    "cit_prev_refusals",
    "cit_prev_same_kind",
    "cit_prev_same_kind_successes",
    "cit_pending",
    "cit_prev_same_employer",
    "emp_known_referrals",
    "emp_success_rate",
    "opp_known_referrals",
    "opp_success_rate",
]

_DAY = np.timedelta64(1, "D")


def _days(values: pd.Series) -> np.ndarray:
    return (values.to_numpy(dtype="datetime64[ns]") - np.datetime64("1970-01-01")) // _DAY


def counts_before(
    event_group: np.ndarray,
    event_day: np.ndarray,
    event_value: np.ndarray,
    query_group: np.ndarray,
    query_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the number and value-sum of events in its group dated strictly before its day.

    Groups are integer codes (-1 = no group: counts 0); days are integer day numbers. One sort
    and two binary searches: no loop over queries.
    """
    span = int(max(event_day.max(initial=0), query_day.max(initial=0))) + 2
    keep = event_group >= 0
    keys = event_group[keep].astype(np.int64) * span + event_day[keep].astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    cum = np.r_[0.0, np.cumsum(np.asarray(event_value, dtype=float)[keep][order])]
    q_start = query_group.astype(np.int64) * span
    lo = np.searchsorted(keys, q_start, side="left")
    hi = np.searchsorted(keys, q_start + query_day.astype(np.int64), side="left")
    count = (hi - lo).astype(float)
    total = cum[hi] - cum[lo]
    missing = query_group < 0
    count[missing] = 0.0
    total[missing] = 0.0
    return count, total


def _codes(event_keys: pd.Series | pd.MultiIndex, query_keys) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes for event and query keys (-1 where a key is missing)."""
    both = pd.concat([pd.Series(event_keys, dtype=object), pd.Series(query_keys, dtype=object)], ignore_index=True)
    codes, _ = pd.factorize(both)
    return codes[: len(event_keys)], codes[len(event_keys):]


def history_features(world: World, pairs: pd.DataFrame) -> pd.DataFrame:
    """Earlier outcomes of the citizen, the employer and the opportunity, known before ``as_of``."""
    s = get_settings()
    opp = world.opportunities.set_index("opportunity_id")
    r = world.referrals
    known = r[r["outcome_on"].notna() & (r["outcome"] != "pending")]
    k_day = _days(known["outcome_on"])
    success = known["outcome"].isin(s.success_outcomes).to_numpy(dtype=float)
    refusal = known["outcome"].isin(["declined", "no_show"]).to_numpy(dtype=float)
    k_kind = known["opportunity_id"].map(opp["kind"]).to_numpy()
    k_emp = known["opportunity_id"].map(opp["employer_id"]).to_numpy()

    q_day = _days(pairs["as_of"])
    q_cit = pairs["citizen_id"].to_numpy()
    q_opp = pairs["opportunity_id"].to_numpy()
    q_kind = pairs["opportunity_id"].map(opp["kind"]).to_numpy()
    q_emp = pairs["opportunity_id"].map(opp["employer_id"]).to_numpy()
    ones = np.ones(len(known))

    def per(event_key, query_key, value):
        eg, qg = _codes(event_key, query_key)
        return counts_before(eg, k_day, value, qg, q_day)

    out = pd.DataFrame(index=pairs.index)
    n, succ = per(known["citizen_id"].to_numpy(), q_cit, success)
    out["cit_prev_outcomes"] = n
    out["cit_prev_successes"] = succ
    out["cit_prev_success_rate"] = np.where(n > 0, succ / np.maximum(n, 1), np.nan)
    out["cit_prev_refusals"] = per(known["citizen_id"].to_numpy(), q_cit, refusal)[1]
    ck = known["citizen_id"].to_numpy().astype(object) + "|" + k_kind.astype(str)
    qk = q_cit.astype(object) + "|" + q_kind.astype(str)
    out["cit_prev_same_kind"], out["cit_prev_same_kind_successes"] = per(ck, qk, success)

    # Pending at as_of: proposed before it, outcome not known before it.
    p_day = _days(r["proposed_on"])
    eg, qg = _codes(r["citizen_id"].to_numpy(), q_cit)
    proposed, _ = counts_before(eg, p_day, np.ones(len(r)), qg, q_day)
    out["cit_pending"] = proposed - n

    ce = np.where(pd.isna(k_emp), None, known["citizen_id"].to_numpy().astype(object) + "|" + k_emp.astype(str))
    qe = np.where(pd.isna(q_emp), None, q_cit.astype(object) + "|" + q_emp.astype(str))
    out["cit_prev_same_employer"] = per(ce, qe, ones)[0]

    # The prior is the overall success rate known before as_of, so it too cannot leak.
    all_n, all_s = counts_before(np.zeros(len(known), dtype=np.int64), k_day, success, np.zeros(len(pairs), dtype=np.int64), q_day)
    prior = np.where(all_n > 0, all_s / np.maximum(all_n, 1), 0.5)
    for prefix, ek, qk_ in (("emp", k_emp, q_emp), ("opp", known["opportunity_id"].to_numpy(), q_opp)):
        n_g, s_g = per(ek, qk_, success)
        out[f"{prefix}_known_referrals"] = n_g
        out[f"{prefix}_success_rate"] = (s_g + SMOOTHING * prior) / (n_g + SMOOTHING)
    return out[HISTORY_FEATURES]
