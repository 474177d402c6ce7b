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
