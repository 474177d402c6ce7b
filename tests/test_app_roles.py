"""AppTest for the liaison, data scientist, overview and admin pages on the small world."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from matcher import audit
from matcher.access import LIAISON_FIELDS
from matcher.caseload import app_date
from matcher.db import Caseworker, Citizen, Referral, session_scope
from matcher import shortlist as shortlists
from matcher.liaison import openings
from tests.app_helpers import copy_database, signed_in, texts, use_database


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    return engine


def liaison_id(engine) -> str:
    with session_scope(engine) as s:
        return s.scalars(select(Caseworker.caseworker_id).where(Caseworker.role == "employer_liaison")).first()


def consent_of(engine) -> dict[str, bool]:
    with session_scope(engine) as s:
        return dict(s.execute(select(Citizen.citizen_id, Citizen.candidate_search_consent)).all())


def test_liaison_sees_only_consenting_candidates_and_proposes_a_shortlist(app_db):
    at = signed_in(app_db, "lis", "employer_liaison", liaison_id(app_db))
    on = app_date(app_db)
    opps = openings(app_db, on)
    opp = opps[opps["free_capacity"] > 0].iloc[0]
    at.selectbox(key="employer_pick").select(opp["employer_id"]).run()
    at.selectbox(key="opening_pick").select(opp["opportunity_id"]).run()
    assert not at.exception, at.exception
    boxes = [c for c in at.checkbox if c.key.startswith(f"short_{opp['opportunity_id']}_")]
    assert boxes, "no candidates shown"
    shown = [c.key.rsplit("_", 1)[1] for c in boxes]
    consent = consent_of(app_db)
    assert all(consent[c] for c in shown)
    assert not all(consent.values()), "the small world should have non-consenting citizens"
    # Nothing private on the page: no barrier labels, no notes.
    page = " ".join(texts(at.markdown) + texts(at.caption))
    for private in ("Barrierer", "Noter", "psykisk helbred", "misbrug", "gæld"):
        assert private not in page
    assert at.metric[0].value == str(opp["free_capacity"])
    # Every candidate list shown is audited: the first employer's first opening (shown on arrival),
    # the picked employer's first opening, then the chosen one; each may be the one before.
    viewed = audit.read(app_db, action=audit.VIEW_CANDIDATES)["opportunity_id"].tolist()
    assert opp["opportunity_id"] in viewed and 1 <= len(viewed) <= 3 and len(set(viewed)) == len(viewed)
    boxes[0].check().run()
    # The shortlist is stored, not kept in the browser: a new session of the same user sees it.
    assert shortlists.of(app_db, at.session_state["user"], opp["opportunity_id"]) == [shown[0]]
    if any("ikke muligt nu" in w for w in texts(at.warning)):
        at.text_input(key=f"reason_{opp['opportunity_id']}").input("Virksomheden vil gerne møde kandidaten")
    at.button(key="propose_shortlist").click().run()
    assert not at.exception, at.exception
    # The page reflects the database after the proposal: one free place fewer, the shortlist
    # emptied, the candidate no longer offered, and the result shown by the button.
    assert at.metric[0].value == str(opp["free_capacity"] - 1)
    assert shortlists.of(app_db, at.session_state["user"], opp["opportunity_id"]) == []
    assert f"short_{opp['opportunity_id']}_{shown[0]}" not in [c.key for c in at.checkbox]
    assert "1 henvisning(er) registreret." in texts(at.success)
    with session_scope(app_db) as s:
        made = s.scalars(select(Referral).where(Referral.source == "app")).all()
    assert [(r.citizen_id, r.opportunity_id, r.caseworker_id) for r in made] == [
        (shown[0], opp["opportunity_id"], liaison_id(app_db))
    ]
    assert len(audit.read(app_db, action=audit.PROPOSE)) == 1
    assert set(LIAISON_FIELDS).isdisjoint({"barriers", "notes", "gender", "origin"})


def test_a_full_opening_offers_no_shortlist_and_no_proposal(app_db):
    on = app_date(app_db)
    opps = openings(app_db, on)
    full = opps[opps["free_capacity"] <= 0]
    if full.empty:
        pytest.skip("no full opening in the small world")
    opp = full.iloc[0]
    at = signed_in(app_db, "lis", "employer_liaison", liaison_id(app_db))
    at.selectbox(key="employer_pick").select(opp["employer_id"]).run()
    at.selectbox(key="opening_pick").select(opp["opportunity_id"]).run()
    assert not at.exception, at.exception
    assert not [c for c in at.checkbox if c.key.startswith("short_")]
    assert "propose_shortlist" not in [b.key for b in at.button]


def test_data_scientist_sees_versions_champion_and_importance(app_db):
    at = signed_in(app_db, "dora", "data_scientist")
    assert not at.exception, at.exception
    assert at.metric[0].value == "1"
    versions = at.dataframe[0].value
    assert list(versions["Version"]) == [1] and versions["Aktuel"].iloc[0] == "ja"
    assert "Betydning af variable" in texts(at.subheader)
    assert at.button(key="retrain") is not None
    # Nothing is chosen to promote; with one version there is nothing to roll back to.
    assert at.selectbox(key="promote_version").value is None
    assert at.button(key="promote").disabled and at.button(key="rollback").disabled
    # No citizen data on this page.
    assert "Borger-id" not in versions.columns and "citizen_id" not in versions.columns


def test_overview_shows_tingbjerg_targets_and_kinds(app_db):
    at = signed_in(app_db, "dora", "data_scientist")
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    districts = at.dataframe[0].value
    assert "Tingbjerg" in list(districts.iloc[:, 0])
    assert [m.label for m in at.metric] == [
        "Andel med aktivt tilbud",
        "I job, uddannelse, praktik eller småjob inden for et år",
        "Til ordinært job eller uddannelse (2 år)",
    ]
    kinds = at.dataframe[1].value
    assert "virksomhedspraktik" in list(kinds.iloc[:, 0])


def test_admin_creates_a_user_and_reads_the_audit_log(app_db):
    at = signed_in(app_db, "root", "admin")
    at.text_input(key="new_username").input("ny")
    at.text_input(key="new_password").input("a fresh password")
    at.selectbox(key="new_role").select("data_scientist")
    at.button[[b.label for b in at.button].index("Opret bruger")].click().run()
    assert not at.exception, at.exception
    users = at.dataframe[0].value
    assert "ny" in list(users["Brugernavn"])
    log = at.dataframe[1].value
    assert isinstance(log, pd.DataFrame) and "bruger ændret" in list(log["Handling"])
    assert "password_hash" not in users.columns and not any("hash" in c.lower() for c in users.columns)


def test_promote_and_rollback_say_what_they_do_and_ask_first(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    """With two versions: promoting asks before it acts and the page shows the new champion at
    once; rolling back names the version it brings back, asks, and does exactly that."""
    import shutil
    import sqlite3

    from matcher import registry

    engine = copy_database(small_db_url, tmp_path)
    store = tmp_path / "mlflow"
    store.mkdir()
    source, copy = sqlite3.connect(champion_mlflow_dir / "mlflow.db"), sqlite3.connect(store / "mlflow.db")
    with copy:
        source.backup(copy)
    source.close(), copy.close()
    shutil.copytree(champion_mlflow_dir / "artifacts", store / "artifacts", dirs_exist_ok=True)
    use_database(monkeypatch, engine, store)
    first = registry.client().get_model_version(registry._model_name(), "1")
    assert registry.register(first.run_id, first.source) == "2"

    at = signed_in(engine, "dora", "data_scientist")
    assert at.metric[0].value == "1"
    at.selectbox(key="promote_version").select("2").run()
    at.button(key="promote").click().run()
    assert registry.champion_version() == "1"  # asked, not done
    assert "Gør version 2 til aktuel model i stedet for version 1?" in texts(at.warning)
    at.button(key="models_confirm_yes").click().run()
    assert not at.exception, at.exception
    assert registry.champion_version() == "2"
    assert at.metric[0].value == "2" and "Version 2 er nu aktuel model." in texts(at.success)
    assert list(at.dataframe[0].value["Aktuel"]) .count("ja") == 1

    at.button(key="rollback").click().run()
    assert "Rul tilbage: version 1 bliver aktuel model i stedet for version 2?" in texts(at.warning)
    at.button(key="models_confirm_yes").click().run()
    assert registry.champion_version() == "1" and at.metric[0].value == "1"
    assert "Rullet tilbage: version 1 er nu aktuel model (før: 2)." in texts(at.success)
    actions = list(audit.read(engine)["action"])
    assert actions.count(audit.PROMOTE) == 1 and actions.count(audit.ROLLBACK) == 1
