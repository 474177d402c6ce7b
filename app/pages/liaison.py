"""Employer liaison: pick an employer or an opening, see ranked consenting candidates with
reasons and the opening's free places, shortlist, and propose."""
from __future__ import annotations

import streamlit as st

import ui
from matcher.access import AccessDenied
from matcher.caseload import ProposalRefused, app_date, free_capacity, propose
from matcher import plan_store
from matcher.plan_store import opening_plan
from matcher.liaison import employers_with_openings, openings, view_candidates

user = ui.guard("liaison")
engine = ui.engine()
on = app_date(engine)
st.title(ui.t("liaison_title"))
st.caption(ui.t("liaison_fields_note"))

employers = employers_with_openings(engine, on)
if employers.empty:
    st.info(ui.t("no_openings"))
    st.stop()
names = dict(zip(employers["employer_id"], employers["employer"]))
employer_id = st.selectbox(ui.t("employer"), list(names), format_func=names.get, key="employer_pick")
opps = openings(engine, on, employer_id)
# The municipal plan: how many citizens it directs to each opening, and how many lists show it.
plan = ui.plan()
opps = opps.join(opening_plan(engine, plan.run_id if plan else None, opps["opportunity_id"]), on="opportunity_id")
shown = opps[["title", "kind", "hours_per_week", "danish_required", "capacity", "free_capacity", "plan_directed", "plan_listed", "district"]].assign(
    kind=opps["kind"].map(ui.kind), danish_required=opps["danish_required"].map(ui.danish)
)
shown = ui.columns(shown)
st.dataframe(shown, hide_index=True, key="openings_table")
titles = dict(zip(opps["opportunity_id"], opps["title"] + " · " + opps["kind"].map(ui.kind)))
opportunity_id = st.selectbox(ui.t("opening"), list(titles), format_func=titles.get, key="opening_pick")
free = free_capacity(engine, opportunity_id, on)
st.metric(ui.t("col_free_capacity"), free)

matcher = ui.matcher()
if matcher is None:
    st.warning(ui.t("no_model"))
    st.stop()
# Each view is audited with the candidates shown: fetched once per opening (and language), again
# after a proposal.
if st.session_state.get("viewed_opening") != (opportunity_id, ui.lang()):
    try:
        st.session_state["candidates"] = view_candidates(
            engine, user, matcher, opportunity_id, on, ui.settings().default_k, ui.lang()
        )
    except AccessDenied:
        st.error(ui.t("page_denied"))
        st.stop()
    st.session_state["viewed_opening"] = (opportunity_id, ui.lang())
table = st.session_state["candidates"]
if table.empty:
    st.info(ui.t("no_candidates"))
    st.stop()

shortlist: set[str] = st.session_state.setdefault("shortlist", set())
for row in table.itertuples():
    with st.container(border=True):
        a, b = st.columns([5, 1])
        a.markdown(
            f"**{row.rank}. {ui.t('candidate')} {row.citizen_id}** · {ui.score_text(row.score, row.chance)} · "
            f"{ui.t('commute')} {ui.minutes(row.commute_minutes)} · {row.district}"
        )
        a.caption(
            f"{ui.t('col_danish_level')}: {ui.danish(row.danish_level)} · "
            f"{ui.t('education')}: {ui.t('education_' + row.education)} · "
            f"{ui.t('col_readiness')}: {ui.t('readiness_' + row.readiness)} · "
            f"{ui.t('experience')}: {row.experience or ui.t('none')} · {ui.t('wishes')}: {row.wishes or ui.t('none')}"
        )
        a.caption(row.reasons)
        picked = b.checkbox(ui.t("shortlist"), value=row.citizen_id in shortlist, key=f"short_{opportunity_id}_{row.citizen_id}")
        (shortlist.add if picked else shortlist.discard)(row.citizen_id)

chosen = [c for c in table["citizen_id"] if c in shortlist]
st.markdown(f"**{ui.t('shortlist')}:** {', '.join(chosen) or ui.t('none')}")
held = plan_store.citizen_plan(engine, plan.run_id if plan else None, "", [opportunity_id]).to_others.get(opportunity_id, 0)
reason = None
if held:
    st.caption(ui.t("plan_held_for_others", others=held, left=max(free - held, 0)))
    reason = st.text_input(ui.t("plan_held_reason"), key=f"plan_reason_{opportunity_id}", max_chars=500) or None
if st.button(ui.t("propose_shortlist"), key="propose_shortlist", disabled=not chosen, type="primary"):
    done = []
    for citizen_id in chosen[: max(free, 0)]:
        try:
            done.append(propose(engine, user, citizen_id, opportunity_id, on, {"via": "liaison"}, reason=reason))
            shortlist.discard(citizen_id)
        except (ProposalRefused, AccessDenied) as refused:
            st.error(ui.error(refused))
    if len(chosen) > free:
        st.warning(ui.t("over_capacity", free=free))
    if done:
        st.session_state.pop("viewed_opening", None)
        st.success(ui.t("proposed_many", n=len(done)))
