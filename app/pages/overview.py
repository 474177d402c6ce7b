"""Programme overview: outcomes by district (Tingbjerg shown), by kind, over time, the share with
an active offer, and progress against the published targets. Aggregates only."""
from __future__ import annotations

import streamlit as st

import ui
from matcher.caseload import app_date
from matcher.overview import by_district, by_kind, over_time, share_with_active_offer, targets

ui.guard("overview")
on = app_date(ui.engine())
world = ui.world()
st.title(ui.t("overview_title"))
st.caption(ui.t("as_of", date=on.isoformat()))

goal = targets(world, on)
c1, c2, c3 = st.columns(3)
c1.metric(ui.t("share_active_offer"), f"{share_with_active_offer(world, on):.0%}")
c2.metric(
    ui.t("target_share"), f"{goal.share_within_year:.0%}",
    delta=f"{goal.share_within_year - goal.target_share:+.0%} {ui.t('vs_target')} {goal.target_share:.0%}",
)
c3.metric(
    ui.t("target_hired"), f"{goal.hired_two_years:,}",
    delta=f"{goal.hired_progress:.0%} {ui.t('of_target')} {goal.target_hired:,}", delta_color="off",
)
st.progress(min(goal.hired_progress, 1.0), text=ui.t("target_hired_progress", n=goal.hired_two_years, target=goal.target_hired))
st.caption(ui.t("target_definitions", cohort=goal.cohort))

st.subheader(ui.t("by_district"))
districts = by_district(world, on)
shown = districts.copy()
shown.columns = [ui.t("col_" + c) for c in shown.columns]
st.dataframe(shown, hide_index=True, key="district_table")
st.bar_chart(districts.set_index("district")[["share_active_offer", "share_reached"]].rename(
    columns={"share_active_offer": ui.t("col_share_active_offer"), "share_reached": ui.t("col_share_reached")}
), stack=False)
st.caption(ui.t("small_cells", n=ui.settings().min_cell_size))

st.subheader(ui.t("by_kind"))
kinds = by_kind(world, on)
kinds["kind"] = kinds["kind"].map(ui.kind)
kinds.columns = [ui.t("outcome_" + c) if c in ui.OUTCOME_SET else ui.t("col_" + c) for c in kinds.columns]
st.dataframe(kinds, hide_index=True, key="kind_table")

st.subheader(ui.t("over_time"))
months = over_time(world, on).set_index("month")
st.line_chart(months.rename(columns={"proposals": ui.t("col_proposals"), "successes": ui.t("col_successes")}))
