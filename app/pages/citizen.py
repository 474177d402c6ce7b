"""A citizen's page: profile, barriers, wishes, history, ranked suggestions with reasons, a map,
"Foreslå" (propose) and recording outcomes. Opening it is audited; only the own caseworker may."""
from __future__ import annotations

from datetime import date

import streamlit as st

import ui
from matcher.access import AccessDenied
from matcher.caseload import (
    ProposalRefused,
    app_date,
    history,
    map_points,
    open_citizen,
    propose,
    record_outcome,
    suggestions_table,
)
from matcher.contract import KINDS, OUTCOMES

user = ui.guard("citizen")
engine = ui.engine()
on = app_date(engine)
st.title(ui.t("citizen_title"))

# The citizen comes from the caseload page (session) or a link (?citizen=ID); either way the
# access rule decides, not the way here.
citizen_id = st.query_params.get("citizen") or st.session_state.get("citizen_id")
if citizen_id is None:
    st.info(ui.t("choose_citizen"))
    st.page_link(ui.page_path("caseload"), label=ui.t("nav_caseload"))
    st.stop()
st.session_state["citizen_id"] = citizen_id
if st.query_params.get("citizen") != citizen_id:
    st.query_params["citizen"] = citizen_id  # the address names the citizen: reload and share keep it
ui.keep_notes(citizen_id)  # results of actions on another citizen's page are gone

# Audit once per opening, not on every rerun of the same page.
try:
    if st.session_state.get("opened") != citizen_id:
        p = open_citizen(engine, user, citizen_id, on)
        st.session_state["opened"] = citizen_id
        st.session_state["profile"] = p
    p = st.session_state["profile"]
except AccessDenied:
    st.session_state.pop("opened", None)
    st.error(ui.t("citizen_denied", citizen=citizen_id))
    st.stop()

st.subheader(f"{ui.t('citizen')} {p.citizen_id}")
cols = st.columns(3) + st.columns(3)
cols[0].metric(ui.t("col_age"), p.age)
cols[1].metric(ui.t("col_district"), p.district)
cols[2].metric(ui.t("col_danish_level"), ui.danish(p.danish_level))
cols[3].metric(ui.t("education"), ui.t("education_" + p.education))
cols[4].metric(ui.t("col_readiness"), ui.t("readiness_" + p.readiness))
cols[5].metric(ui.t("col_months_on_benefit"), p.months_on_benefit)
left, right = st.columns(2)
with left:
    st.markdown(f"**{ui.t('barriers')}:** " + (", ".join(ui.t("barrier_" + b) for b in p.barriers) or ui.t("none")))
    st.markdown(f"**{ui.t('wishes')}:** " + (", ".join(p.wishes) or ui.t("none")))
    st.markdown(f"**{ui.t('experience')}:** " + (", ".join(p.experience) or ui.t("none")))
with right:
    st.markdown(f"**{ui.t('max_hours')}:** {ui.number(p.max_hours_per_week)} · **{ui.t('max_commute')}:** {ui.number(p.max_commute_minutes)}")
    st.markdown(f"**{ui.t('consent')}:** {ui.t('yes') if p.candidate_search_consent else ui.t('no')}")
    if p.notes:
        st.markdown(f"**{ui.t('notes')}:** {p.notes}")

st.subheader(ui.t("history"))
past = history(engine, citizen_id)
if past.empty:
    st.info(ui.t("no_history"))
else:
    shown = past.assign(
        kind=past["kind"].map(lambda k: ui.kind(k)), outcome=past["outcome"].map(lambda o: ui.t("outcome_" + o)),
        proposed_on=past["proposed_on"].map(ui.day), outcome_on=past["outcome_on"].map(ui.day),
        source=past["source"].map(lambda v: ui.t("source_" + v)),
    )[["proposed_on", "kind", "title", "place", "outcome", "outcome_on", "source"]]
    shown = ui.columns(shown)
    st.dataframe(shown, hide_index=True, key="history_table")
    pending = past[past["outcome"] == "pending"]
    if len(pending):
        with st.form("outcome_form"):
            st.markdown(f"**{ui.t('record_outcome')}**")
            referral = st.selectbox(
                ui.t("referral"), pending["referral_id"].tolist(), key="outcome_referral",
                format_func=lambda r: f"{pending.set_index('referral_id').at[r, 'title']} ({r})",
            )
            outcome = st.selectbox(ui.t("outcome"), list(OUTCOMES[1:]), key="outcome_value",
                                   format_func=lambda o: ui.t("outcome_" + o))
            when = st.date_input(ui.t("outcome_on"), value=on, key="outcome_date", format="DD.MM.YYYY")
            if st.form_submit_button(ui.t("save_outcome")):
                try:
                    record_outcome(engine, user, referral, outcome, when if isinstance(when, date) else on)
                    st.success(ui.t("outcome_saved"))
                    st.rerun()
                except (ProposalRefused, AccessDenied) as refused:
                    st.error(ui.error(refused))

st.subheader(ui.t("suggestions"))
f1, f2, f3 = st.columns(3)
kinds = f1.multiselect(ui.t("kinds"), list(KINDS), default=list(KINDS), format_func=ui.kind, key="filter_kinds",
                       placeholder=ui.t("choose_kinds"))
max_commute = f2.slider(ui.t("max_commute"), 10, 120, int(p.max_commute_minutes or 60), 5, key="filter_commute")
max_hours = f3.slider(ui.t("max_hours"), 1, 37, int(p.max_hours_per_week or 37), key="filter_hours")

matcher = ui.matcher()
if matcher is None:
    st.warning(ui.t("no_model"))
    st.stop()
found = matcher.recommend(
    citizen_id, k=ui.settings().default_k, as_of=on, kinds=kinds or None,
    max_commute=max_commute, max_hours=max_hours,
)
table = suggestions_table(found, ui.lang(), already=set(past.loc[past["outcome"] == "pending", "opportunity_id"]))
if table.empty:
    st.info(ui.t("no_suggestions"))
for kind, group in table.groupby("kind", sort=False):
    st.markdown(f"#### {ui.kind(kind)}")
    for row in group.itertuples():
        with st.container(border=True):
            a, b = st.columns([5, 1])
            a.markdown(
                f"**{row.rank}. {row.title}** · {row.place} · {ui.score_text(row.score, row.chance)} · "
                f"{ui.t('commute')} {ui.minutes(row.commute_minutes)}"
            )
            a.caption(row.reasons)
            if b.button(ui.t("propose"), key=f"propose_{row.opportunity_id}"):
                try:
                    rid = propose(engine, user, citizen_id, row.opportunity_id, on,
                                  {"rank": int(row.rank), "score": float(row.score)})
                    st.session_state["last_proposal"] = rid
                    st.rerun()
                except (ProposalRefused, AccessDenied) as refused:
                    st.error(ui.error(refused))
if st.session_state.get("last_proposal"):
    st.success(ui.t("proposed", referral=st.session_state["last_proposal"]))

st.subheader(ui.t("map"))
st.map(map_points(p, table), latitude="lat", longitude="lon", color="color", size="size")
