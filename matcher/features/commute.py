"""Estimated door-to-door commute, and how it sits against the citizen's own limit."""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.features.config import FeatureConfig

EARTH_RADIUS_KM = 6371.0088

COMMUTE_FEATURES = ["commute_minutes", "commute_ratio", "commute_over_limit", "commute_minutes_over"]


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between arrays of WGS84 points."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def commute_minutes(km: np.ndarray, config: FeatureConfig | None = None) -> np.ndarray:
    """Minutes door to door: straight-line km at the config's speed plus a fixed overhead."""
    c = config or FeatureConfig.from_settings()
    return np.asarray(km, dtype=float) / c.commute_speed_kmh * 60.0 + c.commute_overhead_minutes


def commute_limit(max_commute_minutes: pd.Series | np.ndarray, config: FeatureConfig | None = None) -> np.ndarray:
    """The citizen's limit in minutes; the config's default where none is recorded."""
    c = config or FeatureConfig.from_settings()
    limit = pd.to_numeric(pd.Series(np.asarray(max_commute_minutes, dtype=object)), errors="coerce")
    return limit.fillna(c.default_max_commute_minutes).to_numpy(dtype=float)


def commute_features(home_lat, home_lon, opp_lat, opp_lon, max_commute_minutes, config: FeatureConfig | None = None) -> pd.DataFrame:
    """Minutes, minutes over the citizen's limit (ratio), a flag for going over it and by how many minutes."""
    minutes = commute_minutes(haversine_km(home_lat, home_lon, opp_lat, opp_lon), config)
    limit = commute_limit(max_commute_minutes, config)
    return pd.DataFrame(
        {
            "commute_minutes": minutes,
            # A limit of 0 (works from home only) makes every commute infinitely too long.
            "commute_ratio": minutes / np.maximum(limit, 1.0),
            "commute_over_limit": (minutes > limit).astype(float),
            # Beyond the limit every minute counts (the cliff), below it much less.
            "commute_minutes_over": np.maximum(minutes - limit, 0.0),
        }
    )
