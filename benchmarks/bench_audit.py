"""The group audit on every truth family: worst/best group oracle ratio@10 (target ≥ 0.95).

For each family a fresh world is simulated (same size and seed), imported into its own SQLite
database, the configured LightGBM ranker is fitted on what was known at the evaluation's split
date T, and its lists on T are audited (``matcher.group_audit.run_audit``) against the truth.
Prints, per family and per headline dimension (gender, origin, district, age band), the worst
and the best group, the ratio and its 95 % bootstrap interval, and writes
``reports/audit_families.json`` (read by the model card).

    python benchmarks/bench_audit.py [--citizens 6000] [--seed 2026] [--families funnel additive interactions]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd


def main() -> None:
    from matcher.db import make_engine
    from matcher.evaluate import labelled_pairs, make_pairs, split_date
    from matcher.fairness import HEADLINE_DIMENSIONS
    from matcher.group_audit import run_audit
    from matcher.importer import import_folder
    from matcher.model_card import FAMILIES_FILE
    from matcher.models.lgbm import LightGBMRanker
    from matcher.settings import get_settings
    from matcher.simulate import simulate_world
    from matcher.simulate.truths import FAMILIES
    from matcher.world import World

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=get_settings().sim_seed)
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    args = parser.parse_args()

    target = 0.95
    rows, summary = [], {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        for family in args.families:
            t0 = time.perf_counter()
            folder = Path(tmp) / family
            simulate_world(folder, n_citizens=args.citizens, seed=args.seed, truth=family)
            engine = make_engine(f"sqlite:///{Path(tmp) / f'{family}.db'}")
            import_folder(folder, engine)
            world = World.from_db(engine)
            split = split_date(world)
            known = world.as_of(split)
            ranker = LightGBMRanker().fit(make_pairs(known, labelled_pairs(world, None, split)))
            report = run_audit(known, ranker, as_of=split, truth_dir=folder, write=False)
            head = report.ratios()
            overall = report.tables["oracle_ratio@10"].query("group == 'overall'")["value"].iloc[0]
            for _, r in head.iterrows():
                rows.append({"family": family, **r.to_dict()})
            worst = head.loc[head["ratio"].idxmin()]
            summary[family] = {"oracle_ratio": float(overall), "worst_ratio": float(worst["ratio"]),
                               "worst_ratio_lo": float(worst["ratio_lo"]), "worst_ratio_hi": float(worst["ratio_hi"]),
                               "worst_dimension": worst["dimension"], "worst_group": worst["worst"], "best_group": worst["best"],
                               "met": bool(worst["ratio"] >= target), "seconds": round(time.perf_counter() - t0)}
            engine.dispose()
            print(f"{family}: {summary[family]}", flush=True)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(f"\nworst/best group oracle ratio@10 per family and dimension ({args.citizens:,} citizens, seed {args.seed}, "
          f"split at T, {time.perf_counter() - started:.0f} s)")
    print(table[["family", "dimension", "worst", "worst_value", "best", "best_value", "ratio", "ratio_lo", "ratio_hi", "groups"]]
          .round(3).to_string(index=False))
    worst = min(s["worst_ratio"] for s in summary.values())
    print(f"\nworst over families: {worst:.3f} (target ≥ {target}: {'met' if worst >= target else 'MISSED'})")
    out = Path(get_settings().reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / FAMILIES_FILE).write_text(json.dumps(
        {"citizens": args.citizens, "seed": args.seed, "measured": date.today().isoformat(), "target": target,
         "dimensions": list(HEADLINE_DIMENSIONS), "families": summary,
         "rows": table.to_dict(orient="records")}, indent=1, default=str), encoding="utf-8")
    print(f"wrote {out / FAMILIES_FILE}")


if __name__ == "__main__":
    main()
