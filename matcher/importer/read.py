"""Reading an export folder: one CSV or Parquet file per table, as raw text cells.

Both formats come out the same way so that validation has one path: per table, the row numbers
a spreadsheet shows (header = 1, first data row = 2) and, per contract column, an Arrow array of
stripped text (null when empty) or, for list columns, of lists of non-empty text (null when
empty). Columns not in the contract are named in a warning and not read further. A file is
untrusted input: whatever it holds (a repeated header, a Parquet struct, bytes that are not
UTF-8) becomes a problem with a place, never an exception.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
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
class RawTable:
    """One table's cells: the contract's columns found in the file, and each row's number."""

    rows: np.ndarray
    cells: dict[str, pa.Array] = field(default_factory=dict)
    # Contract columns present in the file but unusable as a whole (a Parquet column of the
    # wrong type, reported already): validation neither checks them nor calls them missing.
    unusable: set[str] = field(default_factory=set)


@dataclass
class RawExport:
    """The tables of a folder as raw cells, plus what was wrong with the files themselves."""

    folder: Path
    tables: dict[str, RawTable] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

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
            cells = reader(path, spec, raw)
        except _Unreadable as unreadable:
            raw.problems.append(problem(table, unreadable.row, FILE_PROBLEM, str(unreadable)))
            continue
        if cells is not None:
            raw.tables[table] = cells
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
    repeated = [n for n in spec.column_names if names.count(n) > 1]
    raw.problems.extend(
        problem(spec.name, HEADER_ROW, n, "the column appears more than once in the header; keep one")
        for n in repeated
    )
    unknown = list(dict.fromkeys(n for n in names if n not in spec.column_names))
    if unknown:
        said = ", ".join(quoted(n) if n else "(a column without a name)" for n in unknown)
        raw.warnings.append(f"{spec.name}: ignored column(s) not in the data contract: {said}")
    return not repeated


def _read_csv(path: Path, spec: Table, raw: RawExport) -> RawTable | None:
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Unreadable(
            f"{path.name} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        ) from None
    if not text.strip():
        raise _Unreadable(f"{path.name} is empty; it needs at least the header row")
    try:
        names = [name.strip() for name in next(csv.reader(io.StringIO(text)))]
    except csv.Error as error:
        raise _Unreadable(f"{path.name} could not be read as CSV: {error}") from None
    if not _header(spec, names, raw):
        return None
    wrong_width = []

    def reject(row) -> str:  # a row with more or fewer values than the header, reported with its number
        wrong_width.append(row)
        return "skip"

    generated = [f"c{i}" for i in range(len(names))]
    try:
        # Every cell as text, "" as "": ids stay exactly as written ("007" is not 7, "NA" is text).
        # The header is read as a row, so that the reader cannot rename a repeated name.
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=generated, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=reject),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(generated, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as error:
        raise _Unreadable(f"{path.name} could not be read as CSV: {error}") from None
    raw.problems.extend(
        problem(spec.name, row.number if row.number is not None else FILE_PROBLEM, FILE_PROBLEM,
                f"has {row.actual_columns} value(s) where the header has {row.expected_columns}; "
                "check the quotes and separators of this row")
        for row in wrong_width
    )
    # Spreadsheet numbers of the rows read: the header is record 1; skipped rows keep their number.
    numbers = np.arange(1, table.num_rows + len(wrong_width) + 1)
    numbers = np.delete(numbers, [row.number - 1 for row in wrong_width if row.number is not None])[1:]
    columns = [_blank_is_null(column.combine_chunks()).slice(1) for column in table.columns]
    # Blank lines are not rows of missing values; dropping them keeps the numbering of the rest.
    filled = np.zeros(len(numbers), dtype=bool)
    for column in columns:
        filled |= pc.is_valid(column).to_numpy(zero_copy_only=False)
    cells = {}
    for name, column in zip(names, columns):
        if name in spec.column_names:
            column = column.filter(pa.array(filled))
            if spec.column(name).type in LIST_TYPES:
                split = pc.split_pattern(column, LIST_SEPARATOR)
                column = as_lists(pc.list_flatten(split), _parents(split), len(column))
            cells[name] = column
    return RawTable(numbers[filled], cells)


def _blank_is_null(text: pa.Array) -> pa.Array:
    """Stripped text, with empty cells as nulls."""
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def as_lists(items: pa.Array, parents: np.ndarray, length: int) -> pa.Array:
    """Lists of the non-empty stripped ``items``, item i belonging to cell ``parents[i]``; a cell
    left without items is null."""
    items = _blank_is_null(items)
    keep = pc.is_valid(items)
    items, parents = items.filter(keep), parents[keep.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents.astype(np.int64), minlength=length)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), items, mask=pa.array(counts == 0))


def _parents(lists: pa.Array) -> np.ndarray:
    """For each item of the flattened ``lists``, the position of its list."""
    return pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)


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
            or kind in (pa.string_view(), pa.binary_view()))


def _is_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind)


def _read_parquet(path: Path, spec: Table, raw: RawExport) -> RawTable | None:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise _Unreadable(f"{path.name} could not be read as Parquet: {error}") from None
    names = [name.strip() for name in table.column_names]
    if not _header(spec, names, raw):
        return None
    read = RawTable(np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + table.num_rows))
    for name, column in zip(names, table.columns):
        if name in spec.column_names:
            cells = _parquet_column(spec.name, spec.column(name), column.combine_chunks(), path, raw)
            if cells is None:
                read.unusable.add(name)
            else:
                read.cells[name] = cells
    return read


def _parquet_column(table: str, contract: Column, column: pa.Array, path: Path, raw: RawExport) -> pa.Array | None:
    """One Parquet column as text (lists of text for list columns); None when its type is wrong."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if contract.type in LIST_TYPES and _is_list(kind):
        if not _is_text(kind.value_type):
            raw.problems.append(problem(table, HEADER_ROW, contract.name,
                                        f"is a Parquet list of {kind.value_type} in {path.name}; "
                                        f"this column takes {_WANTED[contract.type]}"))
            return None
        parents = _parents(column)
        rows = parents + FIRST_DATA_ROW
        return as_lists(_text(table, contract.name, pc.list_flatten(column), path, raw, rows), parents, len(column))
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
    text = _text(table, contract.name, column, path, raw, np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + len(column)))
    if contract.type in LIST_TYPES:  # a text column for a list column: separated like CSV
        split = pc.split_pattern(text, LIST_SEPARATOR)
        return as_lists(pc.list_flatten(split), _parents(split), len(text))
    return _blank_is_null(text)


def _text(table: str, name: str, values: pa.Array, path: Path, raw: RawExport, rows: np.ndarray) -> pa.Array:
    """Arrow values as text; cells whose bytes are not UTF-8 are reported with their row."""
    if not _is_text(values.type) or pa.types.is_null(values.type):
        return pc.cast(values, pa.string())
    data = values.cast(pa.binary())
    try:
        return data.cast(pa.string())  # checks that the bytes are UTF-8
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
        return pa.array(decoded, type=pa.string())
