"""A national world: many municipalities' programmes side by side, for scale (``matcher simulate
--citizens 150000``).

Above ``settings.sim_national_above`` citizens the simulator writes one programme per municipality
of about ``settings.sim_municipality_citizens`` citizens: Copenhagen first, then municipalities
around the regional centres of the rest of Denmark (``matcher.postcodes``). Each is the
Copenhagen programme of ``matcher.simulate.programme`` with its own seed, moved to its centre:
its own citizens, caseworkers (teams named after the municipality), employers and openings, its
referral history drawn by its own caseworkers. Ids carry the municipality (``M07-C000123``), so
the tables concatenate into one export of the contract's format.

What it is for: the load of a country (150,000 citizens, about 20,000 places open on a day) on
the importer, retrieval and the batch. What it is not: a model of national labour markets; each
municipality's people and trades are Copenhagen's. The hidden truths stay per municipality and
are not written (the oracle ratio is measured on the default world).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.postcodes import _REGIONS
from matcher.settings import get_settings

COPENHAGEN = (55.679, 12.572)
# Columns holding ids, per table: prefixed with the municipality.
_IDS = {
    "caseworkers": ["caseworker_id"],
    "citizens": ["citizen_id", "caseworker_id"],
    "work_history": ["citizen_id"],
    "employers": ["employer_id"],
    "opportunities": ["opportunity_id", "employer_id"],
    "referrals": ["referral_id", "citizen_id", "opportunity_id", "caseworker_id"],
}
# Coordinates and postcodes, per table.
_PLACES = {"citizens": ("home_lat", "home_lon", "home_postcode"), "employers": ("lat", "lon", "postcode"),
           "opportunities": ("lat", "lon", "postcode")}


def municipality_centres() -> list[tuple[str, float, float]]:
    """(two-digit postcode region, lat, lon) of the municipalities: Copenhagen, then one per
    distinct regional centre outside the capital's postcodes (10-29)."""
    out, seen = [("", *COPENHAGEN)], {COPENHAGEN}
    for region, (lat, lon) in _REGIONS.items():
        if int(region) >= 30 and (lat, lon) not in seen:
            seen.add((lat, lon))
            out.append((region, lat, lon))
    return out


def _move(tables: dict[str, pd.DataFrame], number: int, region: str, lat: float, lon: float) -> dict[str, pd.DataFrame]:
    prefix = f"M{number:02d}-"
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in _IDS[name]:
            values = frame[column]
            frame[column] = (prefix + values.astype(str)).where(values.notna() & (values.astype(str) != ""), values)
        if name in _PLACES and region:
            la, lo, post = _PLACES[name]
            frame[la] = (frame[la] + (lat - COPENHAGEN[0])).round(5)
            frame[lo] = (frame[lo] + (lon - COPENHAGEN[1])).round(5)
            frame[post] = frame[post].where(frame[post].isna(), region + frame[post].astype(str).str[-2:])
        out[name] = frame
    if region:
        out["caseworkers"]["team"] = f"Kommune {region}: " + out["caseworkers"]["team"].astype(str)
    return out


def simulate_national(out: Path, n_citizens: int, seed: int, truth: str | None = None) -> str:
    """Write a national world of ``n_citizens`` to ``out`` (no ``_truth/``); return a short report."""
    from matcher.simulate.programme import run_programme
    from matcher.simulate.truths import DEFAULT_FAMILY
    from matcher.simulate.writer import write_tables

    started = time.perf_counter()
    per = get_settings().sim_municipality_citizens
    centres = municipality_centres()
    n = min(len(centres), max(1, round(n_citizens / per)))
    sizes = np.full(n, n_citizens // n)
    sizes[: n_citizens - sizes.sum()] += 1
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in _IDS}
    for number, (size, (region, lat, lon)) in enumerate(zip(sizes, centres[:n])):
        world = run_programme(int(size), seed + number, truth or DEFAULT_FAMILY)
        for name, frame in _move(world.tables, number, region, lat, lon).items():
            parts[name].append(frame)
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    write_tables(Path(out), tables)
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in tables.items())
    return (f"national world: {n_citizens:,} citizens in {n} municipalities (seeds {seed}..{seed + n - 1}), "
            f"{time.perf_counter() - started:.0f} s\ntables: {counts}\n(no _truth/: each municipality's truth stays with its run)")
