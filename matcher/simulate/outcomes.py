"""What every hidden outcome model reads about a pair, and the pieces the truth families share.

A truth family (``matcher.simulate.truths``) turns :class:`PairInputs` into the probabilities of
the six outcomes, columns in :data:`OUTCOME_COLUMNS` order. The inputs are computed in
:mod:`matcher.simulate.truth` from the public tables and the hidden traits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from matcher.contract import BARRIERS, KINDS

OUTCOME_COLUMNS = ("declined", "rejected", "no_show", "dropped_out", "completed", "hired")
# Spread of the hidden traits every world draws (the families' coefficients scale them).
LATENT_SIGMA = {"motivation": 0.8, "affinity": 0.35, "inclusiveness": 0.5}
# Employer tastes for a citizen's age, formal education and Danish (standard normal; only the
# interactions family reads them).
TASTES = ("age", "education", "danish")


@dataclass
class PairInputs:
    """Everything an outcome model reads about a batch of pairs (arrays of equal length)."""

    kind: np.ndarray  # index into KINDS
    skill: np.ndarray  # share of the occupation's essential skills the citizen has
    history: np.ndarray  # 0-3: none, same ISCO family, same unit group, same occupation
    wish: np.ndarray  # 0-3, as history
    affinity: np.ndarray
    commute: np.ndarray  # minutes
    limit: np.ndarray  # the citizen's commute limit in minutes
    over_limit: np.ndarray  # minutes beyond the citizen's limit
    danish: np.ndarray  # the citizen's level 0-4
    danish_gap: np.ndarray
    hours: np.ndarray  # the opportunity's hours per week
    max_hours: np.ndarray  # the citizen's maximum hours per week
    hours_over: np.ndarray
    licence_missing: np.ndarray
    barriers: np.ndarray  # pairs x BARRIERS, bool
    aktivitetsparat: np.ndarray
    education: np.ndarray  # index into contract.EDUCATIONS
    age: np.ndarray
    physical_family: np.ndarray
    trusted_family: np.ndarray
    service_family: np.ndarray
    employer: np.ndarray  # employer kinds: 1; courses and educations: 0
    social_agreement: np.ndarray
    inclusiveness: np.ndarray
    taste: np.ndarray  # pairs x TASTES, the employer's (0 for courses, educations, and families without tastes)
    motivation: np.ndarray
    months: np.ndarray
    experience: np.ndarray


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x): a smooth hinge, so a soft limit has no step."""
    return np.logaddexp(0.0, x)


def by_kind(table: dict[str, float], kind: np.ndarray) -> np.ndarray:
    """A per-kind coefficient table gathered for each pair."""
    return np.array([table[k] for k in KINDS])[kind]


def barrier_sum(weights: dict[str, float], barriers: np.ndarray) -> np.ndarray:
    """Sum of the weights of each pair's barriers, in contract order (so a truth read back from
    JSON, whose keys come sorted, adds up exactly as the run did)."""
    out = np.zeros(len(barriers))
    for i, b in enumerate(BARRIERS):
        if b in weights:
            out = out + weights[b] * barriers[:, i]
    return out


def barrier(x: PairInputs, name: str) -> np.ndarray:
    """0/1 per pair: the citizen has the barrier."""
    return x.barriers[:, BARRIERS.index(name)].astype(float)


class Scaled(NamedTuple):
    """Inputs on the scales the families share (ladders, centres and cap from their params)."""

    history: np.ndarray  # through ``history_levels``
    wish: np.ndarray  # through ``wish_levels``
    skill: np.ndarray  # minus ``skill_centre``
    months: np.ndarray  # log1p(months / 12) - log1p(months_centre / 12)
    experience: np.ndarray  # capped at ``experience_cap``


def scaled(x: PairInputs, p: dict) -> Scaled:
    return Scaled(
        history=np.asarray(p["history_levels"], float)[x.history],
        wish=np.asarray(p["wish_levels"], float)[x.wish],
        skill=x.skill - p["skill_centre"],
        months=np.log1p(x.months / 12.0) - np.log1p(p["months_centre"] / 12.0),
        experience=np.minimum(x.experience, p["experience_cap"]),
    )


def chain(decline: np.ndarray, no_show: np.ndarray, reject: np.ndarray, dropout: np.ndarray,
          hire: np.ndarray) -> np.ndarray:
    """Six outcome columns from a chain of conditional steps: declined, then no-show, then
    rejected, then dropped out once started; a success is hired with probability ``hire``."""
    out = np.empty((len(decline), len(OUTCOME_COLUMNS)))
    out[:, 0] = decline
    stay = 1.0 - decline
    out[:, 2] = stay * no_show
    show = stay * (1.0 - no_show)
    out[:, 1] = show * reject
    start = show * (1.0 - reject)
    out[:, 3] = start * dropout
    success = start * (1.0 - dropout)
    out[:, 5] = success * hire
    out[:, 4] = success * (1.0 - hire)
    return out
