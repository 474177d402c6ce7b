"""Benchmark: training time on the full history, ``recommend`` latency, ``recommend_all`` wall time.

    .venv/bin/python benchmarks/bench_recommend.py [--world worlds/default] [--db sqlite:///var/bench.db] [--citizens 10000]

Simulates the default world into ``--world`` when it is missing, imports it into ``--db`` when
that database has no citizens, trains the LightGBM ranker on every labelled referral, then times
``Matcher.recommend`` for random active citizens against every open opportunity (target p95 <
100 ms) and ``Matcher.recommend_all`` (target < 2 min). Prints the figures.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from matcher.db import make_engine
    from matcher.settings import get_settings

    s = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=s.world_dir)
    parser.add_argument("--db", default="sqlite:///var/bench.db")
    parser.add_argument("--citizens", type=int, default=s.sim_citizens)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--k", type=int, default=s.default_k)
    args = parser.parse_args()

    if not (args.world / "citizens.csv").exists() and not (args.world / "citizens.parquet").exists():
        from matcher.simulate import simulate_world

        t = time.perf_counter()
        simulate_world(args.world, n_citizens=args.citizens, seed=s.sim_seed)
        print(f"simulated {args.citizens} citizens into {args.world} in {time.perf_counter() - t:.1f} s")
    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(args.db)
    from matcher.world import World

    world = World.from_db(engine)
    if world.citizens.empty:
        from matcher.importer import import_folder

        t = time.perf_counter()
        import_folder(args.world, engine)
        print(f"imported {args.world} in {time.perf_counter() - t:.1f} s")
        world = World.from_db(engine)

    from matcher.features.build import build_features
    from matcher.labels import training_pairs
    from matcher.models.base import Pairs
    from matcher.models.lgbm import LightGBMRanker
    from matcher.service import Matcher, latest_date

    t = time.perf_counter()
    frame = training_pairs(world, None)
    features = build_features(world, frame)
    t_features = time.perf_counter() - t
    ranker = LightGBMRanker().fit(Pairs(frame, features, world))
    t_train = time.perf_counter() - t
    print(f"training: {len(frame)} labelled referrals, features {t_features:.1f} s, features + grid search + refit {t_train:.1f} s")
    print(f"  chosen {ranker.metadata['chosen']}")

    t = time.perf_counter()
    matcher = Matcher(world, ranker, engine)
    print(f"Matcher set-up (feature space): {time.perf_counter() - t:.2f} s")
    day = latest_date(world)
    active = world.active_citizens(day)["citizen_id"].to_numpy()
    n_open = int((matcher._open_on(day)["free_capacity"] > 0).sum())
    rng = np.random.default_rng(0)
    sample = rng.choice(active, min(args.calls, len(active)), replace=len(active) < args.calls)
    matcher.recommend(sample[0], k=args.k)  # warm-up
    times = []
    for cid in sample:
        t = time.perf_counter()
        matcher.recommend(cid, k=args.k)
        times.append((time.perf_counter() - t) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    print(f"recommend: {len(sample)} calls, {n_open} open opportunities on {day.date()}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < 100 ms)")

    t = time.perf_counter()
    everything = matcher.recommend_all(k=args.k)
    wall = time.perf_counter() - t
    print(f"recommend_all: {everything['citizen_id'].nunique()} active citizens x {n_open} open, k={args.k}: {wall:.1f} s (target < 120 s)")


if __name__ == "__main__":
    main()
