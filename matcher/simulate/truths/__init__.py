"""The truth families: structurally different hidden outcome models, one chosen per world.

Models, grids and rules are chosen on the worst case across families, never on one truth. Each
family is the module of its name (``FAMILY``); this registry names them without importing them.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matcher.simulate.truths.spec import TruthFamily

# name -> one line for `matcher simulate --help`.
FAMILIES: dict[str, str] = {
    "funnel": "four logistic steps with cliffs at the commute limit and at two Danish levels short (the default)",
    "additive": "a logistic decline, then a multinomial logit over the other outcomes; effects add up, soft "
                "limits, no cliffs",
    "interactions": "a chain sharing a hidden match quality: skills that pay only with enough Danish, employer "
                    "tastes, thresholds of its own, kind x time on benefit",
}
DEFAULT_FAMILY = "funnel"


def get_family(name: str) -> "TruthFamily":
    """The named truth family; a ValueError names the known ones."""
    if name not in FAMILIES:
        raise ValueError(f"unknown truth family {name!r}; choose one of {', '.join(FAMILIES)}")
    return importlib.import_module(f"{__name__}.{name}").FAMILY
