"""matcher: sign-in, language switch and navigation (st.navigation) by role."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ui  # noqa: E402
from matcher.access import pages_for  # noqa: E402
from matcher.i18n import LANGUAGES  # noqa: E402
from matcher.sessions import end_session  # noqa: E402
from matcher.settings import SettingsError, get_settings  # noqa: E402

st.set_page_config(page_title="matcher", layout="wide")
try:
    get_settings()
except SettingsError as problem:  # refused at start-up: say which setting, start nothing
    st.error(str(problem))
    st.stop()
# Streamlit writes "Press Enter to apply" under a text field in English and has no setting for
# it: the hint is hidden (Enter still applies).
st.html("<style>[data-testid='InputInstructions']{display:none}</style>")


def language_switch() -> None:
    st.sidebar.radio(
        ui.t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True
    )


def sign_out() -> None:
    end_session(ui.engine(), ui.user().session)
    lang = st.session_state.get("lang")
    st.session_state.clear()
    st.session_state.update(clear_cookie=True, signed_out=True, **({"lang": lang} if lang else {}))
    if get_settings().auth.mode == "oidc":
        st.logout()


# Every page is registered for everyone, so that a link or a switch always resolves; the
# role's own pages are the visible ones, and each page checks access itself (ui.guard).
ui.warm_up()
ui.restore_session()
current = ui.user()
allowed = ("sign_in",) if current is None else pages_for(current)
page = st.navigation(
    [
        st.Page(
            ui.page_path(name), title=ui.t(label), url_path=name,
            default=(name == allowed[0]), visibility="visible" if name in allowed else "hidden",
        )
        for name, label in ui.PAGES.items()
    ]
)
# Sidebar widgets go after st.navigation so that they persist across page changes.
language_switch()
ui.sync_cookie()
if current is not None:
    st.sidebar.markdown(f"**{current.display_name or current.username}** · {ui.t('role_' + current.role)}")
    st.sidebar.button(ui.t("sign_out"), on_click=sign_out, key="sign_out")
page.run()
