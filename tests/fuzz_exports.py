"""Fuzzed exports for ``matcher import``: the next night's export of a small world, with one fault.

A database holds the hand-written export plus what caseworkers recorded in the app (a proposal,
an outcome, an account). Each case is the next export of that world: rows edited, added and
removed at random, text in several scripts with CPR numbers and formula starts in it, every value
written in one of the ways the contract allows (``+05``, ``TRUE``, ``5.0``, a Parquet date or
its text), CSV or Parquet per table; then one fault of a named kind. The generator knows what
each file means without asking the importer: the plain values it wrote, what the contract says
is stored for them (a CPR number in free text is replaced, a formula start gets a leading
apostrophe) and which cell a fault broke. :meth:`Harness.run` imports a case and judges it:

- crashed: anything but a refusal or a load (the CLI would print a traceback);
- refused cleanly: every problem as ``table:row:column: what``, naming the broken cell (or the
  table that would shrink), and the database byte-for-byte as before;
- accepted wrong: a bad export loaded, or a good one stored other than it means;
- data lost: an app record changed, or more of a table removed than ``import_max_shrink`` allows;
- changed by a refusal: the database differs after a refused import;
- refused wrongly: a good export refused, or a refusal that does not name the broken cell.

Used by ``tests/test_import_fuzz.py`` (the quick profile) and ``benchmarks/bench_fuzz_import.py``.
"""
from __future__ import annotations

import csv
import io
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st
from sqlalchemy import select, update

from matcher.contract import FIRST_DATE, FORMULA_START, LAST_DATE, TABLE_ORDER, TABLES, Column
from matcher.db import SOURCE_APP, Base, Referral, User, make_engine
from matcher.importer import ImportRefused, import_folder
from matcher.importer.privacy import REDACTED
from matcher.settings import get_settings
from matcher.taxonomy import load_taxonomy
from tests.importer_support import VALID_EXPORT, snapshot

FAULTS = (
    "none", "text", "wrong_type", "non_ascii_digits", "bad_date", "int_overflow", "nul_byte",
    "formula_id", "cpr_id", "missing_required", "duplicate_key", "broken_reference",
    "duplicate_header", "missing_column", "missing_table", "parquet_type", "parquet_bad_utf8",
    "not_utf8", "shrink", "cut_in_row", "garbled",
)
OUTCOMES = ("refused cleanly", "accepted", "crashed", "accepted wrong", "data lost", "changed by refusal",
            "refused wrongly")
FAILURES = OUTCOMES[2:]
PROBLEM = re.compile(r"^(-|[a-z_]+):(-|\d+):(-|[a-z_]+): \S")
FIRST, LAST = date.fromisoformat(FIRST_DATE), date.fromisoformat(LAST_DATE)
INT_MAX = 2**31 - 1
WORDS = ("arbejde", "køkken", "Ærø", "Øster", "gård", "café", "Straße", "مرحبا", "日本語", "🙂", "naïve",
         "O'Brien", 'sagt "ja"', "a,b", "x;y", "(ok)", "tlf. 12 34", "nr. 12345", "1/2", "3.5", "-", "+",
         "tab\there", "ny\nlinje", "@home", "=", "ﬁ", "Ω")
ITEM_WORDS = tuple(w for w in WORDS if ";" not in w)  # list items are ;-separated in CSV
TRUE_TEXT, FALSE_TEXT = ("true", "TRUE", "True", "1"), ("false", "FALSE", "False", "0")
ARABIC, FULL_WIDTH = "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"
POSTCODES = ("0800", "1050", "2200", "2400", "2770", "3000", "9990")
BAD_DATES = ("0000-01-01", "1899-12-31", "2101-01-01", "2022-02-30", "2021-02-29", "2022-13-01",
             "9999-12-31", "22-01-01", "2022/01/01", "2022-1-1")
BIG_INTS = (2**31, -(2**31) - 1, 10**15, 10**18, 10**19, 10**30, 2**63)
APP_REFERRAL = "APP-1"


@dataclass(frozen=True)
class Written:
    """Text as written in the file, and as the contract says it is stored."""

    text: str
    stored: str


def stored(value, column: Column):
    """What the database holds for a value written in ``column``."""
    if isinstance(value, Written):
        return value.stored
    if isinstance(value, list):
        return [stored(v, column) for v in value] or None
    if value is None:
        return column.default
    return value


# ---- text people write -------------------------------------------------------------------------


def _cpr(rng: random.Random) -> str:
    day = date(1930, 1, 1) + timedelta(days=rng.randint(0, 80 * 365))
    return day.strftime("%d%m%y") + rng.choice(("-", "", " ")) + f"{rng.randint(0, 9999):04d}"


def free_text(rng: random.Random, words: tuple[str, ...] = WORDS, cpr: float = 0.1, formula: float = 0.12):
    """Words in several scripts and short numbers, sometimes a CPR number, a ten-digit number that
    is not one (day 32 or later), or a formula start: the text and what is stored for it."""
    raw, kept = [], []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < cpr:
            raw.append(_cpr(rng))
            kept.append(REDACTED)
        elif roll < cpr + 0.05:
            near = f"{rng.randint(32, 99)}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}"
            raw.append(near)
            kept.append(near)
        else:
            word = rng.choice(words)
            raw.append(word)
            kept.append(word)
    if rng.random() < formula:
        start = rng.choice(FORMULA_START)
        raw.insert(0, start)
        kept.insert(0, start)
    text, meant = " ".join(raw), " ".join(kept)
    if meant.startswith(FORMULA_START):
        meant = "'" + meant
    return text if text == meant else Written(text, meant)


# ---- the base database and the world it holds ------------------------------------------------


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class World:
    """The database every case starts from, as plain values."""

    rows: dict[str, list[dict]]  # per table, the imported rows (contract columns)
    app_rows: list[tuple]  # what the app recorded (see _app_rows): it must never change
    app_referrals: dict[str, tuple]  # the referrals it is part of, as the database holds them
    app_outcome: str  # the imported referral whose outcome a caseworker entered
    protected: dict[str, set]  # keys the app depends on: the generator never removes them
    uris: list[str]
    sizes: dict[str, int]  # rows per table in the database

def _columns(table: str) -> tuple[str, ...]:
    return TABLES[table].column_names


def _select(engine, table: str, where=None) -> list[tuple]:
    t = Base.metadata.tables[table]
    query = select(*(t.c[c] for c in _columns(table)))
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query if where is None else query.where(where))]


def record_in_app(engine) -> str:
    """A proposal and an outcome made in the app, and a liaison's account; the outcome's referral."""
    with engine.begin() as conn:
        conn.execute(Referral.__table__.insert().values(
            referral_id=APP_REFERRAL, citizen_id="P0003", opportunity_id="O07", caseworker_id="cw05",
            proposed_on=date(2023, 4, 1), outcome="pending", source=SOURCE_APP,
            recorded_by="sara", recorded_at=datetime(2023, 4, 1, 10, 0),
        ))
        conn.execute(update(Referral.__table__).where(Referral.referral_id == "R007").values(
            outcome="completed", outcome_on=date(2023, 1, 5), outcome_source=SOURCE_APP,
            recorded_by="mette", recorded_at=datetime(2023, 1, 5, 9, 30),
        ))
        conn.execute(User.__table__.insert().values(username="ida", role="employer_liaison", caseworker_id="cw09"))
    return "R007"


def _app_rows(engine) -> list[tuple]:
    """Referrals the app recorded, whole, and the outcome part of imported referrals whose
    outcome a caseworker entered (the rest of those is the export's to change)."""
    r = Referral.__table__
    outcome = (r.c.referral_id, r.c.outcome, r.c.outcome_on, r.c.outcome_source, r.c.recorded_by, r.c.recorded_at)
    with engine.connect() as conn:
        proposals = conn.execute(select(r).where(r.c.source == SOURCE_APP)).all()
        outcomes = conn.execute(select(*outcome).where(r.c.outcome_source == SOURCE_APP)).all()
    return sorted(tuple(x) for x in proposals) + sorted(tuple(x) for x in outcomes)


def base_world(engine) -> World:
    """The world as the municipality's system exports it (it knows nothing of what the app
    recorded), with the app's records then added to the database."""
    rows = {table: [dict(zip(_columns(table), r)) for r in _select(engine, table)] for table in TABLE_ORDER}
    app_outcome = record_in_app(engine)
    app = _app_rows(engine)
    r = Referral.__table__.c
    with engine.connect() as conn:
        refs = [dict(x._mapping) for x in conn.execute(
            select(r.citizen_id, r.opportunity_id, r.caseworker_id, r.referral_id)
            .where((r.source == SOURCE_APP) | (r.outcome_source == SOURCE_APP)))]
    citizens = {r["citizen_id"] for r in refs}
    opportunities = {r["opportunity_id"] for r in refs}
    caseworkers = {r["caseworker_id"] for r in refs} | {"cw09"}
    caseworkers |= {c["caseworker_id"] for c in rows["citizens"] if c["citizen_id"] in citizens}
    employers = {o["employer_id"] for o in rows["opportunities"] if o["opportunity_id"] in opportunities}
    protected = {"citizens": citizens, "opportunities": opportunities, "caseworkers": caseworkers,
                 "employers": employers}
    uris = sorted(load_taxonomy().uris)[::100]
    sizes = {t: len(_select(engine, t)) for t in TABLE_ORDER}
    app_referrals = {x[0]: x for x in _select(engine, "referrals", (r.source == SOURCE_APP) | (r.outcome_source == SOURCE_APP))}
    return World(rows, app, app_referrals, app_outcome, protected, uris, sizes)


# ---- a case: the next export -----------------------------------------------------------------


@dataclass
class Case:
    """One export: rows per table (plain values or ``Written`` text), how each file is written,
    and a fault with what the import must do about it."""

    fault: str
    seed: int
    tables: dict[str, list[dict]]
    formats: dict[str, str]
    allow_shrink: bool = False
    omit: set = field(default_factory=set)  # tables whose file is left out
    expect: str = "accept"  # accept, refuse, or either (a fault whose meaning cannot be known)
    named: set = field(default_factory=set)  # (table, row, column) a refusal must name
    cell_text: dict = field(default_factory=dict)  # (table, row index, column) -> text written
    arrow: dict = field(default_factory=dict)  # (table, column) -> Arrow array written instead
    header: dict = field(default_factory=dict)  # table -> ("repeat" | "drop", column)
    file_edit: tuple | None = None  # (table, how, argument) applied to the written file
    bom: bool = False
    crlf: bool = False

    def describe(self) -> str:
        return f"{self.fault} (seed {self.seed}, formats {self.formats}, allow_shrink {self.allow_shrink})"


def _fresh_id(rng: random.Random, table: str, n: int) -> str:
    return rng.choice((f"N{table[:2]}{n}", f"00{n}{table[:1]}", f"Ø-{table[:2]}-{n}", f"id {table[:3]} {n}"))


def value_for(rng: random.Random, table: str, column: Column, uris: list[str]):
    """A valid value for ``column`` (rules between columns aside)."""
    kind = column.type
    if column.free_text:
        if kind == "list":
            return [free_text(rng, ITEM_WORDS) for _ in range(rng.randint(0, 3))]
        return free_text(rng)
    if column.postcode:
        return rng.choice(POSTCODES)
    if kind == "int":
        low = int(column.min) if column.min is not None else -INT_MAX - 1
        high = int(column.max) if column.max is not None else INT_MAX
        return rng.choice((low, high, rng.randint(low, min(high, low + 100)), rng.randint(low, high)))
    if kind == "float":
        low = column.min if column.min is not None else -1e9
        high = column.max if column.max is not None else 1e9
        return rng.choice((float(low), float(high), rng.uniform(low, high), round(rng.uniform(low, high), 4)))
    if kind == "date":
        return rng.choice((FIRST, LAST, FIRST + timedelta(days=rng.randint(0, (LAST - FIRST).days))))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "enum":
        return rng.choice(column.enum)
    if kind == "uri":
        return rng.choice(uris)
    if kind == "list_enum":
        return rng.sample(column.enum, rng.randint(0, 3))
    if kind == "uri_list":
        return rng.sample(uris, rng.randint(0, 3))
    raise ValueError(f"no generator for {table}.{column.name}")


def _date_pair(rng: random.Random, required_later: bool = False) -> tuple[date, date | None]:
    earlier = FIRST + timedelta(days=rng.randint(0, (LAST - FIRST).days))
    later = earlier + timedelta(days=rng.randint(0, (LAST - earlier).days))
    return earlier, later if required_later or rng.random() < 0.7 else None


def _editable(table: str) -> list[Column]:
    """Columns a cell edit may change alone: no key, reference, ordered date or conditional rule."""
    spec = TABLES[table]
    tied = {c for pair in spec.ordered_dates for c in pair} | {"kind"}
    return [c for c in spec.columns
            if c.name != spec.key and c.references is None and c.name not in tied
            and c.required_if is None and c.required_unless is None]


def _new_row(rng: random.Random, table: str, tables: dict[str, list[dict]], uris: list[str], n: int) -> dict:
    """A valid new row: a fresh key, references to rows of the export, the rules between columns kept."""
    spec = TABLES[table]
    row = {}
    for column in spec.columns:
        if column.name == spec.key:
            row[column.name] = _fresh_id(rng, table, n)
        elif column.references:
            target, key = column.references.split(".")
            row[column.name] = rng.choice(tables[target])[key] if column.required or rng.random() < 0.8 else None
        elif column.required or rng.random() < 0.6:
            row[column.name] = value_for(rng, table, column, uris)
        else:
            row[column.name] = None
    for earlier, later in spec.ordered_dates:
        row[earlier], row[later] = _date_pair(rng)
    if table == "opportunities":
        learning = row["kind"] in ("course", "education")
        if learning:
            row["provider"] = free_text(rng)
        elif row["employer_id"] is None:
            row["employer_id"] = rng.choice(tables["employers"])["employer_id"]
        if row["kind"] != "course" and row["occupation_uri"] is None:
            row["occupation_uri"] = rng.choice(uris)
    return row


def _referrers(tables: dict[str, list[dict]], table: str, key) -> list[tuple[str, dict]]:
    """Rows of other tables whose references point at ``table``'s row with ``key``."""
    found = []
    for other in TABLE_ORDER:
        for column in TABLES[other].columns:
            if column.references and column.references.split(".")[0] == table:
                found += [(other, r) for r in tables[other] if r[column.name] == key]
    return found


def next_export(rng: random.Random, world: World) -> dict[str, list[dict]]:
    """The world's next export: some cells edited, rows removed (with what refers to them) and added."""
    tables = {t: [dict(r) for r in rows] for t, rows in world.rows.items()}
    for _ in range(rng.randint(0, 5)):  # edits
        table = rng.choice([t for t in TABLE_ORDER if tables[t]])
        row = rng.choice(tables[table])
        if rng.random() < 0.25 and TABLES[table].ordered_dates:
            earlier, later = rng.choice(TABLES[table].ordered_dates)
            row[earlier], row[later] = _date_pair(rng)
        else:
            column = rng.choice(_editable(table))
            row[column.name] = value_for(rng, table, column, world.uris) if column.required or rng.random() < 0.8 else None
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):  # removals: what refers to a row goes with it
        table = rng.choices(TABLE_ORDER, weights=(1, 1, 3, 1, 2, 3))[0]
        key = TABLES[table].key
        candidates = [r for r in tables[table] if key is None or r[key] not in world.protected.get(table, ())]
        if not candidates:
            continue
        doomed, todo = [], [(table, rng.choice(candidates))]
        while todo:  # what refers to a removed row is removed too
            t, r = todo.pop()
            if any(r is d for _, d in doomed):
                continue
            doomed.append((t, r))
            if TABLES[t].key:
                todo += _referrers(tables, t, r[TABLES[t].key])
        if any(TABLES[t].key and r[TABLES[t].key] in world.protected.get(t, ()) for t, r in doomed):
            continue  # the app depends on it
        for t, r in doomed:
            tables[t] = [x for x in tables[t] if x is not r]
    added = 0
    for _ in range(rng.choice((0, 1, 2))):  # additions
        table = rng.choice(TABLE_ORDER)
        added += 1
        tables[table].append(_new_row(rng, table, tables, world.uris, added))
    for rows in tables.values():
        if rng.random() < 0.3:
            rng.shuffle(rows)
    return tables


# ---- faults ------------------------------------------------------------------------------------


def _cells(case: Case, test) -> list[tuple[str, int, Column]]:
    """Every (table, row index, column) with a value, in a written file, where ``test(column)``."""
    return [(t, i, c) for t in TABLE_ORDER if t not in case.omit for c in TABLES[t].columns if test(c)
            for i, row in enumerate(case.tables[t]) if row[c.name] not in (None, [])]


def _break_cell(case: Case, rng: random.Random, test, bad) -> bool:
    """Write ``bad(value, column)`` into a random cell where ``test(column)``; False if there is none."""
    cells = _cells(case, test)
    if not cells:
        return False
    table, i, column = rng.choice(cells)
    case.cell_text[(table, i, column.name)] = bad(case.tables[table][i][column.name], column)
    case.named.add((table, i + 2, column.name))
    case.expect = "refuse"
    return True


def _garbage(rng: random.Random) -> str:
    return "x" + "".join(rng.choice("abcæøå ") for _ in range(rng.randint(0, 6))).strip()


def _digits_to(value, column: Column, digits: str) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "".join(digits[int(ch)] if ch.isdigit() else ch for ch in text)


def _is_text(column: Column) -> bool:
    return column.type in ("str", "enum", "uri")


def _is_id(column: Column) -> bool:
    return column.type == "str" and column.is_id


def make_fault(case: Case, rng: random.Random, world: World) -> None:
    """Put the case's fault into it and say what the import must do."""
    fault = case.fault
    if fault == "none":
        case.omit |= {"work_history"} if rng.random() < 0.1 else set()
    elif fault == "text":
        cells = _cells(case, lambda c: c.free_text and c.type == "str")
        for table, i, column in rng.sample(cells, min(3, len(cells))):
            case.tables[table][i][column.name] = free_text(rng, ITEM_WORDS, cpr=0.4, formula=0.6)
    elif fault == "wrong_type":
        _break_cell(case, rng, lambda c: c.type in ("int", "float", "date", "bool", "enum", "uri") or c.postcode,
                    lambda v, c: _garbage(rng))
    elif fault == "non_ascii_digits":
        _break_cell(case, rng, lambda c: c.type in ("int", "float", "date") or c.postcode,
                    lambda v, c: _digits_to(v, c, rng.choice((ARABIC, FULL_WIDTH))))
    elif fault == "bad_date":
        _break_cell(case, rng, lambda c: c.type == "date", lambda v, c: rng.choice(BAD_DATES))
    elif fault == "int_overflow":
        _break_cell(case, rng, lambda c: c.type == "int", lambda v, c: str(rng.choice(BIG_INTS)))
    elif fault == "nul_byte":  # in people's text: elsewhere other rules refuse the cell anyway
        _break_cell(case, rng, lambda c: c.free_text,
                    lambda v, c: (lambda s: s[:1] + "\x00" + s[1:])(_text_of(v, c, rng).strip() or "x"))
    elif fault == "formula_id":
        _break_cell(case, rng, _is_id, lambda v, c: rng.choice(FORMULA_START) + str(v))
    elif fault == "cpr_id":
        _break_cell(case, rng, _is_id, lambda v, c: rng.choice((_cpr(rng), "9999999999", "999999-9999")))
    elif fault == "missing_required":
        _break_cell(case, rng, lambda c: c.required, lambda v, c: rng.choice(("", "  ")))
    elif fault == "duplicate_key":
        table = rng.choice([t for t in TABLE_ORDER if TABLES[t].key and len(case.tables[t]) >= 2])
        i, j = rng.sample(range(len(case.tables[table])), 2)
        key = TABLES[table].key
        case.cell_text[(table, i, key)] = _text_of(case.tables[table][j][key], TABLES[table].column(key), rng)
        case.named |= {(table, i + 2, key), (table, j + 2, key)}
        case.expect = "refuse"
    elif fault == "broken_reference":
        _break_cell(case, rng, lambda c: c.references is not None, lambda v, c: "ZZ" + _garbage(rng))
    elif fault in ("duplicate_header", "missing_column"):
        table = rng.choice(TABLE_ORDER)
        column = rng.choice([c for c in TABLES[table].columns if c.required or fault == "duplicate_header"])
        case.formats[table] = "csv" if fault == "duplicate_header" else case.formats[table]
        case.header[table] = ("repeat" if fault == "duplicate_header" else "drop", column.name)
        case.named.add((table, 1, column.name))
        case.expect = "refuse"
    elif fault == "missing_table":
        table = rng.choice([t for t in TABLE_ORDER if TABLES[t].required])
        case.omit.add(table)
        case.named.add((table, "-", "-"))
        case.expect = "refuse"
    elif fault == "parquet_type":
        table = rng.choice([t for t in TABLE_ORDER if case.tables[t]])
        column = rng.choice(TABLES[table].columns)
        case.formats[table] = "parquet"
        case.arrow[(table, column.name)] = _wrong_arrow(rng, column, len(case.tables[table]))
        case.named.add((table, 1, column.name))
        case.expect = "refuse"
    elif fault == "parquet_bad_utf8":
        if _break_cell(case, rng, _is_text, lambda v, c: b"\xff\xfe" + str(v).encode()[:4]):
            table = next(iter(case.named))[0]
            case.formats[table] = "parquet"
    elif fault == "not_utf8":
        table, i, column = rng.choice(_cells(case, lambda c: c.free_text and c.type == "str"))
        case.tables[table][i][column.name] = "blåbærgrød"
        case.formats[table] = "csv"
        case.file_edit = (table, "latin-1", None)
        case.named.add((table, "-", "-"))
        case.expect = "refuse"
    elif fault == "shrink":
        table = rng.choice(("referrals", "work_history"))
        rows = case.tables[table]
        del rows[rng.randint(0, max(len(rows) - 3, 0)):]  # a header-only file, or one cut at a line
        case.allow_shrink = rng.random() < 0.3
    elif fault == "cut_in_row":
        table = rng.choice([t for t in TABLE_ORDER if case.tables[t]])
        case.formats[table] = "csv"
        case.file_edit = (table, "cut", rng.random())
        case.expect = "either"
    elif fault == "garbled":
        table = rng.choice(TABLE_ORDER)
        case.formats[table] = rng.choice(("csv", "csv", "parquet"))
        case.file_edit = (table, "garble", rng.randint(1, 4))
        case.expect = "either"
    case.bom, case.crlf = rng.random() < 0.2, rng.random() < 0.3


def _wrong_arrow(rng: random.Random, column: Column, n: int) -> pa.Array:
    """An Arrow column of a type that cannot carry the contract column's meaning."""
    anything = [pa.array([{"a": 1}] * n), pa.array([[("k", 1)]] * n, type=pa.map_(pa.string(), pa.int64()))]
    by_type = {
        "int": [pa.array([5] * n, type=pa.duration("s")), pa.array([True] * n), pa.array([date(2022, 1, 1)] * n)],
        "float": [pa.array([5] * n, type=pa.duration("s")), pa.array([True] * n)],
        "date": [pa.array([5] * n, type=pa.time32("s")), pa.array([5.5] * n), pa.array([5] * n)],
        "bool": [pa.array([5.5] * n), pa.array([date(2022, 1, 1)] * n)],
        "str": [pa.array([5.5] * n), pa.array([True] * n)],
        "enum": [pa.array([5] * n), pa.array([True] * n)],
        "uri": [pa.array([5] * n)],
    }
    if column.type in ("list", "list_enum", "uri_list"):
        return rng.choice([pa.array([[{"a": 1}]] * n), pa.array([[["a"]]] * n), pa.array([5] * n)] + anything)
    return rng.choice(by_type[column.type] + anything + [pa.array([["a"]] * n)])


@st.composite
def cases(draw, world: World, fault: str | None = None) -> Case:
    """A fuzzed export of ``world`` with one fault, of kind ``fault`` or any (hypothesis draws the
    choices that matter; a seeded generator fills in the cells)."""
    fault = fault or draw(st.sampled_from(FAULTS))
    seed = draw(st.integers(0, 2**32 - 1))
    formats = {t: draw(st.sampled_from(("csv", "parquet"))) for t in TABLE_ORDER}
    rng = random.Random(seed)
    case = Case(fault, seed, next_export(rng, world), formats)
    make_fault(case, rng, world)
    return case


# ---- writing the files -------------------------------------------------------------------------


def _text_of(value, column: Column, rng: random.Random) -> str:
    """A value as CSV text, in one of the ways the contract allows."""
    if value is None or value == []:
        return rng.choice(("", " "))
    if isinstance(value, list):
        items = [v.text if isinstance(v, Written) else v for v in value]
        return rng.choice((";", " ; ", ";")).join(items) + rng.choice(("", ";"))
    if isinstance(value, bool):
        return rng.choice(TRUE_TEXT if value else FALSE_TEXT)
    if isinstance(value, int):
        return rng.choice([str(value), f"{value}.0"] + ([f"+{value}", f"0{value}"] if value >= 0 else []))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    text = value.text if isinstance(value, Written) else value
    return rng.choice(("", " ", "  ")) + text + rng.choice(("", " "))


def _arrow_of(values: list, column: Column, rng: random.Random) -> pa.Array:
    """A Parquet column: typed as the contract's type, or as text (both are allowed)."""
    if rng.random() < 0.3 and column.type not in ("list", "list_enum", "uri_list"):
        return pa.array([_text_of(v, column, rng) for v in values], type=pa.string())
    kind = column.type
    if kind in ("list", "list_enum", "uri_list"):
        return pa.array([[i.text if isinstance(i, Written) else i for i in v] if v else None for v in values],
                        type=pa.list_(pa.string()))
    if kind == "date" and rng.random() < 0.5:
        return pa.array([None if v is None else datetime(v.year, v.month, v.day) for v in values], type=pa.timestamp("ms"))
    typed = {"int": pa.int64(), "float": pa.float64(), "date": pa.date32(), "bool": pa.bool_()}.get(kind, pa.string())
    return pa.array([v.text if isinstance(v, Written) else v for v in values], type=typed)


def write_case(case: Case, folder: Path) -> None:
    """The case's export folder: one file per table, faults included."""
    rng = random.Random(case.seed + 1)
    for table in TABLE_ORDER:
        if table in case.omit:
            continue
        spec, rows = TABLES[table], case.tables[table]
        names = list(spec.column_names)
        how, target = case.header.get(table, (None, None))
        if how == "drop":
            names.remove(target)
        columns = {}
        for name in names:
            column = spec.column(name)
            overridden = [(i, case.cell_text[(table, i, name)]) for i in range(len(rows)) if (table, i, name) in case.cell_text]
            if case.formats[table] == "csv" or overridden:
                texts = [_text_of(r[name], column, rng) for r in rows]
                for i, text in overridden:
                    texts[i] = text
                columns[name] = texts
            else:
                columns[name] = _arrow_of([r[name] for r in rows], column, rng)
            if (table, name) in case.arrow:
                columns[name] = case.arrow[(table, name)]
        if how == "repeat":
            names.append(target)
        if case.formats[table] == "csv":
            _write_csv(folder / f"{table}.csv", names, columns, len(rows), case)
        else:
            _write_parquet(folder / f"{table}.parquet", names, columns, len(rows))
    if case.file_edit:
        _edit_file(folder, case, rng)


def _write_csv(path: Path, names: list[str], columns: dict, n: int, case: Case) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if case.crlf else "\n")
    writer.writerow(names)
    for i in range(n):
        writer.writerow([columns[name][i] for name in names])
    path.write_text(out.getvalue(), encoding="utf-8-sig" if case.bom else "utf-8", newline="")


def _write_parquet(path: Path, names: list[str], columns: dict, n: int) -> None:
    arrays = []
    for name in names:
        values = columns[name]
        if isinstance(values, list) and any(isinstance(v, bytes) for v in values):
            values = pa.array([v if isinstance(v, bytes) else v.encode() for v in values], type=pa.binary())
        arrays.append(values if isinstance(values, pa.Array) else pa.array(values, type=pa.string()))
    pq.write_table(pa.Table.from_arrays(arrays, names=names) if names else pa.table({}), path)


def _edit_file(folder: Path, case: Case, rng: random.Random) -> None:
    table, how, argument = case.file_edit
    path = next(folder.glob(f"{table}.*"), None)
    if path is None:
        return
    data = path.read_bytes()
    if how == "latin-1":
        path.write_bytes(data.decode("utf-8-sig").encode("latin-1", errors="replace"))
    elif how == "cut":  # inside the last row, or at its very end
        start = data.rstrip(b"\r\n").rfind(b"\n") + 1
        path.write_bytes(data[: start + int(argument * (len(data) - start)) + 1])
    elif how == "garble":
        data = bytearray(data)
        for _ in range(argument):
            at = rng.randrange(len(data) + 1)
            roll = rng.random()
            if roll < 0.4 and at < len(data):
                data[at] = rng.randrange(256)
            elif roll < 0.7:
                data[at:at] = bytes([rng.choice(b',;"\n\r\x00\xff\xc3')])
            else:
                del data[at: at + rng.randint(1, 30)]
        path.write_bytes(bytes(data))


# ---- running and judging a case ----------------------------------------------------------------


@dataclass
class Verdict:
    fault: str
    outcome: str  # one of OUTCOMES
    detail: str = ""


class Harness:
    """A database holding the base world, restored after every load; cases imported into it."""

    def __init__(self, workdir: Path) -> None:
        self.dir = Path(workdir)
        self.base_file, self.db_file = self.dir / "base.db", self.dir / "fuzz.db"
        engine = make_engine(f"sqlite:///{self.base_file}")
        import_folder(VALID_EXPORT, engine)
        self.world = base_world(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        self.engine = None
        self._restore()
        self.before, self.pristine = snapshot(self.engine), self._files()
        self.max_shrink = get_settings().import_max_shrink

    def _restore(self) -> None:
        """The database file as the base world has it (the engine reconnects to the copy)."""
        if self.engine is not None:
            self.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db_file}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.base_file, self.db_file)
        if self.engine is None:
            self.engine = make_engine(f"sqlite:///{self.db_file}")

    def run(self, case: Case) -> Verdict:
        folder = self.dir / "export"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        write_case(case, folder)
        expected_shrink = self._shrinking(case)
        if case.expect == "accept" and expected_shrink and not case.allow_shrink:
            case.expect = "refuse"
            case.named |= {(t, "-", "-") for t in expected_shrink}
        try:
            import_folder(folder, self.engine, allow_shrink=case.allow_shrink)
        except ImportRefused as refused:
            return self._refused(case, refused.problems)
        except Exception as error:  # noqa: BLE001 - any other exception is what is being counted
            self._restore()
            return Verdict(case.fault, "crashed", f"{type(error).__name__}: {error}")
        try:
            return self._accepted(case)
        finally:
            self._restore()

    def _files(self) -> list[bytes]:
        return [Path(f"{self.db_file}{suffix}").read_bytes() if Path(f"{self.db_file}{suffix}").exists() else b""
                for suffix in ("", "-wal")]

    def _refused(self, case: Case, problems: list[str]) -> Verdict:
        # Byte for byte: the database file and its write-ahead log (a rolled-back write may leave
        # unused pages in the log, so a difference there is judged on the rows).
        if self._files() != self.pristine and snapshot(self.engine) != self.before:
            self._restore()
            return Verdict(case.fault, "changed by refusal", "\n".join(problems[:5]))
        malformed = [p for p in problems if not PROBLEM.match(p)]
        if malformed:
            return Verdict(case.fault, "refused wrongly", f"not table:row:column: {malformed[:3]}")
        if case.expect == "accept":
            return Verdict(case.fault, "refused wrongly", f"a good export refused: {problems[:5]}")
        said = {tuple(p.split(": ", 1)[0].split(":")) for p in problems}
        missing = {n for n in case.named if tuple(map(str, n)) not in said}
        if case.expect == "refuse" and missing:
            return Verdict(case.fault, "refused wrongly", f"{sorted(missing, key=str)} not named in {problems[:8]}")
        return Verdict(case.fault, "refused cleanly")

    def _accepted(self, case: Case) -> Verdict:
        lost = self._lost(case)
        if lost:
            return Verdict(case.fault, "data lost", lost)
        if case.expect == "refuse":
            return Verdict(case.fault, "accepted wrong", f"loaded although {sorted(case.named, key=str)} is broken")
        if case.expect == "accept":
            wrong = self._differences(case)
            if wrong:
                return Verdict(case.fault, "accepted wrong", wrong)
        return Verdict(case.fault, "accepted")

    # -- what the contract says the database holds after a load

    def _shrinking(self, case: Case) -> list[str]:
        """Tables this export would shrink by more than the allowed share (by the contract's rule)."""
        over = []
        for table in TABLE_ORDER:
            if table in case.omit and table != "work_history":
                continue
            before = self.world.sizes[table]
            if table == "work_history":
                old = Counter(r["citizen_id"] for r in self.world.rows[table])
                if table in case.omit:  # left alone, except for the citizens removed
                    kept = {r["citizen_id"] for r in case.tables["citizens"]}
                    new = Counter({c: n for c, n in old.items() if c in kept})
                else:
                    new = Counter(r["citizen_id"] for r in case.tables[table])
                removed = sum(max(n - new.get(c, 0), 0) for c, n in old.items())
            else:
                key = TABLES[table].key
                present = {r[key] for r in case.tables[table]}
                removed = sum(1 for r in self.world.rows[table]
                              if r[key] not in present and r[key] != self.world.app_outcome)
            if before and removed / before > self.max_shrink:
                over.append(table)
        return over

    def _expected(self, case: Case, table: str) -> list[tuple]:
        spec = TABLES[table]
        rows = [tuple(stored(r[c.name], c) for c in spec.columns) for r in case.tables[table]]
        if table == "work_history" and table in case.omit:
            citizens = {r["citizen_id"] for r in case.tables["citizens"]}
            rows = [tuple(r.values()) for r in self.world.rows[table] if r["citizen_id"] in citizens]
        if table == "referrals":  # the app's outcome stays; the app's referrals stay
            app = self.world.app_referrals
            present = {r[0] for r in rows}
            rows = [r[:5] + app[r[0]][5:] if r[0] == self.world.app_outcome else r for r in rows]
            rows += [r for k, r in app.items() if k not in present]
        return rows

    def _differences(self, case: Case) -> str:
        for table in TABLE_ORDER:
            expected = Counter(map(_plain_row, self._expected(case, table)))
            actual = Counter(map(_plain_row, _select(self.engine, table)))
            if expected != actual:
                extra, missing = actual - expected, expected - actual
                return f"{table}: stored {list(extra)[:2]} but the export means {list(missing)[:2]}"
        return ""

    def _lost(self, case: Case) -> str:
        if _app_rows(self.engine) != self.world.app_rows:
            return "a referral or outcome recorded in the app changed"
        if case.allow_shrink:
            return ""
        for table in TABLE_ORDER:
            before = self.world.sizes[table]
            if table == "work_history":
                old = Counter(r["citizen_id"] for r in self.world.rows[table])
                new = Counter(r[0] for r in _select(self.engine, table))
                removed = sum(max(n - new.get(c, 0), 0) for c, n in old.items())
            else:
                key = TABLES[table].key
                present = {r[0] for r in _select(self.engine, table)}
                removed = sum(1 for r in self.world.rows[table] if r[key] not in present)
            if before and removed / before > self.max_shrink:
                return f"{table}: {removed} of {before} rows removed without --allow-shrink"
        return ""


def _plain_row(row: tuple) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in row)


def tally(verdicts: list[Verdict]) -> dict[str, Counter]:
    """Per fault kind, how many cases ended in each outcome."""
    table = {fault: Counter() for fault in FAULTS}
    for v in verdicts:
        table[v.fault][v.outcome] += 1
    return table


def markdown(table: dict[str, Counter]) -> str:
    """The tally as the README's table: tried / refused cleanly / accepted / failures."""
    head = ["fault kind", "tried", *OUTCOMES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    total = Counter()
    for fault, counts in table.items():
        total += counts
        lines.append(f"| {fault} | {sum(counts.values())} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |")
    lines.append(f"| **all** | **{sum(total.values())}** | " + " | ".join(f"**{total[o]}**" for o in OUTCOMES) + " |")
    return "\n".join(lines)
