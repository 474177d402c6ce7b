"""The funnel: four conditional logistic steps with cliffs (the simulator's first truth).

sigma = logistic function; every coefficient is in ``params``; wish and history go through the
ladders ``wish_levels`` / ``history_levels``, skill enters as ``skill - skill_centre``, months as
``log1p(months/12) - log1p(months_centre/12)``.

1. P(declined) = sigma(decline.base[kind] - wish - affinity + commute_minutes x (commute - 30)
   + over_limit_minutes x over_limit + over_limit_cliff for any minute over the citizen's limit
   + hours_over - motivation)
2. P(no_show | not declined) = sigma(no_show.base[kind] + barriers + over_limit - motivation)
3. P(rejected | showed) = sigma(reject.base[kind] + danish_gap + danish_gap_2_employer when an
   employer kind asks two or more levels above the citizen's Danish + licence_missing - skill
   - history - wish - inclusiveness - social_agreement (employer kinds) + education[level]
   + criminal record in care/security + education_age_per_year_over_40 for educations)
4. P(dropped_out | started) = sigma(dropout.base[kind] + barrier_kind[barrier][kind]
   + aktivitetsparat[kind] + physical barrier in physical work + danish_gap + hours_over
   + over_limit - motivation - affinity - skill - wish + months - experience)
5. P(hired | success) = sigma(hire.base[kind] + skill + inclusiveness + motivation - months
   + experience + history - danish_gap - aktivitetsparat)

declined = p1; no_show = (1-p1) p2; rejected = (1-p1)(1-p2) p3; dropped_out = start x p4 with
start = (1-p1)(1-p2)(1-p3); hired = start (1-p4) p5; completed = start (1-p4)(1-p5).

Ranges: every slope within +-35 % of its central value (the coefficients the simulator had before
truths were drawn, :data:`CENTRAL`), the commute model's speed 14-20 km/h and overhead 5-12
minutes; ladders, centres and defaults fixed; intercepts calibrated.
"""
from __future__ import annotations

import numpy as np

from matcher.contract import BARRIERS, EDUCATIONS, KINDS
from matcher.simulate.outcomes import PairInputs, barrier, barrier_sum, by_kind, chain, scaled, sigmoid
from matcher.simulate.truths.spec import SHARED_RANGES, Logit, TruthFamily, U

SPREAD = 0.35


def _kinds(*values: float) -> dict[str, float]:
    return dict(zip(KINDS, values))


# Kinds in contract order: placement, wage subsidy, small job, ordinary, flex, course, education.
# The steps' central values; the shared definitions (commute model, ladders, centres) are
# spec.SHARED_RANGES, with the commute model at 17 km/h + 8 minutes in the middle of its range.
CENTRAL: dict = {
    "decline": {
        "base": _kinds(-1.3, -1.6, -1.5, -1.9, -1.9, -1.6, -1.6),
        "wish": 3.0, "affinity": 1.0, "commute_minutes": 0.03, "over_limit_minutes": 0.10,
        "over_limit_cliff": 2.0,  # any minute beyond the citizen's own limit: mostly a no
        "hours_over": 0.06, "motivation": 0.8,
    },
    "no_show": {
        "base": _kinds(-1.7, -1.8, -1.8, -1.9, -1.8, -1.5, -1.7),
        "barriers": {"substance_use": 0.9, "mental_health": 0.4, "housing": 0.4, "childcare": 0.2},
        "over_limit_minutes": 0.02, "motivation": 0.6,
    },
    "reject": {
        "base": _kinds(1.0, 1.3, 1.4, 1.9, 1.2, -0.5, 0.9),
        "danish_gap": 0.8, "licence_missing": 2.5, "skill": 1.5, "history": 1.0,
        "wish": 0.8,  # who wants the job shows it at the interview
        "danish_gap_2_employer": 2.5,  # two levels short of what a workplace asks: hardly ever taken
        "inclusiveness": 1.0, "social_agreement": 0.5,
        "education": dict(zip(EDUCATIONS, (0.3, 0.15, -0.1, -0.2, -0.2, -0.2, -0.1, 0.1))),
        "criminal_record_trusted": 1.2, "education_age_per_year_over_40": 0.04,
    },
    "dropout": {
        "base": _kinds(-1.0, -0.8, -0.7, -0.8, -1.0, -0.6, -0.6),
        "barrier_kind": {
            "physical_health": _kinds(0.2, 0.3, 0.2, 0.5, -0.2, 0.0, 0.3),
            "mental_health": _kinds(0.2, 0.5, 0.3, 0.9, 0.0, 0.3, 0.7),
            "substance_use": _kinds(0.6, 0.7, 0.6, 1.0, 0.5, 0.5, 0.9),
            "housing": _kinds(0.3, 0.3, 0.3, 0.4, 0.2, 0.3, 0.5),
            "debt": _kinds(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1),
            "childcare": _kinds(0.2, 0.2, 0.1, 0.4, 0.1, 0.2, 0.3),
            "caring_duties": _kinds(0.2, 0.2, 0.1, 0.3, 0.1, 0.2, 0.3),
            "workplace_culture": _kinds(-0.2, 0.1, 0.2, 0.5, 0.2, -0.1, 0.3),
            "criminal_record": _kinds(0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2),
        },
        "aktivitetsparat": _kinds(0.1, 0.5, 0.4, 1.0, -0.3, 0.2, 0.8),
        "physical_barrier_physical_family": 0.5,
        "danish_gap": 0.4, "hours_over": 0.05, "over_limit_minutes": 0.02, "motivation": 0.7,
        "affinity": 1.0, "skill": 1.0, "wish": 1.2, "months_log": 0.15, "experience": 0.2,
    },
    "hire": {
        "base": _kinds(-0.9, -0.3, -0.7, 1.3, 1.3, -4.5, 1.1),
        "skill": 1.0, "inclusiveness": 0.5, "motivation": 0.4, "months_log": 0.25, "experience": 0.3,
        "history": 0.3, "danish_gap": 0.4, "aktivitetsparat": 0.8,
    },
}


def _spread(node: dict) -> dict:
    """Every slope a range of +-SPREAD around its central value (zeros stay zero, intercepts
    are calibrated)."""
    out = {}
    for k, v in node.items():
        if k == "base":
            out[k] = v
        elif isinstance(v, dict):
            out[k] = _spread(v)
        elif v == 0:
            out[k] = 0.0
        else:
            lo, hi = sorted((round(v * (1 - SPREAD), 4), round(v * (1 + SPREAD), 4)))
            out[k] = U(lo, hi)
    return out


def probabilities(x: PairInputs, p: dict) -> np.ndarray:
    """Probabilities of the six outcomes (columns in OUTCOME_COLUMNS order), rows sum to 1."""
    k = x.kind
    hist, wish, skill, months, exp = scaled(x, p)

    d = p["decline"]
    decline = sigmoid(
        by_kind(d["base"], k) - d["wish"] * wish - d["affinity"] * x.affinity
        + d["commute_minutes"] * (x.commute - 30.0) + d["over_limit_minutes"] * x.over_limit
        + d["over_limit_cliff"] * (x.over_limit > 0)
        + d["hours_over"] * x.hours_over - d["motivation"] * x.motivation
    )
    n = p["no_show"]
    no_show = sigmoid(
        by_kind(n["base"], k) + barrier_sum(n["barriers"], x.barriers) + n["over_limit_minutes"] * x.over_limit
        - n["motivation"] * x.motivation
    )
    r = p["reject"]
    edu_effect = np.array([r["education"][e] for e in EDUCATIONS])[x.education]
    is_education = k == KINDS.index("education")
    reject = sigmoid(
        by_kind(r["base"], k) + r["danish_gap"] * x.danish_gap + r["licence_missing"] * x.licence_missing
        + r["danish_gap_2_employer"] * x.employer * (x.danish_gap >= 2)
        - r["skill"] * skill - r["history"] * hist - r["wish"] * wish
        - x.employer * (r["inclusiveness"] * x.inclusiveness + r["social_agreement"] * x.social_agreement)
        + edu_effect + r["criminal_record_trusted"] * (barrier(x, "criminal_record") * x.trusted_family)
        + r["education_age_per_year_over_40"] * is_education * np.maximum(x.age - 40, 0)
    )
    o = p["dropout"]
    bk = np.array([[o["barrier_kind"][b][kind] for kind in KINDS] for b in BARRIERS])  # barriers x kinds
    barrier_kind = (x.barriers * bk[:, k].T).sum(axis=1)
    dropout = sigmoid(
        by_kind(o["base"], k) + barrier_kind + by_kind(o["aktivitetsparat"], k) * x.aktivitetsparat
        + o["physical_barrier_physical_family"] * barrier(x, "physical_health") * x.physical_family
        + o["danish_gap"] * x.danish_gap + o["hours_over"] * x.hours_over + o["over_limit_minutes"] * x.over_limit
        - o["motivation"] * x.motivation - o["affinity"] * x.affinity - o["skill"] * skill - o["wish"] * wish
        + o["months_log"] * months - o["experience"] * exp
    )
    h = p["hire"]
    hire = sigmoid(
        by_kind(h["base"], k) + h["skill"] * skill + x.employer * h["inclusiveness"] * x.inclusiveness
        + h["motivation"] * x.motivation - h["months_log"] * months + h["experience"] * exp
        + h["history"] * hist - h["danish_gap"] * x.danish_gap - h["aktivitetsparat"] * x.aktivitetsparat
    )
    return chain(decline, no_show, reject, dropout, hire)


CHAIN = (Logit("decline", "declined", ()), Logit("no_show", "no_show", ("declined",)),
         Logit("reject", "rejected", ("declined", "no_show")),
         Logit("dropout", "dropped_out", ("declined", "no_show", "rejected")),
         Logit("hire", "hired", ("declined", "no_show", "rejected", "dropped_out")))

FAMILY = TruthFamily(
    name="funnel",
    ranges={**SHARED_RANGES, **_spread(CENTRAL)},
    probabilities=probabilities,
    intercepts=CHAIN,
    doc=__doc__,
)
