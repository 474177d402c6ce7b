"""App accounts: create, change role, enable or disable, reset password; the demo accounts.

Every change is authorised (an admin with a live session, or the command line's operator) and
audited as ``user_changed`` in the same transaction; a refusal is audited too. A change of role or
staff link, a deactivation and a password reset end the account's open sessions. An existing
username is never replaced: create refuses it.
"""
from __future__ import annotations

import secrets

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matcher import audit
from matcher.access import AccessDenied, authorise
from matcher.auth import (
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,
    ROLES,
    STAFF_ROLES,
    AuthError,
    Operator,
    SignedIn,
    hash_password,
    signed_in_as,
)
from matcher.db import Caseworker, Citizen, User, session_scope
from matcher.i18n import said
from matcher.sessions import end_sessions_of

REFUSALS = (AccessDenied, AuthError)


def _check_password(username: str, password: str | None) -> None:
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(said("auth_password_short", user=username, n=MIN_PASSWORD_LENGTH))


def _check_link(s: Session, role: str, caseworker_id: str | None) -> None:
    """A caseworker or liaison account names a staff member of that role; other roles name none."""
    if role not in ROLES:
        raise AuthError(said("auth_role_unknown", role=str(role)[:40], roles=", ".join(ROLES)))
    if role in STAFF_ROLES:
        staff = s.get(Caseworker, caseworker_id) if caseworker_id else None
        if staff is None:
            raise AuthError(said("auth_needs_staff", role=role, staff=str(caseworker_id)[:64]))
        if staff.role != STAFF_ROLES[role]:
            raise AuthError(said("auth_staff_role", staff=caseworker_id, has=staff.role, wanted=STAFF_ROLES[role]))
    elif caseworker_id is not None:
        raise AuthError(said("auth_not_linked", role=role))


def _account(s: Session, username: str) -> User:
    user = s.get(User, username)
    if user is None:
        raise AuthError(said("auth_no_user", user=str(username)[:MAX_USERNAME_LENGTH]))
    return user


def _not_self(actor, username: str, change: str) -> None:
    if actor.username == username:
        raise AuthError(said("auth_not_self", change=change))


def create_user(
    engine: Engine,
    actor: SignedIn | Operator,
    username: str,
    password: str | None,
    role: str,
    caseworker_id: str | None = None,
    display_name: str | None = None,
) -> SignedIn:
    """Create an account (``password`` None: OIDC only). Refused when the username exists."""
    username = (username or "").strip()
    with audit.refusals(engine, actor, audit.USER_CHANGED, REFUSALS, detail={"change": "create", "user": username[:64]}):
        current = authorise(engine, actor, audit.USER_CHANGED)
        if not username:
            raise AuthError(said("auth_username_empty"))
        if len(username) > MAX_USERNAME_LENGTH:
            raise AuthError(said("auth_username_long", n=MAX_USERNAME_LENGTH))
        _check_password(username, password)
        with session_scope(engine) as s:
            if s.get(User, username) is not None:
                raise AuthError(said("auth_user_exists", user=username))
            _check_link(s, role, caseworker_id)
            user = User(
                username=username, password_hash=None if password is None else hash_password(password),
                role=role, caseworker_id=caseworker_id, display_name=display_name or username, active=True,
            )
            s.add(user)
            s.flush()
            audit.write(s, current, audit.USER_CHANGED, detail={"change": "create", "user": username, "role": role, "caseworker_id": caseworker_id})
            return signed_in_as(user)


def set_role(engine: Engine, actor: SignedIn | Operator, username: str, role: str, caseworker_id: str | None = None) -> None:
    """Give an account another role (and staff link); its open sessions end."""
    with audit.refusals(engine, actor, audit.USER_CHANGED, REFUSALS, detail={"change": "role", "user": str(username)[:64]}):
        current = authorise(engine, actor, audit.USER_CHANGED)
        with session_scope(engine) as s:
            user = _account(s, username)
            if user.role == "admin" and role != "admin":
                _not_self(current, username, "take the admin role from")
            _check_link(s, role, caseworker_id)
            before = (user.role, user.caseworker_id)
            user.role, user.caseworker_id = role, caseworker_id
            ended = end_sessions_of(s, username, "role_changed") if before != (role, caseworker_id) else 0
            audit.write(s, current, audit.USER_CHANGED, detail={
                "change": "role", "user": username, "role": role, "caseworker_id": caseworker_id,
                "before": list(before), "sessions_ended": ended,
            })


def set_active(engine: Engine, actor: SignedIn | Operator, username: str, active: bool) -> None:
    """Enable or disable an account; disabling ends its open sessions at once."""
    with audit.refusals(engine, actor, audit.USER_CHANGED, REFUSALS, detail={"change": "active", "user": str(username)[:64]}):
        current = authorise(engine, actor, audit.USER_CHANGED)
        with session_scope(engine) as s:
            user = _account(s, username)
            if not active:
                _not_self(current, username, "disable")
            user.active = bool(active)
            ended = 0 if active else end_sessions_of(s, username, "deactivated")
            audit.write(s, current, audit.USER_CHANGED, detail={"change": "active", "user": username, "active": bool(active), "sessions_ended": ended})


def set_password(engine: Engine, actor: SignedIn | Operator, username: str, password: str) -> None:
    """Replace an account's password; its other open sessions end."""
    with audit.refusals(engine, actor, audit.USER_CHANGED, REFUSALS, detail={"change": "password", "user": str(username)[:64]}):
        current = authorise(engine, actor, audit.USER_CHANGED)
        _check_password(username, password or "")
        with session_scope(engine) as s:
            user = _account(s, username)
            user.password_hash = hash_password(password)
            ended = end_sessions_of(s, username, "password_reset", keep=getattr(current, "session", None))
            audit.write(s, current, audit.USER_CHANGED, detail={"change": "password", "user": username, "sessions_ended": ended})


def list_users(engine: Engine) -> pd.DataFrame:
    """Every account without its hash: username, role, caseworker_id, display_name, active."""
    with engine.connect() as conn:
        return pd.read_sql(
            select(User.username, User.role, User.caseworker_id, User.display_name, User.active, User.created_at)
            .order_by(User.role, User.username),
            conn,
        )


def _busiest_staff(engine: Engine, role: str, n: int) -> list[str]:
    """The ``n`` staff ids of a role with the most citizens (liaisons: any, by id)."""
    with session_scope(engine) as s:
        counts = func.count(Citizen.citizen_id)
        rows = s.execute(
            select(Caseworker.caseworker_id, counts)
            .outerjoin(Citizen, Citizen.caseworker_id == Caseworker.caseworker_id)
            .where(Caseworker.role == role)
            .group_by(Caseworker.caseworker_id)
            .order_by(counts.desc(), Caseworker.caseworker_id)
            .limit(n)
        ).all()
    return [r[0] for r in rows]


def demo_accounts(engine: Engine) -> list[tuple[str, str, str | None]]:
    """(username, role, caseworker_id) of the demo accounts: the two caseworkers with the most
    citizens, a liaison, a data scientist and an admin."""
    caseworkers = _busiest_staff(engine, "caseworker", 2)
    liaisons = _busiest_staff(engine, "employer_liaison", 1)
    if len(caseworkers) < 2 or not liaisons:
        raise AuthError(
            "demo users need at least two caseworkers and one employer liaison in the database; "
            "run `matcher import DIR` first"
        )
    return [
        ("sagsbehandler1", "caseworker", caseworkers[0]),
        ("sagsbehandler2", "caseworker", caseworkers[1]),
        ("konsulent", "employer_liaison", liaisons[0]),
        ("analytiker", "data_scientist", None),
        ("admin", "admin", None),
    ]


def create_demo_users(engine: Engine, actor: SignedIn | Operator) -> list[str]:
    """Demo accounts, one per role and two caseworkers, with fresh random passwords.

    An existing demo account gets a new password and is enabled and given its demo role again
    (each change audited); other accounts are left alone. Returns the lines that tell how to sign
    in. For demonstrations only: real deployments use OIDC (``MATCHER_AUTH__MODE=oidc``) or
    accounts an administrator creates.
    """
    plan = demo_accounts(engine)
    lines = ["Demo sign-ins (demonstration only; passwords are new on every run):"]
    with session_scope(engine) as s:
        existing = {u.username: (u.role, u.caseworker_id, u.active) for u in s.scalars(select(User)).all()}
    for username, role, staff in plan:
        password = secrets.token_urlsafe(12)
        if username not in existing:
            create_user(engine, actor, username, password, role, staff, display_name=username)
        else:
            was_role, was_staff, was_active = existing[username]
            if (was_role, was_staff) != (role, staff):
                set_role(engine, actor, username, role, staff)
            if not was_active:
                set_active(engine, actor, username, True)
            set_password(engine, actor, username, password)
        linked = f" (caseworker_id {staff})" if staff else ""
        lines.append(f"  {role:<17} user {username:<15} password {password}{linked}")
    return lines
