"""What the data scientist's page shows about a trained ranker beyond the registry's metrics."""
from __future__ import annotations

import pandas as pd


def feature_importance(ranker, top: int = 20) -> pd.Series | None:
    """Each feature's share of the ranker's importance, largest first (None when it has none).

    LightGBM: total split gain of the success model; logistic regression: absolute standardised
    coefficient.
    """
    importance = getattr(ranker, "feature_importance", None)
    if importance is None:
        return None
    values = importance().astype(float)
    total = values.sum()
    if total <= 0:
        return None
    return (values / total).sort_values(ascending=False).head(top).rename("gain_share")
