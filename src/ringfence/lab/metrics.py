"""Stress metrics across runs: pure numpy over a sequence of :class:`~ringfence.lab.results.RunResult`.

A :class:`Summary` condenses the runs of one venue design (one isolation rung and margin scale)
into the numbers the report and the JSON export show. Per-run quantities are defined in
``docs/stress-model.md``; this module only aggregates them across runs.

Tail measures
-------------
*Protocol loss* of a run is its total bad debt plus its latent bad debt (positions still open and
underwater at the end, marked at the final market price), summed over pools.

- **VaR95**: the 95th percentile of protocol loss across runs. Gauntlet orders its simulation runs
  by net insolvent amount and quotes the 95th percentile as VaR
  (https://risk.gauntlet.network/faq; "VaR Deepdive", https://medium.com/gauntlet-networks/var-deepdive-b4a9b6097e9f).
  Chaos Labs reports the same measure for its agent-based simulations of Aave and other protocols
  (https://governance.aave.com/t/chaos-labs-risk-simulation-platform-proposal/9517).
- **EVaR99** ("Extreme VaR", Chaos Labs' name in its risk-parameter reports): the 99th percentile of
  protocol loss. Not the *entropic* VaR of Ahmadi-Javid (2012), which shares the acronym.
- **LaR95** (Gauntlet, "Liquidations at Risk"): the 95th percentile of liquidated value (notional
  closed by liquidations) across runs; same FAQ page: "LaR is calculated as the 95th percentile
  amount of liquidations that occur in our simulations".

Percentiles are order statistics of the runs: the ``p``-th percentile of ``n`` values is the
``⌈p · n / 100⌉``-th smallest (1-based), the quantile of the empirical distribution
``inf{x : F_n(x) ≥ p/100}`` -- the textbook definition of VaR applied to the runs, and numpy's
``method="inverted_cdf"`` (Hyndman and Fan's type 1; a differential test holds them equal). With the
few runs an exact study affords, an interpolated percentile would be a loss that no run had; an
order statistic is always a loss that happened. With 20 runs, VaR95 is the 19th smallest loss and
EVaR99 the 20th (the largest); with 100 runs, the 95th and the 99th. numpy's ``method="higher"``
(index ``⌈q · (n − 1)⌉``) was considered and not used: with 20 runs it makes VaR95 the largest loss,
equal to EVaR99 for every study of up to 20 runs, so the two columns would carry one number.

Intervals
---------
Every statistic of a :class:`Summary` also has an :class:`~ringfence.lab.estimate.Estimate` in
``Summary.intervals`` (keyed by the field's name, :data:`INTERVAL_FIELDS`): means with a percentile
bootstrap interval, percentiles (VaR95, EVaR99, LaR95, the median) with the exact order-statistic
interval, the share of runs with contagion with the exact binomial interval, the mean delay with a
bootstrap over runs. Maxima and the per-pool tuples have none (:data:`DESCRIPTIVE_FIELDS`): a
maximum describes the runs played and grows with their number, it estimates no parameter; per-pool
figures have theirs in ``Summary.per_pool``.

Materiality
-----------
A run *has contagion* when its contagion exceeds :func:`contagion_materiality_usd`:
``max($100, 1e-6 × LP capital)``. Contagion is a float sum of many shares of shortfalls; on a
design where no loss crosses markets it is rounding dust (nano-dollars) on the vector engine and
exactly 0 on the exact one, and a share that counts dust says nothing. $100 is far above float64
dust on these amounts (ulp of $10^9 is $1.2e-7, so even 10^6 operations accumulate well below a cent)
and far below any loss a risk committee weighs; the relative term keeps it meaningful for a venue of
billions ($1,000 per $1B of LP capital). The threshold is in ``Summary.contagion_materiality_usd``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.estimate import Estimate, mean_estimate, proportion_estimate, quantile_estimate, ratio_estimate
from ringfence.lab.results import RunResult

__all__ = [
    "CONTAGION_MATERIALITY_FLOOR_USD",
    "CONTAGION_MATERIALITY_SHARE",
    "DESCRIPTIVE_FIELDS",
    "INTERVAL_FIELDS",
    "PoolSummary",
    "Summary",
    "contagion_materiality_usd",
    "order_rank",
    "percentile",
    "protocol_losses",
    "summarise",
]

CONTAGION_MATERIALITY_FLOOR_USD = 100.0
"""A run's contagion counts in ``contagion_share`` only above this many USD (module docstring)."""
CONTAGION_MATERIALITY_SHARE = 1e-6
"""... or above this fraction of the design's LP capital, whichever is larger."""

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PoolSummary:
    """One pool's figures across the runs of one design, each with its interval.

    ``bad_debt_mean``, ``var95`` and ``evar99`` are of the pool's bad debt; ``lar95`` of the notional
    liquidated in the pool; ``lp_pnl_mean`` of the change of the pool's LP NAV from the first grid
    time to the last (LP redemptions, when LPs flee, lower the NAV too: it is the vault's change, not
    a per-share return); ``insurance_drawdown_mean`` of the pool's insurance drawdown.
    """

    pool: str
    bad_debt_mean: Estimate
    var95: Estimate
    evar99: Estimate
    lar95: Estimate
    lp_pnl_mean: Estimate
    insurance_drawdown_mean: Estimate


@dataclass(frozen=True, slots=True)
class Summary:
    """The runs of one venue design condensed. Amounts in USD; "mean" and "max" are across runs.

    Attributes
    ----------
    runs:
        How many runs were summarised.
    pools:
        Pool names, in index order (the per-pool tuples follow it).
    bad_debt_mean_usd, bad_debt_median_usd:
        Protocol loss (total bad debt of a run, latent bad debt included), mean and median across runs.
    bad_debt_per_pool_mean_usd:
        Per pool, mean bad debt (latent included) across runs.
    var95_usd, evar99_usd:
        95th and 99th percentile of protocol loss (module docstring).
    lar95_usd:
        95th percentile of liquidated value.
    insurance_drawdown_mean_usd, insurance_drawdown_max_usd:
        A run's insurance drawdown is the sum over pools of each fund's largest fall from its
        running peak (a USD total, comparable between one shared fund and one fund per pool).
    insurance_drawdown_per_pool_mean_usd:
        Per pool, mean drawdown across runs.
    lp_loss_mean_usd, adl_loss_mean_usd:
        Summed over pools, mean across runs.
    contagion_mean_usd, contagion_max_usd:
        Contagion loss across runs.
    contagion_share:
        Fraction of runs whose contagion exceeds ``contagion_materiality_usd``.
    liquidation_count_mean, liquidation_count_max:
        Liquidations per run.
    liquidation_volume_mean_usd, liquidation_volume_max_usd:
        Notional liquidated per run.
    slippage_mean_usd, slippage_max_usd:
        Unwind slippage per run.
    delay_mean_seconds, delay_max_seconds:
        Over every liquidation of every run (each liquidation weighs the same); ``None`` when no
        run liquidated anything.
    capital_efficiency_mean:
        Mean across runs of time-averaged open notional / collateral.
    attacker_profit_mean_usd:
        Mean across runs (0 without an attacker).
    contagion_materiality_usd:
        The threshold of ``contagion_share`` (:func:`contagion_materiality_usd`).
    """

    runs: int
    pools: tuple[str, ...]
    bad_debt_mean_usd: float
    bad_debt_median_usd: float
    bad_debt_per_pool_mean_usd: tuple[float, ...]
    var95_usd: float
    evar99_usd: float
    lar95_usd: float
    insurance_drawdown_mean_usd: float
    insurance_drawdown_max_usd: float
    insurance_drawdown_per_pool_mean_usd: tuple[float, ...]
    lp_loss_mean_usd: float
    adl_loss_mean_usd: float
    contagion_mean_usd: float
    contagion_max_usd: float
    contagion_share: float
    liquidation_count_mean: float
    liquidation_count_max: int
    liquidation_volume_mean_usd: float
    liquidation_volume_max_usd: float
    slippage_mean_usd: float
    slippage_max_usd: float
    delay_mean_seconds: float | None
    delay_max_seconds: float | None
    capital_efficiency_mean: float
    attacker_profit_mean_usd: float
    contagion_materiality_usd: float = CONTAGION_MATERIALITY_FLOOR_USD
    intervals: Mapping[str, Estimate] = field(default_factory=dict)
    """The :class:`Estimate` of each figure in :data:`INTERVAL_FIELDS`, keyed by its field name (``"var95_usd"``);
    empty when :func:`summarise` was asked for no intervals."""
    per_pool: tuple[PoolSummary, ...] = ()
    """One :class:`PoolSummary` per pool, in pool order."""
    latent_bad_debt_mean_usd: float = 0.0
    """Mean across runs of the latent bad debt (summed over pools; part of protocol loss)."""
    unserved_share: float | None = None
    """Of the liquidations the keepers were asked for, the share no keeper took for lack of profit:
    ``Σ unserved / Σ (unserved + liquidations)`` over runs (``None`` when nothing was asked for)."""
    gas_mean_usd: float = 0.0
    """Mean across runs of the gas paid for liquidation transactions (keepers' and the protocol's)."""


def order_rank(percent: float, count: int) -> int:
    """Return the 1-based rank of the order statistic that is the ``percent``-th percentile of ``count`` values.

    ``⌈percent · count / 100⌉``, at least 1, computed in exact fractions (``0.95 · 20`` is 19, not a
    float a hair above it): with 20 values, 95 → 19 and 99 → 20; with 100 values, 95 → 95.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidParameter("count", count, "an integer >= 1")
    if not 0.0 <= percent <= 100.0:
        raise InvalidParameter("percent", percent, "a number in [0, 100]")
    return max(1, math.ceil(Fraction(percent) * count / 100))


def percentile(values: FloatArray, percent: float) -> float:
    """Return the ``percent``-th percentile of ``values``: the observed value of rank :func:`order_rank`.

    Parameters
    ----------
    values:
        One value per run; at least one, all finite.
    percent:
        In ``[0, 100]``.
    """
    if values.size == 0:
        raise InvalidParameter("values", "[]", "at least one value")
    if not np.all(np.isfinite(values)):
        raise InvalidParameter("values", values.tolist(), "finite numbers")
    rank = order_rank(percent, int(values.size))
    return float(np.sort(values, kind="stable")[rank - 1])


def _per_run(runs: Sequence[RunResult], field: str) -> FloatArray:
    """Stack a per-pool field of every run into shape ``(runs, pools)``."""
    return np.stack([np.asarray(getattr(run, field), dtype=np.float64) for run in runs])


def protocol_losses(runs: Sequence[RunResult]) -> FloatArray:
    """Return each run's protocol loss (bad debt plus latent bad debt), shape ``(runs,)``: VaR's and EVaR's figure."""
    return np.array([run.protocol_loss_usd for run in runs], dtype=np.float64)


def _check_runs(runs: Sequence[RunResult]) -> tuple[str, ...]:
    if not runs:
        raise InvalidParameter("runs", "()", "at least one RunResult")
    pools = runs[0].pools
    for index, run in enumerate(runs):
        if run.pools != pools:
            raise InvalidParameter(f"runs[{index}].pools", run.pools, f"the pools of runs[0], {pools}")
    return pools


INTERVAL_FIELDS: tuple[str, ...] = (
    "bad_debt_mean_usd",
    "bad_debt_median_usd",
    "var95_usd",
    "evar99_usd",
    "lar95_usd",
    "insurance_drawdown_mean_usd",
    "lp_loss_mean_usd",
    "adl_loss_mean_usd",
    "contagion_mean_usd",
    "contagion_share",
    "liquidation_count_mean",
    "liquidation_volume_mean_usd",
    "slippage_mean_usd",
    "delay_mean_seconds",
    "capital_efficiency_mean",
    "attacker_profit_mean_usd",
    "latent_bad_debt_mean_usd",
    "unserved_share",
    "gas_mean_usd",
)
"""The :class:`Summary` fields that have an :class:`Estimate` in ``Summary.intervals``."""
DESCRIPTIVE_FIELDS: tuple[str, ...] = (
    "bad_debt_per_pool_mean_usd",
    "insurance_drawdown_max_usd",
    "insurance_drawdown_per_pool_mean_usd",
    "contagion_max_usd",
    "liquidation_count_max",
    "liquidation_volume_max_usd",
    "slippage_max_usd",
    "delay_max_seconds",
)
"""The figures without an interval: maxima describe the runs played; per-pool tuples are in ``per_pool``."""


def contagion_materiality_usd(lp_capital_usd: float) -> float:
    """Return the contagion a run must exceed to count in ``contagion_share``: ``max($100, 1e-6 × LP capital)``."""
    return max(CONTAGION_MATERIALITY_FLOOR_USD, CONTAGION_MATERIALITY_SHARE * lp_capital_usd)


def _delays(runs: Sequence[RunResult]) -> tuple[float | None, float | None]:
    delays = np.concatenate([run.liquidations["delay_seconds"].astype(np.float64) for run in runs])
    if delays.size == 0:
        return None, None
    return float(delays.mean()), float(delays.max())


def _delay_estimate(runs: Sequence[RunResult]) -> Estimate:
    """Return the mean delay over every liquidation with a bootstrap over the runs that liquidated."""
    sums = np.array([float(run.liquidations["delay_seconds"].sum()) for run in runs], dtype=np.float64)
    counts = np.array([run.liquidations.size for run in runs], dtype=np.float64)
    liquidated = counts > 0
    if not liquidated.any():
        return Estimate(None, None, None, "no run liquidated anything", len(runs))
    return replace(ratio_estimate(sums[liquidated], counts[liquidated]), runs=len(runs))


def _pool_volume(runs: Sequence[RunResult], pools: int) -> FloatArray:
    """Return the notional liquidated per run and pool, shape ``(runs, pools)``."""
    volume = np.zeros((len(runs), pools))
    for index, run in enumerate(runs):
        records = run.liquidations
        volume[index] = np.bincount(records["pool"], weights=records["notional_usd"], minlength=pools)[:pools]
    return volume


def _per_pool(runs: Sequence[RunResult], pools: tuple[str, ...]) -> tuple[PoolSummary, ...]:
    bad_debt = _per_run(runs, "bad_debt_usd") + np.stack([run.latent_per_pool_usd for run in runs])
    volume = _pool_volume(runs, len(pools))
    lp_pnl = np.stack([run.lp_nav_usd[:, -1] - run.lp_nav_usd[:, 0] for run in runs])
    drawdown = np.stack([run.insurance_drawdown_usd for run in runs])
    return tuple(
        PoolSummary(
            pool=name,
            bad_debt_mean=mean_estimate(bad_debt[:, index]),
            var95=quantile_estimate(bad_debt[:, index], 0.95),
            evar99=quantile_estimate(bad_debt[:, index], 0.99),
            lar95=quantile_estimate(volume[:, index], 0.95),
            lp_pnl_mean=mean_estimate(lp_pnl[:, index]),
            insurance_drawdown_mean=mean_estimate(drawdown[:, index]),
        )
        for index, name in enumerate(pools)
    )


def _median_estimate(losses: FloatArray) -> Estimate:
    """Return the median (numpy's, averaging the middle pair) with the 50th percentile's order-statistic interval."""
    estimate = quantile_estimate(losses, 0.5)
    if estimate.value is None:
        return estimate
    return replace(estimate, value=float(np.median(losses)))


def _intervals(runs: Sequence[RunResult], columns: Mapping[str, FloatArray], material: int) -> dict[str, Estimate]:
    intervals = {name: mean_estimate(columns[name]) for name in _MEAN_COLUMNS}
    intervals["bad_debt_median_usd"] = _median_estimate(columns["bad_debt_mean_usd"])
    intervals["var95_usd"] = quantile_estimate(columns["bad_debt_mean_usd"], 0.95)
    intervals["evar99_usd"] = quantile_estimate(columns["bad_debt_mean_usd"], 0.99)
    intervals["lar95_usd"] = quantile_estimate(columns["liquidation_volume_mean_usd"], 0.95)
    intervals["contagion_share"] = proportion_estimate(material, len(runs))
    intervals["delay_mean_seconds"] = _delay_estimate(runs)
    intervals["unserved_share"] = _unserved_estimate(runs)
    return {name: intervals[name] for name in INTERVAL_FIELDS}


_MEAN_COLUMNS = (
    "bad_debt_mean_usd",
    "insurance_drawdown_mean_usd",
    "lp_loss_mean_usd",
    "adl_loss_mean_usd",
    "contagion_mean_usd",
    "liquidation_count_mean",
    "liquidation_volume_mean_usd",
    "slippage_mean_usd",
    "capital_efficiency_mean",
    "attacker_profit_mean_usd",
    "latent_bad_debt_mean_usd",
    "gas_mean_usd",
)


def _unserved_counts(runs: Sequence[RunResult]) -> tuple[FloatArray, FloatArray]:
    """Return per run the liquidations no keeper took and those asked for (taken + not taken)."""
    unserved = np.array([run.unserved_liquidations for run in runs], dtype=np.float64)
    asked = unserved + np.array([run.liquidations.size for run in runs], dtype=np.float64)
    return unserved, asked


def _unserved_share(runs: Sequence[RunResult]) -> float | None:
    unserved, asked = _unserved_counts(runs)
    return None if asked.sum() == 0 else float(unserved.sum() / asked.sum())


def _unserved_estimate(runs: Sequence[RunResult]) -> Estimate:
    """Return the unserved share with a bootstrap over the runs that asked for a liquidation (events cluster by run)."""
    unserved, asked = _unserved_counts(runs)
    if not (asked > 0).any():
        return Estimate(None, None, None, "no run asked for a liquidation", len(runs))
    return replace(ratio_estimate(unserved[asked > 0], asked[asked > 0]), runs=len(runs))


def _columns(runs: Sequence[RunResult]) -> dict[str, FloatArray]:
    """Return the per-run value of every mean figure, keyed by the field of its mean."""
    return {
        "bad_debt_mean_usd": protocol_losses(runs),
        "insurance_drawdown_mean_usd": np.stack([run.insurance_drawdown_usd for run in runs]).sum(axis=1),
        "lp_loss_mean_usd": _per_run(runs, "lp_loss_usd").sum(axis=1),
        "adl_loss_mean_usd": _per_run(runs, "adl_loss_usd").sum(axis=1),
        "contagion_mean_usd": np.array([run.contagion_usd for run in runs], dtype=np.float64),
        "liquidation_count_mean": np.array([run.liquidations.size for run in runs], dtype=np.float64),
        "liquidation_volume_mean_usd": np.array([run.liquidated_value_usd for run in runs], dtype=np.float64),
        "slippage_mean_usd": np.array([float(run.liquidations["slippage_usd"].sum()) for run in runs]),
        "capital_efficiency_mean": np.array([run.capital_efficiency for run in runs], dtype=np.float64),
        "attacker_profit_mean_usd": np.array([run.attacker_profit_usd for run in runs], dtype=np.float64),
        "latent_bad_debt_mean_usd": np.array([float(run.latent_per_pool_usd.sum()) for run in runs]),
        "gas_mean_usd": np.array([run.gas_usd for run in runs], dtype=np.float64),
    }


def summarise(runs: Sequence[RunResult], *, intervals: bool = True) -> Summary:
    """Condense the runs of one venue design into a :class:`Summary`.

    Parameters
    ----------
    runs:
        At least one run; every run must have the same pools (one design).
    intervals:
        Whether to fill ``Summary.intervals`` and ``Summary.per_pool`` (the bootstrap costs a few
        hundredths of a second per figure at 1,000 runs; a frontier point needs only its means).

    Raises
    ------
    InvalidParameter
        No runs, or runs with different pools.
    """
    pools = _check_runs(runs)
    columns = _columns(runs)
    latent = np.stack([run.latent_per_pool_usd for run in runs])
    bad_debt = _per_run(runs, "bad_debt_usd") + latent
    losses = columns["bad_debt_mean_usd"]
    drawdown = np.stack([run.insurance_drawdown_usd for run in runs])
    contagion = columns["contagion_mean_usd"]
    counts = columns["liquidation_count_mean"]
    volume = columns["liquidation_volume_mean_usd"]
    slippage = columns["slippage_mean_usd"]
    threshold = contagion_materiality_usd(float(runs[0].lp_nav_usd[:, 0].sum()))
    material = int(np.count_nonzero(contagion > threshold))
    delay_mean, delay_max = _delays(runs)
    return Summary(
        runs=len(runs),
        pools=pools,
        bad_debt_mean_usd=float(losses.mean()),
        bad_debt_median_usd=float(np.median(losses)),
        bad_debt_per_pool_mean_usd=tuple(float(value) for value in bad_debt.mean(axis=0)),
        var95_usd=percentile(losses, 95.0),
        evar99_usd=percentile(losses, 99.0),
        lar95_usd=percentile(volume, 95.0),
        insurance_drawdown_mean_usd=float(drawdown.sum(axis=1).mean()),
        insurance_drawdown_max_usd=float(drawdown.sum(axis=1).max()),
        insurance_drawdown_per_pool_mean_usd=tuple(float(value) for value in drawdown.mean(axis=0)),
        lp_loss_mean_usd=float(columns["lp_loss_mean_usd"].mean()),
        adl_loss_mean_usd=float(columns["adl_loss_mean_usd"].mean()),
        contagion_mean_usd=float(contagion.mean()),
        contagion_max_usd=float(contagion.max()),
        contagion_share=material / len(runs),
        liquidation_count_mean=float(counts.mean()),
        liquidation_count_max=int(counts.max()),
        liquidation_volume_mean_usd=float(volume.mean()),
        liquidation_volume_max_usd=float(volume.max()),
        slippage_mean_usd=float(slippage.mean()),
        slippage_max_usd=float(slippage.max()),
        delay_mean_seconds=delay_mean,
        delay_max_seconds=delay_max,
        capital_efficiency_mean=float(columns["capital_efficiency_mean"].mean()),
        attacker_profit_mean_usd=float(columns["attacker_profit_mean_usd"].mean()),
        contagion_materiality_usd=threshold,
        intervals=_intervals(runs, columns, material) if intervals else {},
        per_pool=_per_pool(runs, pools) if intervals else (),
        latent_bad_debt_mean_usd=float(columns["latent_bad_debt_mean_usd"].mean()),
        unserved_share=_unserved_share(runs),
        gas_mean_usd=float(columns["gas_mean_usd"].mean()),
    )
