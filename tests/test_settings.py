"""The one settings object: defaults, overridden by a TOML file, overridden by the environment."""
from __future__ import annotations

import pytest

from matcher.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _fresh(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for var in ("MATCHER_DB_URL", "MATCHER_CONFIG", "MATCHER_RANKER__NUM_LEAVES"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults():
    s = Settings()
    assert s.db_url == "sqlite:///matcher.db"
    assert s.gains == {"declined": 0, "rejected": 0, "no_show": 0, "dropped_out": 1, "completed": 2, "hired": 3}
    assert "pending" not in s.gains
    assert s.embedding_model == "all-MiniLM-L6-v2"


def test_file_overrides_defaults(tmp_path):
    (tmp_path / "matcher.toml").write_text(
        'db_url = "sqlite:///from-file.db"\n[ranker]\nnum_leaves = 7\n[gains]\nhired = 5\ncompleted = 2\n'
    )
    s = Settings()
    assert s.db_url == "sqlite:///from-file.db"
    assert s.ranker.num_leaves == 7
    assert s.gains["hired"] == 5


def test_environment_overrides_file(tmp_path, monkeypatch):
    (tmp_path / "matcher.toml").write_text('db_url = "sqlite:///from-file.db"\n')
    monkeypatch.setenv("MATCHER_DB_URL", "postgresql+psycopg2://u:p@localhost/m")
    monkeypatch.setenv("MATCHER_RANKER__NUM_LEAVES", "63")
    s = get_settings()
    assert s.db_url == "postgresql+psycopg2://u:p@localhost/m"
    assert s.ranker.num_leaves == 63


def test_config_path_from_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('embedding_model = "paraphrase-multilingual-MiniLM-L12-v2"\n')
    monkeypatch.setenv("MATCHER_CONFIG", str(cfg))
    assert Settings().embedding_model == "paraphrase-multilingual-MiniLM-L12-v2"
