"""Courses that teach what the citizen already has.

Danish lessons for a fluent speaker, or basic reading and numeracy for someone with a degree,
rarely help. Course titles are Danish free text and the embedding model knows no Danish, so a
course's subject is found through a shipped table of title patterns (``data/courses/subjects.csv``:
pattern, subject), matched case-insensitively. What the citizen already has is then the citizen's
own level in that subject (Danish: ``danish_level`` of 4; reading, numeracy and digital basics:
the education ladder of ``matcher.features.fit``), and for any other course or education the share
of its skills the citizen has shown. One feature, ``course_teaches_known`` in [0, 1], constrained
so that it can only lower a score: how much is redundant is then the model's to learn.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.settings import DATA_DIR

COURSE_FEATURES = ["course_teaches_known"]
SUBJECTS_FILE = DATA_DIR / "courses" / "subjects.csv"
TEACHING_KINDS = ("course", "education")
# Highest rung of each citizen measure: Danish 0-4, the education ladder 0-6.
DANISH_TOP, EDUCATION_TOP = 4.0, 6.0


@lru_cache(maxsize=2)
def _patterns(path: str) -> tuple[tuple[str, str], ...]:
    table = pd.read_csv(path, dtype=str)
    missing = {"pattern", "subject"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
    return tuple(zip(table["pattern"].str.casefold(), table["subject"]))


def course_subjects(titles: pd.Series, path: Path = SUBJECTS_FILE) -> pd.Series:
    """The subject each title teaches by the shipped patterns ('' when none matches); first match wins."""
    folded = titles.fillna("").astype(str).str.casefold()
    subject = pd.Series("", index=titles.index, dtype=object)
    for pattern, name in reversed(_patterns(str(path))):
        subject = subject.mask(folded.str.contains(pattern, regex=False), name)
    return subject


def course_features(subject: np.ndarray, kind: np.ndarray, danish_level: np.ndarray, education_level: np.ndarray,
                    skill_coverage: np.ndarray) -> pd.DataFrame:
    """``course_teaches_known`` per pair (row-aligned arrays): 0 for kinds that do not teach."""
    teaches = np.isin(kind, TEACHING_KINDS)
    known = np.select(
        [subject == "danish", np.isin(subject, ["reading", "numeracy", "digital"])],
        [danish_level / DANISH_TOP, education_level / EDUCATION_TOP],
        default=skill_coverage,
    )
    return pd.DataFrame({"course_teaches_known": np.where(teaches, np.clip(known, 0.0, 1.0), 0.0)})
