"""The suggestions switch (issue 11): off, the service refuses every suggestion, the command line
says so with exit status 3, and every page goes on without them (the caseworker searches the open
offers, the liaison browses consenting candidates unranked); on again, suggestions return. Every
switch is audited with who and when, a refusal too."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from matcher import audit
from matcher.access import AccessDenied
from matcher.auth import operator
from matcher.caseload import app_date, caseload
from matcher.cli import app as cli
from matcher.db import Caseworker, Citizen, Referral, session_scope
from matcher.i18n import t
from matcher.oversight import proposals
from matcher.service import Matcher
from matcher.switch import SuggestionsOff, set_suggestions, state, suggestions_on
from matcher.world import World
from tests.app_helpers import HOME, TIMEOUT, copy_database, live_user, texts, use_database


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    return engine


def staff(engine, role: str) -> str:
    """The staff member of ``role`` with the most citizens (caseworker) or the first (liaison)."""
    with session_scope(engine) as s:
        if role == "caseworker":
            return s.execute(select(Citizen.caseworker_id).group_by(Citizen.caseworker_id)
                             .order_by(func.count().desc()).limit(1)).scalar_one()
        return s.execute(select(Caseworker.caseworker_id).where(Caseworker.role == role)
                         .order_by(Caseworker.caseworker_id).limit(1)).scalar_one()


def page(user, name: str, **state) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.session_state["user"] = user
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def listed(at: AppTest) -> list[str]:
    """Propose buttons of listed suggestions (not of the search)."""
    return [b.key for b in at.button if b.key and b.key.startswith("propose_") and not b.key.startswith("propose_search_")]


def test_the_service_refuses_while_off_and_serves_again_when_on(app_db, trained_ranker):
    matcher = Matcher(World.from_db(app_db), trained_ranker, app_db)
    citizen = matcher.world.active_citizens(matcher._date(None))["citizen_id"].iloc[0]
    opening = matcher.world.opportunities["opportunity_id"].iloc[0]
    assert suggestions_on(app_db) and matcher.recommend(citizen, k=3)
    done = set_suggestions(app_db, operator(), False, "model under review")
    assert not done.on and done.changed_by == operator().username and done.reason == "model under review"
    for call in (lambda: matcher.recommend(citizen, k=3), lambda: matcher.candidates(opening, k=3),
                 lambda: matcher.recommend_all(k=3)):
        with pytest.raises(SuggestionsOff, match="switched by cli:.*model under review"):
            call()
    # Explaining a referral made earlier is not a suggestion: it still works.
    assert matcher.explain(citizen, opening).reasons_da
    set_suggestions(app_db, operator(), True)
    assert len(matcher.recommend(citizen, k=3)) == 3
    entries = audit.read(app_db, action=audit.SWITCH_SUGGESTIONS)
    assert [(d["on"], d["was_on"]) for d in entries["detail"]] == [(True, False), (False, True)]
    assert set(entries["username"]) == {operator().username}


def test_only_an_admin_or_the_operator_may_switch_and_refusals_are_audited(app_db):
    cw = live_user(app_db, "cw", "caseworker", staff(app_db, "caseworker"))
    ds = live_user(app_db, "ds", "data_scientist")
    for who in (cw, ds, None):
        with pytest.raises(AccessDenied):
            set_suggestions(app_db, who, False)
    assert suggestions_on(app_db)
    denied = audit.read(app_db, action=audit.ACCESS_DENIED)
    assert sorted(denied["username"]) == sorted(["cw", "ds", audit.ANONYMOUS])
    with pytest.raises(ValueError, match="longer than 500"):
        set_suggestions(app_db, live_user(app_db, "adm", "admin"), False, "x" * 501)
    assert suggestions_on(app_db) and audit.read(app_db, action=audit.REFUSED)["username"].tolist() == ["adm"]


def test_the_command_line_switches_and_refuses_suggestions_while_off(app_db):
    db = str(app_db.url)
    runner = CliRunner()
    citizen = World.from_db(app_db).citizens["citizen_id"].iloc[0]
    opening = World.from_db(app_db).opportunities["opportunity_id"].iloc[0]
    shown = runner.invoke(cli, ["suggestions", "--db", db])
    assert shown.exit_code == 0 and "suggestions are on" in shown.output
    off = runner.invoke(cli, ["suggestions", "--off", "--reason", "audit finding", "--db", db])
    assert off.exit_code == 0, off.output
    assert "suggestions are OFF" in off.output and "audit finding" in off.output
    for args in (["recommend", "--citizen", citizen], ["candidates", "--opportunity", opening],
                 ["recommend", "--all", "--out", str(app_db.url.database) + ".csv"], ["plan"]):
        result = runner.invoke(cli, [*args, "--db", db])
        assert result.exit_code == 3, (args, result.output)
        assert "suggestions are OFF" in result.output and "audit finding" in result.output
    assert runner.invoke(cli, ["suggestions", "--on", "--off", "--db", db]).exit_code != 0
    on = runner.invoke(cli, ["suggestions", "--on", "--db", db])
    assert on.exit_code == 0 and "suggestions are on" in on.output
    again = runner.invoke(cli, ["recommend", "--citizen", citizen, "--db", db])
    assert again.exit_code == 0 and " 1. " in again.output
    assert audit.read(app_db, action=audit.SWITCH_SUGGESTIONS)["username"].str.startswith("cli:").all()


def test_the_switch_removes_suggestions_from_every_page(app_db):
    on = app_date(app_db)
    mine = staff(app_db, "caseworker")
    citizen = caseload(app_db, mine, on)["citizen_id"].iloc[0]
    users = {
        "caseworker": live_user(app_db, "cw", "caseworker", mine),
        "employer_liaison": live_user(app_db, "lis", "employer_liaison", staff(app_db, "employer_liaison")),
        "data_scientist": live_user(app_db, "ds", "data_scientist"),
        "admin": live_user(app_db, "adm", "admin"),
    }
    # On: the citizen page lists suggestions with their chance, the liaison ranks candidates.
    before = page(users["caseworker"], "citizen", citizen_id=citizen)
    assert listed(before)
    ranked = page(users["employer_liaison"], "liaison")
    assert any(m.value.startswith("**1. ") for m in ranked.markdown)

    # The admin switches them off on the admin page.
    admin = page(users["admin"], "admin")
    admin.text_input(key="switch_reason").input("a fault in the model")
    admin.button(key="switch_suggestions").click().run()
    assert not admin.exception, admin.exception
    assert not state(app_db).on and state(app_db).changed_by == "adm"
    assert any("FRA" in e for e in texts(admin.error))

    # Every page of every role runs; none shows a suggestion.
    for role, pages in {"caseworker": ("caseload", "citizen", "overview", "explanation"), "employer_liaison": ("liaison", "overview"),
                        "data_scientist": ("models", "oversight", "overview"), "admin": ("admin", "oversight", "overview")}.items():
        for name in pages:
            at = page(users[role], name, citizen_id=citizen)
            assert t("page_denied") not in texts(at.error), (role, name)
    cw = page(users["caseworker"], "citizen", citizen_id=citizen)
    assert listed(cw) == [] and not any(t("chance") in m.value for m in cw.markdown)
    assert any(w.startswith(t("suggestions_off", since="", by="")[:20]) for w in texts(cw.warning))
    assert f"Borger {citizen}" in texts(cw.subheader)  # the profile and history are there
    # ... and the caseworker proposes from a search of the open offers.
    search = [b for b in cw.button if b.key and b.key.startswith("propose_search_")]
    assert search
    search[0].click().run()
    assert not cw.exception, cw.exception
    made = proposals(app_db)
    assert made["choice"].tolist() == ["off"]
    liaison = page(users["employer_liaison"], "liaison")
    assert t("liaison_unranked") in texts(liaison.warning)
    assert any(m.value.startswith(f"**{t('candidate')} ") for m in liaison.markdown)  # listed, unranked
    assert not any(m.value.startswith("**1. ") or t("chance") in m.value for m in liaison.markdown)
    viewed = audit.read(app_db, action=audit.VIEW_CANDIDATES)
    assert viewed["detail"].iloc[0]["ranked"] is False and viewed["detail"].iloc[0]["citizens"]

    # On again: suggestions are back.
    admin = page(users["admin"], "admin")
    admin.button(key="switch_suggestions").click().run()
    assert state(app_db).on
    assert listed(page(users["caseworker"], "citizen", citizen_id=citizen))
    log = audit.read(app_db, action=audit.SWITCH_SUGGESTIONS)
    assert [(u, d["on"]) for u, d in zip(log["username"], log["detail"])] == [("adm", True), ("adm", False)]
    with session_scope(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Referral).where(Referral.source == "app")) == 1
