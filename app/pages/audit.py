"""Data scientist: the latest group audit (``matcher audit``): the worst/best group ratio per
dimension, every measure by group with its interval, and the plots."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import ui
from matcher.group_audit import MEASURES, load_report
from matcher.i18n import group_label

ui.guard("audit")
st.title(ui.t("audit_title"))
st.caption(ui.t("audit_groups_note"))
report = load_report(ui.settings().reports_dir)


def shown(table, columns):
    """A table in the reader's language: groups and dimensions named, numbers formatted."""
    view = table[list(columns)].copy()
    for col in ("group", "worst", "best"):
        if col in view:
            view[col] = view[col].map(lambda g: group_label(g, ui.lang()))
    view["dimension"] = view["dimension"].map(lambda d: ui.t("dim_" + d))
    numbers = [c for c in view.columns if c not in ("dimension", "group", "worst", "best", "n", "groups")]
    view = ui.columns(view, prefix="audit_col_")
    return view.style.format(lambda v: ui.number(v, 3), subset=[ui.t("audit_col_" + c) for c in numbers])


with st.expander(ui.t("audit_measures")):
    # What each measure means, shown with or without a report.
    for measure in MEASURES:
        key = measure.replace("@", "_at_")
        st.markdown(f"**{ui.t('measure_' + key)}**: {ui.t('measure_note_' + key)}")

if report is None:
    st.info(ui.t("no_audit"))
else:
    st.caption(ui.t("audit_caption", model=report["model"], day=ui.day(report["as_of"]),
                    family=report["truth_family"] or ui.t("audit_no_truth")))
    if len(report["headline"]):
        st.subheader(ui.t("audit_headline"))
        st.dataframe(shown(report["headline"], ["dimension", "worst", "worst_value", "best", "best_value", "ratio", "ratio_lo", "ratio_hi"]),
                     hide_index=True, key="audit_headline")
    for measure, table in report["tables"].items():
        if measure not in MEASURES:
            continue
        st.subheader(ui.t("measure_" + measure.replace("@", "_at_")))
        st.caption(ui.t("measure_note_" + measure.replace("@", "_at_")))
        st.dataframe(shown(table, ["dimension", "group", "n", "value", "lo", "hi"]), hide_index=True, key=f"audit_{measure}")
    folder = Path(ui.settings().reports_dir)
    for name in report["plots"]:
        if (folder / name).exists():
            st.image(str(folder / name))
