"""Data scientist: model versions with metrics, the champion, the evaluation report and its
plots, feature importance, retraining in the background through the quality gate, promote and
roll back."""
from __future__ import annotations

from datetime import timezone
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
    # Promote and roll back say what they will do and ask first; nothing is chosen beforehand.
    current = str(champion.get("version", "–"))
    a, b = st.columns(2)
    with a:
        version = st.selectbox(ui.t("version"), versions["version"].astype(str).tolist(), index=None,
                               placeholder=ui.t("choose_version"), key="promote_version")
        if st.button(ui.t("promote"), key="promote", disabled=version is None or version == current):
            st.session_state["models_confirm"] = ("promote", version, current)
    back = registry.rollback_plan()
    with b:
        if back is None:
            st.caption(ui.t("no_rollback"))
        if st.button(ui.t("rollback"), key="rollback", disabled=back is None):
            st.session_state["models_confirm"] = ("rollback", back[1], back[0])
    asking = st.session_state.get("models_confirm")
    if asking is not None:
        what, target, replaced = asking
        st.warning(ui.t("confirm_promote", version=target, current=replaced) if what == "promote"
                   else ui.t("confirm_rollback", to=target, current=replaced))
        yes, no = st.columns([1, 6])
        if yes.button(ui.t("confirm"), key="models_confirm_yes", type="primary"):
            st.session_state.pop("models_confirm", None)
            try:
                if what == "promote":
                    registry.promote(target, engine=engine, actor=user)
                    ui.note("models", "success", ui.t("promoted_to", version=target))
                else:
                    registry.rollback(engine=engine, actor=user, expect_from=replaced)
                    ui.note("models", "success", ui.t("rolled_back_to", to=target, current=replaced))
            except (registry.RegistryError, AccessDenied) as problem:
                ui.note("models", "error", ui.error(problem))
            st.rerun()  # the champion and the version list as they are now
        if no.button(ui.t("cancel"), key="models_confirm_no"):
            st.session_state.pop("models_confirm", None)
            st.rerun()
    ui.show_note("models")

st.subheader(ui.t("retrain"))
job = retrain_job()


label = ui.t("training")  # read here: the thread has no session to read the language from


def train(report):
    from matcher.training import train_and_register

    report(0.01, label)
    return train_and_register(engine, progress=report, actor=user)


@st.fragment(run_every=2)
def retraining() -> None:
    """The button and the run's step, redrawn every 2 s: disabled while a training runs here or in
    another process (an MLflow run still RUNNING); the whole page is drawn again when it ends."""
    elsewhere = [] if job.running else registry.running_trainings()
    busy = job.running or bool(elsewhere)
    if st.button(ui.t("retrain_start"), key="retrain", disabled=busy):
        job.start(train)  # the training authorises and audits itself (matcher.registry.begin_training)
        st.session_state["retrain_seen"] = None
        busy = True
    if job.running:
        # The job keeps local time; the page says every moment in Copenhagen time.
        since = ui.moment(job.started_at.astimezone(timezone.utc).replace(tzinfo=None)) if job.started_at else "–"
        st.progress(job.progress, text=ui.t("retrain_running", since=since, step=ui.said(job.message) if job.message else ui.t("training")))
    elif elsewhere:
        st.info(ui.t("retrain_running", since=ui.moment(elsewhere[0]["started"]), step=elsewhere[0]["run_name"] or ui.t("training")))
    elif job.error:
        st.error(ui.t("training_failed"))
        st.code(job.error, language=None)
    elif job.result is not None:
        st.success(ui.said(job.result.outcome))
        if st.session_state.get("retrain_seen") != id(job.result):
            st.session_state["retrain_seen"] = id(job.result)
            st.rerun(scope="app")  # a new version, maybe a new champion: draw the page from the registry again


retraining()

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


# ---- model card and drift (matcher.model_card, matcher.drift) --------------------------------


@st.cache_resource(show_spinner=False)
def card_of(version: str, lang: str) -> str | None:
    from matcher.model_card import load_card

    return load_card(version, lang)


@st.cache_resource(show_spinner=False)
def drift_of(version: str, url: str):
    from matcher.drift import champion_drift

    try:
        return champion_drift(engine), None
    except (ValueError, KeyError) as why:
        return None, str(why)


if not versions.empty:
    st.subheader(ui.t("model_card"))
    shown_version = st.selectbox(ui.t("version"), versions["version"].astype(str).tolist(), key="card_version")
    card = card_of(shown_version, ui.lang())
    if card is None:
        st.info(ui.t("card_missing", version=shown_version))
    else:
        with st.expander(ui.t("card_title", version=shown_version)):
            st.markdown(card)

if champion:
    st.subheader(ui.t("drift_title"))
    found, why = drift_of(str(champion["version"]), ui.settings().db_url)
    if found is None:
        st.info(ui.t("no_drift", why=why))
    else:
        (st.warning if found.retraining_due else st.success)(
            ui.t("drift_due" if found.retraining_due else "drift_not_due")
            + "".join(f"\n- {reason}" for reason in found.reasons(ui.lang())))
        st.caption(ui.t("drift_note", recent_start=ui.day(found.recent[0]), recent_end=ui.day(found.recent[1]),
                        start=ui.day(found.window[0]), end=ui.day(found.window[1])))
        features = found.features.head(15).assign(feature=lambda f: f["feature"].map(lambda name: feature_label(name, ui.lang())))
        st.dataframe(ui.columns(features).style.format(lambda v: ui.number(v, 3), subset=[ui.t("col_psi")]),
                     hide_index=True, key="drift_table")
        rates = ui.columns(found.outcomes.rename(index=lambda r: ui.t("rate_" + r)).rename_axis("rate").reset_index())
        st.dataframe(rates.style.format(lambda v: ui.number(v, 3), subset=list(rates.columns[1:])), hide_index=True, key="drift_rates")
