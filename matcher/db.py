"""SQLAlchemy models and engine. SQLite by default; any SQLAlchemy URL (PostgreSQL included).

The contract's tables are mirrored one to one. Rows the app itself records (proposals made and
outcomes entered by caseworkers) carry ``source="app"`` and are never touched by an import.
"""
from __future__ import annotations

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
)
from sqlalchemy.engine import Engine
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


class ImportRun(Base):
    """One load of an export: when, from where, its fingerprint and what changed."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source_dir: Mapped[str] = mapped_column(String(1000))
    fingerprint: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict | None] = mapped_column(JSON)


Index("ix_referrals_citizen_proposed", Referral.citizen_id, Referral.proposed_on)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the settings' ``db_url``), with the schema created."""
    url = url or get_settings().db_url
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    return engine


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
