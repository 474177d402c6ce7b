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
from matcher.i18n import TEXTS, feature_label, yes_no
from matcher.model_report import evaluation_results, feature_importance

user = ui.guard("models")
engine = ui.engine()
st.title(ui.t("models_title"))


@st.cache_resource(show_spinner=False)
def retrain_job() -> BackgroundJob:
    return BackgroundJob()


@st.cache_resource(show_spinner=False)
def importance_of(version: str):
    return feature_importance(registry.load_version(version))


def versions_view(versions: pd.DataFrame) -> pd.DataFrame:
    """The registry's versions in the reader's language: dates, local times, ja/nej, named columns.
    The quality gate's reasons are written in English by the trainer: shown in English only."""
    view = versions.assign(
        created=versions["created"].map(ui.moment),
        fingerprint=versions["fingerprint"].fillna("–"), run_id=versions["run_id"].fillna("–"),
        holdout_ndcg10=versions["holdout_ndcg10"].map(lambda v: ui.number(v, 4)),
        train_pairs=versions["train_pairs"].map(lambda v: ui.number(pd.to_numeric(v, errors="coerce"))),
        **{c: versions[c].map(ui.day) for c in ("train_start", "train_end", "holdout_start")},
        **{c: versions[c].map(lambda v: yes_no(v, ui.lang())) for c in ("champion", "was_champion", "gate_passed", "promoted")},
    )
    if ui.lang() != "en":
        view = view.drop(columns=["gate_reason"])
    return ui.columns(view)


champion = registry.champion_metadata() or {}
st.metric(ui.t("champion"), str(champion.get("version", "–")))
versions = pd.DataFrame(registry.list_versions())
if versions.empty:
    st.info(ui.t("no_model"))
else:
    st.subheader(ui.t("versions"))
    st.dataframe(versions_view(versions), hide_index=True, key="versions_table")
    if ui.lang() != "en":
        st.caption(ui.t("gate_reason_english"))
    importance = importance_of(str(champion["version"])) if champion else None
    if importance is not None:
        st.subheader(ui.t("feature_importance"))
        shown = importance.rename_axis("feature").reset_index().assign(
            feature=lambda f: f["feature"].map(lambda name: feature_label(name, ui.lang())))
        st.dataframe(
            ui.columns(shown), hide_index=True, key="importance_table", use_container_width=True,
            column_config={ui.t("col_gain_share"): st.column_config.ProgressColumn(
                format="%.3f", min_value=0.0, max_value=float(importance.max()))},
        )
    a, b = st.columns(2)
    with a:
        version = st.selectbox(ui.t("version"), versions["version"].astype(str).tolist(), key="promote_version")
        if st.button(ui.t("promote"), key="promote"):
            try:
                st.success(registry.promote(version, engine=engine, actor=user))
            except (registry.RegistryError, AccessDenied) as problem:
                st.error(ui.error(problem))
    with b:
        if st.button(ui.t("rollback"), key="rollback"):
            try:
                st.success(registry.rollback(engine=engine, actor=user))
            except (registry.RegistryError, AccessDenied) as problem:
                st.error(ui.error(problem))

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
    split, results = evaluation_results(report)
    if ui.lang() == "en" or results.empty:
        # The report links its PNGs relatively, which Streamlit cannot resolve: they are shown below.
        text = report.read_text(encoding="utf-8")
        st.markdown("\n".join(line for line in text.splitlines() if not line.startswith("![")))
        for image in sorted(report.parent.glob("*.png")):
            st.image(str(image), caption=image.stem)
    else:
        # The report itself is a technical English document; the page shows its results in Danish.
        st.caption(ui.t("evaluation_note", split=ui.day(split)))
        shown = results.assign(model=results["model"].map(lambda m: ui.t("model_" + m) if "model_" + m in TEXTS else m))
        shown = shown.rename(columns={c: ui.t("metric_" + c) for c in results.columns if "metric_" + c in TEXTS})
        shown = shown.rename(columns={"model": ui.t("col_model")})
        st.dataframe(shown.style.format(lambda v: ui.number(v, 3), subset=shown.columns[1:]), hide_index=True, key="evaluation_table")
else:
    st.info(ui.t("no_report"))
