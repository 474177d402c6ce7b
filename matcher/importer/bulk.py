"""Inserting many validated rows at bulk speed, inside the import's own transaction.

PostgreSQL: ``COPY … FROM STDIN`` (CSV) on the transaction's connection, one stream per table.
SQLite: the driver's ``executemany`` with plain tuples (``exec_driver_sql``). Both bypass SQLAlchemy's per-row
statement building only; every value still goes through the column type's own bind processor
(JSON lists, dates, booleans), so the database holds exactly what ``insert()`` would have
written, and the loader's comparison of old and new rows is unchanged. Validation, the write
lock, the shrink guard and the single commit-or-rollback are the importer's, before and around
this (``matcher.importer``). Another dialect falls back to ``insert()`` with ``executemany``.
"""
from __future__ import annotations

import io
from datetime import date, datetime

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

CHUNK = 5_000  # rows per executemany on the fallback and SQLite paths
COPY_BUFFER_ROWS = 50_000  # rows per COPY stream written at once


def bulk_insert(conn: Connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in ``conn``'s transaction."""
    if not rows:
        return
    dialect = conn.dialect
    processors = [table.c[c].type.bind_processor(dialect) for c in columns]
    if dialect.name == "postgresql":
        _copy(conn, table, columns, rows, processors)
    elif dialect.name == "sqlite":
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(columns))})'
        for start in range(0, len(rows), CHUNK):
            conn.exec_driver_sql(sql, [_bound(row, processors) for row in rows[start:start + CHUNK]])
    else:
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(table), [dict(zip(columns, row)) for row in rows[start:start + CHUNK]])


def _bound(row: tuple, processors: list) -> tuple:
    # None goes through the processor too: JSON writes it as the JSON text 'null', as insert() does.
    return tuple(value if p is None else p(value) for value, p in zip(row, processors))


def _copy(conn: Connection, table: Table, columns: list[str], rows: list[tuple], processors: list) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"COPY \"{table.name}\" ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for start in range(0, len(rows), COPY_BUFFER_ROWS):
            buffer = io.StringIO()
            for row in rows[start:start + COPY_BUFFER_ROWS]:
                buffer.write(",".join(_csv_cell(v) for v in _bound(row, processors)))
                buffer.write("\n")
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
    except conn.dialect.dbapi.Error as error:
        # As SQLAlchemy would raise it, so the importer refuses the load and rolls back as for any statement.
        raise DBAPIError.instance(sql, None, error, conn.dialect.dbapi.Error) from error
    finally:
        cursor.close()


def _csv_cell(value) -> str:
    """One CSV cell for COPY: unquoted \\N is NULL; everything else quoted, so '' and '\\N' stay text."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'
