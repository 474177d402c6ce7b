"""Every ranker on every truth family of the simulator: each family's figures and the worst case.

A model, a grid or a ranking rule is chosen on the worst case across structurally different
truths, never on one: a choice that only holds on one truth holds on the simulator it was tuned
on, not on a municipality's data. For each family a fresh world is simulated (same size, same
seed), imported into its own SQLite database and evaluated exactly as ``matcher evaluate`` does
(``matcher.evaluate.run_evaluation``); the summary lists each ranker's oracle ratio@10 of the
served list on every family and its worst. Written to ``reports/families.md``.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matcher.evaluate import EvaluationReport, _markdown_table, run_evaluation
from matcher.settings import get_settings

# The figure a family is judged on: the list the service shows, against the truth.
HEADLINE = "served_oracle@10"


@dataclass
class FamiliesReport:
    """One evaluation per truth family, and the rankers' worst case over them."""

    citizens: int
    seed: int
    reports: dict[str, EvaluationReport]
    wall_seconds: float
    report_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """Rankers × families of the headline figure, with the worst case and the raw-score worst case."""
        served = pd.DataFrame({f: r.table[HEADLINE] for f, r in self.reports.items()})
        raw = pd.DataFrame({f: r.table["oracle_ratio@10"] for f, r in self.reports.items()})
        hard = pd.DataFrame({f: r.table["hard_rules_oracle@10"] for f, r in self.reports.items()})
        out = served.assign(worst=served.min(axis=1), worst_by_score=raw.min(axis=1), worst_with_hard_rules=hard.min(axis=1))
        return out.sort_values("worst", ascending=False)

    @property
    def offpolicy(self) -> pd.DataFrame:
        """Per family, each ranker's true oracle ratio@10 (by score) and the estimate from the logs alone."""
        parts = {}
        for family, report in self.reports.items():
            t = report.table
            if "ope_ratio@10" in t and "oracle_ratio@10" in t:
                parts[family] = pd.DataFrame({"true": t["oracle_ratio@10"], "estimated": t["ope_ratio@10"],
                                              "gap": t["ope_ratio@10"] - t["oracle_ratio@10"]})
        return pd.concat(parts, axis=1) if parts else pd.DataFrame()

    def markdown(self) -> str:
        lines = [
            "# Every ranker on every truth family",
            "",
            f"- worlds: {self.citizens:,} citizens each, seed {self.seed}, one per truth family "
            f"({', '.join(self.reports)}); each evaluated as `matcher evaluate` does",
            f"- wall time: {self.wall_seconds:.0f} s",
            "",
            f"## {HEADLINE} (the served list against the truth) per family, and the worst case",
            "",
            "`worst_by_score`: the worst case of the bare score order (no duplicates step, no diversity); "
            "`worst_with_hard_rules`: with every stated limit as a hard rule.",
            "",
            _markdown_table(self.summary),
            "",
        ]
        if not self.offpolicy.empty:
            table = self.offpolicy.copy()
            table.columns = [f"{family} {what}" for family, what in table.columns]
            lines += ["## Oracle ratio@10 by score: the truth and the off-policy estimate from the logs alone", "",
                      _markdown_table(table), ""]
        for family, report in self.reports.items():
            lines += [f"## Family `{family}`", "", f"split {report.split.isoformat()}, fingerprint `{report.fingerprint}`", "",
                      _markdown_table(report.table), ""]
            for title, frame in report.tradeoffs.items():
                lines += [f"### {title}", "", _markdown_table(frame), ""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def describe(self) -> str:
        return "\n".join([f"{len(self.reports)} families, {self.citizens:,} citizens each, {self.wall_seconds:.0f} s",
                          self.summary.round(3).to_string()] + ([f"report: {self.report_path}"] if self.report_path else []))


def run_families(families: list[str] | None = None, citizens: int = 4000, seed: int = 2026, write: bool = True) -> FamiliesReport:
    """Simulate, import and evaluate one world per truth family; write ``reports/families.md``."""
    from matcher.db import make_engine
    from matcher.importer import import_folder
    from matcher.simulate import simulate_world
    from matcher.simulate.truths import FAMILIES

    families = list(families or FAMILIES)
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"families: unknown truth famil(ies) {unknown}; choose from {list(FAMILIES)}")
    started = time.perf_counter()
    reports = {}
    with tempfile.TemporaryDirectory(prefix="matcher-families-") as tmp:
        for family in families:
            world_dir = Path(tmp) / family
            simulate_world(world_dir, n_citizens=citizens, seed=seed, truth=family)
            engine = make_engine(f"sqlite:///{Path(tmp) / f'{family}.db'}")
            import_folder(world_dir, engine)
            reports[family] = run_evaluation(engine, truth_dir=world_dir, write=False)
            engine.dispose()
    report = FamiliesReport(citizens, seed, reports, time.perf_counter() - started)
    if write:
        out = Path(get_settings().reports_dir)
        out.mkdir(parents=True, exist_ok=True)
        report.report_path = out / "families.md"
        report.report_path.write_text(report.markdown(), encoding="utf-8")
    return report
