"""An explanation a citizen can get, for one referral (?referral=ID): printable, in plain Danish.
Only the citizen's own caseworker; each explanation given is audited (``matcher.explanation``)."""
from __future__ import annotations

import streamlit as st

import ui
from matcher.access import AccessDenied
from matcher.explanation import explain_referral

user = ui.guard("explanation")
engine = ui.engine()
st.title(ui.t("explanation_title"))

referral_id = st.query_params.get("referral")
if not referral_id:
    st.info(ui.t("explanation_choose"))
    st.page_link(ui.page_path("caseload"), label=ui.t("nav_caseload"))
    st.stop()

# Audited once per referral shown, not on every rerun.
try:
    if st.session_state.get("explained") != referral_id:
        st.session_state["explanation"] = explain_referral(engine, user, referral_id, ui.matcher())
        st.session_state["explained"] = referral_id
    explanation = st.session_state["explanation"]
except (AccessDenied, KeyError) as refused:
    st.session_state.pop("explained", None)
    st.error(ui.t("explanation_denied", why=str(refused).strip("'\"")))
    st.stop()

st.caption(ui.t("explanation_print_hint"))
st.download_button(ui.t("explanation_download"), explanation.html(), file_name=f"forklaring-{referral_id}.html",
                   mime="text/html", key="explanation_download")
with st.container(border=True):
    for block in explanation.markdown_blocks():
        st.markdown(block)
