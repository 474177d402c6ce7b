"""Training pairs from the referral log, with graded gains from the settings.

A referral is a label only when it was proposed before the cutoff AND its outcome was recorded
before the cutoff: an outcome recorded on or after the cutoff was unknown then (pending).
"""
from __future__ import annotations

import pandas as pd

from matcher.settings import get_settings
from matcher.world import World

LABEL_COLUMNS = ["citizen_id", "opportunity_id", "as_of", "gain", "query_id", "outcome", "referral_id"]


def training_pairs(world: World, cutoff: pd.Timestamp | None = None) -> pd.DataFrame:
    """Logged referrals with a known outcome before ``cutoff`` (None: all), one row each.

    Columns: ``citizen_id, opportunity_id, as_of`` (= ``proposed_on``), ``gain`` (the settings'
    ``gains`` mapping), ``query_id`` (citizen and proposal date), plus ``outcome`` and
    ``referral_id`` for inspection. Sorted by ``as_of`` and query so queries are contiguous.
    """
    gains = get_settings().gains
    r = world.referrals
    known = r[(r["outcome"] != "pending") & r["outcome_on"].notna()]
    if cutoff is not None:
        cutoff = pd.Timestamp(cutoff)
        known = known[(known["proposed_on"] < cutoff) & (known["outcome_on"] < cutoff)]
    unmapped = sorted(set(known["outcome"]) - set(gains))
    if unmapped:
        raise ValueError(f"referrals.outcome: no gain configured for {unmapped}; add them to settings.gains {gains}")
    frame = pd.DataFrame(
        {
            "citizen_id": known["citizen_id"].astype(str).to_numpy(),
            "opportunity_id": known["opportunity_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(known["proposed_on"]).to_numpy(),
            "gain": known["outcome"].map(gains).astype(int).to_numpy(),
            "outcome": known["outcome"].to_numpy(),
            "referral_id": known["referral_id"].to_numpy(),
        }
    )
    frame["query_id"] = frame["citizen_id"] + "|" + frame["as_of"].dt.strftime("%Y-%m-%d")
    return frame.sort_values(["as_of", "query_id", "referral_id"], kind="stable").reset_index(drop=True)[LABEL_COLUMNS]
