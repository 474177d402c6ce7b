"""A model card for every registered version, in Danish and English, kept with its MLflow run.

The card says what the model is for and for whom, what it must not be used for, what it was
trained on (window, size, the data's fingerprint), its inputs (which protected characteristics
are not among them, and which inputs touch one) with their importance, its figures (overall on
the held-out window, per group from the gate's group check, per truth family of the simulator
where the families benchmark has measured the specification), its known limitations and the
quality gate's decision.

``matcher train`` writes the card of the version it registers (:func:`write_card`);
``matcher model-card`` writes the cards of versions registered without one. The card lives in
the version's run as ``model_card/model_card.{da,en}.md`` and ``model_card/card.json``.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from matcher import i18n, registry
from matcher.fairness import DIMENSIONS, GATE_MEASURES
from matcher.settings import get_settings

CARD_ARTIFACT = "model_card"
# Kept for audits, never model inputs.
PROTECTED_NOT_INPUTS = ("gender", "origin")
# Inputs that touch a protected ground (EU equal-treatment law: age, disability) or can stand in
# for origin: they are inputs, so the group audit and the gate judge the groups they touch.
SENSITIVE_INPUTS = {
    "age": "age",
    "barrier_physical_health": "disability",
    "barrier_mental_health": "disability",
    "barrier_substance_use": "disability",
    "mental_health_x_ordinary_job": "disability",
    "physical_health_x_job": "disability",
    "danish_level": "origin (proxy)",
    "danish_gap": "origin (proxy)",
    "danish_short": "origin (proxy)",
    "education_foreign": "origin (proxy)",
    "barrier_workplace_culture": "origin (proxy)",
}
# The families benchmark (benchmarks/bench_audit.py) writes the specification's figures here.
FAMILIES_FILE = "audit_families.json"


def _group_ratios(metrics: dict[str, float]) -> list[dict]:
    """The gate's worst/best ratios from a run's metrics (``group_<measure>_<dimension>_ratio``)."""
    rows = []
    for measure in GATE_MEASURES:
        for dim in DIMENSIONS:
            key = f"group_{measure}_{dim}_ratio"
            if key in metrics:
                rows.append({"measure": measure, "dimension": dim, "ratio": metrics[key],
                             "lo": metrics.get(f"{key}_lo"), "hi": metrics.get(f"{key}_hi")})
    return rows


def build_card(version: str | int) -> dict:
    """The card's facts for a registered version, from its run, its model and the reports."""
    from matcher.model_report import feature_importance

    c = registry.client()
    name = get_settings().registered_model_name
    mv = c.get_model_version(name, str(version))
    run = c.get_run(mv.run_id)
    p, m, t = run.data.params, run.data.metrics, run.data.tags
    ranker = registry.load_version(version)
    features = list(getattr(ranker, "features", []) or [])
    importance = feature_importance(ranker, top=15)
    families_path = Path(get_settings().reports_dir) / FAMILIES_FILE
    families = json.loads(families_path.read_text(encoding="utf-8")) if families_path.exists() else None
    return {
        "name": name,
        "version": str(version),
        "run_id": mv.run_id,
        "created": pd.Timestamp(mv.creation_timestamp, unit="ms").isoformat(),
        "model": p.get("model", type(ranker).__name__),
        "structure": p.get("ranker.structure"),
        "window": {k: p.get(k) for k in ("train_start", "holdout_start", "train_end", "served_train_end",
                                         "train_pairs", "holdout_pairs", "served_pairs")},
        "data_fingerprint": p.get("data_fingerprint"),
        "metrics": {k: v for k, v in sorted(m.items()) if not k.startswith("group_")},
        "group_ratios": _group_ratios(m),
        "features": features,
        "protected_not_inputs": [f for f in PROTECTED_NOT_INPUTS if not any(f in name_ for name_ in features)],
        "protected_inputs_found": [f for f in PROTECTED_NOT_INPUTS if any(f in name_ for name_ in features)],
        "sensitive_inputs": {f: g for f, g in SENSITIVE_INPUTS.items() if f in features},
        "importance": [] if importance is None else [{"feature": f, "share": float(v)} for f, v in importance.items()],
        "families": families,
        "gate": {"passed": t.get(registry.GATE_TAG, t.get("promoted")), "reason": t.get("gate_reason"),
                 "group_check": t.get("group_check")},
    }


def _fmt(value, lang: str, decimals: int = 3) -> str:
    return i18n.MISSING if value is None or pd.isna(value) else i18n.number(value, lang, decimals)


def render(card: dict, lang: str) -> str:
    """The card as Markdown in ``lang`` ('da' or 'en')."""
    t = lambda key, **v: i18n.t(key, lang, **v)  # noqa: E731
    w = card["window"]
    lines = [
        f"# {t('card_title', version=card['version'])}",
        "",
        t("card_identity", model=card["model"], structure=card["structure"] or i18n.MISSING, run=card["run_id"],
          created=i18n.date_text(pd.Timestamp(card["created"]), lang)),
        "",
        f"## {t('card_intended_use')}", "", t("card_intended_use_text"), "",
        f"## {t('card_users')}", "", t("card_users_text"), "",
        f"## {t('card_prohibited')}", "", t("card_prohibited_text"), "",
        f"## {t('card_training')}", "",
        t("card_window", start=w["train_start"] or i18n.MISSING, holdout=w["holdout_start"] or i18n.MISSING,
          end=w["train_end"] or i18n.MISSING, served_end=w["served_train_end"] or i18n.MISSING,
          pairs=_fmt(float(w["served_pairs"] or w["train_pairs"] or 0), lang, 0), fingerprint=card["data_fingerprint"] or i18n.MISSING),
        "",
        f"## {t('card_features')}", "",
        t("card_protected", n=len(card["features"]), absent=", ".join(card["protected_not_inputs"]) or i18n.MISSING),
        "",
    ]
    if card["protected_inputs_found"]:
        lines += [t("card_protected_found", found=", ".join(card["protected_inputs_found"])), ""]
    if card["sensitive_inputs"]:
        lines += [t("card_sensitive"), ""]
        lines += [f"- {i18n.feature_label(f, lang)} (`{f}`): {g}" for f, g in card["sensitive_inputs"].items()] + [""]
    if card["importance"]:
        lines += [f"| {t('col_feature')} | {t('col_gain_share')} |", "|---|---|"]
        lines += [f"| {i18n.feature_label(r['feature'], lang)} | {i18n.percent(r['share'], lang, 1)} |" for r in card["importance"]]
        lines += [""]
    lines += [f"## {t('card_metrics')}", "", f"### {t('card_overall')}", ""]
    lines += [f"| {t('card_metric')} | {t('card_value')} |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v, lang)} |" for k, v in card["metrics"].items()] + [""]
    lines += [f"### {t('card_groups')}", ""]
    if card["group_ratios"]:
        lines += [t("card_groups_text", bound=_fmt(get_settings().audit.gate_min_group_ratio, lang, 2)), "",
                  f"| {t('card_measure')} | {t('card_dimension')} | {t('card_worst_best')} | {t('card_interval')} |", "|---|---|---|---|"]
        lines += [f"| {r['measure']} | {r['dimension']} | {_fmt(r['ratio'], lang)} | {_fmt(r['lo'], lang)}–{_fmt(r['hi'], lang)} |"
                  for r in card["group_ratios"]] + [""]
    else:
        lines += [t("card_groups_none"), ""]
    lines += [f"### {t('card_families')}", ""]
    fam = card["families"]
    if fam:
        lines += [t("card_families_text", citizens=_fmt(float(fam.get("citizens", 0)), lang, 0), date=fam.get("measured", "")), "",
                  f"| {t('card_family')} | oracle ratio@10 | {t('card_worst_best')} (oracle) | {t('card_worst_group')} |", "|---|---|---|---|"]
        for family, row in fam["families"].items():
            lines.append(f"| {family} | {_fmt(row.get('oracle_ratio'), lang)} | {_fmt(row.get('worst_ratio'), lang)} | "
                         f"{row.get('worst_dimension', '')}: {row.get('worst_group', '')} |")
        lines += [""]
    else:
        lines += [t("card_families_none"), ""]
    lines += [f"## {t('card_limitations')}", "", t("card_limitations_text"), ""]
    gate = card["gate"]
    decision = t("card_gate_passed") if gate["passed"] == "true" else t("card_gate_refused")
    lines += [f"## {t('card_gate')}", "", t("card_gate_text", decision=decision, reason=gate["reason"] or i18n.MISSING), ""]
    return "\n".join(lines)


def write_card(version: str | int) -> dict:
    """Build the card of ``version`` and log it (JSON, Danish and English Markdown) to its run."""
    card = build_card(version)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / CARD_ARTIFACT
        folder.mkdir()
        (folder / "card.json").write_text(json.dumps(card, indent=1, default=str), encoding="utf-8")
        for lang in i18n.LANGUAGES:
            (folder / f"model_card.{lang}.md").write_text(render(card, lang), encoding="utf-8")
        registry.client().log_artifacts(card["run_id"], str(folder), artifact_path=CARD_ARTIFACT)
    return card


def load_card(version: str | int, lang: str = i18n.DEFAULT) -> str | None:
    """The card of ``version`` in ``lang`` as Markdown, or None when it has none."""
    import mlflow
    from mlflow.exceptions import MlflowException

    c = registry.client()
    mv = c.get_model_version(get_settings().registered_model_name, str(version))
    try:
        path = mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path=f"{CARD_ARTIFACT}/model_card.{lang}.md")
    except (MlflowException, OSError):
        return None
    return Path(path).read_text(encoding="utf-8")


def has_card(version: str | int) -> bool:
    """Whether the version's run holds a card."""
    c = registry.client()
    mv = c.get_model_version(get_settings().registered_model_name, str(version))
    return any(f.path.endswith("card.json") for f in c.list_artifacts(mv.run_id, CARD_ARTIFACT))


def write_missing_cards() -> list[str]:
    """Write the card of every registered version that has none; returns their versions."""
    written = []
    for version in registry.list_versions()["version"].astype(str):
        if not has_card(version):
            write_card(version)
            written.append(version)
    return written
