"""What every page shares: the database engine, the signed-in user, the language, translations.

Pages import this module (the main script's folder is on ``sys.path`` under ``streamlit run``
and AppTest alike). Only Streamlit glue lives here; logic is in ``matcher``.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from matcher import i18n
from matcher.access import AccessDenied, SessionEnded, open_page
from matcher.auth import UNKNOWN_SOURCE, SignedIn
from matcher.contract import OUTCOMES
from matcher.db import make_engine
from matcher.settings import get_settings


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return make_engine(url)


def engine():
    """The engine for the configured database (MATCHER_DB_URL), one per URL and process."""
    return _engine(get_settings().db_url)


def lang() -> str:
    """The chosen language ('da' by default)."""
    return st.session_state.get("lang", get_settings().language)


def t(key: str, **values) -> str:
    """The label for ``key`` in the chosen language."""
    return i18n.t(key, lang(), **values)


def user() -> SignedIn | None:
    """The signed-in user with their session token, as of the last check (``guard`` checks again)."""
    return st.session_state.get("user")


def source() -> str:
    """The visitor's address: sign-in throttling and the audit log use it."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else UNKNOWN_SOURCE


def guard(page: str) -> SignedIn:
    """The live signed-in user, checked on every run of the page (``matcher.access.open_page``,
    which audits refusals): a visitor without a live session goes to sign-in, a role that may not
    open the page sees an error."""
    try:
        current = open_page(engine(), user(), page)
    except SessionEnded:
        if st.session_state.pop("user", None) is not None:
            st.session_state["session_ended"] = True
        if get_settings().auth.mode == "oidc" and st.user.is_logged_in:
            st.logout()  # an ended session signs in again at the identity provider
        st.switch_page(page_path("sign_in"))
    except AccessDenied:
        st.error(t("page_denied"))
        st.stop()
    st.session_state["user"] = current
    return current


# page -> label key, in the order the navigation lists them
PAGES = {
    "sign_in": "sign_in",
    "caseload": "nav_caseload",
    "citizen": "nav_citizen",
    "liaison": "nav_liaison",
    "models": "nav_models",
    "overview": "nav_overview",
    "admin": "nav_admin",
}


def page_path(name: str) -> str:
    """The file of a page, for st.switch_page."""
    return str(Path(__file__).resolve().parent / "pages" / f"{name}.py")


def score_text(score: float, chance: float) -> str:
    """The model's chance of success when it gives one (the funnel), else its raw score."""
    return f"{t('chance')} {chance:.0%}" if chance == chance else f"{t('score')} {score:.2f}"


def kind(name: str) -> str:
    """An opportunity kind's name in the chosen language."""
    return i18n.kind_label(name, lang())


def settings():
    return get_settings()


@st.cache_resource(show_spinner=False)
def _matcher(url: str, version: str):
    from matcher.service import Matcher

    return Matcher.load(make_engine(url))


def matcher():
    """The recommender for the configured database, loaded once per champion version (so a
    promotion or rollback takes effect at once); None while no model has been trained."""
    from matcher.registry import champion_version

    version = champion_version()
    return None if version is None else _matcher(get_settings().db_url, str(version))


OUTCOME_SET = frozenset(OUTCOMES)


@st.cache_resource(show_spinner=False, ttl=60)
def _world(url: str):
    from matcher.world import World

    return World.from_db(make_engine(url))


def world():
    """The programme's data in memory, for aggregates (refreshed at most every minute)."""
    return _world(get_settings().db_url)
