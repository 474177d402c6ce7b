"""The import's transaction: one import at a time, and no app write between its reads and writes.

An import reads the database (what the app recorded, what is there already), then writes. If a
caseworker's outcome were committed in between, the import would overwrite it from a stale
read. So the import holds the database's own write lock from before its first read to its
commit, and app writes wait for it (they are short; an import takes seconds):

- SQLite: ``BEGIN IMMEDIATE`` (the one writer lock of the file), plus an advisory lock on a file
  next to the database that says which import holds it since when;
- PostgreSQL: ``LOCK TABLE referrals IN SHARE ROW EXCLUSIVE MODE``, which blocks the app's
  proposals and outcomes (never its reads) and conflicts with itself, so a second import waits.

A second import waits up to ``import_wait_seconds``, then is refused with who holds the lock.
Both locks belong to the process or connection: a killed import releases them.
"""
from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

POLL_SECONDS = 0.05


class ImportBusy(Exception):
    """Another import (or a long write) holds the database; nothing was loaded."""


@contextmanager
def exclusive_transaction(engine: Engine, wait_seconds: float, folder: Path) -> Iterator[Connection]:
    """A transaction in which this import is the database's only writer; committed on success.

    Other databases than SQLite and PostgreSQL get one transaction, without that guarantee."""
    locked = {"sqlite": _sqlite, "postgresql": _postgresql}.get(engine.dialect.name)
    with locked(engine, wait_seconds, folder) if locked else engine.connect() as conn:
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---- SQLite ----------------------------------------------------------------------------------


def lock_file(engine: Engine) -> Path | None:
    """The file whose advisory lock marks a running import (None for an in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database + "-import.lock")


@contextmanager
def _sqlite(engine: Engine, wait_seconds: float, folder: Path) -> Iterator[Connection]:
    deadline = time.monotonic() + wait_seconds
    with _held_file(lock_file(engine), deadline, folder), engine.connect() as conn:
        try:
            # The wait left is this connection's busy timeout; the connection is discarded after,
            # so the pool's connections keep their own.
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(max(deadline - time.monotonic(), 0.0) * 1000)}")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as error:
                if "locked" not in str(error.orig):
                    raise
                raise ImportBusy(
                    f"the database was locked by another writer for more than {wait_seconds:g} s; "
                    "nothing was loaded, try again"
                ) from None
            yield conn
        finally:
            conn.invalidate()


@contextmanager
def _held_file(path: Path | None, deadline: float, folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (waiting until ``deadline``), saying who holds it."""
    if path is None:
        yield
        return
    import fcntl  # POSIX; the lock dies with the process, so a killed import leaves none behind

    with open(path, "a+", encoding="utf-8") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    raise ImportBusy(_holder(handle.read())) from None
                time.sleep(POLL_SECONDS)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"since": _now(), "pid": os.getpid(), "host": socket.gethostname(),
                                     "folder": str(folder)}))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _holder(said: str) -> str:
    try:
        who = json.loads(said)
        return (f"another import is running since {who['since']} (process {who['pid']} on {who['host']}, "
                f"folder {who['folder']}); nothing was loaded, try again when it has finished")
    except (ValueError, KeyError, TypeError):
        return "another import is running; nothing was loaded, try again when it has finished"


# ---- PostgreSQL ------------------------------------------------------------------------------

_PG_HOLDER = text(
    "select a.xact_start, a.pid, a.client_addr from pg_locks l join pg_stat_activity a on a.pid = l.pid "
    "where l.locktype = 'relation' and l.relation = to_regclass('referrals') "
    "and l.mode = 'ShareRowExclusiveLock' and l.granted and l.pid <> pg_backend_pid()"
)


@contextmanager
def _postgresql(engine: Engine, wait_seconds: float, _folder: Path) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_seconds * 1000)}ms'")
        try:
            conn.exec_driver_sql("LOCK TABLE referrals IN SHARE ROW EXCLUSIVE MODE")
        except OperationalError as error:
            conn.rollback()
            if getattr(error.orig, "pgcode", None) != "55P03":  # lock_not_available
                raise
            holder = conn.execute(_PG_HOLDER).first()
            conn.rollback()
            if holder is None:
                raise ImportBusy(f"another import held the database for more than {wait_seconds:g} s; "
                                 "nothing was loaded, try again") from None
            since = holder.xact_start.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") \
                if holder.xact_start else "an unknown time"
            raise ImportBusy(
                f"another import is running since {since} (database process {holder.pid}"
                f"{f' from {holder.client_addr}' if holder.client_addr else ''}); "
                "nothing was loaded, try again when it has finished"
            ) from None
        conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
        yield conn
