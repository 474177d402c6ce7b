"""Reading an export folder: one CSV or Parquet file per table, as raw text cells.

Both formats come out the same way so that validation has one path: a frame per table whose
index is the row number a spreadsheet shows (header = 1, first data row = 2), scalar cells as
stripped strings or ``None``, and list cells as a list of strings, ``None`` when empty.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from matcher.contract import TABLE_ORDER, TABLES

LIST_TYPES = ("list", "list_enum", "uri_list")
LIST_SEPARATOR = ";"
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
        try:
            frame = _read_csv(path) if path.suffix == ".csv" else _read_parquet(path)
        except _Unreadable as unreadable:
            raw.problems.append(problem(table, unreadable.row, FILE_PROBLEM, str(unreadable)))
            continue
        duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
        if duplicated:
            raw.problems.extend(
                problem(table, 1, c, "the column appears more than once in the header; keep one")
                for c in duplicated
            )
            continue
        scalar_lists = [c.name for c in spec.columns
                        if c.type not in LIST_TYPES and c.name in frame.attrs.get("list_columns", ())]
        raw.problems.extend(
            problem(table, 1, c, f"is a list column in {path.name}; this column takes one value per row")
            for c in scalar_lists
        )
        frame = frame.drop(columns=scalar_lists)
        list_columns = [c.name for c in spec.columns if c.type in LIST_TYPES and c.name in frame]
        for column in list_columns:
            frame[column] = _as_lists(frame[column])
        raw.frames[table] = frame
        raw.files[table] = path
    return raw


class _Unreadable(Exception):
    def __init__(self, message: str, row: object = FILE_PROBLEM) -> None:
        super().__init__(message)
        self.row = row


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # dtype=str and no NA guessing: ids stay exactly as written ("007" is not 7, "NA" is text).
        frame = pd.read_csv(
            path,
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
    except pd.errors.ParserError as error:
        raise _Unreadable(f"{path.name} could not be read as CSV: {error}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    frame = frame.apply(lambda s: s.str.strip()) if len(frame.columns) else frame
    frame = frame.mask(frame == "")
    # Blank lines are not rows of missing values; dropping them keeps the numbering of the rest.
    frame = frame.dropna(how="all")
    return frame.astype(object).where(frame.notna(), None)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise _Unreadable(f"{path.name} could not be read as Parquet: {error}") from None
    columns, list_columns = {}, []
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            values = column.to_pylist()
            list_columns.append(name.strip())
            columns[name.strip()] = pd.Series(
                [None if v is None else [None if x is None else str(x) for x in v] for v in values],
                dtype=object,
            )
            continue
        if pa.types.is_timestamp(kind):
            # A date written by pandas as a timestamp at midnight is still a date; a time of day is not.
            midnight = pc.all(pc.equal(pc.cast(column, pa.date32()).cast(kind), column)).as_py()
            column = pc.cast(column, pa.date32()) if midnight in (True, None) else column
        text = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
        series = text.to_pandas().astype(object)
        columns[name.strip()] = series.where(series.notna() & (series != ""), None)
    frame = pd.DataFrame(columns, dtype=object)
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + table.num_rows)
    frame.attrs["list_columns"] = tuple(list_columns)
    return frame


def _as_lists(series: pd.Series) -> pd.Series:
    """List cells as lists of non-empty strings: ``a;b`` (CSV) and ``[a, b]`` (Parquet) alike."""
    def split(value):
        if value is None:
            return None
        items = value.split(LIST_SEPARATOR) if isinstance(value, str) else value
        items = [str(v).strip() for v in items if v is not None and str(v).strip()]
        return items or None

    return series.map(split).astype(object)
