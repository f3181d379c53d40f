"""Exact arithmetic of linear perpetuals: notional, fill price, PnL, funding, NAV.

Sizes are signed base atoms (long > 0); notional and PnL are quote atoms; prices are the base
asset's oracle price in WAD, with the quote asset taken at par with the numeraire (as dYdX
and Hyperliquid treat USDC). Every rounding goes against the trader: what a trader pays
rounds up, what a trader receives rounds down.
"""

from __future__ import annotations

from collections.abc import Mapping

from ringfence.core.pool.state import MarketState, PoolState, Position
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "NS_PER_DAY",
    "fill_price_wad",
    "funding_index_delta_wad",
    "funding_owed_atoms",
    "pool_nav_range_atoms",
    "signed_notional_atoms",
    "unrealised_pnl_atoms",
]

NS_PER_DAY = 86_400 * 10**9


def signed_notional_atoms(
    size_atoms: int, price_wad: int, base_decimals: int, quote_decimals: int, rounding: Rounding = Rounding.DOWN
) -> int:
    """Return ``size · price`` in quote atoms, floored (toward −∞: against the holder).

    ``rounding=UP`` gives the ceiling: the holder's claim counted generously, as a proof of
    solvency counts a liability against the venue (``ringfence.solvency.liabilities``).
    """
    return mul_div(size_atoms * 10**quote_decimals, price_wad, WAD * 10**base_decimals, rounding)


def fill_price_wad(
    oracle_wad: int, skew_atoms: int, size_delta_atoms: int, skew_scale_atoms: int, spread_wad: int
) -> int:
    """Return the fill price of a trade of ``size_delta_atoms`` against the pool.

    Skew premium (Synthetix v2/v3 perps ``fillPrice``): the average of the premium before and
    after the trade, ``oracle · (1 + (skew + (skew + size)) / (2 · skew_scale))``; then the
    pool's spread, ``× (1 ± spread)``. Buys round up and sells round down.
    """
    buying = size_delta_atoms > 0
    rounding = Rounding.UP if buying else Rounding.DOWN
    premium_numerator = 2 * skew_scale_atoms + 2 * skew_atoms + size_delta_atoms
    skewed = mul_div(oracle_wad, premium_numerator, 2 * skew_scale_atoms, rounding)
    spread_factor = WAD + spread_wad if buying else WAD - spread_wad
    return max(mul_div(skewed, spread_factor, WAD, rounding), 1)


def unrealised_pnl_atoms(
    position: Position, price_wad: int, base_decimals: int, quote_decimals: int, rounding: Rounding = Rounding.DOWN
) -> int:
    """Return ``size · price − open_notional`` in quote atoms (floored: against the holder; ``UP``: ceiling)."""
    mark = signed_notional_atoms(position.size_atoms, price_wad, base_decimals, quote_decimals, rounding)
    return mark - position.open_notional_atoms


def funding_index_delta_wad(market: MarketState, oracle_wad: int, elapsed_ns: int, quote_decimals: int) -> int:
    """Return the funding-index increase over ``elapsed_ns`` (longs pay when it rises).

    ``rate = max_rate_per_day · clamp(skew / skew_scale, −1, 1)`` (the proportional skew
    funding of Synthetix v2 perps); the index counts quote atoms (× WAD) paid per whole base
    unit: ``Δ = price · rate · elapsed / 1 day``.

    Rounded against the side that pays: up when longs pay (``Δ > 0``), down when shorts pay
    (``Δ < 0``), so the payer's index moves at least the exact amount; each position then
    settles it rounded against itself (:func:`funding_owed_atoms`): a payer pays at least the
    ceiling of its exact funding. The receiving side shares the index, so it may be credited
    up to one index unit (10⁻¹⁸ quote atom per whole base unit) past the exact rate before its
    own settlement floors it.
    """
    params = market.params
    skew = max(min(market.skew_atoms, params.skew_scale_atoms), -params.skew_scale_atoms)
    numerator = oracle_wad * params.max_funding_rate_per_day_wad * skew * elapsed_ns * 10**quote_decimals
    rounding = Rounding.UP if numerator > 0 else Rounding.DOWN
    return mul_div(numerator, 1, WAD * params.skew_scale_atoms * NS_PER_DAY, rounding)


def funding_owed_atoms(position: Position, index_wad: int, base_decimals: int, rounding: Rounding = Rounding.UP) -> int:
    """Return the funding the position owes since it last settled (negative: it is owed).

    ``size · (index − entry_index)``, rounded up: a payer pays the ceiling, a receiver
    receives the floor. ``rounding=DOWN`` gives the other bound of the exact amount (the LP
    vault's low NAV bound, :func:`pool_nav_range_atoms`); settlement always rounds up.
    """
    return mul_div(position.size_atoms, index_wad - position.funding_index_wad, WAD * 10**base_decimals, rounding)


def pool_nav_range_atoms(
    pool: PoolState,
    prices_wad: dict[str, int],
    base_decimals: dict[str, int],
    quote_decimals: int,
    funding_index_wad: Mapping[str, int] | None = None,
) -> tuple[int, int]:
    """Return bounds ``(low, high)`` on the LP vault's net asset value, in quote atoms.

    NAV = cash − traders' unrealised PnL + funding traders owe the pool (the pool is every
    trader's counterparty). Each position's PnL is floored, so the exact claim lies in
    ``[pnl, pnl + 1)``: ``high`` uses the floors, ``low`` adds one atom per open position.

    ``funding_index_wad`` (market → index as of now, including the accrual not yet recorded)
    adds each position's unsettled funding ``size · (index − entry)``: ``high`` at its
    ceiling, ``low`` at its floor (equal when it is exact). Without it, funding is left out
    (the lab's NAV report). Minting LP shares prices at ``high`` (fewer shares) and redeeming
    at ``low`` (less paid), so rounding never favours the LP, and an LP who joins buys the
    funding owed before it joined at its value instead of taking a share of it for free.
    """
    claims = 0
    open_positions = 0
    owed_high = owed_low = 0
    for (_, market_id), position in pool.positions.items():
        market = pool.markets[market_id]
        base = market.params.base_asset
        claims += unrealised_pnl_atoms(position, prices_wad[base], base_decimals[base], quote_decimals)
        open_positions += 1
        if funding_index_wad is not None:
            index = funding_index_wad[market_id]
            owed_high += funding_owed_atoms(position, index, base_decimals[base])
            owed_low += funding_owed_atoms(position, index, base_decimals[base], Rounding.DOWN)
    high = pool.vault_atoms - claims
    return high - open_positions + owed_low, high + owed_high
