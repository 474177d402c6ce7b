"""AppTest on the small world with a trained champion: the caseworker's caseload and citizen page,
the restriction to the own caseload, and a proposal writing exactly one referral and one entry."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher import audit
from matcher.caseload import app_date, caseload
from matcher.db import AuditLog, Caseworker, Citizen, Referral, session_scope
from tests.app_helpers import copy_database, count, signed_in, texts, use_database


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    return engine


def two_caseworkers(engine) -> tuple[str, str]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Citizen.caseworker_id, func.count())
            .join(Caseworker, Caseworker.caseworker_id == Citizen.caseworker_id)
            .where(Caseworker.role == "caseworker")
            .group_by(Citizen.caseworker_id)
            .order_by(func.count().desc())
            .limit(2)
        ).all()
    return rows[0][0], rows[1][0]



def test_caseload_page_lists_own_citizens_and_flags_no_offer(app_db):
    mine, _ = two_caseworkers(app_db)
    at = signed_in(app_db, "anne", "caseworker", mine)
    expected = caseload(app_db, mine, app_date(app_db))
    assert at.metric[0].value == str(len(expected))
    assert at.metric[1].value == str(int((~expected["active_offer"]).sum()))
    table = at.dataframe[0].value
    assert sorted(table.iloc[:, 0]) == sorted(expected["citizen_id"])
    at.text_input(key="caseload_search").input(expected["citizen_id"].iloc[0]).run()
    assert len(at.dataframe[0].value) == 1


def test_open_citizen_shows_profile_suggestions_and_map_and_is_audited(app_db):
    mine, _ = two_caseworkers(app_db)
    at = signed_in(app_db, "anne", "caseworker", mine)
    citizen = caseload(app_db, mine, app_date(app_db))["citizen_id"].iloc[0]
    at.selectbox(key="open_citizen_id").select(citizen)
    at.button(key="open_citizen").click().run()
    assert not at.exception, at.exception
    assert f"Borger {citizen}" in texts(at.subheader)
    assert any(b.key.startswith("propose_") for b in at.button)
    assert len(at.get("deck_gl_json_chart")) == 1  # st.map
    opened = audit.read(app_db, action=audit.OPEN_CITIZEN)
    assert list(opened["citizen_id"]) == [citizen]
    # A rerun of the same page (e.g. a filter change) is not a second opening.
    at.slider(key="filter_commute").set_value(30).run()
    assert len(audit.read(app_db, action=audit.OPEN_CITIZEN)) == 1


def test_another_caseloads_citizen_is_refused(app_db):
    mine, theirs = two_caseworkers(app_db)
    other = caseload(app_db, theirs, app_date(app_db))["citizen_id"].iloc[0]
    at = signed_in(app_db, "anne", "caseworker", mine)
    at.session_state["citizen_id"] = other
    at.switch_page("pages/citizen.py").run()
    assert texts(at.error) == [
        f"Du har ikke adgang til borger {other}: borgeren er ikke i din sagsstamme. Forsøget er logget."
    ]
    assert not at.metric and not any(b.key and b.key.startswith("propose_") for b in at.button)
    assert list(audit.read(app_db)["action"])[:1] == [audit.ACCESS_DENIED]
    assert audit.read(app_db, action=audit.OPEN_CITIZEN).empty


def test_propose_writes_one_referral_and_one_audit_entry(app_db):
    mine, _ = two_caseworkers(app_db)
    citizen = caseload(app_db, mine, app_date(app_db))["citizen_id"].iloc[0]
    at = signed_in(app_db, "anne", "caseworker", mine)
    at.session_state["citizen_id"] = citizen
    at.switch_page("pages/citizen.py").run()
    before = count(app_db, Referral)
    button = next(b for b in at.button if b.key and b.key.startswith("propose_"))
    opportunity = button.key.removeprefix("propose_")
    button.click().run()
    assert not at.exception, at.exception
    assert count(app_db, Referral) == before + 1
    with session_scope(app_db) as s:
        made = s.scalars(select(Referral).where(Referral.source == "app")).all()
    assert [(r.citizen_id, r.opportunity_id, r.outcome, r.caseworker_id) for r in made] == [
        (citizen, opportunity, "pending", mine)
    ]
    assert count(app_db, AuditLog, action=audit.PROPOSE) == 1
    assert any("afventer" in m for m in texts(at.success))
    # The proposed opportunity is no longer offered; the history shows it pending.
    assert f"propose_{opportunity}" not in [b.key for b in at.button]
    # Recording the outcome in the same page updates that referral.
    at.selectbox(key="outcome_value").select("completed")
    at.button[[b.label for b in at.button].index("Gem resultat")].click().run()
    assert not at.exception, at.exception
    with session_scope(app_db) as s:
        r = s.get(Referral, made[0].referral_id)
        assert (r.outcome, r.outcome_source) == ("completed", "app")
    assert count(app_db, AuditLog, action=audit.RECORD_OUTCOME) == 1
