"""The group audit: are the groups of ``matcher.fairness`` served equally by a model's lists?

For every citizen active on the date D, the lists the service would show (``matcher.service``:
what retrieval keeps of the suggestable opportunities, scored, the ranking policy's top k) and,
for the liaison view, every opening's top k consenting candidates among the pairs retrieval keeps
(a citizen it does not reach for an opening counts as not a candidate; the app's liaison page
scores every consenting citizen, so this is close to, not exactly, what a liaison sees). Per
group, with bootstrap intervals:

- ``oracle_ratio@k`` (simulated worlds only): the lists' expected successes under the truth over
  the best possible top k's among every suggestable opportunity — the headline, judged worst
  group / best group;
- ``exposure_<kind>`` for ordinary jobs and educations: how often a candidate of that kind is
  listed, over how often one of the same kind and the same fit (the model's chance, in bins) is
  listed for everyone (1: as everyone at equal fit; below 1: fewer such suggestions);
- ``calibration_truth``: the shown chance of the listed suggestions over their truth probability
  (1: right; below: the chance shown is too low), and ``calibration_logged``: the shown chance
  of logged referrals proposed since the model's window ended over their successes;
- ``success_logged``: the success rate of the referrals proposed in the year before D;
- ``liaison_exposure``: a consenting citizen's share of the candidate slots over their share of
  consenting citizens (1: seen as often as everyone).

``matcher audit`` writes ``reports/audit.md`` and its plots (:func:`audit_champion`).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.evaluate import _markdown_table
from matcher.fairness import DIMENSIONS, HEADLINE_DIMENSIONS, citizen_groups, group_table, ratios
from matcher.models.base import Prediction
from matcher.settings import get_settings
from matcher.world import World

EXPOSURE_KINDS = ("ordinary_job", "education")
# Bins of the model's chance of success: "equal fit" means the same bin.
CHANCE_BINS = np.array([0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0 + 1e-9])
HEADLINE = "oracle_ratio@10"
JSON_FILE = "audit.json"

MEASURES = {
    "oracle_ratio@10": "expected successes of the served top 10 over the best possible top 10 (simulator's truth)",
    "exposure_ordinary_job": "ordinary jobs listed over those listed for everyone at equal fit (chance bin)",
    "exposure_education": "educations listed over those listed for everyone at equal fit (chance bin)",
    "calibration_truth": "shown chance of the listed suggestions over their truth probability (1 = right)",
    "calibration_logged": "shown chance of referrals proposed since the model's window over their successes",
    "success_logged": "success rate of the referrals proposed in the year before the date (outcome known)",
    "liaison_exposure": "share of the liaison's candidate slots over share of consenting citizens",
}


@dataclass
class GroupAudit:
    """Every measure per group, and the headline worst/best ratios."""

    as_of: date
    model: str
    tables: dict[str, pd.DataFrame]
    kind_mix: pd.DataFrame
    sizes: dict[str, int]
    wall_seconds: float
    truth_family: str | None = None
    notes: list[str] = field(default_factory=list)
    report_path: Path | None = None
    plots: list[Path] = field(default_factory=list)

    def ratios(self, measure: str = HEADLINE, dimensions=HEADLINE_DIMENSIONS) -> pd.DataFrame:
        """Worst/best group ratio of one measure per dimension (empty when not measured)."""
        table = self.tables.get(measure)
        return ratios(table, dimensions) if table is not None else ratios(pd.DataFrame(columns=["judged", "dimension"]))

    @property
    def worst_ratio(self) -> float | None:
        """The lowest worst/best oracle ratio over the headline dimensions (None without a truth)."""
        r = self.ratios()
        return None if r.empty else float(r["ratio"].min())

    def to_dict(self) -> dict:
        """What the audit page shows (``reports/audit.json``)."""
        return {"as_of": self.as_of.isoformat(), "model": self.model, "truth_family": self.truth_family,
                "sizes": self.sizes, "notes": self.notes, "plots": [p.name for p in self.plots],
                "headline": self.ratios().to_dict(orient="records"),
                "tables": {m: t.to_dict(orient="records") for m, t in self.tables.items()}}

    def markdown(self) -> str:
        lines = [
            "# Group audit",
            "",
            f"- model: {self.model}; date D: **{self.as_of.isoformat()}**"
            + (f"; simulated truth family: **{self.truth_family}**" if self.truth_family else ""),
            "- sizes: " + ", ".join(f"{k}={v:,}" for k, v in self.sizes.items()),
            f"- intervals: 95 % bootstrap ({get_settings().audit.n_boot} resamples, fairlearn MetricFrame); groups with "
            f"fewer than {get_settings().audit.min_group_citizens} citizens (referrals for the logged measures) are shown "
            "but not judged (*)",
            f"- wall time: {self.wall_seconds:.0f} s",
            "",
        ]
        head = self.ratios()
        if not head.empty:
            lines += ["## Headline: worst/best group oracle ratio@10 (target ≥ 0.95)", "", _ratio_markdown(head), ""]
        for measure, table in self.tables.items():
            lines += [f"## {measure}", "", MEASURES[measure] + ".", ""]
            r = ratios(table, DIMENSIONS)
            if not r.empty:
                lines += ["Worst/best per dimension:", "", _ratio_markdown(r), ""]
            lines += [_group_markdown(table), ""]
        if not self.kind_mix.empty:
            lines += ["## Kind mix of the listed suggestions (share of each group's lists)", "",
                      _markdown_table(self.kind_mix), ""]
        if self.plots:
            lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in self.plots] + [""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def describe(self) -> str:
        text = [f"group audit of {self.model} on {self.as_of}, {self.wall_seconds:.0f} s"]
        for measure, table in self.tables.items():
            r = ratios(table, DIMENSIONS)
            if not r.empty:
                text += [f"{measure}: worst/best per dimension", r.round(3).to_string(index=False)]
        text += self.notes
        if self.report_path:
            text.append(f"report: {self.report_path}")
        return "\n".join(text)


def _ratio_markdown(r: pd.DataFrame) -> str:
    rows = ["| dimension | worst group | value | best group | value | worst/best | 95 % interval |", "|---|---|---|---|---|---|---|"]
    for _, x in r.iterrows():
        rows.append(f"| {x['dimension']} | {x['worst']} | {x['worst_value']:.3f} | {x['best']} | {x['best_value']:.3f} | "
                    f"**{x['ratio']:.3f}** | {x['ratio_lo']:.3f}–{x['ratio_hi']:.3f} |")
    return "\n".join(rows)


def _group_markdown(table: pd.DataFrame) -> str:
    rows = ["| dimension | group | n | value | 95 % interval |", "|---|---|---|---|---|"]
    for _, x in table.iterrows():
        ci = f"{x['lo']:.3f}–{x['hi']:.3f}" if pd.notna(x["lo"]) else ""
        mark = "" if x["judged"] or x["group"] == "overall" else " *"
        value = "" if pd.isna(x["value"]) else f"{x['value']:.3f}"
        rows.append(f"| {x['dimension']} | {x['group']}{mark} | {x['n']:,} | {value} | {ci} |")
    return "\n".join(rows)


def _top_k_sum(citizen: np.ndarray, values: np.ndarray, k: int) -> pd.Series:
    """Per citizen: the sum of their k largest ``values`` (the best possible list)."""
    frame = pd.DataFrame({"c": citizen, "v": values}).sort_values(["c", "v"], ascending=[True, False])
    return frame.groupby("c", sort=False).head(k).groupby("c")["v"].sum()


class _Lists:
    """Everyone's lists on one date, accumulated chunk by chunk (bounded memory)."""

    def __init__(self, matcher, truth, k: int) -> None:
        self.matcher, self.truth, self.k = matcher, truth, k
        self.per_citizen, self.exposure, self.listed, self.liaison = [], [], [], None
        self.pairs = 0

    def best(self, world: World, citizens: np.ndarray, open_ids: np.ndarray, day: pd.Timestamp) -> None:
        """The best possible top k of ``citizens`` among every suggestable opening (not only what
        retrieval keeps: what retrieval loses counts against the lists)."""
        from matcher.features.candidates import candidate_pairs

        full = candidate_pairs(world, citizens, open_ids, day)
        if len(full):
            p = self.truth.success_probability(full[["citizen_id", "opportunity_id", "as_of"]])
            self.per_citizen.append(_top_k_sum(full["citizen_id"].to_numpy(), p, self.k))

    def add(self, pairs: pd.DataFrame, pred: Prediction, flags: pd.DataFrame, consenting: set) -> None:
        from matcher.ranking import policy_frame, rank_lists

        self.pairs += len(pairs)
        ranked = self.matcher._ranked(pairs, pred, flags, self.k)
        rows = ranked["row"].to_numpy()
        citizen = pairs["citizen_id"].to_numpy()
        kind = self.matcher.space.opportunities["kind"].reindex(pairs["opportunity_id"].to_numpy()).to_numpy()
        listed = np.zeros(len(pairs), dtype=bool)
        listed[rows] = True
        part = {"citizen_id": citizen[rows]}
        if pred.chance is not None:
            part["chance"] = pred.chance[rows]
            fit_bin = np.digitize(pred.chance, CHANCE_BINS) - 1
            counts = pd.DataFrame({"citizen_id": citizen, "kind": kind, "bin": fit_bin, "listed": listed})
            self.exposure.append(counts.groupby(["citizen_id", "kind", "bin"]).agg(candidates=("listed", "size"), listed=("listed", "sum")))
        if self.truth is not None:
            part["probability"] = self.truth.success_probability(pairs[["citizen_id", "opportunity_id", "as_of"]].iloc[rows])
        self.listed.append(pd.DataFrame({**part, "kind": kind[rows]}))
        mine = np.isin(citizen, list(consenting))
        if mine.any():
            sub = pairs[mine].reset_index(drop=True)
            frame = policy_frame(sub["citizen_id"], sub["opportunity_id"],
                                 Prediction(*(None if v is None else np.asarray(v)[mine] for v in (pred.score, pred.chance, pred.acceptance))),
                                 flags[mine].reset_index(drop=True))
            frame = frame.drop(columns="row")
            if self.liaison is not None:
                frame = pd.concat([self.liaison, frame], ignore_index=True)
            frame["row"] = np.arange(len(frame))
            self.liaison = rank_lists(frame, self.k, "opportunity_id", kind_penalty=0.0, dedupe=False).drop(columns=["rank", "row"])


def _referrals(world: World, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Referrals proposed in [start, end) with an outcome known before ``end``, with ``success``."""
    from matcher.evaluate import labelled_pairs

    frame = labelled_pairs(world, start, end)
    return frame.assign(success=frame["outcome"].isin(get_settings().success_outcomes).to_numpy(dtype=float))


def _shown_chance(world: World, ranker, frame: pd.DataFrame, start: pd.Timestamp) -> np.ndarray | None:
    """The model's chance for each referral, scored with what was known at ``start``."""
    from matcher.evaluate import make_pairs
    from matcher.features.build import FeatureSpace
    from matcher.models.base import predict

    known = world.as_of(start)
    return predict(ranker, make_pairs(known, frame, FeatureSpace.of(known, getattr(ranker, "feature_config", None)))).chance


def run_audit(
    world: World,
    ranker,
    as_of=None,
    truth_dir: Path | None = None,
    since=None,
    model: str = "",
    k: int | None = None,
    write: bool = True,
) -> GroupAudit:
    """Audit ``ranker``'s lists on ``as_of`` (default: the latest date in the data) by group.

    ``world``: what the service sees (the app's world; pass ``world.as_of(D)`` to audit a past
    date without later data). ``truth_dir``: a simulated world folder with ``_truth/`` (default:
    the settings' world if it has one) for the oracle ratio and calibration against the truth.
    ``since``: where the logged calibration window starts (default: a year before D), e.g. the
    end of the model's training window. ``write``: write ``reports/audit.md`` and its plots.
    """
    from matcher.evaluate import _truth_dir
    from matcher.features.candidates import suggestable
    from matcher.service import Matcher, latest_date
    from matcher.simulate.truth import Truth

    started = time.perf_counter()
    s = get_settings()
    k = k or s.default_k
    at = latest_date(world) if as_of is None else pd.Timestamp(as_of).normalize()
    folder = _truth_dir(truth_dir)
    truth = Truth.load(folder) if folder is not None else None
    matcher = Matcher(world, ranker)
    active = world.active_citizens(at)
    consenting = set(active.loc[active["candidate_search_consent"].fillna(False).astype(bool), "citizen_id"])
    lists = _Lists(matcher, truth, k)
    day, batch = matcher.batch_citizens(at)
    open_ids = suggestable(world, day)["opportunity_id"].to_numpy()
    for part in matcher.partitions(batch):
        if truth is not None:
            lists.best(world, part, open_ids, day)
        scored = matcher.score_part(day, part)
        if scored is not None:
            lists.add(*scored, consenting)
    if not lists.listed:
        raise ValueError(f"audit: nothing to list on {at.date()} (no active citizen or no suggestable opportunity)")
    groups = citizen_groups(world.citizens, at)
    listed = pd.concat(lists.listed, ignore_index=True)
    tables, notes = {}, []
    citizens = pd.Index(pd.unique(listed["citizen_id"]))
    g = groups.reindex(citizens)

    if truth is not None:
        # Every citizen with a suggestable opening counts; one retrieval left nothing for lists nothing.
        best = pd.concat(lists.per_citizen).groupby(level=0).sum()
        per = listed.groupby("citizen_id")[[c for c in ("probability", "chance") if c in listed]].sum().reindex(best.index, fill_value=0.0)
        tables[HEADLINE] = group_table(best, per["probability"], groups.reindex(best.index))
        if "chance" in per:
            tables["calibration_truth"] = group_table(per.loc[citizens, "probability"], per.loc[citizens, "chance"], g)
    else:
        notes.append("no _truth/ folder: the oracle ratio and the calibration against the truth need a simulated world")

    if lists.exposure:
        counts = pd.concat(lists.exposure).groupby(level=[0, 1, 2]).sum().reset_index()
        rate = counts.groupby(["kind", "bin"])[["listed", "candidates"]].sum()
        counts["expected"] = counts["candidates"] * counts.set_index(["kind", "bin"]).index.map(rate["listed"] / rate["candidates"]).to_numpy()
        for kind in EXPOSURE_KINDS:
            mine = counts[counts["kind"] == kind].groupby("citizen_id")[["listed", "expected"]].sum()
            mine = mine[mine["expected"] > 0]
            if len(mine):
                tables[f"exposure_{kind}"] = group_table(mine["expected"], mine["listed"], groups.reindex(mine.index))
    else:
        notes.append(f"{getattr(ranker, 'name', type(ranker).__name__)} gives no chance of success: no exposure at equal fit, no calibration")

    since = at - pd.Timedelta(days=365) if since is None else pd.Timestamp(since)
    logged = _referrals(world, since, at) if since < at else pd.DataFrame()
    chance = _shown_chance(world, ranker, logged, since) if len(logged) else None

    def referral_groups(frame):
        return groups.reindex(frame["citizen_id"].to_numpy()).reset_index(drop=True)

    min_ref = s.audit.min_group_referrals
    if chance is not None:
        tables["calibration_logged"] = group_table(logged["success"], chance, referral_groups(logged), min_size=min_ref)
    elif len(logged):
        notes.append("the model gives no chance of success: no calibration against logged outcomes")
    else:
        notes.append(f"no referral proposed from {since.date()} to {at.date()} has a known outcome: no calibration against logged outcomes "
                     "(the model's training window reaches the date; audit an earlier --as-of or wait for outcomes)")
    year = _referrals(world, at - pd.Timedelta(days=365), at)
    if len(year):
        tables["success_logged"] = group_table(np.ones(len(year)), year["success"], referral_groups(year), min_size=min_ref)

    if lists.liaison is not None and len(consenting):
        slots = lists.liaison.groupby("citizen_id").size().reindex(sorted(consenting), fill_value=0)
        tables["liaison_exposure"] = group_table(np.full(len(slots), slots.mean()), slots.to_numpy(), groups.reindex(slots.index))

    mix = listed.assign(**{d: g.reindex(listed["citizen_id"]).get(d).to_numpy() for d in ("gender", "origin", "age_band")})
    kind_mix = pd.concat({d: pd.crosstab(mix[d], mix["kind"], normalize="index") for d in ("gender", "origin", "age_band")})
    kind_mix.index = [f"{d}: {group}" for d, group in kind_mix.index]
    report = GroupAudit(
        as_of=at.date(), model=model or getattr(ranker, "name", type(ranker).__name__), tables=tables, kind_mix=kind_mix,
        sizes={"citizens": len(citizens), "pairs": lists.pairs, "consenting": len(consenting), "logged_referrals": len(logged)},
        wall_seconds=0.0, truth_family=getattr(getattr(truth, "family", None), "name", None), notes=notes,
    )
    if write:
        out = Path(s.reports_dir)
        out.mkdir(parents=True, exist_ok=True)
        report.plots = _plot(report, out)
        report.report_path = out / "audit.md"
    report.wall_seconds = time.perf_counter() - started
    if write:
        report.report_path.write_text(report.markdown(), encoding="utf-8")
        (report.report_path.parent / JSON_FILE).write_text(json.dumps(report.to_dict(), default=str, indent=1), encoding="utf-8")
    return report


def load_report(reports_dir: Path | None = None) -> dict | None:
    """The latest audit written by ``matcher audit`` (``reports/audit.json``), or None."""
    path = Path(reports_dir or get_settings().reports_dir) / JSON_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tables"] = {m: pd.DataFrame(rows) for m, rows in data["tables"].items()}
    data["headline"] = pd.DataFrame(data["headline"])
    return data


def audit_champion(engine, as_of=None, truth_dir: Path | None = None, write: bool = True) -> GroupAudit:
    """The group audit of the registry's champion on the database's world; the logged calibration
    starts where the champion's training window ended."""
    from matcher import registry
    from matcher.service import NoTrainedModel

    meta = registry.champion_metadata()
    if meta is None:
        raise NoTrainedModel("no trained model: run `matcher train`")
    ranker = registry.load_version(meta["version"])
    end = meta["params"].get("served_train_end") or meta["params"].get("train_end")
    return run_audit(World.from_db(engine), ranker, as_of=as_of, truth_dir=truth_dir, since=end,
                     model=f"champion v{meta['version']}", write=write)


def _plot(report: GroupAudit, out: Path) -> list[Path]:
    """One figure per measure: each dimension's groups with their intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for measure, table in report.tables.items():
        dims = [d for d in DIMENSIONS if d in set(table["dimension"])]
        fig, axes = plt.subplots(1, len(dims), figsize=(3.2 * len(dims), 3.6), squeeze=False)
        for ax, dim in zip(axes[0], dims):
            part = table[(table["dimension"] == dim) & (table["group"] != "overall")].sort_values("value")
            y = np.arange(len(part))
            err = np.vstack([(part["value"] - part["lo"]).clip(lower=0).fillna(0), (part["hi"] - part["value"]).clip(lower=0).fillna(0)])
            ax.errorbar(part["value"], y, xerr=err, fmt="o", color="C0", ecolor="C0", capsize=2)
            ax.scatter(part.loc[~part["judged"], "value"], y[~part["judged"].to_numpy()], color="0.6", zorder=3)
            overall = table.loc[(table["dimension"] == dim) & (table["group"] == "overall"), "value"]
            if len(overall):
                ax.axvline(float(overall.iloc[0]), color="C1", lw=1)
            ax.set_yticks(y, part["group"], fontsize=7)
            ax.set_title(dim, fontsize=9)
        fig.suptitle(measure, fontsize=10)
        fig.tight_layout()
        path = out / f"audit_{measure.replace('@', '_at_')}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths
