"""The recommendation as JSON: each level's probability and interval, each recommendation and its interval, settings.

Deterministic: the same recommendation gives the same bytes (keys sorted, no clock). A side of an
interval beyond the grid is ``null`` with the reason in ``beyond_grid``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ringfence.lab.estimate import Estimate
from ringfence.lab.recommend.curve import Recommendation
from ringfence.lab.recommend.grid import SPECS
from ringfence.lab.recommend.run import Curve, ExactCheck, RecommendResult

__all__ = ["recommendation_json", "recommendation_text"]


def _estimate(estimate: Estimate) -> dict[str, Any]:
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high, "method": estimate.method}


def recommendation_text(curve: Curve) -> str:
    """Say the recommendation of ``curve`` in one sentence (no level, a threshold beyond the grid, or the level)."""
    answer = curve.recommendation
    if answer.level is None:
        return "no level of the grid keeps P(loss > target) below α: no recommendation"
    text = f"{answer.level:.6g}"
    if answer.at_loose_end:
        text += " (the grid's least conservative level already passes: the threshold lies beyond the grid)"
    return text


def _answer(answer: Recommendation, conservative: str) -> dict[str, Any]:
    beyond = []
    loose_side = "low" if conservative == "higher" else "high"
    for name in ("level", "crossing"):
        for side in ("low", "high"):
            if getattr(answer, f"{name}_{side}") is None and getattr(answer, name) is not None:
                where = "least conservative" if side == loose_side else "most conservative"
                beyond.append(f"{name}_{side}: more than 2.5% of resamples fall beyond the grid's {where} end")
    if answer.level is None:
        beyond.append("level: no level of the grid satisfies alpha")
    if answer.at_loose_end:
        beyond.append("crossing: the grid's least conservative level already satisfies alpha; the threshold is beyond")
    return {**asdict(answer), "beyond_grid": beyond}


def _check(check: ExactCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "level": check.level,
        "paths": check.paths,
        "exact": _estimate(check.exact),
        "vector_same_paths": _estimate(check.vector),
        "agreeing_paths": check.agreeing_paths,
        "largest_gap_usd": check.largest_gap_usd,
    }


def _curve(curve: Curve) -> dict[str, Any]:
    spec = SPECS[curve.parameter]
    return {
        "pool": curve.pool,
        "parameter": curve.parameter,
        "unit": spec.unit,
        "conservative": spec.conservative,
        "measure": curve.measure,
        "levels": [
            {"level": level, "probability": _estimate(estimate)}
            for level, estimate in zip(curve.levels, curve.probabilities, strict=True)
        ],
        "monotonicity_violations": [asdict(violation) for violation in curve.violations],
        "recommendation": _answer(curve.recommendation, spec.conservative),
        "exact_confirmation": _check(curve.confirmation),
    }


def recommendation_json(result: RecommendResult) -> bytes:
    """Return the whole recommendation as UTF-8 JSON bytes (sorted keys, two-space indent)."""
    document = {
        "settings": {**asdict(result.settings), "parameters": list(result.settings.parameters)},
        "curves": [_curve(curve) for curve in result.curves],
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
