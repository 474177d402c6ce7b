"""The programme's data in memory, and the contract's rules of time ("as of D").

Features, models, evaluation and the app all read a :class:`World`, loaded once from the
database. Nothing here looks past the date it is asked about.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher import timerules
from matcher.contract import TABLE_ORDER, TABLES
from matcher.postcodes import centroid

DATE_COLUMNS = {
    name: [c.name for c in t.columns if c.type == "date"] for name, t in TABLES.items()
}
LIST_COLUMNS = {
    name: [c.name for c in t.columns if c.type in ("list", "list_enum", "uri_list")]
    for name, t in TABLES.items()
}


def _fix_types(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    for col in DATE_COLUMNS[table]:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    for col in LIST_COLUMNS[table]:
        if col in frame:
            frame[col] = frame[col].map(lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else [])
    return frame


def _fill_coordinates(frame: pd.DataFrame, postcode: str, lat: str, lon: str) -> pd.DataFrame:
    """Missing coordinates become the postcode's centroid (the contract's rule)."""
    missing = frame[lat].isna() | frame[lon].isna()
    if missing.any():
        filled = frame.loc[missing, postcode].map(centroid)
        frame.loc[missing, lat] = filled.map(lambda p: p[0])
        frame.loc[missing, lon] = filled.map(lambda p: p[1])
    frame[lat] = frame[lat].astype(float)
    frame[lon] = frame[lon].astype(float)
    return frame


def calendar_months_between(start, end) -> np.ndarray:
    """Signed calendar months from ``start`` to ``end``: 12 x years + months, days ignored.

    Negative when ``end`` is before ``start``. Ignoring the day keeps the count additive
    (a to b plus b to c is a to c), so a value exported on one date converts exactly to another.
    """
    a, b = pd.DatetimeIndex(pd.to_datetime(start)), pd.DatetimeIndex(pd.to_datetime(end))
    return np.asarray((b.year - a.year) * 12 + (b.month - a.month), dtype=float)


def months_on_benefit_on(months_on_benefit, on, left_on, export_date) -> np.ndarray:
    """Months on benefit on date ``on``, from the exported ``months_on_benefit``.

    The export states the continuous months on benefit as of the export date, or as of
    ``left_on`` for a citizen who left; on ``on`` it is that value minus the calendar months
    from ``on`` to that reference date (:func:`calendar_months_between`), floored at 0.
    """
    ref = pd.Series(pd.to_datetime(left_on)).fillna(pd.Timestamp(export_date))
    on = pd.Series(pd.to_datetime(on)) if np.ndim(on) else pd.Series([pd.Timestamp(on)] * len(ref))
    back = calendar_months_between(on, ref)
    return np.maximum(np.asarray(months_on_benefit, dtype=float) - back, 0.0)


def read_table(engine: Engine, table: str) -> pd.DataFrame:
    """One contract table from the database, typed (referrals with their ``source`` and
    ``outcome_source``); coordinates are filled by :meth:`World.from_db`."""
    cols = list(TABLES[table].column_names)
    if table == "referrals":
        cols += ["source", "outcome_source"]
    with engine.connect() as conn:
        return _fix_types(table, pd.read_sql_table(table, conn, columns=cols))


@dataclass
class World:
    caseworkers: pd.DataFrame
    citizens: pd.DataFrame
    work_history: pd.DataFrame
    employers: pd.DataFrame
    opportunities: pd.DataFrame
    referrals: pd.DataFrame

    @classmethod
    def from_db(cls, engine: Engine) -> "World":
        """Every contract table from the database, typed, with coordinates filled in."""
        frames = {table: read_table(engine, table) for table in TABLE_ORDER}
        frames["citizens"] = _fill_coordinates(frames["citizens"], "home_postcode", "home_lat", "home_lon")
        frames["employers"] = _fill_coordinates(frames["employers"], "postcode", "lat", "lon")
        frames["opportunities"] = _fill_coordinates(frames["opportunities"], "postcode", "lat", "lon")
        return cls(**frames)

    # ---- the contract's rules of time (matcher.timerules) ---------------------------------

    def active_citizens(self, on: date | pd.Timestamp) -> pd.DataFrame:
        """Citizens active on the date."""
        return self.citizens[timerules.citizen_active(self.citizens, on)]

    def open_opportunities(self, on: date | pd.Timestamp) -> pd.DataFrame:
        """Opportunities open on the date, with their free capacity (``free_capacity``)."""
        o = self.opportunities[timerules.opportunity_open(self.opportunities, on)].copy()
        o["free_capacity"] = timerules.free_capacity(o, self.referrals, on)
        return o

    def referrals_known(self, on: date | pd.Timestamp) -> pd.DataFrame:
        """Referrals proposed before the date, with what was known of them on it.

        An outcome recorded on or after the date is unknown then: it reads as ``pending``.
        """
        d = pd.Timestamp(on)
        r = self.referrals[self.referrals["proposed_on"] < d].copy()
        later = r["outcome_on"].isna() | (r["outcome_on"] >= d)
        r.loc[later, "outcome"] = "pending"
        r.loc[later, "outcome_on"] = pd.NaT
        return r

    def as_of(self, on: date | pd.Timestamp) -> "World":
        """The world as it was known on the date: later referrals and outcomes removed."""
        return replace(self, referrals=self.referrals_known(on))
