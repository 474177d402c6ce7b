"""Min sagsstamme: the caseworker's citizens, searchable, flagging who has no active offer."""
from __future__ import annotations

import streamlit as st

import ui
from matcher.caseload import app_date, caseload

user = ui.guard("caseload")
on = app_date(ui.engine())
st.title(ui.t("caseload_title"))
st.caption(ui.t("as_of", date=ui.day(on)))

search = st.text_input(ui.t("search"), key="caseload_search", placeholder=ui.t("search_hint"))
frame = caseload(ui.engine(), user.caseworker_id, on, search)
without = int((~frame["active_offer"]).sum())
c1, c2 = st.columns(2)
c1.metric(ui.t("citizens"), len(frame))
c2.metric(ui.t("no_active_offer"), without)
if without:
    st.warning(ui.t("no_offer_warning", n=without))

view = frame.assign(
    flag=frame["active_offer"].map({True: "", False: ui.t("no_active_offer_flag")}),
    readiness=frame["readiness"].map(lambda v: ui.t("readiness_" + v)),
    danish_level=frame["danish_level"].map(ui.danish),
    last_proposed_on=frame["last_proposed_on"].map(ui.day),
).drop(columns=["active_offer"])
view = ui.columns(view)
st.dataframe(view, hide_index=True, key="caseload_table")

if len(frame):
    ui.prefetch(frame["citizen_id"], on)  # their suggestions are scored while the caseworker reads
    chosen = st.selectbox(ui.t("open_citizen"), frame["citizen_id"].tolist(), key="open_citizen_id")
    if st.button(ui.t("open"), key="open_citizen", type="primary"):
        st.session_state["citizen_id"] = chosen
        st.switch_page(ui.page_path("citizen"), query_params={"citizen": chosen})
