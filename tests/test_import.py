"""The import end to end: the issue's acceptance case, newer exports, the CLI, and PostgreSQL."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select, text, update

from matcher.db import ImportRun, Referral, User, SOURCE_APP, make_engine
from matcher.importer import ImportRefused, import_folder
from tests.importer_support import (
    copy_export,
    pg_engine_or_skip,
    read_table,
    set_cell,
    snapshot,
    sqlite_engine,
    write_table,
)

UNKNOWN_URI = "http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000"
NEW_URI = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"  # warehouse worker

CPR_SAID = "looks like a CPR number (DDMMYY-XXXX or 10 digits); export the pseudonymous id instead"
ACCEPTANCE_PROBLEMS = [
    "citizens:5:birth_year: not an integer: '19x5'",
    f"citizens:7:citizen_id: {CPR_SAID}",
    "work_history:6:occupation_uri: unknown ESCO occupation URI: "
    f"'{UNKNOWN_URI}' (use a URI from the shipped ESCO v1.2.0 taxonomy)",
    f"work_history:7:citizen_id: {CPR_SAID}",
    "opportunities:4:kind: 'praktik' is not one of: company_placement, wage_subsidy_job, small_job, "
    "ordinary_job, flex_job, course, education",
    "referrals:3:opportunity_id: 'O77' not found in opportunities.opportunity_id",
    f"referrals:6:citizen_id: {CPR_SAID}",
    "referrals:9:outcome_on: 2020-01-01 is before proposed_on 2021-05-01; outcome_on cannot come before proposed_on",
]


def break_six_ways(folder) -> None:
    """The issue's acceptance folder: six different problems in one export."""
    set_cell(folder, "citizens", 5, "birth_year", "19x5")
    # P0006 becomes a CPR number everywhere it appears: each appearance is reported, none echoed.
    for table, row in (("citizens", 7), ("work_history", 7), ("referrals", 6)):
        set_cell(folder, table, row, "citizen_id", "010190-1234")
    set_cell(folder, "work_history", 6, "occupation_uri", UNKNOWN_URI)
    set_cell(folder, "opportunities", 4, "kind", "praktik")
    set_cell(folder, "referrals", 3, "opportunity_id", "O77")
    set_cell(folder, "referrals", 9, "outcome_on", "2020-01-01")


def record_in_app(engine) -> None:
    """What caseworkers did in the app: a proposal, an outcome, an account for a liaison."""
    with engine.begin() as conn:
        conn.execute(Referral.__table__.insert().values(
            referral_id="APP-1", citizen_id="P0003", opportunity_id="O07", caseworker_id="cw05",
            proposed_on=date(2023, 4, 1), outcome="pending", source=SOURCE_APP,
            recorded_by="sara", recorded_at=datetime(2023, 4, 1, 10, 0),
        ))
        for referral_id in ("R007", "R005"):
            conn.execute(update(Referral.__table__).where(Referral.referral_id == referral_id).values(
                outcome="completed", outcome_on=date(2023, 1, 5), outcome_source=SOURCE_APP,
                recorded_by="mette", recorded_at=datetime(2023, 1, 5, 9, 30),
            ))
        conn.execute(User.__table__.insert().values(
            username="ida", role="employer_liaison", caseworker_id="cw09", password_hash=None,
        ))


def test_acceptance_every_problem_listed_and_database_unchanged(tmp_path):
    engine = sqlite_engine(tmp_path)
    import_folder(copy_export(tmp_path / "first"), engine)
    record_in_app(engine)
    before = snapshot(engine)
    folder = copy_export(tmp_path / "broken")
    break_six_ways(folder)
    with pytest.raises(ImportRefused) as caught:
        import_folder(folder, engine)
    assert caught.value.problems == ACCEPTANCE_PROBLEMS
    assert "010190-1234" not in str(caught.value)
    assert snapshot(engine) == before


def newer_export(folder) -> None:
    """The next night's export: some rows change, some appear, some disappear."""
    set_cell(folder, "citizens", 2, "months_on_benefit", "41")  # P0001
    set_cell(folder, "opportunities", 3, "capacity", "2")  # O02
    set_cell(folder, "referrals", 10, "outcome", "hired")  # R009
    set_cell(folder, "referrals", 10, "outcome_on", "2023-05-01")
    set_cell(folder, "work_history", 4, "end_on", "2017-06-30")  # P0002's only job
    citizens = read_table(folder, "citizens")
    new = citizens.iloc[[0]].assign(citizen_id="P0011", job_wishes=NEW_URI, notes="Ny borger")
    write_table(folder, "citizens", pd.concat([citizens[citizens.citizen_id != "P0003"], new]))
    history = read_table(folder, "work_history")
    new_job = history.iloc[[0]].assign(citizen_id="P0011", occupation_uri=NEW_URI)
    write_table(folder, "work_history", pd.concat([history[history.citizen_id != "P0003"], new_job]))
    for table, key, gone in (
        ("opportunities", "opportunity_id", {"O07"}),
        ("employers", "employer_id", {"E08"}),
        ("caseworkers", "caseworker_id", {"cw08", "cw09"}),
        ("referrals", "referral_id", {"R008", "R005"}),
    ):
        frame = read_table(folder, table)
        write_table(folder, table, frame[~frame[key].isin(gone)])


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def check_newer_export(tmp_path, engine) -> None:
    import_folder(copy_export(tmp_path / "first"), engine)
    record_in_app(engine)
    folder = copy_export(tmp_path / "second")
    newer_export(folder)
    summary = import_folder(folder, engine)
    c = summary.counts
    assert c["citizens"] == dict(inserted=1, updated=1, unchanged=8, deleted=0, kept=1)
    assert c["opportunities"] == dict(inserted=0, updated=1, unchanged=8, deleted=0, kept=1)
    assert c["employers"] == dict(inserted=0, updated=0, unchanged=9, deleted=1, kept=0)
    assert c["caseworkers"] == dict(inserted=0, updated=0, unchanged=8, deleted=1, kept=1)
    # R009 changed; R007's export outcome (pending) loses against the app's; R005 vanished but is kept.
    assert c["referrals"] == dict(inserted=0, updated=1, unchanged=7, deleted=1, kept=1)
    assert c["work_history"] == dict(inserted=2, updated=0, unchanged=8, deleted=1, kept=0)

    assert rows(engine, "select months_on_benefit from citizens where citizen_id='P0001'") == [(41,)]
    assert rows(engine, "select capacity from opportunities where opportunity_id='O02'") == [(2,)]
    r = Referral.__table__.c
    with engine.connect() as conn:
        r009 = conn.execute(select(r.outcome, r.outcome_on, r.source).where(r.referral_id == "R009")).all()
    assert [tuple(x) for x in r009] == [("hired", date(2023, 5, 1), "import")]
    app_rows = "select referral_id, outcome, outcome_source, recorded_by from referrals " \
               "where source='app' or outcome_source='app' order by referral_id"
    assert rows(engine, app_rows) == [
        ("APP-1", "pending", None, "sara"),
        ("R005", "completed", "app", "mette"),
        ("R007", "completed", "app", "mette"),
    ]
    assert rows(engine, "select count(*) from referrals where referral_id='R008'") == [(0,)]
    # Kept because the app's proposal APP-1 refers to them; the liaison cw09 has an app account.
    assert rows(engine, "select count(*) from citizens where citizen_id='P0003'") == [(1,)]
    assert rows(engine, "select count(*) from work_history where citizen_id='P0003'") == [(1,)]
    assert rows(engine, "select count(*) from opportunities where opportunity_id='O07'") == [(1,)]
    assert rows(engine, "select caseworker_id from caseworkers where caseworker_id in ('cw08','cw09')") == [("cw09",)]
    assert rows(engine, "select count(*) from employers where employer_id='E08'") == [(0,)]
    assert rows(engine, "select count(*) from work_history where citizen_id='P0011'") == [(1,)]
    assert any("outcome(s) entered in the app differ from the export" in w and "R007" in w for w in summary.warnings)
    assert any(w.startswith("citizens: 1 row(s) no longer in the export were kept") for w in summary.warnings)


def test_newer_export_updates_and_keeps_what_the_app_recorded(tmp_path):
    check_newer_export(tmp_path, sqlite_engine(tmp_path))


def test_each_load_is_recorded_with_the_files_fingerprint(tmp_path):
    engine = sqlite_engine(tmp_path)
    folder = copy_export(tmp_path)
    first = import_folder(folder, engine)
    second = import_folder(folder, engine)
    digest = hashlib.sha256()
    for table in ("caseworkers", "citizens", "work_history", "employers", "opportunities", "referrals"):
        digest.update(f"{table}.csv".encode())
        digest.update((folder / f"{table}.csv").read_bytes())
    assert first.fingerprint == second.fingerprint == digest.hexdigest()
    assert all(c["inserted"] == c["updated"] == c["deleted"] == 0 for c in second.counts.values())
    with engine.connect() as conn:
        runs = conn.execute(select(ImportRun).order_by(ImportRun.id)).all()
    assert [r.fingerprint for r in runs] == [digest.hexdigest()] * 2
    assert runs[0].counts["referrals"]["inserted"] == 10 and runs[1].counts["referrals"]["unchanged"] == 10
    assert runs[0].source_dir == str(folder.resolve())


def refuse_midway(engine) -> None:
    """Make the database itself refuse the last table's rows, after earlier tables were written."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(
                "create trigger no_hires before insert on referrals when new.outcome = 'hired' "
                "begin select raise(abort, 'hires are not accepted here'); end"
            ))
        else:
            conn.execute(text("alter table referrals add constraint no_hires check (outcome <> 'hired')"))


def check_rollback(tmp_path, engine) -> None:
    folder = copy_export(tmp_path / "first")
    frame = read_table(folder, "referrals")
    write_table(folder, "referrals", frame[frame.outcome != "hired"])
    import_folder(folder, engine)
    record_in_app(engine)
    refuse_midway(engine)
    before = snapshot(engine)
    newer = copy_export(tmp_path / "second")
    newer_export(newer)  # changes citizens, opportunities, work history ... and brings R002 'hired'
    with pytest.raises(ImportRefused) as caught:
        import_folder(newer, engine)
    assert caught.value.problems[0].startswith("-:-:-: the database refused the load, nothing was loaded")
    assert snapshot(engine) == before


def test_a_database_error_midway_rolls_everything_back(tmp_path):
    check_rollback(tmp_path, sqlite_engine(tmp_path))


def shrink_refused(engine, folder, table: str, removed: int, before: int) -> None:
    start = snapshot(engine)
    with pytest.raises(ImportRefused) as caught:
        import_folder(folder, engine)
    assert caught.value.problems == [
        f"{table}:-:-: this export would remove {removed} of the {before} rows in the database "
        f"({removed / before:.0%}); more than 20% (the setting import_max_shrink) is removed only with "
        "`matcher import DIR --allow-shrink`"
    ]
    assert snapshot(engine) == start


def test_a_header_only_referrals_file_does_not_delete_the_history(tmp_path):
    engine = sqlite_engine(tmp_path)
    import_folder(copy_export(tmp_path / "first"), engine)
    folder = copy_export(tmp_path / "second")
    path = folder / "referrals.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    shrink_refused(engine, folder, "referrals", 10, 10)
    summary = import_folder(folder, engine, allow_shrink=True)
    assert summary.counts["referrals"]["deleted"] == 10


def test_a_work_history_cut_short_does_not_delete_jobs(tmp_path):
    engine = sqlite_engine(tmp_path)
    import_folder(copy_export(tmp_path / "first"), engine)
    folder = copy_export(tmp_path / "second")
    path = folder / "work_history.csv"
    data = path.read_bytes()
    cut = data[: data.index(b"\n", len(data) // 2) + 1]  # a file cut at a line: every row still valid
    path.write_bytes(cut)
    kept = cut.count(b"\n") - 1
    shrink_refused(engine, folder, "work_history", 10 - kept, 10)
    path.write_bytes(data[: len(data) // 2])  # cut inside a row: that row is refused as it is
    last = data[: len(data) // 2].count(b"\n") + 1
    with pytest.raises(ImportRefused) as caught:
        import_folder(folder, engine)
    assert all(p.startswith(f"work_history:{last}:") for p in caught.value.problems), caught.value.problems


def test_cli_allow_shrink(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "MATCHER_DB_URL": url}
    import_folder(copy_export(tmp_path / "first"), make_engine(url))
    folder = copy_export(tmp_path / "second")
    frame = read_table(folder, "referrals")
    write_table(folder, "referrals", frame[~frame.referral_id.isin(["R008", "R009", "R010"])])
    command = [sys.executable, "-m", "matcher.cli", "import", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2 and done.stderr.startswith("referrals:-:-: this export would remove 3 of the 10"), done.stderr
    done = subprocess.run(command + ["--allow-shrink"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3 removed" in done.stdout


def test_cli_exits_2_and_lists_the_problems(tmp_path):
    folder = copy_export(tmp_path)
    break_six_ways(folder)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "MATCHER_DB_URL": url}
    done = subprocess.run([sys.executable, "-m", "matcher.cli", "import", str(folder)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == ACCEPTANCE_PROBLEMS + [
        f"import refused: {len(ACCEPTANCE_PROBLEMS)} problem(s); nothing was loaded"]
    good = copy_export(tmp_path / "good")
    done = subprocess.run([sys.executable, "-m", "matcher.cli", "import", str(good)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "referrals" in done.stdout and "10 new" in done.stdout


# ---- PostgreSQL (MATCHER_TEST_PG_URL; scripts/postgres.sh starts one) ---------------------------


@pytest.fixture
def pg_engine():
    engine, drop = pg_engine_or_skip()
    yield engine
    drop()


def test_postgres_import_matches_sqlite(tmp_path, pg_engine):
    folder = copy_export(tmp_path)
    lite = sqlite_engine(tmp_path)
    assert import_folder(folder, pg_engine).counts == import_folder(folder, lite).counts
    left, right = snapshot(pg_engine), snapshot(lite)
    for name in ("import_runs",):
        left.pop(name), right.pop(name)
    assert left == right
    with pg_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportRun.__table__)).scalar() == 1


def test_postgres_newer_export(tmp_path, pg_engine):
    check_newer_export(tmp_path, pg_engine)


def test_postgres_refusal_leaves_the_database_unchanged(tmp_path, pg_engine):
    import_folder(copy_export(tmp_path / "first"), pg_engine)
    before = snapshot(pg_engine)
    folder = copy_export(tmp_path / "broken")
    break_six_ways(folder)
    with pytest.raises(ImportRefused) as caught:
        import_folder(folder, pg_engine)
    assert caught.value.problems == ACCEPTANCE_PROBLEMS
    assert snapshot(pg_engine) == before


def test_postgres_database_error_midway_rolls_back(tmp_path, pg_engine):
    check_rollback(tmp_path, pg_engine)


def test_postgres_too_long_text_is_refused_before_the_database_would_fail(tmp_path, pg_engine):
    folder = copy_export(tmp_path)
    set_cell(folder, "employers", 2, "name", "A" * 301)
    with pytest.raises(ImportRefused) as caught:
        import_folder(folder, pg_engine)
    assert caught.value.problems == ["employers:2:name: too long: 301 characters, at most 300 are allowed"]
