"""Size-dependent margin presets: dYdX v4, Hyperliquid and Synthetix v3 (SPEC §2.2).

Each preset maps a position (its notional value, or its size and price) to an initial and a
maintenance requirement in value atoms, rounded up (requirements round against the account,
SPEC §1). Parameters are frozen dataclasses; every formula and its source is in the docstring
of the function that applies it:

- **dYdX v4** (``dydxprotocol/v4-chain``, ``protocol/x/perpetuals/types/liquidity_tier.go`` and
  ``protocol/x/perpetuals/lib/lib.go``): the initial-margin fraction rises linearly from the base
  IMF to 100% as the market's open interest goes from a lower to an upper cap; maintenance is
  the *base* initial margin times the maintenance fraction.
- **Hyperliquid** (docs, *Trading → Margin tiers* and *Trading → Liquidations*): the maintenance
  rate is half the initial rate at the tier's maximum leverage, with a per-tier deduction that
  keeps the maintenance margin continuous in notional; the isolated liquidation price formula.
- **Synthetix v3 perps** (``Synthetixio/synthetix-v3``, ``markets/perps-market/contracts/storage/
  PerpsMarketConfiguration.sol``, ``calculateRequiredMargins``): margin ratios grow with the
  position's share of the skew scale, plus a flat minimum position margin.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div

__all__ = [
    "DYDX_LARGE_CAP",
    "HYPERLIQUID_BTC",
    "HYPERLIQUID_DOGE",
    "HYPERLIQUID_ETH",
    "HYPERLIQUID_OP",
    "HYPERLIQUID_SOL",
    "HYPERLIQUID_TESTNET_DOGE",
    "HYPERLIQUID_XRP",
    "PPM",
    "DydxLiquidityTier",
    "HyperliquidMarginTable",
    "HyperliquidMarginTier",
    "MarginRequirements",
    "SynthetixPerpsMargins",
    "dydx_adjusted_initial_margin_ppm",
    "dydx_margin_requirements",
    "hyperliquid_isolated_liquidation_price_wad",
    "hyperliquid_maintenance_deduction_value",
    "hyperliquid_margin_requirements",
    "hyperliquid_tier_index",
    "synthetix_flag_reward_value",
    "synthetix_margin_ratios_wad",
    "synthetix_margin_requirements",
]

PPM = 1_000_000
"""dYdX's parts-per-million scale: 1,000,000 is 100%."""


@dataclass(frozen=True, slots=True)
class MarginRequirements:
    """Initial and maintenance requirement of one position, in value atoms."""

    initial_value: int
    maintenance_value: int


# --- dYdX v4 ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DydxLiquidityTier:
    """A dYdX v4 ``LiquidityTier``; open-interest caps in quote quantums (USDC atoms).

    An upper cap of 0 disables open-interest scaling (the source's convention).
    """

    initial_margin_ppm: int
    maintenance_fraction_ppm: int
    open_interest_lower_cap_value: int = 0
    open_interest_upper_cap_value: int = 0

    def __post_init__(self) -> None:
        """Apply ``LiquidityTier.Validate``: IMF and fraction ≤ 100%, lower cap ≤ upper cap."""
        if not 0 <= self.initial_margin_ppm <= PPM:
            raise InvalidParameter("initial_margin_ppm", self.initial_margin_ppm, f"between 0 and {PPM}")
        if not 0 <= self.maintenance_fraction_ppm <= PPM:
            raise InvalidParameter("maintenance_fraction_ppm", self.maintenance_fraction_ppm, f"between 0 and {PPM}")
        if not 0 <= self.open_interest_lower_cap_value <= self.open_interest_upper_cap_value:
            raise InvalidParameter(
                "open_interest_lower_cap_value, open_interest_upper_cap_value",
                (self.open_interest_lower_cap_value, self.open_interest_upper_cap_value),
                "0 ≤ lower cap ≤ upper cap",
            )


DYDX_LARGE_CAP = DydxLiquidityTier(initial_margin_ppm=50_000, maintenance_fraction_ppm=600_000)
"""dYdX v4 "Large-Cap" tier (``protocol/testing/genesis.sh``): IMF 5%, MMF 60% of IMF = 3%."""


def dydx_adjusted_initial_margin_ppm(tier: DydxLiquidityTier, open_interest_value: int) -> int:
    """Return the open-interest-scaled initial margin fraction in ppm (``GetAdjustedInitialMarginPpm``).

    With ``L``/``U`` the caps and ``OI`` the market's open notional::

        OI ≤ L or U = 0 :  base
        OI ≥ U          :  1,000,000
        otherwise       :  base + ⌊(1,000,000 − base) · (OI − L) / (U − L)⌋

    The truncation to whole ppm is the source's (an earlier version kept the exact rational).
    """
    lower = tier.open_interest_lower_cap_value
    upper = tier.open_interest_upper_cap_value
    if upper == 0 or open_interest_value <= lower:
        return tier.initial_margin_ppm
    if open_interest_value >= upper:
        return PPM
    return tier.initial_margin_ppm + (PPM - tier.initial_margin_ppm) * (open_interest_value - lower) // (upper - lower)


def dydx_margin_requirements(
    tier: DydxLiquidityTier, notional_value: int, open_interest_value: int, custom_imf_ppm: int = 0
) -> MarginRequirements:
    """Return dYdX v4 requirements for a position of ``notional_value`` quote quantums.

    ``lib.go`` ``GetMarginRequirementsInQuoteQuantums`` and ``GetInitialMarginQuoteQuantums``::

        IMR = ⌈|notional| · max(IMF_adj(OI), custom_imf) / 1e6⌉
        MMR = ⌈⌈|notional| · IMF_base / 1e6⌉ · maintenance_fraction / 1e6⌉

    Maintenance uses the *base* IMF, not the open-interest-scaled one: crowding a market raises
    the cost of opening, not the liquidation threshold. ``custom_imf_ppm`` (a per-account
    leverage setting in newer versions) only ever raises the initial fraction.
    """
    if notional_value < 0 or open_interest_value < 0:
        raise InvalidParameter(
            "notional_value, open_interest_value", (notional_value, open_interest_value), "absolute notionals ≥ 0"
        )
    if not 0 <= custom_imf_ppm <= PPM:
        raise InvalidParameter("custom_imf_ppm", custom_imf_ppm, f"between 0 and {PPM}")
    imf = max(dydx_adjusted_initial_margin_ppm(tier, open_interest_value), custom_imf_ppm)
    base_initial = mul_div(notional_value, tier.initial_margin_ppm, PPM, Rounding.UP)
    return MarginRequirements(
        initial_value=mul_div(notional_value, imf, PPM, Rounding.UP),
        maintenance_value=mul_div(base_initial, tier.maintenance_fraction_ppm, PPM, Rounding.UP),
    )


# --- Hyperliquid ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HyperliquidMarginTier:
    """One row of a Hyperliquid margin table: from ``lower_bound_value`` up, ``max_leverage``."""

    lower_bound_value: int
    max_leverage: int


@dataclass(frozen=True, slots=True)
class HyperliquidMarginTable:
    """A Hyperliquid margin table: tiers by increasing notional lower bound, the first at 0."""

    tiers: tuple[HyperliquidMarginTier, ...]

    def __post_init__(self) -> None:
        """Reject an empty table, a first bound other than 0, unsorted bounds, leverage < 1."""
        if not self.tiers or self.tiers[0].lower_bound_value != 0:
            raise InvalidParameter("tiers", self.tiers, "at least one tier, the first with lower bound 0")
        bounds = [tier.lower_bound_value for tier in self.tiers]
        if any(a >= b for a, b in itertools.pairwise(bounds)):
            raise InvalidParameter("tiers", bounds, "strictly increasing lower bounds")
        if any(tier.max_leverage < 1 for tier in self.tiers):
            raise InvalidParameter("tiers", [t.max_leverage for t in self.tiers], "max leverage of at least 1")


def _table(*rows: tuple[int, int]) -> HyperliquidMarginTable:
    return HyperliquidMarginTable(
        tuple(HyperliquidMarginTier(lower * 10**VALUE_DECIMALS, leverage) for lower, leverage in rows)
    )


HYPERLIQUID_BTC = _table((0, 40), (150_000_000, 20))
"""Mainnet BTC: 40x to 150M USDC, 20x above (docs, *Margin tiers*)."""
HYPERLIQUID_ETH = _table((0, 25), (100_000_000, 15))
"""Mainnet ETH: 25x to 100M, 15x above."""
HYPERLIQUID_SOL = _table((0, 20), (70_000_000, 10))
"""Mainnet SOL: 20x to 70M, 10x above."""
HYPERLIQUID_XRP = _table((0, 20), (40_000_000, 10))
"""Mainnet XRP: 20x to 40M, 10x above."""
HYPERLIQUID_DOGE = _table((0, 10), (20_000_000, 5))
"""Mainnet DOGE, kPEPE, SUI, WLD, … HYPE, FARTCOIN: 10x to 20M, 5x above."""
HYPERLIQUID_OP = _table((0, 10), (3_000_000, 5))
"""Mainnet OP, ARB, LDO, TON, … BNB, DOT: 10x to 3M, 5x above."""
HYPERLIQUID_TESTNET_DOGE = _table((0, 10), (20_000, 5), (100_000, 3))
"""Testnet DOGE, TIA, SUI, …: 10x to 20k, 5x to 100k, 3x above."""


def hyperliquid_tier_index(table: HyperliquidMarginTable, notional_value: int) -> int:
    """Return the tier a position of ``notional_value`` falls in.

    The docs list ranges as ``0-150M`` and ``>150M``: a notional exactly at a bound stays in the
    lower tier. The maintenance margin is continuous, so only the initial margin (and the
    allowed leverage) depends on this choice at the bound.
    """
    index = 0
    for position, tier in enumerate(table.tiers):
        if notional_value > tier.lower_bound_value:
            index = position
    return index


def _common_denominator(table: HyperliquidMarginTable) -> int:
    """Return ``C = lcm(2 · max_leverage)``: every maintenance rate ``1 / (2 · L)`` is ``k / C``."""
    return math.lcm(*(2 * tier.max_leverage for tier in table.tiers))


def _deduction_scaled(table: HyperliquidMarginTable, index: int, denominator: int) -> int:
    """Return ``maintenance_deduction(index) · C``, exactly."""
    deduction = 0
    for n in range(1, index + 1):
        rate_now = denominator // (2 * table.tiers[n].max_leverage)
        rate_before = denominator // (2 * table.tiers[n - 1].max_leverage)
        deduction += table.tiers[n].lower_bound_value * (rate_now - rate_before)
    return deduction


def hyperliquid_maintenance_deduction_value(table: HyperliquidMarginTable, index: int) -> int:
    """Return tier ``index``'s maintenance deduction in value atoms, rounded down.

    ``deduction(0) = 0``; ``deduction(n) = deduction(n − 1) + lower_bound(n) · (mmr(n) − mmr(n − 1))``
    with ``mmr(n) = 1 / (2 · max_leverage(n))``. A deduction lowers the requirement, so it rounds
    down; :func:`hyperliquid_margin_requirements` uses the exact value.
    """
    if not 0 <= index < len(table.tiers):
        raise InvalidParameter("index", index, f"a tier index between 0 and {len(table.tiers) - 1}")
    denominator = _common_denominator(table)
    return _deduction_scaled(table, index, denominator) // denominator


def _maintenance_scaled(table: HyperliquidMarginTable, notional_value: int, denominator: int) -> int:
    index = hyperliquid_tier_index(table, notional_value)
    rate = denominator // (2 * table.tiers[index].max_leverage)
    return notional_value * rate - _deduction_scaled(table, index, denominator)


def hyperliquid_margin_requirements(
    table: HyperliquidMarginTable, notional_value: int, leverage: int | None = None
) -> MarginRequirements:
    """Return Hyperliquid requirements for a position of ``notional_value`` value atoms.

    Docs, *Margin tiers*, with ``n`` the position's tier::

        maintenance = notional · mmr(n) − deduction(n),   mmr(n) = 1 / (2 · max_leverage(n))
        initial     = notional / leverage,                 1 ≤ leverage ≤ max_leverage(n)

    Computed exactly over the common denominator of the rates, then rounded up. The
    maintenance margin is continuous across tier bounds; the initial margin at the chosen
    leverage (default: the tier's maximum) jumps where the maximum leverage drops.

    Raises
    ------
    InvalidParameter
        If the notional is negative or ``leverage`` exceeds the tier's maximum.
    """
    if notional_value < 0:
        raise InvalidParameter("notional_value", notional_value, "an absolute notional ≥ 0")
    max_leverage = table.tiers[hyperliquid_tier_index(table, notional_value)].max_leverage
    chosen = max_leverage if leverage is None else leverage
    if not 1 <= chosen <= max_leverage:
        raise InvalidParameter("leverage", leverage, f"between 1 and this tier's maximum {max_leverage}")
    denominator = _common_denominator(table)
    return MarginRequirements(
        initial_value=mul_div(notional_value, 1, chosen, Rounding.UP),
        maintenance_value=mul_div(_maintenance_scaled(table, notional_value, denominator), 1, denominator, Rounding.UP),
    )


def hyperliquid_isolated_liquidation_price_wad(
    table: HyperliquidMarginTable,
    price_wad: int,
    position_size_atoms: int,
    asset_decimals: int,
    isolated_margin_value: int,
) -> int:
    """Return the liquidation price of an isolated position (docs, *Liquidations*).

    ::

        liq_price = price − side · margin_available / position_size / (1 − l · side)
        margin_available = isolated_margin − maintenance_margin_required
        l = 1 / MAINTENANCE_LEVERAGE = mmr of the position's tier,  side = ±1 (long / short)

    which solves ``margin + size · (liq − price) = maintenance(liq)`` while the position stays in
    its tier (the deduction enters through ``margin_available``). Exact: one rational
    expression, rounded toward the price (up for a long, down for a short), so the estimate
    never promises more room than there is. A long's result may be ≤ 0: it cannot be
    liquidated at any positive price.

    Parameters
    ----------
    table:
        The market's margin table; its tier at the current notional gives ``l``.
    price_wad:
        Mark price (the entry price for a position being opened).
    position_size_atoms:
        Signed size: positive long, negative short.
    asset_decimals:
        Decimals of the position's asset.
    isolated_margin_value:
        The position's margin at ``price_wad``: deposited margin plus unrealised PnL.
    """
    if position_size_atoms == 0 or price_wad <= 0:
        raise InvalidParameter("position_size_atoms, price_wad", (position_size_atoms, price_wad), "a non-zero size")
    side = 1 if position_size_atoms > 0 else -1
    size = abs(position_size_atoms)
    denominator = _common_denominator(table)
    value_scale: int = 10**VALUE_DECIMALS
    unit_scale: int = 10**asset_decimals * WAD
    # notional = size · price · 10**VALUE_DECIMALS / unit_scale; margin_available · C · unit_scale:
    index = hyperliquid_tier_index(table, mul_div(size * value_scale, price_wad, unit_scale, Rounding.UP))
    maintenance_leverage = 2 * table.tiers[index].max_leverage
    rate = denominator // maintenance_leverage
    available = (
        isolated_margin_value * denominator * unit_scale
        - size * price_wad * value_scale * rate
        + _deduction_scaled(table, index, denominator) * unit_scale
    )
    # price − side · available / (C · unit_scale) · unit_scale / value_scale / size · L / (L − side)
    shift = available * maintenance_leverage // (denominator * value_scale * size * (maintenance_leverage - side))
    return price_wad - side * shift


# --- Synthetix v3 perps -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SynthetixPerpsMargins:
    """Margin parameters of a Synthetix v3 perps market (``PerpsMarketConfiguration.Data``)."""

    skew_scale_atoms: int
    """``skewScale``, in atoms of the market's base asset (0 disables size scaling)."""
    initial_margin_ratio_wad: int
    """``initialMarginRatioD18``: initial margin ratio per unit of skew impact."""
    minimum_initial_margin_ratio_wad: int
    """``minimumInitialMarginRatioD18``: floor of the ratio, caps leverage for small positions."""
    maintenance_margin_scalar_wad: int
    """``maintenanceMarginScalarD18``: maintenance ratio as a share of the initial ratio."""
    minimum_position_margin_value: int
    """``minimumPositionMargin``: flat value added to both requirements, in value atoms."""
    flag_reward_ratio_wad: int = 0
    """``flagRewardRatioD18``: keeper reward for flagging, as a share of notional."""

    def __post_init__(self) -> None:
        """Reject negative parameters."""
        for field in (
            "skew_scale_atoms",
            "initial_margin_ratio_wad",
            "minimum_initial_margin_ratio_wad",
            "maintenance_margin_scalar_wad",
            "minimum_position_margin_value",
            "flag_reward_ratio_wad",
        ):
            value = getattr(self, field)
            if value < 0:
                raise InvalidParameter(field, value, "a non-negative integer")


def synthetix_margin_ratios_wad(params: SynthetixPerpsMargins, size_atoms: int) -> tuple[int, int]:
    """Return ``(initial ratio, maintenance ratio)`` in WAD for a position of ``size_atoms``.

    ``calculateRequiredMargins``::

        impactOnSkew = |size| / skewScale                      (0 when skewScale = 0)
        IMR = impactOnSkew · initialMarginRatio + minimumInitialMarginRatio
        MMR = IMR · maintenanceMarginScalar

    Synthetix truncates each product; ringfence rounds each up (a requirement), at most a few
    1e-18 above the source.
    """
    size = abs(size_atoms)
    if size == 0:
        return 0, 0
    impact = 0 if params.skew_scale_atoms == 0 else mul_div(size, WAD, params.skew_scale_atoms, Rounding.UP)
    initial = (
        mul_div(impact, params.initial_margin_ratio_wad, WAD, Rounding.UP) + params.minimum_initial_margin_ratio_wad
    )
    maintenance = mul_div(initial, params.maintenance_margin_scalar_wad, WAD, Rounding.UP)
    return initial, maintenance


def synthetix_margin_requirements(
    params: SynthetixPerpsMargins, size_atoms: int, price_wad: int, asset_decimals: int
) -> MarginRequirements:
    """Return Synthetix v3 perps requirements (``calculateRequiredMargins``).

    ::

        notional = |size| · price
        IM = notional · IMR + minimumPositionMargin
        MM = notional · MMR + minimumPositionMargin

    with ``IMR`` and ``MMR`` as in :func:`synthetix_margin_ratios_wad`. A zero size requires
    nothing (the source returns zeros). Each requirement is the exact rational
    ``|size| · price · (|size| · imr / skewScale + minImr) [· scalar]`` rounded up once, where
    Synthetix truncates every step; the two differ by a few atoms at most, never in the
    account's favour here.
    """
    if price_wad < 0:
        raise InvalidParameter("price_wad", price_wad, "a non-negative price")
    size = abs(size_atoms)
    if size == 0:
        return MarginRequirements(initial_value=0, maintenance_value=0)
    if params.skew_scale_atoms == 0:
        ratio_numerator, ratio_denominator = params.minimum_initial_margin_ratio_wad, WAD
    else:
        ratio_numerator = (
            size * params.initial_margin_ratio_wad + params.skew_scale_atoms * params.minimum_initial_margin_ratio_wad
        )
        ratio_denominator = params.skew_scale_atoms * WAD
    notional_numerator = size * price_wad * 10**VALUE_DECIMALS * ratio_numerator
    denominator = 10**asset_decimals * WAD * ratio_denominator
    floor = params.minimum_position_margin_value
    return MarginRequirements(
        initial_value=mul_div(notional_numerator, 1, denominator, Rounding.UP) + floor,
        maintenance_value=mul_div(
            notional_numerator, params.maintenance_margin_scalar_wad, denominator * WAD, Rounding.UP
        )
        + floor,
    )


def synthetix_flag_reward_value(params: SynthetixPerpsMargins, notional_value: int) -> int:
    """Return the keeper's flag reward ``notional · flagRewardRatio`` (``calculateFlagReward``).

    A payout, so it rounds down (as the source's ``mulDecimal``).
    """
    if notional_value < 0:
        raise InvalidParameter("notional_value", notional_value, "an absolute notional ≥ 0")
    return mul_div(notional_value, params.flag_reward_ratio_wad, WAD, Rounding.DOWN)
