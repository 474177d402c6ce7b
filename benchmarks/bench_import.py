"""Time ``import_folder`` on the default simulated world (10,000 citizens) into a fresh SQLite.

    .venv/bin/python benchmarks/bench_import.py [FOLDER] [--db URL]

Without FOLDER the default world is simulated into a temporary folder first (not timed).
Prints the seconds and rows per second of the first import and of a second, unchanged one.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from matcher.contract import TABLE_ORDER
from matcher.db import make_engine
from matcher.importer import import_folder
from matcher.importer.read import read_export
from matcher.importer.validate import validate
from matcher.settings import get_settings
from matcher.taxonomy import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="an export folder (default: simulate one)")
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder
        if folder is None:
            from matcher.simulate import simulate_world

            s = get_settings()
            folder = Path(scratch) / "world"
            started = time.perf_counter()
            simulate_world(folder, n_citizens=s.sim_citizens, seed=s.sim_seed)
            print(f"simulated {s.sim_citizens} citizens in {time.perf_counter() - started:.1f} s (not timed)")
        load_taxonomy()  # loaded once per process anyway; not the import's cost
        engine = make_engine(args.db or f"sqlite:///{Path(scratch) / 'bench.db'}")

        started = time.perf_counter()
        checked = validate(read_export(folder), load_taxonomy().uris)
        validated = time.perf_counter() - started
        assert not checked.problems, checked.problems[:10]
        rows = sum(len(checked.tables[t]) for t in TABLE_ORDER if t in checked.tables)
        print(f"read + validate: {validated:.2f} s, {rows / validated:,.0f} rows/s")

        for label in ("first import (all new)", "second import (unchanged)"):
            started = time.perf_counter()
            summary = import_folder(folder, engine)
            seconds = time.perf_counter() - started
            print(f"{label}: {rows:,} rows in {seconds:.2f} s, {rows / seconds:,.0f} rows/s")
        print(summary.describe())


if __name__ == "__main__":
    main()
