"""Which opportunities may be suggested to whom on a date, and which suggestions are feasible.

Suggestable on D: open on D with free capacity (the contract's rule, ``World.open_opportunities``)
and not already proposed to that citizen (any referral proposed on or before D).

Feasible: nothing rules the suggestion out in practice. A suggestion is *infeasible* when it
needs a driving licence the citizen lacks, asks for more hours than the citizen's maximum, lies
beyond the citizen's commute limit, or needs Danish two or more levels above the citizen's.
Infeasible suggestions are not hidden: they are ranked after every feasible one and say why,
because a caseworker may know better (a licence under way, a limit that has changed).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.world import World

# A Danish shortfall of this many levels or more makes a suggestion infeasible.
DANISH_SHORTFALL_LIMIT = 2
# The stated limits, in the order a flag names them; their texts are the translation table's
# (``matcher.i18n``, keys ``infeasible_<name>``).
INFEASIBILITY = ("licence", "hours", "commute", "danish")


def suggestable(world: World, as_of: pd.Timestamp) -> pd.DataFrame:
    """Opportunities open on ``as_of`` with free capacity (column ``free_capacity`` > 0)."""
    o = world.open_opportunities(as_of)
    return o[o["free_capacity"] > 0]


def proposed_before(world: World, as_of: pd.Timestamp) -> pd.DataFrame:
    """Distinct (citizen_id, opportunity_id) proposed on or before ``as_of``."""
    r = world.referrals
    return r.loc[r["proposed_on"] <= pd.Timestamp(as_of), ["citizen_id", "opportunity_id"]].drop_duplicates()


def candidate_pairs(world: World, citizen_ids, opportunity_ids, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every citizen x opportunity combination, less those already proposed; with ``as_of``."""
    cit = pd.DataFrame({"citizen_id": pd.unique(np.asarray(citizen_ids, dtype=object))})
    opp = pd.DataFrame({"opportunity_id": pd.unique(np.asarray(opportunity_ids, dtype=object))})
    pairs = cit.merge(opp, how="cross")
    done = proposed_before(world, as_of)
    done = done[done["citizen_id"].isin(cit["citizen_id"])].assign(_done=True)
    pairs = pairs.merge(done, on=["citizen_id", "opportunity_id"], how="left")
    pairs = pairs[pairs["_done"].isna()].drop(columns="_done").reset_index(drop=True)
    pairs["as_of"] = pd.Timestamp(as_of)
    return pairs


def infeasibility(features: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per reason in ``INFEASIBILITY``, row-aligned with ``features``."""
    return pd.DataFrame(
        {
            "licence": features["licence_missing"].to_numpy() > 0,
            "hours": features["hours_over"].to_numpy() > 0,
            "commute": features["commute_over_limit"].to_numpy() > 0,
            "danish": features["danish_short"].to_numpy() >= DANISH_SHORTFALL_LIMIT,
        },
        index=features.index,
    )


def feasible(features: pd.DataFrame) -> np.ndarray:
    """True where no infeasibility applies."""
    return ~infeasibility(features).any(axis=1).to_numpy()
