"""The audit log: entries written with the change they describe, and read back by filter."""
from __future__ import annotations

from datetime import date

import pytest

from matcher import audit
from matcher.access import AccessDenied
from matcher.auth import SignedIn
from matcher.caseload import ProposalRefused, open_citizen, propose
from matcher.db import AuditLog, Referral
from tests.app_helpers import count, live_user

CW01 = SignedIn("anne", "caseworker", "cw01")
ON = date(2023, 3, 1)


@pytest.fixture
def anne(export_engine):
    """cw01's caseworker, signed in; the log is read from after her sign-in."""
    return live_user(export_engine, "anne", "caseworker", "cw01")


def after_sign_in(engine):
    log = audit.read(engine)
    return log[~log["action"].isin([audit.SIGN_IN, audit.USER_CHANGED])]


def test_record_and_read_with_filters(export_engine):
    audit.record(export_engine, CW01, audit.OPEN_CITIZEN, citizen_id="P0001")
    audit.record(export_engine, "someone", audit.SIGN_IN_FAILED)
    audit.record(export_engine, CW01, audit.OPEN_CITIZEN, citizen_id="P0009", detail={"why": "test"})
    everything = audit.read(export_engine)
    assert len(everything) == 3
    assert everything.iloc[0]["citizen_id"] == "P0009"  # newest first
    assert everything.iloc[0]["detail"] == {"why": "test"}
    assert list(audit.read(export_engine, username="anne")["citizen_id"]) == ["P0009", "P0001"]
    assert audit.read(export_engine, action=audit.SIGN_IN_FAILED).iloc[0]["role"] == "anonymous"
    assert len(audit.read(export_engine, citizen_id="P0001")) == 1


def test_opening_a_citizen_writes_one_entry(export_engine, anne):
    open_citizen(export_engine, anne, "P0001", ON)
    log = after_sign_in(export_engine)
    assert list(log["action"]) == [audit.OPEN_CITIZEN]
    assert log.iloc[0]["username"] == "anne" and log.iloc[0]["citizen_id"] == "P0001"


def test_refused_opening_is_audited_as_denied(export_engine, anne):
    with pytest.raises(AccessDenied):
        open_citizen(export_engine, anne, "P0002", ON)
    log = after_sign_in(export_engine)
    assert list(log["action"]) == [audit.ACCESS_DENIED]
    assert "not in the caseload" in log.iloc[0]["detail"]["why"]
    assert log.iloc[0]["detail"]["action"] == audit.OPEN_CITIZEN


def test_proposal_and_its_entry_go_together(export_engine, anne):
    referral_id = propose(export_engine, anne, "P0001", "O01", ON)
    assert count(export_engine, AuditLog, action=audit.PROPOSE) == 1
    entry = audit.read(export_engine, action=audit.PROPOSE).iloc[0]
    assert entry["detail"]["referral_id"] == referral_id and entry["opportunity_id"] == "O01"
    # A refused second proposal leaves neither a referral nor an entry behind.
    with pytest.raises(ProposalRefused):
        propose(export_engine, anne, "P0001", "O01", ON)
    assert count(export_engine, AuditLog, action=audit.PROPOSE) == 1
    assert count(export_engine, Referral, source="app") == 1
    # The refusal itself is in the log, where it was decided.
    refused = audit.read(export_engine, action=audit.REFUSED).iloc[0]
    assert refused["detail"]["action"] == audit.PROPOSE and "already has the pending referral" in refused["detail"]["why"]
