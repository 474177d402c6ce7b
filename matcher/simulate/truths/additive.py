"""Additive: one logistic decline, then a multinomial logit over what follows; no cliffs.

sigma = logistic function, softplus(z) = log(1 + e^z) (a smooth hinge); every coefficient is in
``params``; wish, history, skill and months enter as in the funnel; commute10 = (commute - 30) / 10;
soft_limit = softplus((commute - limit) / limit_softness_minutes); soft_hours =
softplus((hours - max hours) / hours_softness).

1. P(declined) = sigma(decline.base[kind] - wish - affinity - motivation + commute10
   + over_limit x soft_limit + hours_over x soft_hours + months): the citizen's side only, and
   the penalty grows smoothly through the citizen's own limits.
2. Given acceptance, no-show, rejected, dropped out, completed and hired compete in one
   multinomial logit, utilities against completed (0):
   - no_show: base[kind] + barriers + commute10 - motivation
   - rejected: base[kind] + danish_gap (a straight line per level) + licence_missing - skill
     - history - wish - inclusiveness - social_agreement (employer kinds)
     - education_level x the truth's education ladder + criminal record in care/security
     + age_per_10_years x (age - 45) / 10
   - dropped_out: base[kind] + barriers + aktivitetsparat + hours_over x soft_hours + danish_gap
     - motivation - affinity - skill - wish + months - experience
   - hired: base[kind] + skill + inclusiveness + motivation - months + experience + history
     - danish_gap - aktivitetsparat

declined = p1; each other outcome = (1 - p1) x its softmax share. No term is a step and no two
inputs multiply: every effect adds up on one scale.
"""
from __future__ import annotations

import numpy as np

from matcher.contract import EDUCATIONS, KINDS
from matcher.simulate.outcomes import (OUTCOME_COLUMNS, PairInputs, barrier, barrier_sum, by_kind, scaled, sigmoid,
                                       softplus)
from matcher.simulate.truths.spec import SHARED_RANGES, Logit, Ratio, TruthFamily, U

# The truth's own view of formal education (an unrecognised foreign one counts a little).
EDUCATION_YEARS = dict(zip(EDUCATIONS, (0.0, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 1.5)))


def _kinds(value: float) -> dict[str, float]:
    return {k: value for k in KINDS}


RANGES: dict = {
    **SHARED_RANGES,
    "decline": {
        "base": _kinds(-1.5),
        "wish": U(1.5, 3.5), "affinity": U(0.6, 1.4), "motivation": U(0.5, 1.1),
        "commute_per_10_minutes": U(0.15, 0.45),
        "limit_softness_minutes": U(8.0, 20.0),  # width of the soft commute limit
        "over_limit": U(0.6, 1.6),  # times softplus((commute - limit) / softness)
        "hours_softness": U(3.0, 8.0),
        "hours_over": U(0.3, 0.9),  # times softplus((hours - max hours) / softness)
        "months_log": U(0.0, 0.4),
    },
    "no_show": {
        "base": _kinds(-0.5),
        "barriers": {"substance_use": U(0.5, 1.3), "mental_health": U(0.2, 0.7), "housing": U(0.2, 0.7),
                     "childcare": U(0.0, 0.4)},
        "commute_per_10_minutes": U(0.0, 0.2), "motivation": U(0.4, 1.0),
    },
    "reject": {
        "base": _kinds(1.5),
        "danish_gap": U(0.6, 1.4), "licence_missing": U(1.5, 3.0), "skill": U(1.0, 2.5), "history": U(0.6, 1.6),
        "wish": U(0.4, 1.2), "inclusiveness": U(0.6, 1.4), "social_agreement": U(0.2, 0.8),
        "education_level": U(0.0, 0.2), "criminal_record_trusted": U(0.8, 1.6), "age_per_10_years": U(0.0, 0.4),
    },
    "dropout": {
        "base": _kinds(-0.5),
        "barriers": {"physical_health": U(0.1, 0.4), "mental_health": U(0.2, 0.7), "substance_use": U(0.4, 1.0),
                     "housing": U(0.2, 0.5), "debt": U(0.0, 0.2), "childcare": U(0.1, 0.3),
                     "caring_duties": U(0.1, 0.3), "workplace_culture": U(0.0, 0.3), "criminal_record": U(0.1, 0.3)},
        "aktivitetsparat": U(0.2, 0.8), "hours_over": U(0.1, 0.4),  # times the soft hours excess above
        "danish_gap": U(0.2, 0.6),
        "motivation": U(0.5, 1.0), "affinity": U(0.6, 1.4), "skill": U(0.5, 1.5), "wish": U(0.6, 1.6),
        "months_log": U(0.05, 0.3), "experience": U(0.1, 0.3),
    },
    "hire": {
        "base": _kinds(-1.0),
        "skill": U(0.5, 1.5), "inclusiveness": U(0.3, 0.8), "motivation": U(0.2, 0.6), "months_log": U(0.1, 0.4),
        "experience": U(0.15, 0.45), "history": U(0.15, 0.45), "danish_gap": U(0.2, 0.6),
        "aktivitetsparat": U(0.4, 1.2),
    },
}


def probabilities(x: PairInputs, p: dict) -> np.ndarray:
    """Probabilities of the six outcomes (columns in OUTCOME_COLUMNS order), rows sum to 1."""
    k = x.kind
    hist, wish, skill, months, exp = scaled(x, p)
    commute10 = (x.commute - 30.0) / 10.0

    d = p["decline"]
    over_limit = softplus((x.commute - x.limit) / d["limit_softness_minutes"])
    over_hours = softplus((x.hours - x.max_hours) / d["hours_softness"])
    decline = sigmoid(
        by_kind(d["base"], k) - d["wish"] * wish - d["affinity"] * x.affinity - d["motivation"] * x.motivation
        + d["commute_per_10_minutes"] * commute10 + d["over_limit"] * over_limit + d["hours_over"] * over_hours
        + d["months_log"] * months
    )
    n = p["no_show"]
    u_no_show = (by_kind(n["base"], k) + barrier_sum(n["barriers"], x.barriers)
                 + n["commute_per_10_minutes"] * commute10 - n["motivation"] * x.motivation)
    r = p["reject"]
    level = np.array([EDUCATION_YEARS[e] for e in EDUCATIONS])[x.education]
    u_reject = (by_kind(r["base"], k) + r["danish_gap"] * x.danish_gap + r["licence_missing"] * x.licence_missing
                - r["skill"] * skill - r["history"] * hist - r["wish"] * wish
                - x.employer * (r["inclusiveness"] * x.inclusiveness + r["social_agreement"] * x.social_agreement)
                - r["education_level"] * level
                + r["criminal_record_trusted"] * barrier(x, "criminal_record") * x.trusted_family
                + r["age_per_10_years"] * (x.age - 45.0) / 10.0)
    o = p["dropout"]
    u_dropout = (by_kind(o["base"], k) + barrier_sum(o["barriers"], x.barriers)
                 + o["aktivitetsparat"] * x.aktivitetsparat + o["hours_over"] * over_hours
                 + o["danish_gap"] * x.danish_gap - o["motivation"] * x.motivation - o["affinity"] * x.affinity
                 - o["skill"] * skill - o["wish"] * wish + o["months_log"] * months - o["experience"] * exp)
    h = p["hire"]
    u_hire = (by_kind(h["base"], k) + h["skill"] * skill + x.employer * h["inclusiveness"] * x.inclusiveness
              + h["motivation"] * x.motivation - h["months_log"] * months + h["experience"] * exp
              + h["history"] * hist - h["danish_gap"] * x.danish_gap - h["aktivitetsparat"] * x.aktivitetsparat)
    # Columns declined, rejected, no_show, dropped_out, completed (utility 0), hired.
    u = np.stack([u_reject, u_no_show, u_dropout, np.zeros(len(k)), u_hire], axis=1)
    u -= u.max(axis=1, keepdims=True)
    e = np.exp(u)
    out = np.empty((len(k), len(OUTCOME_COLUMNS)))
    out[:, 0] = decline
    out[:, 1:] = (1.0 - decline)[:, None] * e / e.sum(axis=1, keepdims=True)
    return out


FAMILY = TruthFamily(
    name="additive",
    ranges=RANGES,
    probabilities=probabilities,
    intercepts=(Logit("decline", "declined", ()), Ratio("no_show", "no_show", "completed"),
                Ratio("reject", "rejected", "completed"), Ratio("dropout", "dropped_out", "completed"),
                Ratio("hire", "hired", "completed")),
    doc=__doc__,
)
