"""The app's own writes and the in-memory world on PostgreSQL (MATCHER_TEST_PG_URL; scripts/postgres.sh).

The import is tested on PostgreSQL in tests/test_import.py; this covers what the app and the
model read and write: the World loader, sign-in, a proposal with its audit entry, an outcome, and
a newer import that keeps both.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from matcher import audit
from matcher.auth import authenticate, operator
from matcher.caseload import caseload, propose, record_outcome
from matcher.db import AuditLog, Referral, session_scope
from matcher.importer import import_folder
from matcher.world import World
from matcher.sessions import resume_session, sign_in
from matcher.users import create_user
from tests.app_helpers import PASSWORD, count
from tests.importer_support import copy_export, pg_engine_or_skip, sqlite_engine

ON = date(2023, 3, 1)


@pytest.fixture
def pg(tmp_path):
    engine, drop = pg_engine_or_skip()
    import_folder(copy_export(tmp_path / "export"), engine)
    yield engine
    drop()


def test_world_loads_the_same_from_postgres_and_sqlite(tmp_path, pg):
    lite = sqlite_engine(tmp_path)
    import_folder(copy_export(tmp_path / "again"), lite)
    a, b = World.from_db(pg), World.from_db(lite)
    for table in ("citizens", "opportunities", "referrals", "work_history", "employers", "caseworkers"):
        left = getattr(a, table).sort_values(getattr(a, table).columns[0]).reset_index(drop=True)
        right = getattr(b, table).sort_values(getattr(b, table).columns[0]).reset_index(drop=True)
        assert left.shape == right.shape, table
        assert left.astype(str).equals(right.astype(str)), table


def test_sign_in_proposal_outcome_and_reimport_on_postgres(tmp_path, pg):
    create_user(pg, operator(), "anne", PASSWORD, "caseworker", "cw01")
    anne = sign_in(pg, "anne", PASSWORD, "10.0.0.1")
    assert resume_session(pg, anne.session) == anne
    assert authenticate(pg, "anne", "wrong") is None
    assert set(caseload(pg, "cw01", ON)["citizen_id"]) >= {"P0001"}

    rid = propose(pg, anne, "P0001", "O01", ON, {"rank": 1})
    assert count(pg, Referral, source="app") == 1
    assert count(pg, AuditLog, action=audit.PROPOSE) == 1
    record_outcome(pg, anne, rid, "completed", date(2023, 4, 1))

    # A newer export keeps what the app recorded.
    import_folder(copy_export(tmp_path / "newer"), pg)
    with session_scope(pg) as s:
        r = s.scalars(select(Referral).where(Referral.referral_id == rid)).one()
        assert (r.source, r.outcome, r.outcome_source) == ("app", "completed", "app")
