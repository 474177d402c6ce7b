"""The stored municipal plan (matcher.plan_store): what the pages read, when it goes stale, and the
holds that a proposal keeps for other citizens unless the caseworker gives a reason."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine.url import make_url

from matcher import plan_store
from matcher.congestion import gini
from matcher.caseload import HeldForOthers, app_date, propose
from matcher.db import Citizen, PlanEntry, PlanRun, make_engine, session_scope
from matcher.plan import plan_for
from tests.app_helpers import live_user


@pytest.fixture
def engine(small_db_url, tmp_path):
    """A writable copy of the small world's database."""
    copy = tmp_path / "plan.db"
    shutil.copy(make_url(small_db_url).database, copy)
    eng = make_engine(f"sqlite:///{copy}")
    yield eng
    plan_store.wait(eng)
    eng.dispose()


def test_compute_stores_the_plan_as_solved(engine, small_matcher):
    run = plan_store.compute(engine, small_matcher, k=5, model_version="7")
    assert run.status == "done" and run.k == 5 and run.model_version == "7"
    stored = plan_store._entries(engine, run.id).sort_values(["citizen_id", "rank"]).reset_index(drop=True)
    solved = plan_for(small_matcher, k=5, as_of=app_date(engine)).detail.sort_values(["citizen_id", "rank"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(stored[["citizen_id", "rank", "opportunity_id"]], solved[["citizen_id", "rank", "opportunity_id"]])
    assert stored["assigned"].tolist() == solved["assigned"].tolist()
    assert run.objective == pytest.approx(solved.loc[solved["assigned"], "score"].sum())
    assert run.citizens == solved["citizen_id"].nunique()
    assert plan_store.latest(engine).id == run.id


def test_fresh_after_compute_stale_after_a_proposal_and_refresh_recomputes(engine, small_matcher):
    run = plan_store.compute(engine, small_matcher, model_version="1")
    assert not plan_store.status(engine, small_matcher, "1").stale
    # Another model version makes it stale too.
    assert plan_store.status(engine, small_matcher, "2").stale
    on = app_date(engine)
    entries = plan_store._entries(engine, run.id)
    # The holder proposes the place held for them (allowed: the hold is theirs).
    citizen, opening = entries[entries["assigned"]].iloc[0][["citizen_id", "opportunity_id"]]
    with session_scope(engine) as s:
        caseworker = s.get(Citizen, citizen).caseworker_id
    propose(engine, live_user(engine, "cw", "caseworker", caseworker), citizen, opening, on)
    st = plan_store.refresh(engine, small_matcher, "1", in_process=True)
    assert st.stale and st.recomputing and st.run_id == run.id
    plan_store.wait(engine)
    after = plan_store.status(engine, small_matcher, "1")
    assert not after.stale and after.run_id != run.id
    # The new plan no longer lists the pair just proposed.
    listed = plan_store._entries(engine, after.run_id, citizen_id=[citizen])
    assert opening not in set(listed["opportunity_id"])


def test_old_runs_are_pruned(engine, small_matcher):
    for _ in range(plan_store.KEEP_RUNS + 1):
        plan_store.compute(engine, small_matcher, k=3)
    with session_scope(engine) as s:
        runs = s.scalar(select(func.count()).select_from(PlanRun))
        kept = set(s.scalars(select(PlanRun.id)).all())
        entry_runs = set(s.scalars(select(PlanEntry.run_id).distinct()).all())
    assert runs == plan_store.KEEP_RUNS and entry_runs == kept


def test_citizen_opening_and_overview_views_agree_with_the_entries(engine, small_matcher):
    run = plan_store.compute(engine, small_matcher)
    entries = plan_store._entries(engine, run.id)
    holder = entries[entries["assigned"]].iloc[0]
    mine = plan_store.citizen_plan(engine, run.id, holder["citizen_id"], entries["opportunity_id"].unique())
    assert mine.held == holder["opportunity_id"]
    assert mine.note(holder["opportunity_id"]) == ("plan_held_for_citizen", {})
    directed = entries[entries["assigned"]].groupby("opportunity_id").size()
    for opening, n in directed.items():
        assert mine.to_others[opening] == n - (1 if opening == mine.held else 0)
    view = plan_store.opening_plan(engine, run.id, entries["opportunity_id"].unique())
    assert view["plan_directed"].sum() == entries["assigned"].sum()
    assert view["plan_listed"].sum() == len(entries)
    summary = run.summary
    assert summary["citizens"] == entries["citizen_id"].nunique() and summary["held"] == entries["assigned"].sum()
    assert 0 <= summary["exposure_gini"] <= 1 and 0 <= summary["undirected_share"] <= 1
    first = entries[entries["rank"] == 1]
    assert summary["first_full_share"] == pytest.approx(((~first["assigned"]) & (first["room_left"] <= 0)).mean())
    # Directed to no one: openings with free places that no citizen holds.
    capacity = pd.Series({"a": 2, "b": 1, "c": 0})
    detail = pd.DataFrame({"citizen_id": ["x", "y", "y"], "rank": [1, 1, 2], "opportunity_id": ["a", "a", "b"],
                           "assigned": [True, False, False], "room_left": [1, 1, 1]})
    assert plan_store.summarise(detail, capacity)["undirected_share"] == pytest.approx(0.5)
    assert plan_store.summarise(detail, capacity)["exposure_gini"] == pytest.approx(gini(np.array([2, 1])))


def test_a_place_held_for_others_needs_a_reason(engine, small_matcher):
    run = plan_store.compute(engine, small_matcher)
    entries = plan_store._entries(engine, run.id)
    on = app_date(engine)
    # An opening whose free places all go to holders, listed for a citizen who holds none of them.
    full = entries[~entries["assigned"] & (entries["room_left"] == 0)]
    assert len(full), "the small world is scarce: some listed places are all held by others"
    citizen, opening = full.iloc[0][["citizen_id", "opportunity_id"]]
    with session_scope(engine) as s:
        caseworker = s.get(Citizen, citizen).caseworker_id
    user = live_user(engine, "cw", "caseworker", caseworker)
    with pytest.raises(HeldForOthers, match="holds the .* free place"):
        propose(engine, user, citizen, opening, on)
    referral = propose(engine, user, citizen, opening, on, reason="borgeren har selv fundet stedet")
    assert referral.startswith("APP-")


def test_holds_are_not_enforced_when_switched_off(engine, small_matcher, setting):
    run = plan_store.compute(engine, small_matcher)
    entries = plan_store._entries(engine, run.id)
    citizen, opening = entries[~entries["assigned"] & (entries["room_left"] == 0)].iloc[0][["citizen_id", "opportunity_id"]]
    with session_scope(engine) as s:
        caseworker = s.get(Citizen, citizen).caseworker_id
    setting("PLAN__ENFORCE_HOLDS", "false")
    assert propose(engine, live_user(engine, "cw", "caseworker", caseworker), citizen, opening, app_date(engine)).startswith("APP-")


def test_plan_day_is_the_app_day(engine, small_matcher):
    run = plan_store.compute(engine, small_matcher)
    assert run.as_of == app_date(engine)


def test_the_pages_show_the_plan(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path, small_matcher):
    from matcher.i18n import number, percent
    from matcher.liaison import openings
    from tests.app_helpers import copy_database, signed_in, use_database
    from tests.test_app_roles import liaison_id

    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    run = plan_store.compute(engine, small_matcher, model_version="1")
    at = signed_in(engine, "dora", "data_scientist")
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Skævhed i eksponering (Gini)"] == number(run.summary["exposure_gini"], "da", 2)
    assert metrics["Første forslag allerede optaget"] == percent(run.summary["first_full_share"], "da")
    # The liaison sees per opening how many citizens the plan directs to it and how many lists show it.
    entries = plan_store._entries(engine, run.id)
    directed = entries[entries["assigned"]]["opportunity_id"].value_counts()
    opp = openings(engine, app_date(engine))
    employer = opp[opp["opportunity_id"].isin(directed.index)].iloc[0]["employer_id"]
    lis = signed_in(engine, "lis", "employer_liaison", liaison_id(engine))
    lis.selectbox(key="employer_pick").select(employer).run()
    assert not lis.exception, lis.exception
    shown = lis.dataframe[0].value
    assert "Planen henviser" in shown.columns and "På borgeres lister" in shown.columns
    mine = opp[opp["employer_id"] == employer]
    assert pd.to_numeric(shown["Planen henviser"]).sum() == directed.reindex(mine["opportunity_id"], fill_value=0).sum()


def test_refresh_computes_in_a_process_of_its_own_with_the_champion(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path, small_matcher):
    from tests.app_helpers import copy_database, use_database

    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    first = plan_store.refresh(engine, small_matcher, "1")
    assert first.run is None and first.stale and first.recomputing
    plan_store.wait(engine, timeout=600)
    after = plan_store.status(engine, small_matcher, "1")
    assert after.run is not None and not after.stale and after.run.model_version == "1"
    # The champion in the registry is the small matcher's ranker: the same plan as in this process.
    here = plan_for(small_matcher, k=after.run.k, as_of=after.run.as_of).detail
    stored = plan_store._entries(engine, after.run_id)
    assert set(map(tuple, stored.loc[stored["assigned"], ["citizen_id", "opportunity_id"]].to_numpy())) == set(
        map(tuple, here.loc[here["assigned"], ["citizen_id", "opportunity_id"]].to_numpy()))
