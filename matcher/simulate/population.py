"""The citizens of the programme: who they are, where they live, what they did and want.

Everything is drawn column by column with NumPy, with the correlations the domain describes:
poorer districts and Tingbjerg hold most of the group, Danish depends on origin, barriers come
in clusters (mental health with substance use, housing with debt), long benefit spells are the
rule. Enrolment dates and the exogenous leaving date are drawn here; the logging policy adds
leaving for a job or an education.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from matcher.contract import BARRIERS, EDUCATIONS
from matcher.postcodes import DISTRICTS, TINGBJERG
from matcher.simulate.danish_text import citizen_notes
from matcher.simulate.occupations import OccupationPool, families, sample

# Where the group lives (relative weights): the poorer districts carry most of it.
CITIZEN_DISTRICTS = {
    "Brønshøj-Husum": 0.17, "Nørrebro": 0.15, "Bispebjerg": 0.14, "Amager Øst": 0.08,
    "Amager Vest": 0.08, "Valby": 0.10, "Vesterbro/Kongens Enghave": 0.11, "Østerbro": 0.05,
    "Indre By": 0.03, "Vanløse": 0.06,
}
TINGBJERG_SHARE = 0.55  # of Brønshøj-Husum's citizens
TEAMS = {
    "Amager Øst": "Amager", "Amager Vest": "Amager", "Indre By": "Indre By/Østerbro",
    "Østerbro": "Indre By/Østerbro", "Vanløse": "Brønshøj-Husum/Vanløse",
    "Brønshøj-Husum": "Brønshøj-Husum/Vanløse",
}
DANISH_BY_ORIGIN = {
    "danish": [0.0, 0.0, 0.01, 0.07, 0.92],
    "western": [0.05, 0.20, 0.35, 0.30, 0.10],
    "non_western": [0.08, 0.22, 0.33, 0.27, 0.10],
}
EDUCATION_BY_ORIGIN = {  # in the order of contract.EDUCATIONS
    "danish": [0.12, 0.38, 0.10, 0.30, 0.05, 0.04, 0.01, 0.0],
    "western": [0.05, 0.20, 0.20, 0.20, 0.05, 0.08, 0.02, 0.20],
    "non_western": [0.22, 0.25, 0.08, 0.07, 0.03, 0.02, 0.0, 0.33],
}
# Barrier prevalence and the correlations between the latent tendencies behind them.
BARRIER_PREVALENCE = np.array([0.30, 0.35, 0.12, 0.12, 0.25, 0.10, 0.06, 0.30, 0.07])
_PAIRS = {
    ("mental_health", "substance_use"): 0.5, ("substance_use", "housing"): 0.4,
    ("substance_use", "criminal_record"): 0.4, ("mental_health", "housing"): 0.3,
    ("debt", "housing"): 0.3, ("debt", "substance_use"): 0.3, ("physical_health", "mental_health"): 0.25,
}
INFLOW_LONG_SPELL = 0.10  # share of the inflow already over three years on benefits
INFLOW_SHORT_MONTHS = 6.0  # mean spell at enrolment of the others (exponential)
GENDER_FAMILY_TILT = {"F": {"53": 2.0, "91": 1.4, "51": 1.3, "52": 1.3},
                      "M": {"71": 2.0, "83": 2.0, "93": 1.6, "72": 1.6, "96": 1.4}}


@dataclass
class Population:
    """Citizens (contract columns), their work history, hidden traits and programme timing."""

    citizens: pd.DataFrame
    work_history: pd.DataFrame
    motivation: np.ndarray
    affinity: np.ndarray  # citizens x families()
    leave_exogenous: np.ndarray  # datetime64[D]; NaT when they stay to the end
    stock: np.ndarray  # bool: in the programme at its start


def _barrier_correlation() -> np.ndarray:
    corr = np.eye(len(BARRIERS))
    for (a, b), r in _PAIRS.items():
        i, j = BARRIERS.index(a), BARRIERS.index(b)
        corr[i, j] = corr[j, i] = r
    return corr


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a row-stochastic matrix."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random((len(probs), 1)) > cum).sum(axis=1).clip(0, probs.shape[1] - 1)


def make_population(
    rng: np.random.Generator, n: int, pool: OccupationPool, start: np.datetime64, end: np.datetime64,
    stock_share: float, sigma_motivation: float, sigma_affinity: float,
) -> Population:
    """Draw ``n`` citizens: a stock at the programme's start plus inflow over its run."""
    names = list(CITIZEN_DISTRICTS)
    w = np.array(list(CITIZEN_DISTRICTS.values()))
    district = np.array(names)[rng.choice(len(names), n, p=w / w.sum())]
    tingbjerg = (district == "Brønshøj-Husum") & (rng.random(n) < TINGBJERG_SHARE)
    postcode = np.array([DISTRICTS[d][2][k % len(DISTRICTS[d][2])] for d, k in
                         zip(district, rng.integers(0, 1000, n))])
    lat = np.array([DISTRICTS[d][0] for d in district]) + rng.normal(0, 0.007, n)
    lon = np.array([DISTRICTS[d][1] for d in district]) + rng.normal(0, 0.011, n)
    lat[tingbjerg] = TINGBJERG[0] + rng.normal(0, 0.0015, tingbjerg.sum())
    lon[tingbjerg] = TINGBJERG[1] + rng.normal(0, 0.0025, tingbjerg.sum())

    start_year = int(str(start)[:4])
    age = (30 + rng.beta(1.6, 2.0, n) * 35).astype(int)
    gender = np.array(["F", "M", "X"])[rng.choice(3, n, p=[0.47, 0.52, 0.01])]
    p_nw = np.where(tingbjerg, 0.72, np.where(np.isin(district, ["Nørrebro", "Bispebjerg"]), 0.55, 0.40))
    u = rng.random(n)
    origin = np.where(u < p_nw, "non_western", np.where(u < p_nw + 0.07, "western", "danish"))
    p_integ = np.select([origin == "non_western", origin == "western"], [0.30, 0.15], 0.0)
    benefit = np.where(rng.random(n) < p_integ, "integrationsydelse", "kontanthjaelp")

    danish_p = np.stack([DANISH_BY_ORIGIN[o] for o in ("danish", "western", "non_western")])
    o_idx = np.select([origin == "danish", origin == "western"], [0, 1], 2)
    danish = _choice(rng, danish_p[o_idx])
    lower = ((benefit == "integrationsydelse") & (rng.random(n) < 0.5)) | (tingbjerg & (rng.random(n) < 0.2))
    danish = np.where(lower & (origin != "danish"), np.maximum(danish - 1, 0), danish)
    edu_p = np.stack([EDUCATION_BY_ORIGIN[o] for o in ("danish", "western", "non_western")])
    education = np.array(EDUCATIONS)[_choice(rng, edu_p[o_idx])]

    # Barriers: correlated latent tendencies cut at thresholds, shifted by age, sex and origin.
    z = rng.standard_normal((n, len(BARRIERS))) @ np.linalg.cholesky(_barrier_correlation()).T
    shift = np.zeros((n, len(BARRIERS)))
    shift[:, BARRIERS.index("physical_health")] += (age - 45) * 0.03
    shift[:, BARRIERS.index("childcare")] += np.where((gender == "F") & (age < 45), 0.8, -0.6)
    shift[:, BARRIERS.index("criminal_record")] += np.where(gender == "M", 0.4, -0.6)
    culture = BARRIERS.index("workplace_culture")
    shift[:, culture] += np.where(origin == "danish", -9.0, 0.3 * (2 - danish))
    barriers = (z + shift) > norm.ppf(1 - BARRIER_PREVALENCE)
    b = {name: barriers[:, i] for i, name in enumerate(BARRIERS)}

    # Benefit spells at enrolment: two thirds of the stock over three years (as in 2020); the
    # inflow is mostly people new to benefits, so that the stock at the export date, three years
    # on, is again about 64 % over three years.
    stock = rng.random(n) < stock_share
    long_spell = rng.random(n) < np.where(stock, 0.66, INFLOW_LONG_SPELL)
    short = np.where(stock, 2 + rng.random(n) * 34, rng.exponential(INFLOW_SHORT_MONTHS, n))
    months = np.where(long_spell, 37 + rng.exponential(45, n), short).astype(int)
    months = np.minimum(months, (age - 18) * 12)
    readiness_logit = (-1.0 + 0.9 * b["mental_health"] + 1.0 * b["substance_use"] + 0.6 * b["physical_health"]
                       + 0.4 * b["housing"] + 0.4 * (months > 60) + 0.3 * (danish <= 1))
    aktiv = rng.random(n) < 1 / (1 + np.exp(-readiness_logit))
    readiness = np.where(aktiv, "aktivitetsparat", "jobparat")

    days = int((end - start) / np.timedelta64(1, "D"))
    enrol_offset = np.where(stock, rng.integers(0, 42, n), rng.integers(42, days - 14, n))
    enrolled = start + enrol_offset.astype("timedelta64[D]")

    fams = families()
    affinity = rng.normal(0, sigma_affinity, (n, len(fams)))
    motivation = rng.normal(0, sigma_motivation, n)

    history, first_uri = _work_history(rng, pool, n, age, origin, gender, months, enrolled, start_year)
    wishes = _wishes(rng, pool, n, history, gender)

    hours_p = np.where(aktiv[:, None], [[0.15, 0.15, 0.2, 0.25, 0.15, 0.10]], [[0.55, 0.2, 0.1, 0.1, 0.05, 0.0]])
    max_hours = np.array([37, 30, 25, 20, 15, 10])[_choice(rng, hours_p)].astype(float)
    commute = np.array([20, 30, 40, 45, 60, 75])[rng.choice(6, n, p=[0.08, 0.25, 0.2, 0.17, 0.25, 0.05])]
    shorter = (b["childcare"] | b["physical_health"]) & (rng.random(n) < 0.4)
    commute = np.where(shorter, np.maximum(commute - 15, 15), commute).astype(float)
    max_hours[rng.random(n) < 0.02] = np.nan
    commute[rng.random(n) < 0.02] = np.nan
    p_lic = np.select([origin == "danish", origin == "western"], [0.5, 0.4], 0.25) - 0.15 * b["substance_use"]
    licence = rng.random(n) < p_lic

    exog_rate = 0.05 + 0.12 * (age >= 60) + 0.04 * (b["physical_health"] & b["mental_health"])
    leave = enrolled + (rng.exponential(1.0, n) / exog_rate * 365).astype("timedelta64[D]")
    leave = np.where(leave < end, leave, np.datetime64("NaT"))

    citizens = pd.DataFrame(
        {
            "citizen_id": [f"C{i + 1:06d}" for i in range(n)],
            "birth_year": start_year - age,
            "gender": gender,
            "home_postcode": postcode,
            "home_lat": lat.round(5),
            "home_lon": lon.round(5),
            "origin": origin,
            "benefit": benefit,
            "readiness": readiness,
            "months_on_benefit": months,
            "education": education,
            "danish_level": danish,
            "barriers": [list(np.array(BARRIERS)[row]) for row in barriers],
            "job_wishes": wishes,
            "max_hours_per_week": max_hours,
            "max_commute_minutes": commute,
            "has_drivers_license": licence,
            "caseworker_id": "",
            "enrolled_on": enrolled,
            "left_on": np.datetime64("NaT"),
            "candidate_search_consent": rng.random(n) < 0.85,
            "notes": "",
            "district": district,
            "tingbjerg": tingbjerg,
        }
    )
    citizens["notes"] = citizen_notes(rng, citizens, history, pool)
    return Population(citizens, history, motivation, affinity, leave, stock)


def team_of(district: np.ndarray, tingbjerg: np.ndarray) -> np.ndarray:
    """The caseworker team serving a district (Tingbjerg has its own)."""
    team = np.array([TEAMS.get(d, d) for d in district], dtype=object)
    team[tingbjerg] = "Tingbjerg"
    return team


def _work_history(rng, pool, n, age, origin, gender, months, enrolled, start_year):
    """Past jobs in the group's occupations, ending before the benefit spell began."""
    lam = np.where(origin == "danish", 1.8, 1.2) * np.where(months > 60, 0.7, 1.0)
    n_jobs = np.where(rng.random(n) < 0.18, 0, rng.poisson(lam) + 1).clip(0, 5)
    owner = np.repeat(np.arange(n), n_jobs)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_jobs) - n_jobs, n_jobs)
    # The first job (rank 0) sets a home family; later ones mostly stay in it.
    home = _family_draws(rng, pool, gender[owner])
    uri = home.copy()
    stray = (rank > 0) & (rng.random(len(owner)) < 0.35)
    uri[stray] = sample(rng, pool.frame, int(stray.sum()))
    same = (rank > 0) & ~stray
    first_of = np.cumsum(n_jobs) - n_jobs
    fam_of = pool.frame.set_index("uri")["family"]
    home_family = fam_of.loc[uri[first_of[owner]]].to_numpy()
    for fam in np.unique(home_family[same]):
        rows = same & (home_family == fam)
        uri[rows] = sample(rng, pool.frame[pool.frame["family"] == fam], int(rows.sum()))
    uri[rank == 0] = home[rank == 0]
    # Walk backwards from the start of the benefit spell: job, gap, job...
    spell_start = enrolled[owner] - (months[owner] * 30.4).astype("timedelta64[D]")
    duration = (rng.uniform(3, 48, len(owner)) * 30.4).astype(int)
    gap = (rng.uniform(0, 18, len(owner)) * 30.4).astype(int)
    back = pd.Series(duration + gap).groupby(owner).cumsum().to_numpy()
    end_on = spell_start - (back - duration).astype("timedelta64[D]") - rng.integers(0, 180, len(owner)).astype("timedelta64[D]")
    start_on = end_on - duration.astype("timedelta64[D]")
    adult = (start_year - age[owner] + 17 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    keep = start_on >= adult
    hours = np.where(rng.random(len(owner)) < 0.5, 37, rng.integers(10, 37, len(owner)))
    history = pd.DataFrame(
        {"citizen_id": [f"C{i + 1:06d}" for i in owner[keep]], "occupation_uri": uri[keep],
         "start_on": start_on[keep], "end_on": end_on[keep], "hours_per_week": hours[keep],
         "owner": owner[keep]}
    ).sort_values(["owner", "start_on"], kind="stable").reset_index(drop=True)
    return history, uri


def _family_draws(rng, pool, gender):
    """One occupation per row, tilted by the sex-typical families of this labour market."""
    out = np.empty(len(gender), dtype=object)
    frame = pool.frame
    for g in ("F", "M", "X"):
        rows = gender == g
        if not rows.any():
            continue
        tilt = frame["family"].map(GENDER_FAMILY_TILT.get(g, {})).fillna(1.0).to_numpy()
        p = frame["weight"].to_numpy() * tilt
        out[rows] = frame["uri"].to_numpy()[rng.choice(len(frame), int(rows.sum()), p=p / p.sum())]
    return out


def _wishes(rng, pool, n, history, gender):
    """One to three wished occupations, mostly near what the citizen has done before."""
    n_w = rng.choice([0, 1, 2, 3], n, p=[0.08, 0.37, 0.37, 0.18])
    owner = np.repeat(np.arange(n), n_w)
    counts = np.bincount(history["owner"], minlength=n)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has_hist = counts[owner] > 0
    pick = first[owner] + (rng.random(len(owner)) * np.maximum(counts[owner], 1)).astype(int)
    hist_uri = history["occupation_uri"].to_numpy()[np.minimum(pick, max(len(history) - 1, 0))] if len(history) else np.full(len(owner), None)
    mode = rng.random(len(owner))
    uri = _family_draws(rng, pool, gender[owner])
    same_occ = has_hist & (mode < 0.5)
    uri[same_occ] = hist_uri[same_occ]
    near = has_hist & (mode >= 0.5) & (mode < 0.8)
    fam_of = pool.frame.set_index("uri")["family"]
    near_fam = fam_of.reindex(hist_uri[near]).to_numpy()
    near_idx = np.flatnonzero(near)
    for fam in pd.unique(near_fam):
        rows = near_idx[near_fam == fam]
        members = pool.frame[pool.frame["family"] == fam]
        if len(members):
            uri[rows] = sample(rng, members, len(rows))
    wishes = pd.Series(uri).groupby(owner).agg(lambda s: list(dict.fromkeys(s)))
    return [wishes.get(i, []) for i in range(n)]
