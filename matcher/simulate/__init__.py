"""A generative simulator of Copenhagen's job-from-day-one programme, with a hidden truth.

``simulate_world(out, n_citizens, seed, truth)`` (:mod:`matcher.simulate.programme`) writes a
world; ``Truth`` (:mod:`matcher.simulate.truth`) gives its outcome probabilities; the truth
families are in :mod:`matcher.simulate.truths`. Loaded on first use, so that naming the families
(``matcher simulate --help``) imports nothing heavy. See docs/simulator.md.
"""
from __future__ import annotations

_LAZY = {"simulate_world": "matcher.simulate.programme", "Truth": "matcher.simulate.truth"}
__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'matcher.simulate' has no attribute {name!r}")
