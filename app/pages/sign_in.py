"""Sign-in: a password form (argon2), or the identity provider through st.login when
``auth.mode`` is "oidc". Either way the users table decides the role."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

import ui
from matcher.access import pages_for
from matcher.auth import SignInLocked, user_for_identity
from matcher.sessions import sign_in, start_session
from matcher.settings import get_settings


def signed_in(signed) -> None:
    """Remember the user with their session and open the role's first page."""
    st.session_state.pop("session_ended", None)
    st.session_state.pop("signed_out", None)
    st.session_state["user"] = signed
    page, query = st.session_state.pop("after_sign_in", (None, {}))
    if page in pages_for(signed):
        st.switch_page(ui.page_path(page), query_params=query)
    st.switch_page(ui.page_path(pages_for(signed)[0]))


def sign_in_password() -> None:
    st.title(ui.t("app_title"))
    st.caption(ui.t("app_tagline"))
    if st.session_state.get("session_ended"):
        st.info(ui.t("session_ended"))
    with st.form("sign_in"):
        username = st.text_input(ui.t("username"), key="username")
        password = st.text_input(ui.t("password"), type="password", key="password")
        submitted = st.form_submit_button(ui.t("sign_in"))
    if submitted:
        try:
            signed = sign_in(ui.engine(), username, password, ui.source())
        except SignInLocked as locked:
            st.error(ui.t("sign_in_locked", minutes=locked.minutes))
            return
        if signed is None:
            st.error(ui.t("wrong_password"))
            return
        signed_in(signed)


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
    signed_in(replace(signed, session=start_session(ui.engine(), signed, ui.source())))


ui.use_navigation()
if get_settings().auth.mode == "oidc":
    sign_in_oidc()
else:
    sign_in_password()
