"""AppTest: the data scientist's group audit page and the models page's card and drift sections."""
from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.app_helpers import copy_database, signed_in, texts, use_database


@pytest.fixture
def app_db(small_db_url, champion_mlflow_dir, monkeypatch, tmp_path):
    engine = copy_database(small_db_url, tmp_path)
    use_database(monkeypatch, engine, champion_mlflow_dir)
    monkeypatch.setenv("MATCHER_REPORTS_DIR", str(tmp_path / "reports"))
    return engine


def write_audit(folder):
    """An audit of made-up lists: women's lists worth 0.8 of the best, men's 1.0."""
    from matcher.fairness import group_table
    from matcher.group_audit import JSON_FILE, GroupAudit

    rng = np.random.default_rng(0)
    gender = np.array(["F"] * 300 + ["M"] * 300)
    best = rng.uniform(0.5, 1, 600)
    groups = pd.DataFrame({"gender": gender, "origin": "danish", "district": "Nørrebro", "age_band": "40–49", "barrier": "none"})
    table = group_table(best, best * np.where(gender == "F", 0.8, 1.0), groups, n_boot=50)
    report = GroupAudit(as_of=date(2024, 6, 3), model="champion v1", tables={"oracle_ratio@10": table},
                        kind_mix=pd.DataFrame(), sizes={"citizens": 600}, wall_seconds=1.0, truth_family="funnel")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / JSON_FILE).write_text(json.dumps(report.to_dict(), default=str), encoding="utf-8")


def test_the_audit_page_shows_the_worst_group_in_danish(app_db, tmp_path):
    at = signed_in(app_db, "dora", "data_scientist")
    at.switch_page("pages/audit.py").run()
    assert not at.exception, at.exception
    assert any("Ingen gruppeaudit endnu" in i.value for i in at.info)
    write_audit(tmp_path / "reports")
    at.run()
    assert not at.exception, at.exception
    shown = at.dataframe[0].value  # the headline comes first
    headline = getattr(shown, "data", shown)
    row = headline[headline["Opdeling"] == "køn"].iloc[0]
    assert (row["Dårligste gruppe"], row["Bedste gruppe"]) == ("kvinde", "mand")
    assert row["Dårligste/bedste"] == pytest.approx(0.8)
    assert "Forventede succeser mod det bedst mulige" in texts(at.subheader)


def test_the_models_page_says_when_a_version_has_no_card_and_why_drift_is_unmeasured(app_db):
    at = signed_in(app_db, "dora", "data_scientist")
    assert not at.exception, at.exception
    subheaders = texts(at.subheader)
    assert "Modelkort" in subheaders and "Drift: dagens henvisninger mod træningsperioden" in subheaders
    assert any("Intet modelkort for version 1" in i.value for i in at.info)
