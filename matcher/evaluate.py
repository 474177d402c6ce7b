"""The LightGBM ranker against its peers on a time split, as one report.

At the split date T every ranker is trained on the referrals proposed before T with the outcomes
known before T, and tested two ways:

* logged: the referrals proposed on or after T with a recorded outcome, ranked within each query
  (citizen × proposal date): NDCG@5, NDCG@10, MAP@10, recall@10;
* against the simulator's truth (a simulated world's ``_truth/``): for a seeded sample of citizens
  active at T, every opportunity open at T with free capacity and not yet proposed to them; each
  model's top k is worth the truth's expected successes, divided by the best possible top k's
  (oracle ratio@k, by the model's bare score); ``served_oracle@10`` is the same for the list the
  service actually shows (``matcher.ranking``: no near-duplicates, diversity where scores are
  close) and ``hard_rules_oracle@10`` for that list with every stated limit switched on as a hard
  rule; coverage@10 is the share of sampled citizens with at least ``min_feasible_suggestions``
  feasible opportunities in the served top 10. Two trade-off tables go with the configured
  LightGBM ranker: expected successes and declines per citizen for each wish weight of the
  expected-surplus index, and the oracle ratio and kind mix for each diversity penalty.

From the logs alone (no truth needed, so also on a municipality's data): the off-policy estimate
(``matcher.offpolicy``) of each model's expected successes per logged test meeting in its top 10 by
score over every open opportunity (``ope_dm@10``, ``ope_ips@10``, ``ope_snips@10``, ``ope_dr@10`` with its 95 %
interval), and the estimated oracle ratio ``ope_ratio@10`` to set next to ``oracle_ratio@10``.

Everything the models see is the world as known at T. ``run_families`` runs the whole evaluation
on a fresh simulated world of every truth family and reports each and the worst case.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher import metrics
from matcher.models.base import Pairs, Ranker
from matcher.models.baselines import success_gain
from matcher.settings import get_settings
from matcher.world import World

KS = (5, 10)


# ---- the split and the data ----------------------------------------------------------------


def split_date(world: World, fraction: float | None = None) -> pd.Timestamp:
    """The date at ``fraction`` of the referral history (by proposal date)."""
    fraction = get_settings().evaluation.split_fraction if fraction is None else fraction
    proposed = world.referrals["proposed_on"].dropna()
    if proposed.empty:
        raise ValueError("evaluation: the database holds no referrals; import a folder with a referral history first")
    return pd.Timestamp(proposed.quantile(fraction)).normalize()


def data_fingerprint(world: World) -> str:
    """A short hash of every table's content: the same data, the same fingerprint."""
    digest = hashlib.sha256()
    for name in ("citizens", "work_history", "employers", "opportunities", "referrals"):
        frame = getattr(world, name)
        # List cells do not hash; their text form does, and is just as distinctive.
        frame = frame.apply(lambda col: col.map(str) if col.dtype == object else col)
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def all_rankers() -> list[Ranker]:
    """The LightGBM ranker (configured structure) first, its other structures, then every peer."""
    from matcher.models.als import ALSRanker
    from matcher.models.baselines import (
        CaseworkerRuleRanker,
        EmbeddingRanker,
        LogisticRanker,
        PopularityRanker,
        RandomRanker,
    )
    from matcher.models.lgbm import LightGBMRanker
    from matcher.models.lightfm_peer import LightFMRanker

    from matcher.models.lgbm import STRUCTURES

    configured = get_settings().ranker.structure
    return [
        LightGBMRanker(),
        *(LightGBMRanker(structure=s) for s in STRUCTURES if s != configured),
        RandomRanker(),
        PopularityRanker(),
        CaseworkerRuleRanker(),
        EmbeddingRanker(),
        LogisticRanker(),
        LightFMRanker(),
        ALSRanker(),
    ]


def labelled_pairs(world: World, start: pd.Timestamp | None, end: pd.Timestamp) -> pd.DataFrame:
    """Referrals proposed in [start, end) with an outcome known before ``end``, as labelled pairs."""
    from matcher.labels import training_pairs

    frame = training_pairs(world, end)
    if start is not None:
        frame = frame[pd.to_datetime(frame["as_of"]) >= start]
    return frame.reset_index(drop=True)


def make_pairs(world: World, frame: pd.DataFrame, space=None) -> Pairs:
    """Pairs with their feature matrix built from ``world`` (the world as known at the cutoff)."""
    from matcher.features.build import build_features

    return Pairs(frame.reset_index(drop=True), build_features(world, frame.reset_index(drop=True), space=space), world)


def truth_candidates(world: World, at: pd.Timestamp, n_citizens: int, seed: int) -> pd.DataFrame:
    """A seeded sample of citizens active at ``at`` × every opportunity suggestable to each then
    (open, free capacity, not already proposed to them: the candidates module's rule)."""
    from matcher.features.candidates import candidate_pairs, suggestable

    active = world.active_citizens(at)["citizen_id"]
    sample = active.sample(n=min(n_citizens, len(active)), random_state=seed).sort_values()
    frame = candidate_pairs(world, sample.to_numpy(), suggestable(world, at)["opportunity_id"].to_numpy(), at)
    frame["query_id"] = frame["citizen_id"]
    return frame


def open_set_pairs(world: World, test: pd.DataFrame, n_queries: int, seed: int) -> pd.DataFrame:
    """Each sampled test query's logged referral among every opportunity suggestable then.

    A query's logged referral keeps its gain; the other candidates (open on the proposal date
    with free capacity, not proposed to the citizen before, as known in ``world``) get gain 0:
    whether they would have worked is unknown, so this metric under-credits a model that finds
    good opportunities nobody proposed. Only queries with a positive gain are sampled (the others
    cannot be ranked right or wrong).
    """
    from matcher.features.candidates import candidate_pairs, suggestable

    positive = test.loc[test["gain"] > 0, "query_id"].drop_duplicates()
    chosen = positive.sample(n=min(n_queries, len(positive)), random_state=seed)
    logged = test[test["query_id"].isin(chosen)]
    parts = []
    # One candidate set per proposal date (a loop over dates, not over pairs).
    for day, group in logged.groupby("as_of"):
        cand = candidate_pairs(world, group["citizen_id"].unique(), suggestable(world, day)["opportunity_id"].to_numpy(), day)
        parts.append(cand)
    candidates = pd.concat(parts, ignore_index=True)
    candidates["query_id"] = candidates["citizen_id"] + "|" + pd.to_datetime(candidates["as_of"]).dt.strftime("%Y-%m-%d")
    candidates["gain"] = 0
    logged = logged[["citizen_id", "opportunity_id", "as_of", "gain", "query_id"]]
    frame = pd.concat([logged, candidates[logged.columns]], ignore_index=True)
    return frame.drop_duplicates(["query_id", "opportunity_id"], keep="first").reset_index(drop=True)


# ---- the report ----------------------------------------------------------------------------


@dataclass
class EvaluationReport:
    """Every model side by side from one run, with the split, sizes and provenance."""

    split: date
    table: pd.DataFrame
    curves: pd.DataFrame
    sizes: dict[str, int]
    fingerprint: str
    seeds: dict[str, int]
    wall_seconds: float
    report_path: Path | None = None
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Named trade-off tables of the configured LightGBM ranker (simulated worlds only).
    tradeoffs: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth_family: str | None = None

    def markdown(self) -> str:
        """The report as Markdown (what ``reports/evaluation.md`` holds)."""
        lines = [
            "# Evaluation: LightGBM ranker against its peers",
            "",
            f"- split date T: **{self.split.isoformat()}** (train: proposed before T, outcomes known before T; "
            "test: proposed on/after T)",
            f"- data fingerprint: `{self.fingerprint}`"
            + (f"; simulated truth family: **{self.truth_family}**" if self.truth_family else ""),
            "- seeds: " + ", ".join(f"{k}={v}" for k, v in self.seeds.items()),
            "- sizes: " + ", ".join(f"{k}={v:,}" for k, v in self.sizes.items()),
            f"- wall time of the run: {self.wall_seconds:.0f} s",
            "",
            "## Results",
            "",
            _markdown_table(self.table),
            "",
            "Logged metrics rank each test query's logged referrals (gain: "
            + ", ".join(f"{k}={v}" for k, v in get_settings().gains.items())
            + "; relevant for MAP/recall: a success). Queries without a relevant referral are left out. "
            "Oracle ratio@k = expected successes (simulator's truth) of the model's top k over the best "
            "possible top k, summed over the sampled citizens; served_oracle@10: of the list the service shows "
            "(no near-duplicates, diversity where scores are close); hard_rules_oracle@10: of that list with "
            "every stated limit (licence, hours, commute, Danish) as a hard rule. citizen_ndcg@10: all of a citizen's logged test referrals "
            "ranked together (one query per citizen, as the training gate does). open_ndcg@10 / open_recall@10: each sampled test query's "
            "logged referral ranked among every opportunity suggestable on its date (others count as gain 0). "
            "Coverage@10 = share of sampled citizens with "
            f"at least {get_settings().min_feasible_suggestions} feasible opportunities in the model's top 10.",
            "",
        ]
        for title, frame in self.tradeoffs.items():
            lines += [f"## {title}", "", _markdown_table(frame), ""]
        if self.plots:
            lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in self.plots] + [""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def describe(self) -> str:
        """A short text summary for the command line."""
        text = [
            f"split {self.split.isoformat()}, fingerprint {self.fingerprint}, {self.wall_seconds:.0f} s",
            self.table.round(3).to_string(),
        ]
        for title, frame in self.tradeoffs.items():
            text += [title, frame.round(3).to_string()]
        text += self.notes
        if self.report_path:
            text.append(f"report: {self.report_path}")
        return "\n".join(text)


def _markdown_table(table: pd.DataFrame) -> str:
    cols = [table.index.name or "model"] + list(table.columns)
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for name, row in table.iterrows():
        cells = [f"{name:g}" if isinstance(name, float) else str(name)] + ["" if pd.isna(v) else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _plot(table: pd.DataFrame, curves: pd.DataFrame, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    metrics_to_plot = [m for m in ("oracle_ratio@10", "citizen_ndcg@10", "open_ndcg@10") if m in table and table[m].notna().any()]
    if metrics_to_plot:
        fig, axes = plt.subplots(1, len(metrics_to_plot), figsize=(5 * len(metrics_to_plot), 4), squeeze=False)
        for ax, metric in zip(axes[0], metrics_to_plot):
            values = table[metric].sort_values()
            ax.barh(values.index, values.to_numpy(), color=["C1" if n.startswith("lightgbm") else "C0" for n in values.index])
            ax.set_title(metric)
            # Ratios and logged NDCGs live near 1; the open-set NDCG is small and needs its own scale.
            ax.set_xlim(0, 1 if values.max() > 0.5 else 1.2 * values.max())
        fig.tight_layout()
        paths.append(out_dir / "evaluation_models.png")
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    if not curves.empty:
        fig, ax = plt.subplots(figsize=(6, 4))
        for name in curves.columns:
            ax.plot(curves.index, curves[name], label=name, lw=2.5 if name.startswith("lightgbm") else 1.2)
        ax.set_xlabel("k")
        ax.set_ylabel("oracle ratio@k")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(out_dir / "evaluation_oracle_curve.png")
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    return paths


# ---- the run -------------------------------------------------------------------------------


def _offpolicy(world: World, split: pd.Timestamp, end: pd.Timestamp, space):
    """The off-policy estimator on the test window's logged meetings, and the report's note on it."""
    from matcher.offpolicy import OffPolicy

    k = get_settings().offpolicy.k
    try:
        ope = OffPolicy.from_log(world, split, end, space=space)
    except ValueError as why:
        return None, f"no off-policy estimate: {why}"
    f = ope.pairs.frame
    return ope, (
        f"ope_*@{k}: off-policy estimates from the logs alone (matcher/offpolicy.py) of the expected successes per logged "
        f"test meeting in the model's top {k} by score over every open opportunity ({f['meeting'].nunique():,} meetings, "
        f"{len(f) / f['meeting'].nunique():.0f} candidates each; logged: {f['reward'].sum() / f['meeting'].nunique():.3f} "
        f"successes per meeting); ope_dr@{k}_lo/_hi: its 95 % bootstrap interval over citizens; ope_ratio@{k}: DR over "
        f"the DR of the reward model's own greedy top {k} (an estimate of oracle_ratio@{k} that leans high: the "
        "greedy list of an estimated model falls short of the best possible)"
    )


def _truth_dir(truth_dir: Path | None) -> Path | None:
    """The folder whose ``_truth/`` to use: the given one, else the settings' world if it has one."""
    for candidate in (truth_dir, get_settings().world_dir):
        if candidate is not None and (Path(candidate) / "_truth").is_dir():
            return Path(candidate)
    if truth_dir is not None:
        raise FileNotFoundError(f"evaluation: {truth_dir} has no _truth/ folder (only simulated worlds have one)")
    return None


def _logged_metrics(frame: pd.DataFrame, scores: np.ndarray, seed: int) -> dict[str, float]:
    """Logged metrics per query (citizen × proposal date), and NDCG@10 per citizen (all of a
    citizen's test referrals ranked together: the informative one when queries hold one referral)."""
    scored = frame.assign(score=scores)
    return {
        "ndcg@5": metrics.ndcg_at_k(scored, 5, seed),
        "ndcg@10": metrics.ndcg_at_k(scored, 10, seed),
        "map@10": metrics.map_at_k(scored, 10, success_gain(), seed),
        "recall@10": metrics.recall_at_k(scored, 10, success_gain(), seed),
        "citizen_ndcg@10": metrics.ndcg_at_k(scored.assign(query_id=scored["citizen_id"]), 10, seed),
    }


class _TruthSet:
    """The oracle candidates of a simulated world at T: pairs, features, truth and the list builder."""

    def __init__(self, known: World, split: pd.Timestamp, truth_folder: Path, space) -> None:
        from matcher.features.candidates import feasible, infeasibility
        from matcher.service import dup_keys
        from matcher.simulate.truth import Truth

        ev = get_settings().evaluation
        cand = truth_candidates(known, split, ev.truth_sample_citizens, ev.seed)
        self.pairs = make_pairs(known, cand, space)
        self.flags = infeasibility(self.pairs.features)
        self.pairs.frame["feasible"] = feasible(self.pairs.features)
        truth = Truth.load(truth_folder)
        outcomes = truth.outcome_probabilities(cand[["citizen_id", "opportunity_id", "as_of"]])
        self.probability = outcomes[list(get_settings().success_outcomes)].sum(axis=1).to_numpy()
        self.declined = outcomes["declined"].to_numpy()
        self.family = getattr(getattr(truth, "family", None), "name", None)
        opp = known.opportunities.set_index("opportunity_id", drop=False).reindex(cand["opportunity_id"].to_numpy())
        self.kind = opp["kind"].to_numpy()
        self.dup = dup_keys(opp).to_numpy()

    def lists(self, pred, k: int = 10, **policy) -> pd.DataFrame:
        """The served top ``k`` per sampled citizen (``matcher.ranking``) for a prediction."""
        from matcher.ranking import policy_frame, rank_lists

        has_chance = pred.chance is not None
        frame = policy_frame(self.pairs.frame["citizen_id"], self.pairs.frame["opportunity_id"], pred, self.flags,
                             self.kind, self.dup, policy.get("hard_rules"), policy.get("wish_weight"))
        penalty = policy.get("kind_penalty") if has_chance else 0.0
        return rank_lists(frame, k, kind_penalty=penalty)

    def oracle_of(self, lists: pd.DataFrame, k: int = 10) -> float:
        """Oracle ratio@k of given lists: the lists' expected successes over the best possible top k."""
        listed = np.full(len(self.probability), -np.inf)
        listed[lists["row"].to_numpy()] = -lists["rank"].to_numpy(dtype=float)
        frame = self.pairs.frame[["citizen_id"]].assign(query_id=self.pairs.frame["citizen_id"], score=np.nan_to_num(listed, neginf=-1e9), probability=self.probability)
        return metrics.oracle_ratio_at_k(frame, k, get_settings().evaluation.seed)

    def per_citizen(self, lists: pd.DataFrame, values: np.ndarray) -> float:
        """Mean over sampled citizens of the listed pairs' ``values`` summed (e.g. expected successes)."""
        return float(values[lists["row"].to_numpy()].sum() / self.pairs.frame["citizen_id"].nunique())


def _tradeoffs(truth: _TruthSet, pred) -> dict[str, pd.DataFrame]:
    """Wish weight (expected surplus) and diversity penalty of the served list, each against the truth."""
    s = get_settings()
    wishes = []
    for w in sorted({0.0, 0.5, 1.0, 2.0, s.ranking.wish_weight}):
        lists = truth.lists(pred, wish_weight=w)
        wishes.append({"wish_weight": w, "oracle_ratio@10": truth.oracle_of(lists),
                       "expected_successes_per_citizen": truth.per_citizen(lists, truth.probability),
                       "expected_declines_per_citizen": truth.per_citizen(lists, truth.declined)})
    kinds = []
    for penalty in sorted({0.0, 0.05, 0.1, 0.2, 0.5, s.ranking.kind_penalty}):
        lists = truth.lists(pred, kind_penalty=penalty)
        mix = lists.groupby(["citizen_id", "kind"]).size().groupby(level=0)
        kinds.append({"kind_penalty": penalty, "oracle_ratio@10": truth.oracle_of(lists),
                      "kinds_per_list": float(mix.size().mean()), "largest_kind_share": float((mix.max() / mix.sum()).mean())})
    return {
        "Trade-off: what the citizen wants (wish weight w in log P(success) + w·log P(yes))": pd.DataFrame(wishes).set_index("wish_weight"),
        "Trade-off: diversity across kinds (penalty per earlier item of the same kind)": pd.DataFrame(kinds).set_index("kind_penalty"),
    }


def congestion_table(known: World, at: pd.Timestamp, ranker, truth_folder: Path, k: int = 10) -> pd.DataFrame:
    """Everyone's lists at once (issue 8): every citizen active at ``at`` × every suggestable opening,
    independent top-``k`` lists against the municipal plan, each measured by the random-order
    procedure against the exact optimum on the truth (``matcher.congestion``)."""
    from matcher.congestion import congestion, optimum
    from matcher.plan import allocate, score_pairs
    from matcher.service import Matcher
    from matcher.simulate.truth import Truth

    matcher = Matcher(known, ranker)
    independent = matcher.recommend_all(k=k, as_of=at)
    pairs, capacity = score_pairs(matcher, at)
    plan = allocate(pairs, capacity, k)
    outcomes = Truth.load(truth_folder).outcome_probabilities(pairs[["citizen_id", "opportunity_id"]].assign(as_of=at))
    truth = pairs[["citizen_id", "opportunity_id"]].assign(
        probability=outcomes[list(get_settings().success_outcomes)].sum(axis=1).to_numpy(), declined=outcomes["declined"].to_numpy())
    best = optimum(truth, capacity)
    holds = plan.assignment.set_index("citizen_id")["opportunity_id"]
    rows = {
        "--all (independent lists)": congestion(independent, capacity, truth, k, best=best),
        "--all --allocate (the plan's lists)": congestion(plan.lists, capacity, truth, k, best=best),
        "--all --allocate, held places kept for their holder": congestion(plan.lists, capacity, truth, k, holds=holds, best=best),
    }
    table = pd.DataFrame(rows).T
    table.index.name = "lists"
    return table


def run_evaluation(
    engine: Engine, as_of: date | None = None, truth_dir: Path | None = None, write: bool = True, congestion: bool = True,
    offpolicy: bool = True,
) -> EvaluationReport:
    """Train every ranker before the split date, test each on the same data, write the report.

    ``as_of``: the split date T (default: at the settings' fraction of the referral history).
    ``truth_dir``: a simulated world folder with ``_truth/`` (default: the settings' world_dir if
    it has one); without one, only the logged metrics are reported. ``write``: write
    ``reports/evaluation.md`` and its plots (``run_families`` writes its own report instead).
    ``congestion``: on a simulated world, also measure everyone's lists at once (:func:`congestion_table`).
    ``offpolicy``: also estimate each model's top 10 from the test window's logs (``matcher.offpolicy``).
    """
    from matcher.features.build import FeatureSpace
    from matcher.models.base import predict

    started = time.perf_counter()
    settings = get_settings()
    ev = settings.evaluation
    world = World.from_db(engine)
    split = pd.Timestamp(as_of) if as_of is not None else split_date(world)
    known = world.as_of(split)

    train_frame = labelled_pairs(world, None, split)
    end = world.referrals["proposed_on"].max() + pd.Timedelta(days=1)
    outcome_end = max(end, world.referrals["outcome_on"].max() + pd.Timedelta(days=1))
    test_frame = labelled_pairs(world, split, outcome_end)
    if train_frame.empty or test_frame.empty:
        raise ValueError(
            f"evaluation: split {split.date()} leaves {len(train_frame)} training and {len(test_frame)} test "
            "referrals with outcomes; choose a date inside the referral history"
        )
    space = FeatureSpace.of(known)
    train = make_pairs(known, train_frame, space)
    test = make_pairs(known, test_frame, space)
    open_set = make_pairs(known, open_set_pairs(known, test_frame, ev.open_set_queries, ev.seed), space)
    truth_folder = _truth_dir(truth_dir)
    truth = _TruthSet(known, split, truth_folder, space) if truth_folder is not None else None
    ope, ope_note = _offpolicy(world, split, end, space) if offpolicy else (None, None)

    rows, curves, tradeoffs = {}, {}, {}
    ks = range(1, ev.curve_max_k + 1)
    every_rule = ["licence", "hours", "commute", "danish"]
    for ranker in all_rankers():
        t0 = time.perf_counter()
        ranker.fit(train)
        fit_s = time.perf_counter() - t0
        row = _logged_metrics(test.frame, ranker.score(test), ev.seed)
        scored_open = open_set.frame.assign(score=ranker.score(open_set))
        row["open_ndcg@10"] = metrics.ndcg_at_k(scored_open, 10, ev.seed)
        row["open_recall@10"] = metrics.recall_at_k(scored_open, 10, success_gain(), ev.seed)
        if truth is not None:
            pred = predict(ranker, truth.pairs)
            scored = truth.pairs.frame.assign(score=pred.score, probability=truth.probability)
            curve = metrics.oracle_ratio_curve(scored, ks, ev.seed)
            curves[ranker.name] = curve
            row["oracle_ratio@5"] = curve.loc[5]
            row["oracle_ratio@10"] = curve.loc[10]
            served = truth.lists(pred)
            row["served_oracle@10"] = truth.oracle_of(served)
            row["hard_rules_oracle@10"] = truth.oracle_of(truth.lists(pred, hard_rules=every_rule))
            top = truth.pairs.frame.iloc[served["row"].to_numpy()]
            row["coverage@10"] = metrics.coverage(top[top["feasible"]], truth.pairs.frame["citizen_id"], settings.min_feasible_suggestions)
            if ranker.name == "lightgbm" and pred.chance is not None:
                tradeoffs = _tradeoffs(truth, pred)
                if congestion:
                    tradeoffs["Congestion: everyone's lists at once (every citizen active at T)"] = congestion_table(
                        known, split, ranker, truth_folder)
        if ope is not None:
            row.update(ope.evaluate(ranker).row())
        row["fit_s"] = fit_s
        rows[ranker.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")

    sizes = {
        "train_pairs": len(train_frame),
        "train_queries": int(train_frame["query_id"].nunique()),
        "test_pairs": len(test_frame),
        "test_queries": int(test_frame["query_id"].nunique()),
        "test_queries_with_success": int(test_frame.loc[test_frame["gain"] >= success_gain(), "query_id"].nunique()),
        "test_queries_with_2plus_referrals": int((test_frame.groupby("query_id").size() >= 2).sum()),
        "open_set_queries": int(open_set.frame["query_id"].nunique()),
        "open_set_pairs": len(open_set),
    }
    notes = []
    if sizes["test_queries_with_2plus_referrals"] < 0.1 * sizes["test_queries"]:
        notes.append(
            f"only {sizes['test_queries_with_2plus_referrals']:,} of {sizes['test_queries']:,} test queries hold two or more "
            "logged referrals: the logged NDCG/MAP/recall barely tell models apart; read citizen_ndcg@10, open_ndcg@10 and open_recall@10"
        )
    if truth is not None:
        frame = truth.pairs.frame
        sizes["truth_citizens"] = int(frame["citizen_id"].nunique())
        sizes["truth_pairs"] = len(frame)
        ceiling = metrics.coverage(frame[frame["feasible"]], frame["citizen_id"], settings.min_feasible_suggestions)
        notes.append(f"coverage ceiling (citizens with ≥{settings.min_feasible_suggestions} feasible candidates at all): {ceiling:.3f}")
    else:
        notes.append("no _truth/ folder: oracle ratio and coverage need a simulated world")
    if ope_note:
        notes.append(ope_note)
    if ope is not None:
        sizes["offpolicy_meetings"] = int(ope.pairs.frame["meeting"].nunique())
        sizes["offpolicy_pairs"] = len(ope.pairs)
    report = EvaluationReport(
        split=split.date(),
        table=table,
        curves=pd.DataFrame(curves),
        sizes=sizes,
        fingerprint=data_fingerprint(world),
        seeds={"evaluation": ev.seed, "peers": settings.peers.seed, "tie_break": ev.seed},
        wall_seconds=0.0,
        notes=notes,
        tradeoffs=tradeoffs,
        truth_family=None if truth is None else truth.family,
    )
    if write:
        out_dir = Path(settings.reports_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        report.plots = _plot(table, report.curves, out_dir)
        report.report_path = out_dir / "evaluation.md"
    report.wall_seconds = time.perf_counter() - started
    if write:
        report.report_path.write_text(report.markdown(), encoding="utf-8")
    return report
