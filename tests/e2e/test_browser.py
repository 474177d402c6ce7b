"""End to end in a real headless Chromium (Debian's, installed by scripts/browser.sh): start the
app, sign in as a caseworker, open a citizen, propose the top suggestion, find the referral."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from matcher.app_server import CHROMIUM, CHROMIUM_ARGS, free_port, start_app
from matcher.auth import operator
from matcher.users import create_user, demo_accounts
from matcher.caseload import app_date, caseload
from matcher.db import Referral, session_scope
from tests.app_helpers import copy_database

PASSWORD = "browser test password"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium: run scripts/browser.sh"),
]


@pytest.fixture
def app_server(small_db_url, champion_mlflow_dir, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    on = app_date(engine)
    mine = demo_accounts(engine)[0][2]  # the caseworker with the most citizens
    create_user(engine, operator(), "anne", PASSWORD, "caseworker", mine)
    env = {
        **os.environ,
        "MATCHER_DB_URL": str(engine.url),
        "MATCHER_MLFLOW_TRACKING_URI": f"sqlite:///{champion_mlflow_dir / 'mlflow.db'}",
        "MATCHER_MLFLOW_ARTIFACT_ROOT": str(champion_mlflow_dir / "artifacts"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    port = free_port()
    proc = start_app(env, port)
    try:
        yield f"http://127.0.0.1:{port}", engine, caseload(engine, mine, on)["citizen_id"].iloc[0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_caseworker_proposes_the_top_suggestion(app_server):
    from playwright.sync_api import expect, sync_playwright

    url, engine, citizen = app_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.get_by_label("Brugernavn").fill("anne")
        page.get_by_label("Adgangskode").fill(PASSWORD)
        page.get_by_role("button", name="Log ind").click()
        expect(page.get_by_role("heading", name="Min sagsstamme")).to_be_visible()
        # The caseload page's picker starts at the first citizen of the caseload.
        page.get_by_role("button", name="Åbn", exact=True).click()
        expect(page.get_by_role("heading", name=f"Borger {citizen}")).to_be_visible()
        page.get_by_role("button", name="Foreslå").first.click()
        expect(page.get_by_text("(afventer)")).to_be_visible()
        page.get_by_role("button", name="Log ud").click()
        expect(page.get_by_role("button", name="Log ind")).to_be_visible()
        browser.close()
    with session_scope(engine) as s:
        made = s.scalars(select(Referral).where(Referral.source == "app")).all()
    assert [(r.citizen_id, r.outcome) for r in made] == [(citizen, "pending")]
