"""The suggestions switch: an admin (or the command line's operator) turns the model's
suggestions off everywhere at once, and on again.

While it is off the service refuses every suggestion (``matcher.service.Matcher`` calls
:func:`require_suggestions` before it ranks anything: a citizen's list, an opening's candidates,
the batch), so the app's pages and the command line cannot differ; the pages go on without them
(a caseworker proposes from a search of the open opportunities, a liaison from the consenting
candidates unranked). The state is one row of ``app_state``; every change is authorised and
written to the audit log in the same transaction (who, when, on or off, why), a refusal too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from matcher import audit
from matcher.access import AccessDenied, authorise
from matcher.db import AppState, lock_for_update, session_scope, utcnow

KEY = "suggestions"
# A reason for switching is a sentence, not a document.
MAX_REASON_LENGTH = 500


class SuggestionsOff(RuntimeError):
    """Suggestions are switched off; the message says by whom, since when and why."""


@dataclass(frozen=True)
class SwitchState:
    """Whether suggestions are on, and the last change (None before any)."""

    on: bool
    changed_by: str | None = None
    changed_at: datetime | None = None
    reason: str | None = None

    def describe(self) -> str:
        word = "on" if self.on else "OFF"
        if self.changed_at is None:
            return f"suggestions are {word} (never switched)"
        why = f": {self.reason}" if self.reason else ""
        return f"suggestions are {word} since {self.changed_at:%Y-%m-%d %H:%M} UTC (switched by {self.changed_by}{why})"


def state(engine: Engine) -> SwitchState:
    """The switch as it is now: on unless an admin switched it off."""
    with session_scope(engine) as s:
        row = s.get(AppState, KEY)
        if row is None:
            return SwitchState(on=True)
        value = row.value or {}
        return SwitchState(bool(value.get("on", True)), row.changed_by, row.changed_at, value.get("reason"))


def suggestions_on(engine: Engine) -> bool:
    return state(engine).on


def require_suggestions(engine: Engine) -> None:
    """Raise SuggestionsOff when suggestions are switched off."""
    current = state(engine)
    if not current.on:
        raise SuggestionsOff(current.describe() + "; no suggestions are made until an admin switches them on")


def set_suggestions(engine: Engine, actor, on: bool, reason: str | None = None) -> SwitchState:
    """Switch suggestions on or off for everyone (an admin with a live session, or the operator).
    The change and its audit entry are one transaction; a refusal is audited too."""
    reason = (reason or "").strip() or None
    with audit.refusals(engine, actor, audit.SWITCH_SUGGESTIONS, (AccessDenied, ValueError), detail={"on": bool(on)}):
        current = authorise(engine, actor, audit.SWITCH_SUGGESTIONS)
        if reason is not None and len(reason) > MAX_REASON_LENGTH:
            raise ValueError(f"the reason is longer than {MAX_REASON_LENGTH} characters; shorten it")
        with session_scope(engine) as s:
            row = lock_for_update(s, AppState, KEY)
            before = True if row is None else bool((row.value or {}).get("on", True))
            if row is None:
                row = AppState(key=KEY)
                s.add(row)
            row.value = {"on": bool(on), **({"reason": reason} if reason else {})}
            row.changed_by, row.changed_at = current.username, utcnow()
            audit.write(s, current, audit.SWITCH_SUGGESTIONS,
                        detail={"on": bool(on), "was_on": before, **({"reason": reason} if reason else {})})
    return state(engine)
