"""Behavioural tests of the trained ranker on the small world: direction, minimum function, invariance."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matcher.features.build import build_features
from matcher.service import latest_date

SOFTWARE_DEVELOPER = "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"


@pytest.fixture(scope="module")
def day(small_world):
    return latest_date(small_world)


def _distinct_pairs(world, day, n=150, seed=0):
    """Active citizens, each with a distinct open opportunity (so moving one moves one pair)."""
    rng = np.random.default_rng(seed)
    cits = world.active_citizens(day)["citizen_id"].to_numpy()
    # Any opportunity will do: scoring does not depend on being open, and open ones are few on one day.
    opps = world.opportunities
    opps = opps[opps["employer_id"].notna()]["opportunity_id"].to_numpy()
    n = min(n, len(opps))
    return pd.DataFrame({"citizen_id": rng.choice(cits, n), "opportunity_id": rng.choice(opps, n, replace=False), "as_of": day})


def _with_opportunities(world, changes: pd.DataFrame):
    """A copy of the world whose opportunities take the given column values (indexed by opportunity_id)."""
    opps = world.opportunities.set_index("opportunity_id", drop=False).copy()
    for column in changes.columns:
        opps.loc[changes.index, column] = changes[column].astype(opps[column].dtype)
    return replace(world, opportunities=opps.reset_index(drop=True))


def _score(ranker, world, pairs):
    return ranker.score(build_features(world, pairs))


def test_moving_closer_never_lowers_the_score(small_world, trained_ranker, day):
    pairs = _distinct_pairs(small_world, day)
    home = small_world.citizens.set_index("citizen_id").loc[pairs["citizen_id"], ["home_lat", "home_lon"]].to_numpy()
    where = small_world.opportunities.set_index("opportunity_id").loc[pairs["opportunity_id"], ["lat", "lon"]].to_numpy()
    before = _score(trained_ranker, small_world, pairs)
    # Halfway home, then all the way home: each step may only raise the score.
    scores = [before]
    for share in (0.5, 1.0):
        moved = pd.DataFrame(where + share * (home - where), columns=["lat", "lon"], index=pairs["opportunity_id"].to_numpy())
        scores.append(_score(trained_ranker, _with_opportunities(small_world, moved), pairs))
    assert np.all(scores[1] >= scores[0] - 1e-12) and np.all(scores[2] >= scores[1] - 1e-12)
    # The model does use distance: some pairs gain.
    assert np.mean(scores[2] > scores[0]) > 0.2


def test_raising_danish_above_the_citizen_lowers_the_score(small_world, trained_ranker, day):
    pairs = _distinct_pairs(small_world, day, n=300, seed=1)
    level = small_world.citizens.set_index("citizen_id").loc[pairs["citizen_id"], "danish_level"].to_numpy()
    pairs, level = pairs[level <= 2].reset_index(drop=True), level[level <= 2]
    assert len(pairs) >= 20
    # The same opportunities asking exactly the citizen's level, then two levels more.
    met = pd.DataFrame({"danish_required": level}, index=pairs["opportunity_id"].to_numpy())
    above = pd.DataFrame({"danish_required": level + 2}, index=pairs["opportunity_id"].to_numpy())
    before = _score(trained_ranker, _with_opportunities(small_world, met), pairs)
    after = _score(trained_ranker, _with_opportunities(small_world, above), pairs)
    assert np.all(after <= before + 1e-12)
    assert after.mean() < before.mean()


def test_an_obvious_match_outranks_an_obvious_mismatch(small_world, trained_ranker, day):
    c = small_world.active_citizens(day)
    c = c[c["job_wishes"].map(len) > 0].head(60)
    employer = small_world.employers.iloc[0]
    n = len(c)
    base = {
        "employer_id": employer["employer_id"], "provider": None, "description": None, "skills": [[]] * n,
        "open_from": day - pd.Timedelta(days=30), "open_until": pd.NaT, "capacity": 5, "weeks": 8.0, "wage_per_hour": np.nan,
    }
    match = pd.DataFrame({
        **base, "opportunity_id": "match_" + c["citizen_id"].to_numpy(), "kind": "company_placement", "title": "match",
        "occupation_uri": c["job_wishes"].map(lambda w: w[0]).to_numpy(), "danish_required": 0,
        "hours_per_week": np.minimum(c["max_hours_per_week"].fillna(20).to_numpy(), 20), "postcode": c["home_postcode"].to_numpy(),
        "lat": c["home_lat"].to_numpy(), "lon": c["home_lon"].to_numpy(), "requires_drivers_license": False,
    })
    mismatch = pd.DataFrame({
        **base, "opportunity_id": "mismatch_" + c["citizen_id"].to_numpy(), "kind": "ordinary_job", "title": "mismatch",
        "occupation_uri": SOFTWARE_DEVELOPER, "danish_required": 4, "hours_per_week": 37, "postcode": "2750",
        "lat": 55.731 + 0.3, "lon": 12.363 - 0.3, "requires_drivers_license": True,
    })
    opps = pd.concat([small_world.opportunities, match[small_world.opportunities.columns], mismatch[small_world.opportunities.columns]], ignore_index=True)
    world = replace(small_world, opportunities=opps)
    pairs_match = pd.DataFrame({"citizen_id": c["citizen_id"].to_numpy(), "opportunity_id": match["opportunity_id"], "as_of": day})
    pairs_mismatch = pairs_match.assign(opportunity_id=mismatch["opportunity_id"].to_numpy())
    assert np.all(_score(trained_ranker, world, pairs_match) > _score(trained_ranker, world, pairs_mismatch))


def test_gender_and_origin_change_nothing_exactly(small_world, small_matcher, trained_ranker, day):
    pairs = _distinct_pairs(small_world, day, n=300, seed=2)
    citizens = small_world.citizens.copy()
    citizens["gender"] = citizens["gender"].map({"F": "M", "M": "F", "X": "F"})
    citizens["origin"] = citizens["origin"].map({"danish": "non_western", "non_western": "danish", "western": "danish"})
    swapped = replace(small_world, citizens=citizens)
    np.testing.assert_array_equal(_score(trained_ranker, small_world, pairs), _score(trained_ranker, swapped, pairs))
    from matcher.service import Matcher

    cid = pairs["citizen_id"].iloc[0]
    a = [(s.opportunity_id, s.score) for s in small_matcher.recommend(cid, k=10)]
    b = [(s.opportunity_id, s.score) for s in Matcher(swapped, trained_ranker).recommend(cid, k=10)]
    assert a == b
