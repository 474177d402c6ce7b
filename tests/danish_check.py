"""No English left on a Danish page: the giveaway words, and the text a page renders (AppTest).

``ENGLISH_WORDS`` are words of the English interface, of raw values ("None", "NaN", "empty") and
of ESCO's English skill labels that do not occur in Danish text; ``english_in`` finds them as
whole words, any case. The browser day test (tests/e2e) scans its pages with the same list.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pandas as pd

ENGLISH_WORDS = (
    # raw values and Streamlit's defaults
    "None", "NaN", "NaT", "null", "empty", "True", "False", "Choose an option", "Choose options", "No results",
    # the English interface
    "the", "and", "with", "of", "yes", "Search", "Save", "Sign in", "Sign out", "Username", "Password",
    "Citizen", "Citizens", "caseload", "suggestions", "Propose", "proposal", "proposed", "referral", "referrals",
    "outcome", "pending", "declined", "rejected", "completed", "hired", "no show", "dropped out",
    "experience", "wishes", "barriers", "commute", "hours", "week", "minutes", "limit", "travel",
    "Danish", "none", "basic", "intermediate", "fluent", "good", "required", "needs",
    "employer", "opening", "openings", "candidate", "candidates", "shortlist", "places", "free",
    "Models", "Promote", "Roll back", "Retrain", "training", "feature", "importance", "Evaluation",
    "Overview", "district", "share", "target", "Users", "user", "role", "created", "action", "detail",
    "Outcome date", "UTC", "not feasible", "course", "placement", "education", "wage", "subsidy",
    "small job", "ordinary", "flex job", "ready", "citizen's",
    # ESCO's English skill labels
    "customer", "customers", "lift", "heavy", "weights", "communicate", "maintain", "operate", "ensure",
    "follow", "apply", "perform", "monitor", "safety", "equipment", "procedures", "food", "skills",
    "warehouse", "cleaning", "stock",
)
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in sorted(ENGLISH_WORDS, key=len, reverse=True)) + r")(?![\w-])", re.IGNORECASE)


def english_in(texts: Iterable[str]) -> list[tuple[str, str]]:
    """(word, text) for every giveaway English word in the texts."""
    return [(m.group(0), text) for text in texts for m in _PATTERN.finditer(str(text))]


def _frame_texts(frame: pd.DataFrame) -> list[str]:
    out = [str(c) for c in frame.columns]
    if frame.index.name:
        out.append(str(frame.index.name))
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out += [str(v) for v in values.tolist()]
        elif values.isna().any():
            out.append("NaN")  # a missing number shows as an empty cell in Streamlit, "None" in AppTest
    return out


def _json_texts(text: str, keys: tuple[str, ...]) -> list[str]:
    """The string values under ``keys`` anywhere in a JSON document."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys and isinstance(value, str):
                    out.append(value.replace("\\", ""))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    try:
        walk(json.loads(text))
    except (TypeError, ValueError):
        pass
    return out


def _chart_texts(proto) -> list[str]:
    """Axis titles and legend names of a Vega-Lite chart: its fields and titles."""
    return _json_texts(getattr(proto, "spec", ""), ("field", "title"))


def _map_texts(proto) -> list[str]:
    """A pydeck map's tooltips and labels (its layers' data)."""
    return _json_texts(getattr(proto, "json", ""), ("tooltip", "label", "text"))


_NOT_TEXT = ("", "block", "deck_gl_json_chart", "selectbox", "multiselect", "radio", "select_slider", "text_input",
             "text_area", "date_input", "time_input", "number_input", "slider", "checkbox", "toggle", "color_picker")


def rendered_texts(at) -> list[str]:
    """Every text an AppTest run shows: titles, markdown, captions, alerts, metrics, widget labels,
    options and placeholders, table headers and cells, expander and tab labels, chart axes, map
    tooltips and labels."""
    out: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        for name in ("label", "placeholder"):
            value = getattr(proto, name, None) if proto is not None else None
            if isinstance(value, str) and value:
                out.append(value)
        if kind in ("dataframe", "arrow_data_frame", "table"):
            try:
                out.extend(_frame_texts(node.value))
            except Exception:  # noqa: BLE001 - a frame AppTest cannot decode is not text
                pass
            return
        if kind == "metric":
            out.extend([node.label, node.value, getattr(node, "delta", "") or ""])
            return
        if kind in ("arrow_vega_lite_chart", "vega_lite_chart"):
            out.extend(_chart_texts(proto))
            return
        if kind == "html":
            # Styles and scripts are not read; the text between tags is.
            body = re.sub(r"<(style|script)\b.*?</\1>", " ", getattr(proto, "body", ""), flags=re.S | re.I)
            out.append(re.sub(r"<[^>]+>", " ", body).strip())
            return
        if kind == "deck_gl_json_chart":
            out.extend(_map_texts(proto))
            return
        # A choice widget's value is the raw option (the page shows it formatted, as in ``options``).
        value = getattr(node, "value", None) if kind not in _NOT_TEXT else None
        if isinstance(value, str):
            out.append(value)
        options = getattr(node, "options", None)
        if isinstance(options, (list, tuple)):
            out.extend(str(o) for o in options)

    walk(at._tree)
    return [text for text in out if text]
