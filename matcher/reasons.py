"""Plain-language reasons for a suggestion, in Danish and English, from the model's own contributions.

LightGBM's per-feature contributions (``pred_contrib``) are summed per *topic* (commute, job
wish, experience, skills, Danish, hours, licence, kind, employer, earlier referrals). The topics
that pushed the score up most become sentences with the actual values; a topic that pulled it
down strongly adds one more. So a reason always says what the model used, in words a citizen
understands: whose limit it is, how many of how many, the Danish scale in words, skill names in
Danish (``data/esco/skills_da.csv``), and only what bears on this offer. The sentences are the
translation table's (``matcher.i18n``, keys ``reason_*``).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from matcher.contract import BARRIERS, KINDS
from matcher.i18n import LANGUAGES, both, danish_level_label, kind_label, number, percent, t
from matcher.taxonomy import skill_label

TOPICS: dict[str, list[str]] = {
    "commute": ["commute_minutes", "commute_ratio", "commute_over_limit", "commute_minutes_over"],
    "wish": ["wish_similarity", "wish_isco_distance", "has_wishes", "wish_same_occupation"],
    "history": ["history_similarity", "history_isco_distance", "has_history", "history_same_occupation"],
    "skills": ["skill_overlap", "skill_coverage", "skill_jaccard", "citizen_skill_count", "course_teaches_known"],
    "danish": ["danish_level", "danish_gap", "danish_short", "danish_short_x_job", "danish_short_x_education"],
    "hours": ["opp_hours", "citizen_max_hours", "hours_over", "hours_ratio"],
    "licence": ["licence_required", "licence_missing"],
    "kind": [f"kind_{k}" for k in KINDS]
    + ["activity_ready", "job_kind_x_activity_ready", "n_barriers", "mental_health_x_ordinary_job", "physical_health_x_job", "culture_x_placement"]
    + [f"barrier_{b}" for b in BARRIERS],
    "employer": ["social_agreement", "employer_log_size", "emp_known_referrals", "emp_success_rate", "opp_known_referrals", "opp_success_rate"],
    "earlier": ["cit_prev_outcomes", "cit_prev_successes", "cit_prev_success_rate", "cit_prev_refusals", "cit_prev_same_kind", "cit_prev_same_kind_successes", "cit_pending", "cit_prev_same_employer"],
}
# A negative topic is worth a sentence when it pulls at least this share of the top positive one.
STRONG_NEGATIVE_SHARE = 0.5
MIN_REASONS, MAX_POSITIVE = 3, 3

Sentence = tuple[str, str]


class Reason(str):
    """A reason's text that knows its topic (a key of ``TOPICS``), so a view can keep only the
    topics its reader may see (``matcher.liaison``)."""

    topic: str

    def __new__(cls, text: str, topic: str) -> "Reason":
        reason = super().__new__(cls, text)
        reason.topic = topic
        return reason

    def __reduce__(self):
        return Reason, (str(self), self.topic)


def _n(value: float) -> int:
    return int(round(float(value)))


def _commute(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    minutes, limit = _n(f["commute_minutes"]), _n(c["commute_limit"])
    key = "reason_commute_over" if f["commute_over_limit"] > 0 else "reason_commute_within"
    # Whose limit: the citizen's own, or the default when none is on record.
    return both(key if c.get("commute_limit_own", True) else key + "_default", minutes=minutes, limit=limit)


def _wish(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    if not c.get("wish_label"):
        return None if positive else both("reason_wish_none")
    if f["wish_isco_distance"] == 0:
        return _labelled("reason_wish_same", c, "wish_label")
    return _labelled("reason_wish_close" if positive else "reason_wish_far", c, "wish_label")


def _history(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    if not c.get("history_label"):
        return None if positive else both("reason_history_none")
    return _labelled("reason_history_has" if positive else "reason_history_far", c, "history_label")


def _labelled(key: str, c: dict, field: str) -> Sentence:
    """A sentence naming an occupation: the Danish name in Danish, the English one in English."""
    return t(key, "da", label=c[field]), t(key, "en", label=c.get(field + "_en") or c[field])


def _skills(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    overlap = _n(f["skill_overlap"])
    asked = max(_n(c.get("asked_skills", overlap)), overlap)
    if overlap == 0:
        return None if positive or asked == 0 else both("reason_skills_none", asked=asked)
    shared = c.get("shared_skills", [])
    # Examples only where the skill has a name in the reader's language: no English in Danish.
    da_names = [name for name in (skill_label(s, "da") for s in shared) if name][:2]
    en_names = [skill_label(s, "en") for s in shared][:2]
    da = t("reason_skills_example", "da", overlap=overlap, asked=asked, examples=", ".join(da_names)) if da_names \
        else t("reason_skills", "da", overlap=overlap, asked=asked)
    en = t("reason_skills_example", "en", overlap=overlap, asked=asked, examples=", ".join(en_names)) if en_names \
        else t("reason_skills", "en", overlap=overlap, asked=asked)
    return da, en


def _danish(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    level, required = _n(f["danish_level"]), _n(f["danish_level"] + f["danish_gap"])
    words = {lang: (danish_level_label(level, lang), danish_level_label(required, lang)) for lang in LANGUAGES}
    key = "reason_danish_short" if f["danish_short"] > 0 else "reason_danish_met" if required > 0 else "reason_danish_not_needed"
    da, en = (t(key, lang, level=words[lang][0], required=words[lang][1]) for lang in ("da", "en"))
    return da, en


def _hours(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    hours, most = _n(f["opp_hours"]), _n(f["citizen_max_hours"])
    return both("reason_hours_over" if f["hours_over"] > 0 else "reason_hours_within", hours=hours, most=most)


def _licence(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    if f["licence_missing"] > 0:
        return both("reason_licence_missing")
    return both("reason_licence_has" if f["licence_required"] > 0 else "reason_licence_none")


def _kind(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    readiness = "readiness_aktivitetsparat" if f["activity_ready"] > 0 else "readiness_jobparat"
    key = "reason_kind_fits" if positive else "reason_kind_big"
    da, en = (t(key, lang, kind=kind_label(c["kind"], lang), readiness=t(readiness, lang)) for lang in ("da", "en"))
    return da, en


def _employer(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    known = _n(f["emp_known_referrals"])
    if positive and f["social_agreement"] > 0 and known < 3:
        return both("reason_employer_social")
    if known == 0:
        return None
    rate = float(f["emp_success_rate"])
    da, en = (t("reason_employer_record", lang, rate=percent(rate, lang), known=number(known, lang)) for lang in ("da", "en"))
    return da, en


def _earlier(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    """Only what bears on this offer: earlier referrals of the same kind, or to the same employer.
    The citizen's record as a whole says nothing about this offer and is left out."""
    n, ok = _n(f["cit_prev_same_kind"]), _n(f["cit_prev_same_kind_successes"])
    if n > 0:
        key = "reason_earlier_kind_success" if positive and ok > 0 else "reason_earlier_kind_failed"
        da, en = (t(key, lang, ok=ok, n=n, kind=kind_label(c["kind"], lang)) for lang in ("da", "en"))
        return da, en
    same_employer = _n(f["cit_prev_same_employer"])
    if same_employer > 0:
        return both("reason_earlier_employer", n=same_employer)
    return None


WRITERS: dict[str, Callable[[pd.Series, dict, bool], Sentence | None]] = {
    "commute": _commute, "wish": _wish, "history": _history, "skills": _skills, "danish": _danish,
    "hours": _hours, "licence": _licence, "kind": _kind, "employer": _employer, "earlier": _earlier,
}


def topic_contributions(contributions: np.ndarray, features: list[str]) -> pd.DataFrame:
    """Contributions summed per topic: one row a pair, one column a topic (bias dropped)."""
    membership = np.array([[f in cols for cols in TOPICS.values()] for f in features], dtype=float)
    return pd.DataFrame(np.asarray(contributions)[:, : len(features)] @ membership, columns=list(TOPICS))


def explain(values: pd.Series, topics: pd.Series, context: dict) -> tuple[list[str], list[str]]:
    """3-4 reasons (Danish, English) for one pair.

    ``values``: the pair's feature values; ``topics``: its contributions per topic; ``context``:
    ``kind``, ``commute_limit`` (and ``commute_limit_own``: the citizen's own, not the default),
    ``wish_label``/``history_label`` (Danish; ``*_en`` English), ``shared_skills`` (ESCO's English
    skill labels) and ``asked_skills`` (how many the opportunity asks for).
    """
    ranked = topics.sort_values(ascending=False)

    def write(topic: str, positive: bool) -> Sentence | None:
        sentence = WRITERS[topic](values, context, positive)
        return None if sentence is None else (Reason(sentence[0], topic), Reason(sentence[1], topic))

    chosen: list[Sentence] = []
    for topic, weight in ranked.items():
        if weight <= 0 or len(chosen) == MAX_POSITIVE:
            break
        sentence = write(topic, True)
        if sentence:
            chosen.append(sentence)
    top = max(float(ranked.iloc[0]), 0.0)
    worst_topic, worst = ranked.index[-1], float(ranked.iloc[-1])
    negative = write(worst_topic, False) if worst < 0 and -worst >= STRONG_NEGATIVE_SHARE * top else None
    # Too few positive topics: the next ones by weight, worded for their sign, fill the list.
    for topic, weight in ranked.items():
        if len(chosen) >= MIN_REASONS - (negative is not None):
            break
        sentence = write(topic, weight > 0)
        if sentence and sentence not in chosen and sentence != negative:
            chosen.append(sentence)
    if negative:
        chosen.append(negative)
    return [da for da, _ in chosen], [en for _, en in chosen]
