"""The groups a model is audited by, and group figures with bootstrap confidence intervals.

Groups come from the citizens table only, never from the model's inputs: gender and origin are
kept for audits and are no features. Dimensions (:data:`DIMENSIONS`):

- ``gender`` and ``origin`` as exported (missing: ``unknown``);
- ``district`` of the home postcode (``matcher.postcodes.district_of``), with Tingbjerg (homes
  within ``tingbjerg_radius_km``) a district of its own, so the dimension is a partition;
- ``age_band`` on the date (``audit.age_bands``: 30–39, 40–49, 50–59, 60+);
- ``barrier``: how many barriers the citizen has (none, one, two or more).

:func:`group_table` measures one figure (a ratio of sums) per group of every dimension with
fairlearn's ``MetricFrame``, with bootstrap intervals, and :func:`ratios` gives each dimension's worst-to-best
ratio among the groups big enough to judge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.settings import get_settings

DIMENSIONS = ("gender", "origin", "district", "age_band", "barrier")
# The measure: worst/best group oracle ratio on these.
HEADLINE_DIMENSIONS = ("gender", "origin", "district", "age_band")
UNKNOWN = "unknown"
TINGBJERG = "Tingbjerg"


def age_band(age: pd.Series) -> pd.Series:
    """Each age's band from the settings' band starts, e.g. ``40–49`` or ``60+``."""
    starts = list(get_settings().audit.age_bands)
    labels = [f"<{starts[0]}"] + [f"{a}–{b - 1}" for a, b in zip(starts, starts[1:])] + [f"{starts[-1]}+"]
    edges = [-np.inf] + starts + [np.inf]
    return pd.cut(age, edges, right=False, labels=labels).astype(str).where(age.notna(), UNKNOWN)


def citizen_groups(citizens: pd.DataFrame, on) -> pd.DataFrame:
    """Every citizen's group in each dimension on date ``on``, indexed by ``citizen_id``."""
    from matcher.overview import district_column, in_tingbjerg

    year = pd.Timestamp(on).year
    barriers = citizens["barriers"].map(lambda b: len(b) if isinstance(b, (list, tuple, np.ndarray)) else 0)
    district = district_column(citizens).where(~in_tingbjerg(citizens), TINGBJERG)
    out = pd.DataFrame(
        {
            "gender": citizens["gender"].fillna(UNKNOWN).astype(str).to_numpy(),
            "origin": citizens["origin"].fillna(UNKNOWN).astype(str).to_numpy(),
            "district": district.fillna(UNKNOWN).astype(str).to_numpy(),
            "age_band": age_band(year - pd.to_numeric(citizens["birth_year"], errors="coerce")).to_numpy(),
            "barrier": np.select([barriers == 0, barriers == 1], ["none", "one"], "two or more"),
        },
        index=pd.Index(citizens["citizen_id"].astype(str).to_numpy(), name="citizen_id"),
    )
    return out


def ratio_of_sums(y_true, y_pred) -> float:
    """Σ y_pred / Σ y_true: e.g. the list's expected successes over the best possible list's."""
    total = float(np.sum(y_true))
    return float(np.sum(y_pred)) / total if total > 0 else np.nan


def _bootstrap(y_true: np.ndarray, y_pred: np.ndarray, codes: np.ndarray, n_groups: int, n_boot: int, seed: int):
    """Bootstrap Σ y_pred / Σ y_true per group: ``n_boot`` resamples of all rows with replacement
    (as fairlearn's MetricFrame draws them), vectorised as row counts times a group one-hot.
    Returns the resamples' per-group figures (n_boot × groups) and worst/best ratios."""
    rng = np.random.default_rng(seed)
    n = len(y_true)
    onehot = np.zeros((n, n_groups))
    onehot[np.arange(n), codes] = 1.0
    figures = np.empty((n_boot, n_groups))
    for start in range(0, n_boot, 50):  # 50 resamples at a time bound the memory
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=min(50, n_boot - start)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            figures[start:start + len(counts)] = (counts @ (onehot * y_pred[:, None])) / (counts @ (onehot * y_true[:, None]))
    with np.errstate(invalid="ignore", divide="ignore"):
        worst_best = np.nanmin(figures, axis=1) / np.nanmax(figures, axis=1)
    return figures, worst_best


def group_table(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    groups: pd.DataFrame,
    dimensions: tuple[str, ...] = DIMENSIONS,
    min_size: int | None = None,
    n_boot: int | None = None,
) -> pd.DataFrame:
    """One row per dimension and group: ``n`` rows, the ``value`` Σ y_pred / Σ y_true over the
    group's rows (fairlearn's ``MetricFrame``), a 95 % bootstrap interval ``lo``..``hi`` and whether
    the group is big enough to be ``judged`` (``min_size`` rows; smaller groups get no interval);
    ``ratio_lo``..``ratio_hi`` is the interval of the dimension's worst/best ratio. ``groups`` is
    row-aligned with ``y_true`` and ``y_pred``; ``overall`` is a row of its own per dimension.

    The intervals are resampled here, not by MetricFrame: its bootstrap rebuilds a frame per
    resample and took 443 of 470 s of an audit of 600 citizens; this one takes a fraction of a second.
    """
    from fairlearn.metrics import MetricFrame

    a = get_settings().audit
    min_size = a.min_group_citizens if min_size is None else min_size
    n_boot = a.n_boot if n_boot is None else n_boot
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    rows = []
    for dim in dimensions:
        labels = groups[dim].astype(str).to_numpy()
        sizes = pd.Series(labels).value_counts()
        big = list(sizes[sizes >= min_size].index)
        keep = np.isin(labels, big)
        by_group, lo, hi, ratio_ci = pd.Series(dtype=float), {}, {}, (np.nan, np.nan)
        if keep.any():
            by_group = MetricFrame(metrics=ratio_of_sums, y_true=y_true[keep], y_pred=y_pred[keep],
                                   sensitive_features=pd.Series(labels[keep], name=dim)).by_group
            if n_boot:
                codes = pd.Index(big).get_indexer(labels[keep])
                figures, worst_best = _bootstrap(y_true[keep], y_pred[keep], codes, len(big), n_boot, a.seed)
                q = np.nanquantile(figures, [0.025, 0.975], axis=0)
                lo, hi = dict(zip(big, q[0])), dict(zip(big, q[1]))
                if len(big) >= 2:
                    ratio_ci = tuple(float(v) for v in np.nanquantile(worst_best, [0.025, 0.975]))
        for group, n in sizes.items():
            judged = group in big
            mask = labels == group
            rows.append({
                "dimension": dim, "group": group, "n": int(n),
                "value": float(by_group[group]) if judged else ratio_of_sums(y_true[mask], y_pred[mask]),
                "lo": lo.get(group, np.nan), "hi": hi.get(group, np.nan),
                "judged": judged, "ratio_lo": ratio_ci[0], "ratio_hi": ratio_ci[1],
            })
        rows.append({"dimension": dim, "group": "overall", "n": len(labels), "value": ratio_of_sums(y_true, y_pred),
                     "lo": np.nan, "hi": np.nan, "judged": False, "ratio_lo": np.nan, "ratio_hi": np.nan})
    return pd.DataFrame(rows)


def ratios(table: pd.DataFrame, dimensions: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Per dimension: the worst and the best judged group, their figures and worst/best, with the
    bootstrap interval of the worst/best ratio (the same resamples as the groups' intervals; the
    minimum over noisy groups is biased low, so the interval says how much of a gap is noise)."""
    rows = []
    for dim, part in table[table["judged"]].groupby("dimension", sort=False):
        if dimensions is not None and dim not in dimensions:
            continue
        part = part.dropna(subset=["value"])
        if len(part) < 2:
            continue
        worst, best = part.loc[part["value"].idxmin()], part.loc[part["value"].idxmax()]
        rows.append({
            "dimension": dim, "worst": worst["group"], "worst_value": worst["value"], "best": best["group"],
            "best_value": best["value"], "ratio": worst["value"] / best["value"] if best["value"] > 0 else np.nan,
            "ratio_lo": part["ratio_lo"].iloc[0], "ratio_hi": part["ratio_hi"].iloc[0],
            "groups": len(part),
        })
    return pd.DataFrame(rows, columns=["dimension", "worst", "worst_value", "best", "best_value", "ratio", "ratio_lo",
                                       "ratio_hi", "groups"])


GATE_MEASURES = {
    "ndcg10": "held-out NDCG@10 (one query per citizen)",
    "calibration": "shown chance over successes on the held-out referrals",
}


@dataclass
class GroupCheck:
    """The gate's group check of one fitted model on the held-out referrals."""

    passed: bool
    reason: str
    # measure -> group table (:func:`group_table`); and every measure's worst/best per dimension.
    tables: dict[str, pd.DataFrame]
    ratios: pd.DataFrame

    def metrics(self) -> dict[str, float]:
        """Flat MLflow metrics: each gated dimension's worst/best ratio and its interval."""
        out = {}
        for _, r in self.ratios.iterrows():
            key = f"group_{r['measure']}_{r['dimension']}"
            out.update({f"{key}_ratio": r["ratio"], f"{key}_ratio_lo": r["ratio_lo"], f"{key}_ratio_hi": r["ratio_hi"]})
        return {k: float(v) for k, v in out.items() if pd.notna(v)}


def group_check(world, frame: pd.DataFrame, scores: np.ndarray, chance: np.ndarray | None, on) -> GroupCheck:
    """Judge a model's held-out figures by group (``frame``: the held-out referrals, row-aligned
    with the model's ``scores`` and ``chance``; groups as of ``on``, the holdout start).

    Per dimension, the worst group's figure over the best group's, for NDCG@10 per citizen
    (``audit.gate_ndcg_dimensions``) and for calibration, Σ shown chance / Σ successes
    (``audit.gate_calibration_dimensions``; none without a chance). The check fails when a ratio
    is below ``audit.gate_min_group_ratio`` beyond doubt: its whole 95 % bootstrap interval lies
    below the bound, so a small group's noise alone never refuses a model.
    """
    from matcher import metrics

    a = get_settings().audit
    groups = citizen_groups(world.citizens, on)
    scored = frame.assign(query_id=frame["citizen_id"], score=scores)
    ndcg = metrics.ndcg_per_query(scored, 10, get_settings().evaluation.seed)
    tables = {"ndcg10": group_table(np.ones(len(ndcg)), ndcg.to_numpy(), groups.reindex(ndcg.index.astype(str)).reset_index(drop=True),
                                    dimensions=tuple(a.gate_ndcg_dimensions))}
    if chance is not None:
        success = frame["outcome"].isin(get_settings().success_outcomes).to_numpy(dtype=float)
        tables["calibration"] = group_table(success, chance, groups.reindex(frame["citizen_id"].astype(str)).reset_index(drop=True),
                                            dimensions=tuple(a.gate_calibration_dimensions), min_size=a.min_group_referrals)
    parts = [ratios(t).assign(measure=m) for m, t in tables.items()]
    table = pd.concat(parts, ignore_index=True) if parts else ratios(pd.DataFrame(columns=["judged", "dimension"])).assign(measure=[])
    bound = a.gate_min_group_ratio
    failed = table[table["ratio_hi"] < bound]
    if len(failed):
        worst = failed.loc[failed["ratio"].idxmin()]
        reason = (f"group check failed: {GATE_MEASURES[worst['measure']]} of {worst['dimension']} group '{worst['worst']}' is "
                  f"{worst['ratio']:.3f} × that of '{worst['best']}' (95 % interval {worst['ratio_lo']:.3f}–{worst['ratio_hi']:.3f}), "
                  f"below audit.gate_min_group_ratio {bound:g}")
        return GroupCheck(False, reason, tables, table)
    low = table.loc[table["ratio"].idxmin()] if len(table) else None
    reason = "group check passed" + (f" (lowest worst/best: {low['measure']} by {low['dimension']} {low['ratio']:.3f})" if low is not None else "")
    return GroupCheck(True, reason, tables, table)
