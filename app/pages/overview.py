"""Programme overview: outcomes by district (Tingbjerg shown), by kind, over time, the share with
an active offer, and progress against the published targets. Aggregates only."""
from __future__ import annotations

import streamlit as st

import ui
from matcher.i18n import number, percent
from matcher.caseload import app_date
from matcher.overview import by_district, by_kind, over_time, share_with_active_offer, targets

ui.guard("overview")
on = app_date(ui.engine())
world = ui.world()
st.title(ui.t("overview_title"))
st.caption(ui.t("as_of", date=ui.day(on)))

goal = targets(world, on)
c1, c2, c3 = st.columns(3)
c1.metric(ui.t("share_active_offer"), ui.percent(share_with_active_offer(world, on)))
c2.metric(
    ui.t("target_share"), ui.percent(goal.share_within_year),
    delta=f"{ui.percent(goal.share_within_year - goal.target_share, sign=True)} {ui.t('vs_target')} {ui.percent(goal.target_share)}",
)
c3.metric(
    ui.t("target_hired"), ui.number(goal.hired_two_years),
    delta=f"{ui.percent(goal.hired_progress)} {ui.t('of_target')} {ui.number(goal.target_hired)}", delta_color="off",
)
st.progress(min(goal.hired_progress, 1.0), text=ui.t(
    "target_hired_progress", n=ui.number(goal.hired_two_years), target=ui.number(goal.target_hired)))
st.caption(ui.t("target_definitions", cohort=ui.number(goal.cohort)))

st.subheader(ui.t("by_district"))
districts = by_district(world, on)
shown = districts.assign(
    citizens=districts["citizens"].map(ui.number), hired=districts["hired"].map(ui.number),
    share_active_offer=districts["share_active_offer"].map(ui.percent), share_reached=districts["share_reached"].map(ui.percent),
)
shown = ui.columns(shown)
st.dataframe(shown, hide_index=True, key="district_table")
st.bar_chart(ui.columns(districts.set_index("district")[["share_active_offer", "share_reached"]]).rename_axis(
    ui.t("col_district")), stack=False)
st.caption(ui.t("small_cells", n=ui.settings().min_cell_size))

st.subheader(ui.t("by_kind"))
kinds = by_kind(world, on)
kinds["kind"] = kinds["kind"].map(ui.kind)
kinds["success_share"] = kinds["success_share"].map(ui.percent)
kinds = kinds.rename(columns={c: ui.t(("outcome_" if c in ui.OUTCOME_SET else "col_") + c) for c in kinds.columns})
st.dataframe(kinds, hide_index=True, key="kind_table")

st.subheader(ui.t("over_time"))
months = ui.columns(over_time(world, on)).set_index(ui.t("col_month"))
st.line_chart(months)

st.subheader(ui.t("congestion"))
plan = ui.plan()
st.caption(ui.plan_caption(plan))
if plan is not None and plan.run is not None and plan.run.summary:
    figures = plan.run.summary
    g1, g2, g3 = st.columns(3)
    g1.metric(ui.t("congestion_gini"), number(figures["exposure_gini"], ui.lang(), 2))
    g2.metric(ui.t("congestion_undirected"), percent(figures["undirected_share"], ui.lang()))
    g3.metric(ui.t("congestion_first_full"), percent(figures["first_full_share"], ui.lang()))
    st.caption(ui.t("congestion_note"))

