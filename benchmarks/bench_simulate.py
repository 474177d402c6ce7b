"""Benchmark: simulate the default world, then time the truth on every active x open pair.

Run: .venv/bin/python benchmarks/bench_simulate.py [--citizens N] [--seed S] [--truth FAMILY] [--out DIR]
Prints wall time and peak memory (resident set) of the simulation, the calibration report,
the truth's throughput, and the learnability figures (top-10 share of the oracle).
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from matcher.settings import get_settings
from matcher.simulate import simulate_world
from matcher.simulate.learnability import candidate_pairs, ranking_ratios
from matcher.simulate.truth import Truth
from matcher.simulate.truths import DEFAULT_FAMILY, FAMILIES
from matcher.simulate.writer import read_tables


def main() -> None:
    s = get_settings()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--citizens", type=int, default=s.sim_citizens)
    ap.add_argument("--seed", type=int, default=s.sim_seed)
    ap.add_argument("--truth", choices=list(FAMILIES), default=DEFAULT_FAMILY, help="truth family")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix=f"world-{args.truth}-"))

    t0 = time.perf_counter()
    report = simulate_world(out, n_citizens=args.citizens, seed=args.seed, truth=args.truth)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(report)
    print(f"simulate_world: {wall:.1f} s wall, peak RSS {peak_mb:.0f} MB, folder {out}")

    truth = Truth.load(out)
    tables = read_tables(out)
    d = pd.Timestamp(s.sim_start) + pd.Timedelta(weeks=s.sim_weeks // 2)
    active, open_ = candidate_pairs(tables, d)
    pairs = pd.DataFrame({"citizen_id": active["citizen_id"].repeat(len(open_)).to_numpy(),
                          "opportunity_id": list(open_["opportunity_id"]) * len(active), "as_of": d})
    t0 = time.perf_counter()
    truth.success_probability(pairs)
    t = time.perf_counter() - t0
    print(f"truth: {len(pairs):,} pairs (active x open on {d.date()}) in {t:.1f} s ({len(pairs) / t / 1e6:.2f} M pairs/s)")
    for when in (d - pd.Timedelta(weeks=26), d, d + pd.Timedelta(weeks=26)):
        r = ranking_ratios(truth, tables, when, k=10)
        print(f"top-10 share of the oracle on {when.date()}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
