"""Who may see what. The pages ask here; nothing is hidden only by leaving a button out.

- caseworker: their own caseload only (citizens whose ``caseworker_id`` is theirs): the full
  profile, notes, barriers, history, suggestions; proposes and records outcomes.
- employer_liaison: candidates for an opening, only among citizens who consented to candidate
  search, and only the fields needed to judge a match (:data:`LIAISON_FIELDS`): no notes, no
  barriers, no benefit history, no age, never gender or origin. Proposes on the caseworker's
  behalf (the caseworker sees the pending referral on the citizen's page).
- data_scientist: aggregates, model versions and evaluation; no citizen pages.
- admin: users and the audit log; no citizen pages.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine

from matcher.auth import SignedIn
from matcher.db import Citizen, session_scope

PAGES = {
    "caseworker": ("caseload", "citizen", "overview"),
    "employer_liaison": ("liaison", "overview"),
    "data_scientist": ("models", "overview"),
    "admin": ("admin", "overview"),
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


class AccessDenied(PermissionError):
    """The signed-in user may not do this; the message says what and why."""


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
