"""Capacity cannot be overbooked: 50 proposals at once (threads with their own connections, and
separate processes) at an opening with one free place: exactly one succeeds, the others are
refused clearly, free capacity ends at 0; 20 identical proposals at once leave one pending
referral. On SQLite and on PostgreSQL (MATCHER_TEST_PG_URL)."""
from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from matcher import audit
from matcher.caseload import ProposalRefused, free_capacity, propose
from matcher.db import Citizen, Referral, make_engine, session_scope
from matcher.importer import import_folder
from tests.app_helpers import live_user
from tests.importer_support import copy_export, pg_engine_or_skip, sqlite_engine

ON = date(2023, 3, 1)
RACERS = 50
IDENTICAL = 20
FULL_AFTER_ONE = "O08"  # capacity 1, nothing unresolved on ON
ROOMY = "O06"  # capacity 20


def _prepare(engine) -> tuple:
    """cw01's caseworker, signed in, with RACERS more citizens in her caseload (copies of P0001)."""
    with session_scope(engine) as s:
        model = s.get(Citizen, "P0001")
        columns = {c.name: getattr(model, c.name) for c in Citizen.__table__.columns}
        for i in range(RACERS):
            s.add(Citizen(**{**columns, "citizen_id": f"C{i:03d}"}))
    anne = live_user(engine, "anne", "caseworker", "cw01")
    return anne, [f"C{i:03d}" for i in range(RACERS)]


def _attempt(url: str, user, citizen_id: str, opportunity_id: str, start, results) -> None:
    """One proposal on its own engine (own connections), started together with the others."""
    engine = make_engine(url)
    start.wait()
    try:
        results.put(("ok", propose(engine, user, citizen_id, opportunity_id, ON)))
    except ProposalRefused as refused:
        results.put(("refused", str(refused)))
    except Exception as error:  # anything else is a failure of the test, reported below
        results.put(("error", repr(error)))
    finally:
        engine.dispose()


class _Queue(list):
    put = list.append


def _race_threads(url, user, pairs) -> list[tuple[str, str]]:
    start, results = threading.Barrier(len(pairs)), _Queue()
    threads = [threading.Thread(target=_attempt, args=(url, user, c, o, start, results)) for c, o in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return list(results)


def _race_processes(url, user, pairs) -> list[tuple[str, str]]:
    ctx = multiprocessing.get_context("fork")  # children inherit the imports: 50 start in a moment
    start, results = ctx.Barrier(len(pairs)), ctx.Queue()
    procs = [ctx.Process(target=_attempt, args=(url, user, c, o, start, results)) for c, o in pairs]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return out


def _check(engine, results, wanted_refusal: str, opportunity_id: str) -> None:
    kinds = [k for k, _ in results]
    assert kinds.count("error") == 0, [m for k, m in results if k == "error"]
    assert kinds.count("ok") == 1, results
    refusals = [m for k, m in results if k == "refused"]
    assert len(refusals) == len(results) - 1 and all(wanted_refusal in m for m in refusals), set(refusals)
    with session_scope(engine) as s:
        pending = s.execute(
            select(Referral.citizen_id, func.count()).where(
                Referral.opportunity_id == opportunity_id, Referral.outcome == "pending"
            ).group_by(Referral.citizen_id)
        ).all()
    assert [n for _, n in pending] == [1]  # one pending referral, no duplicate
    assert len(audit.read(engine, action=audit.REFUSED, limit=1000)) == len(refusals)


@pytest.fixture
def sqlite_db(tmp_path):
    engine = sqlite_engine(tmp_path)
    import_folder(copy_export(tmp_path), engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_db(tmp_path):
    engine, drop = pg_engine_or_skip()
    import_folder(copy_export(tmp_path), engine)
    yield engine
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request):
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


@pytest.mark.parametrize("race", [_race_threads, _race_processes], ids=["threads", "processes"])
def test_fifty_proposals_for_one_free_place(db, race):
    anne, citizens = _prepare(db)
    assert free_capacity(db, FULL_AFTER_ONE, ON) == 1
    url = db.url.render_as_string(hide_password=False)
    results = race(url, anne, [(c, FULL_AFTER_ONE) for c in citizens])
    _check(db, results, f"opportunity {FULL_AFTER_ONE!r} has no free capacity", FULL_AFTER_ONE)
    assert free_capacity(db, FULL_AFTER_ONE, ON) == 0


def test_identical_proposals_leave_one_pending_referral(db):
    anne, citizens = _prepare(db)
    url = db.url.render_as_string(hide_password=False)
    results = _race_threads(url, anne, [(citizens[0], ROOMY)] * IDENTICAL)
    _check(db, results, "already has", ROOMY)


def test_the_session_is_checked_in_every_racer(sqlite_db):
    anne, citizens = _prepare(sqlite_db)
    url = sqlite_db.url.render_as_string(hide_password=False)
    results = _race_threads(url, replace(anne, session="not-a-session"), [(c, ROOMY) for c in citizens[:5]])
    assert [k for k, _ in results] == ["error"] * 5 and all("SessionEnded" in m for _, m in results)
