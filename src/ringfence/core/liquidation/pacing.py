"""Pacing presets: how much may be liquidated now, and how fast (SPEC §2.6).

Pure and integer-exact, time entering as integer seconds:

1. **Throughput per window** (dYdX v4 ``x/clob`` ``SubaccountBlockLimits.MaxNotionalLiquidated``,
   Maker ``Hole`` per window): :class:`~ringfence.core.liquidation.window.Window`, the counter
   a pool's pacing cap, breakers, insurance and backstop budgets all run on. Maker's
   ``Hole``/``Dirt`` capacity-in-auction counters are a reference preset
   (:mod:`~ringfence.core.liquidation.reference`).
2. **Phased partial liquidation**: Drift v2 (``drift-labs/protocol-v2``,
   ``programs/drift/src/math/liquidation.rs``) lets a liquidator free a share of the margin
   shortage that grows with the time since liquidation started; Hyperliquid (docs, *Trading →
   Liquidations*, "Partial liquidations") sends 20% of a position above 100k USDC, and for 30
   seconds after a partial liquidation sends whole positions.
3. **Dust floors**: a partial liquidation that would leave a remainder below a floor becomes
   a whole liquidation (Maker ``dog.sol`` ``bark``; Drift liquidates positions worth ≤ $50 whole).
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div

__all__ = [
    "DRIFT_LIQUIDATION_PCT_PRECISION",
    "HYPERLIQUID_PARTIAL_LIQUIDATION",
    "DriftPhasedLiquidationParams",
    "HyperliquidPartialLiquidationParams",
    "PhasedLiquidation",
    "apply_dust_floor",
    "drift_base_asset_amount_to_cover_margin_shortage",
    "drift_max_base_asset_amount_allowed",
    "drift_max_pct_to_liquidate",
    "drift_pct_freeable",
    "hyperliquid_liquidation_size",
]


# --- 2a. Drift phased partial liquidation -------------------------------------------------------

DRIFT_LIQUIDATION_PCT_PRECISION = 10_000
"""Drift's ``LIQUIDATION_PCT_PRECISION``: 10,000 is 100%."""

_DRIFT_PRICE_PRECISION = 10**6
_DRIFT_LIQUIDATION_FEE_PRECISION = 10**6
_DRIFT_LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO = 100  # 1e6 fee precision / 1e4 margin precision
_DRIFT_PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO = 10**9  # 1e6 price · 1e9 base / 1e6 quote


@dataclass(frozen=True, slots=True)
class DriftPhasedLiquidationParams:
    """Drift's ``State.initial_pct_to_liquidate`` and ``State.liquidation_duration``.

    ``liquidation_duration`` and the elapsed time must share a unit: Drift counts slots (150
    slots ≈ 60 s at 400 ms), ringfence passes seconds; the formula is the same.
    """

    initial_pct_to_liquidate: int
    """Share freeable at once, in ``DRIFT_LIQUIDATION_PCT_PRECISION`` (1,000 is 10%)."""
    liquidation_duration: int
    """Time for the freeable share to grow by 100%; 0 frees everything at once."""
    full_liquidation_below_shortage_value: int = 50 * 10**VALUE_DECIMALS
    """Below this margin shortage everything is freeable ("if margin shortage is tiny,
    accelerate liquidation": 50 USDC in Drift's SDK ``calculateMaxPctToLiquidate``); 0 turns
    the rule off, as in the program source before it was added."""

    def __post_init__(self) -> None:
        """Reject negative parameters."""
        if self.initial_pct_to_liquidate < 0 or self.liquidation_duration < 0:
            raise InvalidParameter(
                "initial_pct_to_liquidate, liquidation_duration",
                (self.initial_pct_to_liquidate, self.liquidation_duration),
                "non-negative integers",
            )


def drift_pct_freeable(elapsed: int, initial_pct_to_liquidate: int, liquidation_duration: int) -> int:
    """Return ``min(elapsed · 10,000 / duration + initial_pct, 10,000)`` (Drift ``pct_freeable``).

    The division truncates; a zero duration yields 100% (Drift's ``unwrap_or``).
    """
    if elapsed < 0:
        raise InvalidParameter("elapsed", elapsed, "time since the liquidation started, not negative")
    if liquidation_duration == 0:
        return DRIFT_LIQUIDATION_PCT_PRECISION
    grown = elapsed * DRIFT_LIQUIDATION_PCT_PRECISION // liquidation_duration
    return min(grown + initial_pct_to_liquidate, DRIFT_LIQUIDATION_PCT_PRECISION)


def drift_max_pct_to_liquidate(
    margin_shortage_value: int,
    liquidation_margin_freed_value: int,
    elapsed: int,
    params: DriftPhasedLiquidationParams,
) -> int:
    """Return the share of the current margin shortage a liquidator may free now.

    Drift ``calculate_max_pct_to_liquidate`` (``math/liquidation.rs``), all divisions truncating::

        total  = shortage + margin_freed
        max    = total · pct_freeable / 10,000
        free   = max(max − margin_freed, 0)
        result = free · 10,000 / shortage

    ``margin_freed`` is what earlier steps of this liquidation already freed, so the total
    freeable grows with ``pct_freeable`` however the liquidation was split. The result may
    exceed 10,000 only when the shortage shrank by other means.

    Raises
    ------
    InvalidParameter
        If the shortage is not positive (Drift's ``safe_div`` errors on 0).
    """
    if margin_shortage_value <= 0:
        raise InvalidParameter("margin_shortage_value", margin_shortage_value, "a positive margin shortage")
    if liquidation_margin_freed_value < 0:
        raise InvalidParameter("liquidation_margin_freed_value", liquidation_margin_freed_value, "non-negative")
    if margin_shortage_value < params.full_liquidation_below_shortage_value:
        return DRIFT_LIQUIDATION_PCT_PRECISION
    pct = drift_pct_freeable(elapsed, params.initial_pct_to_liquidate, params.liquidation_duration)
    total = margin_shortage_value + liquidation_margin_freed_value
    max_freed = total * pct // DRIFT_LIQUIDATION_PCT_PRECISION
    freeable = max(max_freed - liquidation_margin_freed_value, 0)
    return freeable * DRIFT_LIQUIDATION_PCT_PRECISION // margin_shortage_value


def drift_base_asset_amount_to_cover_margin_shortage(
    margin_shortage: int,
    margin_ratio: int,
    liquidation_fee: int,
    if_liquidation_fee: int,
    oracle_price: int,
    quote_oracle_price: int = _DRIFT_PRICE_PRECISION,
) -> int | None:
    """Return the base amount whose liquidation removes ``margin_shortage``, or None for "all".

    Drift ``calculate_base_asset_amount_to_cover_margin_shortage``, in Drift's own precisions:
    shortage in quote (1e6), ``margin_ratio`` in ``MARGIN_PRECISION`` (1e4), fees in
    ``LIQUIDATION_FEE_PRECISION`` (1e6), prices in ``PRICE_PRECISION`` (1e6), result in
    ``BASE_PRECISION`` (1e9); each division truncates, as in the program::

        mr   = margin_ratio · 100
        base = shortage · 1e9 / ( (oracle · quote_oracle / 1e6) · (mr − liq_fee) / 1e6
                                  − oracle · if_fee / 1e6 )

    Each base unit liquidated frees ``price · (margin_ratio − liquidation_fee)`` of margin
    requirement, minus the insurance-fund fee it pays.

    Returns
    -------
    int or None
        None where Drift returns ``u64::MAX`` (zero oracle price, or a margin ratio not above
        the liquidator fee): liquidation can never cure the shortage, so take the whole position.

    Raises
    ------
    InvalidParameter
        If the denominator is not positive (the insurance fee eats the whole margin freed;
        Drift's ``safe_sub``/``safe_div`` would error).
    """
    ratio = margin_ratio * _DRIFT_LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO
    if oracle_price == 0 or ratio <= liquidation_fee:
        return None
    price = oracle_price * quote_oracle_price // _DRIFT_PRICE_PRECISION
    freed_per_base = price * (ratio - liquidation_fee) // _DRIFT_LIQUIDATION_FEE_PRECISION
    if_fee_per_base = oracle_price * if_liquidation_fee // _DRIFT_LIQUIDATION_FEE_PRECISION
    denominator = freed_per_base - if_fee_per_base
    if denominator <= 0:
        raise InvalidParameter("if_liquidation_fee", if_liquidation_fee, "a fee below the margin freed per unit")
    return margin_shortage * _DRIFT_PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO // denominator


def drift_max_base_asset_amount_allowed(base_asset_amount_to_cover: int, max_pct_allowed: int) -> int:
    """Return ``base_to_cover · max_pct / 10,000``, truncated (Drift ``liquidate_perp``)."""
    return base_asset_amount_to_cover * max_pct_allowed // DRIFT_LIQUIDATION_PCT_PRECISION


# --- 2b. Hyperliquid partial liquidation ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HyperliquidPartialLiquidationParams:
    """Hyperliquid's partial-liquidation rule (docs, *Trading → Liquidations*)."""

    partial_threshold_value: int = 100_000 * 10**VALUE_DECIMALS
    """Positions worth more than this (100k USDC on mainnet) are liquidated in parts."""
    partial_fraction_wad: int = WAD // 5
    """Share of the position sent per partial liquidation (20%)."""
    cooldown_seconds: int = 30
    """After a partial liquidation, liquidations for this long are for the whole position."""

    def __post_init__(self) -> None:
        """Reject a fraction outside ``(0, 1]`` and negative threshold or cooldown."""
        if not 0 < self.partial_fraction_wad <= WAD:
            raise InvalidParameter("partial_fraction_wad", self.partial_fraction_wad, f"in (0, {WAD}]")
        if self.partial_threshold_value < 0 or self.cooldown_seconds < 0:
            raise InvalidParameter(
                "partial_threshold_value, cooldown_seconds",
                (self.partial_threshold_value, self.cooldown_seconds),
                "non-negative integers",
            )


HYPERLIQUID_PARTIAL_LIQUIDATION = HyperliquidPartialLiquidationParams()
"""Hyperliquid mainnet: 20% of positions above 100k USDC, whole positions for 30 s after."""


@dataclass(frozen=True, slots=True)
class PhasedLiquidation:
    """How much of a position to liquidate now, and whether that is a partial step."""

    size_atoms: int
    is_partial: bool


def hyperliquid_liquidation_size(
    position_size_atoms: int,
    notional_value: int,
    now_seconds: int,
    last_partial_seconds: int | None,
    params: HyperliquidPartialLiquidationParams = HYPERLIQUID_PARTIAL_LIQUIDATION,
) -> PhasedLiquidation:
    """Return the size of the liquidation order Hyperliquid would send now.

    From the docs: "For liquidatable positions larger than 100k USDC, only 20% of the position
    will be sent as a market liquidation order to the book. After a block where any position of
    a user is partially liquidated, there is a cooldown period of 30 seconds. During this
    cooldown period, all market liquidation orders for that user will be for the entire
    position." So: whole when ``notional ≤ threshold`` or within ``cooldown`` of the last partial
    step (``now − last < cooldown``), else ``⌈size · 20%⌉``. The partial size rounds up: it is
    taken from the account.

    Parameters
    ----------
    position_size_atoms:
        Absolute size of the liquidatable position.
    notional_value:
        Its notional value at the mark price, in value atoms.
    now_seconds:
        Current time.
    last_partial_seconds:
        Time of the user's last partial liquidation, or None if there was none.
    params:
        Threshold, fraction and cooldown; Hyperliquid mainnet's by default.
    """
    if position_size_atoms < 0 or notional_value < 0:
        raise InvalidParameter("position_size_atoms, notional_value", (position_size_atoms, notional_value), ">= 0")
    in_cooldown = last_partial_seconds is not None and now_seconds - last_partial_seconds < params.cooldown_seconds
    if notional_value <= params.partial_threshold_value or in_cooldown:
        return PhasedLiquidation(size_atoms=position_size_atoms, is_partial=False)
    partial = mul_div(position_size_atoms, params.partial_fraction_wad, WAD, Rounding.UP)
    return PhasedLiquidation(size_atoms=partial, is_partial=partial < position_size_atoms)


# --- 3. Dust floor -------------------------------------------------------------------------------


def apply_dust_floor(total: int, partial: int, dust_floor: int) -> int:
    """Return ``partial``, or ``total`` when the remainder ``total − partial`` is below the floor.

    Maker ``dog.sol`` ``bark``: "If the leftover Vault would be dusty, just liquidate it
    entirely" (``mul(art − dart, rate) < dust``). Pass all three in one unit, value atoms to
    mirror Maker. A partial at or above the total is the total.
    """
    if total < 0 or partial < 0 or dust_floor < 0:
        raise InvalidParameter("total, partial, dust_floor", (total, partial, dust_floor), "non-negative")
    if partial >= total or total - partial < dust_floor:
        return total
    return partial
