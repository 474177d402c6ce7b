"""Drift: are today's referrals still like the ones the served model learnt from?

The training window is the served model's (its run's ``train_start`` .. ``served_train_end``);
"today" is the referrals proposed in the last ``drift.recent_days`` before the date. For each of
the model's features, the population stability index (PSI) of today's values against the
window's, on the window's deciles. Outcome rates compare like with like: outcomes known within
``drift.outcome_lag_days`` of the proposal, for the recent days that lag before the date against
the training window before them.
Retraining is due when a feature's PSI reaches ``drift.psi_retrain`` (0.25: the usual "major
shift"), the success rate moved ``drift.outcome_points`` percentage points, or the served
model's window ended ``drift.max_model_age_days`` ago.

No installed library computes a PSI (fairlearn, scipy do not); it is the ten lines of
:func:`psi`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from matcher.settings import get_settings
from matcher.world import World

EPS = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``, on ``expected``'s quantile
    bins (a feature with few values gets one bin per value): Σ (a − e) · ln(a / e)."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    expected, actual = expected[np.isfinite(expected)], actual[np.isfinite(actual)]
    if len(expected) == 0 or len(actual) == 0:
        return float("nan")
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    e, a = np.clip(e, EPS, None), np.clip(a, EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass
class Drift:
    """PSI per feature and outcome rates, today against the training window, and the verdict."""

    as_of: date
    window: tuple[date, date]
    recent: tuple[date, date]
    features: pd.DataFrame  # feature, psi (largest first)
    outcomes: pd.DataFrame  # rate, window, recent, change_points
    model_age_days: int
    sizes: dict[str, int]
    # Why retraining is due: (label key in matcher.i18n, its values), so a page can say it in Danish.
    why: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def retraining_due(self) -> bool:
        return bool(self.why)

    def reasons(self, lang: str = "en") -> list[str]:
        """Why retraining is due, in ``lang``."""
        from matcher.i18n import t

        return [t(key, lang, **values) for key, values in self.why]

    def describe(self) -> str:
        verdict = "retraining due: " + "; ".join(self.reasons()) if self.why else "no retraining due"
        return "\n".join([
            f"drift on {self.as_of}: today = referrals proposed {self.recent[0]} .. {self.recent[1]} ({self.sizes['recent']:,}); "
            f"training window {self.window[0]} .. {self.window[1]} ({self.sizes['window']:,})",
            self.features.head(10).round(3).to_string(index=False),
            self.outcomes.round(3).to_string(),
            verdict,
        ])


def _sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return frame.sample(n=n, random_state=seed).sort_values("as_of") if len(frame) > n else frame


def drift(world: World, ranker, params: dict, as_of=None) -> Drift:
    """Drift of the served model (``params``: its run's parameters) on ``as_of`` (default: the
    latest date in the data)."""
    from matcher.evaluate import make_pairs
    from matcher.features.build import FeatureSpace
    from matcher.labels import training_pairs
    from matcher.service import latest_date

    d = get_settings().drift
    at = latest_date(world) if as_of is None else pd.Timestamp(as_of).normalize()
    start = pd.Timestamp(params["train_start"])
    end = pd.Timestamp(params.get("served_train_end") or params["train_end"])
    recent_start = at - pd.Timedelta(days=d.recent_days)
    r = world.referrals
    config = getattr(ranker, "feature_config", None)

    def frame_of(lo, hi, cutoff):
        proposed = r[(r["proposed_on"] >= lo) & (r["proposed_on"] < hi)]
        frame = pd.DataFrame({"citizen_id": proposed["citizen_id"].astype(str).to_numpy(),
                              "opportunity_id": proposed["opportunity_id"].astype(str).to_numpy(),
                              "as_of": pd.to_datetime(proposed["proposed_on"]).to_numpy()})
        frame = _sample(frame, d.sample, d.seed).reset_index(drop=True)
        known = world.as_of(cutoff)
        return make_pairs(known, frame, FeatureSpace.of(known, config)).features

    old = frame_of(start, end, end)
    new = frame_of(recent_start, at + pd.Timedelta(days=1), at + pd.Timedelta(days=1))
    if old.empty or new.empty:
        raise ValueError(f"drift: no referrals in the training window {start.date()}..{end.date()} "
                         f"or in the last {d.recent_days} days before {at.date()}")
    names = [c for c in (getattr(ranker, "features", None) or old.columns) if c in old and c in new]
    table = pd.DataFrame({"feature": names, "psi": [psi(old[c].to_numpy(), new[c].to_numpy(), d.bins) for c in names]})
    table = table.sort_values("psi", ascending=False).reset_index(drop=True)

    lag = pd.Timedelta(days=d.outcome_lag_days)

    def rates(lo, hi):
        # Like with like: outcomes known within the lag of the proposal, in both periods.
        p = r[(r["proposed_on"] >= lo) & (r["proposed_on"] < hi) & (r["proposed_on"] + lag <= at)]
        known = p[p["outcome_on"].notna() & (p["outcome_on"] <= p["proposed_on"] + lag) & (p["outcome"] != "pending")]
        return pd.Series({"success": known["outcome"].isin(get_settings().success_outcomes).mean(),
                          "declined": (known["outcome"] == "declined").mean(), "decided": float(len(known))})

    outcome_recent = (recent_start - lag, at - lag)
    outcomes = pd.DataFrame({"window": rates(start, min(end, outcome_recent[0])), "recent": rates(*outcome_recent)})
    outcomes["change_points"] = 100 * (outcomes["recent"] - outcomes["window"])
    outcomes.loc["decided", "change_points"] = np.nan
    why = []
    shifted = table[table["psi"] >= d.psi_retrain]
    if len(shifted):
        why.append(("drift_reason_psi", {"n": len(shifted), "bound": d.psi_retrain,
                                         "features": ", ".join(f"{f} {v:.2f}" for f, v in zip(shifted["feature"].head(5), shifted["psi"].head(5)))}))
    moved = outcomes.loc["success", "change_points"]
    if outcomes.loc["decided", "recent"] > 0 and abs(moved) >= d.outcome_points:
        why.append(("drift_reason_outcome", {"points": f"{moved:+.1f}", "before": f"{100 * outcomes.loc['success', 'window']:.1f}",
                                             "after": f"{100 * outcomes.loc['success', 'recent']:.1f}"}))
    age = int((at - end).days)
    if age >= d.max_model_age_days:
        why.append(("drift_reason_age", {"days": age, "bound": d.max_model_age_days}))
    return Drift(as_of=at.date(), window=(start.date(), end.date()), recent=(recent_start.date(), at.date()),
                 features=table, outcomes=outcomes, model_age_days=age,
                 sizes={"window": len(old), "recent": len(new)}, why=why)


def champion_drift(engine, as_of=None) -> Drift | None:
    """Drift of the registry's champion on the database's world (None without a champion)."""
    from matcher import registry

    meta = registry.champion_metadata()
    if meta is None:
        return None
    return drift(World.from_db(engine), registry.load_version(meta["version"]), meta["params"], as_of)
