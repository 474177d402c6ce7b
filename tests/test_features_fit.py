"""Practical fit features and the rule that gender and origin are never features."""
import pandas as pd
import pytest

from matcher.features.build import FEATURES, build_features


def _f(world, rows):
    pairs = pd.DataFrame(rows, columns=["citizen_id", "opportunity_id", "as_of"])
    pairs["as_of"] = pd.to_datetime(pairs["as_of"])
    return build_features(world, pairs)


def test_no_protected_attribute_is_a_feature():
    for word in ("gender", "origin", "sex", "nationality", "citizen_id", "postcode"):
        assert not any(word in name for name in FEATURES), word
    # The benefit type (integration benefit) is a proxy for origin: left out on purpose.
    assert "benefit" not in FEATURES and not any(name.startswith("benefit") for name in FEATURES)


def test_danish_hours_licence(tiny_world):
    f = _f(tiny_world, [("c1", "o2", "2023-06-02"), ("c2", "o2", "2023-06-02"), ("c3", "o2", "2023-06-02"), ("c1", "o1", "2023-06-02")])
    # o2: Danish 3, 37 hours, licence required. c1: Danish 2, max 30 h, no licence.
    assert f.loc[0, ["danish_gap", "danish_short", "hours_over", "licence_missing"]].tolist() == [1, 1, 7, 1]
    # c2: Danish 4 (gap -1, no shortfall), no maximum recorded (full time), has a licence.
    assert f.loc[1, ["danish_gap", "danish_short", "hours_over", "licence_missing", "citizen_max_hours"]].tolist() == [-1, 0, 0, 0, 37]
    # c3: licence unknown counts as missing.
    assert f.loc[2, "licence_missing"] == 1
    assert f.loc[3, ["licence_required", "licence_missing", "hours_over"]].tolist() == [0, 0, 0]


def test_kind_readiness_and_barriers(tiny_world):
    f = _f(tiny_world, [("c2", "o2", "2023-06-02"), ("c2", "o4", "2023-06-02"), ("c1", "o2", "2023-06-02")])
    assert f.loc[0, "kind_ordinary_job"] == 1 and f.loc[1, "kind_company_placement"] == 1
    assert f[[c for c in FEATURES if c.startswith("kind_")]].sum(axis=1).tolist() == [1, 1, 1]
    # c2 is activity-ready with mental-health and debt barriers.
    assert f.loc[0, ["activity_ready", "job_kind_x_activity_ready", "n_barriers", "mental_health_x_ordinary_job"]].tolist() == [1, 1, 2, 1]
    assert f.loc[1, ["job_kind_x_activity_ready", "mental_health_x_ordinary_job"]].tolist() == [0, 0]
    assert f.loc[2, ["activity_ready", "n_barriers"]].tolist() == [0, 0]
    assert f.loc[0, "age"] == 2023 - 1970
    assert f.loc[0, "months_enrolled"] == pytest.approx((pd.Timestamp("2023-06-02") - pd.Timestamp("2022-06-01")).days / 30.44)


def test_months_on_benefit_are_those_on_the_pair_date(tiny_world):
    from matcher.features.fit import export_date
    from matcher.world import calendar_months_between

    exported = export_date(tiny_world)
    f = _f(tiny_world, [("c1", "o1", "2023-06-02"), ("c1", "o1", "2023-09-02"), ("c3", "o1", "2023-06-02")])
    # c1 (40 months at the export) had 3 fewer months in June than in September 2023.
    back = calendar_months_between(pd.Series([pd.Timestamp("2023-06-02")]), pd.Series([exported]))[0]
    assert f.loc[0, "months_on_benefit"] == max(40 - back, 0)
    assert f.loc[1, "months_on_benefit"] - f.loc[0, "months_on_benefit"] == 3
    # c3 left on 2024-01-01 with 12 months: its value is stated as of leaving, 7 months after June 2023.
    assert f.loc[2, "months_on_benefit"] == 12 - 7


def test_danish_shortfall_by_kind(tiny_world):
    f = _f(tiny_world, [("c1", "o2", "2023-06-02"), ("c1", "o4", "2023-06-02")])
    # o2 is an ordinary job asking Danish 3 of c1 (level 2): a shortfall of 1 at a workplace.
    assert f.loc[0, ["danish_short_x_job", "danish_short_x_education"]].tolist() == [1.0, 0.0]
