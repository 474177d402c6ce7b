"""Commute features: distance, minutes from the settings, the citizen's limit."""
import numpy as np
import pytest

from matcher.features.commute import commute_features, commute_limit, commute_minutes, haversine_km
from matcher.settings import get_settings


def test_haversine_matches_a_known_distance():
    # Copenhagen Central Station to Aarhus Central Station: about 157 km as the crow flies.
    km = haversine_km([55.6727], [12.5646], [56.1501], [10.2045])
    assert km[0] == pytest.approx(157, abs=3)
    assert haversine_km([55.7], [12.5], [55.7], [12.5])[0] == 0


def test_minutes_follow_the_settings():
    s = get_settings()
    minutes = commute_minutes(np.array([0.0, s.commute_speed_kmh]))
    assert minutes[0] == pytest.approx(s.commute_overhead_minutes)
    assert minutes[1] == pytest.approx(60 + s.commute_overhead_minutes)


def test_missing_limit_takes_the_default_and_over_limit_is_flagged():
    s = get_settings()
    assert commute_limit([None, 30])[0] == s.default_max_commute_minutes
    # Nørrebro to Glostrup (about 9 km) against a 20-minute limit and against no limit.
    f = commute_features([55.697, 55.697], [12.542, 12.542], [55.666, 55.666], [12.401, 12.401], [20, None])
    assert f["commute_minutes"].iloc[0] == pytest.approx(f["commute_minutes"].iloc[1])
    assert f["commute_over_limit"].tolist() == [1.0, 0.0]
    assert f["commute_ratio"].iloc[0] == pytest.approx(f["commute_minutes"].iloc[0] / 20)


def test_minutes_over_the_limit_count_only_beyond_it():
    f = commute_features([55.697] * 3, [12.542] * 3, [55.666] * 3, [12.401] * 3, [20, None, 0])
    minutes = f["commute_minutes"].iloc[0]
    assert f["commute_minutes_over"].tolist() == pytest.approx([minutes - 20, 0.0, minutes])
    assert ((f["commute_minutes_over"] > 0) == (f["commute_over_limit"] > 0)).all()
