"""Property: any single corruption of a valid export is refused, named where it is, and loads nothing."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.contract import TABLES
from matcher.importer import ImportRefused, import_folder
from tests.importer_support import VALID_EXPORT, copy_export, read_table, snapshot, sqlite_engine, write_table

ROWS = {name: len(read_table(VALID_EXPORT, name)) for name in TABLES}
TYPED = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.type in ("int", "float", "date", "bool")]
REQUIRED = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.required]
KEYED = [t.name for t in TABLES.values() if t.key]
REFERRING = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.references]
# Starts with a letter, so it is never a number, a date or true/false/1/0.
GARBAGE = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå", min_size=0, max_size=8).map(lambda s: "x" + s)


@st.composite
def corruptions(draw):
    """(table, column, rows expected in the report, row to write, value to write)."""
    kind = draw(st.sampled_from(["wrong_type", "missing_required", "duplicate_key", "broken_reference"]))
    if kind == "wrong_type":
        table, column = draw(st.sampled_from(TYPED))
        value = draw(GARBAGE)
    elif kind == "missing_required":
        table, column = draw(st.sampled_from(REQUIRED))
        value = ""
    elif kind == "duplicate_key":
        table = draw(st.sampled_from(KEYED))
        column = TABLES[table].key
        row, other = draw(st.lists(st.integers(2, ROWS[table] + 1), min_size=2, max_size=2, unique=True))
        value = read_table(VALID_EXPORT, table).loc[other - 2, column]
        return table, column, {row, other}, row, value
    else:
        table, column = draw(st.sampled_from(REFERRING))
        value = "ZZ" + draw(GARBAGE)
    row = draw(st.integers(2, ROWS[table] + 1))
    return table, column, {row}, row, value


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A database that already holds the valid export."""
    folder = tmp_path_factory.mktemp("db")
    engine = sqlite_engine(folder)
    import_folder(VALID_EXPORT, engine)
    return engine


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corruption=corruptions())
def test_any_corruption_is_refused_where_it_is_and_loads_nothing(loaded, corruption):
    table, column, rows, row, value = corruption
    before = snapshot(loaded)
    with tempfile.TemporaryDirectory() as scratch:
        folder = copy_export(Path(scratch))
        frame = read_table(folder, table)
        frame.loc[row - 2, column] = value
        write_table(folder, table, frame)
        with pytest.raises(ImportRefused) as caught:
            import_folder(folder, loaded)
    named = {p.split(": ", 1)[0] for p in caught.value.problems}
    assert {f"{table}:{r}:{column}" for r in rows} <= named, caught.value.problems
    assert snapshot(loaded) == before
