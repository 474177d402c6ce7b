"""AppTest on the small world with a trained champion: the caseworker's caseload and citizen page,
the restriction to the own caseload, and a proposal writing exactly one referral and one entry."""
from __future__ import annotations

import json

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
    # The map is drawn on request: the shipped base map, home and the suggestions, labelled.
    assert len(at.get("deck_gl_json_chart")) == 0
    at.toggle(key="show_map").set_value(True).run()
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.json)
    assert [layer["@@type"] for layer in spec["layers"]] == ["GeoJsonLayer", "TextLayer", "ScatterplotLayer", "TextLayer"]
    assert spec.get("mapStyle") is None  # no tile server
    names = {f["properties"]["name"] for f in spec["layers"][0]["data"]["features"]}
    assert {"Indre By", "Amager Vest", "Frederiksberg", "Hvidovre"} <= names
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
    button = next(b for b in at.button if b.key and b.key.startswith("propose_") and b.label == "Foreslå")
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
    # The result shows at the card, which stays (marked, without its button); the history shows it pending.
    assert any("Foreslået: henvisning" in m and "afventer" in m for m in texts(at.success))
    assert f"propose_{opportunity}" not in [b.key for b in at.button]
    # The outcome form chooses nothing for the caseworker: saving without a choice is refused.
    assert at.selectbox(key="outcome_value").value is None
    at.button[[b.label for b in at.button].index("Gem resultat")].click().run()
    assert "Vælg et resultat, før du gemmer." in texts(at.error)
    # A chosen outcome is asked about first, then saved on confirmation.
    at.selectbox(key="outcome_value").select("completed")
    at.button[[b.label for b in at.button].index("Gem resultat")].click().run()
    assert not at.exception, at.exception
    assert any("Registrér »gennemført«" in w or "Registrér »" in w for w in texts(at.warning))
    assert count(app_db, AuditLog, action=audit.RECORD_OUTCOME) == 0
    at.button(key="confirm_outcome_yes").click().run()
    assert not at.exception, at.exception
    assert "Resultatet er gemt." in texts(at.success)
    with session_scope(app_db) as s:
        r = s.get(Referral, made[0].referral_id)
        assert (r.outcome, r.outcome_source) == ("completed", "app")
    assert count(app_db, AuditLog, action=audit.RECORD_OUTCOME) == 1


def test_proposing_against_a_flag_needs_a_confirmation_and_a_reason(app_db):
    """A suggestion marked "ikke muligt nu" is proposed only after a confirmation with a short
    reason, which is stored on the referral and in the audit entry."""
    mine, _ = two_caseworkers(app_db)
    at = signed_in(app_db, "anne", "caseworker", mine)
    for citizen in caseload(app_db, mine, app_date(app_db))["citizen_id"]:
        at.session_state["citizen_id"] = citizen
        at.query_params["citizen"] = citizen
        at.switch_page("pages/citizen.py").run()
        flagged = [b for b in at.button if b.key and b.key.startswith("propose_") and b.label == "Foreslå alligevel …"]
        if flagged:
            break
    else:
        pytest.skip("no flagged suggestion in this caseload")
    opportunity = flagged[0].key.removeprefix("propose_")
    flagged[0].click().run()
    assert count(app_db, Referral, source="app") == 0  # asked, not proposed
    assert any("Vil du foreslå det alligevel?" in w for w in texts(at.warning))
    confirm = next(b for b in at.button if b.label == "Bekræft forslag")
    confirm.click().run()
    assert "Skriv en kort begrundelse for at foreslå det alligevel." in texts(at.error)
    assert count(app_db, Referral, source="app") == 0
    at.text_input(key=f"reason_{opportunity}").input("Borgeren vil selv gerne prøve flere timer")
    next(b for b in at.button if b.label == "Bekræft forslag").click().run()
    assert not at.exception, at.exception
    with session_scope(app_db) as s:
        made = s.scalars(select(Referral).where(Referral.source == "app")).all()
    assert [(r.opportunity_id, r.override_reason) for r in made] == [
        (opportunity, "Borgeren vil selv gerne prøve flere timer")
    ]
    entry = audit.read(app_db, action=audit.PROPOSE)
    assert list(entry["detail"].map(lambda d: d["reason"])) == ["Borgeren vil selv gerne prøve flere timer"]


def test_a_result_belongs_to_its_citizen(app_db):
    """The note of a proposal shows on that citizen's page and is gone on the next citizen's."""
    mine, _ = two_caseworkers(app_db)
    first, second = caseload(app_db, mine, app_date(app_db))["citizen_id"].iloc[:2]
    at = signed_in(app_db, "anne", "caseworker", mine)
    at.query_params["citizen"] = first
    at.switch_page("pages/citizen.py").run()
    next(b for b in at.button if b.key and b.key.startswith("propose_") and b.label == "Foreslå").click().run()
    assert any("Foreslået: henvisning" in m for m in texts(at.success))
    at.query_params["citizen"] = second
    at.session_state["citizen_id"] = second
    at.run()
    assert not at.exception, at.exception
    assert [h.value for h in at.subheader][0].endswith(second)
    assert not any("Foreslået: henvisning" in m for m in texts(at.success))
