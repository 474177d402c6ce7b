"""Sign-in throttling and lockout, what a failed sign-in leaves in the log, and server-side
sessions: expiry, sign-out, deactivation and role changes end them, and a stale signed-in object
cannot act."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matcher import audit
from matcher.access import SessionEnded
from matcher.auth import SignInLocked, authenticate, operator
from matcher.caseload import ProposalRefused, propose
from matcher.db import AppSession, SignInFailure, User, session_scope
from matcher.sessions import end_session, resume_session, sign_in, start_session
from matcher.settings import get_settings
from matcher.users import create_user, set_active, set_password, set_role
from tests.app_helpers import PASSWORD, count, live_user

CLI = operator()
ON = date(2023, 3, 1)


@pytest.fixture
def anne(export_engine):
    create_user(export_engine, CLI, "anne", PASSWORD, "caseworker", "cw01")
    return export_engine


def backdate(engine, model, minutes: int) -> None:
    """Move every row's clock back, as if that much time had passed since."""
    column = "at" if model is SignInFailure else "last_seen"
    with session_scope(engine) as s:
        for row in s.scalars(select(model)).all():
            setattr(row, column, getattr(row, column) - timedelta(minutes=minutes))


@pytest.fixture(autouse=True)
def few_tries(setting):
    """Lower limits than the defaults: each try costs an argon2 verification."""
    setting("AUTH__MAX_FAILURES", "3")
    setting("AUTH__MAX_FAILURES_PER_SOURCE", "4")


def failures(engine, n: int, username: str = "anne", source: str = "10.0.0.1") -> None:
    for _ in range(n):
        assert authenticate(engine, username, "not the password", source) is None


def test_repeated_failures_lock_the_account_even_for_the_right_password(anne):
    limit = get_settings().auth.max_failures
    failures(anne, limit)
    with pytest.raises(SignInLocked, match="try again in"):
        authenticate(anne, "anne", PASSWORD, "10.0.0.2")  # another address: the account is locked
    log = audit.read(anne, action=audit.SIGN_IN_FAILED)
    assert len(log) == limit + 1 and log.iloc[0]["detail"]["why"] == "locked"
    # After the lockout the right password works, and a success clears the account's count.
    backdate(anne, SignInFailure, get_settings().auth.lockout_minutes + 1)
    assert authenticate(anne, "anne", PASSWORD, "10.0.0.2") is not None
    failures(anne, limit - 1, source="10.0.0.3")
    assert authenticate(anne, "anne", PASSWORD, "10.0.0.3") is not None


def test_one_address_trying_many_names_is_locked(anne):
    per_source = get_settings().auth.max_failures_per_source
    for i in range(per_source):
        assert authenticate(anne, f"guess{i}", "password123", "10.9.9.9") is None
    with pytest.raises(SignInLocked):
        authenticate(anne, "anne", PASSWORD, "10.9.9.9")
    # Another address is not affected.
    assert authenticate(anne, "anne", PASSWORD, "10.0.0.5") is not None


def test_a_failed_sign_in_stores_nothing_typed_beyond_a_bounded_form(anne):
    secret = "Tr0ub4dor&3-typed-into-the-username-field"
    authenticate(anne, secret, "whatever", "10.0.0.1")
    authenticate(anne, "x" * 5000, "y" * 5000, "s" * 5000)
    authenticate(anne, "anne", "my-real-password-typo", "10.0.0.1")
    log = audit.read(anne, action=audit.SIGN_IN_FAILED)
    dumped = log.to_string() + repr(log["detail"].tolist())
    assert secret not in dumped and "x" * 65 not in dumped and "my-real-password" not in dumped
    assert "s" * 65 not in dumped  # the source is bounded too
    unknown = log[log["username"] == audit.ANONYMOUS]["detail"].tolist()
    assert sorted(d["typed_length"] for d in unknown) == [len(secret), 1000]
    assert log[log["username"] == "anne"].iloc[0]["detail"]["why"] == "wrong password"


def test_a_session_resumes_as_the_account_is_now(anne):
    user = sign_in(anne, "anne", PASSWORD, "10.0.0.1")
    assert user.session and resume_session(anne, user.session) == user
    with session_scope(anne) as s:
        stored = s.query(AppSession).one()
    assert user.session not in (stored.token_hash, repr(stored.__dict__))  # only a hash is kept
    assert resume_session(anne, "forged-token") is None and resume_session(anne, None) is None
    assert list(audit.read(anne, action=audit.SIGN_IN)["detail"]) == [{"source": "10.0.0.1"}]


def test_a_session_expires_after_the_idle_time(anne):
    user = sign_in(anne, "anne", PASSWORD)
    backdate(anne, AppSession, get_settings().auth.session_minutes - 1)
    assert resume_session(anne, user.session) is not None  # used: the clock starts again
    backdate(anne, AppSession, get_settings().auth.session_minutes + 1)
    assert resume_session(anne, user.session) is None
    with pytest.raises(SessionEnded):
        propose(anne, user, "P0001", "O01", ON)
    assert audit.read(anne, action=audit.SESSION_ENDED).iloc[0]["detail"] == {"why": "expired"}
    assert audit.read(anne, action=audit.ACCESS_DENIED).iloc[0]["detail"]["action"] == audit.PROPOSE


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda e: set_active(e, CLI, "anne", False), "deactivated"),
        (lambda e: set_role(e, CLI, "anne", "caseworker", "cw03"), "role_changed"),
        (lambda e: set_role(e, CLI, "anne", "data_scientist"), "role_changed"),
        (lambda e: set_password(e, CLI, "anne", "a brand new password"), "password_reset"),
    ],
)
def test_account_changes_end_open_sessions(anne, change, why):
    user = sign_in(anne, "anne", PASSWORD)
    change(anne)
    assert resume_session(anne, user.session) is None
    with pytest.raises(SessionEnded):
        propose(anne, user, "P0001", "O01", ON)
    assert count(anne, AppSession, end_reason=why) == 1


def test_a_stale_signed_in_object_cannot_act(anne):
    user = sign_in(anne, "anne", PASSWORD)
    stale = replace(user, session=None)
    with pytest.raises(SessionEnded):
        propose(anne, stale, "P0001", "O01", ON)
    # Nor with the role it claims: the session, not the object, says who this is.
    forged = replace(user, role="employer_liaison", caseworker_id="cw08")
    rid = propose(anne, forged, "P0001", "O01", ON)
    assert audit.read(anne, action=audit.PROPOSE).iloc[0]["role"] == "caseworker"
    assert rid.startswith("APP-")


def test_sign_out_ends_the_session(anne):
    user = sign_in(anne, "anne", PASSWORD)
    end_session(anne, user.session)
    assert resume_session(anne, user.session) is None
    end_session(anne, user.session)  # twice: nothing more happens
    assert len(audit.read(anne, action=audit.SIGN_OUT)) == 1


def test_no_session_for_an_inactive_account(anne):
    signed = authenticate(anne, "anne", PASSWORD)
    set_active(anne, CLI, "anne", False)
    with pytest.raises(Exception, match="no active account"):
        start_session(anne, signed)


def test_an_admin_cannot_lock_themselves_out(export_engine):
    root = live_user(export_engine, "root", "admin")
    with pytest.raises(Exception, match="their own account"):
        set_active(export_engine, root, "root", False)
    with pytest.raises(Exception, match="their own account"):
        set_role(export_engine, root, "root", "data_scientist")
    with session_scope(export_engine) as s:
        assert s.get(User, "root").active
    # Resetting one's own password keeps one's own session.
    set_password(export_engine, root, "root", "another long password")
    assert resume_session(export_engine, root.session) is not None


def test_a_refused_proposal_by_a_live_user_is_audited(export_engine):
    anne = live_user(export_engine, "anne", "caseworker", "cw01")
    with pytest.raises(ProposalRefused):
        propose(export_engine, anne, "P0001", "O01", ON + timedelta(days=400))
    refused = audit.read(export_engine, action=audit.REFUSED).iloc[0]
    assert refused["detail"]["action"] == audit.PROPOSE and "must be dated" in refused["detail"]["why"]
