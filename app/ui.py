"""What every page shares: the database engine, the signed-in user, the language, translations.

Pages import this module (the main script's folder is on ``sys.path`` under ``streamlit run``
and AppTest alike). Only Streamlit glue lives here; logic is in ``matcher``.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from matcher import i18n, session_cookie
from matcher.access import AccessDenied, SessionEnded, open_page
from matcher.auth import UNKNOWN_SOURCE, SignedIn
from matcher.contract import OUTCOMES
from matcher.db import make_engine
from matcher.settings import get_settings


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return make_engine(url)


def engine():
    """The engine for the configured database (MATCHER_DB_URL), one per URL and process."""
    return _engine(get_settings().db_url)


def lang() -> str:
    """The chosen language ('da' by default)."""
    return st.session_state.get("lang", get_settings().language)


def t(key: str, **values) -> str:
    """The label for ``key`` in the chosen language."""
    return i18n.t(key, lang(), **values)


def user() -> SignedIn | None:
    """The signed-in user with their session token, as of the last check (``guard`` checks again)."""
    return st.session_state.get("user")


def use_navigation() -> bool:
    """Make the next run go through ``Home.py``'s st.navigation; True when this run did not.

    Streamlit starts a process in its old "pages directory" mode when app/pages exists, until a
    script calls st.navigation: a link like /citizen?citizen=… opened first on a fresh server
    runs the page file alone (no cookie sign-in, no role navigation). Leaving that mode makes
    the next run (same page, same query string) go through Home.py."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def restore_session() -> None:
    """Sign in again from the browser's signed cookie (a reload or a new tab), when the session
    it names is still live in the database (``matcher.sessions.resume_session``)."""
    if st.session_state.get("user") is not None or st.session_state.get("signed_out"):
        return
    from matcher.sessions import resume_session

    token = session_cookie.token_of(st.context.cookies.get(session_cookie.NAME))
    if token is None:
        return
    resumed = resume_session(engine(), token)
    if resumed is not None:
        st.session_state["user"] = resumed
        st.session_state["cookie_for"] = token  # the browser has it already


def sync_cookie() -> None:
    """Give the browser the cookie of the current session, or take it away after sign-out."""
    current = user()
    if current is not None and current.session and st.session_state.get("cookie_for") != current.session:
        url = str(getattr(st.context, "url", "") or "")
        st.sidebar.html(
            session_cookie.set_script(session_cookie.sign(current.session), secure=url.startswith("https")),
            unsafe_allow_javascript=True,
        )
        st.session_state["cookie_for"] = current.session
    elif current is None and st.session_state.pop("clear_cookie", False):
        st.sidebar.html(session_cookie.clear_script(), unsafe_allow_javascript=True)


def note(where: str, kind: str, text: str) -> None:
    """Remember an action's result to show next to where it was done (``where``: a key naming
    the place, e.g. ``propose:<citizen>:<opportunity>``); shown by :func:`show_note`."""
    st.session_state.setdefault("notes", {})[where] = (kind, text)


def show_note(where: str, container=None) -> None:
    """Show the result noted for ``where`` (once it is shown it stays until the context changes)."""
    found = st.session_state.get("notes", {}).get(where)
    if found is not None:
        kind, text = found
        getattr(container or st, kind)(text)


def keep_notes(context: str) -> None:
    """Forget the results of other contexts (another citizen, another opening): a note belongs
    where it was made."""
    notes = st.session_state.get("notes", {})
    for where in [w for w in notes if context not in w]:
        del notes[where]


def source() -> str:
    """The visitor's address: sign-in throttling and the audit log use it."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else UNKNOWN_SOURCE


def guard(page: str) -> SignedIn:
    """The live signed-in user, checked on every run of the page (``matcher.access.open_page``,
    which audits refusals): a visitor without a live session goes to sign-in, a role that may not
    open the page sees an error."""
    alone = use_navigation()
    if user() is None:
        restore_session()
        if alone and user() is not None:
            st.rerun()  # signed in from the cookie: run again through Home.py's navigation
    try:
        current = open_page(engine(), user(), page)
    except SessionEnded:
        if st.session_state.pop("user", None) is not None:
            st.session_state["session_ended"] = True
            st.session_state["clear_cookie"] = True
        # A link opened before sign-in (e.g. ?citizen=…) is followed after it.
        st.session_state["after_sign_in"] = (page, st.query_params.to_dict())
        if get_settings().auth.mode == "oidc" and st.user.is_logged_in:
            st.logout()  # an ended session signs in again at the identity provider
        st.switch_page(page_path("sign_in"))
    except AccessDenied:
        st.error(t("page_denied"))
        st.stop()
    st.session_state["user"] = current
    return current


# page -> label key, in the order the navigation lists them
PAGES = {
    "sign_in": "sign_in",
    "caseload": "nav_caseload",
    "citizen": "nav_citizen",
    "liaison": "nav_liaison",
    "models": "nav_models",
    "audit": "nav_audit",
    "overview": "nav_overview",
    "admin": "nav_admin",
    "oversight": "nav_oversight",
    "explanation": "nav_explanation",
}


def page_path(name: str) -> str:
    """The file of a page, for st.switch_page."""
    return str(Path(__file__).resolve().parent / "pages" / f"{name}.py")


def score_text(score: float, chance: float, low: float = float("nan"), high: float = float("nan"),
               calibrated: float = float("nan")) -> str:
    """The model's chance of success when it gives one, with its interval when the model carries
    a calibration (``matcher.calibration``: "chance 23 % (15–31 %)"), else its raw score."""
    if calibrated == calibrated and low == low and high == high:
        return f"{t('chance')} {percent(calibrated)} ({number(100 * low)}–{percent(high)})"
    return f"{t('chance')} {percent(chance)}" if chance == chance else f"{t('score')} {number(score, 2)}"


def chance_interval(suggestion) -> tuple[float, float, float]:
    """(low, high, calibrated) of a ``matcher.service.Suggestion`` for ``score_text``; NaN when absent."""
    nan = float("nan")
    if suggestion is None or suggestion.calibrated is None:
        return nan, nan, nan
    return suggestion.chance_low, suggestion.chance_high, suggestion.calibrated


def kind(name: str) -> str:
    """An opportunity kind's name in the chosen language."""
    return i18n.kind_label(name, lang())


def danish(level) -> str:
    """A Danish level (0-4) in words: ingen, begynder, middel, god, flydende."""
    return i18n.danish_level_label(level, lang())


def day(value) -> str:
    """A date in the chosen language's format (dd.mm.åååå in Danish)."""
    return i18n.date_text(value, lang())


def moment(value) -> str:
    """A stored (UTC) moment in Copenhagen local time."""
    return i18n.time_text(value, lang())


def number(value, decimals: int = 0) -> str:
    """A number with the chosen language's separators (2.031 in Danish)."""
    return i18n.number(value, lang(), decimals)


def percent(share, decimals: int = 0, sign: bool = False) -> str:
    """A share as a percentage ("45 %" in Danish)."""
    return i18n.percent(share, lang(), decimals, sign)


def minutes(value) -> str:
    """Minutes of travel ("32 min.")."""
    return t("minutes_short", n=i18n.number(value, lang()))


def columns(frame, prefix: str = "col_"):
    """The frame with its column names from the translation table."""
    return i18n.columns(frame, lang(), prefix)


def said(text) -> str:
    """A library's message (``matcher.i18n.Said``) in the chosen language."""
    return i18n.text_of(text, lang())


def error(problem: Exception) -> str:
    """A refusal from the library in the chosen language (``matcher.i18n.error_text``); a refused
    access says so without the library's English detail (which the audit log keeps)."""
    if isinstance(problem, AccessDenied) and getattr(problem, "key", None) is None:
        return t("action_denied")
    return i18n.error_text(problem, lang())


def settings():
    return get_settings()


@st.cache_resource(show_spinner=False)
def _matcher(url: str, version: str):
    from matcher.service import Matcher

    return Matcher.load(make_engine(url))


def matcher():
    """The recommender for the configured database, loaded once per champion version (so a
    promotion or rollback takes effect at once); None while no model has been trained."""
    from matcher.registry import champion_version

    version = champion_version()
    return None if version is None else _matcher(get_settings().db_url, str(version))


OUTCOME_SET = frozenset(OUTCOMES)


@st.cache_resource(show_spinner=False, ttl=60)
def _world(url: str):
    from matcher.world import World

    return World.from_db(make_engine(url))


def world():
    """The programme's data in memory, for aggregates (refreshed at most every minute)."""
    return _world(get_settings().db_url)


@st.cache_resource(show_spinner=False, ttl=5)
def _plan(url: str, version: str):
    from matcher import plan_store

    ask = plan_store.refresh if get_settings().plan.auto_refresh else plan_store.status
    return ask(engine(), _matcher(url, version), version)


def plan():
    """The municipal plan in force (``matcher.plan_store``): the last stored one, recomputed in the
    background when the places have changed (checked at most every 5 s; ``plan.auto_refresh``);
    None without a model, and while an admin has switched suggestions off (the plan suggests too)."""
    from matcher.registry import champion_version
    from matcher.switch import suggestions_on

    version = champion_version()
    if version is None or not suggestions_on(engine()):
        return None
    return _plan(get_settings().db_url, str(version))


def plan_caption(status) -> str:
    """One line on the plan in force: when it was made, what it holds, whether it is being redone."""
    from matcher.i18n import number, time_text

    if status is None or status.run is None:
        return t("plan_none")
    run = status.run
    text = t("plan_made", at=time_text(run.finished_at, lang()), held=number((run.summary or {}).get("held"), lang()),
             citizens=number(run.citizens, lang()))
    return text + (" " + t("plan_stale") if status.stale else "")


def citizen_plan(citizen_id: str, opportunity_ids, on=None):
    """What the latest stored municipal plan for the day says about this citizen and these
    openings (``matcher.plan_store.CitizenPlan``), or None when no plan was made for the day."""
    from matcher import plan_store

    status = plan()
    if status is None or status.run is None:
        return None
    return plan_store.citizen_plan(engine(), status.run_id, citizen_id, opportunity_ids)


def map_deck(profile, table, held: str | None):
    """The citizen's map (``matcher.map_view``): shipped base layers, home, suggestions, the held place."""
    from matcher.map_view import deck

    return deck(profile.home_lat, profile.home_lon, table, held, lang())


_WARMING: dict[str, object] = {}


def warm_up() -> None:
    """Load the recommender in the background once per process and database, so that the first
    citizen page does not wait for it (the world and the model take seconds to read)."""
    import threading

    url = get_settings().db_url
    if url in _WARMING:
        return

    def load() -> None:
        try:
            matcher()
        except Exception:  # noqa: BLE001 - the page that needs it will say what is wrong
            pass

    _WARMING[url] = thread = threading.Thread(target=load, name="matcher-warm-up", daemon=True)
    thread.start()


def prefetch(citizen_ids, on) -> None:
    """Score a caseload's citizens in the background (``Matcher.prefetch``), one thread at a time
    per process, so that their pages open without computing the features first."""
    import threading

    warming = _WARMING.get(get_settings().db_url)
    if warming is not None and warming.is_alive():
        return  # the recommender is still loading: the caseload page does not wait for it
    found = matcher()
    if found is None or any(t.name == "matcher-prefetch" and t.is_alive() for t in threading.enumerate()):
        return

    def work() -> None:
        try:
            found.prefetch(list(citizen_ids), on)
        except Exception:  # noqa: BLE001 - a page computes what is missing itself
            pass

    threading.Thread(target=work, name="matcher-prefetch", daemon=True).start()
