"""End to end in a real headless Chromium (Debian's, installed by scripts/browser.sh): start the
app, sign in as a caseworker, open a citizen, propose the top suggestion, find the referral."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from matcher.auth import create_user
from matcher.caseload import app_date, caseload
from matcher.db import Referral, session_scope
from tests.app_helpers import copy_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HOME = Path(__file__).resolve().parents[2] / "app" / "Home.py"
PASSWORD = "browser test password"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium: run scripts/browser.sh"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env: dict, port: int) -> subprocess.Popen:
    """`streamlit run app/Home.py` on localhost; returns once it answers its health check."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(HOME), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"streamlit did not start: {proc.stdout.read().decode(errors='replace')[-2000:]}")


@pytest.fixture
def app_server(small_db_url, champion_mlflow_dir, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    on = app_date(engine)
    from tests.test_app_caseworker import two_caseworkers

    mine, _ = two_caseworkers(engine)
    create_user(engine, "anne", PASSWORD, "caseworker", mine)
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
