"""Practical fit: Danish, hours, driving licence, and the kind of opportunity against the
citizen's readiness and barriers. Also the citizen attributes the model may use (age,
education, months on benefit); gender and origin are never read here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.contract import BARRIERS, EDUCATIONS, KINDS
from matcher.world import months_on_benefit_on

FULL_TIME_HOURS = 37.0
# Ordinal education ladder; an unrecognised foreign education counts as upper secondary plus a flag.
EDUCATION_LEVEL = {
    "none": 0, "primary": 1, "upper_secondary": 2, "vocational": 3,
    "short_higher": 4, "bachelor": 5, "master_plus": 6, "foreign_unrecognised": 2,
}
# Kinds that are work at an employer on ordinary or near-ordinary terms.
JOB_KINDS = ("ordinary_job", "small_job", "wage_subsidy_job", "flex_job")

FIT_FEATURES = (
    ["danish_level", "danish_gap", "danish_short"]
    + ["opp_hours", "citizen_max_hours", "hours_over", "hours_ratio"]
    + ["licence_required", "licence_missing"]
    + [f"kind_{k}" for k in KINDS]
    + ["activity_ready", "job_kind_x_activity_ready", "n_barriers"]
    + [f"barrier_{b}" for b in BARRIERS]
    + ["mental_health_x_ordinary_job", "physical_health_x_job", "culture_x_placement"]
    + ["age", "months_on_benefit", "education_level", "education_foreign", "months_enrolled"]
    + ["danish_short_x_job", "danish_short_x_education"]
    + ["social_agreement", "employer_log_size", "opp_weeks", "opp_wage_per_hour"]
)


def _flag(values) -> np.ndarray:
    """Nullable booleans as 0/1 floats (missing counts as false)."""
    return pd.array(np.asarray(values, dtype=object), dtype="boolean").fillna(False).to_numpy(dtype=float)


def barrier_flags(citizens: pd.DataFrame) -> pd.DataFrame:
    """One 0/1 column ``barrier_<name>`` per known barrier, row-aligned with ``citizens``."""
    exploded = citizens["barriers"].map(
        lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else []
    ).explode()
    return pd.DataFrame(
        {
            f"barrier_{b}": (exploded == b).groupby(level=0).any().reindex(citizens.index, fill_value=False).to_numpy(dtype=float)
            for b in BARRIERS
        },
        index=citizens.index,
    )


def export_date(world) -> pd.Timestamp:
    """The export's date, as the latest date the citizen, opportunity and work-history tables
    state (the contract carries none).

    ``months_on_benefit`` is stated as of the export (or of ``left_on``); every feature date
    converts from it with :func:`matcher.world.months_on_benefit_on`. Referrals are left out on
    purpose: the world as known on a date holds only earlier ones, and a feature must not
    depend on which referrals a cutoff removed.
    """
    dates = [
        world.citizens["enrolled_on"], world.citizens["left_on"], world.opportunities["open_from"],
        world.opportunities["open_until"], world.work_history["start_on"], world.work_history["end_on"],
    ]
    latest = max((pd.to_datetime(d).max() for d in dates if len(d)), default=pd.NaT)
    if pd.isna(latest):
        raise ValueError("export_date: the world states no date at all (citizens, opportunities, referrals, work history)")
    return pd.Timestamp(latest).normalize()


def fit_features(cit: pd.DataFrame, opp: pd.DataFrame, as_of: pd.Series, exported_on: pd.Timestamp | None = None) -> pd.DataFrame:
    """Fit features for row-aligned citizen and opportunity attributes (one row a pair).

    ``cit`` carries the ``barrier_*`` columns of :func:`barrier_flags` and ``left_on``; ``opp``
    the employer's ``social_agreement`` and ``employees``. ``exported_on``: the export's date
    (:func:`export_date`), the reference of ``months_on_benefit``; None: the value is used as is.
    """
    out = {}
    level = cit["danish_level"].to_numpy(dtype=float)
    gap = opp["danish_required"].to_numpy(dtype=float) - level
    out["danish_level"] = level
    out["danish_gap"] = gap
    out["danish_short"] = np.maximum(gap, 0.0)

    hours = opp["hours_per_week"].to_numpy(dtype=float)
    max_hours = pd.to_numeric(cit["max_hours_per_week"], errors="coerce").fillna(FULL_TIME_HOURS).to_numpy(dtype=float)
    out["opp_hours"] = hours
    out["citizen_max_hours"] = max_hours
    out["hours_over"] = np.maximum(hours - max_hours, 0.0)
    out["hours_ratio"] = hours / max_hours

    required = _flag(opp["requires_drivers_license"])
    out["licence_required"] = required
    out["licence_missing"] = required * (1.0 - _flag(cit["has_drivers_license"]))

    kind = opp["kind"].to_numpy()
    for k in KINDS:
        out[f"kind_{k}"] = (kind == k).astype(float)
    activity = (cit["readiness"].to_numpy() == "aktivitetsparat").astype(float)
    job_kind = np.isin(kind, JOB_KINDS).astype(float)
    out["activity_ready"] = activity
    out["job_kind_x_activity_ready"] = job_kind * activity

    # Barrier flags are computed once per citizen (``barrier_flags``) and gathered per pair.
    for b in BARRIERS:
        out[f"barrier_{b}"] = cit[f"barrier_{b}"].to_numpy(dtype=float)
    out["n_barriers"] = np.sum([out[f"barrier_{b}"] for b in BARRIERS], axis=0) if len(cit) else np.zeros(0)
    out["mental_health_x_ordinary_job"] = out["barrier_mental_health"] * (kind == "ordinary_job")
    out["physical_health_x_job"] = out["barrier_physical_health"] * job_kind
    out["culture_x_placement"] = out["barrier_workplace_culture"] * (kind == "company_placement")

    as_of = pd.to_datetime(pd.Series(as_of.to_numpy()))
    out["age"] = as_of.dt.year.to_numpy(dtype=float) - cit["birth_year"].to_numpy(dtype=float)
    if exported_on is None:
        out["months_on_benefit"] = cit["months_on_benefit"].to_numpy(dtype=float)
    else:
        # The spell on the pair's date, not at the export: a feature may not know the future.
        out["months_on_benefit"] = months_on_benefit_on(cit["months_on_benefit"].to_numpy(dtype=float), as_of, cit["left_on"].to_numpy(), exported_on)
    edu = cit["education"].to_numpy()
    unknown = set(edu) - set(EDUCATIONS)
    if unknown:
        raise ValueError(f"citizens.education: unknown value(s) {sorted(unknown)}; expected one of {EDUCATIONS}")
    out["education_level"] = pd.Series(edu).map(EDUCATION_LEVEL).to_numpy(dtype=float)
    out["education_foreign"] = (edu == "foreign_unrecognised").astype(float)
    enrolled = pd.to_datetime(pd.Series(cit["enrolled_on"].to_numpy()))
    out["months_enrolled"] = ((as_of - enrolled).dt.days.to_numpy(dtype=float) / 30.44)

    # A Danish shortfall weighs differently at a workplace and in an education.
    out["danish_short_x_job"] = out["danish_short"] * job_kind
    out["danish_short_x_education"] = out["danish_short"] * (kind == "education")

    out["social_agreement"] = _flag(opp["social_agreement"])
    out["employer_log_size"] = np.log1p(pd.to_numeric(opp["employees"], errors="coerce").to_numpy(dtype=float))
    out["opp_weeks"] = pd.to_numeric(opp["weeks"], errors="coerce").to_numpy(dtype=float)
    out["opp_wage_per_hour"] = pd.to_numeric(opp["wage_per_hour"], errors="coerce").to_numpy(dtype=float)
    frame = pd.DataFrame(out)
    return frame[FIT_FEATURES]
