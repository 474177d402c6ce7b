"""Interactions: effects that depend on each other and thresholds where nobody drew them.

sigma = logistic function; every coefficient is in ``params``. A chain as in the funnel
(declined, no-show, rejected, dropped out, hired or completed) whose rejection, drop-out and hire
steps share one hidden *match quality*:

    match = match.skill x (skill - skill_centre) x gate + match.history x history
            + match.affinity x affinity
            + at an employer: match.inclusiveness x inclusiveness + match.taste x (taste . traits)
    gate = gate_floor + (1 - gate_floor) x sigma(4 x (Danish level - danish_threshold))
    traits = ((age - 45) / 10, (education ladder - 2.5) / 1.5, (Danish level - 2) / 1.5)

1. P(declined) = sigma(base[kind] - wish - affinity - motivation
   + over_threshold_per_10_minutes x max(commute - commute_threshold_minutes, 0) / 10
     x exp(-wish_tolerance x wish)
   + over_limit_per_10_minutes x over_limit / 10
   + hours_cliff when hours > hours_threshold for a citizen with childcare, caring duties or
     activity-ready status + months_log[kind] x months)
2. P(no_show | not declined) = sigma(base[kind] + substance use, housing, debt
   + mental health x commute / 10 - motivation)
3. P(rejected | showed) = sigma(base[kind] - reject.match x match + danish_gap
   + service_danish_below_3 in customer-facing work (ISCO 4, 51-54) when Danish < 3
   + licence_missing + criminal record in care/security
   + age_per_10_years_over[kind] x max(age - age_threshold, 0) / 10)
4. P(dropped_out | started) = sigma(base[kind] - dropout.match x match - motivation - experience
   + aktivitetsparat + substance use, housing, workplace culture
   + strain_per_10_hours_over_25 x (mental or physical health) x max(hours - 25, 0) / 10
   + physical_age_per_10_years x physical work x max(age - physical_age_threshold, 0) / 10
   + months_log[kind] x months)
5. P(hired | success) = sigma(base[kind] + hire.match x match + experience + motivation
   - aktivitetsparat + months_log[kind] x months)

So: skills pay only with enough Danish, whatever the job asks; every employer has its own hidden
tastes (standard normal, ``employer_latent.parquet: taste_age, taste_education, taste_danish``);
commute counts beyond an absolute threshold rather than the citizen's stated limit, and a wished
job is forgiven much of it; stated maximum hours matter less than a threshold for carers; age and
months on benefit act per kind.
"""
from __future__ import annotations

import numpy as np

from matcher.contract import BARRIERS, EDUCATIONS, KINDS
from matcher.simulate.outcomes import PairInputs, barrier, barrier_sum, by_kind, chain, scaled, sigmoid
from matcher.simulate.truths.funnel import CHAIN
from matcher.simulate.truths.spec import SHARED_RANGES, TruthFamily, U

EDUCATION_YEARS = dict(zip(EDUCATIONS, (0.0, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 1.5)))
GATE_STEEPNESS = 4.0  # per Danish level: the gate goes from 12 % to 88 % within one level


def _kinds(value: float) -> dict[str, float]:
    return {k: value for k in KINDS}


def _per_kind(**ranges: U) -> dict[str, U]:
    return {k: ranges[k] for k in KINDS}


RANGES: dict = {
    **SHARED_RANGES,
    "match": {
        "skill": U(1.5, 3.0), "danish_threshold": U(1.5, 2.8), "gate_floor": U(0.0, 0.25),
        "history": U(0.5, 1.2), "affinity": U(0.4, 0.8), "inclusiveness": U(0.3, 0.7), "taste": U(0.15, 0.35),
    },
    "decline": {
        "base": _kinds(-1.5),
        "wish": U(1.5, 3.0), "affinity": U(0.5, 1.2), "motivation": U(0.5, 1.0),
        "commute_threshold_minutes": U(35.0, 55.0), "over_threshold_per_10_minutes": U(0.5, 1.2),
        "wish_tolerance": U(0.3, 0.9),  # the commute penalty times exp(-wish_tolerance x wish)
        "over_limit_per_10_minutes": U(0.05, 0.3),
        "hours_threshold": U(26.0, 33.0), "hours_cliff": U(1.0, 2.0),
        "months_log": _per_kind(company_placement=U(-0.4, 0.0), wage_subsidy_job=U(-0.2, 0.2),
                                small_job=U(-0.3, 0.1), ordinary_job=U(0.3, 0.8), flex_job=U(0.0, 0.3),
                                course=U(-0.2, 0.2), education=U(0.4, 0.9)),
    },
    "no_show": {
        "base": _kinds(-1.7),
        "barriers": {"substance_use": U(0.6, 1.2), "housing": U(0.2, 0.6), "debt": U(0.0, 0.3)},
        "mental_health_per_10_minutes": U(0.1, 0.4),  # mental health x commute
        "motivation": U(0.4, 1.0),
    },
    "reject": {
        "base": _kinds(1.0),
        "match": U(0.8, 1.3), "danish_gap": U(0.3, 0.8), "service_danish_below_3": U(0.8, 1.8),
        "licence_missing": U(1.5, 3.0), "criminal_record_trusted": U(0.8, 1.6), "age_threshold": U(44.0, 54.0),
        "age_per_10_years_over": _per_kind(company_placement=U(0.0, 0.2), wage_subsidy_job=U(0.0, 0.4),
                                           small_job=U(0.0, 0.2), ordinary_job=U(0.3, 0.9), flex_job=U(0.0, 0.2),
                                           course=U(0.0, 0.2), education=U(0.8, 1.6)),
    },
    "dropout": {
        "base": _kinds(-0.8),
        "match": U(0.4, 0.9), "motivation": U(0.5, 1.0), "experience": U(0.1, 0.3), "aktivitetsparat": U(0.3, 0.8),
        "barriers": {"substance_use": U(0.4, 1.0), "housing": U(0.2, 0.5), "workplace_culture": U(0.0, 0.4)},
        "strain_per_10_hours_over_25": U(0.3, 0.8),  # mental or physical health x hours
        "physical_age_threshold": U(50.0, 58.0), "physical_age_per_10_years": U(0.6, 1.4),
        "months_log": _per_kind(company_placement=U(-0.2, 0.1), wage_subsidy_job=U(0.0, 0.3),
                                small_job=U(-0.1, 0.2), ordinary_job=U(0.3, 0.7), flex_job=U(0.0, 0.2),
                                course=U(-0.1, 0.2), education=U(0.3, 0.7)),
    },
    "hire": {
        "base": _kinds(-1.0),
        "match": U(0.4, 0.9), "experience": U(0.1, 0.4), "motivation": U(0.2, 0.6), "aktivitetsparat": U(0.4, 1.0),
        "months_log": _per_kind(company_placement=U(-0.2, 0.2), wage_subsidy_job=U(-0.4, 0.0),
                                small_job=U(-0.2, 0.2), ordinary_job=U(-0.8, -0.3), flex_job=U(-0.3, 0.0),
                                course=U(-0.2, 0.2), education=U(-0.8, -0.3)),
    },
}


def citizen_traits(x: PairInputs) -> np.ndarray:
    """What employers have tastes about (pairs x TASTES): age, formal education, Danish, standardised."""
    level = np.array([EDUCATION_YEARS[e] for e in EDUCATIONS])[x.education]
    return np.stack([(x.age - 45.0) / 10.0, (level - 2.5) / 1.5, (x.danish - 2.0) / 1.5], axis=1)


def match_quality(x: PairInputs, p: dict) -> np.ndarray:
    """The hidden quality of a pair that rejection, drop-out and hire share."""
    m = p["match"]
    gate = m["gate_floor"] + (1 - m["gate_floor"]) * sigmoid(GATE_STEEPNESS * (x.danish - m["danish_threshold"]))
    taste = (x.taste * citizen_traits(x)).sum(axis=1)
    s = scaled(x, p)
    return (m["skill"] * s.skill * gate + m["history"] * s.history
            + m["affinity"] * x.affinity + x.employer * (m["inclusiveness"] * x.inclusiveness + m["taste"] * taste))


def probabilities(x: PairInputs, p: dict) -> np.ndarray:
    """Probabilities of the six outcomes (columns in OUTCOME_COLUMNS order), rows sum to 1."""
    k = x.kind
    _, wish, _, months, exp = scaled(x, p)
    b = {name: barrier(x, name) for name in BARRIERS}
    match = match_quality(x, p)

    d = p["decline"]
    far = np.maximum(x.commute - d["commute_threshold_minutes"], 0.0) / 10.0
    caring = np.maximum.reduce([b["childcare"], b["caring_duties"], x.aktivitetsparat])
    decline = sigmoid(
        by_kind(d["base"], k) - d["wish"] * wish - d["affinity"] * x.affinity - d["motivation"] * x.motivation
        + d["over_threshold_per_10_minutes"] * far * np.exp(-d["wish_tolerance"] * wish)
        + d["over_limit_per_10_minutes"] * x.over_limit / 10.0
        + d["hours_cliff"] * caring * (x.hours > d["hours_threshold"])
        + by_kind(d["months_log"], k) * months
    )
    n = p["no_show"]
    no_show = sigmoid(
        by_kind(n["base"], k) + barrier_sum(n["barriers"], x.barriers)
        + n["mental_health_per_10_minutes"] * b["mental_health"] * x.commute / 10.0 - n["motivation"] * x.motivation
    )
    r = p["reject"]
    reject = sigmoid(
        by_kind(r["base"], k) - r["match"] * match + r["danish_gap"] * x.danish_gap
        + r["service_danish_below_3"] * x.service_family * (x.danish < 3)
        + r["licence_missing"] * x.licence_missing
        + r["criminal_record_trusted"] * b["criminal_record"] * x.trusted_family
        + by_kind(r["age_per_10_years_over"], k) * np.maximum(x.age - r["age_threshold"], 0.0) / 10.0
    )
    o = p["dropout"]
    health = np.maximum(b["mental_health"], b["physical_health"])
    dropout = sigmoid(
        by_kind(o["base"], k) - o["match"] * match - o["motivation"] * x.motivation - o["experience"] * exp
        + o["aktivitetsparat"] * x.aktivitetsparat + barrier_sum(o["barriers"], x.barriers)
        + o["strain_per_10_hours_over_25"] * health * np.maximum(x.hours - 25.0, 0.0) / 10.0
        + o["physical_age_per_10_years"] * x.physical_family * np.maximum(x.age - o["physical_age_threshold"], 0.0) / 10.0
        + by_kind(o["months_log"], k) * months
    )
    h = p["hire"]
    hire = sigmoid(
        by_kind(h["base"], k) + h["match"] * match + h["experience"] * exp + h["motivation"] * x.motivation
        - h["aktivitetsparat"] * x.aktivitetsparat + by_kind(h["months_log"], k) * months
    )
    return chain(decline, no_show, reject, dropout, hire)


FAMILY = TruthFamily(
    name="interactions",
    ranges=RANGES,
    probabilities=probabilities,
    intercepts=CHAIN,
    uses_tastes=True,
    doc=__doc__,
)
