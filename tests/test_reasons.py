"""Reasons a caseworker reads without thinking: whose limit, how many of how many, the Danish scale
in words, Danish skill names, and only what bears on this offer."""
from __future__ import annotations

import pandas as pd
import pytest

from matcher.features.build import FEATURES
from matcher.i18n import TEXTS
from matcher.reasons import TOPICS, WRITERS, explain
from matcher.taxonomy import skill_label

BASE = dict.fromkeys(FEATURES, 0.0)
CONTEXT = {"kind": "company_placement", "commute_limit": 60, "commute_limit_own": True,
           "wish_label": "lagerarbejder", "wish_label_en": "warehouse worker",
           "history_label": "", "shared_skills": [], "asked_skills": 8}


def write(topic: str, positive: bool = True, context: dict | None = None, **values):
    return WRITERS[topic](pd.Series({**BASE, **values}), {**CONTEXT, **(context or {})}, positive)


def test_commute_says_whose_limit():
    da, en = write("commute", commute_minutes=32.4)
    assert da == "32 min. transport, inden for borgerens grænse på 60 min."
    assert en == "32 min travel, within the citizen's limit of 60 min"
    da, _ = write("commute", commute_minutes=75, commute_over_limit=1)
    assert da == "75 min. transport, over borgerens grænse på 60 min."
    # No limit on record: the default is named as such, never as the citizen's.
    da, _ = write("commute", context={"commute_limit_own": False}, commute_minutes=40)
    assert "standardgrænsen på 60 min." in da and "borgerens grænse" not in da


def test_skills_say_how_many_of_how_many_in_danish():
    shared = ["lift heavy weights", "communicate with customers", "no such skill anywhere"]
    da, en = write("skills", context={"shared_skills": shared, "asked_skills": 8}, skill_overlap=5)
    assert da == "borgeren har 5 af 8 efterspurgte færdigheder, fx løfte tunge ting, kommunikere med kunder"
    assert en == "the citizen has 5 of 8 skills asked for, e.g. lift heavy weights, communicate with customers"
    # A skill with no Danish name is not shown in Danish (no English inside a Danish sentence).
    da, _ = write("skills", context={"shared_skills": ["no such skill anywhere"]}, skill_overlap=1)
    assert da == "borgeren har 1 af 8 efterspurgte færdigheder"
    assert write("skills", skill_overlap=0) is None
    assert write("skills", positive=False, skill_overlap=0)[0] == "borgeren har endnu ikke vist nogen af de 8 efterspurgte færdigheder"


@pytest.mark.parametrize(
    "level, gap, short, expected",
    [
        (3, -1, 0, "borgerens dansk (god) dækker kravet (middel)"),
        (1, 2, 2, "kræver dansk på niveauet god, borgerens dansk er begynder"),
        (0, 0, 0, "stiller ingen krav til dansk (borgerens dansk: ingen)"),
        (4, -4, 0, "stiller ingen krav til dansk (borgerens dansk: flydende)"),
    ],
)
def test_danish_is_said_in_words_of_the_one_scale(level, gap, short, expected):
    da, en = write("danish", danish_level=level, danish_gap=gap, danish_short=short)
    assert da == expected
    assert not any(ch.isdigit() for ch in da + en)


def test_hours_and_kind_read_plainly():
    assert write("hours", opp_hours=37, citizen_max_hours=15, hours_over=1)[0] == "37 timer om ugen, over borgerens maksimum på 15"
    assert write("kind", activity_ready=1)[0] == "virksomhedspraktik passer som næste skridt for en aktivitetsparat borger"
    assert write("kind", positive=False)[1] == "a company placement may be a big step now for a job-ready citizen"


def test_the_citizens_whole_record_is_not_a_reason_for_this_offer():
    # 26 earlier referrals, none of this kind or with this employer: nothing to say about this offer.
    assert write("earlier", positive=False, cit_prev_outcomes=26, cit_prev_successes=0) is None
    da, _ = write("earlier", positive=False, cit_prev_outcomes=26, cit_prev_same_kind=3)
    assert da == "0 af borgerens 3 tidligere forløb af typen virksomhedspraktik lykkedes"
    da, _ = write("earlier", cit_prev_same_kind=3, cit_prev_same_kind_successes=2)
    assert da == "borgeren har gennemført 2 af 3 tidligere forløb af typen virksomhedspraktik"
    assert write("earlier", cit_prev_same_employer=2)[0] == "borgeren har været henvist til denne arbejdsgiver før (2 forløb)"


def test_employer_record_uses_danish_percent():
    da, en = write("employer", emp_known_referrals=1300, emp_success_rate=0.62)
    assert da == "62 % af dem, der tidligere er henvist hertil, gennemførte (1.300 forløb)"
    assert en == "62% of those referred here before succeeded (1,300 referrals)"


def test_occupation_names_follow_the_language():
    da, en = write("wish", wish_isco_distance=0)
    assert (da, en) == ("matcher borgerens jobønske: lagerarbejder", "matches the citizen's job wish: warehouse worker")


def test_explain_orders_topics_and_every_sentence_comes_from_the_table():
    values = pd.Series({**BASE, "commute_minutes": 20, "opp_hours": 30, "citizen_max_hours": 37, "skill_overlap": 2,
                        "danish_level": 2, "danish_gap": -1})
    topics = pd.Series(0.0, index=list(TOPICS)).add(pd.Series({"commute": 0.9, "hours": 0.5, "skills": 0.3, "danish": -0.8}), fill_value=0)
    da, en = explain(values, topics, CONTEXT)
    assert [r.topic for r in da] == ["commute", "hours", "skills", "danish"]
    assert da[0].startswith("20 min. transport") and len(da) == len(en)
    danish_texts = {v[0].split("{")[0] for k, v in TEXTS.items() if k.startswith("reason_")}
    assert all(any(r.startswith(p) for p in danish_texts) for r in da)


def test_skill_label_lookup_is_case_blind():
    assert skill_label("Lift Heavy Weights") == "løfte tunge ting"
    assert skill_label("lift heavy weights", "en") == "lift heavy weights"
    assert skill_label("unknown skill") is None and skill_label("unknown skill", "en") == "unknown skill"
