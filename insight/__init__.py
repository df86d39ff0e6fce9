"""insight — a Persian-first customer-insight research toolkit.

    import insight
    ds = insight.data.load("data/sample")        # seven canonical tables + validation report
    insight.metrics.nps(ds.surveys["nps"])       # value, ci_low, ci_high, n

Modules are imported lazily so ``import insight`` stays fast.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "contract", "data", "dates", "persian", "sample", "text", "sentiment", "themes",
    "metrics", "complaints", "returns", "delivery", "segments", "clv", "journey",
    "drivers", "followup", "claims", "plots", "report", "engine", "show", "stats",
    "quality", "phrases", "plots_text", "plots_journey", "narrative", "summary",
    "retention",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"insight.{name}")
    raise AttributeError(f"module 'insight' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
