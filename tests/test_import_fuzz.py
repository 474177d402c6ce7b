"""The import against hostile exports: the stored corpus of known cases, then fuzzed exports.

The corpus (``tests/fuzz_corpus/*.json``) holds the cases found by hand (issue 9), each with the
exact problems a refusal must list, or what a load must store. The property runs
``MATCHER_FUZZ_EXAMPLES`` (default 1,000) fuzzed exports of a small world with one fault each
(see ``tests/fuzz_exports.py``): no crash, no bad export loaded, no good one stored wrong, no app
record or history lost, no database changed by a refusal. ``benchmarks/bench_fuzz_import.py``
runs the long profile and prints the table per fault kind.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from matcher.db import Base
from matcher.importer import ImportRefused, import_folder
from tests.fuzz_exports import Harness, cases
from tests.importer_support import copy_export, read_table, set_cell, snapshot

CORPUS = sorted((Path(__file__).parent / "fuzz_corpus").glob("*.json"))
EXAMPLES = int(os.environ.get("MATCHER_FUZZ_EXAMPLES", "1000"))
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None  # no disk writes when memory will do


@pytest.fixture(scope="module")
def harness():
    with tempfile.TemporaryDirectory(dir=SCRATCH) as scratch:
        yield Harness(Path(scratch))


# ---- the corpus --------------------------------------------------------------------------------

ARROW = {
    "struct": lambda n: pa.array([{"a": 1}] * n),
    "map": lambda n: pa.array([[("k", 1)]] * n, type=pa.map_(pa.string(), pa.int64())),
    "duration": lambda n: pa.array([5] * n, type=pa.duration("s")),
    "time": lambda n: pa.array([5] * n, type=pa.time32("s")),
    "list of struct": lambda n: pa.array([[{"a": 1}]] * n),
    "invalid UTF-8 in row 3": lambda n: pa.array([b"\xff\xfe" if i == 1 else b"ok" for i in range(n)], type=pa.binary()),
}


def build(case: dict, folder: Path) -> None:
    """The hand-written export with the case's changes."""
    for table, row, column, text in case.get("cells", []):
        set_cell(folder, table, row, column, text)
    for table, column, kind in case.get("parquet", []):
        frame = read_table(folder, table)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        arrow = arrow.set_column(arrow.column_names.index(column), column, ARROW[kind](len(frame)))
        pq.write_table(arrow, folder / f"{table}.parquet")
        (folder / f"{table}.csv").unlink()
    for table, how, argument in case.get("files", []):
        path = folder / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if how == "keep lines":
            path.write_text("".join(lines[:argument]), encoding="utf-8")
        elif how == "extra value on line":
            lines[argument] = lines[argument].rstrip("\n") + ",extra\n"
            path.write_text("".join(lines), encoding="utf-8")
        elif how == "repeat column":
            index = lines[0].rstrip("\n").split(",").index(argument)
            path.write_text("".join(
                line.rstrip("\n") + "," + line.rstrip("\n").split(",")[index] + "\n" for line in lines), encoding="utf-8")


def stored_value(engine, table: str, key: str, column: str):
    t = Base.metadata.tables[table]
    spec_key = next(c for c in t.primary_key.columns).name
    with engine.connect() as conn:
        value = conn.execute(select(t.c[column]).where(t.c[spec_key] == key)).scalar()
    return value.isoformat() if isinstance(value, date) else value


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_case(harness, tmp_path, path):
    case = json.loads(path.read_text(encoding="utf-8"))
    folder = copy_export(tmp_path)
    build(case, folder)
    before = snapshot(harness.engine)
    try:
        if "problems" in case:
            with pytest.raises(ImportRefused) as caught:
                import_folder(folder, harness.engine, allow_shrink=case.get("allow_shrink", False))
            assert caught.value.problems == case["problems"]
            assert snapshot(harness.engine) == before
            return
        summary = import_folder(folder, harness.engine, allow_shrink=case.get("allow_shrink", False))
        for table, key, column, value in case["stored"]:
            assert stored_value(harness.engine, table, key, column) == value, (table, key, column)
        # The base database's app outcome (R007) always disagrees with the export: not the case's.
        assert [w for w in summary.warnings if "entered in the app differ" not in w] == case["warnings"]
    finally:
        harness._restore()


# ---- fuzzed exports ----------------------------------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzzed_exports_are_refused_cleanly_or_stored_as_they_mean(harness, data):
    case = data.draw(cases(harness.world), label="case")
    verdict = harness.run(case)
    assert verdict.outcome in ("refused cleanly", "accepted"), f"{verdict.outcome}: {case.describe()}\n{verdict.detail}"
