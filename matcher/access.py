"""Who may see and do what. The library asks here before it acts; nothing is hidden only by
leaving a button out.

Every action for a person goes through :func:`authorise`: a signed-in user must have a live
session (``matcher.sessions``: not signed out, not idle too long, account unchanged), and their
role must be allowed the action (:data:`ACTIONS`); the command line's operator may do the
operators' actions. The caller audits a denial where it decides (``matcher.audit.refusals``).

- caseworker: their own caseload only (citizens whose ``caseworker_id`` is theirs): the full
  profile, notes, barriers, history, suggestions; proposes and records outcomes; prints a
  referral's explanation for the citizen (``matcher.explanation``).
- employer_liaison: candidates for an opening, only among citizens who consented to candidate
  search, and only the fields needed to judge a match (:data:`LIAISON_FIELDS`): no notes, no
  barriers, no benefit history, no age, never gender or origin. Proposes on the caseworker's
  behalf (the caseworker sees the pending referral on the citizen's page).
- data_scientist: aggregates, model versions and evaluation, the oversight figures (how often
  caseworkers follow the suggestions, ``matcher.oversight``); no citizen pages.
- admin: users, the audit log, the oversight figures, and the switch that turns suggestions
  off for everyone (``matcher.switch``); no citizen pages.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine

from matcher import audit
from matcher.auth import OPERATOR_ROLE, Operator, SignedIn
from matcher.db import Citizen, session_scope
from matcher.sessions import resume_session
from matcher.settings import get_settings

PAGES = {
    "caseworker": ("caseload", "citizen", "explanation", "overview"),
    "employer_liaison": ("liaison", "overview"),
    "data_scientist": ("models", "audit", "oversight", "overview"),
    "admin": ("admin", "oversight", "overview"),
}
# What a liaison sees of a candidate: enough to judge the match, nothing about the person's
# problems. Barriers stay out: a liaison does not need them to judge whether a candidate can do
# the job, and the caseworker, who knows them, confirms the referral with the citizen.
LIAISON_FIELDS = (
    "citizen_id",
    "district",
    "danish_level",
    "education",
    "readiness",
    "has_drivers_license",
    "max_hours_per_week",
    "experience",
    "wishes",
)
# The topics of the model's reasons (matcher.reasons.TOPICS) a liaison may read: each speaks only
# of LIAISON_FIELDS or of the opening. Left out: "commute" (states the citizen's own commute
# limit) and "earlier" (the citizen's record of earlier referrals).
LIAISON_REASONS = ("wish", "history", "skills", "danish", "hours", "licence", "kind", "employer")
# Who may do what, by audit action.
ACTIONS = {
    audit.OPEN_CITIZEN: ("caseworker",),
    audit.PROPOSE: ("caseworker", "employer_liaison"),
    audit.RECORD_OUTCOME: ("caseworker",),
    audit.VIEW_CANDIDATES: ("employer_liaison",),
    audit.SHORTLIST: ("employer_liaison",),
    audit.USER_CHANGED: ("admin", OPERATOR_ROLE),
    audit.RETRAIN: ("data_scientist", OPERATOR_ROLE),
    audit.PROMOTE: ("data_scientist", OPERATOR_ROLE),
    audit.ROLLBACK: ("data_scientist", OPERATOR_ROLE),
    audit.SWITCH_SUGGESTIONS: ("admin", OPERATOR_ROLE),
    audit.EXPLAIN_REFERRAL: ("caseworker",),
}


class AccessDenied(PermissionError):
    """The signed-in user may not do this; the message says what and why."""


class SessionEnded(AccessDenied):
    """Nobody is signed in, or the session ended (signed out, idle too long, account changed)."""


def live(engine: Engine, actor: SignedIn | Operator | None) -> SignedIn | Operator:
    """The actor as they are now: the operator as is, a signed-in user re-read through their live
    session; raises SessionEnded otherwise (a stale signed-in object cannot act)."""
    if isinstance(actor, Operator):
        return actor
    current = resume_session(engine, actor.session) if actor is not None else None
    if current is None:
        minutes = get_settings().auth.session_minutes
        raise SessionEnded(
            "not signed in, or the session has ended (signed out, idle for more than "
            f"{minutes} minutes, or the account was changed); sign in again"
        )
    return current


def authorise(engine: Engine, actor: SignedIn | Operator | None, action: str) -> SignedIn | Operator:
    """The live actor when their role may do ``action`` (a key of :data:`ACTIONS`); else AccessDenied."""
    current = live(engine, actor)
    if current.role not in ACTIONS[action]:
        raise AccessDenied(f"role {current.role!r} may not {action.replace('_', ' ')}")
    return current


def open_page(engine: Engine, user: SignedIn | None, page: str) -> SignedIn:
    """The live user when their role may open the page; a refusal is audited and raised
    (SessionEnded when nobody is signed in any more)."""
    with audit.refusals(engine, user, audit.OPEN_PAGE, (AccessDenied,), detail={"page": page}):
        current = live(engine, user)
        if not isinstance(current, SignedIn):
            raise AccessDenied(f"{current.username!r} is not an app user")
        require_page(current, page)
    return current


def pages_for(user: SignedIn) -> tuple[str, ...]:
    """The pages a role may open."""
    return PAGES.get(user.role, ())


def require_page(user: SignedIn, page: str) -> None:
    """Raise AccessDenied unless the role may open the page."""
    if page not in pages_for(user):
        raise AccessDenied(f"role {user.role!r} may not open the page {page!r}")


def require_citizen(engine: Engine, user: SignedIn, citizen_id: str) -> None:
    """Raise AccessDenied unless the user is the citizen's own caseworker."""
    if user.role != "caseworker" or not user.caseworker_id:
        raise AccessDenied(f"role {user.role!r} may not open citizen pages")
    with session_scope(engine) as s:
        owner = s.get(Citizen, citizen_id)
        owner_id = owner.caseworker_id if owner is not None else None
    if owner_id is None:
        raise AccessDenied(f"citizen {citizen_id!r} does not exist")
    if owner_id != user.caseworker_id:
        raise AccessDenied(f"citizen {citizen_id!r} is not in the caseload of {user.caseworker_id!r}")


def require_candidate(engine: Engine, user: SignedIn, citizen_id: str) -> None:
    """Raise AccessDenied unless a liaison may see (and propose) this citizen as a candidate."""
    if user.role != "employer_liaison":
        raise AccessDenied(f"role {user.role!r} does not search candidates")
    with session_scope(engine) as s:
        citizen = s.get(Citizen, citizen_id)
        consent = bool(citizen.candidate_search_consent) if citizen is not None else False
    if not consent:
        raise AccessDenied(f"citizen {citizen_id!r} has not consented to candidate search")


def require_proposer(engine: Engine, user: SignedIn, citizen_id: str) -> None:
    """A proposal for a citizen: by their own caseworker, or by a liaison for a consenting one."""
    if user.role == "employer_liaison":
        require_candidate(engine, user, citizen_id)
    else:
        require_citizen(engine, user, citizen_id)
