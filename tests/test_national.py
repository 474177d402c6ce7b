"""The national world: municipalities side by side, each its own programme, one valid export."""
from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.features.commute import haversine_km
from matcher.simulate.national import COPENHAGEN


def test_a_national_world_is_municipalities_with_their_own_people_and_places(tmp_path, setting):
    from matcher.db import make_engine
    from matcher.importer import import_folder
    from matcher.simulate import simulate_world
    from matcher.world import World

    setting("SIM_NATIONAL_ABOVE", "300")
    setting("SIM_MUNICIPALITY_CITIZENS", "150")
    report = simulate_world(tmp_path / "nation", n_citizens=451, seed=5)
    assert "451 citizens in 3 municipalities" in report
    engine = make_engine(f"sqlite:///{tmp_path / 'nation.db'}")
    import_folder(tmp_path / "nation", engine)  # the importer's validation accepts it whole
    world = World.from_db(engine)
    c, e, o, r = world.citizens, world.employers, world.opportunities, world.referrals
    muni = c["citizen_id"].str[:3]
    assert sorted(muni.value_counts().tolist()) == [150, 150, 151]
    # Everyone's caseworker, every referral's parties and every opening's employer are of the same municipality.
    assert (c["caseworker_id"].str[:3] == muni).all()
    assert (r["citizen_id"].str[:3] == r["opportunity_id"].str[:3]).all() and (r["caseworker_id"].str[:3] == r["citizen_id"].str[:3]).all()
    has_employer = o["employer_id"].notna()
    assert (o.loc[has_employer, "employer_id"].str[:3] == o.loc[has_employer, "opportunity_id"].str[:3]).all()
    # Copenhagen stays where it is; the others (North Zealand first) live and work around their own centre.
    km = pd.Series(haversine_km(c["home_lat"], c["home_lon"], np.full(len(c), COPENHAGEN[0]), np.full(len(c), COPENHAGEN[1])))
    assert km[(muni == "M00").to_numpy()].max() < 15 and km[(muni != "M00").to_numpy()].min() > 20
    teams = world.caseworkers.groupby(world.caseworkers["caseworker_id"].str[:3])["team"].apply(set)
    assert not (teams["M01"] & teams["M02"])
