"""Validation of a raw export against the contract (``matcher.contract``), all at once.

Every check is vectorised over a whole column, and every problem is collected, not only the
first: a municipality's IT person should be able to fix a refused export in one round. The
result is one typed frame per table (pandas nullable dtypes, the contract's columns in order,
index = the row number a spreadsheet shows) that the loader can trust.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matcher.contract import TABLE_ORDER, TABLES, Column, Table
from matcher.db import Base
from matcher.importer.read import LIST_TYPES, RawExport, problem

# A CPR number is DDMMYY-XXXX, or the same ten digits without the hyphen.
CPR_SHAPE = r"\d{6}[- ]?\d{4}"
INTEGER = r"[+-]?\d{1,15}(?:\.0+)?"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
POSTCODE = r"\d{4}"
FIRST_POSTCODE, LAST_POSTCODE = "0800", "9999"
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
MAX_SHOWN = 80  # characters of a bad value quoted in a message

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


class _Problems:
    """Problems collected column by column, sorted at the end by table, row and column."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, str]] = []

    def add(self, table: str, column: str, rows: pd.Index, messages) -> None:
        """One problem per row in ``rows``; ``messages`` is one text or one per row."""
        if len(rows) == 0:
            return
        t_rank = TABLE_ORDER.index(table)
        c_rank = _column_rank(table, column)
        texts = [messages] * len(rows) if isinstance(messages, str) else list(messages)
        start = len(self._items)
        self._items.extend(
            (t_rank, int(r), c_rank, start + i, problem(table, int(r), column, m))
            for i, (r, m) in enumerate(zip(rows, texts))
        )

    def sorted(self) -> list[str]:
        # Within one cell, problems keep the order they were found in (type before reference).
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


def _shown(values: pd.Series) -> pd.Series:
    """Bad values as the message quotes them: repr, cut short, and never a CPR-shaped value."""
    shown = values.map(lambda v: repr(v if len(str(v)) <= MAX_SHOWN else str(v)[:MAX_SHOWN] + "…"))
    cpr = values.astype("string").str.fullmatch(CPR_SHAPE).fillna(False).to_numpy(dtype=bool)
    return shown.where(~cpr, "(a CPR-shaped value, not repeated here)")


def _number(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


def validate(raw: RawExport, known_uris: Iterable[str]) -> Checked:
    """Check every table of ``raw``; ``known_uris`` are the ESCO occupation URIs allowed."""
    known = np.asarray(list(known_uris), dtype=object)
    out = Checked(problems=list(raw.problems), warnings=list(raw.warnings))
    found = _Problems()
    for name in TABLE_ORDER:
        if name in raw.frames:
            out.tables[name] = _check_table(TABLES[name], raw.frames[name], known, found, out.warnings)
    for name, frame in out.tables.items():
        _check_references(TABLES[name], frame, out.tables, found)
    out.problems.extend(found.sorted())
    return out


def _check_table(spec: Table, frame: pd.DataFrame, known: np.ndarray, found: _Problems, warnings: list[str]) -> pd.DataFrame:
    unknown = [c for c in frame.columns if c not in spec.column_names]
    if unknown:
        warnings.append(
            f"{spec.name}: ignored column(s) not in the data contract: {', '.join(map(repr, unknown))}"
        )
    typed: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name not in frame:
            if column.required:
                found.add(spec.name, column.name, pd.Index([1]),
                          "required column is missing from the header row; add it")
            typed[column.name] = _empty(column, frame.index)
            continue
        typed[column.name] = _check_column(spec.name, column, frame[column.name], known, found)
    result = pd.DataFrame(typed, index=frame.index)
    _check_conditions(spec, frame, result, found)
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


def _check_column(table: str, column: Column, values: pd.Series, known: np.ndarray, found: _Problems) -> pd.Series:
    """The column typed, with its type, value, range, postcode, id and URI problems recorded."""
    name = column.name
    present = values.notna()
    if column.required:
        found.add(table, name, values.index[~present], "required value is missing")
    if column.type in LIST_TYPES:
        return _check_list(table, column, values, known, found)
    text = values.astype("string")

    if column.type == "int":
        ok = text.str.fullmatch(INTEGER).fillna(False)
        bad = present & ~ok
        found.add(table, name, values.index[bad], "not an integer: " + _shown(values[bad]))
        typed = pd.to_numeric(text.where(ok).str.replace(r"\.0+$", "", regex=True)).astype("Int64")
    elif column.type == "float":
        number = pd.to_numeric(text, errors="coerce").astype("Float64")
        bad = present & (number.isna() | ~np.isfinite(number.fillna(0.0).astype(float)))
        comma = text.str.contains(",", regex=False).fillna(False)
        messages = "not a number: " + _shown(values[bad])
        messages = messages.where(~comma[bad], messages + " (use a point as the decimal separator)")
        found.add(table, name, values.index[bad], messages)
        typed = number.where(~bad)
    elif column.type == "date":
        ok = text.str.fullmatch(ISO_DATE).fillna(False)
        parsed = pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")
        bad = present & parsed.isna()
        found.add(table, name, values.index[bad], "not a date (write YYYY-MM-DD): " + _shown(values[bad]))
        typed = parsed.astype(DTYPES["date"])
    elif column.type == "bool":
        typed = text.str.lower().map(BOOLEANS).astype("boolean")
        bad = present & typed.isna()
        found.add(table, name, values.index[bad], "not a boolean (write true/false or 1/0): " + _shown(values[bad]))
    else:
        typed = text
        if column.type == "enum":
            bad = present & ~member(text, column.enum)
            found.add(table, name, values.index[bad],
                      _shown(values[bad]) + f" is not one of: {', '.join(column.enum)}")
            typed = text.where(~bad)
        elif column.type == "uri":
            bad = present & ~member(text, known)
            found.add(table, name, values.index[bad],
                      "unknown ESCO occupation URI: " + _shown(values[bad])
                      + " (use a URI from the shipped ESCO v1.2.0 taxonomy)")
        if column.postcode:
            shape = text.str.fullmatch(POSTCODE).fillna(False)
            ok = shape & (text >= FIRST_POSTCODE).fillna(False)
            bad = present & ~ok
            short = text.str.fullmatch(r"\d{3}").fillna(False)[bad]
            messages = "not a Danish 4-digit postcode: " + _shown(values[bad])
            messages = messages.where(~short, messages + " (a leading zero may have been lost: write all four digits)")
            found.add(table, name, values.index[bad], messages)
        if name.endswith("_id") or column.pseudonymous_id:
            cpr = present & text.str.fullmatch(CPR_SHAPE).fillna(False)
            # The value itself is not repeated: it may be a real person's CPR number.
            found.add(table, name, values.index[cpr],
                      "looks like a CPR number (DDMMYY-XXXX or 10 digits); export the pseudonymous id instead")
    if column.type in ("int", "float"):
        _check_range(table, column, typed, found)
    if column.type in ("str", "uri") and not column.postcode:  # a postcode has its own rule
        _check_length(table, column, typed, found)
    return typed


def _check_length(table: str, column: Column, typed: pd.Series, found: _Problems) -> None:
    """Text longer than its database column would be cut or refused by some databases (PostgreSQL)."""
    limit = getattr(Base.metadata.tables[table].c[column.name].type, "length", None)
    if limit is None:
        return
    lengths = typed.str.len()
    long = (lengths > limit).fillna(False)
    found.add(table, column.name, typed.index[long],
              "too long: " + lengths[long].astype(str) + f" characters, at most {limit} are allowed")


def _check_range(table: str, column: Column, typed: pd.Series, found: _Problems) -> None:
    if column.min is not None:
        low = (typed < column.min).fillna(False)
        found.add(table, column.name, typed.index[low],
                  typed[low].astype(str) + f" is below the minimum {_number(column.min)}")
    if column.max is not None:
        high = (typed > column.max).fillna(False)
        found.add(table, column.name, typed.index[high],
                  typed[high].astype(str) + f" is above the maximum {_number(column.max)}")


def _check_list(table: str, column: Column, values: pd.Series, known: np.ndarray, found: _Problems) -> pd.Series:
    items = values.explode().dropna()
    if column.type == "list_enum":
        bad = ~member(items, column.enum)
        found.add(table, column.name, items.index[bad],
                  _shown(items[bad]) + f" is not one of: {', '.join(column.enum)}")
    elif column.type == "uri_list":
        bad = ~member(items, known)
        found.add(table, column.name, items.index[bad],
                  "unknown ESCO occupation URI: " + _shown(items[bad])
                  + " (use a URI from the shipped ESCO v1.2.0 taxonomy)")
    return values


def _check_conditions(spec: Table, raw: pd.DataFrame, typed: pd.DataFrame, found: _Problems) -> None:
    """``required_unless`` / ``required_if``: a value needed only for some rows."""
    for column in spec.columns:
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
            found.add(spec.name, column.name, typed.index[missing.fillna(False)], f"value is missing: {what}")


def _absent(raw: pd.DataFrame, name: str) -> pd.Series:
    """Cells with no value at all (a bad value is already reported as bad, not as missing)."""
    if name not in raw:
        return pd.Series(True, index=raw.index)
    return raw[name].isna()


def _check_key(spec: Table, typed: pd.DataFrame, found: _Problems) -> None:
    if spec.key is None:
        return
    keys = typed[spec.key]
    dup = keys.duplicated(keep=False) & keys.notna()
    if not dup.any():
        return
    rows = pd.Series(keys.index[dup], index=keys.index[dup])
    others = rows.groupby(keys[dup].to_numpy()).transform(lambda r: ", ".join(map(str, r)))
    found.add(spec.name, spec.key, rows.index,
              "duplicate id " + _shown(keys[dup].astype(object)) + " (on rows " + others + "); ids must be unique")


def _check_date_order(spec: Table, typed: pd.DataFrame, found: _Problems) -> None:
    for earlier, later in spec.ordered_dates:
        wrong = (typed[later] < typed[earlier]).fillna(False)
        if wrong.any():
            found.add(spec.name, later, typed.index[wrong],
                      typed[later][wrong].dt.strftime("%Y-%m-%d") + f" is before {earlier} "
                      + typed[earlier][wrong].dt.strftime("%Y-%m-%d") + f"; {later} cannot come before {earlier}")


def _check_references(spec: Table, frame: pd.DataFrame, tables: dict[str, pd.DataFrame], found: _Problems) -> None:
    """Foreign keys must resolve within the export itself (it is a complete snapshot)."""
    for column in spec.columns:
        if column.references is None:
            continue
        target, target_column = column.references.split(".")
        if target not in tables:
            continue  # the missing table is reported already
        values = frame[column.name]
        # A CPR-shaped value is reported as such already; it is no use looking it up as well.
        cpr = values.str.fullmatch(CPR_SHAPE).fillna(False)
        bad = values.notna() & ~cpr & ~member(values, tables[target][target_column])
        found.add(spec.name, column.name, frame.index[bad.fillna(False)],
                  _shown(values[bad.fillna(False)].astype(object)) + f" not found in {target}.{target_column}")
