"""A truth family: a structure (the formula) plus ranges its coefficients are drawn from.

``ranges`` is a nested dict: a :class:`U` leaf is drawn uniformly per world from the world's
seed, any other leaf is fixed, and every ``base`` table (one intercept per kind) is solved by
:func:`calibrate` so that the outcome shares per kind on typical proposals land on
``calibration.OUTCOME_TARGETS``. The drawn and calibrated coefficients go to ``_truth/model.json``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from matcher.contract import KINDS
from matcher.simulate.outcomes import OUTCOME_COLUMNS, PairInputs


class U(NamedTuple):
    """A coefficient drawn uniformly from [low, high] for each world."""

    low: float
    high: float


# What every family defines alike: the truth's own commute model (drawn), defaults for missing
# limits, the ladders and centres of ``outcomes.scaled``, the experience cap.
SHARED_RANGES: dict = {
    "commute": {"speed_kmh": U(14.0, 20.0), "overhead_minutes": U(5.0, 12.0), "default_limit_minutes": 60.0},
    "default_max_hours": 37.0,
    "no_occupation_skill": 0.3,
    "skill_centre": 0.3,
    "months_centre": 36.0,
    "history_levels": [0.0, 0.3, 0.6, 0.9],  # none, same family (ISCO 2), same unit group (ISCO 4), same occupation
    "wish_levels": [0.0, 0.3, 0.7, 1.2],
    "experience_cap": 3,
}


class Logit(NamedTuple):
    """Intercepts of a conditional step: ``outcome`` among the pairs not yet ended by ``earlier``."""

    key: str
    outcome: str
    earlier: tuple[str, ...]


class Ratio(NamedTuple):
    """Intercepts of a multinomial utility: the odds of ``outcome`` against ``reference``."""

    key: str
    outcome: str
    reference: str


@dataclass(frozen=True)
class TruthFamily:
    name: str
    ranges: dict
    probabilities: Callable[[PairInputs, dict], np.ndarray]
    intercepts: tuple  # Logit / Ratio steps, solved in this order each round
    doc: str  # the formula, for _truth/README.md
    uses_tastes: bool = False

    def draw(self, rng: np.random.Generator) -> dict:
        """Coefficients for one world: every range drawn (4 decimals), the rest as given."""
        return _draw(self.ranges, rng)


def _draw(node, rng: np.random.Generator):
    if isinstance(node, U):
        return round(float(rng.uniform(node.low, node.high)), 4)
    if isinstance(node, dict):
        return {k: _draw(v, rng) for k, v in node.items()}
    return copy.deepcopy(node)


def ranges_json(node):
    """The ranges as JSON (a range is ``{"uniform": [low, high]}``)."""
    if isinstance(node, U):
        return {"uniform": [node.low, node.high]}
    if isinstance(node, dict):
        return {k: ranges_json(v) for k, v in node.items()}
    return node


def ranges_lines(node, prefix: str = "") -> list[str]:
    """One line per coefficient: ``path: low-high`` for a drawn one, ``path: value`` for a fixed one."""
    lines = []
    for k, v in node.items():
        path = f"{prefix}{k}"
        if isinstance(v, U):
            lines.append(f"{path}: {v.low:g} to {v.high:g}")
        elif isinstance(v, dict) and set(v) == set(KINDS) and k == "base":
            lines.append(f"{path}: per kind, solved by calibration")
        elif isinstance(v, dict):
            lines += ranges_lines(v, path + ".")
        else:
            lines.append(f"{path}: {v} (fixed)")
    return lines


def _shares_by_kind(p: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean outcome probabilities per kind (kinds x outcomes) and the number of pairs per kind."""
    n = np.bincount(kind, minlength=len(KINDS)).astype(float)
    sums = np.stack([np.bincount(kind, weights=p[:, j], minlength=len(KINDS)) for j in range(p.shape[1])], axis=1)
    return sums / np.maximum(n, 1)[:, None], n


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def calibrate(family: TruthFamily, params: dict, x: PairInputs, targets: dict[str, dict[str, float]],
              rounds: int = 60, tolerance: float = 1e-4) -> dict:
    """``params`` with every ``base`` intercept moved so that the mean outcome probabilities of the
    pairs ``x``, kind by kind, equal ``targets[kind][outcome]`` (kinds without pairs keep theirs).

    A fixed point: each round shifts a step's intercept by the gap between the target and the
    realised log-odds. Averaging over pairs flattens the response, so the shifts undershoot and
    the rounds converge; the remaining gap is below ``tolerance`` in share.
    """
    params = copy.deepcopy(params)
    col = {o: i for i, o in enumerate(OUTCOME_COLUMNS)}
    t = np.array([[targets[k][o] for o in OUTCOME_COLUMNS] for k in KINDS])
    for _ in range(rounds):
        m, n = _shares_by_kind(family.probabilities(x, params), x.kind)
        present = n > 0
        if np.abs(m - t)[present].max() < tolerance:
            break
        for step in family.intercepts:
            j = col[step.outcome]
            if isinstance(step, Logit):
                before = [col[o] for o in step.earlier]
                shift = (_logit(t[:, j] / (1 - t[:, before].sum(axis=1)))
                         - _logit(m[:, j] / (1 - m[:, before].sum(axis=1))))
            else:
                r = col[step.reference]
                shift = np.log(t[:, j] / t[:, r]) - np.log(np.maximum(m[:, j], 1e-9) / np.maximum(m[:, r], 1e-9))
            base = params[step.key]["base"]
            for i, kind in enumerate(KINDS):
                if present[i]:
                    base[kind] = float(base[kind] + shift[i])
    return params
