"""No English left on a Danish page: every page of every role, rendered by AppTest on the small
world with a champion, scanned for the giveaway English words of ``tests/danish_check.py``."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from matcher.access import PAGES
from matcher.caseload import app_date, caseload
from matcher.db import Caseworker, session_scope
from tests.app_helpers import copy_database, signed_in, use_database
from tests.danish_check import english_in, rendered_texts
from tests.test_app_caseworker import two_caseworkers


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    return engine


def staff_id(engine, role: str) -> str | None:
    if role == "caseworker":
        return two_caseworkers(engine)[0]
    if role != "employer_liaison":
        return None
    with session_scope(engine) as s:
        return s.scalars(select(Caseworker.caseworker_id).where(Caseworker.role == role)).first()


def visit(at, page: str):
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, (page, at.exception)
    return rendered_texts(at)


def one_proposal(engine) -> str:
    """A proposal from the search with a reason, so that the oversight and explanation pages have
    something to show; its referral id."""
    from matcher.caseload import propose
    from matcher.oversight import proposal_detail
    from matcher.search import open_opportunities
    from tests.app_helpers import live_user

    mine = staff_id(engine, "caseworker")
    on = app_date(engine)
    citizen = caseload(engine, mine, on)["citizen_id"].iloc[0]
    opening = open_opportunities(engine, on)["opportunity_id"].iloc[0]
    return propose(engine, live_user(engine, "proposer", "caseworker", mine), citizen, opening, on,
                   proposal_detail(None, None, "1"), "borgeren ønsker det selv")


@pytest.mark.parametrize("role", ["caseworker", "employer_liaison", "data_scientist", "admin"])
def test_no_english_on_any_danish_page(app_db, role):
    referral = one_proposal(app_db)
    at = signed_in(app_db, f"user_{role}", role, staff_id(app_db, role))
    if role == "caseworker":
        at.session_state["citizen_id"] = caseload(app_db, staff_id(app_db, role), app_date(app_db))["citizen_id"].iloc[0]
        at.query_params["referral"] = referral  # the explanation page explains it
    found = {}
    for page in PAGES[role]:
        texts = visit(at, page)
        assert len(texts) > 10, (page, texts)
        found[page] = english_in(texts)
    assert found == {page: [] for page in PAGES[role]}


def test_the_scan_finds_english_on_an_english_page(app_db):
    """The scan can fail: the same caseload page in English is full of giveaway words."""
    mine = staff_id(app_db, "caseworker")
    at = signed_in(app_db, "anne", "caseworker", mine)
    assert english_in(visit(at, "caseload")) == []
    at.session_state["lang"] = "en"
    words = {word.lower() for word, _ in english_in(visit(at, "caseload"))}
    assert {"caseload", "citizens", "search"} <= words


def test_no_english_on_the_sign_in_page(app_db):
    from streamlit.testing.v1 import AppTest

    from tests.app_helpers import HOME, TIMEOUT

    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    texts = rendered_texts(at)
    assert "Log ind" in texts and english_in(texts) == []


def test_no_english_after_a_caseworkers_actions(app_db):
    """Proposing, a refused save, the confirmation and the saved outcome all read in Danish."""
    mine = staff_id(app_db, "caseworker")
    at = signed_in(app_db, "anne", "caseworker", mine)
    at.session_state["citizen_id"] = caseload(app_db, mine, app_date(app_db))["citizen_id"].iloc[0]
    seen = visit(at, "citizen")
    at.toggle(key="show_map").set_value(True).run()  # the map with its tooltips, drawn on request
    map_texts = rendered_texts(at)
    assert len(map_texts) > len(seen)
    seen += map_texts
    next(b for b in at.button if b.key and b.key.startswith("propose_") and b.label == "Foreslå").click().run()
    seen += rendered_texts(at)
    save = [b.label for b in at.button].index("Gem resultat")
    at.button[save].click().run()  # nothing chosen: refused
    seen += rendered_texts(at)
    at.selectbox(key="outcome_value").select("completed")
    at.button[save].click().run()
    seen += rendered_texts(at)
    at.button(key="confirm_outcome_yes").click().run()
    assert not at.exception, at.exception
    seen += rendered_texts(at)
    assert "Resultatet er gemt." in seen and any("afventer" in text for text in seen)
    assert english_in(seen) == []
