"""The caseworker in charge (issue 11): what the app showed is kept with each proposal, and the
oversight figures count first, top-3, lower, unlisted and switched-off proposals by team and over
time, the outcomes of followed vs overruled ones and the reasons given; the citizen page keeps a
reason with the one proposal it was written for."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from matcher.auth import operator
from matcher.caseload import app_date, caseload, propose, record_outcome
from matcher.db import Caseworker, Referral, session_scope
from matcher import oversight
from matcher.search import open_opportunities
from matcher.service import Matcher
from matcher.switch import set_suggestions
from matcher.world import World
from tests.app_helpers import HOME, TIMEOUT, copy_database, live_user, texts, use_database
from tests.test_switch import staff


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    return engine


def test_choice_of_a_proposal():
    assert [oversight.choice(d) for d in ({"rank": 1}, {"rank": 2}, {"rank": 3}, {"rank": 4}, {"rank": 12}, {}, {"listed": False},
                                          {"rank": 1, "suggestions": "off"}, None)] == [
        "first", "top3", "top3", "lower", "lower", "unlisted", "unlisted", "off", "unlisted"]
    assert [oversight.needs_reason(r) for r in (1, 3, 4, None)] == [False, False, True, True]


def test_rate_interval_is_jeffreys_and_holds_the_rate():
    low, high = oversight.rate_interval(3, 10)
    assert low < 0.3 < high and (round(low, 3), round(high, 3)) == (0.093, 0.606)
    assert oversight.rate_interval(0, 5)[0] == 0.0 and oversight.rate_interval(5, 5)[1] == 1.0
    assert all(np.isnan(oversight.rate_interval(0, 0)))


def test_overrule_statistics_on_a_small_world(app_db, trained_ranker):
    """Five proposals of known kinds by one caseworker, outcomes entered: every figure by hand."""
    on = app_date(app_db)
    mine = staff(app_db, "caseworker")
    cw = live_user(app_db, "cw", "caseworker", mine)
    matcher = Matcher(World.from_db(app_db), trained_ranker, app_db)
    citizens = caseload(app_db, mine, on)["citizen_id"].tolist()[:5]
    made = {}
    for who, pick in zip(citizens[:3], (0, 1, 5)):  # the first, the second, the sixth suggestion
        listed = matcher.recommend(who, k=10, as_of=on)
        detail = oversight.proposal_detail(listed[pick], [s.opportunity_id for s in listed], "7")
        reason = "kender arbejdsgiveren" if oversight.needs_reason(listed[pick].rank) else None
        made[pick] = propose(app_db, cw, who, listed[pick].opportunity_id, on, detail, reason)
    found = open_opportunities(app_db, on)  # not from the list: found by search
    made["search"] = propose(app_db, cw, citizens[3], found["opportunity_id"].iloc[0], on,
                             oversight.proposal_detail(None, None, "7"), "borgerens eget ønske")
    set_suggestions(app_db, operator(), False)
    made["off"] = propose(app_db, cw, citizens[4], found["opportunity_id"].iloc[1], on,
                          oversight.proposal_detail(None, None, None, suggestions_on=False))
    record_outcome(app_db, cw, made[0], "completed", on)
    record_outcome(app_db, cw, made[1], "declined", on)
    record_outcome(app_db, cw, made[5], "hired", on)

    frame = oversight.proposals(app_db)
    by_id = frame.set_index("referral_id")
    assert [by_id.at[made[k], "choice"] for k in (0, 1, 5, "search", "off")] == ["first", "top3", "lower", "unlisted", "off"]
    assert by_id.at[made[5], "rank"] == 6 and by_id.at[made[0], "model_version"] == "7"
    assert frame["channel"].eq("caseworker").all()
    with session_scope(app_db) as s:
        team = s.get(Caseworker, mine).team
    per_team = oversight.choices(frame, "team")
    assert per_team.to_dict("records") == [{"team": team, "first": 1, "top3": 1, "lower": 1, "unlisted": 1, "off": 1,
                                             "total": 5, "followed": 0.5}]
    monthly = oversight.choices(frame, None, "month")
    assert monthly["total"].sum() == 5 and monthly["period"].tolist() == [on.replace(day=1)]
    weekly = oversight.choices(frame, None, "week")
    assert weekly["period"].tolist() == [on - timedelta(days=on.weekday())]

    results = oversight.outcomes(frame).set_index("group")
    assert results.loc["followed", ["proposals", "pending", "known", "successes"]].tolist() == [2, 0, 2, 1]
    assert results.loc["overruled", ["proposals", "pending", "known", "successes"]].tolist() == [2, 1, 1, 1]
    assert results.loc["off", ["proposals", "pending"]].tolist() == [1, 1]
    assert results.at["followed", "success_rate"] == 0.5
    assert results.at["followed", "low"] < 0.5 < results.at["followed", "high"]

    given = oversight.reasons(frame)
    assert sorted(given["reason"]) == ["borgerens eget ønske", "kender arbejdsgiveren"]
    assert set(given["choice"]) == {"lower", "unlisted"}
    assert "citizen_id" not in frame.columns  # aggregates for staff who see no citizen pages


def test_the_citizen_page_keeps_the_reason_with_one_proposal_and_the_oversight_page_shows_it(app_db):
    on = app_date(app_db)
    mine = staff(app_db, "caseworker")
    cw = live_user(app_db, "cw", "caseworker", mine)
    citizens = caseload(app_db, mine, on)["citizen_id"].tolist()

    def citizen_page(citizen):
        at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
        at.session_state["user"], at.session_state["citizen_id"] = cw, citizen
        at.switch_page("pages/citizen.py").run()
        assert not at.exception, at.exception
        return at

    def listed(at):
        """The listed suggestions' propose buttons by the rank their card shows (cards are grouped by kind)."""
        buttons = [b for b in at.button if b.key and b.key.startswith("propose_") and not b.key.startswith("propose_search_")]
        ranks = [int(m.value[2:].split(".")[0]) for m in at.markdown if m.value.startswith("**") and m.value[2].isdigit()]
        assert len(ranks) == len(buttons)
        return dict(zip(ranks, buttons))

    first = citizen_page(citizens[0])
    listed(first)[1].click().run()
    fourth = citizen_page(citizens[1])
    fourth.text_input(key="overrule_reason").input("borgeren har prøvet stedet før").run()
    pick = listed(fourth)[4]
    pick.click().run()
    assert not fourth.exception, fourth.exception
    assert fourth.text_input(key="overrule_reason").value == ""  # a reason belongs to one proposal
    with session_scope(app_db) as s:
        rows = {r.citizen_id: r for r in s.scalars(select(Referral).where(Referral.source == "app"))}
    assert rows[citizens[0]].override_reason is None
    assert rows[citizens[1]].override_reason == "borgeren har prøvet stedet før"
    assert rows[citizens[1]].opportunity_id == pick.key.removeprefix("propose_")
    frame = oversight.proposals(app_db).set_index("referral_id")
    assert frame.at[rows[citizens[0]].referral_id, "choice"] == "first"
    assert frame.at[rows[citizens[1]].referral_id, "rank"] == 4
    # The explanation link for the new referral is offered at once.
    assert any(link.label for link in fourth.get("page_link"))

    ds = live_user(app_db, "ds", "data_scientist")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.session_state["user"] = ds
    at.switch_page("pages/oversight.py").run()
    assert not at.exception, at.exception
    team_table, over_time, results, reasons = (d.value for d in at.dataframe)  # in the page's order
    assert team_table.iloc[:, 1:6].to_numpy().sum() == 2 and over_time.iloc[:, 1:6].to_numpy().sum() == 2
    assert len(results) == 3
    assert reasons.iloc[:, -1].tolist() == ["borgeren har prøvet stedet før"]
    at.radio(key="oversight_period").set_value("uge").run()
    assert not at.exception and at.dataframe[1].value.iloc[:, 1:6].to_numpy().sum() == 2
