"""Helpers for the AppTest tests: point the app at a test database and sign in through the form."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from matcher.auth import SignedIn, operator
from matcher.db import session_scope
from matcher.sessions import start_session
from matcher.users import create_user
from matcher.settings import get_settings

HOME = Path(__file__).resolve().parent.parent / "app" / "Home.py"
PASSWORD = "a long test password"
# Generous: the first run of a page loads the taxonomy, a model or the world on a busy machine.
TIMEOUT = 120


def use_database(monkeypatch, engine, mlflow_dir: Path | None = None) -> None:
    """Make the app read this engine's database (and an MLflow store of its own)."""
    monkeypatch.setenv("MATCHER_DB_URL", str(engine.url))
    # No plan computed behind a test's back: its holds would change which proposals need a reason
    # depending on timing. tests/test_plan_store.py computes the plan explicitly.
    monkeypatch.setenv("MATCHER_PLAN__AUTO_REFRESH", "false")
    if mlflow_dir is not None:
        monkeypatch.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{mlflow_dir / 'mlflow.db'}")
        monkeypatch.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(mlflow_dir / "artifacts"))
    get_settings.cache_clear()


def copy_database(db_url: str, folder: Path):
    """A writable copy of a SQLite database (the session's small world is read-only). SQLite's
    backup API, not a file copy: in WAL mode recent writes live in a side file."""
    import sqlite3

    from matcher.db import make_engine

    target = folder / "app.db"
    source, copy = sqlite3.connect(db_url.removeprefix("sqlite:///")), sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return make_engine(f"sqlite:///{target}")


def live_user(engine, username: str, role: str, caseworker_id: str | None = None) -> SignedIn:
    """A new account of the role (created by the command line's operator) with a live session, as
    the library wants it. Passwordless, like an identity provider's account: argon2 is slow on
    purpose, and sign-in with a password is tested on its own."""
    account = create_user(engine, operator(), username, None, role, caseworker_id)
    return replace(account, session=start_session(engine, account, "test"))


def signed_in(engine, username: str, role: str, caseworker_id: str | None = None) -> AppTest:
    """A fresh app with a new account of the role, signed in through the sign-in form."""
    create_user(engine, operator(), username, PASSWORD, role, caseworker_id)
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.text_input(key="username").input(username)
    at.text_input(key="password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["user"].username == username
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def count(engine, model, **where) -> int:
    """Rows of ``model`` matching ``column=value`` filters."""
    with session_scope(engine) as s:
        q = select(func.count()).select_from(model)
        for column, value in where.items():
            q = q.where(getattr(model, column) == value)
        return s.scalar(q)
