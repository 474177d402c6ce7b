"""Data scientist: model versions with metrics, the champion, the evaluation report and its
plots, feature importance, retraining in the background through the quality gate, promote and
roll back."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from matcher import registry
from matcher.access import AccessDenied
from matcher.jobs import BackgroundJob
from matcher.model_report import feature_importance

user = ui.guard("models")
engine = ui.engine()
st.title(ui.t("models_title"))


@st.cache_resource(show_spinner=False)
def retrain_job() -> BackgroundJob:
    return BackgroundJob()


@st.cache_resource(show_spinner=False)
def importance_of(version: str):
    return feature_importance(registry.load_version(version))


champion = registry.champion_metadata() or {}
st.metric(ui.t("champion"), str(champion.get("version", "–")))
versions = pd.DataFrame(registry.list_versions())
if versions.empty:
    st.info(ui.t("no_model"))
else:
    st.subheader(ui.t("versions"))
    st.dataframe(versions, hide_index=True, key="versions_table")
    importance = importance_of(str(champion["version"])) if champion else None
    if importance is not None:
        st.subheader(ui.t("feature_importance"))
        st.bar_chart(importance, horizontal=True, sort=False)
    a, b = st.columns(2)
    with a:
        version = st.selectbox(ui.t("version"), versions["version"].astype(str).tolist(), key="promote_version")
        if st.button(ui.t("promote"), key="promote"):
            try:
                st.success(registry.promote(version, engine=engine, actor=user))
            except (registry.RegistryError, AccessDenied) as problem:
                st.error(str(problem))
    with b:
        if st.button(ui.t("rollback"), key="rollback"):
            try:
                st.success(registry.rollback(engine=engine, actor=user))
            except (registry.RegistryError, AccessDenied) as problem:
                st.error(str(problem))

st.subheader(ui.t("retrain"))
job = retrain_job()


label = ui.t("training")  # read here: the thread has no session to read the language from


def train(report):
    from matcher.training import train_and_register

    report(0.01, label)
    return train_and_register(engine, progress=report, actor=user)


if st.button(ui.t("retrain_start"), key="retrain", disabled=job.running):
    job.start(train)  # the training authorises and audits itself (matcher.registry.begin_training)


@st.fragment(run_every=2)
def progress() -> None:
    if job.running:
        st.progress(job.progress, text=job.message or ui.t("training"))
    elif job.error:
        st.error(job.error)
    elif job.result is not None:
        st.success(job.result.describe())


progress()

st.subheader(ui.t("evaluation"))
report = Path(ui.settings().reports_dir) / "evaluation.md"
if report.exists():
    # The report links its PNGs relatively, which Streamlit cannot resolve: they are shown below.
    text = report.read_text(encoding="utf-8")
    st.markdown("\n".join(line for line in text.splitlines() if not line.startswith("![")))
    for image in sorted(report.parent.glob("*.png")):
        st.image(str(image), caption=image.stem)
else:
    st.info(ui.t("no_report"))
