"""Reading an export folder: one CSV or Parquet file per table, as raw text cells.

Both formats come out the same way so that validation has one path: a frame per table whose
index is the row number a spreadsheet shows (header = 1, first data row = 2), holding the
contract's columns only, scalar cells as stripped strings or ``None``, and list cells as a list
of strings, ``None`` when empty. A file is untrusted input: whatever it holds (a repeated
header, a Parquet struct, bytes that are not UTF-8) becomes a problem with a place, never an
exception.
"""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from matcher.contract import TABLE_ORDER, TABLES, Column, Table
from matcher.importer.privacy import quoted

LIST_TYPES = ("list", "list_enum", "uri_list")
LIST_SEPARATOR = ";"
HEADER_ROW = 1
FIRST_DATA_ROW = 2  # the header is row 1, as in a spreadsheet
FILE_PROBLEM = "-"  # row and column of a problem with a whole file


def problem(table: str, row: object, column: str, what: str) -> str:
    """One problem in the contract's form ``table:row:column: what is wrong``."""
    return f"{table}:{row}:{column}: {what}"


@dataclass
class RawExport:
    """The tables of a folder as raw cells, plus what was wrong with the files themselves."""

    folder: Path
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Per table, contract columns present in the file but reported as unusable as a whole (a
    # Parquet column of the wrong type): validation neither checks them nor calls them missing.
    unusable: dict[str, set[str]] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """sha256 over the names and bytes of the table files read, in load order."""
        digest = hashlib.sha256()
        for table in TABLE_ORDER:
            if table in self.files:
                path = self.files[table]
                digest.update(path.name.encode())
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
        return digest.hexdigest()


def read_export(folder: Path) -> RawExport:
    """Find and read each contract table's file in ``folder``; other files and folders are ignored."""
    folder = Path(folder)
    raw = RawExport(folder)
    if not folder.is_dir():
        raw.problems.append(problem("-", FILE_PROBLEM, FILE_PROBLEM, f"export folder not found: {folder}"))
        return raw
    for table in TABLE_ORDER:
        spec = TABLES[table]
        csv_path, parquet_path = folder / f"{table}.csv", folder / f"{table}.parquet"
        present = [p for p in (csv_path, parquet_path) if p.is_file()]
        if len(present) == 2:
            raw.problems.append(problem(
                table, FILE_PROBLEM, FILE_PROBLEM,
                f"both {csv_path.name} and {parquet_path.name} are present; keep only one of them",
            ))
            continue
        if not present:
            if spec.required:
                raw.problems.append(problem(
                    table, FILE_PROBLEM, FILE_PROBLEM,
                    f"required table is missing: put {csv_path.name} or {parquet_path.name} in the folder",
                ))
            continue
        path = present[0]
        reader = _read_csv if path.suffix == ".csv" else _read_parquet
        try:
            frame = reader(path, spec, raw)
        except _Unreadable as unreadable:
            raw.problems.append(problem(table, unreadable.row, FILE_PROBLEM, str(unreadable)))
            continue
        if frame is None:
            continue
        for column in [c.name for c in spec.columns if c.type in LIST_TYPES and c.name in frame]:
            frame[column] = _as_lists(frame[column])
        raw.frames[table] = frame
        raw.files[table] = path
    return raw


class _Unreadable(Exception):
    def __init__(self, message: str, row: object = FILE_PROBLEM) -> None:
        super().__init__(message)
        self.row = row


def _header(spec: Table, names: list[str], raw: RawExport) -> bool:
    """Check a file's column names; False when the table cannot be read column by column.

    Contract columns may appear once. Other columns are ignored with a warning (a repeated
    unknown one too: it is ignored either way).
    """
    counts = pd.Series(names, dtype=object).value_counts()
    repeated = [n for n in spec.column_names if counts.get(n, 0) > 1]
    raw.problems.extend(
        problem(spec.name, HEADER_ROW, n, "the column appears more than once in the header; keep one")
        for n in repeated
    )
    unknown = list(dict.fromkeys(n for n in names if n not in spec.column_names))
    if unknown:
        raw.warnings.append(
            f"{spec.name}: ignored column(s) not in the data contract: {', '.join(map(_quoted, unknown))}"
        )
    return not repeated


def _quoted(name: str) -> str:
    return quoted(name) if name else "(a column without a name)"


def _read_csv(path: Path, spec: Table, raw: RawExport) -> pd.DataFrame | None:
    try:
        # dtype=str and no NA guessing: ids stay exactly as written ("007" is not 7, "NA" is text).
        # header=None: the header is read as a row, so that pandas cannot rename a repeated name.
        frame = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            quoting=csv.QUOTE_MINIMAL,
        )
    except UnicodeDecodeError as error:
        raise _Unreadable(
            f"{path.name} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise _Unreadable(f"{path.name} is empty; it needs at least the header row") from None
    except (pd.errors.ParserError, ValueError, OverflowError) as error:
        raise _Unreadable(f"{path.name} could not be read as CSV: {error}") from None
    names = [str(c).strip() for c in frame.iloc[0]]
    if not _header(spec, names, raw):
        return None
    frame = frame.iloc[1:].apply(lambda s: s.str.strip())
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    frame = frame.mask(frame == "")
    # Blank lines are not rows of missing values; dropping them keeps the numbering of the rest.
    frame = frame.dropna(how="all")
    keep = {name: i for i, name in enumerate(names) if name in spec.column_names}
    frame = frame[list(keep.values())].set_axis(list(keep), axis=1)
    return frame.astype(object).where(frame.notna(), None)


# ---- Parquet -----------------------------------------------------------------------------------

# What each contract type accepts from a Parquet column: text is always accepted (then checked
# cell by cell like CSV), other Arrow types only where they carry the contract's meaning.
_ARROW_TYPES: dict[str, tuple[Callable[[pa.DataType], bool], ...]] = {
    "str": (pa.types.is_integer,),
    "enum": (),
    "uri": (),
    "int": (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal),
    "float": (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal),
    "bool": (pa.types.is_boolean, pa.types.is_integer),
    "date": (pa.types.is_date, pa.types.is_timestamp),
}
_WANTED = {
    "str": "text", "enum": "text", "uri": "text", "int": "an integer", "float": "a number",
    "bool": "a boolean", "date": "a date", "list": "a list of text", "list_enum": "a list of text",
    "uri_list": "a list of text",
}


def _is_text(kind: pa.DataType) -> bool:
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind) or pa.types.is_null(kind)
            or kind in (getattr(pa, "string_view", pa.string)(), getattr(pa, "binary_view", pa.binary)()))


def _is_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind)


def _read_parquet(path: Path, spec: Table, raw: RawExport) -> pd.DataFrame | None:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise _Unreadable(f"{path.name} could not be read as Parquet: {error}") from None
    names = [name.strip() for name in table.column_names]
    if not _header(spec, names, raw):
        return None
    rows = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + table.num_rows)
    columns = {}
    for name, column in zip(names, table.columns):
        if name not in spec.column_names:
            continue
        cells = _parquet_column(spec.name, spec.column(name), column, path, raw)
        if cells is None:
            raw.unusable.setdefault(spec.name, set()).add(name)
        else:
            columns[name] = pd.Series(cells, index=rows, dtype=object)
    return pd.DataFrame(columns, index=rows, dtype=object)


def _parquet_column(table: str, contract: Column, column: pa.ChunkedArray, path: Path, raw: RawExport) -> list | None:
    """One Parquet column as text cells (lists of text for list columns); None when its type is wrong."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if contract.type in LIST_TYPES and _is_list(kind):
        if not _is_text(kind.value_type):
            raw.problems.append(problem(table, HEADER_ROW, contract.name,
                                        f"is a Parquet list of {kind.value_type} in {path.name}; "
                                        f"this column takes {_WANTED[contract.type]}"))
            return None
        items = _text(table, contract.name, pc.list_flatten(column), path, raw,
                      rows=pc.list_parent_indices(column).to_numpy() + FIRST_DATA_ROW)
        sizes = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        cells, start = [], 0
        for size in sizes:
            if size != size:  # a missing list (NaN length)
                cells.append(None)
                continue
            size = int(size)
            cells.append(items[start:start + size])
            start += size
        return cells
    if _is_list(kind):
        raw.problems.append(problem(table, HEADER_ROW, contract.name,
                                    f"is a list column in {path.name}; this column takes one value per row"))
        return None
    if not (_is_text(kind) or any(accepts(kind) for accepts in _ARROW_TYPES.get(contract.type, ()))):
        raw.problems.append(problem(table, HEADER_ROW, contract.name,
                                    f"is a Parquet column of type {kind} in {path.name}; "
                                    f"this column takes {_WANTED[contract.type]}"))
        return None
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            column = pc.local_timestamp(column)  # the date as a clock on the wall there shows it
            kind = column.type
        # A date written by pandas as a timestamp at midnight is still a date; a time of day is not.
        midnight = pc.all(pc.equal(pc.cast(column, pa.date32()).cast(kind), column)).as_py()
        column = pc.cast(column, pa.date32()) if midnight in (True, None) else column
    return _text(table, contract.name, column, path, raw, range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(column)))


def _text(table: str, name: str, values: pa.ChunkedArray | pa.Array, path: Path, raw: RawExport, rows) -> list:
    """Arrow values as stripped Python strings (None when missing or empty); cells whose bytes
    are not UTF-8 are reported with their row and left missing."""
    if _is_text(values.type) and not pa.types.is_null(values.type):
        data = values.cast(pa.binary())
        try:
            text = data.cast(pa.string())  # checks that the bytes are UTF-8
        except pa.ArrowInvalid:
            decoded = []
            for row, cell in zip(rows, data.to_pylist()):
                try:
                    decoded.append(None if cell is None else cell.decode("utf-8"))
                except UnicodeDecodeError as error:
                    raw.problems.append(problem(
                        table, int(row), name,
                        f"is not UTF-8 text (byte {error.start}) in {path.name}; write the column as UTF-8 strings",
                    ))
                    # Kept (with replacement characters) so that the cell is not also called missing.
                    decoded.append(cell.decode("utf-8", errors="replace"))
            text = pa.array(decoded, type=pa.string())
    else:
        text = pc.cast(values, pa.string())
    cells = pc.utf8_trim_whitespace(text).to_pylist()
    return [cell if cell else None for cell in cells]


def _as_lists(series: pd.Series) -> pd.Series:
    """List cells as lists of non-empty strings: ``a;b`` (CSV) and ``[a, b]`` (Parquet) alike."""
    def split(value):
        if value is None:
            return None
        items = value.split(LIST_SEPARATOR) if isinstance(value, str) else value
        items = [str(v).strip() for v in items if v is not None and str(v).strip()]
        return items or None

    return series.map(split).astype(object)
