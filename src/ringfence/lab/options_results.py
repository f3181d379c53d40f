"""What a run records of its option markets, and their figures across runs (``docs/stress-options.md``).

:class:`OptionRun` rides on a :class:`~ringfence.lab.results.RunResult` (``RunResult.options``):
per option market, the writers' pool's net Greeks at every grid time (the core's
:func:`~ringfence.core.pool.series_exposure.pool_exposure`, the vault's side of its series), the
published at-the-money volatility, and the run's totals. :func:`summarise_options` condenses the
runs of one design: every mean with its 95% bootstrap interval, and the Greeks' mean path with a
pointwise 95% bootstrap interval at each grid time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.estimate import Estimate, mean_estimate

__all__ = ["OPTION_TOTALS", "GreekPath", "OptionMarketSummary", "OptionRun", "summarise_options"]

FloatArray = NDArray[np.float64]

OPTION_TOTALS: tuple[str, ...] = (
    "premium_usd",
    "vault_pnl_usd",
    "bad_debt_usd",
    "latent_bad_debt_usd",
    "liquidations",
    "liquidated_notional_usd",
    "settlement_paid_usd",
    "positions_opened",
    "openings_refused",
    "smiles_refused",
    "borne_by_other_lps_usd",
    "writer_top_ups_usd",
)
"""Per-run totals of each option market, in :class:`OptionRun`'s field order (one value per market)."""


@dataclass(frozen=True, slots=True, eq=False)
class OptionRun:
    """One run's option markets, in ``venue.options`` order (arrays of shape ``(n_markets, …)``).

    Attributes
    ----------
    markets:
        Each option market's label (``ETH-OPTIONS``); ``pools`` the pool whose LP vault writes it.
    delta, gamma, vega_per_point:
        Shape ``(n_markets, steps + 1)``: the writers' pool's net delta (units of the underlying),
        gamma (per USD of the underlying's price) and vega (USD per volatility point) in the
        market's underlying, at the end of each step.
    atm_volatility:
        Shape ``(n_markets, steps + 1)``: the at-the-money volatility the oracle agent published.
    premium_usd:
        Net premium the vault received when the traders opened (buyers paid, writers were paid).
    vault_pnl_usd:
        The options' contribution to their vault over the run: premiums, fees, buy-backs and
        settlements, less the traders' open positions at their marks at the end.
    bad_debt_usd:
        Shortfalls of liquidated and settled positions (what their isolated vaults could not pay).
    latent_bad_debt_usd:
        Negative equity of positions still open at the end, at their marks.
    liquidations, liquidated_notional_usd:
        Keepers' ``LiquidateSeries`` and the underlying notional ``|size|·F`` they closed.
    settlement_paid_usd:
        What settlements paid out of the vault net of what they collected.
    positions_opened, openings_refused:
        Traders' opening trades the engine filled, and refused (a refusal leaves the trader flat).
    smiles_refused:
        Smiles the engine refused (the series then keep the last one; new risk past its age is refused).
    borne_by_other_lps_usd:
        The options' vault P&L borne by the LPs of other markets (their shares of the writing vault):
        positive when they bore a loss; 0 on the isolated rungs, where the options' vault is their own.
    writer_top_ups_usd:
        Margin writers added from their reserves (``AdjustSeriesMargin``).
    """

    markets: tuple[str, ...]
    pools: tuple[str, ...]
    delta: FloatArray
    gamma: FloatArray
    vega_per_point: FloatArray
    atm_volatility: FloatArray
    premium_usd: FloatArray
    vault_pnl_usd: FloatArray
    bad_debt_usd: FloatArray
    latent_bad_debt_usd: FloatArray
    liquidations: FloatArray
    liquidated_notional_usd: FloatArray
    settlement_paid_usd: FloatArray
    positions_opened: FloatArray
    openings_refused: FloatArray
    smiles_refused: FloatArray
    borne_by_other_lps_usd: FloatArray
    writer_top_ups_usd: FloatArray


@dataclass(frozen=True, slots=True)
class GreekPath:
    """One Greek's mean path across runs, with a pointwise 95% bootstrap interval at each grid time."""

    mean: tuple[float, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class OptionMarketSummary:
    """One option market's figures across the runs of one design.

    ``totals`` maps each name of :data:`OPTION_TOTALS` to its mean with the interval;
    ``peak_abs_vega`` is the mean over runs of the largest ``|vega|`` of the path (USD per point).
    The Greek paths and the ATM volatility are set for the scenario's own design only (``None``
    on the ladder's rows, to keep the results small).
    """

    market: str
    pool: str
    totals: dict[str, Estimate]
    peak_abs_vega: Estimate
    delta: GreekPath | None = None
    gamma: GreekPath | None = None
    vega_per_point: GreekPath | None = None
    atm_volatility: GreekPath | None = None


def _path(values: FloatArray) -> GreekPath:
    """Return the mean across runs (rows) at each grid time (columns) with its interval."""
    estimates = [mean_estimate(values[:, t]) for t in range(values.shape[1])]
    return GreekPath(
        tuple(float(e.value) if e.value is not None else 0.0 for e in estimates),
        tuple(e.low for e in estimates),
        tuple(e.high for e in estimates),
    )


def summarise_options(runs: Sequence[OptionRun], *, paths: bool) -> tuple[OptionMarketSummary, ...]:
    """Condense the option markets of one design's runs (``paths``: also the Greeks over time)."""
    if not runs:
        return ()
    first = runs[0]
    summaries = []
    for m, market in enumerate(first.markets):
        totals = {
            name: mean_estimate(np.array([float(getattr(run, name)[m]) for run in runs])) for name in OPTION_TOTALS
        }
        vega = np.stack([run.vega_per_point[m] for run in runs])
        peak = mean_estimate(np.abs(vega).max(axis=1))
        series = {}
        if paths:
            series = {
                "delta": _path(np.stack([run.delta[m] for run in runs])),
                "gamma": _path(np.stack([run.gamma[m] for run in runs])),
                "vega_per_point": _path(vega),
                "atm_volatility": _path(np.stack([run.atm_volatility[m] for run in runs])),
            }
        summaries.append(OptionMarketSummary(market, first.pools[m], totals, peak, **series))
    return tuple(summaries)
