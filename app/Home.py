"""matcher: sign-in, language switch and navigation (st.navigation) by role."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ui  # noqa: E402
from matcher import audit  # noqa: E402
from matcher.access import pages_for  # noqa: E402
from matcher.auth import authenticate, user_for_identity  # noqa: E402
from matcher.i18n import LANGUAGES  # noqa: E402
from matcher.settings import get_settings  # noqa: E402

st.set_page_config(page_title="matcher", layout="wide")
HERE = Path(__file__).resolve().parent
PAGES = {
    "caseload": ("pages/caseload.py", "nav_caseload"),
    "citizen": ("pages/citizen.py", "nav_citizen"),
    "liaison": ("pages/liaison.py", "nav_liaison"),
    "models": ("pages/models.py", "nav_models"),
    "overview": ("pages/overview.py", "nav_overview"),
    "admin": ("pages/admin.py", "nav_admin"),
}


def language_switch() -> None:
    st.sidebar.radio(
        ui.t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True
    )


def sign_in_password() -> None:
    st.title(ui.t("app_title"))
    st.caption(ui.t("app_tagline"))
    with st.form("sign_in"):
        username = st.text_input(ui.t("username"), key="username")
        password = st.text_input(ui.t("password"), type="password", key="password")
        submitted = st.form_submit_button(ui.t("sign_in"))
    if submitted:
        signed = authenticate(ui.engine(), username, password)
        if signed is None:
            audit.record(ui.engine(), username or "?", audit.SIGN_IN_FAILED)
            st.error(ui.t("wrong_password"))
            return
        audit.record(ui.engine(), signed, audit.SIGN_IN)
        st.session_state["user"] = signed
        st.rerun()


def sign_in_oidc() -> None:
    """Production sign-in through the identity provider; the users table still decides the role."""
    st.title(ui.t("app_title"))
    if not st.user.is_logged_in:
        if st.button(ui.t("sign_in_oidc")):
            st.login(get_settings().auth.oidc_provider)
        return
    signed = user_for_identity(ui.engine(), st.user.get("email"))
    if signed is None:
        st.error(ui.t("unknown_identity"))
        if st.button(ui.t("sign_out")):
            st.logout()
        return
    audit.record(ui.engine(), signed, audit.SIGN_IN)
    st.session_state["user"] = signed
    st.rerun()


def sign_out() -> None:
    audit.record(ui.engine(), ui.user(), audit.SIGN_OUT)
    st.session_state.pop("user", None)
    if get_settings().auth.mode == "oidc":
        st.logout()


current = ui.user()
if current is None:
    entry = sign_in_oidc if get_settings().auth.mode == "oidc" else sign_in_password
    page = st.navigation([st.Page(entry, title=ui.t("sign_in"), url_path="sign_in")])
else:
    page = st.navigation(
        [
            st.Page(HERE / PAGES[name][0], title=ui.t(PAGES[name][1]), default=(i == 0))
            for i, name in enumerate(pages_for(current))
        ]
    )
# Sidebar widgets go after st.navigation so that they persist across page changes.
language_switch()
if current is not None:
    st.sidebar.markdown(f"**{current.display_name or current.username}** · {ui.t('role_' + current.role)}")
    st.sidebar.button(ui.t("sign_out"), on_click=sign_out, key="sign_out")
page.run()
