"""Programme figures for the overview page, all "as of D" and all aggregates.

Definitions (the published targets in DOMAIN.md, made measurable):

- *reached an activity*: a referral to anything but a course (a job of any kind, an education,
  a company placement, a small job) with a success outcome (settings' ``success_outcomes``).
- *target 1*: of the citizens enrolled at least a year before D, the share who reached an
  activity within a year of enrolling; the programme's first round reached 45 %.
- *target 2*: citizens with a ``hired`` outcome (an ordinary job or education, flex jobs
  included) in the two years up to D; the second round expects at least 2,000.
- *active offer*: a referral unresolved on D (``matcher.timerules``).

Groups with fewer citizens than ``min_cell_size`` show no figures (small-cell privacy rule).
Tingbjerg is shown as its own row: citizens living within ``tingbjerg_radius_km`` of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from matcher import timerules
from matcher.postcodes import TINGBJERG, district_of
from matcher.settings import get_settings
from matcher.world import World

ACTIVITY_KINDS = (
    "company_placement", "wage_subsidy_job", "small_job", "ordinary_job", "flex_job", "education",
)
TINGBJERG_ROW = "Tingbjerg"
EARTH_RADIUS_KM = 6371.0


def km_from(lat: np.ndarray, lon: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    """Great-circle distance in km from each (lat, lon) to one point."""
    lat1, lon1 = np.radians(lat), np.radians(lon)
    lat2, lon2 = np.radians(point[0]), np.radians(point[1])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def _known(world: World, on: date) -> pd.DataFrame:
    """Referrals proposed on or before D with what was known of them on D, with their kind."""
    d = pd.Timestamp(on)
    r = world.referrals[world.referrals["proposed_on"] <= d].copy()
    later = timerules.referral_unresolved(r, on)
    r.loc[later, "outcome"] = "pending"
    r.loc[later, "outcome_on"] = pd.NaT
    kinds = world.opportunities.set_index("opportunity_id")["kind"]
    r["kind"] = r["opportunity_id"].map(kinds)
    return r


def _reached(world: World, on: date) -> pd.DataFrame:
    """Per citizen: first date an activity was reached (NaT if never) and whether ever hired."""
    r = _known(world, on)
    success = r["outcome"].isin(get_settings().success_outcomes) & r["kind"].isin(ACTIVITY_KINDS)
    first = r[success].groupby("citizen_id")["outcome_on"].min()
    c = world.citizens[["citizen_id", "enrolled_on"]].copy()
    c["reached_on"] = c["citizen_id"].map(first)
    return c


def district_column(citizens: pd.DataFrame) -> pd.Series:
    """The district of each citizen's home postcode."""
    return citizens["home_postcode"].map(district_of)


def in_tingbjerg(citizens: pd.DataFrame) -> pd.Series:
    """True for citizens whose home lies within the Tingbjerg radius."""
    km = km_from(citizens["home_lat"].to_numpy(float), citizens["home_lon"].to_numpy(float), TINGBJERG)
    return pd.Series(km <= get_settings().tingbjerg_radius_km, index=citizens.index)


def _active_offer(world: World, on: date) -> pd.Series:
    """Per active citizen: has a referral unresolved on D."""
    active = world.active_citizens(on)
    r = world.referrals
    busy = r.loc[timerules.referral_unresolved(r, on), "citizen_id"].unique()
    return pd.Series(active["citizen_id"].isin(busy).to_numpy(), index=active["citizen_id"])


def share_with_active_offer(world: World, on: date) -> float:
    """Share of the citizens active on D with an active offer."""
    flags = _active_offer(world, on)
    return float(flags.mean()) if len(flags) else 0.0


def hired_ids(world: World, on: date) -> np.ndarray:
    """Citizens with a ``hired`` outcome in the two years up to D (target 2's count)."""
    d = pd.Timestamp(on)
    r = _known(world, on)
    return r.loc[(r["outcome"] == "hired") & (r["outcome_on"] > d - pd.Timedelta(days=2 * 365)), "citizen_id"].unique()


def by_district(world: World, on: date) -> pd.DataFrame:
    """Per district (and Tingbjerg): active citizens, share with an active offer, share who ever
    reached an activity, and citizens hired in the two years up to D (target 2, counted where they
    live, whether still in the programme or not: a hired citizen usually leaves it, so counting only
    the active ones showed 0 everywhere); figures of too-small groups are left empty."""
    d = pd.Timestamp(on)
    active = world.active_citizens(on).copy()
    flags = _active_offer(world, on)
    reached = _reached(world, on).set_index("citizen_id")["reached_on"]
    active["active_offer"] = active["citizen_id"].map(flags).astype(bool)
    active["reached"] = active["citizen_id"].map(reached).notna() & (active["citizen_id"].map(reached) <= d)
    active["district"] = district_column(active)
    hired = world.citizens[world.citizens["citizen_id"].isin(hired_ids(world, on))].copy()
    hired["district"] = district_column(hired)

    def with_tingbjerg(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([frame, frame[in_tingbjerg(frame)].assign(district=TINGBJERG_ROW)], ignore_index=True)

    table = with_tingbjerg(active).groupby("district").agg(
        citizens=("citizen_id", "count"),
        share_active_offer=("active_offer", "mean"),
        share_reached=("reached", "mean"),
    )
    hired_by_district = with_tingbjerg(hired).groupby("district").size()
    # Tingbjerg is the programme's special focus: its row shows even when nobody lives there.
    table = table.reindex(table.index.union(hired_by_district.index).union([TINGBJERG_ROW]))
    table["citizens"] = table["citizens"].fillna(0).astype(int)
    table["hired"] = hired_by_district.reindex(table.index).fillna(0)
    small = table["citizens"] < get_settings().min_cell_size
    table[["share_active_offer", "share_reached", "hired"]] = table[["share_active_offer", "share_reached", "hired"]].astype(float)
    table.loc[small, ["share_active_offer", "share_reached", "hired"]] = np.nan
    table.index.name = "district"
    return table.sort_values("citizens", ascending=False).reset_index()


def by_kind(world: World, on: date) -> pd.DataFrame:
    """Referrals known on D by kind and outcome (counts), with each kind's success share."""
    r = _known(world, on)
    table = pd.crosstab(r["kind"], r["outcome"])
    decided = table.drop(columns=["pending"], errors="ignore").sum(axis=1)
    successes = table.reindex(columns=get_settings().success_outcomes, fill_value=0).sum(axis=1)
    table["success_share"] = (successes / decided.replace(0, np.nan)).round(3)
    return table.reset_index()


def over_time(world: World, on: date) -> pd.DataFrame:
    """Per month up to D: proposals made and activities reached."""
    r = _known(world, on)
    proposed = r.groupby(r["proposed_on"].dt.to_period("M")).size().rename("proposals")
    success = r["outcome"].isin(get_settings().success_outcomes)
    reached = r[success].groupby(r.loc[success, "outcome_on"].dt.to_period("M")).size().rename("successes")
    table = pd.concat([proposed, reached], axis=1).fillna(0).astype(int).sort_index()
    table.index = table.index.to_timestamp()
    table.index.name = "month"
    return table.reset_index()


@dataclass(frozen=True)
class Targets:
    """Progress against the published targets on D."""

    cohort: int  # citizens enrolled at least a year before D
    reached_within_year: int
    share_within_year: float
    target_share: float
    hired_two_years: int
    target_hired: int

    @property
    def share_met(self) -> bool:
        return self.share_within_year >= self.target_share

    @property
    def hired_progress(self) -> float:
        return self.hired_two_years / self.target_hired if self.target_hired else 0.0


def targets(world: World, on: date) -> Targets:
    """The two published targets, measured on D (definitions in the module docstring)."""
    s = get_settings()
    d = pd.Timestamp(on)
    year = pd.Timedelta(days=365)
    c = _reached(world, on)
    cohort = c[c["enrolled_on"] <= d - year]
    within = cohort["reached_on"].notna() & (cohort["reached_on"] <= cohort["enrolled_on"] + year)
    hired = len(hired_ids(world, on))
    return Targets(
        cohort=len(cohort),
        reached_within_year=int(within.sum()),
        share_within_year=float(within.mean()) if len(cohort) else 0.0,
        target_share=s.target_share_in_activity,
        hired_two_years=int(hired),
        target_hired=s.target_hired_two_years,
    )
