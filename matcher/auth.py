"""App accounts: argon2 password hashes, roles, demo users, and the OpenID Connect mapping.

Two ways to sign in, chosen by ``get_settings().auth.mode``:

- ``"password"`` (default): a username and a password checked against an argon2id hash in the
  ``users`` table. ``matcher demo-users`` creates one account per role with fresh random
  passwords and prints them; that is for demonstrations only.
- ``"oidc"``: Streamlit's ``st.login(provider)`` signs the person in with the municipality's
  identity provider (configured under ``[auth]`` in ``.streamlit/secrets.toml``); the app then
  looks up ``st.user.email`` in the ``users`` table, which still decides the role. An identity
  the table does not know, or an inactive one, is refused.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from matcher.db import Caseworker, Citizen, User, session_scope

ROLES = ("caseworker", "employer_liaison", "data_scientist", "admin")
# Roles that act for a person in the contract's caseworkers table.
STAFF_ROLES = {"caseworker": "caseworker", "employer_liaison": "employer_liaison"}
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthError(ValueError):
    """A user could not be created or changed; the message says why."""


@dataclass(frozen=True)
class SignedIn:
    """The person using the app, as the pages and the access rules see them."""

    username: str
    role: str
    caseworker_id: str | None = None
    display_name: str | None = None


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash (False for any malformed hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _signed_in(user: User) -> SignedIn:
    return SignedIn(user.username, user.role, user.caseworker_id, user.display_name)


def create_user(
    engine: Engine,
    username: str,
    password: str | None,
    role: str,
    caseworker_id: str | None = None,
    display_name: str | None = None,
) -> SignedIn:
    """Create (or replace) an account. ``password`` may be None for OIDC-only accounts."""
    username = (username or "").strip()
    if not username:
        raise AuthError("username is empty")
    if role not in ROLES:
        raise AuthError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password for {username!r} is shorter than {MIN_PASSWORD_LENGTH} characters")
    with session_scope(engine) as s:
        if role in STAFF_ROLES:
            staff = s.get(Caseworker, caseworker_id) if caseworker_id else None
            if staff is None:
                raise AuthError(f"role {role!r} needs the caseworker_id of a staff member; {caseworker_id!r} is unknown")
            if staff.role != STAFF_ROLES[role]:
                raise AuthError(f"caseworker {caseworker_id!r} has role {staff.role!r}, not {STAFF_ROLES[role]!r}")
        elif caseworker_id is not None:
            raise AuthError(f"role {role!r} is not linked to a caseworker_id")
        user = s.get(User, username) or User(username=username)
        user.password_hash = hash_password(password) if password is not None else None
        user.role = role
        user.caseworker_id = caseworker_id
        user.display_name = display_name or username
        user.active = True
        s.add(user)
        s.flush()
        return _signed_in(user)


def authenticate(engine: Engine, username: str, password: str) -> SignedIn | None:
    """The signed-in user for a right username and password of an active account, else None."""
    with session_scope(engine) as s:
        user = s.get(User, (username or "").strip())
        ok = verify_password(user.password_hash if user else None, password or "")
        if not ok or user is None or not user.active:
            return None
        return _signed_in(user)


def user_for_identity(engine: Engine, email: str | None) -> SignedIn | None:
    """The account for an identity the OIDC provider vouched for (matched on username = email)."""
    if not email:
        return None
    with session_scope(engine) as s:
        user = s.get(User, email.strip().lower())
        return _signed_in(user) if user is not None and user.active else None


def set_active(engine: Engine, username: str, active: bool) -> None:
    """Enable or disable an account (disabled accounts cannot sign in)."""
    with session_scope(engine) as s:
        user = s.get(User, username)
        if user is None:
            raise AuthError(f"no user named {username!r}")
        user.active = active


def set_password(engine: Engine, username: str, password: str) -> None:
    """Replace an account's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password for {username!r} is shorter than {MIN_PASSWORD_LENGTH} characters")
    with session_scope(engine) as s:
        user = s.get(User, username)
        if user is None:
            raise AuthError(f"no user named {username!r}")
        user.password_hash = hash_password(password)


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


def create_demo_users(engine: Engine) -> list[str]:
    """Demo accounts, one per role and two caseworkers, with fresh random passwords.

    Returns the lines that tell how to sign in. For demonstrations only: real deployments use
    OIDC (``MATCHER_AUTH__MODE=oidc``) or accounts an administrator creates.
    """
    plan = demo_accounts(engine)
    lines = ["Demo sign-ins (demonstration only; passwords are new on every run):"]
    for username, role, staff in plan:
        password = secrets.token_urlsafe(12)
        create_user(engine, username, password, role, staff, display_name=username)
        linked = f" (caseworker_id {staff})" if staff else ""
        lines.append(f"  {role:<17} user {username:<15} password {password}{linked}")
    return lines
