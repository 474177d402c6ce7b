"""What the data scientist's page shows about a trained ranker beyond the registry's metrics."""
from __future__ import annotations

import pandas as pd


def feature_importance(ranker, top: int = 20) -> pd.Series | None:
    """Share of the total split gain per feature, largest first (None for a ranker without trees)."""
    booster = getattr(ranker, "booster", None)
    if booster is None:
        return None
    gain = pd.Series(booster.feature_importance(importance_type="gain"), index=list(ranker.features), dtype=float)
    total = gain.sum()
    if total <= 0:
        return None
    return (gain / total).sort_values(ascending=False).head(top).rename("gain_share")
