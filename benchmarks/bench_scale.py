"""Benchmark: two stages and Dask, on the default world and on a national one.

    python benchmarks/bench_scale.py --default-db sqlite:///matcher.db --default-world worlds/default \
        [--national-db sqlite:///national.db] [--sample 1000] [--calls 200]

Needs a trained champion (``MATCHER_MLFLOW_TRACKING_URI``); the national world is scored with
the same champion (features do not depend on the world). Prints:
- retrieval on the default world: recall of the full-scoring top 10 among the candidates and the
  oracle ratio lost (truth from ``--default-world``/_truth), at the configured budget and smaller ones;
- the default world's batch (``recommend --all``) in one process and on a 2-worker LocalCluster;
- ``recommend`` p50/p95 for one citizen (warm index) on each world;
- with ``--national-db``: retrieval recall on a sample (no truth there), the national batch with
  1 and 2 workers (wall time, peak memory per worker, speed-up).
Goals (issue 12): recall >= 0.98, oracle loss <= 0.005, national batch < 30 min with < 4 GB per
worker, default batch < 30 s, p95 < 50 ms.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _peak_rss_gb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _latency(matcher, citizens: np.ndarray, calls: int, seed: int) -> str:
    """p50/p95 of ``recommend`` in wall time, and in this process's CPU time (what a call costs
    when the machine is not shared: other work on a loaded machine inflates wall time only)."""
    day = matcher._date(None)
    matcher.retrieval(day)
    picks = np.random.default_rng(seed).choice(citizens, min(calls, len(citizens)), replace=False)
    matcher.recommend(picks[0])
    wall, cpu = [], []
    for cid in picks:
        t, c = time.perf_counter(), time.process_time()
        matcher.recommend(cid)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    w, p = np.percentile(wall, [50, 95]) * 1000, np.percentile(cpu, [50, 95]) * 1000
    return (f"recommend (one citizen, warm index), {len(picks)} calls: wall p50 {w[0]:.1f} ms, p95 {w[1]:.1f} ms; "
            f"CPU p50 {p[0]:.1f} ms, p95 {p[1]:.1f} ms (target p95 < 50 ms)")


def _load(url: str):
    from matcher.db import make_engine
    from matcher.service import Matcher

    t = time.perf_counter()
    matcher = Matcher.load(make_engine(url))
    return matcher, time.perf_counter() - t


def _batch_on(matcher, workers: int, citizens=None) -> tuple[pd.DataFrame, float, float, list[float]]:
    from matcher.cluster import dask_client, recommend_all_on

    t = time.perf_counter()
    with dask_client(workers=workers) as client:
        started = time.perf_counter() - t
        t = time.perf_counter()
        frame = recommend_all_on(client, matcher, citizens=citizens)
        wall = time.perf_counter() - t
        peaks = sorted(client.run(_peak_rss_gb).values())
    return frame, wall, started, peaks


def main() -> None:
    from matcher.retrieval import RetrievalIndex, retrieval_quality
    from matcher.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--default-db", default="sqlite:///matcher.db")
    parser.add_argument("--default-world", default=str(get_settings().world_dir))
    parser.add_argument("--national-db", default=None)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--national-sample", type=int, default=300, help="Citizens for the national retrieval recall")
    parser.add_argument("--national-batch", type=int, default=None,
                        help="Score only this many sampled active citizens in the national batch; the full batch's time is extrapolated (said so)")
    args = parser.parse_args()
    budget = get_settings().retrieval.candidates
    print(f"load average at start: {os.getloadavg()[0]:.1f} (this machine has {os.cpu_count()} cores)", flush=True)

    if not args.skip_default:
        from matcher.simulate.truth import Truth

        matcher, loaded = _load(args.default_db)
        day = matcher._date(None)
        active = matcher.world.active_citizens(day)["citizen_id"].to_numpy()
        sample = np.random.default_rng(1).choice(active, min(args.sample, len(active)), replace=False)
        truth = Truth.load(args.default_world)
        print(f"default world: {len(active):,} active citizens, {len(matcher._open_on(day)):,} suggestable places on {day.date()} (loaded in {loaded:.1f} s)")
        for n in sorted({budget, 200, 150, 100}, reverse=True):
            os.environ["MATCHER_RETRIEVAL__CANDIDATES"] = str(n)
            get_settings.cache_clear()
            matcher._index[day] = RetrievalIndex(matcher.space, matcher._open_on(day), matcher.world.referrals, day)
            q = retrieval_quality(matcher, day, sample, success=truth.success_probability)
            mark = "  <- configured" if n == budget else ""
            print(f"  retrieval budget {n}: {q['candidates']:.0f} candidates a citizen, recall@10 {q['recall']:.4f}, "
                  f"oracle ratio@10 {q['oracle_full']:.4f} full vs {q['oracle_retrieved']:.4f} retrieved, loss {q['oracle_loss']:.4f}{mark}", flush=True)
        os.environ.pop("MATCHER_RETRIEVAL__CANDIDATES")
        get_settings.cache_clear()
        matcher._index.clear()

        t, c = time.perf_counter(), time.process_time()
        local = matcher.recommend_all()
        single, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"  batch, one process: {single:.1f} s wall, {cpu:.1f} s CPU ({local['citizen_id'].nunique():,} citizens)", flush=True)
        frame, wall, started, peaks = _batch_on(matcher, 2)
        same = frame.equals(local)
        print(f"  batch on a 2-worker LocalCluster: {wall:.1f} s (+ {started:.1f} s to start the cluster); "
              f"peak memory per worker {', '.join(f'{p:.2f}' for p in peaks)} GB; identical to one process: {same}")
        print("  " + _latency(matcher, active, args.calls, 2), flush=True)
        del matcher, local, frame

    if args.national_db:
        matcher, loaded = _load(args.national_db)
        day = matcher._date(None)
        active = matcher.world.active_citizens(day)["citizen_id"].to_numpy()
        t = time.perf_counter()
        index = matcher.retrieval(day)
        built = time.perf_counter() - t
        print(f"national world: {len(matcher.world.citizens):,} citizens, {len(active):,} active, {len(index):,} suggestable places "
              f"on {day.date()} (loaded in {loaded:.0f} s, retrieval index {built:.1f} s); client peak memory {_peak_rss_gb():.2f} GB")
        sample = np.random.default_rng(1).choice(active, min(args.national_sample, len(active)), replace=False)
        q = retrieval_quality(matcher, day, sample)
        print(f"  retrieval: {q['candidates']:.0f} candidates a citizen of {q['open']:.0f}, recall@10 {q['recall']:.4f} "
              f"({len(sample)} citizens; no truth, no oracle)", flush=True)
        print("  " + _latency(matcher, active, args.calls, 2), flush=True)
        walls = {}
        batch = None
        if args.national_batch and args.national_batch < len(active):
            batch = np.random.default_rng(3).choice(active, args.national_batch, replace=False)
        for workers in (1, 2):
            frame, wall, started, peaks = _batch_on(matcher, workers, batch)
            walls[workers] = wall
            done = frame["citizen_id"].nunique()
            whole = f"; all {len(active):,} active: {wall * len(active) / done:.0f} s extrapolated" if batch is not None else ""
            print(f"  batch on {workers} worker(s): {wall:.0f} s for {done:,} citizens{whole} "
                  f"(+ {started:.0f} s to start the cluster; shipping the matcher included); peak memory per worker "
                  f"{', '.join(f'{p:.2f}' for p in peaks)} GB", flush=True)
        print(f"  speed-up 1 -> 2 workers: {walls[1] / walls[2]:.2f}x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
