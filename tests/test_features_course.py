"""Courses that teach what the citizen already has: subjects from Danish titles, and the feature."""
import numpy as np
import pandas as pd

from matcher.features.build import MONOTONE
from matcher.features.course import course_features, course_subjects


def test_subjects_come_from_the_shipped_title_patterns():
    titles = pd.Series(["Danskuddannelse, modul 2", "DANSK PÅ ARBEJDSPLADSEN", "FVU-matematik", "AMU: Gaffeltruckcertifikat", None])
    assert course_subjects(titles).tolist() == ["danish", "danish", "numeracy", "", ""]


def test_danish_lessons_for_a_fluent_speaker_are_redundant_and_can_only_lower_a_score():
    kind = np.array(["course", "course", "course", "course", "ordinary_job"])
    subject = np.array(["danish", "danish", "numeracy", "", "danish"])
    danish = np.array([4.0, 0.0, 2.0, 2.0, 4.0])
    education = np.array([1.0, 1.0, 6.0, 1.0, 1.0])
    coverage = np.array([0.0, 0.0, 0.0, 0.75, 0.9])
    known = course_features(subject, kind, danish, education, coverage)["course_teaches_known"].tolist()
    # fluent speaker: all known; beginner: nothing known; master's degree: basic numeracy known;
    # a skills course: the share of its skills shown; a job teaches nothing.
    assert known == [1.0, 0.0, 1.0, 0.75, 0.0]
    assert MONOTONE["course_teaches_known"] == -1
