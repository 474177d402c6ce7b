"""An explanation a citizen can get (issue 11, Art. 86): from a referral, a printable page in plain
Danish — what was proposed and by whom, that a caseworker decided, the reasons the caseworker
saw (saved at the proposal, or recomputed and said so), what data the model uses, how to
complain. Only the citizen's own caseworker; audited."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from matcher import audit
from matcher.access import AccessDenied
from matcher.caseload import app_date, caseload, propose
from matcher.db import Caseworker, Referral, session_scope
from matcher.explanation import APPEALS_BOARD, MUNICIPALITY, NOT_USED, build, data_used, explain_referral
from matcher.oversight import proposal_detail
from matcher.search import open_opportunities
from matcher.service import Matcher
from matcher.world import World
from tests.app_helpers import HOME, TIMEOUT, copy_database, live_user, use_database
from tests.test_switch import staff


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    return engine


@pytest.fixture
def proposed(app_db, trained_ranker):
    """The caseworker proposed the second suggestion to a citizen from the list; reasons saved."""
    on = app_date(app_db)
    mine = staff(app_db, "caseworker")
    cw = live_user(app_db, "cw", "caseworker", mine)
    matcher = Matcher(World.from_db(app_db), trained_ranker, app_db)
    citizen = caseload(app_db, mine, on)["citizen_id"].iloc[0]
    listed = matcher.recommend(citizen, k=10, as_of=on)
    rid = propose(app_db, cw, citizen, listed[1].opportunity_id, on,
                  proposal_detail(listed[1], [s.opportunity_id for s in listed], "3"))
    return cw, matcher, citizen, listed[1], rid


def test_an_explanation_of_a_proposal_from_the_list(app_db, proposed):
    cw, matcher, citizen, suggestion, rid = proposed
    made = explain_referral(app_db, cw, rid, matcher)
    assert (made.how, made.rank, made.reasons_source, made.model_version) == ("listed", 2, "saved", "3")
    assert made.reasons == suggestion.reasons_da and made.reasons
    with session_scope(app_db) as s:
        name = s.get(Caseworker, cw.caseworker_id).name
    text = made.markdown()
    for needed in (suggestion.title, name, "nr. 2 på værktøjets liste", "ikke computeren", MUNICIPALITY, APPEALS_BOARD,
                   "4 uger", "Datatilsynet", NOT_USED, *suggestion.reasons_da):
        assert needed in text, needed
    page = made.html()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "Ankestyrelsen" in page
    entry = audit.read(app_db, action=audit.EXPLAIN_REFERRAL)
    assert entry[["username", "citizen_id"]].values.tolist() == [["cw", citizen]]
    assert entry["detail"].iloc[0] == {"referral_id": rid, "how": "listed"}


def test_reasons_not_saved_are_recomputed_and_said_so(app_db, proposed):
    cw, matcher, citizen, suggestion, _ = proposed
    other = open_opportunities(app_db, app_date(app_db), exclude={suggestion.opportunity_id})["opportunity_id"].iloc[0]
    # A proposal from the list made before the reasons were kept: only its rank is known.
    rid = propose(app_db, cw, citizen, other, app_date(app_db), {"rank": 5, "listed": True})
    made = build(app_db, rid, matcher)
    assert made.reasons_source == "recomputed"
    assert made.reasons == matcher.explain(citizen, other, app_date(app_db)).reasons_da
    assert "regnet ud igen" in made.markdown()


def test_an_unlisted_proposal_and_an_imported_referral_say_the_tool_did_not_suggest_them(app_db, proposed):
    cw, matcher, citizen, suggestion, _ = proposed
    other = open_opportunities(app_db, app_date(app_db), exclude={suggestion.opportunity_id})["opportunity_id"].iloc[0]
    rid = propose(app_db, cw, citizen, other, app_date(app_db), proposal_detail(None, None, "3"), "borgerens ønske")
    made = build(app_db, rid, matcher)
    assert (made.how, made.reasons) == ("unlisted", [])
    assert "fandt og valgte det selv" in made.markdown() and "Hvorfor foreslog" not in made.markdown()
    with session_scope(app_db) as s:
        imported = s.query(Referral.referral_id).filter(Referral.source == "import").first()[0]
    old = build(app_db, imported, matcher)
    assert old.how == "outside" and "sagssystem" in old.markdown() and "Hvilke oplysninger" not in old.markdown()


def test_data_used_follows_the_model_and_never_names_gender_or_origin(trained_ranker):
    listed = data_used(list(trained_ranker.features))
    assert "dine jobønsker" in listed and "dit danskniveau" in listed
    assert data_used(["commute_minutes"]) == ["transporttiden fra din bopæl og hvor langt du kan transportere dig"]
    assert not any(word in " ".join(listed) for word in ("køn", "oprindelse"))


def test_only_the_citizens_own_caseworker_and_refusals_are_audited(app_db, proposed):
    _, matcher, citizen, _, rid = proposed
    with session_scope(app_db) as s:
        stranger_id = s.query(Caseworker.caseworker_id).filter(Caseworker.caseworker_id != staff(app_db, "caseworker"),
                                                                Caseworker.role == "caseworker").first()[0]
    stranger = live_user(app_db, "other", "caseworker", stranger_id)
    ds = live_user(app_db, "ds", "data_scientist")
    for who in (stranger, ds, None):
        with pytest.raises(AccessDenied):
            explain_referral(app_db, who, rid, matcher)
    with pytest.raises(KeyError):
        explain_referral(app_db, live_user(app_db, "cw2", "caseworker", staff(app_db, "caseworker")), "NO-SUCH", matcher)
    denied = audit.read(app_db, action=audit.ACCESS_DENIED)
    assert sorted(denied["username"]) == sorted(["other", "ds", audit.ANONYMOUS])
    assert audit.read(app_db, action=audit.REFUSED)["username"].tolist() == ["cw2"]
    assert audit.read(app_db, action=audit.EXPLAIN_REFERRAL).empty


def test_the_explanation_page_renders_for_a_referral(app_db, proposed):
    cw, _, citizen, suggestion, rid = proposed
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.session_state["user"] = cw
    at.query_params["referral"] = rid
    at.switch_page("pages/explanation.py").run()
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    for needed in ("Forklaring på et tilbud fra jobcentret", suggestion.title, "ikke computeren", APPEALS_BOARD, *suggestion.reasons_da):
        assert needed in shown, needed
    assert len(at.get("download_button")) == 1
    at.run()  # a rerun is not a second explanation given
    assert len(audit.read(app_db, action=audit.EXPLAIN_REFERRAL)) == 1
