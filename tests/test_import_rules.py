"""One test per rule of the data contract: each bad cell is reported where it is, as it should be."""
from __future__ import annotations

import pandas as pd
import pytest

from matcher.importer import ImportRefused, import_folder
from tests.importer_support import copy_export, read_table, set_cell, snapshot, sqlite_engine, write_table

UNKNOWN_URI = "http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000"


@pytest.fixture
def export(tmp_path):
    return copy_export(tmp_path)


@pytest.fixture
def engine(tmp_path):
    return sqlite_engine(tmp_path)


def refused(folder, engine) -> list[str]:
    """The problems of a folder that must be refused; the database must stay empty."""
    before = snapshot(engine)
    with pytest.raises(ImportRefused) as caught:
        import_folder(folder, engine)
    assert snapshot(engine) == before
    return caught.value.problems


def test_valid_export_loads_without_warnings(export, engine):
    summary = import_folder(export, engine)
    assert summary.warnings == []
    assert summary.counts["citizens"]["inserted"] == 10


def test_missing_required_table(export, engine):
    (export / "referrals.csv").unlink()
    assert refused(export, engine) == [
        "referrals:-:-: required table is missing: put referrals.csv or referrals.parquet in the folder"
    ]


def test_missing_optional_table_is_fine(export, engine):
    (export / "work_history.csv").unlink()
    summary = import_folder(export, engine)
    assert "work_history" not in summary.counts


def test_other_files_and_truth_folder_are_ignored(export, engine):
    (export / "_truth").mkdir()
    (export / "_truth" / "citizens.csv").write_text("garbage\n")
    (export / "README.txt").write_text("not a table")
    assert import_folder(export, engine).warnings == []


def test_both_csv_and_parquet_for_one_table(export, engine):
    read_table(export, "employers").to_parquet(export / "employers.parquet")
    problems = refused(export, engine)
    assert "employers:-:-: both employers.csv and employers.parquet are present; keep only one of them" in problems


def test_missing_required_column(export, engine):
    write_table(export, "citizens", read_table(export, "citizens").drop(columns=["birth_year"]))
    assert refused(export, engine) == [
        "citizens:1:birth_year: required column is missing from the header row; add it"
    ]


def test_unknown_column_is_a_warning(export, engine):
    frame = read_table(export, "employers")
    frame["cvr_number"] = "12345678"
    write_table(export, "employers", frame)
    summary = import_folder(export, engine)
    assert summary.warnings == ["employers: ignored column(s) not in the data contract: 'cvr_number'"]


def test_missing_required_value(export, engine):
    set_cell(export, "caseworkers", 4, "name", "")
    assert refused(export, engine) == ["caseworkers:4:name: required value is missing"]


@pytest.mark.parametrize(
    "table,row,column,value,expected",
    [
        ("citizens", 5, "birth_year", "19x5", "citizens:5:birth_year: not an integer: '19x5'"),
        ("citizens", 3, "months_on_benefit", "7.5", "citizens:3:months_on_benefit: not an integer: '7.5'"),
        ("employers", 2, "lat", "55,7", "employers:2:lat: not a number: '55,7' (use a point as the decimal separator)"),
        ("opportunities", 3, "wage_per_hour", "cheap", "opportunities:3:wage_per_hour: not a number: 'cheap'"),
        ("citizens", 2, "enrolled_on", "01-03-2021", "citizens:2:enrolled_on: not a date (write YYYY-MM-DD): '01-03-2021'"),
        ("referrals", 4, "proposed_on", "2022-02-30", "referrals:4:proposed_on: not a date (write YYYY-MM-DD): '2022-02-30'"),
        ("citizens", 6, "has_drivers_license", "yes", "citizens:6:has_drivers_license: not a boolean (write true/false or 1/0): 'yes'"),
    ],
)
def test_bad_values_of_each_type(export, engine, table, row, column, value, expected):
    set_cell(export, table, row, column, value)
    assert refused(export, engine) == [expected]


def test_enum_value(export, engine):
    set_cell(export, "referrals", 3, "outcome", "succes")
    set_cell(export, "citizens", 2, "barriers", "debt;gambling")
    assert refused(export, engine) == [
        "citizens:2:barriers: 'gambling' is not one of: physical_health, mental_health, substance_use, "
        "housing, debt, childcare, caring_duties, workplace_culture, criminal_record",
        "referrals:3:outcome: 'succes' is not one of: pending, declined, rejected, no_show, dropped_out, completed, hired",
    ]


def test_ranges(export, engine):
    set_cell(export, "citizens", 2, "danish_level", "5")
    set_cell(export, "citizens", 3, "max_hours_per_week", "0")
    set_cell(export, "opportunities", 2, "capacity", "-1")
    assert refused(export, engine) == [
        "citizens:2:danish_level: 5 is above the maximum 4",
        "citizens:3:max_hours_per_week: 0 is below the minimum 1",
        "opportunities:2:capacity: -1 is below the minimum 1",
    ]


def test_postcodes(export, engine):
    set_cell(export, "citizens", 2, "home_postcode", "800")
    set_cell(export, "employers", 3, "postcode", "DK-2500")
    set_cell(export, "opportunities", 4, "postcode", "0123")
    assert refused(export, engine) == [
        "citizens:2:home_postcode: not a Danish 4-digit postcode: '800' (a leading zero may have been lost: write all four digits)",
        "employers:3:postcode: not a Danish 4-digit postcode: 'DK-2500'",
        "opportunities:4:postcode: not a Danish 4-digit postcode: '0123'",
    ]


@pytest.mark.parametrize("cpr", ["010190-1234", "0101901234", "9999999999"])
def test_cpr_shaped_ids_are_rejected_without_repeating_them(export, engine, cpr):
    set_cell(export, "caseworkers", 11, "caseworker_id", cpr)  # cw10, referred to by P0010 and R009
    problems = refused(export, engine)
    assert problems[0] == (
        "caseworkers:11:caseworker_id: looks like a CPR number (DDMMYY-XXXX or 10 digits); "
        "export the pseudonymous id instead"
    )
    assert not any(cpr in p for p in problems)


def test_cpr_shaped_id_in_a_referring_column(export, engine):
    set_cell(export, "referrals", 2, "citizen_id", "311299-0001")
    problems = refused(export, engine)
    assert problems[0].startswith("referrals:2:citizen_id: looks like a CPR number")


def test_numeric_looking_ids_stay_strings(export, engine):
    # cw10 is on row 11 of caseworkers, and referred to by P0010 (row 11) and R009 (row 10).
    for table, row in (("caseworkers", 11), ("citizens", 11), ("referrals", 10)):
        set_cell(export, table, row, "caseworker_id", "007")
    import_folder(export, engine)
    with engine.connect() as conn:
        ids = {r[0] for r in conn.exec_driver_sql("select caseworker_id from caseworkers")}
    assert "007" in ids and "7" not in ids


def test_duplicate_key(export, engine):
    set_cell(export, "employers", 3, "employer_id", "E01")
    problems = refused(export, engine)
    assert problems[:2] == [
        "employers:2:employer_id: duplicate id 'E01' (on rows 2, 3); ids must be unique",
        "employers:3:employer_id: duplicate id 'E01' (on rows 2, 3); ids must be unique",
    ]


def test_broken_foreign_keys(export, engine):
    set_cell(export, "referrals", 5, "opportunity_id", "O99")
    set_cell(export, "citizens", 4, "caseworker_id", "cw99")
    assert refused(export, engine) == [
        "citizens:4:caseworker_id: 'cw99' not found in caseworkers.caseworker_id",
        "referrals:5:opportunity_id: 'O99' not found in opportunities.opportunity_id",
    ]


def test_unknown_esco_uris(export, engine):
    set_cell(export, "opportunities", 2, "occupation_uri", UNKNOWN_URI)
    set_cell(export, "work_history", 3, "occupation_uri", "cleaner")
    frame = read_table(export, "citizens")
    frame.loc[0, "job_wishes"] = frame.loc[0, "job_wishes"] + ";" + UNKNOWN_URI
    write_table(export, "citizens", frame)
    hint = " (use a URI from the shipped ESCO v1.2.0 taxonomy)"
    assert refused(export, engine) == [
        f"citizens:2:job_wishes: unknown ESCO occupation URI: '{UNKNOWN_URI}'" + hint,
        "work_history:3:occupation_uri: unknown ESCO occupation URI: 'cleaner'" + hint,
        f"opportunities:2:occupation_uri: unknown ESCO occupation URI: '{UNKNOWN_URI}'" + hint,
    ]


def test_dates_out_of_order(export, engine):
    set_cell(export, "referrals", 2, "outcome_on", "2022-01-15")  # proposed 2022-02-01
    set_cell(export, "opportunities", 3, "open_until", "2021-12-31")  # open from 2022-03-01
    assert refused(export, engine) == [
        "opportunities:3:open_until: 2021-12-31 is before open_from 2022-03-01; open_until cannot come before open_from",
        "referrals:2:outcome_on: 2022-01-15 is before proposed_on 2022-02-01; outcome_on cannot come before proposed_on",
    ]


def test_conditional_requirements(export, engine):
    set_cell(export, "opportunities", 2, "employer_id", "")  # a company placement needs its employer
    set_cell(export, "opportunities", 6, "provider", "")  # a course needs its provider
    set_cell(export, "opportunities", 3, "occupation_uri", "")  # only a course may lack an occupation
    assert refused(export, engine) == [
        "opportunities:2:employer_id: value is missing: required unless kind is course or education",
        "opportunities:3:occupation_uri: value is missing: required unless kind is course",
        "opportunities:6:provider: value is missing: required when kind is course or education",
    ]


def test_blank_lines_keep_the_row_numbers(export, engine):
    path = export / "citizens.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "")  # a blank line 4: P0005, on line 6 before, is now on line 7
    lines[6] = lines[6].replace("P0005,1979,", "P0005,19x9,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert refused(export, engine) == ["citizens:7:birth_year: not an integer: '19x9'"]


def test_not_utf8(export, engine):
    path = export / "caseworkers.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    problems = refused(export, engine)
    assert problems[0].startswith("caseworkers:-:-: caseworkers.csv is not UTF-8 text")


def test_csv_and_parquet_give_identical_databases(tmp_path):
    csv_folder = copy_export(tmp_path / "csv")
    parquet_folder = copy_export(tmp_path / "parquet")
    for path in list(parquet_folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=object, keep_default_na=False)
        frame = frame.astype(object).where(frame != "", None)
        table = path.stem
        # Parquet as a typed export would write it: numbers, dates, booleans and lists as such.
        for column in ("birth_year", "months_on_benefit", "danish_level", "capacity", "hours_per_week"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        for column in ("home_lat", "home_lon", "lat", "lon", "wage_per_hour"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column])
        for column in ("enrolled_on", "left_on", "open_from", "open_until", "proposed_on", "outcome_on"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column]).dt.date
        for column in ("barriers", "job_wishes", "skills"):
            if column in frame:
                frame[column] = frame[column].map(lambda v: v.split(";") if v else [])
        if "social_agreement" in frame:
            frame["social_agreement"] = frame["social_agreement"].map(
                {"true": True, "false": False, "1": True, "0": False, None: None})
        frame.to_parquet(parquet_folder / f"{table}.parquet", index=False)
        path.unlink()
    a, b = sqlite_engine(tmp_path, "csv.db"), sqlite_engine(tmp_path, "parquet.db")
    csv_summary, parquet_summary = import_folder(csv_folder, a), import_folder(parquet_folder, b)
    assert csv_summary.counts == parquet_summary.counts
    assert csv_summary.warnings == parquet_summary.warnings == []
    left, right = snapshot(a), snapshot(b)
    left.pop("import_runs"), right.pop("import_runs")
    assert left == right


def test_parquet_rows_are_numbered_like_csv(export, engine):
    frame = read_table(export, "referrals")
    frame.loc[3, "outcome"] = "succes"  # the fifth row of the file, row 5 in a spreadsheet
    frame.to_parquet(export / "referrals.parquet", index=False)
    (export / "referrals.csv").unlink()
    assert refused(export, engine)[0].startswith("referrals:5:outcome: 'succes' is not one of")
