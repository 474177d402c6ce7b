"""The chance of success with an interval, not a bare percentage.

At training (``matcher.training``) the challenger, fitted on what was known before the holdout
start, predicts the held-out referrals; their chances are cut into bins of equal size
(:func:`fit`), and each bin keeps how many referrals it holds, how many succeeded and the mean
predicted chance. The table is saved next to the served model (``calibration.json`` in the
model's folder, read back by ``matcher.models.artifact.load_ranker``), so it travels with the
registered version.

For a new chance p, :func:`interval` gives what happened to similar predictions: each bin's
success rate as a Jeffreys posterior (Beta(k + ½, n − k + ½): its mean and its central 90 %
interval), interpolated between the bins' mean predicted chances. The page shows "chance 23 %
(15–31 %)": the calibrated chance and the range the true rate of such suggestions lies in. The
point always lies inside its interval. A bin with few referrals gives a wide interval — that is
the honest answer.

The served model is refitted on the whole window after the gate, so its chances can differ a
little from the gate model's the table was measured on; the table is the latest out-of-sample
measurement there is.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.stats import beta

FILE = "calibration.json"
BINS = 10
MIN_PER_BIN = 25
LEVEL = 0.90


def fit(chance, success, bins: int = BINS, level: float = LEVEL, source: str = "") -> dict | None:
    """The calibration table of predicted ``chance`` against observed ``success`` (0/1), in up to
    ``bins`` bins of equal count (fewer when there are few referrals); None without data."""
    chance = np.asarray(chance, dtype=float)
    success = np.asarray(success, dtype=float)
    if chance.shape != success.shape:
        raise ValueError(f"calibration: {len(chance)} chances but {len(success)} outcomes")
    keep = np.isfinite(chance) & np.isfinite(success)
    chance, success = chance[keep], success[keep]
    if len(chance) == 0:
        return None
    if ((chance < 0) | (chance > 1)).any() or not np.isin(success, (0.0, 1.0)).all():
        raise ValueError("calibration: chances must lie in [0, 1] and outcomes be 0 or 1")
    n_bins = int(max(1, min(bins, len(chance) // MIN_PER_BIN)))
    order = np.argsort(chance, kind="stable")
    parts = [p for p in np.array_split(order, n_bins) if len(p)]
    table = {
        "level": level,
        "source": source,
        "n": [int(len(p)) for p in parts],
        "successes": [int(success[p].sum()) for p in parts],
        "mean_chance": [float(chance[p].mean()) for p in parts],
        "upper_edge": [float(chance[p].max()) for p in parts],
    }
    return table


def _knots(table: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = np.asarray(table["n"], dtype=float)
    k = np.asarray(table["successes"], dtype=float)
    x = np.asarray(table["mean_chance"], dtype=float)
    a, b = k + 0.5, n - k + 0.5
    tail = (1 - float(table["level"])) / 2
    mean = a / (a + b)
    low = np.where(k == 0, 0.0, beta.ppf(tail, a, b))
    high = np.where(k == n, 1.0, beta.ppf(1 - tail, a, b))
    # Equal mean chances (ties) would make interpolation ill-defined: nudge them apart.
    x = np.maximum.accumulate(x + np.arange(len(x)) * 1e-12)
    return x, mean, low, high


def interval(table: dict | None, chance) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Calibrated chance, low and high for each ``chance`` (arrays), or None without a table."""
    if not table or not table.get("n"):
        return None
    chance = np.asarray(chance, dtype=float)
    x, mean, low, high = _knots(table)
    return np.interp(chance, x, mean), np.interp(chance, x, low), np.interp(chance, x, high)


def save(table: dict | None, folder: str | Path) -> None:
    """Write the table into a saved model's folder (nothing when there is none)."""
    if table is not None:
        (Path(folder) / FILE).write_text(json.dumps(table, indent=2), encoding="utf-8")


def load(folder: str | Path) -> dict | None:
    """The table saved with a model, or None."""
    file = Path(folder) / FILE
    return json.loads(file.read_text(encoding="utf-8")) if file.exists() else None


def measure(ranker, pairs) -> dict | None:
    """The table of ``ranker``'s chances on labelled ``pairs`` (``matcher.models.base.Pairs`` with
    ``outcome``), success as the settings' ``success_outcomes``; None for a ranker that gives no chance."""
    from matcher.models.base import predict
    from matcher.settings import get_settings

    chance = predict(ranker, pairs).chance
    if chance is None or not len(pairs):
        return None
    success = pairs.frame["outcome"].astype(str).isin(get_settings().success_outcomes).to_numpy(dtype=float)
    window = pairs.frame["as_of"]
    return fit(chance, success, source=f"held-out referrals {window.min():%Y-%m-%d} .. {window.max():%Y-%m-%d}")
