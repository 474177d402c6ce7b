"""The municipal plan as the app shows it: computed once, stored, recomputed when it goes stale.

``matcher.plan`` solves the plan; this module keeps the latest one in the database
(``plan_runs``, ``plan_entries``) so every page and every process reads the same plan, and says
when it no longer fits the data. A plan is made for a day, a champion version and a *state*: the
free places of the open openings, the active citizens and the pending referrals on that day
(``state_key``). A proposal, an outcome or an import that changes any of them changes the key;
the stored plan is then stale and ``refresh`` recomputes it in a background thread while the
pages keep showing the last one, marked as such.

What the pages ask of it:

- ``citizen_plan``: what the plan holds for one citizen, and for any opening, how many of its
  free places the plan gives to others and how many are left;
- ``opening_plan``: per opening, how many citizens the plan directs to it and how many lists
  show it (the liaison's view);
- ``PlanRun.summary`` (``summarise``): exposure Gini, openings no one is directed to, share of
  first suggestions already full (the programme overview);
- ``held_for_others``: the places of an opening held for other citizens, which
  ``caseload.propose`` keeps for them unless the caseworker gives a reason
  (``settings.plan.enforce_holds``): the holds then stay in force whatever order caseworkers act
  in, which is what the allocation ratio "with holds" measures (``benchmarks/bench_plan.py``).
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.engine import Engine

from matcher import timerules
from matcher.congestion import gini
from matcher.db import Citizen, Opportunity, PlanEntry, PlanRun, Referral, session_scope, utcnow
from matcher.settings import get_settings

# Runs kept in the database: the newest finished ones (older ones and their entries are deleted).
KEEP_RUNS = 3

_running: dict[str, threading.Thread] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class PlanStatus:
    """The latest finished plan (None before the first) and whether it still fits the data."""

    run: PlanRun | None
    stale: bool
    recomputing: bool

    @property
    def run_id(self) -> int | None:
        return None if self.run is None else self.run.id


def _as_date(on) -> date:
    return pd.Timestamp(on).date()


def state_key(engine: Engine, on, model_version: str | None) -> str:
    """A fingerprint of what a plan on ``on`` depends on: the model version, the free places of
    the open openings, the active citizens and the pending referrals on that day."""
    d = _as_date(on)
    with engine.connect() as conn:
        free = conn.execute(
            select(Opportunity.opportunity_id, timerules.free_capacity_sql(d))
            .where(timerules.opportunity_open_sql(d))
            .order_by(Opportunity.opportunity_id)
        ).all()
        active = conn.scalar(select(func.count()).select_from(Citizen).where(timerules.citizen_active_sql(d)))
        unresolved = conn.execute(
            select(func.count(), func.max(Referral.referral_id)).where(timerules.referral_unresolved_sql(d))
        ).one()
        referrals = conn.execute(select(func.count(), func.max(Referral.recorded_at))).one()
    h = hashlib.sha256()
    h.update(f"{model_version}|{d}|{active}|{tuple(unresolved)}|{tuple(referrals)}|".encode())
    for opportunity_id, places in free:
        h.update(f"{opportunity_id}:{places};".encode())
    return h.hexdigest()


def latest(engine: Engine, on=None) -> PlanRun | None:
    """The newest finished plan (for the day ``on`` if given)."""
    q = select(PlanRun).where(PlanRun.status == "done")
    if on is not None:
        q = q.where(PlanRun.as_of == _as_date(on))
    with session_scope(engine) as s:
        return s.scalars(q.order_by(PlanRun.id.desc()).limit(1)).first()


def _busy(engine: Engine) -> bool:
    """A computation is running in some process (and started recently enough to be alive)."""
    horizon = utcnow() - timedelta(minutes=get_settings().plan.stale_run_minutes)
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(PlanRun).where(PlanRun.status == "running", PlanRun.started_at > horizon)) > 0


def compute(engine: Engine, matcher, on=None, k: int | None = None, model_version: str | None = None) -> PlanRun:
    """Solve the plan on ``on`` (default: the app's date, ``caseload.app_date``) with ``matcher``'s model on the
    database's current data, and store it.

    The run is recorded as running first, so other processes see it; its entries and the status
    'done' are written in one transaction; on an error the run is marked failed with the message
    and the error is raised.
    """
    from matcher.plan import allocate, score_pairs

    from matcher.caseload import app_date
    from matcher.service import Matcher
    from matcher.world import World

    k = get_settings().plan.stored_k if k is None else k
    # The plan reflects the database now, not the world the caller's matcher loaded earlier.
    matcher = Matcher(World.from_db(engine), matcher.ranker, engine)
    day = _as_date(app_date(engine) if on is None else on)
    key = state_key(engine, day, model_version)
    with session_scope(engine) as s:
        run = PlanRun(as_of=day, model_version=model_version, state_key=key, k=k, status="running")
        s.add(run)
        s.flush()
        run_id = run.id
    try:
        pairs, capacity = score_pairs(matcher, day)
        plan = allocate(pairs, capacity, k)
        summary = summarise(plan.detail, capacity)
        rows = plan.detail.assign(run_id=run_id)[["run_id", "citizen_id", "rank", "opportunity_id", "score", "assigned", "room_left"]]
        records = rows.astype({"rank": int, "room_left": int, "assigned": bool, "score": float}).to_dict("records")
        with session_scope(engine) as s:
            for start in range(0, len(records), 5000):
                s.execute(insert(PlanEntry), records[start : start + 5000])
            s.execute(
                update(PlanRun).where(PlanRun.id == run_id).values(
                    status="done", finished_at=utcnow(), objective=plan.objective,
                    citizens=int(rows["citizen_id"].nunique()), summary=summary,
                )
            )
            old = s.scalars(select(PlanRun.id).where(PlanRun.status != "running").order_by(PlanRun.id.desc()).offset(KEEP_RUNS)).all()
            if old:
                s.execute(delete(PlanEntry).where(PlanEntry.run_id.in_(old)))
                s.execute(delete(PlanRun).where(PlanRun.id.in_(old)))
    except BaseException as err:
        with session_scope(engine) as s:
            s.execute(update(PlanRun).where(PlanRun.id == run_id).values(status="failed", finished_at=utcnow(), error=str(err)[:2000]))
        raise
    with session_scope(engine) as s:
        return s.get(PlanRun, run_id)


def status(engine: Engine, matcher, model_version: str | None, on=None) -> PlanStatus:
    """The latest plan for the day and whether it is stale (its state key no longer matches)."""
    from matcher.caseload import app_date

    day = _as_date(app_date(engine) if on is None else on)
    run = latest(engine, day)
    stale = run is None or run.state_key != state_key(engine, day, model_version)
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        here = key in _running and _running[key].is_alive()
    return PlanStatus(run=run, stale=stale, recomputing=here or (stale and _busy(engine)))


class _Child:
    """A ``matcher plan`` process started by ``refresh``, seen like a thread."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def join(self, timeout: float | None = None) -> None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


# A refresh starts at most one computation per database per this many seconds (a plan that
# cannot be made, e.g. with no model, is not retried on every page view).
RETRY_SECONDS = 60.0
_started: dict[str, float] = {}


def refresh(engine: Engine, matcher, model_version: str | None, on=None, in_process: bool = False) -> PlanStatus:
    """``status``, and when the plan is stale and no computation runs, start one in the background.

    By default the computation is a separate process (``matcher plan`` on the same database, with
    the registry's champion), so the pages' process keeps its CPU and its interpreter lock for
    the pages; the pages go on with the last plan meanwhile. ``in_process``: a thread computing
    with the ``matcher`` given instead (a model that is not registered, as in tests).
    """
    st = status(engine, matcher, model_version, on)
    if not st.stale or st.recomputing:
        return st
    key = engine.url.render_as_string(hide_password=False)

    def work() -> None:
        try:
            compute(engine, matcher, on=on, model_version=model_version)
        except Exception:  # noqa: BLE001 - recorded on the run as failed; the pages show the last plan
            pass

    with _lock:
        if key in _running and _running[key].is_alive():
            return PlanStatus(st.run, True, True)
        if time.monotonic() - _started.get(key, -RETRY_SECONDS) < RETRY_SECONDS:
            return PlanStatus(st.run, True, False)
        _started[key] = time.monotonic()
        if in_process:
            child = threading.Thread(target=work, name="matcher-plan", daemon=True)
            child.start()
        else:
            args = [sys.executable, "-m", "matcher.cli", "plan", "--db", key]
            if on is not None:
                args += ["--as-of", str(_as_date(on))]
            child = _Child(args)
        _running[key] = child
    return PlanStatus(st.run, True, True)


def wait(engine: Engine, timeout: float = 300.0) -> None:
    """Wait for this process's background computation on ``engine`` to end (tests, the CLI)."""
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        child = _running.get(key)
    if child is not None:
        child.join(timeout)


def _entries(engine: Engine, run_id: int, **where) -> pd.DataFrame:
    q = select(PlanEntry.citizen_id, PlanEntry.rank, PlanEntry.opportunity_id, PlanEntry.score,
               PlanEntry.assigned, PlanEntry.room_left).where(PlanEntry.run_id == run_id)
    for column, values in where.items():
        q = q.where(getattr(PlanEntry, column).in_(list(values)))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return pd.DataFrame(rows, columns=["citizen_id", "rank", "opportunity_id", "score", "assigned", "room_left"])


def _directed(engine: Engine, run_id: int, opportunity_ids) -> pd.Series:
    """How many citizens the plan assigns to each opening."""
    ids = list(opportunity_ids)
    with engine.connect() as conn:
        rows = conn.execute(
            select(PlanEntry.opportunity_id, func.count())
            .where(PlanEntry.run_id == run_id, PlanEntry.assigned.is_(True), PlanEntry.opportunity_id.in_(ids))
            .group_by(PlanEntry.opportunity_id)
        ).all()
    return pd.Series(dict(rows), dtype="int64").reindex(ids, fill_value=0)


@dataclass(frozen=True)
class CitizenPlan:
    """What the plan holds for one citizen (``held``: an opportunity id or None) and, per opening
    asked about, the places the plan gives to other citizens (``to_others``) and the places left
    after everyone's assignment (``room_left``)."""

    held: str | None
    to_others: dict[str, int]
    room_left: dict[str, int]

    def note(self, opportunity_id: str) -> tuple[str, dict] | None:
        """The plan's word on an opening for this citizen: a translation key and its values, or None."""
        if opportunity_id == self.held:
            return "plan_held_for_citizen", {}
        others = self.to_others.get(opportunity_id, 0)
        if others > 0:
            return "plan_held_for_others", {"others": others, "left": self.room_left.get(opportunity_id, 0)}
        return None


def citizen_plan(engine: Engine, run_id: int | None, citizen_id: str, opportunity_ids) -> CitizenPlan:
    """The plan's word for one citizen's page on the openings ``opportunity_ids``."""
    ids = list(dict.fromkeys(opportunity_ids))
    if run_id is None:
        return CitizenPlan(None, {}, {})
    mine = _entries(engine, run_id, citizen_id=[citizen_id])
    held = mine.loc[mine["assigned"], "opportunity_id"]
    held_id = str(held.iloc[0]) if len(held) else None
    directed = _directed(engine, run_id, ids)
    to_others = {o: int(directed[o]) - (1 if o == held_id else 0) for o in ids}
    with engine.connect() as conn:
        rows = conn.execute(
            select(PlanEntry.opportunity_id, func.min(PlanEntry.room_left))
            .where(PlanEntry.run_id == run_id, PlanEntry.opportunity_id.in_(ids))
            .group_by(PlanEntry.opportunity_id)
        ).all()
    return CitizenPlan(held_id, to_others, {o: int(r) for o, r in rows})


def opening_plan(engine: Engine, run_id: int | None, opportunity_ids) -> pd.DataFrame:
    """Per opening (the index): ``plan_directed`` (citizens the plan assigns to it) and
    ``plan_listed`` (lists showing it); empty (missing) values without a plan."""
    ids = list(dict.fromkeys(opportunity_ids))
    out = pd.DataFrame(index=pd.Index(ids, name="opportunity_id"))
    if run_id is None or not ids:
        return out.assign(plan_directed=pd.Series(dtype="Int64"), plan_listed=pd.Series(dtype="Int64"))
    with engine.connect() as conn:
        rows = conn.execute(
            select(PlanEntry.opportunity_id, func.count(), func.sum(case((PlanEntry.assigned.is_(True), 1), else_=0)))
            .where(PlanEntry.run_id == run_id, PlanEntry.opportunity_id.in_(ids))
            .group_by(PlanEntry.opportunity_id)
        ).all()
    counts = pd.DataFrame(rows, columns=["opportunity_id", "plan_listed", "plan_directed"]).set_index("opportunity_id")
    return out.join(counts).fillna(0).astype("int64")[["plan_directed", "plan_listed"]]


def summarise(detail: pd.DataFrame, capacity: pd.Series) -> dict[str, float]:
    """The overview's congestion figures of a plan (``detail``: ``matcher.plan.Plan.detail``),
    given the free places per opening on its day: ``exposure_gini`` (how unevenly the lists spread
    over the openings with free places), ``undirected_share`` (share of those openings the plan
    directs no one to), ``first_full_share`` (share of citizens whose first suggestion has no
    place left for them: all taken by others in the plan)."""
    openings = capacity.index[capacity > 0]
    shown = detail["opportunity_id"].value_counts().reindex(openings, fill_value=0)
    directed = detail.loc[detail["assigned"], "opportunity_id"].value_counts().reindex(openings, fill_value=0)
    first = detail[detail["rank"] == 1]
    full = (~first["assigned"].astype(bool)) & (first["room_left"] <= 0)
    return {
        "citizens": int(detail["citizen_id"].nunique()),
        "openings": int(len(openings)),
        "held": int(detail["assigned"].sum()),
        "exposure_gini": gini(shown.to_numpy()),
        "undirected_share": float((directed == 0).mean()) if len(openings) else float("nan"),
        "first_full_share": float(full.mean()) if len(first) else float("nan"),
    }


def held_for_others(session, on, citizen_id: str, opportunity_id: str) -> int:
    """Inside a proposal's transaction: the places of ``opportunity_id`` that the latest finished
    plan for the day ``on`` holds for other citizens who have not been proposed it yet (0 without
    a plan for that day)."""
    run_id = session.scalar(
        select(PlanRun.id).where(PlanRun.status == "done", PlanRun.as_of == _as_date(on)).order_by(PlanRun.id.desc()).limit(1)
    )
    if run_id is None:
        return 0
    holders = session.scalars(
        select(PlanEntry.citizen_id).where(
            PlanEntry.run_id == run_id, PlanEntry.opportunity_id == opportunity_id,
            PlanEntry.assigned.is_(True), PlanEntry.citizen_id != citizen_id,
        )
    ).all()
    if not holders:
        return 0
    proposed = set(session.scalars(
        select(Referral.citizen_id).where(
            Referral.opportunity_id == opportunity_id, Referral.citizen_id.in_(holders),
            timerules.referral_unresolved_sql(on),
        )
    ).all())
    return sum(1 for c in holders if c not in proposed)
