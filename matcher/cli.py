"""The ``matcher`` command: the data contract's commands plus the operators' ones.

Every command takes ``--db URL`` (or ``MATCHER_DB_URL``). Heavy imports stay inside the
commands so that ``matcher --help`` is instant.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from matcher.settings import SettingsError, get_settings
from matcher.simulate.truths import DEFAULT_FAMILY, FAMILIES as TRUTH_FAMILIES

app = typer.Typer(help="matcher: job-from-day-one suggestions for caseworkers.", no_args_is_help=True)

DbOption = typer.Option(None, "--db", help="SQLAlchemy URL (default: MATCHER_DB_URL or sqlite:///matcher.db)")
AsOfOption = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: today, or the end of the data)")


@app.callback()
def _start() -> None:
    """Read the settings first: a bad value or an unknown key stops every command with its reason."""
    try:
        get_settings()
    except SettingsError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2)


def _engine(db: str | None):
    from matcher.db import make_engine

    if db:
        os.environ["MATCHER_DB_URL"] = db
        get_settings.cache_clear()
    return make_engine(get_settings().db_url)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value!r}")


EngineOption = typer.Option("local", "--engine", help="local: this process; dask: a Dask cluster (see --scheduler)")
SchedulerOption = typer.Option(
    None, "--scheduler", help="With --engine dask: a running cluster's scheduler address (default: a LocalCluster here)"
)


def _client(engine: str, scheduler: str | None):
    """A Dask client context for ``--engine dask``, or None for ``local``."""
    from contextlib import nullcontext

    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"--engine takes local or dask, got {engine!r}")
    if engine == "local":
        if scheduler:
            raise typer.BadParameter("--scheduler needs --engine dask")
        return nullcontext()
    from matcher.cluster import dask_client

    return dask_client(scheduler)


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise typer.BadParameter(f"--shard takes I/N, e.g. 0/4; got {value!r}")
    if not 0 <= i < n:
        raise typer.BadParameter(f"--shard {value}: I must be between 0 and N-1")
    return i, n


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Folder to write the world to"),
    citizens: int = typer.Option(None, "--citizens", help="Number of citizens (default 10,000)"),
    seed: int = typer.Option(None, "--seed", help="Random seed (same seed, same world)"),
    truth: str = typer.Option(
        DEFAULT_FAMILY, "--truth", metavar="FAMILY",
        help="Family of the hidden outcome model (coefficients drawn from the seed): "
             + "; ".join(f"{name}: {summary}" for name, summary in TRUTH_FAMILIES.items())),
) -> None:
    """Write a simulated Copenhagen programme in the contract's format (truth in OUT/_truth/)."""
    if truth not in TRUTH_FAMILIES:
        raise typer.BadParameter(f"unknown family {truth!r}; choose one of {', '.join(TRUTH_FAMILIES)}",
                                 param_hint="--truth")
    from matcher.simulate import simulate_world

    s = get_settings()
    report = simulate_world(out, n_citizens=citizens or s.sim_citizens, seed=s.sim_seed if seed is None else seed,
                            truth=truth)
    typer.echo(report)


@app.command("import")
def import_(
    folder: Path = typer.Argument(..., help="Export folder (CSV or Parquet per table)"),
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink",
        help="Accept an export that removes more of a table than the setting import_max_shrink allows",
    ),
    db: Optional[str] = DbOption,
) -> None:
    """Validate and load an export; exit status 2 with every problem listed on bad input."""
    from matcher.importer import ImportRefused, import_folder

    engine = _engine(db)
    try:
        summary = import_folder(folder, engine, allow_shrink=allow_shrink)
    except ImportRefused as refused:
        for problem in refused.problems:
            typer.echo(problem, err=True)
        typer.echo(f"import refused: {len(refused.problems)} problem(s); nothing was loaded", err=True)
        raise typer.Exit(2)
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(summary.describe())


@app.command()
def train(
    as_of: Optional[str] = AsOfOption,
    engine: str = EngineOption,
    scheduler: Optional[str] = SchedulerOption,
    db: Optional[str] = DbOption,
) -> None:
    """Train on referrals proposed before DATE, register the model, promote it if it passes the gate
    (audited as cli:<OS user>). With --engine dask the features are built on the cluster, the fit runs here."""
    from matcher.training import train_and_register

    with _client(engine, scheduler) as client:
        features = None
        if client is not None:
            from matcher.cluster import DaskFeatures

            features = DaskFeatures(client)
        result = train_and_register(_engine(db), as_of=_date(as_of), features=features)
    typer.echo(result.describe())


@app.command()
def recommend(
    citizen: Optional[str] = typer.Option(None, "--citizen", help="One citizen's id"),
    all_: bool = typer.Option(False, "--all", help="Every citizen active on the date"),
    as_of: Optional[str] = AsOfOption,
    k: int = typer.Option(None, "--k", help="How many suggestions"),
    out: Optional[Path] = typer.Option(None, "--out", help="CSV file for --all"),
    shard: Optional[str] = typer.Option(None, "--shard", help="I/N: only part I (0-based) of N, for --all on N workers"),
    allocate: bool = typer.Option(
        False, "--allocate", help="With --all: the municipal plan, every list chosen jointly under the free places (score: chance of success)"
    ),
    engine: str = EngineOption,
    scheduler: Optional[str] = SchedulerOption,
    db: Optional[str] = DbOption,
) -> None:
    """Top K open opportunities for one citizen (with reasons) or for all (to a CSV)."""
    from matcher.service import Matcher

    if citizen is None and not all_:
        raise typer.BadParameter("give --citizen ID or --all")
    parts = _shard(shard)
    if all_ and out is None:
        raise typer.BadParameter("--all needs --out FILE.csv")
    if allocate and not all_:
        raise typer.BadParameter("--allocate plans every citizen at once: use it with --all")
    if allocate and parts is not None:
        raise typer.BadParameter("--allocate plans all citizens jointly: not with --shard")
    if engine == "dask" and not all_:
        raise typer.BadParameter("--engine dask is for the batch: use it with --all")
    if engine == "dask" and parts is not None:
        raise typer.BadParameter("--engine dask splits the batch itself: not with --shard")
    from matcher.switch import require_suggestions

    database = _engine(db)
    _refuse_when_off(lambda: require_suggestions(database))  # before any cluster starts
    cluster = _client(engine, scheduler)
    matcher = Matcher.load(database)
    k = k or get_settings().default_k
    if not all_:
        for s in matcher.recommend(citizen, k=k, as_of=_date(as_of)):
            typer.echo(s.describe())
        return
    with cluster as client:
        if allocate:
            from matcher.plan import plan_for

            plan = plan_for(matcher, k=k, as_of=_date(as_of), client=client)
        elif client is not None:
            from matcher.cluster import recommend_all_on

            frame = recommend_all_on(client, matcher, k=k, as_of=_date(as_of))
        else:
            frame = matcher.recommend_all(k=k, as_of=_date(as_of), shard=parts)
    if allocate:
        plan.lists.to_csv(out, index=False)
        typer.echo(
            f"wrote {len(plan.lists)} rows for {plan.lists['citizen_id'].nunique()} citizens to {out}; "
            f"the plan holds {len(plan.assignment)} places (expected successes by the model: {plan.objective:.1f})"
        )
        return
    frame.to_csv(out, index=False)
    typer.echo(f"wrote {len(frame)} rows for {frame['citizen_id'].nunique()} citizens to {out}")


@app.command()
def plan(
    as_of: Optional[str] = AsOfOption,
    k: int = typer.Option(None, "--k", help="List length (default: settings.plan.stored_k)"),
    db: Optional[str] = DbOption,
) -> None:
    """Compute the municipal plan the app shows and store it (e.g. nightly, after the import).

    The app recomputes a stale plan by itself in the background; this computes it now.
    """
    from matcher import plan_store
    from matcher.registry import champion_version
    from matcher.service import Matcher

    engine = _engine(db)
    matcher = Matcher.load(engine)
    _refuse_when_off(matcher.check_switch)
    run = plan_store.compute(engine, matcher, on=_date(as_of), k=k, model_version=champion_version())
    typer.echo(
        f"plan {run.id} for {run.as_of}: {run.citizens} citizens, lists of {run.k}, "
        f"expected successes by the model {run.objective:.1f}"
    )


@app.command()
def candidates(
    opportunity: str = typer.Option(..., "--opportunity", help="The opportunity's id"),
    as_of: Optional[str] = AsOfOption,
    k: int = typer.Option(None, "--k"),
    db: Optional[str] = DbOption,
) -> None:
    """Citizens for one opportunity (only those who consented to candidate search)."""
    from matcher.service import Matcher

    matcher = Matcher.load(_engine(db))
    for s in _refuse_when_off(lambda: matcher.candidates(opportunity, k=k or get_settings().default_k, as_of=_date(as_of))):
        typer.echo(s.describe())


@app.command()
def evaluate(
    as_of: Optional[str] = AsOfOption,
    truth: Optional[Path] = typer.Option(None, "--truth", help="World folder with _truth/ (simulated data)"),
    families: bool = typer.Option(False, "--families", help="Instead: simulate one world per truth family, evaluate each, report the worst case"),
    citizens: int = typer.Option(4000, "--citizens", help="With --families: citizens per simulated world"),
    seed: Optional[int] = typer.Option(None, "--seed", help="With --families: the worlds' seed (default: the settings')"),
    db: Optional[str] = DbOption,
) -> None:
    """The model against the baselines on a time split; writes reports/evaluation.md and plots.

    With --families: every ranker on a fresh world of every truth family (reports/families.md)."""
    if families:
        from matcher.families import run_families

        typer.echo(run_families(citizens=citizens, seed=get_settings().sim_seed if seed is None else seed).describe())
        return
    from matcher.evaluate import run_evaluation

    report = run_evaluation(_engine(db), as_of=_date(as_of), truth_dir=truth)
    typer.echo(report.describe())


@app.command()
def audit(
    as_of: Optional[str] = AsOfOption,
    truth: Optional[Path] = typer.Option(None, "--truth", help="World folder with _truth/ (simulated data): oracle ratio and calibration against the truth"),
    db: Optional[str] = DbOption,
) -> None:
    """The champion's lists by group (gender, origin, district, age band, barrier), with bootstrap
    intervals; writes reports/audit.md and plots."""
    from matcher.group_audit import audit_champion
    from matcher.service import NoTrainedModel

    try:
        report = audit_champion(_engine(db), as_of=_date(as_of), truth_dir=truth)
    except (NoTrainedModel, FileNotFoundError, ValueError) as problem:
        typer.echo(f"audit: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(report.describe())


@app.command("model-card")
def model_card(
    version: Optional[str] = typer.Option(None, "--version", help="Write (again) this version's card; default: every version without one"),
    lang: str = typer.Option("en", "--lang", help="With --version: print the card in da or en"),
    db: Optional[str] = DbOption,
) -> None:
    """Write the model card (Danish and English) of registered versions into their MLflow runs."""
    from matcher.model_card import load_card, write_card, write_missing_cards

    _engine(db)
    if version is None:
        written = write_missing_cards()
        typer.echo(f"wrote the model card of version(s) {', '.join(written)}" if written else "every registered version has a model card")
        return
    write_card(version)
    typer.echo(load_card(version, lang))


@app.command()
def rollback(db: Optional[str] = DbOption) -> None:
    """Move the champion alias back to the previous champion (audited as cli:<OS user>)."""
    from matcher.auth import operator
    from matcher.registry import RegistryError, rollback as do_rollback

    try:
        typer.echo(do_rollback(engine=_engine(db), actor=operator()))
    except RegistryError as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(1)


@app.command()
def demo_users(db: Optional[str] = DbOption) -> None:
    """Create the demo sign-ins (one per role) and print how to sign in (audited as cli:<OS user>)."""
    from matcher.auth import operator
    from matcher.users import create_demo_users

    for line in create_demo_users(_engine(db), operator()):
        typer.echo(line)


@app.command()
def suggestions(
    off: bool = typer.Option(False, "--off", help="Switch suggestions off everywhere (app pages and CLI)"),
    on: bool = typer.Option(False, "--on", help="Switch suggestions on again"),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why (kept in the audit log)"),
    db: Optional[str] = DbOption,
) -> None:
    """Show the suggestions switch, or turn suggestions off or on for everyone (audited as cli:<OS user>)."""
    from matcher.auth import operator
    from matcher.switch import set_suggestions, state

    if off and on:
        raise typer.BadParameter("give --off or --on, not both")
    engine = _engine(db)
    if not (off or on):
        typer.echo(state(engine).describe())
        return
    try:
        typer.echo(set_suggestions(engine, operator(), on=on, reason=reason).describe())
    except ValueError as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2)


def _refuse_when_off(call):
    """Run ``call``; when suggestions are switched off, say so and exit with status 3."""
    from matcher.switch import SuggestionsOff

    try:
        return call()
    except SuggestionsOff as off:
        typer.echo(str(off), err=True)
        raise typer.Exit(3)


@app.command()
def serve(
    port: int = typer.Option(8501, "--port"),
    address: Optional[str] = typer.Option(None, "--address", help="Interface to bind (default: all)"),
    db: Optional[str] = DbOption,
) -> None:
    """Start the Streamlit app."""
    import subprocess

    from matcher.app_server import streamlit_command

    _engine(db)
    raise typer.Exit(subprocess.call(streamlit_command(port, address)))


if __name__ == "__main__":
    app()
