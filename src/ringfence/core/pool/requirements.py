"""Margin requirements of a position under its market's margin model (SPEC §2.2).

A market's :class:`~ringfence.core.pool.state.MarginModel` selects the formula:

- ``FLAT``: ``|notional| · rate`` with the market's ``initial_margin_wad`` and
  ``maintenance_margin_wad`` (the default: every market without a model keeps it).
- ``DYDX_IMF``: a dYdX v4 liquidity tier (``dydxprotocol/v4-chain``,
  ``protocol/x/perpetuals/types/liquidity_tier.go``): the initial fraction rises from the base
  IMF to 100% as the market's open-interest value goes from the lower to the upper cap;
  maintenance is the *base* initial margin times the maintenance fraction, so crowding a market
  raises the cost of opening and withdrawing, never the liquidation threshold.
- ``HYPERLIQUID_TIERS``: a Hyperliquid margin table (docs, *Trading → Margin tiers*): initial
  ``notional / max_leverage(tier)``, maintenance ``notional · mmr(tier) − deduction(tier)``.

The formulas are the presets of :mod:`ringfence.core.margin_models` (with their conformance
tests). Their amounts are value atoms (``VALUE_DECIMALS``, the numeraire the quote asset is at
par with): a position's notional and the market's open interest are valued in value atoms
rounded up, and the requirements come back in quote atoms rounded up, so a quote asset with
other decimals only ever rounds against the account.

Open interest (dYdX): ``max(long, short)`` in base atoms, the larger side the pool carries. On
dYdX's order book both sides are equal and ``Perpetual.OpenInterest`` is their common size, so
the caps of a dYdX tier read the same here. It is valued at the price the position is marked at
(the oracle, as ``GetMarginRequirementsInQuoteQuantums`` in ``protocol/x/perpetuals/lib/lib.go``)
and, when a command changes a position, taken *after* the change, as dYdX applies a match's
open-interest delta before its collateral check (``protocol/x/subaccounts/keeper/subaccount.go``,
"so IMF is calculated based on open interest after the update";
``protocol/x/subaccounts/lib/oimf.go``).
"""

from __future__ import annotations

from ringfence.core.errors import InvalidParameter
from ringfence.core.margin_models import (
    PPM,
    DydxLiquidityTier,
    HyperliquidMarginTable,
    HyperliquidMarginTier,
    dydx_margin_requirements,
    hyperliquid_margin_requirements,
)
from ringfence.core.pool.state import MarginModel, MarginModelKind, MarketParams, MarketState, PoolState, Position
from ringfence.core.state_keys import AccountKey
from ringfence.core.units import MAX_ATOMS, VALUE_DECIMALS, WAD, Rounding, mul_div

__all__ = [
    "MAX_LEVERAGE",
    "MAX_TIERS",
    "check_margin_model",
    "dydx_margin_model",
    "hyperliquid_margin_model",
    "liquidity_tier",
    "margin_table",
    "open_interest_after",
    "open_interest_atoms",
    "requirements_atoms",
]

MAX_TIERS = 16
"""Most rows a Hyperliquid table may have (the published tables have two or three)."""
MAX_LEVERAGE = 1_000
"""Highest maximum leverage of a tier (Hyperliquid lists at most 50x)."""


def dydx_margin_model(tier: DydxLiquidityTier) -> MarginModel:
    """Return the margin model of a dYdX v4 liquidity tier (caps in value atoms)."""
    return MarginModel(
        kind=MarginModelKind.DYDX_IMF,
        initial_margin_ppm=tier.initial_margin_ppm,
        maintenance_fraction_ppm=tier.maintenance_fraction_ppm,
        open_interest_lower_cap_value=tier.open_interest_lower_cap_value,
        open_interest_upper_cap_value=tier.open_interest_upper_cap_value,
    )


def hyperliquid_margin_model(table: HyperliquidMarginTable) -> MarginModel:
    """Return the margin model of a Hyperliquid margin table (bounds in value atoms)."""
    return MarginModel(
        kind=MarginModelKind.HYPERLIQUID_TIERS,
        tier_lower_bounds_value=tuple(tier.lower_bound_value for tier in table.tiers),
        tier_max_leverages=tuple(tier.max_leverage for tier in table.tiers),
    )


def liquidity_tier(model: MarginModel) -> DydxLiquidityTier:
    """Return the dYdX liquidity tier a ``DYDX_IMF`` model holds (validated by the preset)."""
    return DydxLiquidityTier(
        model.initial_margin_ppm,
        model.maintenance_fraction_ppm,
        model.open_interest_lower_cap_value,
        model.open_interest_upper_cap_value,
    )


def margin_table(model: MarginModel) -> HyperliquidMarginTable:
    """Return the Hyperliquid table a ``HYPERLIQUID_TIERS`` model holds (validated by the preset)."""
    if len(model.tier_lower_bounds_value) != len(model.tier_max_leverages):
        raise InvalidParameter(
            "margin_model.tier_max_leverages",
            model.tier_max_leverages,
            f"one maximum leverage per lower bound ({len(model.tier_lower_bounds_value)})",
        )
    rows = zip(model.tier_lower_bounds_value, model.tier_max_leverages, strict=True)
    return HyperliquidMarginTable(tuple(HyperliquidMarginTier(bound, leverage) for bound, leverage in rows))


_DYDX_FIELDS = (
    "initial_margin_ppm",
    "maintenance_fraction_ppm",
    "open_interest_lower_cap_value",
    "open_interest_upper_cap_value",
)
_TIER_FIELDS = ("tier_lower_bounds_value", "tier_max_leverages")


def _check_unused(model: MarginModel, names: tuple[str, ...]) -> None:
    """Refuse parameters of another model: a stray value would be silently ignored."""
    default = MarginModel()
    for name in names:
        value = getattr(model, name)
        if value != getattr(default, name):
            raise InvalidParameter(
                f"margin_model.{name}", value, f"{getattr(default, name)!r}: unused by a {model.kind.value} model"
            )


def check_margin_model(model: MarginModel) -> None:
    """Validate a market's margin model, with the presets' own validation.

    FLAT takes no parameters. DYDX_IMF: ``LiquidityTier.Validate`` (IMF and fraction ≤ 100%,
    lower cap ≤ upper cap), plus both fractions ≥ 1 ppm (a zero maintenance requirement would
    make a position impossible to liquidate) and caps ≤ ``MAX_ATOMS``. HYPERLIQUID_TIERS: the
    table's checks (first bound 0, increasing bounds, leverage ≥ 1), plus at most
    ``MAX_TIERS`` rows, leverage ≤ ``MAX_LEVERAGE`` and bounds ≤ ``MAX_ATOMS``.

    Raises
    ------
    InvalidParameter
        Naming the field, its value and what would be accepted.
    """
    if model.kind is MarginModelKind.FLAT:
        _check_unused(model, _DYDX_FIELDS + _TIER_FIELDS)
    elif model.kind is MarginModelKind.DYDX_IMF:
        _check_unused(model, _TIER_FIELDS)
        liquidity_tier(model)
        for name in ("initial_margin_ppm", "maintenance_fraction_ppm"):
            if getattr(model, name) < 1:
                raise InvalidParameter(f"margin_model.{name}", getattr(model, name), f"between 1 and {PPM}")
        if model.open_interest_upper_cap_value > MAX_ATOMS:
            raise InvalidParameter(
                "margin_model.open_interest_upper_cap_value", model.open_interest_upper_cap_value, f"≤ {MAX_ATOMS}"
            )
    else:
        _check_unused(model, _DYDX_FIELDS)
        table = margin_table(model)
        if len(table.tiers) > MAX_TIERS:
            raise InvalidParameter("margin_model.tier_lower_bounds_value", len(table.tiers), f"≤ {MAX_TIERS} tiers")
        if max(model.tier_max_leverages) > MAX_LEVERAGE:
            raise InvalidParameter(
                "margin_model.tier_max_leverages", model.tier_max_leverages, f"leverages ≤ {MAX_LEVERAGE}"
            )
        if model.tier_lower_bounds_value[-1] > MAX_ATOMS:
            raise InvalidParameter(
                "margin_model.tier_lower_bounds_value", model.tier_lower_bounds_value[-1], f"bounds ≤ {MAX_ATOMS}"
            )


def open_interest_atoms(market: MarketState) -> int:
    """Return the market's open interest: its larger side, in base atoms."""
    return max(market.long_atoms, market.short_atoms)


def open_interest_after(pool: PoolState, key: AccountKey, market_id: str, position: Position | None) -> int:
    """Return the market's open interest once ``key``'s position there is ``position`` (None: closed)."""
    market = pool.markets[market_id]
    old = pool.positions.get((key, market_id))
    old_size = old.size_atoms if old is not None else 0
    new_size = position.size_atoms if position is not None else 0
    long_atoms = market.long_atoms - max(old_size, 0) + max(new_size, 0)
    short_atoms = market.short_atoms - max(-old_size, 0) + max(-new_size, 0)
    return max(long_atoms, short_atoms)


def _value_up(size_atoms: int, price_wad: int, base_decimals: int) -> int:
    """Return ``|size| · price`` in value atoms, rounded up."""
    return mul_div(abs(size_atoms) * 10**VALUE_DECIMALS, price_wad, WAD * 10**base_decimals, Rounding.UP)


def requirements_atoms(
    params: MarketParams,
    size_atoms: int,
    price_wad: int,
    open_interest: int,
    base_decimals: int,
    quote_decimals: int,
) -> tuple[int, int]:
    """Return ``(initial, maintenance)`` requirement of a position, in quote atoms, rounded up.

    Parameters
    ----------
    params:
        The market; its ``margin_model`` selects the formula (see the module docstring).
    size_atoms:
        The position's signed size in base atoms.
    price_wad:
        The price the position is marked at (and, for dYdX, its open interest valued at).
    open_interest:
        The market's open interest in base atoms (used by ``DYDX_IMF`` only).
    base_decimals, quote_decimals:
        Decimals of the market's base asset and of the pool's quote asset.
    """
    model = params.margin_model
    if model.kind is MarginModelKind.FLAT:
        notional = mul_div(abs(size_atoms) * 10**quote_decimals, price_wad, WAD * 10**base_decimals, Rounding.UP)
        return (
            mul_div(notional, params.initial_margin_wad, WAD, Rounding.UP),
            mul_div(notional, params.maintenance_margin_wad, WAD, Rounding.UP),
        )
    notional_value = _value_up(size_atoms, price_wad, base_decimals)
    if model.kind is MarginModelKind.DYDX_IMF:
        open_interest_value = _value_up(open_interest, price_wad, base_decimals)
        found = dydx_margin_requirements(liquidity_tier(model), notional_value, open_interest_value)
    else:
        found = hyperliquid_margin_requirements(margin_table(model), notional_value)
    scale = 10**VALUE_DECIMALS
    return (
        mul_div(found.initial_value, 10**quote_decimals, scale, Rounding.UP),
        mul_div(found.maintenance_value, 10**quote_decimals, scale, Rounding.UP),
    )
