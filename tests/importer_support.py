"""Helpers for the import tests: a copy of the hand-written export, cell edits, DB snapshots."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, select, text

from matcher.db import Base, make_engine

VALID_EXPORT = Path(__file__).resolve().parent / "fixtures" / "valid_export"
PG_URL_VARIABLE = "MATCHER_TEST_PG_URL"


def copy_export(destination: Path) -> Path:
    """A writable copy of ``tests/fixtures/valid_export``."""
    folder = Path(destination) / "export"
    shutil.copytree(VALID_EXPORT, folder)
    return folder


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """A CSV table as written: strings, empty cells as ''."""
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def write_table(folder: Path, table: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"{table}.csv", index=False)


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set the cell a spreadsheet shows at ``row`` (header = 1) of ``table``'s CSV file."""
    frame = read_table(folder, table)
    frame.loc[row - 2, column] = value
    write_table(folder, table, frame)


def row_count(folder: Path, table: str) -> int:
    path = folder / f"{table}.csv"
    if path.exists():
        return len(pd.read_csv(path, dtype=str, keep_default_na=False))
    return len(pd.read_parquet(folder / f"{table}.parquet"))


def sqlite_engine(tmp_path: Path, name: str = "test.db"):
    return make_engine(f"sqlite:///{Path(tmp_path) / name}")


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean an unchanged database."""
    with engine.connect() as conn:
        return {
            name: sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
            for name, table in Base.metadata.tables.items()
        }


def pg_engine_or_skip():
    """An engine on a fresh schema of the test PostgreSQL (``MATCHER_TEST_PG_URL``), and its cleanup."""
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(f"{PG_URL_VARIABLE} is not set: run scripts/postgres.sh and export its URL to test PostgreSQL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    # Each test gets its own schema, so parallel tests and other suites never see each other's rows.
    engine = make_engine(f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}")

    def drop() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()

    return engine, drop
