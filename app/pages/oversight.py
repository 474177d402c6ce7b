"""Oversight (data scientists and admins): how often caseworkers propose the first, a top-3, a
lower or an unlisted offer, by team and over time; outcomes of followed vs overruled proposals;
the reasons given. Aggregates only (``matcher.oversight``)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from matcher import oversight

user = ui.guard("oversight")
engine = ui.engine()
st.title(ui.t("oversight_title"))
st.caption(ui.t("oversight_intro"))

frame = oversight.proposals(engine)
if frame.empty:
    st.info(ui.t("oversight_none"))
    st.stop()

choice_cols = {c: ui.t("choice_" + c) for c in oversight.CHOICES}


def _shown(table):
    """Choice counts with the share followed as text ("–" without proposals made from a list)."""
    table = table.assign(followed=table["followed"].map(ui.percent))
    if "period" in table:
        table["period"] = table["period"].map(ui.day)
    return table.rename(columns={**choice_cols, "team": ui.t("col_team"), "total": ui.t("col_total"),
                                 "followed": ui.t("col_followed"), "period": ui.t("period")})


st.subheader(ui.t("oversight_by_team"))
st.dataframe(_shown(oversight.choices(frame, "team")), hide_index=True, key="oversight_team")

st.subheader(ui.t("oversight_over_time"))
periods = {ui.t("period_" + p): p for p in oversight.PERIODS}
period = periods[st.radio(ui.t("period"), list(periods), horizontal=True, key="oversight_period")]
over_time = oversight.choices(frame, None, period)
st.bar_chart(over_time.set_index("period")[list(oversight.CHOICES)].rename(columns=choice_cols))
st.dataframe(_shown(over_time), hide_index=True, key="oversight_time")

st.subheader(ui.t("oversight_outcomes"))
results = oversight.outcomes(frame)
results["interval"] = [
    "–" if n == 0 else f"{ui.number(100 * lo)}–{ui.percent(hi)}" for n, lo, hi in zip(results["known"], results["low"], results["high"])
]
results["success_rate"] = results["success_rate"].map(ui.percent)
results["group"] = results["group"].map(lambda g: ui.t("group_" + g))
results = results.drop(columns=["low", "high"]).rename(columns={
    "group": ui.t("col_group"), "proposals": ui.t("col_proposals"), "pending": ui.t("col_pending"),
    "known": ui.t("col_known"), "successes": ui.t("col_successes"), "success_rate": ui.t("col_success_rate"),
    "interval": ui.t("col_interval"),
})
st.dataframe(results, hide_index=True, key="oversight_outcomes")

st.subheader(ui.t("oversight_reasons"))
given = oversight.reasons(frame)
if given.empty:
    st.info(ui.t("oversight_no_reasons"))
else:
    given["choice"] = given["choice"].map(choice_cols)
    given["proposed_on"] = given["proposed_on"].map(ui.day)
    given["rank"] = given["rank"].map(lambda r: "–" if pd.isna(r) else str(int(r)))
    st.dataframe(given.rename(columns={"proposed_on": ui.t("col_proposed_on"), "team": ui.t("col_team"),
                                       "choice": ui.t("col_choice"), "rank": ui.t("col_rank"), "reason": ui.t("col_reason")}),
                 hide_index=True, key="oversight_reasons")
