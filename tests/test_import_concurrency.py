"""Concurrency is input too: an import racing a caseworker's outcome, two imports at once, and an
import killed at random moments, on a SQLite file and on PostgreSQL."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from matcher.caseload import record_outcome
from matcher.contract import TABLE_ORDER
from matcher.db import AuditLog, ImportRun, Referral, make_engine
from matcher.importer import import_folder, load
from matcher.importer.lock import exclusive_transaction, lock_file
from tests.app_helpers import live_user
from tests.importer_support import copy_export, pg_engine_or_skip, read_table, set_cell, snapshot, sqlite_engine, write_table

PAUSE = 0.5  # seconds the paused import holds its lock while the app tries to write
WAITED = 60.0  # how long anything here waits for a process before the test fails


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A database of each backend with the hand-written export imported."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path)
        drop = engine.dispose
    else:
        engine, drop = pg_engine_or_skip()
    import_folder(copy_export(tmp_path / "first"), engine)
    yield engine
    drop()


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAITED
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.005)


# ---- an import racing a caseworker's outcome ------------------------------------------------


def caseworker(engine):
    """cw06's app account with a live session (P0008 and its referral R007 are in cw06's caseload)."""
    return live_user(engine, "mette", "caseworker", "cw06")


def test_an_outcome_entered_while_an_import_runs_is_kept(tmp_path, engine, monkeypatch):
    user = caseworker(engine)
    newer = copy_export(tmp_path / "newer")
    set_cell(newer, "referrals", 8, "outcome", "declined")  # R007, pending in the database
    set_cell(newer, "referrals", 8, "outcome_on", "2022-03-20")
    # The import stops after reading the database (the moment the old importer was exposed) until
    # the caseworker's write has begun; the write is then under way while the import continues.
    read, writing, finished = threading.Event(), threading.Event(), {}
    original = load._read_existing

    def read_then_pause(conn, name):
        rows = original(conn, name)
        if name == TABLE_ORDER[-1]:
            read.set()
            assert writing.wait(WAITED)
            time.sleep(PAUSE)
        return rows

    def enter_outcome():
        try:
            assert read.wait(WAITED)
            writing.set()
            record_outcome(engine, user, "R007", "hired", date(2022, 4, 1))
            finished["app"] = time.monotonic()
        except BaseException as error:  # reported by the main thread
            finished["error"] = error

    monkeypatch.setattr(load, "_read_existing", read_then_pause)
    app = threading.Thread(target=enter_outcome)
    app.start()
    summary = import_folder(newer, engine)
    finished["import"] = time.monotonic()
    app.join(WAITED)
    assert "error" not in finished, finished.get("error")
    r = Referral.__table__.c
    with engine.connect() as conn:
        stored = conn.execute(select(r.outcome, r.outcome_on, r.outcome_source, r.recorded_by)
                              .where(r.referral_id == "R007")).one()
        audited = conn.execute(select(AuditLog.detail).where(AuditLog.action == "record_outcome")).scalars().all()
    assert tuple(stored) == ("hired", date(2022, 4, 1), "app", "mette")
    assert [d["outcome"] for d in audited] == ["hired"]
    # The app's write waited for the import's commit, then won.
    assert finished["app"] > finished["import"]
    assert summary.counts["referrals"]["updated"] == 1
    # The next night's export does not overwrite it either.
    again = import_folder(newer, engine)
    assert any("outcome(s) entered in the app differ from the export" in w for w in again.warnings)
    with engine.connect() as conn:
        assert conn.execute(select(r.outcome).where(r.referral_id == "R007")).scalar() == "hired"


# ---- two imports at once ----------------------------------------------------------------------


def cli_import(folder, engine, wait: float | None = None, *args: str) -> subprocess.Popen:
    env = {**os.environ, "MATCHER_DB_URL": url_of(engine), "HF_HUB_OFFLINE": "1"}
    if wait is not None:
        env["MATCHER_IMPORT_WAIT_SECONDS"] = str(wait)
    return subprocess.Popen([sys.executable, "-m", "matcher.cli", "import", str(folder), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def waiting_for_the_lock(engine, child: subprocess.Popen) -> bool:
    """True once ``child`` waits for the import lock (it has opened the lock file / asked for the
    table lock and not got it)."""
    if engine.dialect.name == "sqlite":
        fds = f"/proc/{child.pid}/fd"
        try:
            return any(os.readlink(f"{fds}/{fd}") == str(lock_file(engine)) for fd in os.listdir(fds))
        except FileNotFoundError:
            return False
    return pg_import_locks(engine, granted=False)


def pg_import_locks(engine, granted: bool) -> bool:
    """True when some PostgreSQL session holds (or waits for) the import's lock on referrals."""
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "select count(*) from pg_locks where locktype = 'relation' and mode = 'ShareRowExclusiveLock' "
            "and granted = :granted and relation = to_regclass('referrals')"), {"granted": granted}).scalar())


def runs(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ImportRun.__table__)).scalar()


@pytest.fixture
def linux_proc():
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to see a process wait")


def test_imports_queue_behind_a_running_one(tmp_path, engine, linux_proc):
    folder = copy_export(tmp_path / "again")
    with exclusive_transaction(engine, 1.0, folder):  # an import in progress
        children = [cli_import(folder, engine) for _ in range(2)]
        wait_until(lambda: all(waiting_for_the_lock(engine, c) or c.poll() is not None for c in children),
                   "both children to wait")
        time.sleep(PAUSE)
        assert [c.poll() for c in children] == [None, None], [c.communicate() for c in children]
    # Released: both go, one after the other (the old importer: "UNIQUE constraint failed").
    results = [c.communicate(timeout=WAITED) for c in children]
    assert [c.returncode for c in children] == [0, 0], results
    assert all("10 unchanged" in out for out, _ in results)
    assert runs(engine) == 3


def test_a_second_import_that_waited_too_long_is_refused_saying_why(tmp_path, engine):
    folder = copy_export(tmp_path / "again")
    before = snapshot(engine)
    with exclusive_transaction(engine, 1.0, folder):
        child = cli_import(folder, engine, 0.5)
        out, err = child.communicate(timeout=WAITED)
    assert child.returncode == 2, err
    problems = err.splitlines()
    assert problems[0].startswith("-:-:-: another import is running since "), err
    assert problems[0].endswith("nothing was loaded, try again when it has finished")
    assert "UNIQUE" not in err and "Traceback" not in err
    assert snapshot(engine) == before


# ---- an import killed at random moments -------------------------------------------------------

KILLS = 3


def bigger_newer_export(folder) -> None:
    """The next export, changed throughout, with 2,000 more referrals so that its transaction
    lasts long enough to be killed in the middle."""
    set_cell(folder, "citizens", 2, "months_on_benefit", "41")
    set_cell(folder, "opportunities", 3, "capacity", "2")
    set_cell(folder, "referrals", 10, "outcome", "hired")
    set_cell(folder, "referrals", 10, "outcome_on", "2023-05-01")
    set_cell(folder, "work_history", 4, "end_on", "2017-06-30")
    referrals = read_table(folder, "referrals")
    extra = referrals.sample(2_000, replace=True, random_state=1).assign(
        referral_id=[f"X{i:05d}" for i in range(2_000)])
    write_table(folder, "referrals", pd.concat([referrals, extra]))


def holding_the_lock(engine) -> bool:
    """True while some process holds the import lock of ``engine``'s database."""
    if engine.dialect.name == "sqlite":
        import fcntl

        path = lock_file(engine)
        if not path.exists():
            return False
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    return pg_import_locks(engine, granted=True)


def integrity_problems(engine) -> list:
    """What the database itself finds wrong (SQLite's integrity and foreign-key checks)."""
    if engine.dialect.name != "sqlite":
        return []  # PostgreSQL checks its constraints at every commit
    with engine.connect() as conn:
        found = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        return [f for f in found if f != "ok"] + list(conn.exec_driver_sql("PRAGMA foreign_key_check"))


def without_runs(state: dict) -> dict:
    return {name: rows for name, rows in state.items() if name != "import_runs"}


def copies(engine, tmp_path, n: int) -> list[tuple]:
    """``n`` databases holding what ``engine``'s holds, each with its cleanup."""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        out = []
        for i in range(n):
            target = tmp_path / f"copy{i}.db"
            shutil.copy(engine.url.database, target)
            copy = make_engine(f"sqlite:///{target}")
            out.append((copy, copy.dispose))
        return out
    out = []
    for i in range(n):
        copy, drop = pg_engine_or_skip()
        import_folder(copy_export(tmp_path / f"first{i}"), copy)
        out.append((copy, drop))
    return out


def test_a_killed_import_leaves_the_old_or_the_new_state(tmp_path, engine):
    newer = copy_export(tmp_path / "newer")
    bigger_newer_export(newer)
    old = without_runs(snapshot(engine))
    made = copies(engine, tmp_path, KILLS + 1)
    (finished, _), *trials = made
    started = time.monotonic()
    import_folder(newer, finished)
    held = time.monotonic() - started  # more than the lock is held: reading and checking come first
    new = without_runs(snapshot(finished))
    rng = random.Random(2026)
    outcomes = []
    for i, (trial, _) in enumerate(trials):
        child = cli_import(newer, trial)
        wait_until(lambda: holding_the_lock(trial) or child.poll() is not None, "the import to lock")
        time.sleep(rng.uniform(i, i + 1) / KILLS * held)  # spread over the time the lock is held
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=WAITED)
        # A PostgreSQL server may still be finishing the dead client's COMMIT or ROLLBACK.
        wait_until(lambda: not holding_the_lock(trial), "the server to end the killed transaction")
        trial.dispose()
        assert integrity_problems(trial) == []
        state = without_runs(snapshot(trial))
        assert state in (old, new)
        outcomes.append("old" if state == old else "new")
        assert runs(trial) == 1 + (state == new)
        # The lock died with the process: the next import runs at once and completes the change.
        import_folder(newer, trial)
        assert without_runs(snapshot(trial)) == new
    for _, cleanup in made:
        cleanup()
    assert "old" in outcomes, f"no kill landed inside the transaction ({outcomes}; it held the lock {held:.2f} s)"
