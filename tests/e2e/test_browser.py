"""End to end in a real headless Chromium (Debian's, installed by scripts/browser.sh): a
caseworker's day and a liaison's day on the small world.

The caseworker follows a link to a citizen before signing in and lands there after it; a reload
and a new tab keep her signed in (the signed session cookie) and on the same citizen; she
proposes the top suggestion and reads the result next to its card, records an outcome (asked
first), finds no English on the Danish pages and switches to English. The liaison ticks a
candidate, finds the tick still there after a reload (the shortlist is stored), proposes, and
sees the opening's free places drop and the candidate gone.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from matcher.app_server import CHROMIUM, CHROMIUM_ARGS, free_port, start_app
from matcher.auth import operator
from matcher.caseload import app_date, caseload
from matcher.db import Caseworker, Referral, session_scope
from matcher.liaison import openings
from matcher.users import create_user, demo_accounts
from tests.app_helpers import copy_database
from tests.danish_check import english_in

PASSWORD = "browser test password"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium: run scripts/browser.sh"),
]


@pytest.fixture(scope="module")
def app_server(small_db_url, champion_mlflow_dir, tmp_path_factory):
    engine = copy_database(small_db_url, tmp_path_factory.mktemp("e2e"))
    mine = demo_accounts(engine)[0][2]  # the caseworker with the most citizens
    create_user(engine, operator(), "anne", PASSWORD, "caseworker", mine)
    with session_scope(engine) as s:
        liaison = s.scalars(select(Caseworker.caseworker_id).where(Caseworker.role == "employer_liaison")).first()
    create_user(engine, operator(), "lis", PASSWORD, "employer_liaison", liaison)
    env = {
        **os.environ,
        "MATCHER_DB_URL": str(engine.url),
        "MATCHER_MLFLOW_TRACKING_URI": f"sqlite:///{champion_mlflow_dir / 'mlflow.db'}",
        "MATCHER_MLFLOW_ARTIFACT_ROOT": str(champion_mlflow_dir / "artifacts"),
        "MATCHER_AUTH__COOKIE_SECRET": "e2e cookie secret",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    port = free_port()
    proc = start_app(env, port)
    try:
        yield f"http://127.0.0.1:{port}", engine, mine
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=90_000)  # the first page loads the model on a busy machine
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(page, username: str) -> None:
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def idle(page) -> None:
    """Wait until the app has finished its run (Streamlit's status widget gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)


def page_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text() + "\n" + page.get_by_test_id("stSidebar").inner_text()


def test_a_caseworkers_day(app_server, browser):
    from playwright.sync_api import expect

    url, engine, mine = app_server
    citizen = caseload(engine, mine, app_date(engine))["citizen_id"].iloc[1]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(90_000)
    # A link to a citizen, opened before signing in: sign-in leads there.
    page.goto(f"{url}/citizen?citizen={citizen}")
    sign_in(page, "anne")
    expect(page.get_by_role("heading", name=f"Borger {citizen}")).to_be_visible()
    assert f"citizen={citizen}" in page.url
    assert any(c["name"] == "matcher_session" for c in context.cookies())
    # A reload and a new tab keep her signed in, on the same citizen.
    page.reload()
    expect(page.get_by_role("heading", name=f"Borger {citizen}")).to_be_visible()
    other = context.new_page()
    other.goto(f"{url}/caseload")
    expect(other.get_by_role("heading", name="Min sagsstamme")).to_be_visible()
    other.close()

    # Propose the first suggestion that needs no confirmation; the result shows at its card.
    button = page.get_by_role("button", name="Foreslå", exact=True).first
    expect(button).to_be_visible()
    keyed = page.locator("[class*='st-key-propose_']").filter(has=page.get_by_role("button", name="Foreslå", exact=True)).first
    opportunity = next(c for c in keyed.get_attribute("class").split() if c.startswith("st-key-propose_")).removeprefix("st-key-propose_")
    button.click()
    # In the same card, which stays where it was (marked, without its button).
    expect(page.locator(f".st-key-card_{opportunity}").get_by_text("Foreslået: henvisning")).to_be_visible()
    idle(page)
    with session_scope(engine) as s:
        made = s.scalars(select(Referral).where(Referral.source == "app", Referral.citizen_id == citizen)).all()
    assert [(r.opportunity_id, r.outcome) for r in made] == [(opportunity, "pending")]

    # Record its outcome: nothing chosen beforehand, asked before saving.
    page.get_by_test_id("stSelectbox").filter(has_text="Resultat").click()
    page.get_by_role("option", name="gennemført").click()
    page.get_by_role("button", name="Gem resultat").click()
    expect(page.get_by_text("Registrér »gennemført«")).to_be_visible()
    page.get_by_role("button", name="Bekræft", exact=True).click()
    expect(page.get_by_text("Resultatet er gemt.")).to_be_visible()
    idle(page)
    with session_scope(engine) as s:
        assert s.get(Referral, made[0].referral_id).outcome == "completed"

    # The map, on request: a canvas drawn from the shipped base map.
    page.get_by_text("Vis kort over hjem og forslag").click()
    expect(page.locator("canvas").first).to_be_attached()
    idle(page)
    # No English on the Danish pages.
    assert english_in([page_text(page)]) == []
    page.get_by_role("link", name="Min sagsstamme").click()
    expect(page.get_by_role("heading", name="Min sagsstamme")).to_be_visible()
    idle(page)
    assert english_in([page_text(page)]) == []
    # ... and English when asked for.
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    context.close()


def test_a_liaisons_day(app_server, browser):
    from playwright.sync_api import expect

    url, engine, _ = app_server
    on = app_date(engine)
    opps = openings(engine, on)
    opp = opps[opps["free_capacity"] >= 2].iloc[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    sign_in(page, "lis")
    expect(page.get_by_role("heading", name="Kandidater til en virksomheds opslag")).to_be_visible()
    idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Virksomhed").click()
    page.get_by_role("option", name=opp["employer"]).first.click()
    idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Opslag").click()
    page.get_by_role("option", name=opp["title"]).first.click()
    idle(page)
    free = page.get_by_test_id("stMetric").filter(has_text="Ledige pladser").get_by_test_id("stMetricValue")
    expect(free).to_have_text(str(opp["free_capacity"]))
    box = page.get_by_role("checkbox", name="Kortliste").first
    box.check(force=True)
    idle(page)
    # The shortlist is stored: a reload finds the tick again.
    page.reload()
    idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Virksomhed").click()
    page.get_by_role("option", name=opp["employer"]).first.click()
    idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Opslag").click()
    page.get_by_role("option", name=opp["title"]).first.click()
    idle(page)
    expect(page.get_by_role("checkbox", name="Kortliste").first).to_be_checked()
    reason = page.get_by_label("Kort begrundelse")
    if reason.count():
        reason.fill("Virksomheden vil gerne møde kandidaten")
        reason.press("Enter")
        idle(page)
    page.get_by_role("button", name="Foreslå kortlisten").click()
    expect(page.get_by_text("1 henvisning(er) registreret.")).to_be_visible()
    idle(page)
    expect(free).to_have_text(str(opp["free_capacity"] - 1))
    assert english_in([page_text(page)]) == []
    with session_scope(engine) as s:
        made = s.scalars(select(Referral).where(Referral.source == "app", Referral.opportunity_id == opp["opportunity_id"])).all()
    assert len(made) == 1 and made[0].outcome == "pending"
    context.close()
