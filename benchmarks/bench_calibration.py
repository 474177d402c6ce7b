"""Benchmark: is the chance's interval honest? The holdout calibration (``matcher.calibration``)
of the LightGBM ranker on a simulated world, checked against the simulator's truth.

    .venv/bin/python benchmarks/bench_calibration.py [--db sqlite:///matcher.db] [--truth worlds/default]

Does what ``matcher train`` does up to the gate (same window, same holdout start, the settings'
ranker fitted on what was known before the holdout), then:

1. the table as training saves it: per bin the referrals, the mean model chance, the observed
   success rate and its 90 % interval, and the mean *true* success probability of those
   referrals (from ``_truth/``) — is the truth inside the band?
2. out of sample: the held-out citizens are split in two by a hash of their id; the table is fitted
   on half A and applied to half B: the share of B's referrals whose true probability lies in
   their interval is not the point (the band is for the rate of similar suggestions), so it prints
   the bin-level coverage on B and the mean absolute error of the model's chance and of the
   calibrated chance against the truth.

Changes no data, but opening a database adds the app's tables it lacks (``matcher.db.make_engine``):
point it at a copy of a shared database.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def bins_of(chance: np.ndarray, n_bins: int) -> np.ndarray:
    """The bin of each chance as ``calibration.fit`` cuts them (equal counts, by sorted chance)."""
    order = np.argsort(chance, kind="stable")
    out = np.empty(len(chance), dtype=int)
    for b, part in enumerate(np.array_split(order, n_bins)):
        out[part] = b
    return out


def main() -> None:
    from matcher import calibration
    from matcher.db import make_engine
    from matcher.evaluate import labelled_pairs
    from matcher.models.base import predict
    from matcher.models.lgbm import LightGBMRanker
    from matcher.settings import get_settings
    from matcher.simulate.truth import Truth
    from matcher.training import _Features, holdout_start
    from matcher.world import World

    s = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=s.db_url)
    parser.add_argument("--truth", type=Path, default=s.world_dir)
    args = parser.parse_args()

    started = time.perf_counter()
    world = World.from_db(make_engine(args.db))
    last = pd.concat([world.referrals["proposed_on"], world.referrals["outcome_on"]]).max()
    end = last + pd.Timedelta(days=1)
    window = labelled_pairs(world, None, end)
    h = holdout_start(window, s.evaluation.holdout_fraction)
    fit_frame = labelled_pairs(world, None, h)
    hold_frame = window[pd.to_datetime(window["as_of"]) >= h].reset_index(drop=True)
    ranker = LightGBMRanker()
    at_h = _Features(world.as_of(h))
    ranker.fit(at_h.pairs(fit_frame, ranker.feature_config))
    hold = at_h.pairs(hold_frame, ranker.feature_config)
    chance = predict(ranker, hold).chance
    success = hold.frame["outcome"].astype(str).isin(s.success_outcomes).to_numpy(dtype=float)
    truth = Truth.load(args.truth).success_probability(hold.frame[["citizen_id", "opportunity_id", "as_of"]])
    print(f"{len(fit_frame):,} training and {len(hold_frame):,} held-out referrals (holdout from {h.date()}); "
          f"fitted in {time.perf_counter() - started:.0f} s")

    table = calibration.fit(chance, success, source="benchmark")
    n_bins = len(table["n"])
    b = bins_of(chance, n_bins)
    point, low, high = (np.asarray(v) for v in calibration.interval(table, table["mean_chance"]))
    print(f"\n1. the table training saves ({int(table['level'] * 100)} % intervals), with the truth:\n")
    print("| bin | referrals | model chance | observed | calibrated (interval) | true probability | truth in band |")
    print("|---|---|---|---|---|---|---|")
    inside = 0
    for i in range(n_bins):
        true_rate = float(truth[b == i].mean())
        ok = low[i] <= true_rate <= high[i]
        inside += ok
        print(f"| {i + 1} | {table['n'][i]:,} | {table['mean_chance'][i]:.1%} | {table['successes'][i] / table['n'][i]:.1%} | "
              f"{point[i]:.1%} ({low[i]:.1%}–{high[i]:.1%}) | {true_rate:.1%} | {'yes' if ok else 'no'} |")
    print(f"\ntruth inside the band in {inside} of {n_bins} bins")

    half = (pd.util.hash_pandas_object(hold.frame["citizen_id"], index=False).to_numpy() % 2) == 0
    table_a = calibration.fit(chance[half], success[half])
    pb, lb, hb = calibration.interval(table_a, chance[~half])
    band_b = bins_of(chance[~half], len(table_a["n"]))
    covered = [float(lb[band_b == i].mean()) <= float(truth[~half][band_b == i].mean()) <= float(hb[band_b == i].mean())
               for i in range(len(table_a["n"]))]
    print(f"\n2. out of sample (table from half of the held-out citizens, applied to the other half, {int((~half).sum()):,} referrals):")
    print(f"   bins whose mean true probability lies in the mean band: {sum(covered)} of {len(covered)}")
    print(f"   mean |model chance − truth| {np.abs(chance[~half] - truth[~half]).mean():.4f}; "
          f"mean |calibrated − truth| {np.abs(pb - truth[~half]).mean():.4f}")
    print(f"   mean band width {np.mean(hb - lb):.1%}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
