"""Loading validated tables into the database: a sync of one municipality's snapshot.

Rows are matched by key: new ones are inserted, changed ones updated, and rows that vanished
from the export are deleted unless something recorded in the app depends on them (then they
are kept, with a warning). Work history is replaced per citizen. What the app itself recorded
(referrals with ``source='app'``, outcomes with ``outcome_source='app'``) is never touched.
Everything happens in the caller's transaction, with SQLAlchemy Core, on any dialect.

An export that would remove more than a set share of a table (``import_max_shrink``) is
refused unless the caller allows it: a header-only ``referrals.csv`` or a file cut short looks
exactly like a municipality that deleted its history, and only a person can tell them apart.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from matcher.contract import TABLE_ORDER, TABLES
from matcher.db import SOURCE_APP, SOURCE_IMPORT, Base
from matcher.importer.read import FILE_PROBLEM, LIST_TYPES, problem
from matcher.importer.validate import DTYPES, member

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


def load_tables(conn: Connection, tables: dict[str, pd.DataFrame]) -> LoadResult:
    """Sync the database to the validated ``tables`` inside the open transaction ``conn``."""
    result = LoadResult({name: dict.fromkeys(COUNTS, 0) for name in TABLE_ORDER if name in tables})
    existing = {name: _read_existing(conn, name) for name in TABLE_ORDER}
    result.before = {name: len(frame) for name, frame in existing.items()}
    result.removed = dict.fromkeys(TABLE_ORDER, 0)
    for name in TABLE_ORDER:
        if name == "work_history" or name not in tables:
            continue
        _upsert(conn, name, tables[name], existing[name], result)
    if "work_history" in tables:
        _replace_work_history(conn, tables["work_history"], existing["work_history"],
                              set(tables["citizens"]["citizen_id"]), result)
    _delete_vanished(conn, tables, existing, result)
    return result


# ---- reading and converting ------------------------------------------------------------


def _db_table(name: str) -> Table:
    return Base.metadata.tables[name]


def _read_existing(conn: Connection, name: str) -> pd.DataFrame:
    table = _db_table(name)
    columns = list(TABLES[name].column_names)
    if name == "referrals":
        columns += ["source", "outcome_source"]
    if name == "work_history":
        columns.append("id")
    rows = conn.execute(select(*(table.c[c] for c in columns))).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)
    return _typed(name, frame)


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Database values in the validator's dtypes, so that both sides compare cell by cell."""
    for column in TABLES[name].columns:
        values = frame[column.name]
        if column.type in LIST_TYPES:
            frame[column.name] = values.map(lambda v: list(v) if v else None).astype(object)
        elif column.type == "date":
            frame[column.name] = pd.to_datetime(values).astype(DTYPES["date"])
        elif column.type in ("int", "float"):
            frame[column.name] = pd.to_numeric(values).astype(DTYPES[column.type])
        else:
            frame[column.name] = values.astype(DTYPES[column.type])
    return frame


def _natives(series: pd.Series) -> list:
    """A column as plain Python values (None when missing), which every DB driver accepts."""
    if series.dtype.kind == "M":
        series = series.dt.date
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


def _records(frame: pd.DataFrame, columns: list[str], extra: dict | None = None, prefix: str = "") -> list[dict]:
    names = [prefix + c for c in columns]
    rows = zip(*(_natives(frame[c]) for c in columns))
    if extra:
        return [{**dict(zip(names, row)), **extra} for row in rows]
    return [dict(zip(names, row)) for row in rows]


def _executemany(conn: Connection, statement, records: list[dict]) -> None:
    for start in range(0, len(records), CHUNK):
        conn.execute(statement, records[start:start + CHUNK])


def _delete_keys(conn: Connection, name: str, column: str, keys) -> None:
    table, keys = _db_table(name), list(keys)
    for start in range(0, len(keys), IN_CHUNK):
        conn.execute(delete(table).where(table.c[column].in_(keys[start:start + IN_CHUNK])))


def _differs(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Cell by cell: True where the values differ (two missing values are equal)."""
    old, new = old.reset_index(drop=True), new.reset_index(drop=True)
    if old.dtype == object or new.dtype == object:
        old, new = old.map(json.dumps), new.map(json.dumps)
    same = (old == new).fillna(False).to_numpy(dtype=bool)
    return ~(same | (old.isna() & new.isna()).to_numpy(dtype=bool))


# ---- keyed tables --------------------------------------------------------------------


def _upsert(conn: Connection, name: str, new: pd.DataFrame, old: pd.DataFrame, result: LoadResult) -> None:
    spec, table, counts = TABLES[name], _db_table(name), result.counts[name]
    key, columns = spec.key, list(spec.column_names)
    if name == "referrals":
        app_rows = old.loc[old["source"] == SOURCE_APP, key]
        clash = member(new[key], app_rows)
        if clash.any():
            result.warnings.append(
                f"referrals: {int(clash.sum())} referral id(s) in the export belong to proposals recorded "
                f"in the app and were left as the app has them: {_ids(new.loc[clash, key])}"
            )
            counts["kept"] += int(clash.sum())
            new = new[~clash]
    new = new.set_index(key, drop=False)
    old = old.set_index(key, drop=False)
    common = new.index[member(new.index, old.index)]
    fresh = new[~member(new.index, old.index)]

    extra = {"source": SOURCE_IMPORT} if name == "referrals" else None
    _executemany(conn, insert(table), _records(fresh, columns, extra))
    counts["inserted"] += len(fresh)

    # Outcomes entered in the app are the app's: the export may neither change nor compare them.
    if name == "referrals":
        guarded = (old.loc[common, "outcome_source"] == SOURCE_APP).fillna(False).to_numpy()
    else:
        guarded = np.zeros(len(common), dtype=bool)
    changed = np.zeros(len(common), dtype=bool)
    for column in columns:
        differs = _differs(old.loc[common, column], new.loc[common, column])
        changed |= differs & ~guarded if column in APP_OUTCOME else differs
    if name == "referrals" and guarded.any():
        disagree = _differs(old.loc[common, "outcome"], new.loc[common, "outcome"]) & guarded
        if disagree.any():
            result.warnings.append(
                f"referrals: {int(disagree.sum())} outcome(s) entered in the app differ from the export; "
                f"the app's are kept: {_ids(common[disagree])}"
            )
    for protect in (False, True):
        rows = new.loc[common[changed & (guarded == protect)]]
        if rows.empty:
            continue
        values = [c for c in columns if c != key and not (protect and c in APP_OUTCOME)]
        statement = (
            update(table)
            .where(table.c[key] == bindparam("k_" + key))
            .values({c: bindparam("v_" + c) for c in values})
        )
        records = _records(rows, values, prefix="v_")
        for record, k in zip(records, rows[key].tolist()):
            record["k_" + key] = k
        _executemany(conn, statement, records)
    counts["updated"] += int(changed.sum())
    counts["unchanged"] += int(len(common) - changed.sum())


def _ids(values) -> str:
    values = list(values)
    shown = ", ".join(map(str, values[:SHOWN_IDS]))
    return shown + (f" and {len(values) - SHOWN_IDS} more" if len(values) > SHOWN_IDS else "")


# ---- work history ----------------------------------------------------------------------


def _signature(frame: pd.DataFrame) -> pd.DataFrame:
    """Per citizen, an order-free fingerprint of their work history rows (hash sum and count)."""
    columns = list(TABLES["work_history"].column_names)
    text = frame[columns[0]].astype(str)
    for column in columns[1:]:
        values = frame[column]
        values = values.dt.strftime("%Y-%m-%d") if values.dtype.kind == "M" else values
        text = text + "\x1f" + values.astype(str)
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy()
    return (
        pd.DataFrame({"citizen_id": frame["citizen_id"].to_numpy(), "h": hashed, "n": 1})
        .groupby("citizen_id")
        .agg(h=("h", "sum"), n=("n", "sum"))
    )


def _replace_work_history(conn: Connection, new: pd.DataFrame, old: pd.DataFrame, citizens: set, result: LoadResult) -> None:
    """Each exported citizen's work history becomes the export's; unchanged ones are left alone."""
    counts = result.counts["work_history"]
    old = old[member(old["citizen_id"], list(citizens))]
    both = _signature(old).join(_signature(new), how="outer", suffixes=("_old", "_new"))
    same = (both["h_old"] == both["h_new"]) & (both["n_old"] == both["n_new"])
    changed = set(both.index[~same.fillna(False)])
    stale = old[member(old["citizen_id"], list(changed))]
    fresh = new[member(new["citizen_id"], list(changed))]
    _delete_keys(conn, "work_history", "id", stale["id"].tolist())
    _executemany(conn, insert(_db_table("work_history")), _records(fresh, list(TABLES["work_history"].column_names)))
    counts["deleted"] += len(stale)
    result.removed["work_history"] += int((both["n_old"].fillna(0) - both["n_new"].fillna(0)).clip(lower=0).sum())
    counts["inserted"] += len(fresh)
    counts["unchanged"] += int(len(new) - len(fresh))


# ---- rows that vanished from the export --------------------------------------------------


def _delete_vanished(conn: Connection, tables: dict[str, pd.DataFrame], existing: dict[str, pd.DataFrame], result: LoadResult) -> None:
    """Delete imported rows missing from the export, children first, unless the app depends on them."""
    def vanished(name: str) -> pd.DataFrame:
        old = existing[name]
        return old[~member(old[TABLES[name].key], tables[name][TABLES[name].key])]

    referrals = vanished("referrals")
    app_owned = referrals["source"] == SOURCE_APP
    app_outcome = ~app_owned & (referrals["outcome_source"] == SOURCE_APP).fillna(False)
    # Every referral that stays as it is in the database protects what it refers to.
    staying = pd.concat([
        existing["referrals"][existing["referrals"]["source"] == SOURCE_APP],
        referrals[app_outcome],
    ])
    _note_kept(result, "referrals", referrals.loc[app_outcome, "referral_id"],
               "they carry an outcome entered in the app")
    _remove(conn, "referrals", referrals.loc[~app_owned & ~app_outcome, "referral_id"], result)

    opportunities = vanished("opportunities")
    keep = member(opportunities["opportunity_id"], staying["opportunity_id"])
    _note_kept(result, "opportunities", opportunities.loc[keep, "opportunity_id"], "referrals recorded in the app refer to them")
    _remove(conn, "opportunities", opportunities.loc[~keep, "opportunity_id"], result)

    employers = vanished("employers")
    keep = member(employers["employer_id"], opportunities.loc[keep, "employer_id"])
    _note_kept(result, "employers", employers.loc[keep, "employer_id"], "kept opportunities refer to them")
    _remove(conn, "employers", employers.loc[~keep, "employer_id"], result)

    citizens = vanished("citizens")
    keep = member(citizens["citizen_id"], staying["citizen_id"])
    _note_kept(result, "citizens", citizens.loc[keep, "citizen_id"], "referrals recorded in the app refer to them")
    gone = citizens.loc[~keep, "citizen_id"]
    history = existing["work_history"]
    stale = history.loc[member(history["citizen_id"], gone), "id"]
    _delete_keys(conn, "work_history", "id", stale.tolist())
    if "work_history" in result.counts:
        result.counts["work_history"]["deleted"] += len(stale)
    result.removed["work_history"] += len(stale)
    _remove(conn, "citizens", gone, result)

    caseworkers = vanished("caseworkers")
    users = _db_table("users")
    signed_up = [r[0] for r in conn.execute(select(users.c.caseworker_id).where(users.c.caseworker_id.is_not(None)))]
    needed = pd.concat([staying["caseworker_id"], citizens.loc[keep, "caseworker_id"], pd.Series(signed_up, dtype=object)])
    keep = member(caseworkers["caseworker_id"], needed)
    _note_kept(result, "caseworkers", caseworkers.loc[keep, "caseworker_id"],
               "app accounts, kept citizens or referrals recorded in the app refer to them")
    _remove(conn, "caseworkers", caseworkers.loc[~keep, "caseworker_id"], result)


def _remove(conn: Connection, name: str, keys: pd.Series, result: LoadResult) -> None:
    _delete_keys(conn, name, TABLES[name].key, keys.tolist())
    result.counts[name]["deleted"] += len(keys)
    result.removed[name] += len(keys)


def _note_kept(result: LoadResult, name: str, keys: pd.Series, why: str) -> None:
    if len(keys):
        result.counts[name]["kept"] += len(keys)
        result.warnings.append(
            f"{name}: {len(keys)} row(s) no longer in the export were kept because {why}: {_ids(keys)}"
        )
