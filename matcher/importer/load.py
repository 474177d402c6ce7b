"""Loading validated tables into the database: a sync of one municipality's snapshot.

Rows are matched by key: new ones are inserted, changed ones updated, and rows that vanished
from the export are deleted unless something recorded in the app depends on them (then they
are kept, with a warning). Work history is replaced per citizen. What the app itself recorded
(referrals with ``source='app'``, outcomes with ``outcome_source='app'``) is never touched.
Everything happens in the caller's transaction, with SQLAlchemy Core, on any dialect; rows are
compared as plain Python values (str, int, float, bool, date, list), the same on both sides.

An export that would remove more than a set share of a table (``import_max_shrink``) is
refused unless the caller allows it: a header-only ``referrals.csv`` or a file cut short looks
exactly like a municipality that deleted its history, and only a person can tell them apart.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pyarrow as pa
from sqlalchemy import Connection, Row, Table, bindparam, delete, select, update

from matcher.contract import TABLE_ORDER, TABLES
from matcher.db import SOURCE_APP, SOURCE_IMPORT, Base
from matcher.importer.bulk import bulk_insert
from matcher.importer.read import FILE_PROBLEM, problem

CHUNK = 5_000  # rows per executemany
IN_CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit
SHOWN_IDS = 10  # ids named in a warning
APP_OUTCOME = ("outcome", "outcome_on")
COUNTS = ("inserted", "updated", "unchanged", "deleted", "kept")


@dataclass
class LoadResult:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Per table: rows in the database before the load, and rows the load took away for good (a
    # work-history row replaced by the same citizen's new one is not taken away).
    before: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def shrink_problems(self, max_share: float) -> list[str]:
        """One problem per table that would lose more than ``max_share`` of its rows."""
        return [
            problem(name, FILE_PROBLEM, FILE_PROBLEM,
                    f"this export would remove {self.removed[name]:,} of the {self.before[name]:,} rows in the "
                    f"database ({self.removed[name] / self.before[name]:.0%}); more than {max_share:.0%} "
                    "(the setting import_max_shrink) is removed only with `matcher import DIR --allow-shrink`")
            for name in TABLE_ORDER
            if self.before.get(name) and self.removed.get(name, 0) / self.before[name] > max_share
        ]


def load_tables(conn: Connection, tables: dict[str, pa.Table]) -> LoadResult:
    """Sync the database to the validated ``tables`` inside the open transaction ``conn``."""
    result = LoadResult({name: dict.fromkeys(COUNTS, 0) for name in TABLE_ORDER if name in tables})
    existing = {name: _read_existing(conn, name) for name in TABLE_ORDER}
    result.before = {name: len(rows) for name, rows in existing.items()}
    result.removed = dict.fromkeys(TABLE_ORDER, 0)
    new = {name: _rows(table) for name, table in tables.items()}
    for name in TABLE_ORDER:
        if name != "work_history" and name in new:
            _upsert(conn, name, new[name], existing[name], result)
    if "work_history" in new:
        exported = {row[0] for row in new["citizens"]}
        _replace_work_history(conn, new["work_history"], existing["work_history"], exported, result)
    _delete_vanished(conn, new, existing, result)
    return result


# ---- reading and writing -------------------------------------------------------------------


def _db_table(name: str) -> Table:
    return Base.metadata.tables[name]


def _read_existing(conn: Connection, name: str) -> list[Row]:
    """The table's rows: the contract's columns first, in order, then the app's bookkeeping."""
    table = _db_table(name)
    columns = list(TABLES[name].column_names)
    if name == "referrals":
        columns += ["source", "outcome_source"]
    if name == "work_history":
        columns.append("id")
    return conn.execute(select(*(table.c[c] for c in columns))).all()


def _rows(table: pa.Table) -> list[tuple]:
    """A validated table as tuples of plain Python values, in the contract's column order."""
    return list(zip(*(column.to_pylist() for column in table.columns))) if table.num_rows else []


def _executemany(conn: Connection, statement, records: list[dict]) -> None:
    for start in range(0, len(records), CHUNK):
        conn.execute(statement, records[start:start + CHUNK])


def _insert(conn: Connection, name: str, rows: list[tuple], extra: dict | None = None) -> None:
    extra = extra or {}
    columns = list(TABLES[name].column_names) + list(extra)
    tail = tuple(extra.values())
    bulk_insert(conn, _db_table(name), columns, [row + tail for row in rows] if tail else rows)


def _delete_keys(conn: Connection, name: str, column: str, keys) -> None:
    table, keys = _db_table(name), list(keys)
    for start in range(0, len(keys), IN_CHUNK):
        conn.execute(delete(table).where(table.c[column].in_(keys[start:start + IN_CHUNK])))


# ---- keyed tables --------------------------------------------------------------------


def _upsert(conn: Connection, name: str, new: list[tuple], old_rows: list[Row], result: LoadResult) -> None:
    spec, table, counts = TABLES[name], _db_table(name), result.counts[name]
    columns = spec.column_names
    k, n = columns.index(spec.key), len(columns)
    old = {row[k]: row for row in old_rows}
    if name == "referrals":
        clash = [row[k] for row in new if row[k] in old and old[row[k]].source == SOURCE_APP]
        if clash:
            result.warnings.append(
                f"referrals: {len(clash)} referral id(s) in the export belong to proposals recorded "
                f"in the app and were left as the app has them: {_ids(clash)}"
            )
            counts["kept"] += len(clash)
            clash = set(clash)
            new = [row for row in new if row[k] not in clash]

    fresh = [row for row in new if row[k] not in old]
    _insert(conn, name, fresh, {"source": SOURCE_IMPORT} if name == "referrals" else None)
    counts["inserted"] += len(fresh)

    # Outcomes entered in the app are the app's: the export may neither change nor compare them.
    outcome = [columns.index(c) for c in APP_OUTCOME] if name == "referrals" else []
    changed: dict[bool, list[tuple]] = {False: [], True: []}
    disagree = []
    for row in new:
        before = old.get(row[k])
        if before is None:
            continue
        guarded = name == "referrals" and before.outcome_source == SOURCE_APP
        if guarded and any(row[i] != before[i] for i in outcome[:1]):
            disagree.append(row[k])
        if any(row[i] != before[i] for i in range(n) if not (guarded and i in outcome)):
            changed[guarded].append(row)
    if disagree:
        result.warnings.append(
            f"referrals: {len(disagree)} outcome(s) entered in the app differ from the export; "
            f"the app's are kept: {_ids(disagree)}"
        )
    for guarded, rows in changed.items():
        if rows:
            values = [c for c in columns if c != spec.key and not (guarded and c in APP_OUTCOME)]
            statement = (
                update(table)
                .where(table.c[spec.key] == bindparam("k_" + spec.key))
                .values({c: bindparam("v_" + c) for c in values})
            )
            records = [{"k_" + spec.key: row[k], **{"v_" + c: row[columns.index(c)] for c in values}} for row in rows]
            _executemany(conn, statement, records)
    updated = len(changed[False]) + len(changed[True])
    counts["updated"] += updated
    counts["unchanged"] += len(new) - len(fresh) - updated


def _ids(values) -> str:
    values = list(values)
    shown = ", ".join(map(str, values[:SHOWN_IDS]))
    return shown + (f" and {len(values) - SHOWN_IDS} more" if len(values) > SHOWN_IDS else "")


# ---- work history ----------------------------------------------------------------------


def _replace_work_history(conn: Connection, new: list[tuple], old: list[Row], citizens: set, result: LoadResult) -> None:
    """Each exported citizen's work history becomes the export's; unchanged ones are left alone."""
    counts = result.counts["work_history"]
    n = len(TABLES["work_history"].column_names)
    before, after = defaultdict(Counter), defaultdict(Counter)
    ids = defaultdict(list)
    for row in old:
        if row.citizen_id in citizens:
            before[row.citizen_id][tuple(row)[:n]] += 1
            ids[row.citizen_id].append(row.id)
    for row in new:
        after[row[0]][row] += 1
    changed = {c for c in before.keys() | after.keys() if before.get(c) != after.get(c)}
    stale = [i for c in changed for i in ids[c]]
    fresh = [row for row in new if row[0] in changed]
    _delete_keys(conn, "work_history", "id", stale)
    _insert(conn, "work_history", fresh)
    counts["deleted"] += len(stale)
    counts["inserted"] += len(fresh)
    counts["unchanged"] += len(new) - len(fresh)
    result.removed["work_history"] += sum(
        max(sum(before[c].values()) - sum(after[c].values()), 0) for c in changed)


# ---- rows that vanished from the export --------------------------------------------------


def _delete_vanished(conn: Connection, new: dict[str, list[tuple]], existing: dict[str, list[Row]],
                     result: LoadResult) -> None:
    """Delete imported rows missing from the export, children first, unless the app depends on them."""
    def vanished(name: str) -> list[Row]:
        key = TABLES[name].key
        k = TABLES[name].column_names.index(key)
        present = {row[k] for row in new[name]}
        return [row for row in existing[name] if getattr(row, key) not in present]

    referrals = vanished("referrals")
    app_outcome = [r for r in referrals if r.source != SOURCE_APP and r.outcome_source == SOURCE_APP]
    # Every referral that stays as it is in the database protects what it refers to.
    staying = [r for r in existing["referrals"] if r.source == SOURCE_APP] + app_outcome
    _note_kept(result, "referrals", [r.referral_id for r in app_outcome], "they carry an outcome entered in the app")
    _remove(conn, "referrals", [r.referral_id for r in referrals
                                if r.source != SOURCE_APP and r.outcome_source != SOURCE_APP], result)

    needed = {r.opportunity_id for r in staying}
    opportunities = vanished("opportunities")
    kept_opportunities = [o for o in opportunities if o.opportunity_id in needed]
    _note_kept(result, "opportunities", [o.opportunity_id for o in kept_opportunities],
               "referrals recorded in the app refer to them")
    _remove(conn, "opportunities", [o.opportunity_id for o in opportunities if o.opportunity_id not in needed], result)

    needed = {o.employer_id for o in kept_opportunities}
    employers = vanished("employers")
    _note_kept(result, "employers", [e.employer_id for e in employers if e.employer_id in needed],
               "kept opportunities refer to them")
    _remove(conn, "employers", [e.employer_id for e in employers if e.employer_id not in needed], result)

    needed = {r.citizen_id for r in staying}
    citizens = vanished("citizens")
    kept_citizens = [c for c in citizens if c.citizen_id in needed]
    _note_kept(result, "citizens", [c.citizen_id for c in kept_citizens], "referrals recorded in the app refer to them")
    gone = {c.citizen_id for c in citizens if c.citizen_id not in needed}
    stale = [h.id for h in existing["work_history"] if h.citizen_id in gone]
    _delete_keys(conn, "work_history", "id", stale)
    if "work_history" in result.counts:
        result.counts["work_history"]["deleted"] += len(stale)
    result.removed["work_history"] += len(stale)
    _remove(conn, "citizens", sorted(gone), result)

    users = _db_table("users")
    signed_up = {r[0] for r in conn.execute(select(users.c.caseworker_id).where(users.c.caseworker_id.is_not(None)))}
    needed = {r.caseworker_id for r in staying} | {c.caseworker_id for c in kept_citizens} | signed_up
    caseworkers = vanished("caseworkers")
    _note_kept(result, "caseworkers", [c.caseworker_id for c in caseworkers if c.caseworker_id in needed],
               "app accounts, kept citizens or referrals recorded in the app refer to them")
    _remove(conn, "caseworkers", [c.caseworker_id for c in caseworkers if c.caseworker_id not in needed], result)


def _remove(conn: Connection, name: str, keys: list, result: LoadResult) -> None:
    _delete_keys(conn, name, TABLES[name].key, keys)
    result.counts[name]["deleted"] += len(keys)
    result.removed[name] += len(keys)


def _note_kept(result: LoadResult, name: str, keys: list, why: str) -> None:
    if keys:
        result.counts[name]["kept"] += len(keys)
        result.warnings.append(
            f"{name}: {len(keys)} row(s) no longer in the export were kept because {why}: {_ids(keys)}"
        )
