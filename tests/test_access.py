"""Sign-in (argon2), demo users, and the role rules of matcher.access."""
from __future__ import annotations

import pytest

from matcher import audit
from matcher.access import (
    LIAISON_FIELDS,
    AccessDenied,
    SessionEnded,
    authorise,
    pages_for,
    require_candidate,
    require_citizen,
    require_page,
)
from matcher.auth import AuthError, SignedIn, authenticate, operator, user_for_identity
from matcher.db import User, session_scope
from matcher.liaison import candidate_facts
from matcher.users import create_demo_users, create_user, list_users, set_active, set_password
from tests.app_helpers import live_user

CW01 = SignedIn("anne", "caseworker", "cw01")
LIAISON = SignedIn("lis", "employer_liaison", "cw08")
CLI = operator()


def test_password_is_stored_as_argon2_and_checked(export_engine):
    create_user(export_engine, CLI, "anne", "correct horse battery", "caseworker", "cw01")
    with session_scope(export_engine) as s:
        stored = s.get(User, "anne").password_hash
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert authenticate(export_engine, "anne", "correct horse battery") == SignedIn("anne", "caseworker", "cw01", "anne")
    assert authenticate(export_engine, "anne", "wrong password!!") is None
    assert authenticate(export_engine, "nobody", "correct horse battery") is None


def test_disabled_account_and_new_password(export_engine):
    create_user(export_engine, CLI, "anne", "first password", "caseworker", "cw01")
    set_active(export_engine, CLI, "anne", False)
    assert authenticate(export_engine, "anne", "first password") is None
    set_active(export_engine, CLI, "anne", True)
    set_password(export_engine, CLI, "anne", "second password")
    assert authenticate(export_engine, "anne", "first password") is None
    assert authenticate(export_engine, "anne", "second password") is not None


@pytest.mark.parametrize(
    "role, staff, message",
    [
        ("caseworker", None, "needs the caseworker_id"),
        ("caseworker", "cw08", "has role 'employer_liaison'"),
        ("employer_liaison", "cw01", "has role 'caseworker'"),
        ("admin", "cw01", "not linked"),
        ("boss", None, "is not one of"),
    ],
)
def test_create_user_refuses_inconsistent_roles(export_engine, role, staff, message):
    with pytest.raises(AuthError, match=message):
        create_user(export_engine, CLI, "x", "long enough pw", role, staff)
    refused = audit.read(export_engine, action=audit.REFUSED).iloc[0]
    assert refused["username"] == CLI.username and message.split("'")[0] in refused["detail"]["why"]


def test_short_password_refused(export_engine):
    with pytest.raises(AuthError, match="shorter than"):
        create_user(export_engine, CLI, "x", "short", "admin")


def test_existing_username_is_refused_not_replaced(export_engine):
    create_user(export_engine, CLI, "dora", "a long password", "data_scientist")
    with pytest.raises(AuthError, match="exists already"):
        create_user(export_engine, CLI, "dora", "another long password", "admin")
    users = list_users(export_engine).set_index("username")
    assert users.at["dora", "role"] == "data_scientist"
    assert authenticate(export_engine, "dora", "a long password") is not None
    assert list(audit.read(export_engine, action=audit.USER_CHANGED)["detail"].map(lambda d: d["change"])) == ["create"]


def test_demo_users_link_two_caseworkers_with_citizens(export_engine):
    lines = create_demo_users(export_engine, CLI)
    users = list_users(export_engine).set_index("username")
    assert set(users["role"]) == {"caseworker", "employer_liaison", "data_scientist", "admin"}
    caseworkers = users[users["role"] == "caseworker"]["caseworker_id"].tolist()
    assert len(set(caseworkers)) == 2
    # Both have citizens (the fixture: cw01, cw03 have two each).
    assert set(caseworkers) == {"cw01", "cw03"}
    assert users.at["konsulent", "caseworker_id"] in {"cw08", "cw09"}
    # Every printed password signs in.
    for line in lines[1:]:
        parts = line.split()
        assert authenticate(export_engine, parts[2], parts[4]) is not None
    assert "password_hash" not in users.columns
    # Audited as the command line's operator, one entry per account.
    created = audit.read(export_engine, action=audit.USER_CHANGED)
    assert set(created["username"]) == {CLI.username} and set(created["role"]) == {"operator"}
    assert len(created) == 5


def test_demo_users_again_renews_passwords_without_replacing_accounts(export_engine):
    create_demo_users(export_engine, CLI)
    set_active(export_engine, CLI, "admin", False)
    lines = create_demo_users(export_engine, CLI)
    admin = next(line.split() for line in lines if " admin " in line)
    assert authenticate(export_engine, admin[2], admin[4]) is not None
    changes = audit.read(export_engine, action=audit.USER_CHANGED)["detail"].map(lambda d: d["change"]).tolist()
    assert changes.count("create") == 5 and changes.count("password") == 5 and changes.count("active") == 2


def test_oidc_identity_maps_to_known_active_user(export_engine):
    create_user(export_engine, CLI, "anne@kk.dk", None, "caseworker", "cw01")
    assert user_for_identity(export_engine, "Anne@KK.dk").caseworker_id == "cw01"
    assert user_for_identity(export_engine, "stranger@example.com") is None
    # An OIDC-only account has no password to sign in with.
    assert authenticate(export_engine, "anne@kk.dk", "") is None


def test_caseworker_sees_only_own_caseload(export_engine):
    require_citizen(export_engine, CW01, "P0001")
    with pytest.raises(AccessDenied, match="not in the caseload of 'cw01'"):
        require_citizen(export_engine, CW01, "P0002")
    with pytest.raises(AccessDenied, match="does not exist"):
        require_citizen(export_engine, CW01, "P9999")


@pytest.mark.parametrize("role", ["data_scientist", "admin", "employer_liaison"])
def test_other_roles_open_no_citizen_pages(export_engine, role):
    with pytest.raises(AccessDenied, match="may not open citizen pages"):
        require_citizen(export_engine, SignedIn("x", role, "cw08" if role == "employer_liaison" else None), "P0001")


def test_pages_by_role():
    assert "citizen" in pages_for(CW01) and "models" not in pages_for(CW01)
    assert pages_for(SignedIn("d", "data_scientist")) == ("models", "audit", "oversight", "overview")
    with pytest.raises(AccessDenied):
        require_page(SignedIn("d", "data_scientist"), "citizen")
    with pytest.raises(AccessDenied):
        require_page(LIAISON, "caseload")
    require_page(SignedIn("a", "admin"), "admin")


def test_authorise_needs_a_live_session_and_the_role(export_engine):
    anne = live_user(export_engine, "anne", "caseworker", "cw01")
    assert authorise(export_engine, anne, audit.PROPOSE) == anne
    with pytest.raises(AccessDenied, match="may not promote"):
        authorise(export_engine, anne, audit.PROMOTE)
    # The same person without the session object (a stale or forged one) cannot act.
    with pytest.raises(SessionEnded, match="sign in again"):
        authorise(export_engine, CW01, audit.PROPOSE)
    with pytest.raises(SessionEnded):
        authorise(export_engine, None, audit.PROPOSE)
    assert authorise(export_engine, CLI, audit.ROLLBACK) == CLI
    with pytest.raises(AccessDenied, match="may not propose"):
        authorise(export_engine, CLI, audit.PROPOSE)


def test_liaison_sees_only_consenting_citizens(export_engine):
    require_candidate(export_engine, LIAISON, "P0001")
    with pytest.raises(AccessDenied, match="has not consented"):
        require_candidate(export_engine, LIAISON, "P0009")
    with pytest.raises(AccessDenied, match="does not search"):
        require_candidate(export_engine, CW01, "P0001")


def test_liaison_facts_are_limited(export_engine):
    facts = candidate_facts(export_engine, ["P0001", "P0002", "P0009", "P0007"])
    # P0009 said no, P0007 gave no answer (the contract's default is no).
    assert sorted(facts["citizen_id"]) == ["P0001", "P0002"]
    assert tuple(facts.columns) == LIAISON_FIELDS
    for private in ("gender", "origin", "barriers", "notes", "birth_year", "months_on_benefit", "benefit"):
        assert private not in facts.columns
    assert "rengøringsassistent" in facts.set_index("citizen_id").at["P0001", "wishes"]
