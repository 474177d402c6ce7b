"""Data tests on a simulated world: the contract's rules, plausibility, determinism, calibration."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from typer.testing import CliRunner

from matcher.cli import app
from matcher.contract import KINDS, TABLE_ORDER, TABLES
from matcher.simulate import simulate_world
from matcher.simulate.calibration import calibration_figures
from matcher.simulate.truths import DEFAULT_FAMILY, FAMILIES
from matcher.simulate.writer import read_tables
from matcher.taxonomy import load_taxonomy
from tests.conftest import SMALL_CITIZENS, SMALL_SEED

CPR = re.compile(r"^(\d{10}|\d{6}-\d{4})$")


@pytest.fixture(scope="module")
def tables(small_world_dir):
    return read_tables(small_world_dir)


def test_every_table_has_the_contract_columns_in_order(small_world_dir):
    for table in TABLE_ORDER:
        header = (small_world_dir / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(TABLES[table].column_names), table


def test_ids_unique_and_never_cpr_shaped(tables):
    for table, key in (("caseworkers", "caseworker_id"), ("citizens", "citizen_id"), ("employers", "employer_id"),
                       ("opportunities", "opportunity_id"), ("referrals", "referral_id")):
        ids = tables[table][key]
        assert ids.is_unique, table
        assert not ids.str.match(CPR).any(), table
        assert not ids.str.fullmatch(r"\d+").any(), f"{table}: ids must not look numeric"


def test_foreign_keys_resolve(tables):
    t = tables
    assert t["citizens"]["caseworker_id"].isin(t["caseworkers"]["caseworker_id"]).all()
    assert t["work_history"]["citizen_id"].isin(t["citizens"]["citizen_id"]).all()
    assert t["referrals"]["citizen_id"].isin(t["citizens"]["citizen_id"]).all()
    assert t["referrals"]["opportunity_id"].isin(t["opportunities"]["opportunity_id"]).all()
    assert t["referrals"]["caseworker_id"].isin(t["caseworkers"]["caseworker_id"]).all()
    o = t["opportunities"]
    employer_kinds = ~o["kind"].isin(["course", "education"])
    assert o.loc[employer_kinds, "employer_id"].isin(t["employers"]["employer_id"]).all()
    assert (o.loc[~employer_kinds, "employer_id"] == "").all()
    assert (o.loc[~employer_kinds, "provider"] != "").all()


def test_enums_and_ranges_follow_the_contract(tables):
    for table in TABLE_ORDER:
        frame = tables[table]
        for col in TABLES[table].columns:
            v = frame[col.name]
            if col.type == "enum":
                assert v.isin(col.enum).all() or (not col.required and v.isin(col.enum + ("",)).all()), (table, col.name)
            if col.type == "list_enum":
                assert all(set(x) <= set(col.enum) for x in v), (table, col.name)
            if col.required:
                assert v.notna().all() and not (v.astype(str) == "").any(), (table, col.name)
            if col.min is not None:
                assert (v.dropna() >= col.min).all(), (table, col.name)
            if col.max is not None:
                assert (v.dropna() <= col.max).all(), (table, col.name)
    o = tables["opportunities"]
    assert set(o["kind"]) == set(KINDS)
    assert o.loc[o["kind"] != "course", "occupation_uri"].ne("").all()


def test_every_uri_is_in_the_taxonomy_and_never_a_professional(tables):
    tax = load_taxonomy()
    uris = set(tables["work_history"]["occupation_uri"]) | {u for w in tables["citizens"]["job_wishes"] for u in w}
    assert uris and all(u in tax for u in uris)
    assert all(tax.frame.loc[u, "isco_code"][0] in "45789" for u in uris)
    opp = set(tables["opportunities"]["occupation_uri"]) - {""}
    assert all(u in tax for u in opp)


def test_dates_are_ordered(tables):
    t = tables
    c, o, r, w = t["citizens"], t["opportunities"], t["referrals"], t["work_history"]
    assert (c["left_on"].isna() | (c["enrolled_on"] <= c["left_on"])).all()
    assert (o["open_until"].isna() | (o["open_from"] <= o["open_until"])).all()
    assert (r["outcome_on"].isna() | (r["proposed_on"] < r["outcome_on"])).all()
    assert (w["end_on"].isna() | (w["start_on"] <= w["end_on"])).all()
    # Pending exactly when no outcome date; proposals only to active citizens and open opportunities.
    assert ((r["outcome"] == "pending") == r["outcome_on"].isna()).all()
    rc = r.merge(c, on="citizen_id")
    assert ((rc["proposed_on"] >= rc["enrolled_on"]) & (rc["left_on"].isna() | (rc["proposed_on"] < rc["left_on"]))).all()
    ro = r.merge(o, on="opportunity_id")
    assert ((ro["proposed_on"] >= ro["open_from"]) & (ro["open_until"].isna() | (ro["proposed_on"] < ro["open_until"]))).all()


def test_free_capacity_never_negative_on_any_proposal_day(tables):
    r, o = tables["referrals"], tables["opportunities"].set_index("opportunity_id")
    far = pd.Timestamp("2100-01-01")
    end = r["outcome_on"].fillna(far)
    # For each proposal day, count referrals to the same opportunity unresolved on that day.
    m = r[["opportunity_id", "proposed_on"]].assign(end=end).merge(
        r[["opportunity_id", "proposed_on"]].drop_duplicates().rename(columns={"proposed_on": "day"}),
        on="opportunity_id")
    busy = m[(m["proposed_on"] <= m["day"]) & (m["end"] > m["day"])].groupby(["opportunity_id", "day"]).size()
    cap = o.loc[busy.index.get_level_values(0), "capacity"].to_numpy()
    assert (busy.to_numpy() <= cap).all()


def test_people_are_30_plus_and_benefits_follow_origin(tables):
    c = tables["citizens"]
    enrol_year = c["enrolled_on"].dt.year
    assert (enrol_year - c["birth_year"] >= 30).all()
    assert (c.loc[c["benefit"] == "integrationsydelse", "origin"] != "danish").all()
    # Danish goes with origin, and Tingbjerg (2700) is over-represented relative to its size.
    by_origin = c.groupby("origin")["danish_level"].mean()
    assert by_origin["danish"] > by_origin["non_western"] + 1
    assert (c["home_postcode"] == "2700").mean() > 0.1
    assert 0.6 < c["candidate_search_consent"].mean() < 0.98


def test_barriers_cluster_mental_health_with_substance_use(tables):
    b = tables["citizens"]["barriers"]
    mental = b.map(lambda x: "mental_health" in x)
    substance = b.map(lambda x: "substance_use" in x)
    assert substance[mental].mean() > 1.5 * substance[~mental].mean()


def test_caseloads_near_target_where_size_allows(tables):
    c, cw = tables["citizens"], tables["caseworkers"]
    staff = cw.loc[cw["role"] == "caseworker", "caseworker_id"]
    assert c["caseworker_id"].isin(staff).all()
    d = pd.Timestamp("2023-06-01")
    active = c[(c["enrolled_on"] <= d) & (c["left_on"].isna() | (c["left_on"] > d))]
    assert 33 <= len(active) / len(staff) <= 43  # 35-40 in the default world; a small one rounds coarsely
    assert (cw["role"] == "employer_liaison").any()


def test_notes_are_danish_and_hold_no_ids(tables):
    notes = tables["citizens"]["notes"]
    assert notes.str.len().min() > 20
    assert notes.str.contains("dansk|Dansk|arbejde|Borger", regex=True).mean() > 0.9
    assert not notes.str.contains(r"\d{6}-?\d{4}").any()
    assert not notes.str.contains(r"C\d{6}").any()


def test_history_is_rich_enough_to_learn_from(tables):
    r = tables["referrals"]
    assert len(r) > 3 * len(tables["citizens"])
    shares = r["outcome"].value_counts(normalize=True)
    assert set(shares.index) == {"pending", "declined", "rejected", "no_show", "dropped_out", "completed", "hired"}
    assert 0 < shares["pending"] < 0.1
    hired = r[r["outcome"] == "hired"].merge(tables["citizens"], on="citizen_id")
    assert (hired["left_on"].notna() | hired["outcome_on"].isna()).all()


def test_same_seed_same_bytes_other_seed_other_world(tmp_path, small_world_dir):
    again = tmp_path / "again"
    # Another process with another string-hash seed: nothing may depend on set or dict order.
    code = f"from pathlib import Path; from matcher.simulate import simulate_world; simulate_world(Path({str(again)!r}), {SMALL_CITIZENS}, {SMALL_SEED})"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    files = sorted(p.relative_to(small_world_dir) for p in small_world_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for f in files:
        assert (small_world_dir / f).read_bytes() == (again / f).read_bytes(), f
    other = tmp_path / "other"
    simulate_world(other, n_citizens=SMALL_CITIZENS, seed=SMALL_SEED + 1)
    assert (other / "citizens.csv").read_bytes() != (small_world_dir / "citizens.csv").read_bytes()
    # Another seed, other coefficients (the intercepts aside, every drawn one differs).
    params = [json.loads((w / "_truth" / "model.json").read_text())["params"] for w in (small_world_dir, other)]
    assert params[0]["decline"]["wish"] != params[1]["decline"]["wish"]
    assert params[0]["commute"]["speed_kmh"] != params[1]["commute"]["speed_kmh"]


@pytest.mark.parametrize("name", [n for n in FAMILIES if n != DEFAULT_FAMILY])
def test_every_family_gives_the_same_files_for_the_same_seed(name, tmp_path, family_worlds):
    again = tmp_path / name
    simulate_world(again, n_citizens=SMALL_CITIZENS, seed=SMALL_SEED, truth=name)
    first = family_worlds[name][0]
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for f in files:
        assert (first / f).read_bytes() == (again / f).read_bytes(), f


def test_the_default_family_is_the_funnel_and_families_share_the_people(small_world_dir, family_worlds):
    assert DEFAULT_FAMILY == "funnel"
    funnel = family_worlds["funnel"][0]
    for f in ("citizens.csv", "referrals.csv", "_truth/model.json"):
        assert (funnel / f).read_bytes() == (small_world_dir / f).read_bytes(), f
    # The truth changes outcomes, not who is there: people, employers and past jobs are the same.
    people = {n: read_tables(folder) for n, (folder, _) in family_worlds.items()}
    fixed = ["citizen_id", "birth_year", "home_postcode", "danish_level", "education", "enrolled_on", "job_wishes"]
    for n, t in people.items():
        assert t["citizens"][fixed].equals(people["funnel"]["citizens"][fixed]), n
        assert (family_worlds[n][0] / "employers.csv").read_bytes() == (funnel / "employers.csv").read_bytes(), n
        assert (family_worlds[n][0] / "work_history.csv").read_bytes() == (funnel / "work_history.csv").read_bytes(), n
        assert not t["referrals"]["outcome"].equals(people["funnel"]["referrals"]["outcome"]) or n == "funnel"


def test_the_command_lists_the_families_and_refuses_an_unknown_one(tmp_path):
    runner = CliRunner(env={"COLUMNS": "1000"})
    shown = runner.invoke(app, ["simulate", "--help"])
    assert shown.exit_code == 0
    for name, summary in FAMILIES.items():
        assert f"{name}: {summary}" in " ".join(shown.output.split()), name
    refused = runner.invoke(app, ["simulate", "--out", str(tmp_path / "w"), "--truth", "linear"])
    assert refused.exit_code == 2
    assert "unknown family 'linear'; choose one of funnel, additive, interactions" in " ".join(refused.output.split())
    assert not (tmp_path / "w").exists()
    with pytest.raises(ValueError, match="unknown truth family 'linear'"):
        simulate_world(tmp_path / "w", n_citizens=SMALL_CITIZENS, truth="linear")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_calibration_within_tolerance_on_a_small_world(name, family_worlds):
    tables = read_tables(family_worlds[name][0])
    figures = calibration_figures(tables["citizens"], tables["referrals"], tables["opportunities"],
                                  tables["caseworkers"], pd.Timestamp("2022-01-03"), pd.Timestamp("2024-12-30"))
    by = {f.name[:3]: f for f in figures}
    # (a)'s cohort here is about 400 people (standard error ~2.5 points): allow two of them more.
    assert by["(a)"].low - 5 <= by["(a)"].simulated <= by["(a)"].high + 5, by["(a)"]
    # So is (d)'s stock at the export (about 350 people).
    assert by["(d)"].low - 5 <= by["(d)"].simulated <= by["(d)"].high + 5, by["(d)"]
    # Counts in a 600-citizen world carry sampling noise of about +-10 %: allow twice the tolerance.
    b = by["(b)"]
    assert 0.8 * b.published <= b.simulated <= 1.2 * b.published, b
    assert 33 <= by["(c)"].simulated <= 43


def test_too_small_a_world_is_refused(tmp_path):
    with pytest.raises(ValueError, match="n_citizens"):
        simulate_world(tmp_path, n_citizens=10)


def test_report_lists_every_figure_with_a_verdict(small_world_dir):
    text = (small_world_dir / "_truth" / "calibration.txt").read_text()
    assert text.count("PASS") + text.count("FAIL") == 4
    assert "proposals per meeting" in text
    assert np.isin(["(a)", "(b)", "(c)", "(d)"], text.split()).all()


def test_meetings_hold_several_proposals_mostly_of_one_or_two_kinds(tables):
    r = tables["referrals"].merge(tables["opportunities"][["opportunity_id", "kind"]], on="opportunity_id")
    meetings = r.groupby(["citizen_id", "proposed_on"])
    size = meetings.size()
    assert size.max() <= 4
    assert (size >= 2).mean() > 0.4  # a ranker has something to compare within most queries
    assert 1.6 < size.mean() < 2.6
    assert (meetings["kind"].nunique() <= 2).mean() > 0.85
    # Never the same opportunity twice to one citizen, so never twice in one meeting.
    assert not r.duplicated(["citizen_id", "opportunity_id"]).any()


def test_a_hire_ends_the_other_proposals_of_the_meeting(tables):
    r = tables["referrals"]
    hires = r[r["outcome"] == "hired"].groupby(["citizen_id", "proposed_on"])["outcome_on"].min().rename("hired_on")
    same = r.join(hires, on=["citizen_id", "proposed_on"], how="inner")
    assert len(same) > len(hires)  # hires share meetings with other proposals
    # Nothing of the meeting resolves after the hire: what was still open then was declined.
    assert (same["outcome_on"] <= same["hired_on"]).all()
    at_hire = same[(same["outcome_on"] == same["hired_on"]) & (same["outcome"] != "hired")]
    assert len(at_hire) and (at_hire["outcome"] == "declined").mean() > 0.5  # a few resolve that day anyway


def test_months_on_benefit_is_stated_as_of_the_export_or_left_on(small_world_dir, tables):
    import json

    from matcher.world import calendar_months_between

    model = json.loads((small_world_dir / "_truth" / "model.json").read_text())
    export = pd.Timestamp(model["export_date"])
    assert export == pd.Timestamp(model["end"])
    c = tables["citizens"]
    ref = c["left_on"].fillna(export)
    at_enrolment = c["months_on_benefit"] - calendar_months_between(c["enrolled_on"], ref)
    assert (at_enrolment >= 0).all()  # the spell covers the whole stay in the programme
    # Someone still there at the export has been on benefit at least since enrolment.
    stays = c["left_on"].isna()
    assert (c.loc[stays, "months_on_benefit"] >= calendar_months_between(c.loc[stays, "enrolled_on"], [export] * stays.sum())).all()
