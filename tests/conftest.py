"""Shared fixtures: one small simulated world, imported once into a temporary SQLite database."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SMALL_CITIZENS = 600
SMALL_SEED = 7


@pytest.fixture(scope="session")
def small_world_dir(tmp_path_factory) -> Path:
    """A small simulated world in the contract's format (with _truth/)."""
    from matcher.simulate import simulate_world

    out = tmp_path_factory.mktemp("world")
    simulate_world(out, n_citizens=SMALL_CITIZENS, seed=SMALL_SEED)
    return out


@pytest.fixture(scope="session")
def family_worlds(tmp_path_factory) -> dict:
    """A small world of every truth family (same seed: the same people and openings), as
    (folder, the truth the run drew its outcomes from) by family name."""
    from matcher.simulate.programme import run_programme, write_world
    from matcher.simulate.truths import FAMILIES

    out = {}
    for name in FAMILIES:
        folder = tmp_path_factory.mktemp(f"world-{name}")
        world = run_programme(SMALL_CITIZENS, SMALL_SEED, truth=name)
        write_world(folder, world)
        out[name] = (folder, world.truth)
    return out


@pytest.fixture(scope="session")
def small_db_url(small_world_dir, tmp_path_factory) -> str:
    """A SQLite database with the small world imported (treat as read-only; copy to modify)."""
    from matcher.db import make_engine
    from matcher.importer import import_folder

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'small.db'}"
    import_folder(small_world_dir, make_engine(url))
    return url


@pytest.fixture(scope="session")
def small_engine(small_db_url):
    from matcher.db import make_engine

    return make_engine(small_db_url)


@pytest.fixture(scope="session")
def small_world(small_engine):
    from matcher.world import World

    return World.from_db(small_engine)


# ---- hand-made tiny world (features, ranker and service tests) ------------------------------

KITCHEN_ASSISTANT = "http://data.europa.eu/esco/occupation/e1cf6897-158d-4b48-a39e-2a3a8cac216c"
KITCHEN_PORTER = "http://data.europa.eu/esco/occupation/f756fdab-7726-4c48-bfcc-94ff8810fc08"
WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
SHOP_ASSISTANT = "http://data.europa.eu/esco/occupation/0b15375e-dfdd-4047-9efb-096e0aaee7d2"


def make_tiny_world():
    """Three citizens, four opportunities, four referrals: small enough to check by hand."""
    import pandas as pd

    from matcher.world import World

    d = pd.Timestamp
    caseworkers = pd.DataFrame({"caseworker_id": ["cw1"], "name": ["Case Worker"], "team": ["A"], "role": ["caseworker"]})
    citizens = pd.DataFrame(
        {
            "citizen_id": ["c1", "c2", "c3"],
            "birth_year": [1980, 1970, 1990],
            "gender": ["F", "M", "X"],
            "home_postcode": ["2200", "2700", "2300"],
            "home_lat": [55.697, 55.705, 55.652],
            "home_lon": [12.542, 12.495, 12.593],
            "origin": ["danish", "non_western", None],
            "benefit": ["kontanthjaelp"] * 3,
            "readiness": ["jobparat", "aktivitetsparat", "jobparat"],
            "months_on_benefit": [40, 80, 12],
            "education": ["primary", "none", "vocational"],
            "danish_level": [2, 4, 1],
            "barriers": [[], ["mental_health", "debt"], ["housing"]],
            "job_wishes": [[KITCHEN_ASSISTANT], [], [WAREHOUSE_WORKER, SHOP_ASSISTANT]],
            "max_hours_per_week": [30, None, 37],
            "max_commute_minutes": [45, None, 30],
            "has_drivers_license": [False, True, None],
            "caseworker_id": ["cw1"] * 3,
            "enrolled_on": [d("2022-01-01"), d("2022-06-01"), d("2023-01-01")],
            "left_on": [pd.NaT, pd.NaT, d("2024-01-01")],
            "candidate_search_consent": [True, False, True],
            "notes": [None] * 3,
        }
    )
    work_history = pd.DataFrame(
        {
            "citizen_id": ["c1", "c3"],
            "occupation_uri": [KITCHEN_PORTER, WAREHOUSE_WORKER],
            "start_on": [d("2019-01-01"), d("2023-08-01")],
            "end_on": [d("2020-01-01"), pd.NaT],
            "hours_per_week": [20, 37],
        }
    )
    employers = pd.DataFrame(
        {
            "employer_id": ["e1", "e2"],
            "name": ["Café Nørrebro", "Lager Glostrup"],
            "industry": ["I", "H"],
            "postcode": ["2200", "2600"],
            "lat": [55.699, 55.666],
            "lon": [12.545, 12.401],
            "employees": [12, 300],
            "social_agreement": [True, None],
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o2", "o3", "o4"],
            "kind": ["small_job", "ordinary_job", "course", "company_placement"],
            "employer_id": ["e1", "e2", None, "e1"],
            "provider": [None, None, "AMU Hovedstaden", None],
            "title": ["Køkkenhjælp", "Lagerarbejder", "Truckcertifikat", "Praktik i butik"],
            "occupation_uri": [KITCHEN_ASSISTANT, WAREHOUSE_WORKER, None, SHOP_ASSISTANT],
            "description": [None] * 4,
            "skills": [["food hygiene"], [], ["operate forklift"], []],
            "danish_required": [2, 3, 1, 1],
            "hours_per_week": [15, 37, 30, 25],
            "postcode": ["2200", "2600", "2500", "2200"],
            "lat": [55.699, 55.666, 55.662, 55.699],
            "lon": [12.545, 12.401, 12.504, 12.545],
            "open_from": [d("2022-01-01"), d("2023-01-01"), d("2023-01-01"), d("2022-06-01")],
            "open_until": [pd.NaT, pd.NaT, d("2023-12-31"), pd.NaT],
            "capacity": [2, 1, 10, 1],
            "weeks": [None, None, 3, 8],
            "requires_drivers_license": [None, True, False, None],
            "wage_per_hour": [140.0, 160.0, None, None],
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_id": ["r1", "r2", "r3", "r4"],
            "citizen_id": ["c1", "c2", "c3", "c1"],
            "opportunity_id": ["o4", "o1", "o1", "o2"],
            "caseworker_id": ["cw1"] * 4,
            "proposed_on": [d("2023-01-10"), d("2023-02-01"), d("2023-03-01"), d("2023-05-01")],
            "outcome": ["completed", "declined", "hired", "pending"],
            "outcome_on": [d("2023-03-01"), d("2023-02-05"), d("2023-06-01"), pd.NaT],
            "source": ["import"] * 4,
            "outcome_source": [None] * 4,
        }
    )
    return World(caseworkers, citizens, work_history, employers, opportunities, referrals)


@pytest.fixture
def tiny_world():
    """A fresh hand-made world (safe to modify) with three citizens and four opportunities."""
    return make_tiny_world()


# ---- the importer's hand-written export in a fresh database (app, caseload, access tests) ----

EXPORT_FIXTURE = Path(__file__).parent / "fixtures" / "valid_export"


@pytest.fixture
def export_engine(tmp_path):
    """A fresh SQLite database (safe to write) with tests/fixtures/valid_export imported:
    caseworkers cw01 (citizens P0001 consenting, P0009 not) and cw03 (P0002, P0007), liaison cw08."""
    from matcher.db import make_engine
    from matcher.importer import import_folder

    engine = make_engine(f"sqlite:///{tmp_path / 'export.db'}")
    import_folder(EXPORT_FIXTURE, engine)
    return engine


# ---- a trained ranker and a Matcher on the small world (features/ranker/service engineer) ---


@pytest.fixture(scope="session")
def trained_ranker(small_world):
    """The LightGBM ranker trained on every labelled referral of the small world (read-only)."""
    from matcher.features.build import build_features
    from matcher.labels import training_pairs
    from matcher.models.base import Pairs
    from matcher.models.lgbm import LightGBMRanker

    frame = training_pairs(small_world, None)
    return LightGBMRanker().fit(Pairs(frame, build_features(small_world, frame), small_world))


@pytest.fixture(scope="session")
def small_matcher(small_world, trained_ranker, small_engine):
    """A ``matcher.service.Matcher`` over the small world with ``trained_ranker``."""
    from matcher.service import Matcher

    return Matcher(small_world, trained_ranker, small_engine)


# ---- the small world's ranker registered as champion in a temporary MLflow store (app tests) ----


@pytest.fixture(scope="session")
def champion_mlflow_dir(trained_ranker, tmp_path_factory) -> Path:
    """An MLflow store holding ``trained_ranker`` as the registered champion. Point the app at it
    with MATCHER_MLFLOW_TRACKING_URI=sqlite:///<dir>/mlflow.db (see tests/app_helpers.py)."""
    import mlflow

    from matcher import registry
    from matcher.auth import operator
    from matcher.db import make_engine
    from matcher.settings import get_settings

    store = tmp_path_factory.mktemp("mlflow")
    saved = {k: os.environ.get(k) for k in ("MATCHER_MLFLOW_TRACKING_URI", "MATCHER_MLFLOW_ARTIFACT_ROOT")}
    os.environ["MATCHER_MLFLOW_TRACKING_URI"] = f"sqlite:///{store / 'mlflow.db'}"
    os.environ["MATCHER_MLFLOW_ARTIFACT_ROOT"] = str(store / "artifacts")
    get_settings.cache_clear()
    try:
        with mlflow.start_run(experiment_id=registry.experiment_id(), run_name="test-champion") as run:
            model_dir = trained_ranker.save(store / registry.ARTIFACT_PATH)
            mlflow.log_artifacts(str(model_dir), artifact_path=registry.ARTIFACT_PATH)
            uri = f"{run.info.artifact_uri}/{registry.ARTIFACT_PATH}"
        # The promotion's audit entry goes to a database of its own: the small world stays as imported.
        audit_log = make_engine(f"sqlite:///{store / 'audit.db'}")
        registry.promote(registry.register(run.info.run_id, uri, description="test champion"), engine=audit_log, actor=operator())
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
    return store


@pytest.fixture
def setting(monkeypatch):
    """Change settings for one test through the environment, e.g. ``setting("AUTH__MAX_FAILURES", "2")``;
    the settings are read afresh now and again after the test."""
    from matcher.settings import get_settings

    def put(name: str, value: str) -> None:
        monkeypatch.setenv(f"MATCHER_{name}", value)
        get_settings.cache_clear()

    yield put
    monkeypatch.undo()
    get_settings.cache_clear()
