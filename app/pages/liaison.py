"""Employer liaison: pick an employer or an opening, see ranked consenting candidates with
reasons and the opening's free places, shortlist (kept in the database), and propose.

A full opening offers no shortlist and no proposal; proposing candidates flagged "ikke muligt
nu", or places the municipal plan holds for others, needs a short reason (stored on the
referral). The result shows by the button and the free places, the candidates and the
shortlist are read again after it. While an admin has switched suggestions off
(``matcher.switch``) the consenting candidates are listed unranked, searchable."""
from __future__ import annotations

import streamlit as st

import ui
from matcher import shortlist as shortlists
from matcher.access import AccessDenied
from matcher.caseload import REFUSALS, app_date, free_capacity, propose
from matcher import plan_store
from matcher.plan_store import opening_plan
from matcher.liaison import employers_with_openings, openings, view_candidates
from matcher.search import browse_candidates
from matcher.switch import SuggestionsOff, state as suggestions_state

user = ui.guard("liaison")
engine = ui.engine()
on = app_date(engine)
st.title(ui.t("liaison_title"))
st.caption(ui.t("liaison_fields_note"))

employers = employers_with_openings(engine, on)
if employers.empty:
    st.info(ui.t("no_openings"))
    st.stop()
# Two employers of the same name are told apart by their id: each is listed once.
twice = employers["employer"].duplicated(keep=False)
names = dict(zip(employers["employer_id"], employers["employer"].where(~twice, employers["employer"] + " (" + employers["employer_id"] + ")")))
employer_id = st.selectbox(ui.t("employer"), list(names), format_func=names.get, key="employer_pick")
opps = openings(engine, on, employer_id)
# The municipal plan: how many citizens it directs to each opening, and how many lists show it.
plan = ui.plan()
opps = opps.join(opening_plan(engine, plan.run_id if plan else None, opps["opportunity_id"]), on="opportunity_id")
for column in ("plan_directed", "plan_listed"):
    opps[column] = opps[column].fillna(0).astype(int) if column in opps else 0
shown = opps[["title", "kind", "hours_per_week", "danish_required", "capacity", "free_capacity", "plan_directed", "plan_listed", "district"]].assign(
    kind=opps["kind"].map(ui.kind), danish_required=opps["danish_required"].map(ui.danish),
    # No plan yet: "–", not an empty cell that Streamlit shows as "None".
    plan_directed=opps["plan_directed"].map(ui.number), plan_listed=opps["plan_listed"].map(ui.number),
)
shown = ui.columns(shown)
st.dataframe(shown, hide_index=True, key="openings_table")
titles = dict(zip(opps["opportunity_id"], opps["title"] + " · " + opps["kind"].map(ui.kind)))
opportunity_id = st.selectbox(ui.t("opening"), list(titles), format_func=titles.get, key="opening_pick")
ui.keep_notes(opportunity_id)  # results belong to the opening they were made on
free = free_capacity(engine, opportunity_id, on)
st.metric(ui.t("col_free_capacity"), free)
here = f"liaison:{opportunity_id}"

switch = suggestions_state(engine)
matcher = ui.matcher() if switch.on else None
if switch.on and matcher is None:
    st.warning(ui.t("no_model"))
    st.stop()
words = ""
if not switch.on:  # no ranking: the consenting candidates, searched by the liaison
    st.warning(ui.t("liaison_unranked"))
    words = st.text_input(ui.t("search"), key="candidate_search")
# Each view is audited with the candidates shown: fetched once per opening (and language, or
# search), again after a proposal.
view = (opportunity_id, ui.lang(), switch.on, words)
if st.session_state.get("viewed_opening") != view:
    try:
        if switch.on:
            matcher.refresh_referrals()  # proposals since the model was loaded, by anyone
            st.session_state["candidates"] = view_candidates(
                engine, user, matcher, opportunity_id, on, ui.settings().default_k, ui.lang()
            )
        else:
            st.session_state["candidates"] = browse_candidates(engine, user, opportunity_id, on, words)
    except AccessDenied:
        st.error(ui.t("page_denied"))
        st.stop()
    except SuggestionsOff:  # switched off a moment ago
        st.rerun()
    st.session_state["viewed_opening"] = view
table = st.session_state["candidates"]
if table.empty:
    ui.show_note(here)
    st.info(ui.t("no_candidates"))
    st.stop()
if free <= 0:
    st.warning(ui.t("opening_full"))

chosen_set = set(shortlists.of(engine, user, opportunity_id))


def toggle(citizen_id: str, key: str) -> None:
    """Store the tick at once: the shortlist lives in the database."""
    try:
        if st.session_state[key]:
            shortlists.add(engine, user, opportunity_id, citizen_id)
        else:
            shortlists.remove(engine, user, opportunity_id, citizen_id)
    except AccessDenied as refused:
        ui.note(here, "error", ui.error(refused))


for row in table.itertuples():
    with st.container(border=True):
        a, b = st.columns([5, 1])
        if switch.on:
            a.markdown(
                f"**{row.rank}. {ui.t('candidate')} {row.citizen_id}** · {ui.score_text(row.score, row.chance)} · "
                f"{ui.t('commute')} {ui.minutes(row.commute_minutes)} · {row.district}"
            )
        else:
            a.markdown(f"**{ui.t('candidate')} {row.citizen_id}** · {row.district}")
        a.caption(
            f"{ui.t('col_danish_level')}: {ui.danish(row.danish_level)} · "
            f"{ui.t('education')}: {ui.t('education_' + row.education)} · "
            f"{ui.t('col_readiness')}: {ui.t('readiness_' + row.readiness)} · "
            f"{ui.t('experience')}: {row.experience or ui.t('none')} · {ui.t('wishes')}: {row.wishes or ui.t('none')}"
        )
        if switch.on:
            a.caption(row.reasons)
        if free > 0:
            key = f"short_{opportunity_id}_{row.citizen_id}"
            # The widget shows what the database holds, whatever this browser ticked before.
            st.session_state[key] = row.citizen_id in chosen_set
            b.checkbox(ui.t("shortlist"), key=key, on_change=toggle, args=(row.citizen_id, key))

if free <= 0:
    ui.show_note(here)
    st.stop()
chosen = [c for c in table["citizen_id"] if c in chosen_set]
st.markdown(f"**{ui.t('shortlist')}:** {', '.join(chosen) or ui.t('none')}")
flagged = [c for c in chosen if "feasible" in table and not bool(table.set_index("citizen_id").at[c, "feasible"])]
held = plan_store.citizen_plan(engine, plan.run_id if plan else None, "", [opportunity_id]).to_others.get(opportunity_id, 0)
needs_reason = bool(flagged) or held >= free
if held:
    st.caption(ui.t("plan_held_for_others", others=held, left=max(free - held, 0)))
if flagged:
    st.warning(ui.t("shortlist_infeasible", n=len(flagged), ids=", ".join(flagged)))
reason = None
if needs_reason and chosen:
    reason = st.text_input(ui.t("override_reason"), key=f"reason_{opportunity_id}", max_chars=500).strip() or None
if st.button(ui.t("propose_shortlist"), key="propose_shortlist", disabled=not chosen, type="primary"):
    if needs_reason and reason is None:
        ui.note(here, "error", ui.t("reason_required"))
    else:
        done, refusals = [], []
        for citizen_id in chosen[: max(free, 0)]:
            try:
                rank = int(table.set_index("citizen_id").at[citizen_id, "rank"]) if "rank" in table else None
                detail = {"via": "liaison", "suggestions": "on" if switch.on else "off", **({"rank": rank} if rank else {})}
                done.append(propose(engine, user, citizen_id, opportunity_id, on, detail, reason=reason))
                shortlists.remove(engine, user, opportunity_id, citizen_id, why="proposed")
            except REFUSALS as refused:
                refusals.append(f"{citizen_id}: {ui.error(refused)}")
        parts = [ui.t("proposed_many", n=len(done))] if done else []
        if len(chosen) > free:
            parts.append(ui.t("over_capacity", free=free))
        parts += refusals
        ui.note(here, "success" if done and not refusals else "warning" if done else "error", " ".join(parts))
        st.session_state.pop("viewed_opening", None)  # the candidates and free places as they are now
    st.rerun()
ui.show_note(here)
