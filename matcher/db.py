"""SQLAlchemy models and engine. SQLite by default; any SQLAlchemy URL (PostgreSQL included).

The contract's tables are mirrored one to one. Rows the app itself records (proposals made and
outcomes entered by caseworkers) carry ``source="app"`` and are never touched by an import.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Iterator

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from matcher.settings import get_settings

SOURCE_IMPORT = "import"
SOURCE_APP = "app"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Caseworker(Base):
    __tablename__ = "caseworkers"
    caseworker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))


class Citizen(Base):
    __tablename__ = "citizens"
    citizen_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    birth_year: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(1))
    home_postcode: Mapped[str] = mapped_column(String(4))
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    origin: Mapped[str | None] = mapped_column(String(16))
    benefit: Mapped[str] = mapped_column(String(32))
    readiness: Mapped[str] = mapped_column(String(32))
    months_on_benefit: Mapped[int] = mapped_column(Integer)
    education: Mapped[str] = mapped_column(String(32))
    danish_level: Mapped[int] = mapped_column(Integer)
    barriers: Mapped[list | None] = mapped_column(JSON)
    job_wishes: Mapped[list | None] = mapped_column(JSON)
    max_hours_per_week: Mapped[int | None] = mapped_column(Integer)
    max_commute_minutes: Mapped[int | None] = mapped_column(Integer)
    has_drivers_license: Mapped[bool | None] = mapped_column(Boolean)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("caseworkers.caseworker_id"), index=True)
    enrolled_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    candidate_search_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)


class WorkHistory(Base):
    __tablename__ = "work_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(ForeignKey("citizens.citizen_id"), index=True)
    occupation_uri: Mapped[str] = mapped_column(String(200))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)


class Employer(Base):
    __tablename__ = "employers"
    employer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    industry: Mapped[str] = mapped_column(String(1))
    postcode: Mapped[str] = mapped_column(String(4))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int | None] = mapped_column(Integer)
    social_agreement: Mapped[bool | None] = mapped_column(Boolean)


class Opportunity(Base):
    __tablename__ = "opportunities"
    opportunity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    employer_id: Mapped[str | None] = mapped_column(ForeignKey("employers.employer_id"), index=True)
    provider: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    occupation_uri: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[list | None] = mapped_column(JSON)
    danish_required: Mapped[int] = mapped_column(Integer)
    hours_per_week: Mapped[int] = mapped_column(Integer)
    postcode: Mapped[str] = mapped_column(String(4))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    open_from: Mapped[date] = mapped_column(Date)
    open_until: Mapped[date | None] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    weeks: Mapped[int | None] = mapped_column(Integer)
    requires_drivers_license: Mapped[bool | None] = mapped_column(Boolean)
    wage_per_hour: Mapped[float | None] = mapped_column(Float)


class Referral(Base):
    __tablename__ = "referrals"
    referral_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(ForeignKey("citizens.citizen_id"), index=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.opportunity_id"), index=True
    )
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("caseworkers.caseworker_id"))
    proposed_on: Mapped[date] = mapped_column(Date, index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_on: Mapped[date | None] = mapped_column(Date)
    # "import" for rows from an export; "app" for proposals made in the app.
    source: Mapped[str] = mapped_column(String(8), default=SOURCE_IMPORT)
    # Set when a caseworker entered the outcome in the app: an import never overwrites it.
    outcome_source: Mapped[str | None] = mapped_column(String(8))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Why a caseworker proposed against the app's advice (not feasible, full, outside the top 3).
    override_reason: Mapped[str | None] = mapped_column(Text)


class User(Base):
    """An app account. ``caseworker_id`` links caseworkers and liaisons to the contract's staff."""

    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))  # caseworker, employer_liaison, data_scientist, admin
    caseworker_id: Mapped[str | None] = mapped_column(ForeignKey("caseworkers.caseworker_id"))
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditLog(Base):
    """Who did what, when: every opening of a citizen's page and every proposal."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[str | None] = mapped_column(String(64), index=True)
    opportunity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)


class AppSession(Base):
    """A signed-in session. Only a hash of the token is kept, so a copy of the table opens nothing.

    The role and staff link are copied at sign-in: a change to either ends the session.
    """

    __tablename__ = "app_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    caseworker_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class SignInFailure(Base):
    """A failed sign-in, counted for throttling: ``scope`` is "user" (key: an existing account's
    username) or "source" (key: the client address). Rows older than the lockout horizon are pruned."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    scope: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))


class ImportRun(Base):
    """One load of an export: when, from where, its fingerprint and what changed."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source_dir: Mapped[str] = mapped_column(String(1000))
    fingerprint: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict | None] = mapped_column(JSON)


class PlanRun(Base):
    """One computation of the municipal plan (``matcher.plan_store``): for which day, model and
    state of the free places it was made, and whether it finished."""

    __tablename__ = "plan_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    as_of: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str | None] = mapped_column(String(32))
    state_key: Mapped[str] = mapped_column(String(64))
    k: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # running, done, failed
    objective: Mapped[float | None] = mapped_column(Float)
    citizens: Mapped[int | None] = mapped_column(Integer)
    # The overview's congestion figures of this plan (matcher.plan_store.summarise).
    summary: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class PlanEntry(Base):
    """One row of a citizen's list in a plan: ``assigned`` marks the place held for the citizen,
    ``room_left`` the opening's free places left after everyone's assignment."""

    __tablename__ = "plan_entries"
    run_id: Mapped[int] = mapped_column(ForeignKey("plan_runs.id", ondelete="CASCADE"), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    assigned: Mapped[bool] = mapped_column(Boolean)
    room_left: Mapped[int] = mapped_column(Integer)


class ShortlistEntry(Base):
    """A candidate a liaison put on the shortlist of an opening (``matcher.shortlist``): stored, so
    a reload, a new tab or another day finds it again; gone once proposed or taken off."""

    __tablename__ = "shortlists"
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AppState(Base):
    """Switches that hold for the whole app, one row a key (``matcher.switch``): what is set, by
    whom and when. The audit log keeps every change; this row is the current state."""

    __tablename__ = "app_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | None] = mapped_column(JSON)
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)


Index("ix_referrals_citizen_proposed", Referral.citizen_id, Referral.proposed_on)
# At most one pending app proposal per citizen and opportunity, whatever the code above it does
# (propose() also checks under a lock, across imported referrals too).
_PENDING_APP = (Referral.outcome == "pending") & (Referral.source == SOURCE_APP)
Index(
    "uq_referrals_pending_app", Referral.citizen_id, Referral.opportunity_id, unique=True,
    sqlite_where=_PENDING_APP, postgresql_where=_PENDING_APP,
)
Index("ix_plan_entries_opportunity", PlanEntry.run_id, PlanEntry.opportunity_id)
Index("ix_sign_in_failures_key", SignInFailure.scope, SignInFailure.key, SignInFailure.at)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# Seconds a SQLite writer waits for another one's lock (proposals queue behind each other).
SQLITE_BUSY_SECONDS = 30


# Databases brought up to date by this process (and the processes it forked).
_UPGRADED: set[str] = set()


def _upgrade_schema(engine: Engine) -> None:
    """Bring a database made by an earlier version up to date, additively: nullable columns and
    indexes added since are created; nothing is dropped or rewritten. Once per database and process."""
    url = engine.url.render_as_string(hide_password=False)
    if url in _UPGRADED:
        return
    _UPGRADED.add(url)
    present = inspect(engine)
    tables = set(present.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            continue
        columns = {c["name"] for c in present.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                with engine.begin() as conn:
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))
        for index in table.indexes:
            try:
                index.create(engine, checkfirst=True)
            except IntegrityError as clash:
                # Rows written before the rule existed break it; the lock in propose() still holds.
                warnings.warn(f"index {index.name} not created: existing rows break it ({clash.orig})", stacklevel=2)


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the settings' ``db_url``), with the schema created."""
    url = url or get_settings().db_url
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    _upgrade_schema(engine)
    return engine


def lock_for_update(session: Session, model, key):
    """Load one row and lock it for the rest of the session's transaction (None if missing).

    Call it first in the transaction. PostgreSQL: ``SELECT … FOR UPDATE`` on the row, so writers
    of the same row queue while others go on. SQLite: ``BEGIN IMMEDIATE``, SQLite's only write
    lock, on the whole database; readers go on (WAL) and writers queue for up to
    ``SQLITE_BUSY_SECONDS``. Either way what is read after it is what was last committed.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return session.get(model, key)
    return session.get(model, key, with_for_update=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
