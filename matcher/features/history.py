"""What was known of earlier referrals at the moment a pair is scored.

Every count here uses only referrals whose outcome was recorded strictly before the pair's
``as_of`` (and, for pending ones, proposed strictly before it). Referrals or outcomes dated
on or after ``as_of`` cannot change a feature: ``tests/test_leakage.py`` proves it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.contract import KINDS
from matcher.features.config import FeatureConfig
from matcher.world import World

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
    out = _Counter(np.asarray(event_group), np.asarray(event_day), {"value": event_value}).before(np.asarray(query_group), np.asarray(query_day))
    return out["count"], out["value"]


# Day numbers stay below this (year 2243), so group * SPAN + day is a unique sortable key.
SPAN = 100_000


class _Counter:
    """Events of one grouping, sorted once, answering "how many (and how much) before day D"."""

    def __init__(self, group: np.ndarray, day: np.ndarray, values: dict[str, np.ndarray]) -> None:
        keep = group >= 0
        keys = group[keep].astype(np.int64) * SPAN + day[keep].astype(np.int64)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.cums = {name: np.r_[0.0, np.cumsum(np.asarray(v, dtype=float)[keep][order])] for name, v in values.items()}

    def before(self, query_group: np.ndarray, query_day: np.ndarray) -> dict[str, np.ndarray]:
        start = query_group.astype(np.int64) * SPAN
        lo = np.searchsorted(self.keys, start, side="left")
        hi = np.searchsorted(self.keys, start + query_day.astype(np.int64), side="left")
        missing = query_group < 0
        out = {"count": np.where(missing, 0.0, hi - lo)}
        for name, cum in self.cums.items():
            out[name] = np.where(missing, 0.0, cum[hi] - cum[lo])
        return out


class HistoryIndex:
    """The referral log arranged for fast leakage-free counts; built once per referrals table.

    Events are keyed by the day their outcome was recorded (known outcomes) or the day they were
    proposed (for pending counts); a query on day D sees only events strictly before D.
    """

    def __init__(self, referrals: pd.DataFrame, opportunities: pd.DataFrame, citizen_ids, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig.from_settings()
        self.citizens = pd.Index(pd.unique(np.asarray(citizen_ids, dtype=object)))
        self.opportunities = pd.Index(opportunities["opportunity_id"])
        self.kind_of = pd.Index(KINDS).get_indexer(opportunities["kind"])
        self.employers = pd.Index(opportunities["employer_id"].dropna().unique())
        self.employer_of = self.employers.get_indexer(opportunities["employer_id"])
        self.source = id(referrals)
        known = referrals[referrals["outcome_on"].notna() & (referrals["outcome"] != "pending")]
        day = _days(known["outcome_on"])
        c, o = self.citizens.get_indexer(known["citizen_id"]), self.opportunities.get_indexer(known["opportunity_id"])
        groups = self._groups(c, o)
        values = {
            "success": known["outcome"].isin(list(self.config.success_outcomes)).to_numpy(dtype=float),
            "refusal": known["outcome"].isin(["declined", "no_show"]).to_numpy(dtype=float),
        }
        self.known = {name: _Counter(g, day, values) for name, g in groups.items()}
        proposed_c = self.citizens.get_indexer(referrals["citizen_id"])
        self.proposed = _Counter(proposed_c, _days(referrals["proposed_on"]), {})

    def _groups(self, c: np.ndarray, o: np.ndarray) -> dict[str, np.ndarray]:
        """Integer group codes per grouping (-1: no group) for citizen rows ``c`` and opportunity rows ``o``."""
        k = np.where(o >= 0, self.kind_of[np.maximum(o, 0)], -1)
        e = np.where(o >= 0, self.employer_of[np.maximum(o, 0)], -1)
        ne, nk = max(len(self.employers), 1), len(KINDS)
        return {
            "all": np.zeros(len(c), dtype=np.int64),
            "citizen": c,
            "citizen_kind": np.where((c >= 0) & (k >= 0), c * nk + k, -1),
            "citizen_employer": np.where((c >= 0) & (e >= 0), c * ne + e, -1),
            "employer": e,
            "opportunity": o,
        }

    def features(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """The ``HISTORY_FEATURES`` of pairs (``citizen_id``, ``opportunity_id``, ``as_of``)."""
        day = _days(pairs["as_of"])
        c = self.citizens.get_indexer(pairs["citizen_id"])
        o = self.opportunities.get_indexer(pairs["opportunity_id"])
        q = {name: self.known[name].before(g, day) for name, g in self._groups(c, o).items()}
        out = pd.DataFrame(index=pairs.index)
        n, succ = q["citizen"]["count"], q["citizen"]["success"]
        out["cit_prev_outcomes"] = n
        out["cit_prev_successes"] = succ
        out["cit_prev_success_rate"] = np.where(n > 0, succ / np.maximum(n, 1), np.nan)
        out["cit_prev_refusals"] = q["citizen"]["refusal"]
        out["cit_prev_same_kind"] = q["citizen_kind"]["count"]
        out["cit_prev_same_kind_successes"] = q["citizen_kind"]["success"]
        # Pending at as_of: proposed before it, outcome not known before it.
        out["cit_pending"] = self.proposed.before(c, day)["count"] - n
        out["cit_prev_same_employer"] = q["citizen_employer"]["count"]
        # The prior is the overall success rate known before as_of, so it too cannot leak; the
        # smoothing is its weight in pseudo-referrals, pulling a small employer's rate to the mean.
        smoothing = self.config.history_smoothing
        prior = np.where(q["all"]["count"] > 0, q["all"]["success"] / np.maximum(q["all"]["count"], 1), 0.5)
        for prefix, name in (("emp", "employer"), ("opp", "opportunity")):
            out[f"{prefix}_known_referrals"] = q[name]["count"]
            out[f"{prefix}_success_rate"] = (q[name]["success"] + smoothing * prior) / (q[name]["count"] + smoothing)
        return out[HISTORY_FEATURES]


def history_features(world: World, pairs: pd.DataFrame, index: HistoryIndex | None = None) -> pd.DataFrame:
    """Earlier outcomes of the citizen, the employer and the opportunity, known before ``as_of``."""
    if index is None or index.source != id(world.referrals):
        index = HistoryIndex(world.referrals, world.opportunities, world.citizens["citizen_id"], index.config if index else None)
    return index.features(pairs)
