"""The hidden outcome model: P(outcome | citizen, opportunity, date) as a chain of four steps.

1. the citizen declines (fit with wishes and hidden affinity, commute, hours, motivation);
2. the citizen does not show up (substance use, mental health, housing, commute, motivation);
3. the employer or provider rejects (Danish gap, skill overlap, history, licence, employer's
   inclusiveness, education, criminal record in trusted jobs);
4. once started: dropped out, or a success (barriers against the kind, readiness, fit, months on
   benefit, experience); a success is *hired* (led to an ordinary job or education) or *completed*.

The coefficients live in :data:`PARAMS` and are written to ``_truth/model.json``; every term is
a logit increment, and the pair's inputs are computed in :mod:`matcher.simulate.truth`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.contract import BARRIERS, KINDS

OUTCOME_COLUMNS = ("declined", "rejected", "no_show", "dropped_out", "completed", "hired")


def _by_kind(*values: float) -> dict[str, float]:
    return dict(zip(KINDS, values))


# Kinds in contract order: placement, wage subsidy, small job, ordinary, flex, course, education.
PARAMS: dict = {
    "sigma": {"motivation": 0.8, "affinity": 0.35, "inclusiveness": 0.5},
    "commute": {"speed_kmh": 17.0, "overhead_minutes": 8.0, "default_limit_minutes": 60.0},
    "default_max_hours": 37.0,
    "no_occupation_skill": 0.3,
    "skill_centre": 0.3,
    "months_centre": 36.0,
    "history_levels": [0.0, 0.3, 0.6, 0.9],  # none, same family (ISCO 2), same unit group (ISCO 4), same occupation
    "wish_levels": [0.0, 0.3, 0.7, 1.2],
    "decline": {
        "base": _by_kind(-1.3, -1.6, -1.5, -1.9, -1.9, -1.6, -1.6),
        "wish": 3.0, "affinity": 1.0, "commute_minutes": 0.03, "over_limit_minutes": 0.10,
        "over_limit_cliff": 2.0,  # any minute beyond the citizen's own limit: mostly a no
        "hours_over": 0.06, "motivation": 0.8,
    },
    "no_show": {
        "base": _by_kind(-1.7, -1.8, -1.8, -1.9, -1.8, -1.5, -1.7),
        "barriers": {"substance_use": 0.9, "mental_health": 0.4, "housing": 0.4, "childcare": 0.2},
        "over_limit_minutes": 0.02, "motivation": 0.6,
    },
    "reject": {
        "base": _by_kind(1.0, 1.3, 1.4, 1.9, 1.2, -0.5, 0.9),
        "danish_gap": 0.8, "licence_missing": 2.5, "skill": 1.5, "history": 1.0,
        "wish": 0.8,  # who wants the job shows it at the interview
        "danish_gap_2_employer": 2.5,  # two levels short of what a workplace asks: hardly ever taken
        "inclusiveness": 1.0, "social_agreement": 0.5,
        "education": {"none": 0.3, "primary": 0.15, "upper_secondary": -0.1, "vocational": -0.2,
                      "short_higher": -0.2, "bachelor": -0.2, "master_plus": -0.1, "foreign_unrecognised": 0.1},
        "criminal_record_trusted": 1.2, "education_age_per_year_over_40": 0.04,
    },
    "dropout": {
        "base": _by_kind(-1.0, -0.8, -0.7, -0.8, -1.0, -0.6, -0.6),
        "barrier_kind": {
            "physical_health": _by_kind(0.2, 0.3, 0.2, 0.5, -0.2, 0.0, 0.3),
            "mental_health": _by_kind(0.2, 0.5, 0.3, 0.9, 0.0, 0.3, 0.7),
            "substance_use": _by_kind(0.6, 0.7, 0.6, 1.0, 0.5, 0.5, 0.9),
            "housing": _by_kind(0.3, 0.3, 0.3, 0.4, 0.2, 0.3, 0.5),
            "debt": _by_kind(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1),
            "childcare": _by_kind(0.2, 0.2, 0.1, 0.4, 0.1, 0.2, 0.3),
            "caring_duties": _by_kind(0.2, 0.2, 0.1, 0.3, 0.1, 0.2, 0.3),
            "workplace_culture": _by_kind(-0.2, 0.1, 0.2, 0.5, 0.2, -0.1, 0.3),
            "criminal_record": _by_kind(0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2),
        },
        "aktivitetsparat": _by_kind(0.1, 0.5, 0.4, 1.0, -0.3, 0.2, 0.8),
        "physical_barrier_physical_family": 0.5,
        "danish_gap": 0.4, "hours_over": 0.05, "over_limit_minutes": 0.02, "motivation": 0.7,
        "affinity": 1.0, "skill": 1.0, "wish": 1.2, "months_log": 0.15, "experience": 0.2,
    },
    "hire": {
        "base": _by_kind(-0.9, -0.3, -0.7, 1.3, 1.3, -4.5, 1.1),
        "skill": 1.0, "inclusiveness": 0.5, "motivation": 0.4, "months_log": 0.25, "experience": 0.3,
        "history": 0.3, "danish_gap": 0.4, "aktivitetsparat": 0.8,
    },
    "experience_cap": 3,
}


@dataclass
class PairInputs:
    """Everything the outcome model reads about a batch of pairs (arrays of equal length)."""

    kind: np.ndarray  # index into KINDS
    skill: np.ndarray  # share of the occupation's essential skills the citizen has
    history: np.ndarray  # 0-3, see PARAMS["history_levels"]
    wish: np.ndarray  # 0-3
    affinity: np.ndarray
    commute: np.ndarray  # minutes
    over_limit: np.ndarray  # minutes beyond the citizen's limit
    danish_gap: np.ndarray
    hours_over: np.ndarray
    licence_missing: np.ndarray
    barriers: np.ndarray  # pairs x BARRIERS, bool
    aktivitetsparat: np.ndarray
    education: np.ndarray  # index into PARAMS reject.education order
    age: np.ndarray
    physical_family: np.ndarray
    trusted_family: np.ndarray
    employer: np.ndarray  # employer kinds: 1; courses and educations: 0
    social_agreement: np.ndarray
    inclusiveness: np.ndarray
    motivation: np.ndarray
    months: np.ndarray
    experience: np.ndarray


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _kind_vector(table: dict[str, float]) -> np.ndarray:
    return np.array([table[k] for k in KINDS])


def outcome_probabilities(x: PairInputs, params: dict = PARAMS) -> np.ndarray:
    """Probabilities of the six outcomes (columns in OUTCOME_COLUMNS order), rows sum to 1."""
    p = params
    k = x.kind
    hist = np.asarray(p["history_levels"])[x.history]
    wish = np.asarray(p["wish_levels"])[x.wish]
    skill = x.skill - p["skill_centre"]
    months = np.log1p(x.months / 12.0) - np.log1p(p["months_centre"] / 12.0)
    exp = np.minimum(x.experience, p["experience_cap"])
    bar = x.barriers.astype(float)
    b_idx = {b: i for i, b in enumerate(BARRIERS)}

    d = p["decline"]
    decline = _sigmoid(
        _kind_vector(d["base"])[k] - d["wish"] * wish - d["affinity"] * x.affinity
        + d["commute_minutes"] * (x.commute - 30.0) + d["over_limit_minutes"] * x.over_limit
        + d["over_limit_cliff"] * (x.over_limit > 0)
        + d["hours_over"] * x.hours_over - d["motivation"] * x.motivation
    )
    n = p["no_show"]
    no_show_barriers = sum(v * bar[:, b_idx[b]] for b, v in n["barriers"].items())
    no_show = _sigmoid(
        _kind_vector(n["base"])[k] + no_show_barriers + n["over_limit_minutes"] * x.over_limit
        - n["motivation"] * x.motivation
    )
    r = p["reject"]
    edu_effect = np.array(list(r["education"].values()))[x.education]
    is_education = k == KINDS.index("education")
    reject = _sigmoid(
        _kind_vector(r["base"])[k] + r["danish_gap"] * x.danish_gap + r["licence_missing"] * x.licence_missing
        + r["danish_gap_2_employer"] * x.employer * (x.danish_gap >= 2)
        - r["skill"] * skill - r["history"] * hist - r["wish"] * wish
        - x.employer * (r["inclusiveness"] * x.inclusiveness + r["social_agreement"] * x.social_agreement)
        + edu_effect + r["criminal_record_trusted"] * (bar[:, b_idx["criminal_record"]] * x.trusted_family)
        + r["education_age_per_year_over_40"] * is_education * np.maximum(x.age - 40, 0)
    )
    o = p["dropout"]
    bk = np.array([[o["barrier_kind"][b][kind] for kind in KINDS] for b in BARRIERS])  # barriers x kinds
    barrier_kind = (bar * bk[:, k].T).sum(axis=1)
    dropout = _sigmoid(
        _kind_vector(o["base"])[k] + barrier_kind + _kind_vector(o["aktivitetsparat"])[k] * x.aktivitetsparat
        + o["physical_barrier_physical_family"] * bar[:, b_idx["physical_health"]] * x.physical_family
        + o["danish_gap"] * x.danish_gap + o["hours_over"] * x.hours_over + o["over_limit_minutes"] * x.over_limit
        - o["motivation"] * x.motivation - o["affinity"] * x.affinity - o["skill"] * skill - o["wish"] * wish
        + o["months_log"] * months - o["experience"] * exp
    )
    h = p["hire"]
    hire = _sigmoid(
        _kind_vector(h["base"])[k] + h["skill"] * skill + x.employer * h["inclusiveness"] * x.inclusiveness
        + h["motivation"] * x.motivation - h["months_log"] * months + h["experience"] * exp
        + h["history"] * hist - h["danish_gap"] * x.danish_gap - h["aktivitetsparat"] * x.aktivitetsparat
    )
    out = np.empty((len(k), 6))
    out[:, 0] = decline
    stay = 1.0 - decline
    out[:, 2] = stay * no_show
    show = stay * (1.0 - no_show)
    out[:, 1] = show * reject
    start = show * (1.0 - reject)
    out[:, 3] = start * dropout
    success = start * (1.0 - dropout)
    out[:, 5] = success * hire
    out[:, 4] = success * (1.0 - hire)
    return out
