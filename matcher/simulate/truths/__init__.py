"""The truth families: structurally different hidden outcome models, one chosen per world.

Models, grids and rules are chosen on the worst case across families, never on one truth.
"""
from __future__ import annotations

from matcher.simulate.truths import additive, funnel, interactions
from matcher.simulate.truths.spec import TruthFamily

FAMILIES: dict[str, TruthFamily] = {f.name: f for f in (funnel.FAMILY, additive.FAMILY, interactions.FAMILY)}
DEFAULT_FAMILY = "funnel"


def get_family(name: str) -> TruthFamily:
    """The named truth family; a ValueError names the known ones."""
    if name not in FAMILIES:
        raise ValueError(f"unknown truth family {name!r}; choose one of {', '.join(FAMILIES)}")
    return FAMILIES[name]
