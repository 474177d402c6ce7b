"""Screenshots of every page (docs/<page>.png) in headless Chromium, the e2e test's setup.

    .venv/bin/python scripts/screenshots.py --small            # builds a small world first
    .venv/bin/python scripts/screenshots.py --db sqlite:///worlds/default/matcher.db

``--small`` simulates 600 citizens, imports them and trains a champion in a temporary folder.
Otherwise the given database and the configured MLflow store are used; the script adds one
``screenshot-<role>-<random>`` account per role there (random passwords) and disables them afterwards.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from matcher.access import pages_for  # noqa: E402
from matcher.app_server import CHROMIUM, CHROMIUM_ARGS, free_port, start_app  # noqa: E402
from matcher.auth import SignedIn, operator  # noqa: E402
from matcher.db import make_engine  # noqa: E402
from matcher.i18n import t  # noqa: E402
from matcher.settings import get_settings  # noqa: E402
from matcher.users import create_user, demo_accounts, set_active  # noqa: E402


def small_world(folder: Path) -> str:
    """Simulate, import and train a small world in ``folder``; returns its database URL."""
    from matcher.importer import import_folder
    from matcher.simulate import simulate_world
    from matcher.training import train_and_register

    os.environ["MATCHER_MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    os.environ["MATCHER_MLFLOW_ARTIFACT_ROOT"] = str(folder / "artifacts")
    get_settings.cache_clear()
    simulate_world(folder / "world", n_citizens=600, seed=7)
    url = f"sqlite:///{folder / 'small.db'}"
    engine = make_engine(url)
    import_folder(folder / "world", engine)
    print(train_and_register(engine).describe())
    return url


def shoot(url: str, out: Path) -> list[Path]:
    """Sign in as each role, visit its pages and save one PNG per page."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=180_000)  # the first citizen page waits for the model on a busy machine

    engine = make_engine(url)
    accounts = {role: staff for _, role, staff in demo_accounts(engine)}
    env = {**os.environ, "MATCHER_DB_URL": url}
    port = free_port()
    proc = start_app(env, port)
    saved: list[Path] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for role, staff in accounts.items():
                # A new account each run: an existing username is never replaced.
                username, password = f"screenshot-{role}-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
                create_user(engine, operator(), username, password, role, staff)
                page = browser.new_page(viewport={"width": 1400, "height": 2400})
                page.set_default_timeout(90_000)
                page.goto(f"http://127.0.0.1:{port}")
                if role == "caseworker":
                    page.wait_for_timeout(1500)
                    saved.append(out / "sign_in.png")
                    page.screenshot(path=saved[-1], full_page=True)
                page.get_by_label(t("username")).fill(username)
                page.get_by_label(t("password")).fill(password)
                page.get_by_role("button", name=t("sign_in")).click()
                for name in pages_for(SignedIn(username, role, staff)):
                    if name == "citizen":
                        page.get_by_role("link", name=t("nav_caseload")).click()
                        page.get_by_role("button", name=t("open"), exact=True).click()
                        expect(page.get_by_role("button", name=t("propose")).first).to_be_visible()
                        # The map is drawn on request; it gets a picture of its own too.
                        page.get_by_text(t("show_map")).click()
                        expect(page.locator("canvas").first).to_be_attached()
                        page.wait_for_timeout(6000)
                        saved.append(out / "map.png")
                        page.get_by_test_id("stDeckGlJsonChart").screenshot(path=saved[-1])
                    else:
                        page.get_by_role("link", name=t(f"nav_{name}")).click()
                    page.wait_for_timeout(4000)  # charts and the map draw after the page settles
                    target = out / f"{name}.png"
                    if target not in saved:
                        page.screenshot(path=target, full_page=True)
                        saved.append(target)
                page.close()
                set_active(engine, operator(), username, False)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLAlchemy URL (default: MATCHER_DB_URL or the settings)")
    parser.add_argument("--small", action="store_true", help="build a small world first")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = small_world(Path(tmp)) if args.small else (args.db or get_settings().db_url)
        for path in shoot(url, args.out):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
