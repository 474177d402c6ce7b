"""A citizen's page: profile, barriers, wishes, history, ranked suggestions with reasons, a map,
"Foreslå" (propose) and recording outcomes. Opening it is audited; only the own caseworker may.

Every action's result is shown where it was done (``ui.note``) and forgotten on another
citizen's page; proposing something flagged not feasible, or whose places the plan holds for
others, asks for a confirmation and a short reason (stored on the referral); a full opening
offers no proposal; an outcome is confirmed before it is saved. Any open offer can be proposed
from a search, listed or not; what the list showed goes with the proposal (``matcher.oversight``).
While an admin has switched suggestions off (``matcher.switch``) the page shows no list, only
the search. A referral's explanation for the citizen is one click away."""
from __future__ import annotations

from datetime import date

import streamlit as st

import ui
from matcher.access import AccessDenied
from matcher.caseload import (
    REFUSALS,
    HeldForOthers,
    app_date,
    free_places,
    history,
    open_citizen,
    propose,
    record_outcome,
    suggestions_table,
)
from matcher.contract import KINDS, OUTCOMES
from matcher.oversight import proposal_detail
from matcher.search import open_opportunities
from matcher.switch import SuggestionsOff, state as suggestions_state

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
lang = ui.lang()
past = history(engine, citizen_id)
if past.empty:
    st.info(ui.t("no_history"))
else:
    shown = past.assign(
        kind=past["kind"].map(ui.kind), outcome=past["outcome"].map(lambda o: ui.t("outcome_" + o)),
        proposed_on=past["proposed_on"].map(ui.day), outcome_on=past["outcome_on"].map(ui.day),
        source=past["source"].map(lambda v: ui.t("source_" + v)),
    )[["proposed_on", "kind", "title", "place", "outcome", "outcome_on", "source"]]
    shown = ui.columns(shown)
    st.dataframe(shown, hide_index=True, key="history_table")
    with st.popover(ui.t("explain_referral")):
        explained = dict(zip(past["referral_id"], past["title"] + " · " + past["proposed_on"].map(ui.day)))
        chosen = st.selectbox(ui.t("referral"), list(explained), key="explain_pick", format_func=explained.get)
        st.page_link(ui.page_path("explanation"), label=ui.t("explanation_link"), query_params={"referral": chosen})

pending = past[past["outcome"] == "pending"]
outcome_place = f"outcome:{citizen_id}"
if len(pending):
    titles = dict(zip(pending["referral_id"], pending["title"] + " · " + pending["proposed_on"].map(ui.day)))
    with st.form("outcome_form", clear_on_submit=False):
        st.markdown(f"**{ui.t('record_outcome')}**")
        referral = st.selectbox(ui.t("referral"), list(titles), key="outcome_referral", format_func=titles.get)
        # No outcome is chosen for the caseworker: an unchosen one is refused below.
        outcome = st.selectbox(ui.t("outcome"), list(OUTCOMES[1:]), index=None, key="outcome_value",
                               placeholder=ui.t("choose_outcome"), format_func=lambda o: ui.t("outcome_" + o))
        when = st.date_input(ui.t("outcome_on"), value=on, max_value=on, key="outcome_date", format="DD.MM.YYYY")
        asked = st.form_submit_button(ui.t("save_outcome"))
    if asked:
        if outcome is None:
            ui.note(outcome_place, "error", ui.t("outcome_missing"))
            st.session_state.pop("confirm_outcome", None)
        else:
            st.session_state["confirm_outcome"] = (citizen_id, referral, outcome, when if isinstance(when, date) else on)
            st.session_state.get("notes", {}).pop(outcome_place, None)
    asking = st.session_state.get("confirm_outcome")
    if asking and asking[0] == citizen_id and asking[1] in titles:
        _, referral, outcome, when = asking
        st.warning(ui.t("confirm_outcome", outcome=ui.t("outcome_" + outcome), title=titles[referral].split(" · ")[0],
                        date=ui.day(when)))
        yes, no = st.columns([1, 6])
        if yes.button(ui.t("confirm"), key="confirm_outcome_yes", type="primary"):
            st.session_state.pop("confirm_outcome", None)
            try:
                record_outcome(engine, user, referral, outcome, when)
                ui.note(outcome_place, "success", ui.t("outcome_saved"))
            except REFUSALS as refused:
                ui.note(outcome_place, "error", ui.error(refused))
            st.rerun()
        if no.button(ui.t("cancel"), key="confirm_outcome_no"):
            st.session_state.pop("confirm_outcome", None)
            st.rerun()
ui.show_note(outcome_place)

st.subheader(ui.t("suggestions"))
switch = suggestions_state(engine)
pending_ids = set(past.loc[past["outcome"] == "pending", "opportunity_id"])
table, listed, version = suggestions_table([], lang), {}, None
if not switch.on:
    st.warning(ui.t("suggestions_off", since=ui.moment(switch.changed_at), by=switch.changed_by))
    st.session_state.pop("suggestions", None)
else:
    f1, f2, f3 = st.columns(3)
    kinds = f1.multiselect(ui.t("kinds"), list(KINDS), default=list(KINDS), format_func=ui.kind, key="filter_kinds",
                           placeholder=ui.t("choose_kinds"))
    max_commute = f2.slider(ui.t("max_commute"), 10, 120, int(p.max_commute_minutes or 60), 5, key="filter_commute")
    max_hours = f3.slider(ui.t("max_hours"), 1, 37, int(p.max_hours_per_week or 37), key="filter_hours")

    matcher = ui.matcher()
    if matcher is None:
        st.warning(ui.t("no_model"))
        st.stop()
    # The list is worked out once per citizen, filters, model and language and kept while the
    # caseworker acts on it: a proposed card stays, marked, where it was.
    asked_for = (citizen_id, tuple(kinds), max_commute, max_hours, id(matcher), lang)
    kept = st.session_state.get("suggestions")
    if kept is None or kept[0] != asked_for:
        matcher.refresh_referrals()  # proposals and outcomes since the model was loaded, by anyone
        try:
            found = matcher.recommend(
                citizen_id, k=ui.settings().default_k, as_of=on, kinds=kinds or None,
                max_commute=max_commute, max_hours=max_hours,
            )
        except SuggestionsOff:  # switched off a moment ago
            st.rerun()
        st.session_state["suggestions"] = kept = (
            asked_for, suggestions_table(found, lang, already=pending_ids), {s.opportunity_id: s for s in found},
        )
    table, listed, version = kept[1], kept[2], matcher.model_version
shown_ids = table["opportunity_id"].tolist()
reason_given = st.text_input(ui.t("overrule_reason"), key="overrule_reason", max_chars=500, help=ui.t("overrule_reason_help"))
free = free_places(engine, table["opportunity_id"], on)
plan = ui.citizen_plan(citizen_id, table["opportunity_id"], on)


def place_of(opportunity_id: str) -> str:
    return f"propose:{citizen_id}:{opportunity_id}"


def do_propose(row, reason: str | None = None) -> None:
    """Propose, and note the result at the card; a place held for others asks for a reason. What
    the list showed goes with the proposal; so does the reason written above the list, if any."""
    detail = proposal_detail(listed.get(row.opportunity_id), shown_ids, version, True, int(row.rank))
    try:
        rid = propose(engine, user, citizen_id, row.opportunity_id, on, detail,
                      reason=reason or reason_given.strip() or None)
        ui.note(place_of(row.opportunity_id), "success", ui.t("proposed_here", referral=rid))
        st.session_state.pop("confirming", None)
        st.session_state.pop("overrule_reason", None)  # a reason belongs to one proposal
        st.session_state["last_proposal"] = rid
    except HeldForOthers:
        st.session_state["confirming"] = (citizen_id, row.opportunity_id)
    except REFUSALS as refused:
        ui.note(place_of(row.opportunity_id), "error", ui.error(refused))
    st.rerun()


if table.empty:
    st.info(ui.t("no_suggestions"))
for kind, group in table.groupby("kind", sort=False):
    st.markdown(f"#### {ui.kind(kind)}")
    for row in group.itertuples():
        here = place_of(row.opportunity_id)
        done = st.session_state.get("notes", {}).get(here, ("", ""))[0] == "success"
        places = free.get(row.opportunity_id, 0)
        plan_word = plan.note(row.opportunity_id) if plan is not None else None
        held_for_others = plan_word is not None and plan_word[0] == "plan_held_for_others" and plan_word[1]["left"] <= 0
        with st.container(border=True, key=f"card_{row.opportunity_id}"):
            a, b = st.columns([5, 1])
            a.markdown(
                f"**{row.rank}. {row.title}** · {row.place} · "
                f"{ui.score_text(row.score, row.chance, *ui.chance_interval(listed.get(row.opportunity_id)))} · "
                f"{ui.t('commute')} {ui.minutes(row.commute_minutes)} · "
                + (ui.t("free_places_n", n=places) if places > 0 else f"**{ui.t('full_no_place')}**")
            )
            a.caption(row.reasons)
            if plan_word is not None:
                a.caption("🗺 " + ui.t(plan_word[0], **plan_word[1]))
            if done or places <= 0:
                pass  # proposed already, or full: nothing to propose
            elif row.feasible and not held_for_others:
                if b.button(ui.t("propose"), key=f"propose_{row.opportunity_id}"):
                    do_propose(row)
            elif b.button(ui.t("propose_anyway"), key=f"propose_{row.opportunity_id}"):
                st.session_state["confirming"] = (citizen_id, row.opportunity_id)
                st.rerun()
            if st.session_state.get("confirming") == (citizen_id, row.opportunity_id) and not done and places > 0:
                why = [ui.t("infeasible_" + f) for f in row.flags] + ([ui.t("held_by_plan")] if held_for_others or row.feasible else [])
                with st.form(f"confirm_{row.opportunity_id}"):
                    st.warning(ui.t("confirm_propose_title", why=", ".join(why)))
                    reason = st.text_input(ui.t("override_reason"), key=f"reason_{row.opportunity_id}", max_chars=500)
                    yes, no = st.columns([1, 4])
                    go = yes.form_submit_button(ui.t("confirm_propose"), type="primary")
                    stop = no.form_submit_button(ui.t("cancel"))
                if stop:
                    st.session_state.pop("confirming", None)
                    st.rerun()
                if go:
                    if not reason.strip():
                        st.error(ui.t("reason_required"))
                    else:
                        do_propose(row, reason.strip())
            ui.show_note(here)

# Any open offer can be proposed, listed or not (the caseworker decides); with suggestions off, only so.
search_place = f"search:{citizen_id}"
with st.expander(ui.t("search_opportunities"), expanded=not switch.on):
    s1, s2 = st.columns([3, 2])
    words = s1.text_input(ui.t("search_words"), key="search_words")
    search_kinds = s2.multiselect(ui.t("kinds"), list(KINDS), format_func=ui.kind, key="search_kinds",
                                  placeholder=ui.t("choose_kinds"))
    hits = open_opportunities(engine, on, words, search_kinds, exclude=pending_ids | set(shown_ids))
    if hits.empty:
        st.info(ui.t("no_search_hits"))
    for hit in hits.itertuples():
        a, b = st.columns([5, 1])
        a.markdown(f"**{hit.title}** · {hit.place} · {ui.kind(hit.kind)} · "
                   f"{ui.t('search_hit', hours=hit.hours_per_week, free=hit.free_capacity)} · {hit.district}")
        if b.button(ui.t("propose"), key=f"propose_search_{hit.opportunity_id}"):
            try:
                rid = propose(engine, user, citizen_id, hit.opportunity_id, on,
                              proposal_detail(None, shown_ids if switch.on else None, version, switch.on),
                              reason=reason_given.strip() or None)
                ui.note(search_place, "success", ui.t("proposed_here", referral=rid))
                st.session_state.pop("overrule_reason", None)
                st.session_state["last_proposal"] = rid
            except HeldForOthers:
                ui.note(search_place, "error", ui.t("plan_held_reason"))
            except REFUSALS as refused:
                ui.note(search_place, "error", ui.error(refused))
            st.rerun()
    ui.show_note(search_place)
if st.session_state.get("last_proposal"):
    st.page_link(ui.page_path("explanation"), label=ui.t("explanation_link"),
                 query_params={"referral": st.session_state["last_proposal"]})

st.subheader(ui.t("map_title"))


@st.fragment
def the_map() -> None:
    """Drawn on request and in its own fragment: the list above never waits for the map, and
    turning it on or off reruns only this part."""
    if st.toggle(ui.t("show_map"), key="show_map"):
        st.caption(ui.t("map_legend"))
        st.pydeck_chart(ui.map_deck(p, table, plan.held if plan is not None else None), height=460, key="citizen_map")


the_map()
