"""dYdX v4's bankruptcy-adjusted fillable price: the worst price a liquidation may fill at.

dYdX v4 (``dydxprotocol/v4-chain`` ``protocol/x/clob/keeper/liquidations.go``,
``GetFillablePrice``; the parameters in ``proto/dydxprotocol/clob/liquidations_config.proto``,
``FillablePriceConfig``) places a liquidation order as an immediate-or-cancel order limited at
the *fillable price*::

    fillable = (PNNV − ABR·SMMR·PMMR) / PS,   ABR = clamp(BA·(1 − TNC/TMMR), 0, 1)

with ``PS`` the signed position size, ``PNNV`` its signed notional at the oracle, ``PMMR`` its
maintenance requirement, ``TNC``/``TMMR`` the account's net collateral and maintenance
requirement, ``BA`` the bankruptcy adjustment (ppm; dYdX's ``LiquidationsConfig.Validate`` in
``protocol/x/clob/types/liquidations_config.go`` requires ≥ 1,000,000) and ``SMMR`` the spread
to maintenance margin ratio (ppm; dYdX refuses 0, and ringfence also refuses more than
1,000,000, dYdX's ``FillablePriceConfig_Max_Smmr``, so the spread never exceeds the position's
requirement). dYdX's default config is BA = 1,000,000 and SMMR = 100,000
(``protocol/x/clob/types`` ``LiquidationsConfig_Default``). A barely-unhealthy
account (``TNC/TMMR`` near 1) may be filled only near the oracle; a bankrupt one
(``TNC ≤ 0``) as far as ``SMMR·PMMR`` from it.

How ringfence uses it: as a **bound on a keeper's execution price**
(``Liquidate.execution_price_wad``), not as the price the close is valued at. The close is
already valued at the oracle (sizing, path, penalty; SPEC §2.6) and the keeper's fill in the
outside market is charged to the account as an execution cost; the fillable price is exactly
dYdX's answer to "how bad a fill may the account be made to take", the role
``LiquidationPolicy.max_execution_gap_wad`` plays with a fixed share. Valuing the close at the
fillable price instead would charge every liquidated account the full allowed spread whether
or not the keeper paid it.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import WAD

__all__ = [
    "DYDX_BANKRUPTCY_ADJUSTMENT_PPM",
    "DYDX_SPREAD_TO_MAINTENANCE_PPM",
    "PPM",
    "dydx_adjusted_bankruptcy_rating",
    "dydx_fillable_gap_wad",
    "dydx_fillable_price",
]

PPM = 1_000_000
DYDX_BANKRUPTCY_ADJUSTMENT_PPM = PPM
"""dYdX v4 ``LiquidationsConfig_Default.FillablePriceConfig.BankruptcyAdjustmentPpm``."""
DYDX_SPREAD_TO_MAINTENANCE_PPM = 100_000
"""dYdX v4 ``LiquidationsConfig_Default.FillablePriceConfig.SpreadToMaintenanceMarginRatioPpm``."""


def dydx_adjusted_bankruptcy_rating(
    net_collateral: int, maintenance_requirement: int, bankruptcy_adjustment_ppm: int
) -> Fraction:
    """Return ``ABR = clamp(BA·(1 − TNC/TMMR), 0, 1)``, exact (dYdX ``GetFillablePrice``).

    Raises
    ------
    InvalidParameter
        If ``TMMR ≤ 0`` (an account with no requirement is never liquidated).
    """
    if maintenance_requirement <= 0:
        raise InvalidParameter("maintenance_requirement", maintenance_requirement, "a positive requirement")
    unbounded = (1 - Fraction(net_collateral, maintenance_requirement)) * Fraction(bankruptcy_adjustment_ppm, PPM)
    return min(max(unbounded, Fraction(0)), Fraction(1))


def dydx_fillable_price(
    position_notional: Fraction | int,
    position_requirement: int,
    net_collateral: int,
    maintenance_requirement: int,
    bankruptcy_adjustment_ppm: int,
    spread_to_maintenance_ppm: int,
    position_size: int,
) -> Fraction:
    """Return dYdX's fillable price ``(PNNV − ABR·SMMR·PMMR)/PS``, exact (``GetFillablePrice``).

    Units are the caller's: quote per base unit of whatever ``position_notional`` (signed, long
    > 0) and ``position_size`` (signed) are in. ``PMMR``, ``TNC`` and ``TMMR`` share the notional's
    unit.

    Raises
    ------
    InvalidParameter
        If the size is 0, or the notional's sign is not the size's (dYdX panics on a negative
        fillable price).
    """
    if position_size == 0 or (position_notional > 0) != (position_size > 0):
        raise InvalidParameter("position_size", position_size, "a non-zero size of the notional's sign")
    rating = dydx_adjusted_bankruptcy_rating(net_collateral, maintenance_requirement, bankruptcy_adjustment_ppm)
    spread = Fraction(position_requirement * spread_to_maintenance_ppm, PPM)
    return (position_notional - rating * spread) / position_size


def dydx_fillable_gap_wad(
    oracle_price_wad: int,
    size_atoms: int,
    decimals: tuple[int, int],
    requirements: tuple[int, int, int],
    config_ppm: tuple[int, int],
) -> int:
    """Return how far below (long) or above (short) the oracle a liquidation may fill, in WAD.

    The fillable price of a position of signed ``size_atoms`` (``decimals = (base, quote)``),
    with ``requirements = (PMMR, TNC, TMMR)`` in quote atoms and ``config_ppm = (BA, SMMR)``,
    valued exactly at the oracle (``PNNV = PS·oracle``), converted to a WAD price per whole
    base unit. The gap ``|oracle − fillable|`` is floored: the keeper gets no more room than the
    formula gives (dYdX likewise rounds the order's subticks toward the oracle,
    ``ConvertFillablePriceToSubticks``).
    """
    base_decimals, quote_decimals = decimals
    notional = Fraction(size_atoms * oracle_price_wad * 10**quote_decimals, WAD * 10**base_decimals)
    position_requirement, net_collateral, maintenance_requirement = requirements
    price = dydx_fillable_price(
        notional, position_requirement, net_collateral, maintenance_requirement, *config_ppm, size_atoms
    )
    price_wad = price * WAD * 10**base_decimals / 10**quote_decimals
    gap: Fraction = oracle_price_wad - price_wad if size_atoms > 0 else price_wad - oracle_price_wad
    return max(math.floor(gap), 0)
