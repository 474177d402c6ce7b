"""The liaison's candidate view: only the reasons a liaison may read (no citizen's record, no
commute limit), a live liaison session, and every view and refusal audited in the library."""
from __future__ import annotations

import pickle

import pytest
from sqlalchemy import select

from matcher import audit
from matcher.access import LIAISON_REASONS, AccessDenied
from matcher.caseload import app_date
from matcher.db import Caseworker, session_scope
from matcher.liaison import candidates_table, liaison_reasons, openings, view_candidates
from matcher.reasons import TOPICS, Reason
from matcher.service import Matcher
from tests.app_helpers import copy_database, live_user

# What the hidden topics write (matcher.reasons): the citizen's earlier referrals, their commute limit.
RECORD = ("tidligere forløb", "earlier referrals", "grænse", "limit")


@pytest.fixture(scope="module")
def revealing(small_matcher, small_engine):
    """An opening on the app's date whose raw candidate reasons speak of the citizens' records."""
    on = app_date(small_engine)
    for opportunity_id in openings(small_engine, on)["opportunity_id"]:
        found = small_matcher.candidates(opportunity_id, k=10, as_of=on)
        if any(any(w in r for w in RECORD) for s in found for r in s.reasons_da + s.reasons_en):
            return opportunity_id, on, found
    pytest.fail("no opening's candidates had reasons from the citizens' records: the test would prove nothing")


def test_reasons_know_their_topic_and_survive_pickling():
    reason = Reason("0 af 8 tidligere forløb lykkedes", "earlier")
    again = pickle.loads(pickle.dumps(reason))
    assert again == "0 af 8 tidligere forløb lykkedes" and again.topic == "earlier"
    assert set(LIAISON_REASONS) < set(TOPICS) and {"earlier", "commute"}.isdisjoint(LIAISON_REASONS)
    assert liaison_reasons([reason, Reason("har arbejdet som kok", "history"), "ikke muligt nu: x"]) == ["har arbejdet som kok"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_liaison_reads_no_record(revealing, small_engine, lang):
    _, _, found = revealing
    table = candidates_table(small_engine, found, lang)
    assert len(table) and table["reasons"].str.len().gt(0).any()
    for text in table["reasons"]:
        assert not any(w in text for w in RECORD), text
    # Every reason kept is one of a topic a liaison may read.
    kept = [r for s in found for r in liaison_reasons(s.reasons_da if lang == "da" else s.reasons_en)]
    assert kept and all(r.topic in LIAISON_REASONS for r in kept)


def test_viewing_candidates_needs_a_live_liaison_and_is_audited(revealing, small_db_url, small_world, trained_ranker, tmp_path):
    opportunity_id, on, _ = revealing
    engine = copy_database(small_db_url, tmp_path)
    with session_scope(engine) as s:
        liaison_id = s.scalars(select(Caseworker.caseworker_id).where(Caseworker.role == "employer_liaison")).first()
    liaison = live_user(engine, "lis", "employer_liaison", liaison_id)
    matcher = Matcher(small_world, trained_ranker, engine)
    table = view_candidates(engine, liaison, matcher, opportunity_id, on, 10, "da")
    entry = audit.read(engine, action=audit.VIEW_CANDIDATES).iloc[0]
    assert entry["opportunity_id"] == opportunity_id and entry["detail"]["citizens"] == table["citizen_id"].tolist()
    scientist = live_user(engine, "dora", "data_scientist")
    with pytest.raises(AccessDenied, match="may not view candidates"):
        view_candidates(engine, scientist, matcher, opportunity_id, on, 10, "da")
    denied = audit.read(engine, action=audit.ACCESS_DENIED).iloc[0]
    assert denied["username"] == "dora" and denied["detail"]["action"] == audit.VIEW_CANDIDATES
