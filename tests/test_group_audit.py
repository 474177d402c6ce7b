"""The group audit: groups from the citizens table, group figures with intervals, and an audit of
real lists on the small world that tells a fair ranker from one that fails a group."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.fairness import DIMENSIONS, HEADLINE_DIMENSIONS, TINGBJERG, citizen_groups, group_table, ratios
from matcher.models.base import Prediction, predict


def test_every_citizen_is_in_exactly_one_group_of_each_dimension(small_world):
    groups = citizen_groups(small_world.citizens, "2024-06-01")
    assert list(groups.columns) == list(DIMENSIONS)
    assert len(groups) == len(small_world.citizens) and groups.index.is_unique
    assert groups.notna().all().all()
    assert set(groups["gender"]) <= {"F", "M", "X", "unknown"}
    assert set(groups["barrier"]) <= {"none", "one", "two or more"}


def test_tingbjerg_is_a_district_of_its_own_and_age_bands_follow_the_date(tiny_world):
    citizens = tiny_world.citizens.copy()
    citizens.loc[1, ["home_lat", "home_lon"]] = [55.709, 12.482]  # c2 lives in Tingbjerg
    groups = citizen_groups(citizens, "2024-06-01")
    assert groups.loc["c2", "district"] == TINGBJERG
    assert groups.loc["c1", "district"] == "Nørrebro"
    # Born 1980, 1970, 1990: 44, 54, 34 in 2024; 54 becomes 60 in 2030.
    assert list(groups["age_band"]) == ["40–49", "50–59", "30–39"]
    assert citizen_groups(citizens, "2030-06-01").loc["c2", "age_band"] == "60+"
    assert list(groups["barrier"]) == ["none", "two or more", "one"]
    assert groups.loc["c3", "origin"] == "unknown"


def test_group_table_ratios_of_sums_intervals_and_small_groups(setting):
    setting("AUDIT__MIN_GROUP_CITIZENS", "20")
    rng = np.random.default_rng(1)
    n = 600
    labels = np.array(["a"] * 300 + ["b"] * 290 + ["c"] * 10)
    best = rng.uniform(0.5, 1.0, n)
    served = best * np.where(labels == "b", 0.8, 1.0)
    groups = pd.DataFrame({"gender": labels})
    table = group_table(best, served, groups, dimensions=("gender",), n_boot=100)
    rows = table.set_index("group")
    assert rows.loc["a", "value"] == pytest.approx(1.0)
    assert rows.loc["b", "value"] == pytest.approx(0.8)
    assert rows.loc["overall", "value"] == pytest.approx(served.sum() / best.sum())
    assert rows.loc["a", "judged"] and rows.loc["b", "judged"] and not rows.loc["c", "judged"]
    assert np.isnan(rows.loc["c", "lo"])
    assert rows.loc["b", "lo"] <= 0.8 <= rows.loc["b", "hi"]
    r = ratios(table).iloc[0]
    assert (r["worst"], r["best"]) == ("b", "a")
    assert r["ratio"] == pytest.approx(0.8)
    assert r["ratio_lo"] <= 0.8 + 1e-9 and r["ratio_hi"] <= 1.0


class OlderLast:
    """A ranker that reverses its base's order for citizens of 50 or more (the feature ``age``): a
    model that fails one group, to check the audit sees it."""

    name = "older_last"

    def __init__(self, base) -> None:
        self.base, self.feature_config = base, base.feature_config

    def predict(self, pairs) -> Prediction:
        features = pairs.features if hasattr(pairs, "features") else pairs
        pred = predict(self.base, pairs)
        older = features["age"].to_numpy() >= 50
        chance = np.where(older, 1.0 - pred.chance, pred.chance)
        return Prediction(np.log(chance), chance, pred.acceptance)

    def score(self, pairs) -> np.ndarray:
        return self.predict(pairs).score

    def fit(self, train):
        return self


@pytest.fixture(scope="module")
def audits(small_world, small_world_dir, trained_ranker, tmp_path_factory):
    from matcher.group_audit import run_audit
    from matcher.settings import get_settings

    mp = pytest.MonkeyPatch()
    out = tmp_path_factory.mktemp("reports")
    mp.setenv("MATCHER_REPORTS_DIR", str(out))
    mp.setenv("MATCHER_AUDIT__N_BOOT", "50")
    get_settings.cache_clear()
    at = pd.Timestamp("2024-06-03")
    try:
        fair = run_audit(small_world, trained_ranker, as_of=at, truth_dir=small_world_dir, since=at - pd.Timedelta(days=180))
        unfair = run_audit(small_world, OlderLast(trained_ranker), as_of=at, truth_dir=small_world_dir, write=False)
    finally:
        mp.undo()
        get_settings.cache_clear()
    return fair, unfair, out


def test_the_audit_measures_every_group_and_writes_its_report(audits):
    fair, _, out = audits
    head = fair.ratios()
    assert set(head["dimension"]) == set(HEADLINE_DIMENSIONS)
    assert ((head["ratio"] > 0) & (head["ratio"] <= 1)).all()
    for measure in ("oracle_ratio@10", "calibration_truth", "exposure_ordinary_job", "exposure_education",
                    "success_logged", "liaison_exposure", "calibration_logged"):
        assert measure in fair.tables, measure
        assert set(fair.tables[measure]["dimension"]) == set(DIMENSIONS)
    text = (out / "audit.md").read_text(encoding="utf-8")
    assert "worst/best group oracle ratio@10" in text and "Tingbjerg" in text
    assert fair.plots and all(p.exists() and p.stat().st_size > 0 for p in fair.plots)
    # Liaison slots: k per opening with enough consenting candidates, shared out among citizens.
    overall = fair.tables["liaison_exposure"].query("group == 'overall'")["value"]
    assert overall.iloc[0] == pytest.approx(1.0)


def test_the_audit_finds_the_group_a_ranker_fails(audits):
    fair, unfair, _ = audits
    age_fair = fair.ratios().set_index("dimension").loc["age_band"]
    age_unfair = unfair.ratios().set_index("dimension").loc["age_band"]
    assert age_fair["ratio"] >= 0.9
    assert age_unfair["ratio"] < 0.8 and age_unfair["worst"] in ("50–59", "60+")
    assert age_unfair["ratio_hi"] < age_fair["ratio_lo"]
