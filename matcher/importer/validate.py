"""Validation of a raw export against the contract (``matcher.contract``), all at once.

Every check is vectorised over a whole column, and every problem is collected, not only the
first: a municipality's IT person should be able to fix a refused export in one round. The
result is one typed frame per table (pandas nullable dtypes, the contract's columns in order,
index = the row number a spreadsheet shows) that the loader can trust: what it holds is what
the database will hold. Messages are built only for the cells that are wrong, so a good export
costs a few operations per column.

Digits are ASCII digits: ``١٩٨٠`` or ``２４００`` is refused, not read as 1980 or 2400. Text holds
no NUL character (PostgreSQL cannot store one). Free text (``Column.free_text``) keeps no CPR
number and cannot start a spreadsheet formula: both are changed, with a warning naming the cell
(the export is not refused for a caseworker's note); an id with either is refused.
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
from matcher.importer.privacy import REDACTED, cpr_shaped, redact, shown
from matcher.importer.read import HEADER_ROW, LIST_TYPES, RawExport, problem

INTEGER = r"[+-]?[0-9]+(?:\.0+)?"
MAX_DIGITS = 18  # more digits than this cannot be an int64, whatever they say
FLOAT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
POSTCODE = r"[0-9]{4}"
FIRST_POSTCODE = "0800"
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
TEXT_TYPES = ("str", "enum", "uri")
NUL = "\x00"
# The largest integers the database columns hold on every backend (PostgreSQL's integer and bigint).
DB_INTEGER_MAX = {False: 2**31 - 1, True: 2**63 - 1}
FORMULA_NOTE = "starts like a spreadsheet formula; stored with a leading ' so that no spreadsheet runs it"
CPR_ID = "looks like a CPR number (DDMMYY-XXXX or 10 digits); export the pseudonymous id instead"

DTYPES = {
    "str": "string",
    "enum": "string",
    "uri": "string",
    "int": "Int64",
    "float": "Float64",
    "bool": "boolean",
    "date": "datetime64[s]",
}


@dataclass
class Checked:
    """The validated tables (typed) and what is wrong or worth a warning."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


Messages = str | Callable[[pd.Series], pd.Series]


class _Cells:
    """Problems (or warnings) about cells, collected column by column, sorted by table, row, column."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, int, str]] = []

    def add(self, table: str, column: str, where, messages: Messages) -> None:
        """One entry per True row of the boolean Series ``where``.

        ``messages`` is one text, or a function of the mask giving one text per marked row;
        it is called only when a row is marked.
        """
        where = where.fillna(False).astype(bool) if where.dtype != bool else where
        if not where.any():
            return
        rows = where.index[where.to_numpy()]
        texts = [messages] * len(rows) if isinstance(messages, str) else list(messages(where))
        t_rank, c_rank, start = TABLE_ORDER.index(table), _column_rank(table, column), len(self._items)
        self._items.extend(
            (t_rank, int(r), c_rank, start + i, problem(table, int(r), column, m))
            for i, (r, m) in enumerate(zip(rows, texts))
        )

    def sorted(self) -> list[str]:
        # Within one cell, entries keep the order they were found in (type before reference).
        return [text for *_, text in sorted(self._items)]


def member(values, allowed) -> np.ndarray:
    """``values.isin(allowed)`` as a boolean array (missing values are never members).

    Through Arrow's hash set: pandas' own ``isin`` on Arrow strings converts the allowed values
    one by one in Python, seconds for a column of 100,000 ids.
    """
    haystack = pa.array(np.asarray(allowed, dtype=object), type=pa.string(), from_pandas=True).drop_null()
    needles = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    found = pc.is_in(needles, value_set=haystack.unique())
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _column_rank(table: str, column: str) -> int:
    names = TABLES[table].column_names
    return names.index(column) if column in names else len(names)


def _number(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


def validate(raw: RawExport, known_uris: Iterable[str]) -> Checked:
    """Check every table of ``raw``; ``known_uris`` are the ESCO occupation URIs allowed."""
    known = np.asarray(list(known_uris), dtype=object)
    out = Checked(problems=list(raw.problems), warnings=list(raw.warnings))
    found, noted = _Cells(), _Cells()
    for name in TABLE_ORDER:
        if name in raw.frames:
            out.tables[name] = _check_table(TABLES[name], raw.frames[name], raw.unusable.get(name, set()),
                                            known, found, noted)
    for name, frame in out.tables.items():
        _check_references(TABLES[name], frame, out.tables, found)
    out.problems.extend(found.sorted())
    out.warnings.extend(noted.sorted())
    return out


def _check_table(spec: Table, frame: pd.DataFrame, unusable: set[str], known: np.ndarray,
                 found: _Cells, noted: _Cells) -> pd.DataFrame:
    typed: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name not in frame:
            if column.required and column.name not in unusable:
                found.add(spec.name, column.name, pd.Series(True, index=[HEADER_ROW]),
                          "required column is missing from the header row; add it")
            typed[column.name] = _empty(column, frame.index)
            continue
        typed[column.name] = _check_column(spec.name, column, frame[column.name], known, found, noted)
    result = pd.DataFrame(typed, index=frame.index)
    _check_conditions(spec, frame, unusable, result, found)
    _check_key(spec, result, found)
    _check_date_order(spec, result, found)
    for column in spec.columns:
        if column.default is not None:
            result[column.name] = result[column.name].fillna(column.default)
    return result


def _empty(column: Column, index: pd.Index) -> pd.Series:
    """A column absent from the file: all missing, in the column's dtype."""
    missing = pd.Series([None] * len(index), index=index, dtype=object)
    return missing if column.type in LIST_TYPES else missing.astype(DTYPES[column.type])


def _check_column(table: str, column: Column, values: pd.Series, known: np.ndarray,
                  found: _Cells, noted: _Cells) -> pd.Series:
    """The column typed, with its type, value, range, postcode, id and URI problems recorded."""
    name = column.name
    present = values.notna()
    if column.required:
        found.add(table, name, ~present, "required value is missing")
    if column.type in LIST_TYPES:
        return _check_list(table, column, values, known, found, noted)
    text = values.astype("string")
    if column.type in TEXT_TYPES:
        found.add(table, name, text.str.contains(NUL, regex=False),
                  "contains a NUL character (\\x00), which the database cannot store; remove it")
    if column.type == "int":
        typed = _integers(table, column, values, text, present, found)
    elif column.type == "float":
        shape = text.str.fullmatch(FLOAT).fillna(False)
        number = pd.to_numeric(text.where(shape)).astype("Float64")
        bad = present & (number.isna() | ~np.isfinite(number.fillna(0.0).astype(float)))
        comma = text.str.contains(",", regex=False).fillna(False)

        def not_a_number(where: pd.Series) -> pd.Series:
            said = "not a number: " + shown(values[where])
            return said.where(~comma[where], said + " (use a point as the decimal separator)")

        found.add(table, name, bad, not_a_number)
        typed = number.where(~bad)
    elif column.type == "date":
        shape = text.str.fullmatch(ISO_DATE).fillna(False)
        inside = shape & (text >= FIRST_DATE).fillna(False) & (text <= LAST_DATE).fillna(False)
        parsed = pd.to_datetime(text.where(inside), format="%Y-%m-%d", errors="coerce")
        bad = present & parsed.isna()
        outside = shape & ~inside
        found.add(table, name, bad & ~outside,
                  lambda where: "not a date (write YYYY-MM-DD): " + shown(values[where]))
        found.add(table, name, present & outside,
                  lambda where: shown(values[where]) + f" is outside the dates an export may hold ({FIRST_DATE} to {LAST_DATE})")
        typed = parsed.astype(DTYPES["date"])
    elif column.type == "bool":
        typed = text.str.lower().map(BOOLEANS).astype("boolean")
        found.add(table, name, present & typed.isna(),
                  lambda where: "not a boolean (write true/false or 1/0): " + shown(values[where]))
    else:
        typed = text
        if column.type == "enum":
            bad = present & ~member(text, column.enum)
            found.add(table, name, bad, lambda where: shown(values[where]) + f" is not one of: {', '.join(column.enum)}")
            typed = text.where(~bad)
        elif column.type == "uri":
            found.add(table, name, present & ~member(text, known),
                      lambda where: "unknown ESCO occupation URI: " + shown(values[where])
                      + " (use a URI from the shipped ESCO v1.2.0 taxonomy)")
        if column.postcode:
            ok = text.str.fullmatch(POSTCODE).fillna(False) & (text >= FIRST_POSTCODE).fillna(False)
            short = text.str.fullmatch(r"[0-9]{3}").fillna(False)

            def not_a_postcode(where: pd.Series) -> pd.Series:
                said = "not a Danish 4-digit postcode: " + shown(values[where])
                return said.where(~short[where], said + " (a leading zero may have been lost: write all four digits)")

            found.add(table, name, present & ~ok, not_a_postcode)
        if column.is_id:
            _check_id(table, name, text, found)
        if column.free_text:
            typed, cprs, formula = _free_text(text)
            noted.add(table, name, cprs > 0,
                      lambda where: cprs[where].astype(str) + f" CPR number(s) replaced by {REDACTED!r}")
            noted.add(table, name, formula, FORMULA_NOTE)
    if column.type in ("int", "float"):
        _check_range(table, column, typed, found)
    if column.type in ("str", "uri") and not column.postcode:  # a postcode has its own rule
        _check_length(table, column, typed, found)
    return typed


def _integers(table: str, column: Column, values: pd.Series, text: pd.Series, present: pd.Series,
              found: _Cells) -> pd.Series:
    """An int column typed exactly (through Arrow, never through a float), too-large values named."""
    ok = text.str.fullmatch(INTEGER).fillna(False)
    found.add(table, column.name, present & ~ok, lambda where: "not an integer: " + shown(values[where]))
    digits = text.where(ok).str.replace(r"\.0+$", "", regex=True).str.lstrip("+")
    huge = (digits.str.lstrip("-").str.len() > MAX_DIGITS).fillna(False)
    found.add(table, column.name, huge, lambda where: shown(values[where]) + f" is too large: {_limit(table, column)}")
    exact = pa.array(digits.where(~huge), type=pa.string(), from_pandas=True).cast(pa.int64())
    return exact.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).set_axis(values.index)


def _limit(table: str, column: Column) -> str:
    wide = isinstance(Base.metadata.tables[table].c[column.name].type, BigInteger)
    return f"the database holds at most {DB_INTEGER_MAX[wide]} in this column"


def _check_range(table: str, column: Column, typed: pd.Series, found: _Cells) -> None:
    low, high = column.min, column.max
    if column.type == "int":
        wide = isinstance(Base.metadata.tables[table].c[column.name].type, BigInteger)
        if high is None or high > DB_INTEGER_MAX[wide]:
            # Beyond this the database itself would refuse the row, naming no cell.
            found.add(table, column.name, typed > DB_INTEGER_MAX[wide],
                      lambda where: typed[where].astype(str) + f" is too large: {_limit(table, column)}")
            found.add(table, column.name, typed < -DB_INTEGER_MAX[wide] - 1,
                      lambda where: typed[where].astype(str) + f" is too small: {_limit(table, column)}")
    if low is not None:
        found.add(table, column.name, typed < low,
                  lambda where: typed[where].astype(str) + f" is below the minimum {_number(low)}")
    if high is not None:
        found.add(table, column.name, typed > high,
                  lambda where: typed[where].astype(str) + f" is above the maximum {_number(high)}")


def _check_length(table: str, column: Column, typed: pd.Series, found: _Cells) -> None:
    """Text longer than its database column would be cut or refused by some databases (PostgreSQL)."""
    limit = getattr(Base.metadata.tables[table].c[column.name].type, "length", None)
    if limit is None:
        return
    lengths = typed.str.len()
    found.add(table, column.name, lengths > limit,
              lambda where: "too long: " + lengths[where].astype(str) + f" characters, at most {limit} are allowed")


def _bad_id(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids that are CPR-shaped, and ids that a spreadsheet would run as a formula."""
    return cpr_shaped(text), text.str.startswith(FORMULA_START).fillna(False).astype(bool)


def _check_id(table: str, name: str, text: pd.Series, found: _Cells) -> None:
    cpr, formula = _bad_id(text)
    # The value itself is not repeated: it may be a real person's CPR number.
    found.add(table, name, cpr, CPR_ID)
    found.add(table, name, formula & ~cpr,
              lambda where: shown(text[where].astype(object)) + " starts like a spreadsheet formula; "
              f"an id may not start with {' '.join(FORMULA_START)}")


def _free_text(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """People's text as it will be stored (CPR numbers removed, formulas neutralised), with the
    number of CPR numbers removed and whether a formula was neutralised, per cell."""
    cprs = pd.Series(0, index=text.index)
    candidates = text.str.contains(r"\d{6}[- ]?\d{4}").fillna(False).astype(bool)
    if candidates.any():
        redacted = text[candidates].astype(object).map(redact)
        cprs[candidates] = redacted.map(lambda r: r[1])
        text = text.mask(cprs > 0, redacted.map(lambda r: r[0]).reindex(text.index))
    formula = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
    return text.mask(formula, "'" + text), cprs, formula


def _check_list(table: str, column: Column, values: pd.Series, known: np.ndarray,
                found: _Cells, noted: _Cells) -> pd.Series:
    """List cells; problems are per item (a row may have several), checked on the exploded items."""
    items = values.explode().dropna()
    if items.empty:
        return values
    text = items.astype("string")
    found.add(table, column.name, text.str.contains(NUL, regex=False),
              "contains a NUL character (\\x00), which the database cannot store; remove it")
    if column.type == "list_enum":
        bad = pd.Series(~member(items, column.enum), index=items.index)
        found.add(table, column.name, bad,
                  lambda where: shown(items[where.to_numpy()]) + f" is not one of: {', '.join(column.enum)}")
    elif column.type == "uri_list":
        bad = pd.Series(~member(items, known), index=items.index)
        found.add(table, column.name, bad,
                  lambda where: "unknown ESCO occupation URI: " + shown(items[where.to_numpy()])
                  + " (use a URI from the shipped ESCO v1.2.0 taxonomy)")
    elif column.free_text:
        cleaned, cprs, formula = _free_text(text.reset_index(drop=True))
        cprs.index = formula.index = cleaned.index = items.index
        noted.add(table, column.name, cprs > 0,
                  lambda where: cprs[where.to_numpy()].astype(str) + f" CPR number(s) replaced by {REDACTED!r} in an item")
        noted.add(table, column.name, formula, FORMULA_NOTE + " (an item)")
        changed = (cprs > 0) | formula
        if changed.any():
            values = values.copy()
            for row, cells in cleaned.astype(object).groupby(level=0).agg(list)[changed.groupby(level=0).any()].items():
                values.at[row] = cells
    return values


def _check_conditions(spec: Table, raw: pd.DataFrame, unusable: set[str], typed: pd.DataFrame, found: _Cells) -> None:
    """``required_unless`` / ``required_if``: a value needed only for some rows."""
    for column in spec.columns:
        if column.name in unusable:
            continue
        for rule, when in (("unless", column.required_unless), ("if", column.required_if)):
            if when is None:
                continue
            other, choices = when
            condition = typed[other]
            matches = member(condition, choices)
            applies = condition.notna() & (~matches if rule == "unless" else matches)
            missing = applies & typed[column.name].isna() & _absent(raw, column.name)
            said = " or ".join(choices)
            what = f"required unless {other} is {said}" if rule == "unless" else f"required when {other} is {said}"
            found.add(spec.name, column.name, missing, f"value is missing: {what}")


def _absent(raw: pd.DataFrame, name: str) -> pd.Series:
    """Cells with no value at all (a bad value is already reported as bad, not as missing)."""
    if name not in raw:
        return pd.Series(True, index=raw.index)
    return raw[name].isna()


def _check_key(spec: Table, typed: pd.DataFrame, found: _Cells) -> None:
    if spec.key is None:
        return
    keys = typed[spec.key]
    dup = keys.duplicated(keep=False) & keys.notna()
    if not dup.any():
        return
    rows = pd.Series(keys.index[dup], index=keys.index[dup])
    others = rows.groupby(keys[dup].to_numpy()).transform(lambda r: ", ".join(map(str, r)))
    found.add(spec.name, spec.key, dup,
              lambda where: "duplicate id " + shown(keys[where].astype(object)) + " (on rows " + others
              + "); ids must be unique")


def _check_date_order(spec: Table, typed: pd.DataFrame, found: _Cells) -> None:
    for earlier, later in spec.ordered_dates:
        found.add(spec.name, later, typed[later] < typed[earlier],
                  lambda where: typed[later][where].dt.strftime("%Y-%m-%d") + f" is before {earlier} "
                  + typed[earlier][where].dt.strftime("%Y-%m-%d") + f"; {later} cannot come before {earlier}")


def _check_references(spec: Table, frame: pd.DataFrame, tables: dict[str, pd.DataFrame], found: _Cells) -> None:
    """Foreign keys must resolve within the export itself (it is a complete snapshot)."""
    for column in spec.columns:
        if column.references is None:
            continue
        target, target_column = column.references.split(".")
        if target not in tables:
            continue  # the missing table is reported already
        values = frame[column.name]
        # A CPR-shaped or formula id is reported as such already; it is no use looking it up as well.
        cpr, formula = _bad_id(values)
        bad = values.notna() & ~cpr & ~formula & ~member(values, tables[target][target_column])
        found.add(spec.name, column.name, bad,
                  lambda where: shown(values[where].astype(object)) + f" not found in {target}.{target_column}")
