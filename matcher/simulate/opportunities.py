"""Opportunities of all seven kinds over the programme's run: jobs, placements, courses, educations."""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.contract import KINDS
from matcher.postcodes import centroid
from matcher.simulate.danish_text import opportunity_descriptions, opportunity_titles
from matcher.simulate.occupations import COURSES, EDUCATIONS, PROVIDER_POSTCODES, OccupationPool, sample
from matcher.taxonomy import Taxonomy

KIND_SHARES = {"company_placement": 0.30, "wage_subsidy_job": 0.12, "small_job": 0.12, "ordinary_job": 0.20,
               "flex_job": 0.05, "course": 0.13, "education": 0.08}
EMPLOYER_KINDS = ("company_placement", "wage_subsidy_job", "small_job", "ordinary_job", "flex_job")
PAID_KINDS = ("wage_subsidy_job", "small_job", "ordinary_job", "flex_job")
# Danish a family's jobs usually ask for (0-4).
FAMILY_DANISH = {"91": 1, "92": 1, "93": 1, "94": 1, "96": 1, "71": 1, "72": 1, "73": 1, "74": 1, "75": 1,
                 "81": 1, "82": 1, "83": 2, "51": 2, "52": 2, "54": 2, "53": 3, "41": 3, "42": 3, "43": 3, "44": 3}
LICENCE_UNITS = ("8322", "8331", "8332", "8341", "8342")
EDUCATION_WEIGHTS = {"5322": 4, "5321": 2, "5312": 3, "5311": 1, "5120": 1, "9412": 1, "8332": 1, "8322": 1,
                     "4321": 1, "9333": 1, "5223": 2, "7115": 1, "7112": 1, "5153": 1, "9112": 1}
# Open window (weeks) by kind: how long an opening takes people before it closes.
OPEN_WEEKS = {"company_placement": (12, 52), "wage_subsidy_job": (4, 12), "small_job": (6, 26),
              "ordinary_job": (3, 10), "flex_job": (6, 20), "course": (3, 8), "education": (6, 16)}


def make_opportunities(
    rng: np.random.Generator, n: int, employers: pd.DataFrame, pool: OccupationPool, tax: Taxonomy,
    start: np.datetime64, end: np.datetime64,
) -> pd.DataFrame:
    """``n`` opportunities opening over the run (some before it) with Danish titles and descriptions."""
    kinds = np.array(list(KIND_SHARES))
    kp = np.array(list(KIND_SHARES.values()))
    kind = kinds[rng.choice(len(kinds), n, p=kp / kp.sum())]
    kind = kind[np.argsort(pd.Categorical(kind, categories=KINDS).codes, kind="stable")]
    frame = pd.DataFrame({"kind": kind, "employer_id": "", "provider": "", "occupation_uri": "", "course_title": ""})

    emp = frame["kind"].isin(EMPLOYER_KINDS).to_numpy()
    size = np.sqrt(employers["employees"].to_numpy(dtype=float))
    social = employers["social_agreement"].to_numpy()
    for subsidised in (True, False):
        rows = emp & (np.isin(kind, ["company_placement", "wage_subsidy_job", "flex_job"]) == subsidised)
        p = size * (1 + 1.5 * social) if subsidised else size
        frame.loc[rows, "employer_id"] = employers["employer_id"].to_numpy()[
            rng.choice(len(employers), int(rows.sum()), p=p / p.sum())]
    industry = frame["employer_id"].map(employers.set_index("employer_id")["industry"])
    for section in industry[emp].unique():
        rows = emp & (industry == section).to_numpy()
        frame.loc[rows, "occupation_uri"] = sample(rng, pool.in_industry(section), int(rows.sum()))

    course = kind == "course"
    pick = rng.choice(len(COURSES), int(course.sum()))
    frame.loc[course, "course_title"] = [COURSES[k][0] for k in pick]
    frame.loc[course, "provider"] = [COURSES[k][1] for k in pick]
    units = np.array([COURSES[k][2] for k in pick])
    course_uri = np.full(len(pick), "", dtype=object)
    for unit in sorted(set(units) - {""}):  # sorted: set order changes between processes
        members = pool.by_unit(unit)
        if len(members):
            course_uri[units == unit] = sample(rng, members, int((units == unit).sum()))
    frame.loc[course, "occupation_uri"] = course_uri

    edu = kind == "education"
    targets = [u for u in EDUCATION_WEIGHTS if len(pool.by_unit(u))] or list(pool.frame["unit"].unique()[:1])
    tw = np.array([EDUCATION_WEIGHTS.get(u, 1) for u in targets], dtype=float)
    edu_units = np.array(targets)[rng.choice(len(targets), int(edu.sum()), p=tw / tw.sum())]
    edu_uri = np.empty(len(edu_units), dtype=object)
    for unit in np.unique(edu_units):
        edu_uri[edu_units == unit] = sample(rng, pool.by_unit(unit), int((edu_units == unit).sum()))
    frame.loc[edu, "occupation_uri"] = edu_uri
    frame.loc[edu, "provider"] = [EDUCATIONS.get(u, ("Erhvervsuddannelse", "NEXT Uddannelse København"))[1] for u in edu_units]
    frame.loc[edu, "course_title"] = [EDUCATIONS.get(u, ("Erhvervsuddannelse", ""))[0] for u in edu_units]

    occ = pool.frame.set_index("uri")
    family = frame["occupation_uri"].map(occ["family"])
    unit = frame["occupation_uri"].map(occ["unit"]).fillna("")
    danish = family.map(FAMILY_DANISH).fillna(1).to_numpy() + rng.choice([-1, 0, 1], n, p=[0.2, 0.6, 0.2])
    danish = np.where(kind == "small_job", danish - (rng.random(n) < 0.4), danish)
    danish = np.where(edu, np.maximum(danish, 2), danish)
    course_danish = np.array([COURSES[k][3] for k in pick])
    danish[course] = course_danish
    frame["danish_required"] = np.clip(danish, 0, 4).astype(int)

    hours = np.select(
        [kind == "small_job", kind == "company_placement", kind == "wage_subsidy_job", kind == "ordinary_job",
         kind == "flex_job", kind == "course"],
        [rng.integers(4, 16, n), rng.choice([15, 20, 25, 30, 37], n), rng.choice([25, 30, 37], n),
         np.where(rng.random(n) < 0.6, 37, rng.choice([20, 25, 30], n)), rng.choice([10, 15, 20, 25], n),
         rng.choice([15, 20, 25, 30, 37], n)], 37)
    frame["hours_per_week"] = hours.astype(int)
    capacity = np.select(
        [kind == "company_placement", kind == "wage_subsidy_job", kind == "small_job", kind == "ordinary_job",
         kind == "flex_job", kind == "course"],
        [rng.choice([1, 1, 2, 3], n), rng.choice([1, 1, 2], n), rng.choice([1, 2, 3], n), rng.choice([1, 1, 2, 3], n),
         np.ones(n, int), rng.integers(8, 17, n)], rng.integers(12, 31, n))
    frame["capacity"] = capacity.astype(int)
    course_weeks = np.array([rng.integers(COURSES[k][4][0], COURSES[k][4][1] + 1) for k in pick], dtype=float)
    weeks = np.select([kind == "company_placement", kind == "wage_subsidy_job", kind == "education"],
                      [rng.integers(4, 14, n), rng.choice([13, 26, 39, 52], n), rng.integers(52, 105, n)], 0).astype(float)
    weeks[course] = course_weeks
    weeks[np.isin(kind, ["small_job", "ordinary_job", "flex_job"])] = np.nan
    frame["weeks"] = weeks
    lic = np.select([unit.isin(LICENCE_UNITS).to_numpy(), unit.eq("5322").to_numpy(),
                     family.isin(["71", "93", "96"]).to_numpy()], [1.0, 0.4, 0.15], 0.03)
    frame["requires_drivers_license"] = rng.random(n) < lic
    wage = 135 + 10 * family.isin(["71", "72", "83"]).to_numpy() + rng.normal(0, 8, n)
    frame["wage_per_hour"] = np.where(np.isin(kind, PAID_KINDS), wage.round(2), np.nan)

    e = employers.set_index("employer_id")
    frame["postcode"] = frame["employer_id"].map(e["postcode"])
    frame["lat"] = frame["employer_id"].map(e["lat"])
    frame["lon"] = frame["employer_id"].map(e["lon"])
    school = ~emp
    prov_post = frame.loc[school, "provider"].map(PROVIDER_POSTCODES).fillna("2200")
    frame.loc[school, "postcode"] = prov_post
    frame.loc[school, "lat"] = [round(centroid(p)[0] + 0.002, 5) for p in prov_post]
    frame.loc[school, "lon"] = [round(centroid(p)[1] + 0.003, 5) for p in prov_post]

    days = int((end - start) / np.timedelta64(1, "D"))
    open_from = start + rng.integers(-60, days - 21, n).astype("timedelta64[D]")
    length = np.array([rng.integers(OPEN_WEEKS[k][0], OPEN_WEEKS[k][1] + 1) for k in kind]) * 7
    open_until = open_from + length.astype("timedelta64[D]")
    frame["open_from"] = open_from
    frame["open_until"] = np.where(open_until < end, open_until, np.datetime64("NaT"))

    optional = tax.frame["optional_skills"]
    n_sk = rng.integers(0, 4, n)
    frame["skills"] = [
        sorted(rng.choice(optional[u], min(k, len(optional[u])), replace=False).tolist()) if u and k else []
        for u, k in zip(frame["occupation_uri"], n_sk)
    ]
    label = frame["occupation_uri"].map(occ["label"]).fillna("").to_numpy()
    frame["title"] = opportunity_titles(rng, kind, label, frame["course_title"].to_numpy())
    order = rng.permutation(n)  # ids do not give the kind away
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "opportunity_id", [f"O{i + 1:05d}" for i in range(n)])
    frame["description"] = opportunity_descriptions(rng, frame, e["name"])
    return frame.drop(columns=["course_title"])
