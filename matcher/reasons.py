"""Plain-language reasons for a suggestion, in Danish and English, from the model's own contributions.

LightGBM's per-feature contributions (``pred_contrib``) are summed per *topic* (commute, job
wish, experience, skills, Danish, hours, licence, kind, employer, earlier referrals). The topics
that pushed the score up most become sentences with the actual values; a topic that pulled it
down strongly adds one more. So a reason always says what the model used, in words a citizen
understands.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from matcher.contract import BARRIERS, KINDS, KINDS_DA

KINDS_EN = {k: k.replace("_", " ") for k in KINDS}

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
    if f["commute_over_limit"] > 0:
        return (f"{minutes} minutters transport, over grænsen på {limit}", f"{minutes} minutes' travel, over the limit of {limit}")
    return (f"{minutes} minutters transport (din grænse {limit})", f"{minutes} minutes' travel (your limit {limit})")


def _wish(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    if not c.get("wish_label"):
        return ("intet registreret jobønske at sammenligne med", "no job wish on record to compare with") if not positive else None
    label = c["wish_label"]
    if f["wish_isco_distance"] == 0:
        return (f"matcher jobønsket '{label}'", f"matches the job wish '{label}'")
    if positive:
        return (f"ligner jobønsket '{label}'", f"is close to the job wish '{label}'")
    return (f"ligger et stykke fra jobønsket '{label}'", f"is some way from the job wish '{label}'")


def _history(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    if not c.get("history_label"):
        return ("ingen erfaring i faget endnu", "no experience in the trade yet") if not positive else None
    label = c["history_label"]
    if positive:
        return (f"har arbejdet som {label}", f"has worked as {label}")
    return (f"erfaringen som {label} ligger langt fra", f"the experience as {label} is far from it")


def _skills(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    overlap = _n(f["skill_overlap"])
    if overlap == 0:
        return ("ingen af de efterspurgte færdigheder er vist endnu", "none of the skills asked for shown yet") if not positive else None
    shown = ", ".join(c.get("shared_skills", [])[:2])
    example_da = f" (fx {shown})" if shown else ""
    example_en = f" (e.g. {shown})" if shown else ""
    return (f"har {overlap} af de efterspurgte færdigheder{example_da}", f"has {overlap} of the skills asked for{example_en}")


def _danish(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    level, required = _n(f["danish_level"]), _n(f["danish_level"] + f["danish_gap"])
    if f["danish_short"] > 0:
        return (f"kræver dansk niveau {required} (har {level})", f"needs Danish level {required} (has {level})")
    return (f"dansk niveau {level} opfylder kravet {required}", f"Danish level {level} meets the requirement {required}")


def _hours(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    hours, most = _n(f["opp_hours"]), _n(f["citizen_max_hours"])
    if f["hours_over"] > 0:
        return (f"{hours} timer om ugen, over maksimum på {most}", f"{hours} hours a week, over the maximum of {most}")
    return (f"{hours} timer om ugen (højst {most})", f"{hours} hours a week (at most {most})")


def _licence(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    if f["licence_missing"] > 0:
        return ("kræver kørekort", "requires a driving licence")
    if f["licence_required"] > 0:
        return ("kræver kørekort, som borgeren har", "requires a driving licence, which the citizen has")
    return ("kræver ikke kørekort", "no driving licence needed")


def _kind(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    kind = c["kind"]
    ready_da = "aktivitetsparat" if f["activity_ready"] > 0 else "jobparat"
    ready_en = "activity-ready" if f["activity_ready"] > 0 else "job-ready"
    if positive:
        return (f"{KINDS_DA[kind]} passer som næste skridt ({ready_da})", f"a {KINDS_EN[kind]} suits as the next step ({ready_en})")
    return (f"{KINDS_DA[kind]} kan være et stort skridt nu ({ready_da})", f"a {KINDS_EN[kind]} may be a big step now ({ready_en})")


def _employer(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    rate = int(round(100 * float(f["emp_success_rate"])))
    known = _n(f["emp_known_referrals"])
    if positive and f["social_agreement"] > 0 and known < 3:
        return ("arbejdsgiveren har en social aftale med kommunen", "the employer has a social agreement with the municipality")
    if known == 0:
        return None
    return (
        f"{rate} % af de tidligere henviste her gennemførte ({known} forløb)",
        f"{rate} % of those referred here before succeeded ({known} referrals)",
    )


def _earlier(f: pd.Series, c: dict, positive: bool) -> Sentence | None:
    n, ok = _n(f["cit_prev_outcomes"]), _n(f["cit_prev_successes"])
    if n == 0:
        return None
    if positive and ok > 0:
        return (f"har gennemført {ok} af {n} tidligere forløb", f"completed {ok} of {n} earlier referrals")
    return (f"{ok} af {n} tidligere forløb lykkedes", f"{ok} of {n} earlier referrals succeeded")


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
    ``kind``, ``commute_limit``, ``wish_label``, ``history_label``, ``shared_skills``.
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
