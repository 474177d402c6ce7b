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


@pytest.mark.parametrize(
    "variable, value, named",
    [
        ("MATCHER_LANGUAGE", "de", "language: Input should be 'da' or 'en' (got 'de')"),
        ("MATCHER_AUTH__MODE", "sso", "auth.mode: Input should be 'password' or 'oidc' (got 'sso')"),
        ("MATCHER_RANKER__STRUCTURE", "forest", "ranker.structure"),
        ("MATCHER_SUCCESS_OUTCOMES", '["hired", "won"]', "success_outcomes.1"),
    ],
)
def test_unknown_values_are_refused_at_start_up(monkeypatch, variable, value, named):
    from matcher.settings import SettingsError

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match="matcher cannot start: bad settings") as refused:
        get_settings()
    assert named in str(refused.value)


def test_an_unknown_key_in_the_file_is_refused(tmp_path):
    from matcher.settings import SettingsError

    (tmp_path / "matcher.toml").write_text('langauge = "da"\n[ranker]\nnum_leafs = 7\n')
    with pytest.raises(SettingsError) as refused:
        get_settings()
    assert "langauge: no such setting" in str(refused.value)
    assert "ranker.num_leafs: no such setting" in str(refused.value)


def test_every_command_refuses_bad_settings(monkeypatch):
    from typer.testing import CliRunner

    from matcher.cli import app

    monkeypatch.setenv("MATCHER_LANGUAGE", "sv")
    result = CliRunner().invoke(app, ["rollback"])
    assert result.exit_code == 2
    assert "language: Input should be 'da' or 'en' (got 'sv')" in result.output


def test_every_setting_is_used():
    """No dead settings: every field is read somewhere outside matcher/settings.py."""
    import re
    from pathlib import Path

    from matcher.settings import Settings

    root = Path(__file__).resolve().parent.parent
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("matcher", "app", "benchmarks", "training")
        for p in (root / folder).rglob("*.py")
        if p.name != "settings.py"
    )
    fields = set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        nested = getattr(field.annotation, "model_fields", None)
        fields |= set(nested or ())
    unused = sorted(f for f in fields if not re.search(rf"\b{f}\b", code))
    assert unused == []
