"""Writing a simulated world: the contract's CSVs and the hidden truth in ``_truth/``."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.contract import TABLE_ORDER, TABLES


def _cell_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table's columns in contract order, formatted as the contract's CSV cells (strings)."""
    out = {}
    for col in TABLES[table].columns:
        values = frame[col.name] if col.name in frame else pd.Series([None] * len(frame), index=frame.index)
        if col.type == "date":
            dates = pd.to_datetime(values)
            cell = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), "")
        elif col.type in ("list", "list_enum", "uri_list"):
            cell = values.map(lambda v: ";".join(v) if isinstance(v, (list, tuple, np.ndarray)) else (v or ""))
        elif col.type == "bool":
            cell = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else ("true" if v else "false"))
        elif col.type == "int":
            num = pd.to_numeric(values)
            cell = num.map(lambda v: "" if pd.isna(v) else str(int(v)))
        elif col.type == "float":
            num = pd.to_numeric(values)
            cell = num.map(lambda v: "" if pd.isna(v) else repr(round(float(v), 6)))
        else:
            cell = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        out[col.name] = cell.to_numpy()
    return pd.DataFrame(out)


def write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    """One UTF-8 CSV per contract table (lists ';'-separated, booleans true/false, ISO dates)."""
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLE_ORDER:
        _cell_frame(table, tables[table]).to_csv(out / f"{table}.csv", index=False, lineterminator="\n")


def write_truth(out: Path, model: dict, citizen_latent: pd.DataFrame, employer_latent: pd.DataFrame,
                affinity: pd.DataFrame, readme: str, calibration: str) -> None:
    """The hidden truth: coefficients, latent traits, the README and the calibration report."""
    tdir = out / "_truth"
    tdir.mkdir(parents=True, exist_ok=True)
    (tdir / "model.json").write_text(json.dumps(model, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    for name, frame in (("citizen_latent", citizen_latent), ("employer_latent", employer_latent), ("affinity", affinity)):
        frame.to_parquet(tdir / f"{name}.parquet", index=False, compression="zstd")
    (tdir / "README.md").write_text(readme)
    (tdir / "calibration.txt").write_text(calibration)


def read_tables(world_dir: Path) -> dict[str, pd.DataFrame]:
    """A simulated world's CSVs back as typed frames (dates, numbers, booleans, lists)."""
    tables = {}
    for table in TABLE_ORDER:
        raw = pd.read_csv(Path(world_dir) / f"{table}.csv", dtype=str, keep_default_na=False)
        for col in TABLES[table].columns:
            if col.name not in raw:
                continue
            v = raw[col.name]
            if col.type == "date":
                raw[col.name] = pd.to_datetime(v.replace("", None))
            elif col.type in ("int", "float"):
                raw[col.name] = pd.to_numeric(v.replace("", np.nan))
            elif col.type == "bool":
                raw[col.name] = v.str.lower().map({"true": True, "false": False, "1": True, "0": False})
            elif col.type in ("list", "list_enum", "uri_list"):
                raw[col.name] = v.map(lambda s: s.split(";") if s else [])
        tables[table] = raw
    return tables
