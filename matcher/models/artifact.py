"""Saved rankers: a folder of model files plus ``metadata.json`` whose ``kind`` names the loader.

Registered models are stored this way, never as a pickle of our classes, so a refactoring of the
code cannot make a registered champion unreadable, and what a model is can be read without Python.
"""
from __future__ import annotations

import json
from pathlib import Path

METADATA_FILE = "metadata.json"


def _loaders() -> dict:
    from matcher.models.baselines import LogisticRanker
    from matcher.models.lgbm import ARTIFACT_KIND, LightGBMRanker

    return {ARTIFACT_KIND: LightGBMRanker.load, LogisticRanker.ARTIFACT_KIND: LogisticRanker.load}


def kinds() -> list[str]:
    """The kinds of saved ranker this version can load."""
    return sorted(_loaders())


def load_ranker(folder: str | Path):
    """The fitted ranker saved in ``folder`` (by its ``save``), whatever its kind."""
    folder = Path(folder)
    meta_file = folder / METADATA_FILE
    if not meta_file.exists():
        raise FileNotFoundError(f"{folder}: no {METADATA_FILE}; not a saved ranker")
    kind = json.loads(meta_file.read_text(encoding="utf-8")).get("kind")
    loaders = _loaders()
    if kind not in loaders:
        raise ValueError(f"{folder}: saved ranker of kind {kind!r}; this version loads {sorted(loaders)}")
    ranker = loaders[kind](folder)
    from matcher import calibration

    # The holdout calibration of the chance, when training saved one with the model.
    ranker.calibration = calibration.load(folder)
    return ranker
