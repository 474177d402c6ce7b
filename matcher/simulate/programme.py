"""The whole simulated programme: population, employers, opportunities, the truth, the log.

``simulate_world(out, n_citizens, seed, truth)`` writes the data contract's tables to ``out`` and
the truth (of the named family, coefficients drawn from the seed) to ``out/_truth/``, and returns
the calibration report. See docs/simulator.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.contract import KINDS, OUTCOMES
from matcher.settings import get_settings
from matcher.simulate.calibration import OUTCOME_TARGETS, calibration_figures, calibration_report
from matcher.simulate.danish_text import staff_names
from matcher.simulate.employers import make_employers
from matcher.simulate.occupations import families, load_pool
from matcher.simulate.opportunities import make_opportunities
from matcher.simulate.outcomes import LATENT_SIGMA, OUTCOME_COLUMNS, TASTES
from matcher.simulate.policy import NEVER, PolicySettings, run_policy
from matcher.simulate.population import make_population, team_of
from matcher.simulate.truth import EPOCH, Truth
from matcher.simulate.truth_readme import truth_readme
from matcher.simulate.truths import DEFAULT_FAMILY, get_family
from matcher.simulate.truths.spec import calibrate, ranges_json
from matcher.simulate.writer import write_tables, write_truth
from matcher.taxonomy import load_taxonomy
from matcher.world import calendar_months_between

# World proportions (per citizen over the whole run) and the programme's shape.
STOCK_SHARE = 0.62
EMPLOYERS_PER_CITIZEN = 0.15
OPPORTUNITIES_PER_CITIZEN = 1.2
PILOT_WEEKS = 52
ACTIVE_PER_STOCK = 0.96  # mean active caseload relative to the stock at start (inflow ~ outflow)


def make_caseworkers(rng: np.random.Generator, team: np.ndarray, stock: np.ndarray, target: float) -> pd.DataFrame:
    """Caseworkers per team for a caseload near ``target``, plus employer liaison staff."""
    teams, counts = np.unique(team[stock], return_counts=True)
    n_total = max(1, int(round(counts.sum() * ACTIVE_PER_STOCK / target)))
    # Largest remainder: teams get caseworkers in proportion to their stock; a team left without
    # any (small worlds) is served by the least loaded caseworker of the whole unit.
    quota = counts / counts.sum() * n_total
    per_team = np.floor(quota).astype(int)
    per_team[np.argsort(-(quota - per_team), kind="stable")[: n_total - per_team.sum()]] += 1
    cw_team = np.repeat(teams, per_team)
    n_liaison = max(1, int(round(len(cw_team) / 8)))
    roles = ["caseworker"] * len(cw_team) + ["employer_liaison"] * n_liaison
    teams_all = [f"Team {t}" for t in cw_team] + ["Virksomhedsservice"] * n_liaison
    n = len(roles)
    return pd.DataFrame({"caseworker_id": [f"CW{i + 1:04d}" for i in range(n)], "name": staff_names(rng, n),
                         "team": teams_all, "role": roles})


def _dates(days: np.ndarray) -> pd.Series:
    d = np.asarray(days, np.int64)
    out = (d.astype("timedelta64[D]") + EPOCH).astype("datetime64[ns]")
    return pd.Series(np.where(d >= NEVER, np.datetime64("NaT"), out))


@dataclass
class SimulatedWorld:
    """A simulated programme in memory: the contract's tables, the truth that drew its outcomes
    (as of the export), and what ``_truth/`` holds besides."""

    tables: dict[str, pd.DataFrame]
    truth: Truth
    model: dict
    citizen_latent: pd.DataFrame
    employer_latent: pd.DataFrame
    affinity: pd.DataFrame
    report: str


def simulate_world(out: Path, n_citizens: int = 10_000, seed: int = 2026, truth: str = DEFAULT_FAMILY) -> str:
    """Write a simulated programme (contract CSVs plus ``_truth/``) to ``out``; return the calibration report.

    ``truth`` names the hidden outcome model's family (``matcher.simulate.truths.FAMILIES``); its
    coefficients are drawn from ``seed``. The same seed gives the same citizens, employers and
    opportunities whatever the family; the referral log differs because the outcomes do. Above
    ``settings.sim_national_above`` citizens: a national world of many municipalities
    (``matcher.simulate.national``).
    """
    if n_citizens > get_settings().sim_national_above:
        from matcher.simulate.national import simulate_national

        return simulate_national(Path(out), n_citizens, seed, truth)
    world = run_programme(n_citizens, seed, truth)
    write_world(Path(out), world)
    return world.report


def write_world(out: Path, world: SimulatedWorld) -> None:
    """The world's contract CSVs to ``out`` and its truth to ``out/_truth/``."""
    write_tables(out, world.tables)
    write_truth(out, world.model, world.citizen_latent, world.employer_latent, world.affinity,
                truth_readme(world.truth.family), world.report)


def run_programme(n_citizens: int, seed: int, truth: str = DEFAULT_FAMILY) -> SimulatedWorld:
    """The simulated programme of ``simulate_world``, in memory."""
    if n_citizens < 50:
        raise ValueError(f"simulate_world: n_citizens={n_citizens} is too small; use at least 50")
    family = get_family(truth)
    s = get_settings()
    start = np.datetime64(s.sim_start, "D")
    end = start + np.timedelta64(7 * s.sim_weeks, "D")
    # Streams 0-4 make the world and its log, 5 draws the truth's coefficients and 6 its own latent
    # traits, so the citizens, employers and opportunities do not depend on the family.
    seeds = np.random.SeedSequence(seed).spawn(7)
    rng = [np.random.default_rng(x) for x in seeds]
    tax = load_taxonomy()
    pool = load_pool(tax)
    sig = LATENT_SIGMA

    pop = make_population(rng[0], n_citizens, pool, start, end, STOCK_SHARE, sig["motivation"], sig["affinity"])
    employers, inclusiveness = make_employers(rng[1], max(30, round(EMPLOYERS_PER_CITIZEN * n_citizens)), sig["inclusiveness"])
    opps = make_opportunities(rng[2], max(60, round(OPPORTUNITIES_PER_CITIZEN * n_citizens)), employers, pool, tax, start, end)
    citizens = pop.citizens
    team = team_of(citizens["district"].to_numpy(), citizens["tingbjerg"].to_numpy())
    ps = PolicySettings()
    caseworkers = make_caseworkers(rng[3], team, pop.stock, ps.target_caseload)
    drawn = family.draw(rng[5])
    tastes = rng[6].standard_normal((len(employers), len(TASTES))) if family.uses_tastes else None
    truth = Truth(citizens, pop.work_history, employers, opps, None, pop.motivation, pop.affinity, inclusiveness,
                  params=drawn, family=family.name, tastes=tastes)
    # Calibration: a pilot run of the first PILOT_WEEKS weeks yields pairs as caseworkers propose
    # them; the intercepts are solved on those so that the log's outcome shares per kind land on
    # OUTCOME_TARGETS, then the real run starts afresh.
    cw_team = caseworkers["team"].str.removeprefix("Team ").to_numpy()
    pilot = run_policy(np.random.default_rng(seeds[4]), truth, citizens, team, pop.leave_exogenous,
                       caseworkers.assign(team=cw_team), opps, employers, start, PILOT_WEEKS, ps).referrals
    pairs = (pilot[c].to_numpy() for c in ("cit", "opp", "prop"))
    truth.params = calibrate(family, drawn, truth.inputs(*pairs), OUTCOME_TARGETS)
    truth.set_completed(np.empty(0, np.int64), np.empty(0, np.int64))
    log = run_policy(rng[4], truth, citizens, team, pop.leave_exogenous, caseworkers.assign(team=cw_team),
                     opps, employers, start, s.sim_weeks, ps)

    citizens = citizens.copy()
    citizens["caseworker_id"] = caseworkers["caseworker_id"].to_numpy()[log.caseworker]
    citizens["left_on"] = _dates(log.left_day).to_numpy()
    # The export states months on benefit as of its own date (as of left_on for those who left).
    citizens["months_on_benefit"] = citizens["months_on_benefit"].to_numpy() + calendar_months_between(
        citizens["enrolled_on"], citizens["left_on"].fillna(pd.Timestamp(end))).astype(int)
    opps = opps.copy()
    filled = _dates(log.filled_day)
    opps["open_until"] = pd.to_datetime(opps["open_until"]).where(
        filled.isna().to_numpy() | (pd.to_datetime(opps["open_until"]) < filled.to_numpy()), filled.to_numpy())
    r = log.referrals
    end_day = int((end - EPOCH) / np.timedelta64(1, "D"))
    pending = r["out_day"].to_numpy() > end_day
    referrals = pd.DataFrame({
        "referral_id": [f"R{i + 1:06d}" for i in range(len(r))],
        "citizen_id": citizens["citizen_id"].to_numpy()[r["cit"]],
        "opportunity_id": opps["opportunity_id"].to_numpy()[r["opp"]],
        "caseworker_id": caseworkers["caseworker_id"].to_numpy()[r["cw"]],
        "proposed_on": _dates(r["prop"]).to_numpy(),
        "outcome": np.where(pending, "pending", np.array(OUTCOME_COLUMNS)[r["outcome"].to_numpy()]),
        "outcome_on": _dates(np.where(pending, NEVER, r["out_day"])).to_numpy(),
    })
    assert set(referrals["outcome"]) <= set(OUTCOMES)
    tables = {"caseworkers": caseworkers, "citizens": citizens, "work_history": pop.work_history,
              "employers": employers, "opportunities": opps, "referrals": referrals}
    # As of the export, experience is every completion the tables show (as Truth.load reads it).
    done = (referrals["outcome"] == "completed").to_numpy()
    truth.set_completed(r["cit"].to_numpy()[done], r["out_day"].to_numpy()[done])

    figures = calibration_figures(citizens, referrals, opps, caseworkers, pd.Timestamp(start), pd.Timestamp(end))
    shares = referrals["outcome"].value_counts(normalize=True).round(3).to_dict()
    kinds = referrals.merge(opps[["opportunity_id", "kind"]], on="opportunity_id")["kind"].value_counts(normalize=True).round(3)
    report = calibration_report(figures, {
        "world": f"{n_citizens} citizens, seed {seed}, truth {family.name}, {start} to {end}",
        "tables": ", ".join(f"{k} {len(v)}" for k, v in tables.items()),
        "outcomes": str(shares),
        "kinds proposed": str(kinds.to_dict()),
        "proposals per meeting": str(referrals.groupby(["citizen_id", "proposed_on"]).size()
                                     .value_counts(normalize=True).sort_index().round(3).to_dict()),
    })
    fams = families()
    model = {"truth_family": family.name, "params": truth.params, "ranges": ranges_json(family.ranges),
             "calibration_targets": OUTCOME_TARGETS, "latent_sigma": LATENT_SIGMA, "families": fams,
             "kinds": list(KINDS), "outcome_columns": list(OUTCOME_COLUMNS), "seed": seed, "n_citizens": n_citizens,
             "start": str(start), "end": str(end), "export_date": str(end)}
    cid = citizens["citizen_id"].to_numpy()
    affinity = pd.DataFrame({"citizen_id": np.repeat(cid, len(fams)), "family": np.tile(fams, len(cid)),
                             "affinity": pop.affinity.ravel()})
    employer_latent = pd.DataFrame({"employer_id": employers["employer_id"], "inclusiveness": inclusiveness})
    if tastes is not None:
        employer_latent[[f"taste_{t}" for t in TASTES]] = tastes
    return SimulatedWorld(tables, truth, model, pd.DataFrame({"citizen_id": cid, "motivation": pop.motivation}),
                          employer_latent, affinity, report)
