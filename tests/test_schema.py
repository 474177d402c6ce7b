"""A database made before a column or an index existed is brought up to date by make_engine,
additively; rows that break a new unique rule leave a warning, not a broken start."""
from __future__ import annotations

import sqlite3

import pytest

from matcher import db
from matcher.db import make_engine


def test_an_older_database_gets_the_new_column_and_index(tmp_path):
    path = tmp_path / "old.db"
    make_engine(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:  # as an earlier version left it
        conn.execute("DROP INDEX uq_referrals_pending_app")
        conn.execute("ALTER TABLE referrals DROP COLUMN override_reason")
    db._UPGRADED.clear()
    make_engine(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(referrals)")}
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(referrals)")}
    assert "override_reason" in columns and "uq_referrals_pending_app" in indexes


def test_rows_that_break_a_new_unique_index_leave_a_warning(export_engine):
    path = export_engine.url.database
    export_engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX uq_referrals_pending_app")
        for rid in ("APP-1", "APP-2"):  # duplicates an overbooking bug could have left
            conn.execute(
                "INSERT INTO referrals (referral_id, citizen_id, opportunity_id, caseworker_id, proposed_on, outcome, source)"
                " VALUES (?, 'P0001', 'O01', 'cw01', '2023-03-01', 'pending', 'app')", (rid,)
            )
    db._UPGRADED.clear()
    with pytest.warns(UserWarning, match="uq_referrals_pending_app not created"):
        make_engine(f"sqlite:///{path}").dispose()
