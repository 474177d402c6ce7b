"""The browser's proof of a sign-in: a signed, expiring cookie around the server-side session
token (``matcher.sessions``), so that a reload or a new tab stays signed in.

The cookie's value is ``<token>.<expires>.<mac>``: the session token, when the cookie stops
being accepted (Unix seconds) and an HMAC-SHA256 over both with ``auth.cookie_secret``. A cookie
whose MAC is wrong or whose time is up is ignored; a valid one still resumes only a session that
is live in the database (``matcher.sessions.resume_session``: idle limit, deactivation, role
change and sign-out all end it there). The secret comes from settings (``MATCHER_AUTH__COOKIE_SECRET``);
without one a random secret is made per process, so a restart signs everyone out.

The app writes the cookie from the page (JavaScript): it cannot be HttpOnly, so it is
``SameSite=Strict`` and ``Secure`` behind HTTPS.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from functools import lru_cache

from matcher.settings import get_settings

NAME = "matcher_session"


@lru_cache(maxsize=1)
def _process_secret() -> str:
    return secrets.token_urlsafe(32)


def _secret() -> bytes:
    configured = get_settings().auth.cookie_secret
    return (configured or _process_secret()).encode("utf-8")


def _mac(token: str, expires: int) -> str:
    return hmac.new(_secret(), f"{token}.{expires}".encode("utf-8"), hashlib.sha256).hexdigest()


def lifetime_seconds() -> int:
    """How long a cookie is accepted: the session's idle limit (the server ends it earlier when idle)."""
    return 60 * get_settings().auth.session_minutes


def sign(token: str, now: float | None = None) -> str:
    """The cookie value for a session token, valid for :func:`lifetime_seconds` from ``now``."""
    if not token or "." in token:
        raise ValueError("a session token is a non-empty URL-safe string without dots")
    expires = int(now if now is not None else time.time()) + lifetime_seconds()
    return f"{token}.{expires}.{_mac(token, expires)}"


def token_of(value: str | None, now: float | None = None) -> str | None:
    """The session token in a cookie value, or None when the value is missing, malformed,
    tampered with or expired."""
    if not value or not isinstance(value, str):
        return None
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    token, expires, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(mac, _mac(token, expires)):
        return None
    if expires <= (now if now is not None else time.time()):
        return None
    return token


def set_script(value: str, secure: bool) -> str:
    """JavaScript that stores the cookie in the browser for the whole app (path /)."""
    flags = f"; path=/; max-age={lifetime_seconds()}; SameSite=Strict" + ("; Secure" if secure else "")
    return f"<script>document.cookie = {NAME + '=' + value + flags!r};</script>"


def clear_script() -> str:
    """JavaScript that removes the cookie (sign-out)."""
    return f"<script>document.cookie = {NAME + '=; path=/; max-age=0; SameSite=Strict'!r};</script>"
