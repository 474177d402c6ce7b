"""``matcher import``: validate an export folder against the data contract and load it.

    summary = import_folder(Path("export/2026-03-01"), engine)

A folder with any problem is refused whole (:class:`ImportRefused`, every problem listed as
``table:row:column: what is wrong``; ``-`` for the row and column of a whole-file problem) and
the database is left exactly as it was. So is one that would remove more than
``import_max_shrink`` of a table, unless ``allow_shrink``. A good folder is loaded in one
transaction that holds the database's write lock from its first read (:mod:`matcher.importer.lock`):
a second import waits for it, and no outcome a caseworker enters meanwhile is lost. See
:mod:`matcher.importer.load` for how a newer export updates an older one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from matcher.contract import TABLE_ORDER
from matcher.db import ImportRun
from matcher.importer.load import load_tables
from matcher.importer.lock import ImportBusy, exclusive_transaction
from matcher.importer.read import FILE_PROBLEM, problem, read_export
from matcher.importer.validate import validate
from matcher.settings import get_settings
from matcher.taxonomy import load_taxonomy

__all__ = ["ImportRefused", "ImportSummary", "import_folder"]


class ImportRefused(Exception):
    """The export breaks the contract; nothing of it was loaded."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"import refused, {len(self.problems)} problem(s); nothing was loaded:\n{shown}{more}")


@dataclass
class ImportSummary:
    """What one import did: per table inserted/updated/unchanged/deleted/kept, and warnings."""

    folder: Path
    fingerprint: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines for a person: what changed in each table."""
        lines = [f"imported {self.folder} (sha256 {self.fingerprint[:12]})"]
        for table in TABLE_ORDER:
            if table not in self.counts:
                continue
            c = self.counts[table]
            total = c["inserted"] + c["updated"] + c["unchanged"]
            kept = f", {c['kept']} kept" if c["kept"] else ""
            lines.append(
                f"  {table:<14}{total:>8} rows: {c['inserted']} new, {c['updated']} changed, "
                f"{c['unchanged']} unchanged, {c['deleted']} removed{kept}"
            )
        if self.warnings:
            lines.append(f"  {len(self.warnings)} warning(s)")
        return "\n".join(lines)


def import_folder(folder: Path, engine: Engine, allow_shrink: bool = False) -> ImportSummary:
    """Validate ``folder`` and load it into ``engine``'s database in one transaction.

    Raises :class:`ImportRefused` listing every problem; the database is then unchanged. With
    ``allow_shrink`` an export may remove any share of a table (see ``import_max_shrink``).
    """
    settings = get_settings()
    folder = Path(folder)
    raw = read_export(folder)
    checked = validate(raw, load_taxonomy().uris)
    if checked.problems:
        raise ImportRefused(checked.problems)
    fingerprint = raw.fingerprint()
    try:
        with exclusive_transaction(engine, settings.import_wait_seconds, folder.resolve()) as conn:
            loaded = load_tables(conn, checked.tables)
            shrunk = [] if allow_shrink else loaded.shrink_problems(settings.import_max_shrink)
            if shrunk:
                raise ImportRefused(shrunk)  # the transaction is rolled back
            conn.execute(insert(ImportRun.__table__).values(
                source_dir=str(folder.resolve()), fingerprint=fingerprint, counts=loaded.counts,
            ))
    except ImportBusy as busy:
        raise ImportRefused([problem("-", FILE_PROBLEM, FILE_PROBLEM, str(busy))]) from None
    except DBAPIError as error:
        # Validation should make this rare; if the database still objects, the transaction is
        # rolled back and the refusal says why.
        raise ImportRefused([f"-:-:-: the database refused the load, nothing was loaded: {error.orig}"]) from error
    return ImportSummary(folder, fingerprint, loaded.counts, checked.warnings + loaded.warnings)
