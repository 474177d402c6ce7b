"""Employers in and around Copenhagen, by industry, size and location."""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.postcodes import DISTRICTS, NEIGHBOURS
from matcher.simulate.danish_text import employer_names

# NACE sections of the group's employers (relative weights).
INDUSTRY_WEIGHTS = {"N": 0.16, "I": 0.16, "G": 0.18, "H": 0.10, "Q": 0.12, "F": 0.09, "C": 0.07,
                    "P": 0.03, "S": 0.03, "E": 0.02, "L": 0.02, "O": 0.02}
# Where employers sit: districts of the city and the neighbouring municipalities (weights).
EMPLOYER_PLACES = {
    "Indre By": 0.10, "Østerbro": 0.06, "Nørrebro": 0.07, "Vesterbro/Kongens Enghave": 0.08, "Valby": 0.06,
    "Vanløse": 0.03, "Brønshøj-Husum": 0.03, "Bispebjerg": 0.04, "Amager Øst": 0.05, "Amager Vest": 0.04,
    "2000": 0.08, "2650": 0.06, "2610": 0.05, "2600": 0.06, "2730": 0.04, "2750": 0.04, "2770": 0.06,
}
SIZE_BY_INDUSTRY = {"Q": 3.8, "C": 3.5, "H": 3.4, "N": 3.2, "O": 4.0, "E": 3.5}  # log-mean employees


def place_coordinates(places: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Postcode, lat and lon for district names or neighbouring postcodes, scattered a little."""
    post, lat, lon = [], [], []
    for p in places:
        if p in DISTRICTS:
            la, lo, codes = DISTRICTS[p]
            post.append(codes[int(rng.integers(len(codes)))])
        else:
            _, la, lo = NEIGHBOURS[p]
            post.append(p)
        lat.append(la)
        lon.append(lo)
    lat = np.array(lat) + rng.normal(0, 0.006, len(places))
    lon = np.array(lon) + rng.normal(0, 0.010, len(places))
    return np.array(post), lat.round(5), lon.round(5)


def make_employers(rng: np.random.Generator, n: int, sigma_inclusive: float) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` employers and their hidden inclusiveness (one value each)."""
    sections = np.array(list(INDUSTRY_WEIGHTS))
    w = np.array(list(INDUSTRY_WEIGHTS.values()))
    industry = sections[rng.choice(len(sections), n, p=w / w.sum())]
    places = np.array(list(EMPLOYER_PLACES))
    pw = np.array(list(EMPLOYER_PLACES.values()))
    # The airport draws transport, hotels and cleaning.
    place = places[rng.choice(len(places), n, p=pw / pw.sum())]
    airport = np.isin(industry, ["H", "I", "N"]) & (rng.random(n) < 0.08)
    place[airport] = "2770"
    postcode, lat, lon = place_coordinates(place, rng)
    log_mean = pd.Series(industry).map(SIZE_BY_INDUSTRY).fillna(2.6).to_numpy()
    employees = np.maximum(1, np.round(np.exp(rng.normal(log_mean, 1.1)))).astype(int)
    social = rng.random(n) < 0.12 + 0.06 * np.log10(employees)
    frame = pd.DataFrame(
        {
            "employer_id": [f"E{i + 1:05d}" for i in range(n)],
            "name": employer_names(rng, industry),
            "industry": industry,
            "postcode": postcode,
            "lat": lat,
            "lon": lon,
            "employees": employees,
            "social_agreement": social,
        }
    )
    return frame, rng.normal(0, sigma_inclusive, n)
