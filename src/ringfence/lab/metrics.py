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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.estimate import Estimate
from ringfence.lab.results import RunResult

__all__ = ["PoolSummary", "Summary", "order_rank", "percentile", "summarise"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PoolSummary:
    """One pool's figures across the runs of one design, each with its interval."""

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
        Fraction of runs with contagion > 0.
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
    intervals: Mapping[str, Estimate] = field(default_factory=dict)
    """The :class:`Estimate` of each figure above, keyed by its field name (``"var95_usd"``)."""
    per_pool: tuple[PoolSummary, ...] = ()
    """One :class:`PoolSummary` per pool, in pool order."""
    latent_bad_debt_mean_usd: float = 0.0
    """Mean across runs of the latent bad debt (summed over pools; part of protocol loss)."""


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


def _check_runs(runs: Sequence[RunResult]) -> tuple[str, ...]:
    if not runs:
        raise InvalidParameter("runs", "()", "at least one RunResult")
    pools = runs[0].pools
    for index, run in enumerate(runs):
        if run.pools != pools:
            raise InvalidParameter(f"runs[{index}].pools", run.pools, f"the pools of runs[0], {pools}")
    return pools


def _delays(runs: Sequence[RunResult]) -> tuple[float | None, float | None]:
    delays = np.concatenate([run.liquidations["delay_seconds"].astype(np.float64) for run in runs])
    if delays.size == 0:
        return None, None
    return float(delays.mean()), float(delays.max())


def summarise(runs: Sequence[RunResult]) -> Summary:
    """Condense the runs of one venue design into a :class:`Summary`.

    Parameters
    ----------
    runs:
        At least one run; every run must have the same pools (one design).

    Raises
    ------
    InvalidParameter
        No runs, or runs with different pools.
    """
    pools = _check_runs(runs)
    latent = np.stack([run.latent_per_pool_usd for run in runs])
    bad_debt = _per_run(runs, "bad_debt_usd") + latent
    losses = bad_debt.sum(axis=1)
    drawdown = np.stack([run.insurance_drawdown_usd for run in runs])
    contagion = np.array([run.contagion_usd for run in runs], dtype=np.float64)
    counts = np.array([run.liquidations.size for run in runs], dtype=np.int64)
    volume = np.array([run.liquidated_value_usd for run in runs], dtype=np.float64)
    slippage = np.array([float(run.liquidations["slippage_usd"].sum()) for run in runs], dtype=np.float64)
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
        lp_loss_mean_usd=float(_per_run(runs, "lp_loss_usd").sum(axis=1).mean()),
        adl_loss_mean_usd=float(_per_run(runs, "adl_loss_usd").sum(axis=1).mean()),
        contagion_mean_usd=float(contagion.mean()),
        contagion_max_usd=float(contagion.max()),
        contagion_share=float(np.count_nonzero(contagion > 0.0) / len(runs)),
        liquidation_count_mean=float(counts.mean()),
        liquidation_count_max=int(counts.max()),
        liquidation_volume_mean_usd=float(volume.mean()),
        liquidation_volume_max_usd=float(volume.max()),
        slippage_mean_usd=float(slippage.mean()),
        slippage_max_usd=float(slippage.max()),
        delay_mean_seconds=delay_mean,
        delay_max_seconds=delay_max,
        capital_efficiency_mean=float(np.mean([run.capital_efficiency for run in runs])),
        attacker_profit_mean_usd=float(np.mean([run.attacker_profit_usd for run in runs])),
        latent_bad_debt_mean_usd=float(latent.sum(axis=1).mean()),
    )
