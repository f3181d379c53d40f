"""How good a liquidation warning is: precision, recall, lead time and AUC, on dense per-path arrays.

Definitions (the same for every predictor; ``H`` is the warning horizon in steps):

- **Evaluated rows**: ``(path, position, step)`` with the position open and its margin unit **above
  maintenance** at that step (before the keepers act). Below maintenance the keepers' candidate
  list already knows; a warning there predicts nothing.
- **Warning**: an evaluated row whose score is at or above the threshold.
- **Label** of a row at step ``t``: the position is liquidated at a step ``s`` with ``t < s ≤ t + H``.
- **True positive**: a warning whose row has label 1 (the position is liquidated within ``H``
  steps after it). **Precision** = true positives / warnings (rows).
- **Warned liquidation**: a liquidation at step ``s`` with at least one warning of its position in
  ``[s − H, s − 1]``. **Recall** = warned liquidations / liquidations (every liquidation of the
  runs counts, including those within the first ``H`` steps).
- **Lead time** of a warned liquidation: ``(s − t₀) ×`` step length, ``t₀`` its position's first
  warning in ``[s − H, s − 1]``; so between one step and ``H`` steps.
- **AUC**: the probability that a random positive row scores above a random negative one, ties
  counting one half (the Mann–Whitney statistic: J. A. Hanley and B. J. McNeil, "The meaning and
  use of the area under a receiver operating characteristic (ROC) curve", *Radiology* 143 (1982)
  29–36), over the evaluated rows; its interval is a percentile bootstrap **over paths** (rows of
  one path are dependent, so paths, not rows, are resampled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.estimate import (
    BOOTSTRAP_SEED,
    CONFIDENCE,
    Estimate,
    proportion_estimate,
    quantile_estimate,
    ratio_estimate,
)

__all__ = [
    "LEAD_QUANTILES",
    "AucScores",
    "PredictiveResult",
    "PredictorQuality",
    "WarningQuality",
    "auc_estimate",
    "labels",
    "roc_auc",
    "warning_quality",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

NOT_LIQUIDATED = -1
LEAD_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
AUC_RESAMPLES = 300
"""Bootstrap resamples of paths for an AUC's interval (each is one weighted pass over the rows)."""


@dataclass(frozen=True, slots=True)
class WarningQuality:
    """One predictor's warnings against the liquidations that happened (module docstring).

    Attributes
    ----------
    threshold:
        The score at or above which an evaluated row is a warning.
    warnings, true_warnings:
        Counts of warnings and of true positives over all paths.
    liquidations, warned_liquidations:
        Counts of liquidations and of those with a warning in the ``H`` steps before.
    precision, recall:
        Ratios over all paths with a bootstrap interval over paths (``None`` without warnings or liquidations).
    lead_time_median_seconds:
        Median lead time with its order-statistic interval (``None`` without warned liquidations).
    lead_time_quantiles_seconds:
        ``(quantile, seconds)`` at :data:`LEAD_QUANTILES` (empty without warned liquidations).
    """

    threshold: float
    warnings: int
    true_warnings: int
    liquidations: int
    warned_liquidations: int
    precision: Estimate | None
    recall: Estimate | None
    lead_time_median_seconds: Estimate | None
    lead_time_quantiles_seconds: tuple[tuple[float, float], ...]


def _check_dense(evaluated: BoolArray, liquidation_step: IntArray, horizon_steps: int) -> None:
    if evaluated.ndim != 3 or liquidation_step.shape != evaluated.shape[:2]:
        raise InvalidParameter(
            "liquidation_step", liquidation_step.shape, f"one step per path and position {evaluated.shape[:2]}"
        )
    if horizon_steps < 1:
        raise InvalidParameter("horizon_steps", horizon_steps, "an integer >= 1")


def labels(liquidation_step: IntArray, steps: int, horizon_steps: int) -> BoolArray:
    """Return ``(P, N, steps)``: the position is liquidated at ``s`` with ``t < s ≤ t + H`` (module docstring).

    ``liquidation_step`` is ``(P, N)``, :data:`NOT_LIQUIDATED` (−1) for a position never liquidated.
    """
    step = np.arange(steps)[None, None, :]
    when = liquidation_step[:, :, None]
    return np.asarray((when != NOT_LIQUIDATED) & (when > step) & (when <= step + horizon_steps))


def warning_quality(
    warned: BoolArray,
    evaluated: BoolArray,
    liquidation_step: IntArray,
    horizon_steps: int,
    step_seconds: float,
    threshold: float,
) -> WarningQuality:
    """Return precision, recall and lead time of ``warned`` rows against the liquidations (module docstring).

    Parameters
    ----------
    warned:
        ``(P, N, T)`` bool: the rows that are warnings (only evaluated rows count).
    evaluated:
        ``(P, N, T)`` bool: the evaluated rows.
    liquidation_step:
        ``(P, N)``: each position's liquidation step, −1 if never.
    horizon_steps, step_seconds, threshold:
        ``H``, the length of a step and the threshold the warnings used (recorded only).
    """
    _check_dense(evaluated, liquidation_step, horizon_steps)
    warn = warned & evaluated
    label = labels(liquidation_step, evaluated.shape[2], horizon_steps)
    true = warn & label
    per_path_warnings = warn.sum(axis=(1, 2)).astype(np.float64)
    per_path_true = true.sum(axis=(1, 2)).astype(np.float64)
    liquidated = liquidation_step != NOT_LIQUIDATED
    warned_liquidation = true.any(axis=2) & liquidated
    first = np.argmax(true, axis=2)
    lead_seconds = ((liquidation_step - first)[warned_liquidation] * step_seconds).astype(np.float64)
    per_path_liquidations = liquidated.sum(axis=1).astype(np.float64)
    per_path_warned = warned_liquidation.sum(axis=1).astype(np.float64)
    return WarningQuality(
        threshold=float(threshold),
        warnings=int(per_path_warnings.sum()),
        true_warnings=int(per_path_true.sum()),
        liquidations=int(per_path_liquidations.sum()),
        warned_liquidations=int(per_path_warned.sum()),
        precision=_ratio(per_path_true, per_path_warnings),
        recall=_ratio(per_path_warned, per_path_liquidations),
        lead_time_median_seconds=quantile_estimate(lead_seconds, 0.5) if lead_seconds.size else None,
        lead_time_quantiles_seconds=tuple((q, float(np.quantile(lead_seconds, q))) for q in LEAD_QUANTILES)
        if lead_seconds.size
        else (),
    )


def _ratio(numerators: FloatArray, denominators: FloatArray) -> Estimate | None:
    """Return Σ numerators / Σ denominators with a bootstrap interval over paths; ``None`` if nothing to count."""
    # Paths with nothing to count add nothing to either sum: the cluster bootstrap takes the others.
    counted = denominators > 0.0
    if not counted.any():
        return None
    if counted.sum() == 1:
        return proportion_estimate(int(numerators[counted].sum()), int(denominators[counted].sum()))
    return ratio_estimate(numerators[counted], denominators[counted])


def roc_auc(score: FloatArray, label: BoolArray, weight: FloatArray | None = None) -> float:
    """Return the (weighted) Mann–Whitney AUC of ``score`` for ``label``, ties counting one half.

    ``Σ_pos Σ_neg w_i w_j [s_i > s_j] + ½ [s_i = s_j]`` over ``(Σ_pos w)(Σ_neg w)`` (Hanley and
    McNeil 1982). Returns NaN when either class has zero weight.
    """
    groups, inverse = np.unique(np.asarray(score, dtype=np.float64), return_inverse=True)
    return _grouped_auc(inverse.reshape(-1), np.asarray(label, dtype=np.bool_), weight, groups.size)


def _grouped_auc(group: IntArray, label: BoolArray, weight: FloatArray | None, groups: int) -> float:
    """AUC from each row's tie group (ranked ascending by score), labels and weights: one pass."""
    w = np.ones(group.shape[0]) if weight is None else weight
    positive = np.bincount(group, weights=w * label, minlength=groups)
    negative = np.bincount(group, weights=w * ~label, minlength=groups)
    total_positive, total_negative = positive.sum(), negative.sum()
    if total_positive == 0.0 or total_negative == 0.0:
        return float("nan")
    below = np.cumsum(negative) - negative
    return float((positive * (below + 0.5 * negative)).sum() / (total_positive * total_negative))


@dataclass(frozen=True, slots=True)
class AucScores:
    """A score per evaluated row, its label, and its path (for the bootstrap over paths)."""

    score: FloatArray
    label: BoolArray
    path: IntArray
    paths: int


def auc_estimate(rows: AucScores, resamples: int = AUC_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Estimate | None:
    """Return the AUC with a 95% percentile bootstrap interval over paths (module docstring); ``None`` if undefined.

    Each resample draws ``paths`` paths with replacement and weights every row by its path's count.
    """
    groups, inverse = np.unique(rows.score, return_inverse=True)
    group = inverse.reshape(-1)
    value = _grouped_auc(group, rows.label, None, groups.size)
    if np.isnan(value):
        return None
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for index in range(resamples):
        counts = np.bincount(rng.integers(0, rows.paths, rows.paths), minlength=rows.paths).astype(np.float64)
        draws[index] = _grouped_auc(group, rows.label, counts[rows.path], groups.size)
    finite = draws[np.isfinite(draws)]
    tail = (1.0 - CONFIDENCE) / 2.0
    low, high = (
        (float(np.quantile(finite, tail)), float(np.quantile(finite, 1.0 - tail))) if finite.size else (None, None)
    )
    method = f"bootstrap percentile over paths, {resamples} resamples ({finite.size} with both classes)"
    return Estimate(value=value, low=low, high=high, method=method, runs=rows.paths)


@dataclass(frozen=True, slots=True)
class PredictorQuality:
    """One predictor on the held-out paths: its AUC (interval over paths) and its warnings at the threshold."""

    auc: Estimate | None
    warnings: WarningQuality


@dataclass(frozen=True, slots=True)
class PredictiveResult:
    """The "predictive liquidation" section of a study (:func:`ringfence.lab.predictive.run_predictive`).

    Attributes
    ----------
    isolation, margin_scale:
        The design played (the scenario's own, vector engine).
    paths, training_paths, held_out_paths, split_seed:
        Paths played, how they were split (by path, a permutation from ``split_seed``).
    horizon_seconds, threshold:
        The warning horizon and the probability that triggers a warning.
    features:
        The learned predictor's inputs.
    evaluated_rows, positive_rows:
        Evaluated ``(path, position, step)`` rows over all paths, and those with label 1.
    closed_form_all_paths:
        The closed-form warnings over every path (nothing was fitted to them).
    closed_form, learned:
        Both predictors on the held-out paths.
    """

    isolation: str
    margin_scale: float
    paths: int
    training_paths: int
    held_out_paths: int
    split_seed: int
    horizon_seconds: int
    threshold: float
    features: tuple[str, ...]
    evaluated_rows: int
    positive_rows: int
    closed_form_all_paths: WarningQuality
    closed_form: PredictorQuality
    learned: PredictorQuality
