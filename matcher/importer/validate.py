"""Validation of a raw export against the contract (``matcher.contract``), all at once.

Every check is an Arrow compute kernel over a whole column, and every problem is collected, not
only the first: a municipality's IT person should be able to fix a refused export in one round.
Messages are built in Python for the wrong cells only, so a good export costs a few kernels per
column whatever its size. The result is one typed Arrow table per table (the contract's columns
in order, in their types: string, int64, float64, bool, date32, list of string) that the loader
can trust: what it holds is what the database will hold.

Digits are ASCII digits: ``١٩٨٠`` or ``２４００`` is refused, not read as 1980 or 2400. Text holds no
NUL character (PostgreSQL cannot store one). Free text (``Column.free_text``) keeps no CPR number
and cannot start a spreadsheet formula: both are changed, each with a warning naming the cell
(a caseworker's note should not stop the nightly load); an id with either is refused.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import BigInteger

from matcher.contract import FIRST_DATE, FORMULA_START, LAST_DATE, TABLE_ORDER, TABLES, Column, Table
from matcher.db import Base
from matcher.importer.privacy import REDACTED, plain, quoted, redact
from matcher.importer.read import HEADER_ROW, LIST_TYPES, RawExport, RawTable, as_lists, problem

INTEGER = r"^[+-]?[0-9]+(?:\.0+)?$"
TOO_MANY_DIGITS = r"^-?0*[1-9][0-9]{18,}$"  # 19 significant digits or more cannot be an int64
FLOAT = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
POSTCODE = r"^[0-9]{4}$"
FIRST_POSTCODE = "0800"
TRUE, FALSE = ("true", "1"), ("false", "0")
# A CPR number in ASCII, full-width or Arabic-Indic digits counts (RE2's \p{Nd} would take every
# script's digits, but a pattern with it takes Arrow 0.3 ms to compile, for every column).
DIGIT = r"[0-9\x{FF10}-\x{FF19}\x{0660}-\x{0669}\x{06F0}-\x{06F9}]"
CPR_CANDIDATE = DIGIT + "{6}[- ]?" + DIGIT + "{4}"
CPR_ID = "^" + CPR_CANDIDATE + "$"
FORMULA = "^[" + "".join("\\" + c for c in FORMULA_START) + "]"
NUL = "\x00"
TEXT_TYPES = ("str", "enum", "uri")
# The largest integers the database columns hold on every backend (PostgreSQL's integer and bigint).
DB_INTEGER_MAX = {False: 2**31 - 1, True: 2**63 - 1}
CPR_ID_SAID = "looks like a CPR number (DDMMYY-XXXX or 10 digits); export the pseudonymous id instead"
NUL_SAID = "contains a NUL character (\\x00), which the database cannot store; remove it"
FORMULA_SAID = "starts like a spreadsheet formula; stored with a leading ' so that no spreadsheet runs it"
URI_HINT = " (use a URI from the shipped ESCO v1.2.0 taxonomy)"

_ARROW = {"str": pa.string(), "enum": pa.string(), "uri": pa.string(), "int": pa.int64(),
          "float": pa.float64(), "bool": pa.bool_(), "date": pa.date32()}


@dataclass
class Checked:
    """The validated tables (typed) and what is wrong or worth a warning."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


Messages = str | Callable[[np.ndarray], list[str]]


class _Cells:
    """Problems (or warnings) about cells, collected column by column, sorted by table, row, column."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, int, str]] = []

    def add(self, table: str, column: str, rows: np.ndarray, texts: list[str]) -> None:
        t_rank, c_rank, start = TABLE_ORDER.index(table), _column_rank(table, column), len(self._items)
        self._items.extend(
            (t_rank, int(r), c_rank, start + i, problem(table, int(r), column, m))
            for i, (r, m) in enumerate(zip(rows, texts))
        )

    def sorted(self) -> list[str]:
        # Within one cell, entries keep the order they were found in (type before reference).
        return [text for *_, text in sorted(self._items)]


@dataclass
class _Where:
    """Where one table's findings go: its row numbers, and the problem and warning lists."""

    table: str
    rows: np.ndarray
    found: _Cells
    noted: _Cells

    def problem(self, column: str, mask, messages: Messages, at: np.ndarray | None = None) -> None:
        """One problem per true cell of ``mask``; ``messages`` is one text, or a function of the
        cells' positions giving one text each (called only when a cell is marked). ``at`` maps
        positions to rows when the mask is over list items."""
        self._add(self.found, column, mask, messages, at)

    def warn(self, column: str, mask, messages: Messages, at: np.ndarray | None = None) -> None:
        self._add(self.noted, column, mask, messages, at)

    def _add(self, cells: _Cells, column: str, mask, messages: Messages, at: np.ndarray | None) -> None:
        positions = _positions(mask)
        if len(positions):
            texts = [messages] * len(positions) if isinstance(messages, str) else messages(positions)
            rows = self.rows[positions if at is None else at[positions]]
            cells.add(self.table, column, rows, texts)


def _positions(mask) -> np.ndarray:
    """Where a mask is true (a null is not true)."""
    if isinstance(mask, np.ndarray):
        return np.flatnonzero(mask)
    if not mask.true_count:  # the usual case, and the cheapest test
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def _values(array: pa.Array, positions: np.ndarray) -> list:
    return array.take(pa.array(positions, type=pa.int64())).to_pylist()


def _quoted(array: pa.Array, positions: np.ndarray) -> list[str]:
    return [quoted(v) for v in _values(array, positions)]


def _column_rank(table: str, column: str) -> int:
    names = TABLES[table].column_names
    return names.index(column) if column in names else len(names)


def _number(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


def _matches(text: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False)


def _null_where(mask: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(mask, pa.scalar(None, values.type), values)


def validate(raw: RawExport, known_uris: Iterable[str]) -> Checked:
    """Check every table of ``raw``; ``known_uris`` are the ESCO occupation URIs allowed."""
    known = pa.array(list(known_uris), type=pa.string()).unique()
    out = Checked(problems=list(raw.problems), warnings=list(raw.warnings))
    found, noted = _Cells(), _Cells()
    typed: dict[str, dict[str, pa.Array]] = {}
    for name in TABLE_ORDER:
        if name in raw.tables:
            where = _Where(name, raw.tables[name].rows, found, noted)
            typed[name] = _check_table(TABLES[name], raw.tables[name], known, where)
    for name, columns in typed.items():
        _check_references(TABLES[name], columns, typed, _Where(name, raw.tables[name].rows, found, noted))
    out.problems.extend(found.sorted())
    out.warnings.extend(noted.sorted())
    out.tables = {name: pa.table({c: columns[c] for c in TABLES[name].column_names}) for name, columns in typed.items()}
    return out


def _check_table(spec: Table, raw: RawTable, known: pa.Array, where: _Where) -> dict[str, pa.Array]:
    typed: dict[str, pa.Array] = {}
    for column in spec.columns:
        if column.name not in raw.cells:
            if column.required and column.name not in raw.unusable:
                where.found.add(spec.name, column.name, np.array([HEADER_ROW]),
                                ["required column is missing from the header row; add it"])
            kind = pa.list_(pa.string()) if column.type in LIST_TYPES else _ARROW[column.type]
            typed[column.name] = pa.nulls(len(raw.rows), type=kind)
            continue
        typed[column.name] = _check_column(column, raw.cells[column.name], known, where)
    _check_conditions(spec, raw, typed, where)
    _check_key(spec, typed, where)
    _check_date_order(spec, typed, where)
    for column in spec.columns:
        if column.default is not None:
            typed[column.name] = pc.fill_null(typed[column.name], column.default)
    return typed


def _check_column(column: Column, values: pa.Array, known: pa.Array, where: _Where) -> pa.Array:
    """The column typed, with its type, value, range, postcode, id and URI problems recorded."""
    name = column.name
    present = pc.is_valid(values)
    if column.required:
        where.problem(name, pc.invert(present), "required value is missing")
    if column.type in LIST_TYPES:
        return _check_list(column, values, known, where)
    if column.type in TEXT_TYPES:
        where.problem(name, pc.match_substring(values, NUL), NUL_SAID)
    if column.type == "int":
        typed = _integers(column, values, where)
    elif column.type == "float":
        shape = _matches(values, FLOAT)
        number = pc.cast(_null_where(pc.invert(shape), values), pa.float64())
        bad = pc.and_(present, pc.invert(pc.fill_null(pc.is_finite(number), False)))
        where.problem(name, bad, lambda at: [
            f"not a number: {quoted(v)}" + (" (use a point as the decimal separator)" if "," in v else "")
            for v in _values(values, at)])
        typed = _null_where(bad, number)
    elif column.type == "date":
        typed = _dates(column, values, where)
    elif column.type == "bool":
        lower = pc.utf8_lower(values)
        known_value = pc.is_in(lower, value_set=pa.array(TRUE + FALSE))
        where.problem(name, pc.and_(present, pc.invert(known_value)), lambda at: [
            f"not a boolean (write true/false or 1/0): {v}" for v in _quoted(values, at)])
        typed = _null_where(pc.invert(known_value), pc.is_in(lower, value_set=pa.array(TRUE)))
    else:
        typed = values
        if column.type == "enum":
            bad = pc.and_(present, pc.invert(pc.is_in(values, value_set=pa.array(column.enum))))
            where.problem(name, bad, lambda at: [f"{v} is not one of: {', '.join(column.enum)}"
                                                 for v in _quoted(values, at)])
            typed = _null_where(bad, values)
        elif column.type == "uri":
            bad = pc.and_(present, pc.invert(pc.is_in(values, value_set=known)))
            where.problem(name, bad, lambda at: [f"unknown ESCO occupation URI: {v}{URI_HINT}"
                                                 for v in _quoted(values, at)])
        if column.postcode:
            ok = pc.and_(_matches(values, POSTCODE), pc.fill_null(pc.greater_equal(values, FIRST_POSTCODE), False))
            where.problem(name, pc.and_(present, pc.invert(ok)), lambda at: [
                f"not a Danish 4-digit postcode: {quoted(v)}"
                + (" (a leading zero may have been lost: write all four digits)" if len(v) == 3 and v.isascii() and v.isdigit() else "")
                for v in _values(values, at)])
        if column.is_id:
            cpr, formula = _bad_id(values)
            # The value itself is not repeated: it may be a real person's CPR number.
            where.problem(name, cpr, CPR_ID_SAID)
            where.problem(name, pc.and_(formula, pc.invert(cpr)), lambda at: [
                f"{v} starts like a spreadsheet formula; an id may not start with {' '.join(FORMULA_START)}"
                for v in _quoted(values, at)])
        if column.free_text:
            typed = _free_text(name, values, where)
    if column.type in ("int", "float"):
        _check_range(where, column, typed, values)
    if column.type in ("str", "uri") and not column.postcode:  # a postcode has its own rule
        _check_length(where, column, typed)
    return typed


def _integers(column: Column, values: pa.Array, where: _Where) -> pa.Array:
    """An int column typed exactly (through Arrow, never through a float), too-large values named."""
    present = pc.is_valid(values)
    ok = _matches(values, INTEGER)
    where.problem(column.name, pc.and_(present, pc.invert(ok)),
                  lambda at: [f"not an integer: {v}" for v in _quoted(values, at)])
    digits = pc.replace_substring_regex(_null_where(pc.invert(ok), values), r"^\+|\.0+$", "")
    huge = _matches(digits, TOO_MANY_DIGITS)
    where.problem(column.name, huge, lambda at: [f"{plain(v)} is too large: {_limit(where.table, column)}"
                                                 for v in _values(values, at)])
    return pc.cast(_null_where(huge, digits), pa.int64())


def _limit(table: str, column: Column) -> str:
    return f"the database holds at most {_db_max(table, column)} in this column"


def _db_max(table: str, column: Column) -> int:
    return DB_INTEGER_MAX[isinstance(Base.metadata.tables[table].c[column.name].type, BigInteger)]


def _dates(column: Column, values: pa.Array, where: _Where) -> pa.Array:
    present = pc.is_valid(values)
    shape = _matches(values, ISO_DATE)
    inside = pc.and_(shape, pc.and_(pc.fill_null(pc.greater_equal(values, FIRST_DATE), False),
                                    pc.fill_null(pc.less_equal(values, LAST_DATE), False)))
    stamps = pc.strptime(_null_where(pc.invert(inside), values), format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2022-02-30 over to March; a real date reads back as it was written.
    real = pc.fill_null(pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), values), False)
    outside = pc.and_(shape, pc.invert(inside))
    where.problem(column.name, pc.and_(present, pc.and_(pc.invert(real), pc.invert(outside))),
                  lambda at: [f"not a date (write YYYY-MM-DD): {v}" for v in _quoted(values, at)])
    where.problem(column.name, outside, lambda at: [
        f"{v} is outside the dates an export may hold ({FIRST_DATE} to {LAST_DATE})" for v in _quoted(values, at)])
    return pc.cast(_null_where(pc.invert(real), stamps), pa.date32())


def _check_range(where: _Where, column: Column, typed: pa.Array, written: pa.Array) -> None:
    """Numbers outside the contract's range or the database column's; the message shows the
    number as written (never when it has the shape of a CPR number)."""
    low, high = column.min, column.max

    def said(problem: str):
        return lambda at: [f"{plain(v)} {problem}" for v in _values(written, at)]

    if column.type == "int":
        most = _db_max(where.table, column)
        # Beyond these the database itself would refuse the row, naming no cell.
        if high is None or high > most:
            where.problem(column.name, pc.greater(typed, most), said(f"is too large: {_limit(where.table, column)}"))
        if low is None or low < -most - 1:
            where.problem(column.name, pc.less(typed, -most - 1), said(f"is too small: {_limit(where.table, column)}"))
    if low is not None:
        where.problem(column.name, pc.less(typed, low), said(f"is below the minimum {_number(low)}"))
    if high is not None:
        where.problem(column.name, pc.greater(typed, high), said(f"is above the maximum {_number(high)}"))


def _check_length(where: _Where, column: Column, typed: pa.Array) -> None:
    """Text longer than its database column would be cut or refused by some databases (PostgreSQL)."""
    limit = getattr(Base.metadata.tables[where.table].c[column.name].type, "length", None)
    if limit is not None:
        lengths = pc.utf8_length(typed)
        where.problem(column.name, pc.greater(lengths, limit), lambda at: [
            f"too long: {n} characters, at most {limit} are allowed" for n in _values(lengths, at)])


def _bad_id(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Ids that are CPR-shaped, and ids that a spreadsheet would run as a formula."""
    return _matches(values, CPR_ID), _matches(values, FORMULA)


def _free_text(name: str, values: pa.Array, where: _Where, at: np.ndarray | None = None) -> pa.Array:
    """People's text as it will be stored: CPR numbers removed, a formula start neutralised,
    each change noted on its cell."""
    candidates = _positions(_matches(values, CPR_CANDIDATE))
    if len(candidates):
        text = values.to_pylist()
        removed = {}
        for i in candidates:
            text[i], removed[i] = redact(text[i])
        found = np.array([i for i in candidates if removed[i]], dtype=np.int64)
        mask = np.zeros(len(values), dtype=bool)
        mask[found] = True
        where.warn(name, mask, lambda cells: [f"{removed[i]} CPR number(s) replaced by {REDACTED!r}" for i in cells], at)
        values = pa.array(text, type=pa.string())
    formula = _matches(values, FORMULA)
    where.warn(name, formula, FORMULA_SAID, at)
    return pc.if_else(formula, pc.binary_join_element_wise("'", values, ""), values)


def _check_list(column: Column, values: pa.Array, known: pa.Array, where: _Where) -> pa.Array:
    """List cells; problems are per item (a cell may have several), checked on the flat items."""
    items, parents = pc.list_flatten(values), pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
    where.problem(column.name, pc.match_substring(items, NUL), NUL_SAID, parents)
    if column.type == "list_enum":
        where.problem(column.name, pc.invert(pc.is_in(items, value_set=pa.array(column.enum))), lambda at: [
            f"{v} is not one of: {', '.join(column.enum)}" for v in _quoted(items, at)], parents)
    elif column.type == "uri_list":
        where.problem(column.name, pc.invert(pc.is_in(items, value_set=known)), lambda at: [
            f"unknown ESCO occupation URI: {v}{URI_HINT}" for v in _quoted(items, at)], parents)
    elif column.free_text:
        return as_lists(_free_text(column.name, items, where, parents), parents, len(values))
    return values


def _check_conditions(spec: Table, raw: RawTable, typed: dict[str, pa.Array], where: _Where) -> None:
    """``required_unless`` / ``required_if``: a value needed only for some rows."""
    for column in spec.columns:
        if column.name in raw.unusable:
            continue
        for rule, when in (("unless", column.required_unless), ("if", column.required_if)):
            if when is None:
                continue
            other, choices = when
            matches = pc.fill_null(pc.is_in(typed[other], value_set=pa.array(choices)), False)
            applies = pc.and_(pc.is_valid(typed[other]), pc.invert(matches) if rule == "unless" else matches)
            # A bad value is already reported as bad, not as missing.
            absent = pc.is_null(raw.cells[column.name]) if column.name in raw.cells else pa.array(np.ones(len(raw.rows), bool))
            said = " or ".join(choices)
            what = f"required unless {other} is {said}" if rule == "unless" else f"required when {other} is {said}"
            where.problem(column.name, pc.and_(applies, pc.and_(pc.is_null(typed[column.name]), absent)),
                          f"value is missing: {what}")


def _check_key(spec: Table, typed: dict[str, pa.Array], where: _Where) -> None:
    if spec.key is None:
        return
    keys = typed[spec.key]
    present = keys.drop_null()
    if len(present.unique()) == len(present):
        return
    frame = pd.Series(keys.to_pylist(), dtype=object)
    dup = (frame.duplicated(keep=False) & frame.notna()).to_numpy()
    rows = pd.Series(where.rows[dup], index=frame[dup].to_numpy())
    others = rows.groupby(level=0).agg(lambda r: ", ".join(map(str, r)))
    where.problem(spec.key, dup, lambda at: [
        f"duplicate id {quoted(k)} (on rows {others[k]}); ids must be unique" for k in frame.iloc[at]])


def _check_date_order(spec: Table, typed: dict[str, pa.Array], where: _Where) -> None:
    for earlier, later in spec.ordered_dates:
        where.problem(later, pc.less(typed[later], typed[earlier]), lambda at: [
            f"{b} is before {earlier} {a}; {later} cannot come before {earlier}"
            for a, b in zip(_values(typed[earlier], at), _values(typed[later], at))])


def _check_references(spec: Table, typed: dict[str, pa.Array], tables: dict[str, dict[str, pa.Array]],
                      where: _Where) -> None:
    """Foreign keys must resolve within the export itself (it is a complete snapshot)."""
    for column in spec.columns:
        if column.references is None:
            continue
        target, target_column = column.references.split(".")
        if target not in tables:
            continue  # the missing table is reported already
        values = typed[column.name]
        # A CPR-shaped or formula id is reported as such already; it is no use looking it up as well.
        cpr, formula = _bad_id(values)
        known = pc.is_in(values, value_set=tables[target][target_column].drop_null())
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.or_(pc.or_(cpr, formula), pc.fill_null(known, False))))
        where.problem(column.name, bad, lambda at: [
            f"{v} not found in {target}.{target_column}" for v in _quoted(values, at)])
