"""Role x page x action: every role (and a visitor signed out, a deactivated account, an expired
session) on every page (AppTest) and every library action that acts for someone; allowed or
denied as the README's role table says, and every denial audited where it was decided."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from matcher import audit, registry
from matcher.access import AccessDenied
from matcher.auth import AuthError, operator
from matcher.caseload import ProposalRefused, open_citizen, propose, record_outcome
from matcher.db import AppSession, session_scope
from matcher.explanation import explain_referral
from matcher.i18n import t
from matcher.liaison import view_candidates
from matcher.service import Matcher
from matcher.settings import get_settings
from matcher.switch import set_suggestions
from matcher.users import create_user, set_active, set_password, set_role
from matcher.world import World
from tests.app_helpers import HOME, TIMEOUT, live_user, use_database

ON = date(2023, 3, 1)
ACTORS = ("caseworker", "employer_liaison", "data_scientist", "admin", "signed_out", "deactivated", "expired")
PAGES = ("caseload", "citizen", "liaison", "models", "audit", "overview", "admin", "oversight", "explanation")
# The README's table: the pages each role opens. Nobody without a live session opens any.
ALLOWED_PAGES = {
    "caseworker": {"caseload", "citizen", "explanation", "overview"},
    "employer_liaison": {"liaison", "overview"},
    "data_scientist": {"models", "audit", "oversight", "overview"},
    "admin": {"admin", "oversight", "overview"},
}
# Who may do what in the library (the command line's operator: users, training, the registry).
ALLOWED_ACTIONS = {
    "open_citizen": {"caseworker"},
    "propose": {"caseworker", "employer_liaison"},
    "record_outcome": {"caseworker"},
    "view_candidates": {"employer_liaison"},
    "create_user": {"admin", "operator"},
    "set_role": {"admin", "operator"},
    "set_active": {"admin", "operator"},
    "set_password": {"admin", "operator"},
    "retrain": {"data_scientist", "operator"},
    "promote": {"data_scientist", "operator"},
    "rollback": {"data_scientist", "operator"},
    "switch_suggestions": {"admin", "operator"},
    "explain_referral": {"caseworker"},
}


@pytest.fixture(scope="module")
def world_db(tmp_path_factory, champion_mlflow_dir):
    """The hand-written export with one signed-in account per actor; the app reads it."""
    from matcher.db import make_engine
    from matcher.importer import import_folder
    from tests.conftest import EXPORT_FIXTURE

    folder = tmp_path_factory.mktemp("matrix")
    engine = make_engine(f"sqlite:///{folder / 'matrix.db'}")
    import_folder(EXPORT_FIXTURE, engine)
    mp = pytest.MonkeyPatch()
    use_database(mp, engine, champion_mlflow_dir)
    actors = {
        "caseworker": live_user(engine, "cw", "caseworker", "cw01"),
        "employer_liaison": live_user(engine, "lis", "employer_liaison", "cw08"),
        "data_scientist": live_user(engine, "ds", "data_scientist"),
        "admin": live_user(engine, "adm", "admin"),
        "signed_out": None,
        "deactivated": live_user(engine, "gone", "caseworker", "cw01"),
        "expired": live_user(engine, "idle", "caseworker", "cw01"),
        "operator": operator(),
    }
    set_active(engine, operator(), "gone", False)
    with session_scope(engine) as s:
        idle = s.scalars(select(AppSession).where(AppSession.username == "idle")).one()
        idle.last_seen -= timedelta(minutes=get_settings().auth.session_minutes + 1)
    create_user(engine, operator(), "target", None, "data_scientist")
    yield engine, actors
    mp.undo()
    get_settings.cache_clear()


def denials(engine, username: str, action: str, **detail) -> int:
    log = audit.read(engine, action=audit.ACCESS_DENIED, limit=100_000)
    log = log[(log["username"] == username) & log["detail"].map(lambda d: d.get("action") == action)]
    return int(log["detail"].map(lambda d: all(d.get(k) == v for k, v in detail.items())).sum())


def username(actor) -> str:
    return audit.ANONYMOUS if actor is None else actor.username


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ACTORS)
def test_page(world_db, who, page):
    engine, actors = world_db
    actor = actors[who]
    before = denials(engine, username(actor), audit.OPEN_PAGE, page=page)
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    if actor is not None:
        at.session_state["user"] = actor
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    titles = [e.value for e in at.title]
    if page in ALLOWED_PAGES.get(who, ()):
        assert t("page_denied") not in errors and titles and titles != [t("app_title")], (errors, titles)
        assert denials(engine, username(actor), audit.OPEN_PAGE, page=page) == before
        return
    assert denials(engine, username(actor), audit.OPEN_PAGE, page=page) == before + 1
    if who in ALLOWED_PAGES:  # signed in, but not this role's page
        assert errors == [t("page_denied")] and not at.dataframe and not at.metric
    else:  # no live session: back to the sign-in form, nothing of the page shown
        assert titles == [t("app_title")] and "user" not in at.session_state
        assert not at.dataframe and not at.metric


def _act(action: str, engine, actor, matcher) -> None:
    name = f"u-{username(actor)}"
    calls = {
        "open_citizen": lambda: open_citizen(engine, actor, "P0001", ON),
        "propose": lambda: propose(engine, actor, "P0001", "O01", ON),
        "record_outcome": lambda: record_outcome(engine, actor, "R010", "declined", ON),
        "view_candidates": lambda: view_candidates(engine, actor, matcher, "O01", ON, 5, "da"),
        "create_user": lambda: create_user(engine, actor, name, None, "data_scientist"),
        "set_role": lambda: set_role(engine, actor, "target", "admin"),
        "set_active": lambda: set_active(engine, actor, "target", True),
        "set_password": lambda: set_password(engine, actor, "target", "a long new password"),
        "retrain": lambda: registry.begin_training(engine, actor),
        "promote": lambda: registry.promote(1, engine=engine, actor=actor),
        "rollback": lambda: registry.rollback(engine=engine, actor=actor),
        "switch_suggestions": lambda: set_suggestions(engine, actor, True, "matrix test"),
        "explain_referral": lambda: explain_referral(engine, actor, "R010"),
    }
    calls[action]()


AUDITED_AS = {
    "create_user": audit.USER_CHANGED, "set_role": audit.USER_CHANGED, "set_active": audit.USER_CHANGED,
    "set_password": audit.USER_CHANGED, "retrain": audit.RETRAIN,
}


@pytest.mark.parametrize("action", list(ALLOWED_ACTIONS))
def test_library_action(world_db, trained_ranker, action):
    engine, actors = world_db
    matcher = Matcher(World.from_db(engine), trained_ranker, engine)
    audited = AUDITED_AS.get(action, action)
    for who, actor in actors.items():
        before = denials(engine, username(actor), audited)
        try:
            _act(action, engine, actor, matcher)
            allowed = True
        except AccessDenied:
            allowed = False
        except (ProposalRefused, AuthError, registry.RegistryError):
            allowed = True  # let in, then refused on the merits (e.g. nothing to roll back to)
        assert allowed == (who in ALLOWED_ACTIONS[action]), (who, action)
        assert denials(engine, username(actor), audited) == before + (not allowed), (who, action)
