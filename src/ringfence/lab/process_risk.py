"""The scenario's own price process as the risk layer's ``Underlyings``: liquidation probability under it.

Issue 12 asks for the probability of touching a liquidation price "under the scenario's own
process (jumps included)". The lab's geometric Brownian motion and Merton jump diffusion
(``ringfence.lab.paths``) and the risk layer's Monte-Carlo (``ringfence.risk.liquidation_probability``)
use one convention: ``μ`` is the total expected return a year, jumps included (Merton's
compensation ``λκ``), ``σ`` the diffusion's volatility, log jumps ``N(m, s²)``. So the mapping is a
copy of fields; a process without that form (GARCH, a historical replay, an event template) is
refused by name: estimate on simulated paths instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ringfence.core.errors import InvalidParameter
from ringfence.lab.scenario import (
    CorrelatedGbmProcess,
    CorrelatedJumpDiffusionProcess,
    GbmProcess,
    JumpDiffusionProcess,
    PriceProcessModel,
)
from ringfence.risk.liquidation_probability import MonteCarloEstimate, Underlyings, monte_carlo_liquidation_probability

__all__ = ["scenario_liquidation_probability", "underlyings_of"]


def underlyings_of(process: PriceProcessModel) -> tuple[tuple[str, ...], Underlyings]:
    """Return the process's asset names and its ``Underlyings`` (one per asset, in order).

    Raises
    ------
    InvalidParameter
        For a process that is not a (correlated) GBM or jump diffusion.
    """
    if isinstance(process, GbmProcess):
        return (process.asset,), Underlyings.of(process.initial_price, process.volatility, process.drift)
    if isinstance(process, JumpDiffusionProcess):
        underlyings = Underlyings.of(
            process.initial_price,
            process.volatility,
            process.drift,
            process.jump_intensity,
            process.jump_mean,
            process.jump_volatility,
        )
        return (process.asset,), underlyings
    if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess):
        count = len(process.assets)
        drifts = process.drifts if process.drifts is not None else [0.0] * count
        jumps: tuple[ArrayLike, ArrayLike, ArrayLike] = (0.0, 0.0, 0.0)
        if isinstance(process, CorrelatedJumpDiffusionProcess):
            jumps = (process.jump_intensities, process.jump_means, process.jump_volatilities)
        underlyings = Underlyings.of(
            process.initial_prices, process.volatilities, drifts, *jumps, correlation=process.correlation
        )
        return tuple(process.assets), underlyings
    raise InvalidParameter(
        "process.kind",
        process.kind,
        "gbm, jump_diffusion, correlated_gbm or correlated_jump_diffusion (a closed-form process); "
        "for GARCH, a replay or an event, estimate on simulated paths",
    )


def scenario_liquidation_probability(
    process: PriceProcessModel,
    position_asset: list[str],
    liquidation_price: ArrayLike,
    is_long: ArrayLike,
    horizon_years: float,
    steps: int,
    paths: int,
    rng: np.random.Generator,
) -> MonteCarloEstimate:
    """Estimate each position's probability of touching its liquidation price under ``process``.

    ``position_asset`` names each position's asset (one of the process's); the rest is
    :func:`~ringfence.risk.liquidation_probability.monte_carlo_liquidation_probability`'s.

    Raises
    ------
    InvalidParameter
        An asset the process does not price, or a process without a closed form (:func:`underlyings_of`).
    """
    assets, underlyings = underlyings_of(process)
    unknown = sorted(set(position_asset) - set(assets))
    if unknown:
        raise InvalidParameter("position_asset", unknown, f"assets of the scenario's process: {', '.join(assets)}")
    index = np.array([assets.index(asset) for asset in position_asset], dtype=np.int64)
    return monte_carlo_liquidation_probability(
        underlyings, index, liquidation_price, is_long, horizon_years, steps, paths, rng
    )
