"""The signed session cookie: a valid cookie gives back its token; a tampered, foreign,
malformed or expired one gives nothing; a valid cookie still resumes only a live session."""
from __future__ import annotations

import pytest

from matcher import session_cookie
from matcher.auth import operator
from matcher.sessions import end_session, resume_session, start_session
from matcher.settings import get_settings
from matcher.users import create_user


@pytest.fixture
def secret(setting):
    setting("AUTH__COOKIE_SECRET", "a test secret")


def test_round_trip_and_expiry(secret):
    value = session_cookie.sign("tok_en-1", now=1_000)
    assert session_cookie.token_of(value, now=1_001) == "tok_en-1"
    lifetime = 60 * get_settings().auth.session_minutes
    assert session_cookie.token_of(value, now=1_000 + lifetime - 1) == "tok_en-1"
    assert session_cookie.token_of(value, now=1_000 + lifetime) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: "other" + v[5:],                      # another token under the same MAC
        lambda v: v.replace(".", ".9", 1),              # a later expiry
        lambda v: v[:-1] + ("0" if v[-1] != "0" else "1"),  # a changed MAC
        lambda v: v.rsplit(".", 1)[0],                  # no MAC
        lambda v: "",
        lambda v: "a.b.c",
    ],
)
def test_tampered_cookies_give_nothing(secret, tamper):
    value = session_cookie.sign("token", now=1_000)
    assert session_cookie.token_of(tamper(value), now=1_001) is None


def test_another_secret_gives_nothing(setting):
    setting("AUTH__COOKIE_SECRET", "first")
    value = session_cookie.sign("token", now=1_000)
    setting("AUTH__COOKIE_SECRET", "second")
    assert session_cookie.token_of(value, now=1_001) is None


def test_a_token_with_dots_is_refused(secret):
    with pytest.raises(ValueError):
        session_cookie.sign("a.b")


def test_a_valid_cookie_resumes_only_a_live_session(secret, export_engine):
    account = create_user(export_engine, operator(), "anne", None, "caseworker", "cw01")
    token = start_session(export_engine, account, "test")
    value = session_cookie.sign(token)
    assert resume_session(export_engine, session_cookie.token_of(value)).username == "anne"
    end_session(export_engine, token)
    assert session_cookie.token_of(value) == token  # the cookie is still well-formed ...
    assert resume_session(export_engine, session_cookie.token_of(value)) is None  # ... but signs nobody in


def test_scripts_set_and_clear_the_cookie(secret):
    set_js = session_cookie.set_script(session_cookie.sign("token"), secure=True)
    assert "matcher_session=token." in set_js and "SameSite=Strict" in set_js and "Secure" in set_js
    assert "max-age=0" in session_cookie.clear_script()
