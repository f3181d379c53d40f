"""Parameter recommendation: per pool, the least conservative level whose P(bad debt > target) stays below α.

Modules
-------
grid     the parameters, their grids (risk order) and the scenario at each level
sweep    every level played on the vector engine with the same paths and draws (common random numbers)
curve    P(loss > target) per level (Clopper-Pearson), monotonicity (exact McNemar), the recommendation
         and its bootstrap interval
run      :func:`recommend`: the sweep, the curves and the exact engine's confirmation
export   the JSON
"""

from __future__ import annotations

from ringfence.lab.recommend.grid import PARAMETERS, Parameter
from ringfence.lab.recommend.run import (
    DEFAULT_ALPHA,
    DEFAULT_CONFIRM_PATHS,
    DEFAULT_LEVELS,
    DEFAULT_TARGET_USD,
    Curve,
    ExactCheck,
    RecommendResult,
    RecommendSettings,
    check_recommend_inputs,
    recommend,
)

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_CONFIRM_PATHS",
    "DEFAULT_LEVELS",
    "DEFAULT_TARGET_USD",
    "PARAMETERS",
    "Curve",
    "ExactCheck",
    "Parameter",
    "RecommendResult",
    "RecommendSettings",
    "check_recommend_inputs",
    "recommend",
]
