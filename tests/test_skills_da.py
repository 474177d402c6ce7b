"""data/esco/skills_da.csv: a written Danish name for every skill the target group's occupations
bring into a reason, the rest marked as English only."""
from __future__ import annotations

import pandas as pd

from matcher.settings import get_settings
from matcher.simulate.occupations import GROUP_MAJORS
from matcher.taxonomy import DANISH_SKILLS_FILE, load_taxonomy


def table() -> pd.DataFrame:
    return pd.read_csv(get_settings().esco_dir / DANISH_SKILLS_FILE, dtype=str, keep_default_na=False)


def test_columns_sources_and_one_row_a_skill():
    t = table()
    assert list(t.columns) == ["label_en", "label_da", "source"]
    assert set(t["source"]) <= {"written", "english-fallback"}
    assert not t["label_en"].str.lower().duplicated().any()
    written = t[t["source"] == "written"]
    assert (written["label_da"].str.strip() == written["label_da"]).all() and written["label_da"].str.len().gt(0).all()
    assert (t.loc[t["source"] == "english-fallback", "label_da"] == "").all()


def test_every_essential_skill_of_the_target_groups_occupations_has_a_danish_name():
    tax = load_taxonomy()
    named = tax.danish_named()
    pool = named[named["isco_code"].str[:1].isin(GROUP_MAJORS)]
    assert len(pool) > 200
    needed = set(named["essential_skills"].explode().dropna().str.lower())
    written = set(table().query("source == 'written'")["label_en"].str.lower())
    assert len(needed) > 2000
    assert sorted(needed - written) == []


def test_the_optional_skills_an_opening_may_list_have_danish_names_too():
    named = load_taxonomy().danish_named()
    listed = set(named["optional_skills"].explode().dropna().str.lower())
    written = set(table().query("source == 'written'")["label_en"].str.lower())
    assert len(listed) > 2000 and sorted(listed - written) == []


def test_danish_names_are_not_english_left_in_place():
    t = table().query("source == 'written'")
    same = t[t["label_en"].str.lower() == t["label_da"].str.lower()]["label_en"]
    # Only product, system and programming-language names (capitalised or with symbols) and words
    # Danish shares stay as they are.
    loanwords = {"database", "badminton", "shiatsu", "skateboard"}
    assert len(same) < 50
    assert [n for n in same if n not in loanwords and n == n.lower() and n.isalpha()] == []
