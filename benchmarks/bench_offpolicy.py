"""Benchmark: does the off-policy estimate from the logs track the true oracle ratio? (issue 7, item 4)

    .venv/bin/python benchmarks/bench_offpolicy.py [--citizens 4000] [--seed 2026] [--families funnel additive interactions]
                                                   [--work DIR]

For each truth family a world is simulated and imported (kept in ``--work`` to be reused), split as
``matcher evaluate`` splits it, and several rankers are fitted before the split. Each is measured
twice: by the simulator's truth (oracle ratio@10 by its bare score, the sampled citizens at T, as
``matcher evaluate`` reports it; and the true value and ratio at the logged meetings the estimate
uses) and from the logs alone (``matcher.offpolicy``: IPS, SNIPS, DR with 95 % intervals, and the
estimated oracle ratio). Prints the gap and whether the two orders of the rankers agree; writes
``reports/offpolicy.md``.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _world(work: Path, family: str, citizens: int, seed: int):
    from matcher.db import make_engine
    from matcher.importer import import_folder
    from matcher.simulate import simulate_world

    folder, db = work / f"{family}-{citizens}-{seed}", work / f"{family}-{citizens}-{seed}.db"
    if not (folder / "_truth").is_dir() or not db.exists():
        simulate_world(folder, n_citizens=citizens, seed=seed, truth=family)
        db.unlink(missing_ok=True)
        import_folder(folder, make_engine(f"sqlite:///{db}"))
    return folder, make_engine(f"sqlite:///{db}")


def _rankers():
    from matcher.models.baselines import CaseworkerRuleRanker, EmbeddingRanker, LogisticRanker, PopularityRanker, RandomRanker
    from matcher.models.lgbm import LightGBMRanker

    return [LightGBMRanker(), LogisticRanker(), CaseworkerRuleRanker(), EmbeddingRanker(), PopularityRanker(), RandomRanker()]


def _true_at_meetings(ope, truth, scores, k):
    """The truth's value per meeting of the top k by ``scores`` at the logged meetings, and its ratio to the best."""
    from matcher import metrics

    frame = ope.pairs.frame[["meeting"]].assign(query_id=ope.pairs.frame["meeting"], score=scores, probability=truth)
    top = metrics.rank_within(frame["query_id"], scores, ope.seed) <= k
    value = float(truth[top].sum() / frame["meeting"].nunique())
    return value, metrics.oracle_ratio_at_k(frame, k, ope.seed)


def run_family(family: str, citizens: int, seed: int, work: Path, k: int = 10):
    import numpy as np
    import pandas as pd

    from matcher import metrics
    from matcher.evaluate import _TruthSet, labelled_pairs, make_pairs, split_date
    from matcher.features.build import FeatureSpace
    from matcher.models.base import predict
    from matcher.offpolicy import OffPolicy
    from matcher.settings import get_settings
    from matcher.simulate.truth import Truth
    from matcher.world import World

    t0 = time.perf_counter()
    folder, engine = _world(work, family, citizens, seed)
    world = World.from_db(engine)
    split = split_date(world)
    known = world.as_of(split)
    space = FeatureSpace.of(known)
    train = make_pairs(known, labelled_pairs(world, None, split), space)
    end = world.referrals["proposed_on"].max() + pd.Timedelta(days=1)
    t_world = time.perf_counter() - t0
    t0 = time.perf_counter()
    ope = OffPolicy.from_log(world, split, end, space=space)
    t_ope = time.perf_counter() - t0
    truth_set = _TruthSet(known, split, folder, space)
    at_meetings = Truth.load(folder).success_probability(ope.pairs.frame[["citizen_id", "opportunity_id", "as_of"]])
    rows = {}
    for ranker in _rankers():
        ranker.fit(train)
        true_scored = truth_set.pairs.frame.assign(score=predict(ranker, truth_set.pairs).score, probability=truth_set.probability)
        scores = predict(ranker, ope.pairs).score
        est = ope.estimate(scores, k)
        value, ratio_m = _true_at_meetings(ope, at_meetings, scores, k)
        rows[ranker.name] = {
            f"true_oracle@{k}": metrics.oracle_ratio_at_k(true_scored, k, get_settings().evaluation.seed),
            f"true_ratio_meetings@{k}": ratio_m, "true_value": value,
            "dm": est.value["dm"], "ips": est.value["ips"], "snips": est.value["snips"], "dr": est.value["dr"],
            "dr_lo": est.ci["dr"][0], "dr_hi": est.ci["dr"][1],
            "est_ratio": est.ratio, "ratio_lo": est.ratio_ci[0], "ratio_hi": est.ratio_ci[1],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["gap"] = table["est_ratio"] - table[f"true_oracle@{k}"]
    # The estimators' error in oracle-ratio units: over the best possible top k's value at the meetings.
    best_value, _ = _true_at_meetings(ope, at_meetings, at_meetings, k)
    for name in ("dm", "ips", "snips", "dr"):
        table[f"{name}_error"] = (table[name] - table["true_value"]) / best_value
    greedy_value, greedy_ratio = _true_at_meetings(ope, at_meetings, ope.greedy_scores(), k)
    est_order = list(table["est_ratio"].sort_values(ascending=False).index)
    true_order = list(table[f"true_oracle@{k}"].sort_values(ascending=False).index)
    tau = table["est_ratio"].corr(table[f"true_oracle@{k}"], method="kendall")
    info = {
        "meetings": int(ope.pairs.frame["meeting"].nunique()), "pairs": len(ope.pairs),
        "logged_success_per_meeting": float(ope.pairs.frame["reward"].sum() / ope.pairs.frame["meeting"].nunique()),
        "greedy_true_value": greedy_value, "greedy_true_ratio_meetings": greedy_ratio,
        "same_order": est_order == true_order, "kendall_tau": float(tau),
        "est_order": est_order, "true_order": true_order,
        "seconds_world": t_world, "seconds_ope_setup": t_ope, "seconds_total": time.perf_counter() - t0 + t_world,
        "choice_converged": ope.choice.converged_,
        "mean_candidates": float(len(ope.pairs) / ope.pairs.frame["meeting"].nunique()),
        "max_gap": float(np.abs(table["gap"]).max()),
        "max_dr_error": float(np.abs(table["dr_error"]).max()), "best_value": best_value,
    }
    return table, info


def markdown(results: dict, citizens: int, seed: int, k: int, command: str) -> str:
    from matcher.evaluate import _markdown_table

    lines = [
        "# Off-policy estimate against the truth (issue 7, item 4)",
        "",
        f"`{command}` — {citizens:,} citizens per world, seed {seed}, one world per truth family, top {k}.",
        "",
        f"- `true_oracle@{k}`: the simulator's oracle ratio@{k} by the bare score (sampled citizens active at the split T, as `matcher evaluate` reports `oracle_ratio@{k}`);",
        f"- `true_ratio_meetings@{k}`, `true_value`: the truth at the logged meetings the estimate uses (value: expected successes per meeting in the top {k});",
        "- `dm` (the reward model alone), `ips`, `snips`, `dr` (`dr_lo`–`dr_hi`: 95 % bootstrap interval over citizens): the estimates of `true_value` from the logs alone;",
        "- `est_ratio` (`ratio_lo`–`ratio_hi`): DR of the ranker over DR of the reward model's own greedy top k (the estimated oracle ratio);",
        f"- `gap` = est_ratio − true_oracle@{k} (goal: within ±0.05);",
        f"- `dm_error`, `ips_error`, `snips_error`, `dr_error` = (estimate − true_value) / the best possible top {k}'s true value at the same "
        "meetings: each estimator's error in oracle-ratio units (the ratio the estimate would give with the true best as denominator).",
        "",
        "| family | max abs gap of est_ratio | max abs dr_error | order of rankers agrees | Kendall tau | meetings | candidates per meeting |",
        "|---|---|---|---|---|---|---|",
    ]
    for family, (table, info) in results.items():
        lines.append(f"| {family} | {info['max_gap']:.3f} {'(met)' if info['max_gap'] <= 0.05 else '(**missed**)'} | "
                     f"{info['max_dr_error']:.3f} {'(met)' if info['max_dr_error'] <= 0.05 else '(**missed**)'} | "
                     f"{'yes' if info['same_order'] else '**no**'} | {info['kendall_tau']:.2f} | {info['meetings']:,} | {info['mean_candidates']:.0f} |")
    lines.append("")
    for family, (table, info) in results.items():
        lines += [f"## Family `{family}`", "", _markdown_table(table.round(4)), "",
                  f"- order by the estimate: {', '.join(info['est_order'])}",
                  f"- order by the truth: {', '.join(info['true_order'])}",
                  f"- logged successes per meeting: {info['logged_success_per_meeting']:.3f}; the reward model's greedy top {k}: "
                  f"true value {info['greedy_true_value']:.3f}, true ratio at the meetings {info['greedy_true_ratio_meetings']:.3f} "
                  "(the estimated ratio's denominator falls short of the best possible by this much)",
                  f"- {info['pairs']:,} candidate pairs; setup of the estimate {info['seconds_ope_setup']:.0f} s; "
                  f"family total {info['seconds_total']:.0f} s; choice model converged: {info['choice_converged']}", ""]
    return "\n".join(lines)


def main() -> int:
    import sys
    import tempfile

    from matcher.settings import get_settings
    from matcher.simulate.truths import FAMILIES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--work", type=Path, default=None, help="keep the simulated worlds and databases here")
    args = parser.parse_args()
    k = get_settings().offpolicy.k
    work = args.work or Path(tempfile.mkdtemp(prefix="matcher-offpolicy-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    for family in args.families:
        table, info = run_family(family, args.citizens, args.seed, work, k)
        results[family] = (table, info)
        print(f"\n== {family}: {info['meetings']:,} meetings, {info['seconds_total']:.0f} s")
        print(table.round(3).to_string())
        print(f"max |gap| {info['max_gap']:.3f} ({'met' if info['max_gap'] <= 0.05 else 'MISSED'} ±0.05); "
              f"max |dr_error| {info['max_dr_error']:.3f}; "
              f"same order: {info['same_order']}; Kendall tau {info['kendall_tau']:.2f}", flush=True)
    out = Path(get_settings().reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/bench_offpolicy.py " + " ".join(sys.argv[1:])
    (out / "offpolicy.md").write_text(markdown(results, args.citizens, args.seed, k, command.strip()), encoding="utf-8")
    print(f"report: {out / 'offpolicy.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
