"""AppTest: sign-in refuses a wrong password, accepts the right one, audits both; language switch."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from matcher import audit
from matcher.auth import operator
from matcher.users import create_user, set_active
from tests.app_helpers import HOME, PASSWORD, TIMEOUT, signed_in, texts, use_database


@pytest.fixture
def app_db(export_engine, monkeypatch, tmp_path):
    use_database(monkeypatch, export_engine, tmp_path)
    return export_engine


def test_wrong_password_is_refused(app_db):
    create_user(app_db, operator(), "anne", PASSWORD, "caseworker", "cw01")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    assert texts(at.title) == ["matcher – job fra dag ét"]
    at.text_input(key="username").input("anne")
    at.text_input(key="password").input("not the password")
    at.button[0].click().run()
    assert texts(at.error) == ["Forkert brugernavn eller adgangskode."]
    assert "user" not in at.session_state
    assert list(audit.read(app_db)["action"]) == [audit.SIGN_IN_FAILED, audit.USER_CHANGED]


def test_right_password_opens_the_roles_first_page(app_db):
    at = signed_in(app_db, "anne", "caseworker", "cw01")
    assert texts(at.title) == ["Min sagsstamme"]
    assert not at.error
    assert list(audit.read(app_db)["action"]) == [audit.SIGN_IN, audit.USER_CHANGED]
    # Signing out is clicked in the browser test (AppTest drops the main script's sidebar
    # once st.navigation has switched pages).


def test_english_switch(app_db):
    at = signed_in(app_db, "anne", "caseworker", "cw01")
    # The sidebar's language radio sets this key (see the note above on AppTest's sidebar).
    at.session_state["lang"] = "en"
    at.run()
    assert texts(at.title) == ["My caseload"]
    assert [m.label for m in at.metric] == ["Citizens", "Without an active offer"]


@pytest.mark.parametrize(
    "role, staff, title",
    [
        ("employer_liaison", "cw08", "Kandidater til en virksomheds opslag"),
        ("data_scientist", None, "Modeller"),
        ("admin", None, "Administration"),
    ],
)
def test_each_role_lands_on_its_page(app_db, role, staff, title):
    at = signed_in(app_db, "x", role, staff)
    assert not at.exception, at.exception
    assert texts(at.title) == [title]


@pytest.mark.parametrize("role, staff", [("data_scientist", None), ("admin", None), ("employer_liaison", "cw08")])
def test_no_caseworker_pages_for_other_roles(app_db, role, staff):
    at = signed_in(app_db, "x", role, staff)
    for page in ("pages/citizen.py", "pages/caseload.py"):
        at.switch_page(page).run()
        assert texts(at.error) == ["Din rolle giver ikke adgang til denne side."]
        assert not at.metric and not at.dataframe


def test_signed_out_visitor_is_sent_to_sign_in(app_db):
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.switch_page("pages/caseload.py").run()
    assert texts(at.title) == ["matcher – job fra dag ét"]
    assert not at.dataframe


def test_a_session_that_ends_sends_the_page_back_to_sign_in(app_db):
    at = signed_in(app_db, "anne", "caseworker", "cw01")
    assert texts(at.title) == ["Min sagsstamme"]
    set_active(app_db, operator(), "anne", False)  # an admin disables the account meanwhile
    at.run()  # any rerun: a filter, a click
    assert texts(at.title) == ["matcher – job fra dag ét"]
    assert texts(at.info) == ["Din session er udløbet eller afsluttet. Log ind igen."]
    assert "user" not in at.session_state and not at.dataframe


def test_repeated_wrong_passwords_lock_the_sign_in(app_db, setting):
    setting("AUTH__MAX_FAILURES", "2")
    create_user(app_db, operator(), "anne", PASSWORD, "caseworker", "cw01")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    for password in ("wrong password 1", "wrong password 2", PASSWORD):
        at.text_input(key="username").input("anne")
        at.text_input(key="password").input(password)
        at.button[0].click().run()
    assert texts(at.error) == ["For mange mislykkede forsøg. Prøv igen om 15 minut(ter)."]
    assert "user" not in at.session_state
