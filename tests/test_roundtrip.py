"""Round trip: what a folder holds is what the database holds after the import."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from matcher.contract import TABLE_ORDER, TABLES
from matcher.db import Base
from matcher.importer import import_folder
from matcher.world import World
from tests.importer_support import VALID_EXPORT, row_count, sqlite_engine


def db_as_text(engine, table: str, columns: list[str]) -> pd.DataFrame:
    """A table as the CSV would write it: dates ISO, lists ';'-joined, missing as ''."""
    t = Base.metadata.tables[table]
    with engine.connect() as conn:
        rows = conn.execute(select(*(t.c[c] for c in columns))).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)
    for column in columns:
        frame[column] = frame[column].map(
            lambda v: "" if v is None else ";".join(v) if isinstance(v, list) else
            v.isoformat() if hasattr(v, "isoformat") else str(v)
        )
    return frame.sort_values(columns[0]).reset_index(drop=True)


def file_as_text(folder, table: str, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)[columns]
    return frame.sort_values(columns[0]).reset_index(drop=True)


def check_round_trip(folder, engine) -> None:
    summary = import_folder(folder, engine)
    for table in TABLE_ORDER:
        assert summary.counts[table]["inserted"] == row_count(folder, table), table
    world = World.from_db(engine)
    for table in TABLE_ORDER:
        assert len(getattr(world, table)) == row_count(folder, table), table
    referrals = list(TABLES["referrals"].column_names)
    pd.testing.assert_frame_equal(db_as_text(engine, "referrals", referrals), file_as_text(folder, "referrals", referrals))
    citizens = ["citizen_id", "birth_year", "home_postcode", "barriers", "job_wishes", "caseworker_id", "enrolled_on", "left_on"]
    pd.testing.assert_frame_equal(db_as_text(engine, "citizens", citizens), file_as_text(folder, "citizens", citizens))
    again = import_folder(folder, engine)
    assert all(c["unchanged"] == row_count(folder, t) for t, c in again.counts.items())


def test_hand_written_export_round_trip(tmp_path):
    check_round_trip(VALID_EXPORT, sqlite_engine(tmp_path))


@pytest.mark.slow
def test_simulated_world_round_trip(small_world_dir, tmp_path):
    check_round_trip(small_world_dir, sqlite_engine(tmp_path))


def test_shared_fixture_database_holds_the_simulated_world(small_world_dir, small_world):
    for table in TABLE_ORDER:
        assert len(getattr(small_world, table)) == row_count(small_world_dir, table), table
    assert set(small_world.referrals["source"]) == {"import"}
