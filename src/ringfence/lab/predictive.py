"""Predictive liquidation, measured: early warnings and a learned predictor against the liquidations that happened.

:func:`run_predictive` plays the scenario's own design on the vector engine over the first
``paths`` paths and reads the whole book at every step (``run_vector(..., watch=...)``: after the
top-ups, before the keepers). For every open position it records its unit's health and surplus,
its price, size and notional, and after the run scores every evaluated row two ways:

1. **Closed form** (:func:`ringfence.risk.early_warning.touch_probability`): the GBM probability of
   touching the position's own liquidation price within the horizon, with ``σ`` the RiskMetrics
   EWMA (λ = 0.94 per step) of its market's **oracle** log returns up to that step (no look-ahead;
   step 1 uses ``|r₁|``), annualised, and **drift 0**.
2. **Learned**: scikit-learn's ``HistGradientBoostingClassifier`` (fixed ``random_state``, no early
   stopping, so the same seed gives the same model) on the features of :data:`FEATURES`, trained on
   the evaluated rows of half the paths (:func:`split_paths`: by path, never by row, a permutation
   from the scenario's seed) and scored on the other half (held-out).

The lab has **no funding** (its markets accrue none), so funding is not a feature. The metrics'
definitions (evaluated rows, label, true positive, precision, recall, lead time, AUC and its
bootstrap over paths) are in :mod:`ringfence.lab.predictive_metrics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.exact.population import Draws, TraderBook
from ringfence.lab.predictive_metrics import (
    NOT_LIQUIDATED,
    AucScores,
    PredictiveResult,
    PredictorQuality,
    WarningQuality,
    auc_estimate,
    labels,
    warning_quality,
)
from ringfence.lab.results import IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector import run_vector
from ringfence.lab.vector.state import Book, Static
from ringfence.risk.early_warning import SECONDS_PER_YEAR, ewma_annual_volatility, touch_probability

__all__ = [
    "DEFAULT_HORIZON_SECONDS",
    "DEFAULT_THRESHOLD",
    "FEATURES",
    "PredictiveSettings",
    "Recorded",
    "run_predictive",
    "split_paths",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

DEFAULT_HORIZON_SECONDS = 4 * 3600
"""Warning horizon: 4 hours (a margin call a trader can act on in a working session)."""
DEFAULT_THRESHOLD = 0.5
"""A warning when the probability of liquidation within the horizon is at least one half."""
FEATURES = ("health", "volatility", "leverage", "depth", "long")
"""The learned predictor's inputs per position and step: the unit's equity over its maintenance
requirement; the annualised EWMA volatility of the position's market (as the closed form uses);
the unit's gross notional over its equity; the position's notional over its market's depth (0
without a depth model); 1 for a long, 0 for a short."""


@dataclass(frozen=True, slots=True)
class PredictiveSettings:
    """What :func:`run_predictive` measures: the horizon, the threshold, and the learned model's size."""

    horizon_seconds: int = DEFAULT_HORIZON_SECONDS
    threshold: float = DEFAULT_THRESHOLD
    boosting_iterations: int = 60
    boosting_leaves: int = 15
    training_share: float = 0.5


@dataclass(slots=True, eq=False)
class Recorded:
    """Per path, position and step ``(P, N, T + 1)`` what the watcher read (step 0 is never evaluated)."""

    size: FloatArray
    price: FloatArray
    surplus_usd: FloatArray
    health: FloatArray
    leverage: FloatArray
    depth: FloatArray
    maintenance_rate: FloatArray
    """Each position's maintenance rate on its path at each step (dynamic margins move it)."""
    position_trader: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    position_market: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def empty(cls, paths: int, positions: int, steps: int) -> Recorded:
        """Return zeroed arrays for ``paths × positions × (steps + 1)``."""
        shape = (paths, positions, steps + 1)
        return cls(
            size=np.zeros(shape),
            price=np.zeros(shape),
            surplus_usd=np.zeros(shape),
            health=np.zeros(shape),
            leverage=np.zeros(shape),
            depth=np.zeros(shape),
            maintenance_rate=np.zeros(shape),
        )

    def watch(
        self, step: int, book: Book, static: Static, price: FloatArray, equity: FloatArray, requirement: FloatArray
    ) -> None:
        """Record one step (a :data:`ringfence.lab.vector.engine.BookObserver`); reads, never writes, the book."""
        design = static.design
        unit = np.arange(design.position_market.shape[0]) // design.slots
        notional = np.abs(book.size) * price
        # Positions are laid out unit by unit, ``slots`` each (the engine's own reshape).
        gross = notional.reshape(notional.shape[0], -1, design.slots).sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            health = np.where(requirement > 0.0, equity / requirement, np.inf)
            leverage = np.where(equity > 0.0, gross / equity, np.inf)
        self.size[:, :, step] = book.size
        self.price[:, :, step] = price
        self.surplus_usd[:, :, step] = (equity - requirement)[:, unit]
        self.health[:, :, step] = health[:, unit]
        self.leverage[:, :, step] = leverage[:, unit]
        self.depth[:, :, step] = notional / static.rules.depth_usd[design.position_market]
        self.maintenance_rate[:, :, step] = book.maintenance
        if step == 1:
            self.position_trader = np.asarray(design.position_trader, dtype=np.int64)
            self.position_market = np.asarray(design.position_market, dtype=np.int64)


def split_paths(paths: int, training_share: float, seed: int) -> tuple[IntArray, IntArray]:
    """Return (training, held-out) path indices: a permutation from ``seed``, the first share for training."""
    if paths < 2:
        raise InvalidParameter("paths", paths, "at least 2 paths (one to train on, one held out)")
    order = np.random.default_rng(seed).permutation(paths)
    cut = min(max(1, round(paths * training_share)), paths - 1)
    return np.sort(order[:cut]).astype(np.int64), np.sort(order[cut:]).astype(np.int64)


def liquidation_steps(runs: Sequence[RunResult], recorded: Recorded) -> IntArray:
    """Return ``(P, N)``: each position's first liquidation step, :data:`NOT_LIQUIDATED` if none."""
    width = recorded.position_trader.shape[0]
    steps = np.full((len(runs), width), NOT_LIQUIDATED, dtype=np.int64)
    index = {
        (int(t), int(m)): n
        for n, (t, m) in enumerate(zip(recorded.position_trader, recorded.position_market, strict=True))
    }
    for path, run in enumerate(runs):
        for row in run.liquidations:
            n = index.get((int(row["trader"]), int(row["market"])))
            if n is not None and (steps[path, n] == NOT_LIQUIDATED or row["step"] < steps[path, n]):
                steps[path, n] = int(row["step"])
    return steps


def _volatility(runs: Sequence[RunResult], recorded: Recorded, step_seconds: int) -> FloatArray:
    """Return ``(P, N, T + 1)``: each position's market's EWMA volatility known at each step (NaN at step 0)."""
    oracle = np.stack([run.oracle_prices for run in runs], axis=1)  # (M, P, T + 1)
    sigma = ewma_annual_volatility(oracle, step_seconds)
    return np.asarray(np.transpose(sigma[recorded.position_market], (1, 0, 2)))


def _closed_form(recorded: Recorded, sigma: FloatArray, evaluated: BoolArray, horizon_years: float) -> FloatArray:
    score = np.zeros(evaluated.shape)
    score[evaluated] = touch_probability(
        recorded.price[evaluated],
        recorded.size[evaluated],
        recorded.maintenance_rate[evaluated],
        recorded.surplus_usd[evaluated],
        sigma[evaluated],
        horizon_years,
    )
    return score


def _features(recorded: Recorded, sigma: FloatArray, rows: BoolArray) -> FloatArray:
    columns = (recorded.health, sigma, recorded.leverage, recorded.depth, (recorded.size > 0.0).astype(np.float64))
    return np.column_stack([column[rows] for column in columns])


def _learned(
    recorded: Recorded,
    sigma: FloatArray,
    evaluated: BoolArray,
    label: BoolArray,
    split: tuple[IntArray, IntArray],
    settings: PredictiveSettings,
    seed: int,
) -> FloatArray:
    """Fit the boosting model on the training paths' evaluated rows; return its probability on every held-out row."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415 - a heavy import, only for this study

    training, held_out = split
    train_rows = np.zeros(evaluated.shape, dtype=np.bool_)
    train_rows[training] = evaluated[training]
    test_rows = np.zeros(evaluated.shape, dtype=np.bool_)
    test_rows[held_out] = evaluated[held_out]
    score = np.zeros(evaluated.shape)
    target = label[train_rows]
    if target.all() or not target.any():
        return score  # one class only: nothing to learn, every held-out row scores 0
    model = HistGradientBoostingClassifier(
        max_iter=settings.boosting_iterations,
        max_leaf_nodes=settings.boosting_leaves,
        early_stopping=False,
        random_state=seed % 2**32,
    )
    model.fit(_features(recorded, sigma, train_rows), target)
    score[test_rows] = model.predict_proba(_features(recorded, sigma, test_rows))[:, 1]
    return score


@dataclass(frozen=True, slots=True)
class _Scored:
    """What every predictor is measured against: evaluated rows, liquidation steps, horizon, step length."""

    evaluated: BoolArray
    liquidated: IntArray
    horizon_steps: int
    step_seconds: int
    threshold: float

    def warnings(self, score: FloatArray, paths: IntArray) -> WarningQuality:
        """Return the warnings' quality of ``score`` on ``paths``."""
        warned = score[paths] >= self.threshold
        return warning_quality(
            warned, self.evaluated[paths], self.liquidated[paths], self.horizon_steps, self.step_seconds, self.threshold
        )

    def quality(self, score: FloatArray, paths: IntArray) -> PredictorQuality:
        """Return the AUC (bootstrap over ``paths``) and the warnings' quality of ``score`` on ``paths``."""
        rows = self.evaluated[paths]
        label = labels(self.liquidated[paths], rows.shape[2], self.horizon_steps)
        path_of_row = np.broadcast_to(np.arange(paths.shape[0], dtype=np.int64)[:, None, None], rows.shape)[rows]
        auc = auc_estimate(AucScores(score[paths][rows], label[rows], path_of_row, int(paths.shape[0])))
        return PredictorQuality(auc=auc, warnings=self.warnings(score, paths))


def run_predictive(
    scenario: Scenario,
    paths: ScenarioPaths,
    books: Sequence[TraderBook],
    draws: Sequence[Draws],
    design: tuple[IsolationLevel, float],
    settings: PredictiveSettings | None = None,
) -> PredictiveResult:
    """Measure the closed-form warnings and the learned predictor on the first paths of ``paths`` (module docstring).

    Parameters
    ----------
    scenario:
        A scenario the vector engine models.
    paths:
        Its paths; every path of it is played (slice before calling to play fewer).
    books:
        The population (one), or one per path with one layout.
    draws:
        The uniforms, one per path.
    design:
        The rung and margin scale to play.
    settings:
        Horizon, threshold and model size (:class:`PredictiveSettings`).

    Raises
    ------
    InvalidParameter
        Fewer than 2 paths, or a horizon shorter than one step.
    """
    chosen = PredictiveSettings() if settings is None else settings
    step_seconds = scenario.horizon.step_seconds
    if chosen.horizon_seconds < step_seconds:
        raise InvalidParameter("horizon_seconds", chosen.horizon_seconds, f"at least one step ({step_seconds} s)")
    n_paths = paths.market.shape[1]
    split = split_paths(n_paths, chosen.training_share, scenario.seed)
    traders = books[0] if len(books) == 1 else tuple(books[:n_paths])
    width = len(books[0].position_trader)
    recorded = Recorded.empty(n_paths, width, scenario.horizon.steps)
    runs = run_vector(scenario, paths, traders, draws[:n_paths], *design, watch=recorded.watch)
    liquidated = liquidation_steps(runs, recorded)
    sigma = _volatility(runs, recorded, step_seconds)
    evaluated = (recorded.size != 0.0) & (recorded.surplus_usd > 0.0)
    evaluated[:, :, 0] = False
    horizon_steps = chosen.horizon_seconds // step_seconds
    label = labels(liquidated, evaluated.shape[2], horizon_steps)
    closed = _closed_form(recorded, sigma, evaluated, chosen.horizon_seconds / SECONDS_PER_YEAR)
    learned = _learned(recorded, sigma, evaluated, label, split, chosen, scenario.seed)
    scored = _Scored(evaluated, liquidated, horizon_steps, step_seconds, chosen.threshold)
    return PredictiveResult(
        isolation=design[0],
        margin_scale=design[1],
        paths=n_paths,
        training_paths=int(split[0].shape[0]),
        held_out_paths=int(split[1].shape[0]),
        split_seed=scenario.seed,
        horizon_seconds=horizon_steps * step_seconds,
        threshold=chosen.threshold,
        features=FEATURES,
        evaluated_rows=int(evaluated.sum()),
        positive_rows=int((evaluated & label).sum()),
        closed_form_all_paths=scored.warnings(closed, np.arange(n_paths, dtype=np.int64)),
        closed_form=scored.quality(closed, split[1]),
        learned=scored.quality(learned, split[1]),
    )
