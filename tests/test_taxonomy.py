"""The ESCO taxonomy as shipped: occupations, ISCO hierarchy, skills, and our Danish names."""
from __future__ import annotations

import pandas as pd
import pytest

from matcher.settings import get_settings
from matcher.taxonomy import Taxonomy, load_taxonomy

# Danish names cover ISCO major groups 4, 5, 7, 8, 9 (the target group's jobs). Major group 3 is
# allowed only for unit groups that an ordinary education for this group leads to:
# 3251 dental assistants (tandklinikassistent) and 3412 social work associate professionals
# (care work: hjemmehjælper, plejecentermedarbejder, next to the SOSU educations in 5321/5322).
DANISH_MAJOR_GROUPS = {"4", "5", "7", "8", "9"}
EDUCATION_TARGET_UNIT_GROUPS_IN_3 = {"3251", "3412"}

# Titles a caseworker will look for, and the ISCO-08 unit group each must sit in.
KEY_DANISH_TITLES = {
    "rengøringsassistent": "9112",
    "køkkenmedhjælper": "9412",
    "opvasker": "9412",
    "lagermedarbejder": "9333",
    "truckfører": "8344",
    "social- og sundhedshjælper": "5322",
    "social- og sundhedsassistent": "5321",
    "pædagogmedhjælper": "5311",
    "butiksassistent": "5223",
    "kassemedarbejder": "5230",
    "buschauffør": "8331",
    "taxichauffør": "8322",
    "flyttemand": "9333",
    "gartnermedhjælper": "9214",
    "vicevært": "5153",
    "tjener": "5131",
    "kok": "5120",
    "ernæringsassistent": "5120",
    "bager": "7512",
    "slagter": "7511",
    "maler": "7131",
    "stilladsmontør": "7119",
    "postsorterer": "4412",
    "vagt": "5414",
    "frisør": "5141",
    "lufthavnsbagagemedarbejder": "9333",
}


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def danish() -> pd.DataFrame:
    return pd.read_csv(get_settings().esco_dir / "occupations_da.csv", dtype=str)


def _uri(tax: Taxonomy, label_en: str) -> str:
    hit = tax.frame.index[tax.frame["label_en"] == label_en]
    assert len(hit) == 1, f"expected one ESCO occupation named {label_en!r}, found {len(hit)}"
    return hit[0]


def test_all_occupations_load_with_clean_fields(tax):
    assert len(tax) == 3039
    assert tax.frame["uri"].is_unique
    assert tax.frame["uri"].str.startswith("http://data.europa.eu/esco/occupation/").all()
    # Labels are stripped (the parquet has trailing spaces) and every ISCO code has four digits.
    assert (tax.frame["label_en"] == tax.frame["label_en"].str.strip()).all()
    assert tax.frame["isco_code"].str.fullmatch(r"\d{4}").all()


def test_lookup_by_uri(tax):
    uri = _uri(tax, "kitchen porter")
    occ = tax.occupation(uri)
    assert occ.isco_code == "9412" and occ.isco_major == "9"
    assert uri in tax and "http://data.europa.eu/esco/occupation/nope" not in tax
    with pytest.raises(KeyError, match="unknown ESCO occupation URI"):
        tax.occupation("http://data.europa.eu/esco/occupation/nope")


def test_lookup_by_isco_prefix(tax):
    cleaners = tax.by_isco("9112")
    assert {"building cleaner", "room attendant", "train cleaner"} <= set(cleaners["label_en"])
    assert (cleaners["isco_code"] == "9112").all()
    # A shorter code is a prefix: the minor group contains the unit group.
    assert set(cleaners["uri"]) <= set(tax.by_isco("911")["uri"])
    assert tax.by_isco("9")["isco_code"].str.startswith("9").all()
    assert len(tax.by_isco("9")) > len(tax.by_isco("91")) > len(tax.by_isco("911")) >= len(cleaners)


@pytest.mark.parametrize(
    "code,label",
    [
        ("9", "Elementary occupations"),
        ("91", "Cleaners and helpers"),
        ("911", "Domestic, hotel and office cleaners and helpers"),
        ("8344", "Lifting truck operators"),
    ],
)
def test_isco_group_labels_at_every_level(tax, code, label):
    assert tax.isco_group_label(code) == label


def test_unknown_isco_group_has_no_label(tax):
    assert tax.isco_group_label("9999") is None


def test_isco_distance():
    assert Taxonomy.isco_distance("9112", "9112") == 0
    assert Taxonomy.isco_distance("9112", "9111") == 1
    assert Taxonomy.isco_distance("9112", "9121") == 2
    assert Taxonomy.isco_distance("9112", "9211") == 3
    assert Taxonomy.isco_distance("9112", "8344") == 4
    assert Taxonomy.isco_distance("5120", "9412") == Taxonomy.isco_distance("9412", "5120")


@pytest.mark.parametrize(
    "label_en", ["building cleaner", "kitchen assistant", "warehouse worker", "shop assistant", "forklift operator", "home care aide"]
)
def test_typical_occupations_have_essential_and_optional_skills(tax, label_en):
    uri = _uri(tax, label_en)
    essential = tax.essential_skills(uri)
    assert essential, f"{label_en} has no essential skills"
    assert tax.occupation(uri).optional_skills, f"{label_en} has no optional skills"
    assert tax.skills(uri)[: len(essential)] == essential
    assert all(s == s.strip() and s for s in tax.skills(uri))


def test_skills_of_unknown_uri_are_empty(tax):
    assert tax.skills("http://example.org/x") == [] and tax.essential_skills("http://example.org/x") == []


def test_danish_file_has_enough_well_formed_rows(danish):
    assert list(danish.columns) == ["uri", "label_da", "label_en", "isco_code"]
    assert len(danish) >= 150
    assert danish.notna().all().all()
    assert danish["uri"].is_unique
    # Different occupations need different Danish names, or a caseworker cannot tell them apart.
    assert danish["label_da"].is_unique, danish[danish["label_da"].duplicated(keep=False)]
    assert (danish["label_da"] == danish["label_da"].str.strip()).all()
    assert not danish["label_da"].str.contains(r"\(en\)").any()


def test_danish_rows_agree_with_esco(tax, danish):
    unknown = danish[~danish["uri"].isin(tax.frame.index)]
    assert unknown.empty, f"Danish names for URIs that are not in ESCO: {unknown['uri'].tolist()}"
    esco = tax.frame.loc[danish["uri"], ["label_en", "isco_code"]].reset_index(drop=True)
    assert (esco["label_en"] == danish["label_en"]).all()
    assert (esco["isco_code"] == danish["isco_code"]).all()


def test_danish_names_only_for_target_group_occupations(danish):
    major = danish["isco_code"].str[0]
    allowed = major.isin(DANISH_MAJOR_GROUPS) | danish["isco_code"].isin(EDUCATION_TARGET_UNIT_GROUPS_IN_3)
    assert allowed.all(), danish.loc[~allowed, ["label_da", "isco_code"]]
    # Every target major group is actually covered, not just allowed.
    assert DANISH_MAJOR_GROUPS <= set(major)


def test_key_titles_exist_in_the_right_unit_group(danish):
    by_title = danish.set_index("label_da")["isco_code"]
    missing = set(KEY_DANISH_TITLES) - set(by_title.index)
    assert not missing, f"missing Danish titles: {sorted(missing)}"
    wrong = {t: by_title[t] for t, code in KEY_DANISH_TITLES.items() if by_title[t] != code}
    assert not wrong, f"titles in the wrong ISCO unit group: {wrong}"


def test_label_is_danish_when_named_and_marked_english_otherwise(tax):
    porter = _uri(tax, "kitchen porter")
    assert tax.label(porter) == "opvasker"
    assert tax.occupation(porter).label == "opvasker"
    engineer = _uri(tax, "artificial intelligence engineer")
    assert tax.label(engineer) == "artificial intelligence engineer (en)"
    assert tax.occupation(engineer).label_da is None
    assert tax.label(None) == "" and tax.label("http://example.org/x") == ""
    assert len(tax.danish_named()) == len(pd.read_csv(tax.esco_dir / "occupations_da.csv"))


def test_version_fingerprints_the_content(tax):
    assert tax.version.startswith("esco-v1.2.0-")
    assert load_taxonomy().version == tax.version


def test_attribution_is_present():
    readme = (get_settings().esco_dir / "README.md").read_text(encoding="utf-8")
    assert "ESCO, European Commission" in readme
    assert "CC BY 4.0" in readme
