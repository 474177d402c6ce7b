"""The chance with an interval (issue 11): the holdout's calibration table is saved with the model
at training and travels with the registered version; each suggestion's calibrated chance lies in
its interval, and the citizen page shows "chance 23 % (15–31 %)", not a bare percentage."""
from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from matcher import calibration
from matcher.settings import get_settings


def draws(n: int, seed: int, truth=lambda p: p):
    rng = np.random.default_rng(seed)
    chance = rng.beta(1.2, 4.0, n)
    return chance, (rng.random(n) < truth(chance)).astype(float)


def test_the_point_lies_in_its_interval_and_a_calibrated_model_keeps_its_chance():
    chance, success = draws(4000, 1)
    table = calibration.fit(chance, success)
    assert len(table["n"]) == calibration.BINS and sum(table["n"]) == 4000 and sum(table["successes"]) == success.sum()
    grid = np.linspace(0, 1, 101)
    point, low, high = calibration.interval(table, grid)
    assert (low <= point).all() and (point <= high).all() and (low >= 0).all() and (high <= 1).all()
    # Honest data: the true rate lies in the 90 % band for most of the range, and the point is near it.
    inner = (grid > 0.05) & (grid < 0.5)
    assert ((low <= grid) & (grid <= high))[inner].mean() > 0.8
    assert np.abs(point - grid)[inner].max() < 0.08


def test_an_overconfident_model_is_corrected_and_few_data_give_a_wide_interval():
    chance, success = draws(4000, 2, truth=lambda p: p / 2)  # succeeds half as often as it says
    point, low, high = calibration.interval(calibration.fit(chance, success), [0.4])
    assert high[0] < 0.4 and abs(point[0] - 0.2) < 0.06
    small = calibration.fit(*draws(60, 3))
    assert len(small["n"]) == 2
    p_small = calibration.interval(small, [0.3])
    p_big = calibration.interval(calibration.fit(*draws(4000, 3)), [0.3])
    assert (p_small[2] - p_small[1])[0] > 2 * (p_big[2] - p_big[1])[0]


def test_bad_input_is_refused_and_no_data_no_table():
    assert calibration.fit([], []) is None and calibration.interval(None, [0.2]) is None
    with pytest.raises(ValueError, match="2 chances but 1 outcomes"):
        calibration.fit([0.1, 0.2], [1])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        calibration.fit([1.5], [1])


@pytest.fixture(scope="module")
def trained(small_db_url, tmp_path_factory):
    """The small world trained through `train_and_register` in a store of its own (one grid point)."""
    from matcher.training import train_and_register
    from tests.app_helpers import copy_database

    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("calibrated")
    mp.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    mp.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(root / "artifacts"))
    mp.setenv("MATCHER_RANKER__BINARY_GRID", '{"num_leaves": [4]}')
    get_settings.cache_clear()
    engine = copy_database(small_db_url, tmp_path_factory.mktemp("calibrated-db"))
    result = train_and_register(engine)
    yield engine, root, result
    mp.undo()
    get_settings.cache_clear()


def test_the_table_is_stored_with_the_registered_model(trained):
    from matcher import registry
    from matcher.service import Matcher

    engine, _, result = trained
    champion = registry.load_champion()
    table = champion.calibration
    assert table is not None and sum(table["n"]) == result.holdout_pairs
    assert table["source"].startswith("held-out referrals " + str(result.holdout_start))
    served = Matcher.load(engine)
    citizen = served.world.active_citizens(served._date(None))["citizen_id"].iloc[0]
    listed = served.recommend(citizen, k=10)
    assert listed and all(s.chance_low <= s.calibrated <= s.chance_high for s in listed)
    point, low, high = calibration.interval(table, [s.chance for s in listed])
    assert [s.calibrated for s in listed] == pytest.approx(list(point))
    assert f"(chance {listed[0].calibrated:.0%}, {listed[0].chance_low:.0%}–{listed[0].chance_high:.0%})" in listed[0].describe()


def test_the_citizen_page_shows_the_chance_with_its_interval(trained, monkeypatch):
    from matcher.caseload import app_date, caseload
    from tests.app_helpers import HOME, TIMEOUT, live_user, use_database
    from tests.test_switch import staff

    engine, root, _ = trained
    use_database(monkeypatch, engine, root)
    mine = staff(engine, "caseworker")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.session_state["user"] = live_user(engine, "cw", "caseworker", mine)
    at.session_state["citizen_id"] = caseload(engine, mine, app_date(engine))["citizen_id"].iloc[0]
    at.switch_page("pages/citizen.py").run()
    assert not at.exception, at.exception
    cards = [m.value for m in at.markdown if m.value.startswith("**1. ")]
    assert cards and re.search(r"chance for succes \d+ % \(\d+–\d+ %\)", cards[0]), cards
