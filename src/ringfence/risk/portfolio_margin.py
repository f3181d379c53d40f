"""Portfolio margin by scenario grid: each instrument repriced once per scenario, accounts by a matrix product.

For a book of instruments (delta-one contracts and European options, :class:`Instruments`) on a
few underlyings (:class:`Market`), and a :class:`~ringfence.risk.scenario_grid.ScenarioGrid`:

1. :func:`scenario_pnl` reprices **each instrument once per scenario** (Black-76,
   :func:`ringfence.risk.options.black76`, at the shocked price, the shocked volatility and the
   expiry less the grid's look-ahead; an option that expires within the look-ahead is worth its
   intrinsic value) and returns the ``I × S`` profit-and-loss matrix per unit, each scenario's
   column multiplied by its weight (dampener or cover fraction);
2. collateral is **inside the simulation** (:class:`Collateral`): an asset tied to an underlying
   moves with it in every scenario, so collateral that falls with the positions' losses (wrong-way
   risk) raises the loss; the quote asset does not move;
3. :func:`portfolio_requirement` aggregates by position, never per account: the accounts'
   scenario results are ``positions @ pnl + collateral @ collateral_pnl`` (a sparse ``A × I`` times
   a dense ``I × S``), the max loss per account is ``max(0, −min over scenarios)``, and to it are added
   the contingencies for concentrated short options (per net short contract per strike and expiry,
   a fraction of the underlying's price: Deribit's and Derive's "option contingency") and for
   delta-one positions (Derive's "perp contingency"), and SPAN's short-option minimum is applied
   as a floor (CME SPAN: the requirement is at least the short-option minimum per short option).

The requirement is ``im_factor · max_loss + contingencies`` (Derive PM2, docs.derive.xyz "PM2":
``im_factor`` 1.0 for initial and 0.8 for maintenance margin), floored at the short-option
minimum. :func:`requirement_atoms` is the **one** place a float requirement becomes integer
atoms, rounded up (against the account).

One formula, two implementations: the exact engine runs its own integer version of this
requirement (:mod:`ringfence.core.portfolio.requirement` and :mod:`ringfence.core.portfolio.options`,
on the grid of :mod:`ringfence.core.portfolio.grid`), which is what margins a ledger's
portfolio-margined sub-accounts; this module is the vectorised float model of the same formula, for
statistics over many accounts. ``tests/differential/test_portfolio_margin_vs_risk.py`` holds the two
together on random portfolios within 1e-9 of the gross notional plus one atom.

Value-at-risk and expected shortfall (OCC's STANS: 99% expected shortfall over a two-day horizon;
OCC, "STANS Methodology Description", 2021) are in :mod:`ringfence.risk.value_at_risk`, on the same
repricing and aggregation.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray
from ringfence.risk.options import black76
from ringfence.risk.scenario_grid import ScenarioGrid

__all__ = [
    "Collateral",
    "InstrumentKind",
    "Instruments",
    "Market",
    "PortfolioMarginRule",
    "PortfolioRequirement",
    "collateral_pnl",
    "instrument_values",
    "portfolio_requirement",
    "requirement_atoms",
    "scenario_pnl",
]

IntArray = NDArray[np.int64]
MAX_EXACT = 2.0**52
"""Below this a float is an exact integer step apart from its neighbours (the rounding's domain)."""


class InstrumentKind(enum.IntEnum):
    """What an instrument pays: the underlying's price (a perpetual or a future), or an option."""

    LINEAR = 0
    CALL = 1
    PUT = 2


@dataclass(frozen=True, slots=True, eq=False)
class Market:
    """Each underlying's price now (a forward or index price, > 0) and the discount rate a year."""

    price: FloatArray
    discount_rate: float = 0.0

    @classmethod
    def of(cls, price: ArrayLike, discount_rate: float = 0.0) -> Market:
        """Return a checked market."""
        prices = np.atleast_1d(_inputs.positive("price", price))
        if prices.ndim != 1:
            raise InvalidParameter("price", prices.shape, "one price per underlying")
        if not math.isfinite(discount_rate):
            raise InvalidParameter("discount_rate", discount_rate, "a finite rate")
        return cls(prices, float(discount_rate))


@dataclass(frozen=True, slots=True, eq=False)
class Instruments:
    """The instruments positions may hold (parallel arrays, one entry per instrument).

    ``strike``, ``expiry_years`` and ``volatility`` are read for options only (a delta-one
    instrument may carry any value there, NaN included).
    """

    underlying: IntArray
    kind: NDArray[np.int8]
    strike: FloatArray
    expiry_years: FloatArray
    volatility: FloatArray

    @classmethod
    def of(
        cls,
        underlying: ArrayLike,
        kind: ArrayLike,
        strike: ArrayLike,
        expiry_years: ArrayLike,
        volatility: ArrayLike,
        market: Market,
    ) -> Instruments:
        """Return checked instruments: underlyings index ``market``; options' fields are > 0."""
        index = np.asarray(underlying, dtype=np.int64)
        kinds = np.asarray(kind, dtype=np.int8)
        if index.ndim != 1 or kinds.shape != index.shape:
            raise InvalidParameter("underlying", index.shape, "one underlying and kind per instrument")
        if index.size and not ((index >= 0).all() and (index < market.price.shape[0]).all()):
            raise InvalidParameter("underlying", index.tolist(), f"indexes below {market.price.shape[0]}")
        if not np.isin(kinds, [k.value for k in InstrumentKind]).all():
            raise InvalidParameter("kind", kinds.tolist(), "InstrumentKind values")
        fields = [
            np.broadcast_to(np.asarray(v, dtype=np.float64), index.shape).copy()
            for v in (strike, expiry_years, volatility)
        ]
        option = kinds != InstrumentKind.LINEAR
        for name, values in zip(("strike", "expiry_years", "volatility"), fields, strict=True):
            _inputs.positive(name, values[option])
        return cls(index, kinds, *fields)

    @property
    def size(self) -> int:
        """The number of instruments."""
        return int(self.underlying.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Collateral:
    """Collateral assets: the underlying each moves with (−1 for the quote asset) and its price now."""

    underlying: IntArray
    price: FloatArray

    @classmethod
    def of(cls, underlying: ArrayLike, price: ArrayLike, market: Market) -> Collateral:
        """Return checked collateral assets."""
        index = np.atleast_1d(np.asarray(underlying, dtype=np.int64))
        prices = np.atleast_1d(_inputs.positive("collateral price", price))
        if index.shape != prices.shape or index.ndim != 1:
            raise InvalidParameter("collateral", (index.shape, prices.shape), "one underlying and price per asset")
        if not ((index >= -1).all() and (index < market.price.shape[0]).all()):
            raise InvalidParameter("collateral underlying", index.tolist(), "-1 (quote) or an underlying's index")
        return cls(index, prices)


@dataclass(frozen=True, slots=True)
class PortfolioMarginRule:
    """A grid and what is added to its max loss (module docstring).

    Attributes
    ----------
    im_factor:
        Multiplies the max loss (Derive PM2: 1.0 initial, 0.8 maintenance).
    option_contingency:
        Fraction of the underlying's price per net short option contract per strike and expiry.
    linear_contingency:
        Fraction of the underlying's price per delta-one contract, long or short.
    short_option_minimum:
        Quote units per short option contract: the requirement's floor (CME SPAN).
    """

    grid: ScenarioGrid
    im_factor: float = 1.0
    option_contingency: float = 0.0
    linear_contingency: float = 0.0
    short_option_minimum: float = 0.0

    def __post_init__(self) -> None:
        for name in ("im_factor", "option_contingency", "linear_contingency", "short_option_minimum"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise InvalidParameter(name, value, "a finite number >= 0")


@dataclass(frozen=True, slots=True, eq=False)
class PortfolioRequirement:
    """Per account: the max loss, the contingencies, the requirement (quote units) and the worst scenario."""

    max_loss: FloatArray
    contingency: FloatArray
    short_option_floor: FloatArray
    requirement: FloatArray
    worst_scenario: IntArray


def instrument_values(
    instruments: Instruments, market: Market, price_factor: ArrayLike, volatility: ArrayLike, elapsed_years: float
) -> FloatArray:
    """Return each instrument's value per unit when its underlying's price is multiplied by ``price_factor``.

    ``price_factor`` and ``volatility`` broadcast to one row per instrument and one column per
    scenario (volatility is read for options only); ``elapsed_years`` of the options' lives have
    passed, and an option with no life left is worth its intrinsic value.
    """
    shape = np.broadcast_shapes((instruments.size, 1), np.shape(price_factor), np.shape(volatility))
    price = np.broadcast_to(market.price[instruments.underlying][:, None] * np.asarray(price_factor), shape)
    values = np.array(price, dtype=np.float64)
    option = instruments.kind != InstrumentKind.LINEAR
    if not option.any():
        return values
    rows = price[option]
    sigma = np.broadcast_to(np.asarray(volatility, dtype=np.float64), shape)[option]
    strike = np.broadcast_to(instruments.strike[option][:, None], rows.shape)
    remaining = np.broadcast_to(instruments.expiry_years[option][:, None] - elapsed_years, rows.shape)
    is_call = np.broadcast_to((instruments.kind[option] == InstrumentKind.CALL)[:, None], rows.shape)
    option_values = np.where(is_call, np.maximum(rows - strike, 0.0), np.maximum(strike - rows, 0.0))
    live = remaining > 0.0
    if live.any():
        priced = black76(rows[live], strike[live], remaining[live], sigma[live], market.discount_rate, is_call[live])
        option_values[live] = priced.price
    values[option] = option_values
    return values


def scenario_pnl(instruments: Instruments, market: Market, grid: ScenarioGrid) -> FloatArray:
    """Return the ``I × S`` weighted profit and loss per unit of each instrument in each scenario."""
    option = instruments.kind != InstrumentKind.LINEAR
    volatility = np.ones((instruments.size, grid.size))
    if option.any():
        volatility[option] = grid.volatility_shock.shocked(
            instruments.volatility[option][:, None],
            instruments.expiry_years[option][:, None],
            grid.volatility_move[None, :],
        )
    now = instrument_values(instruments, market, 1.0, instruments.volatility[:, None], 0.0)
    shocked = instrument_values(instruments, market, 1.0 + grid.spot_shock[None, :], volatility, grid.look_ahead_years)
    return np.asarray((shocked - now) * grid.weight[None, :], dtype=np.float64)


def collateral_pnl(collateral: Collateral, grid: ScenarioGrid) -> FloatArray:
    """Return the ``C × S`` weighted profit and loss per unit of each collateral asset (0 for the quote)."""
    shock = np.where(collateral.underlying[:, None] >= 0, grid.spot_shock[None, :], 0.0)
    return np.asarray(collateral.price[:, None] * shock * grid.weight[None, :], dtype=np.float64)


def portfolio_requirement(
    positions: sparse.sparray | sparse.spmatrix,
    instruments: Instruments,
    market: Market,
    rule: PortfolioMarginRule,
    collateral_units: sparse.sparray | sparse.spmatrix | None = None,
    collateral: Collateral | None = None,
) -> PortfolioRequirement:
    """Return each account's portfolio-margin requirement (module docstring).

    Parameters
    ----------
    positions:
        ``A × I`` signed contract quantities (sparse; rows are accounts).
    instruments, market:
        The instruments (columns of ``positions``) and their underlyings' prices now.
    rule:
        The scenario grid and what is added to its max loss.
    collateral_units, collateral:
        ``A × C`` units of each collateral asset held, and the assets; both or neither.
    """
    holdings = sparse.csr_array(positions, dtype=np.float64)
    if holdings.shape[1] != instruments.size:
        raise InvalidParameter("positions", holdings.shape, f"one column per instrument ({instruments.size})")
    if not np.isfinite(holdings.data).all():
        raise InvalidParameter("positions", "non-finite quantities", "finite quantities")
    results = holdings @ scenario_pnl(instruments, market, rule.grid)
    if (collateral_units is None) != (collateral is None):
        raise InvalidParameter("collateral", "one of collateral_units and collateral", "both or neither")
    if collateral_units is not None and collateral is not None:
        units = sparse.csr_array(collateral_units, dtype=np.float64)
        if units.shape != (holdings.shape[0], collateral.price.shape[0]) or not (units.data >= 0).all():
            raise InvalidParameter("collateral_units", units.shape, "A × C non-negative units")
        results = results + units @ collateral_pnl(collateral, rule.grid)
    worst = np.argmin(results, axis=1).astype(np.int64)
    max_loss = np.maximum(-results[np.arange(results.shape[0]), worst], 0.0)
    contingency = _option_contingency(holdings, instruments, market, rule) + _linear_contingency(
        holdings, instruments, market, rule
    )
    floor = _short_option_floor(holdings, instruments, rule)
    requirement = np.maximum(rule.im_factor * max_loss + contingency, floor)
    return PortfolioRequirement(max_loss, contingency, floor, requirement, worst)


def _option_contingency(
    holdings: sparse.csr_array, instruments: Instruments, market: Market, rule: PortfolioMarginRule
) -> FloatArray:
    """``rate · price · max(−net, 0)`` summed over each account's (underlying, expiry, strike) groups."""
    accounts = holdings.shape[0]
    option = np.flatnonzero(instruments.kind != InstrumentKind.LINEAR)
    if rule.option_contingency == 0.0 or option.size == 0:
        return np.zeros(accounts)
    keys = np.stack(
        [instruments.underlying[option], instruments.expiry_years[option], instruments.strike[option]], axis=1
    )
    groups, group_of = np.unique(keys, axis=0, return_inverse=True)
    membership = sparse.csr_array(
        (np.ones(option.size), (option, group_of.ravel())), shape=(instruments.size, groups.shape[0])
    )
    net = (holdings @ membership).toarray()
    price = market.price[groups[:, 0].astype(np.int64)]
    return np.asarray(rule.option_contingency * (np.maximum(-net, 0.0) @ price), dtype=np.float64)


def _linear_contingency(
    holdings: sparse.csr_array, instruments: Instruments, market: Market, rule: PortfolioMarginRule
) -> FloatArray:
    """``rate · price · |quantity|`` over delta-one positions."""
    if rule.linear_contingency == 0.0:
        return np.zeros(holdings.shape[0])
    per_unit = np.where(instruments.kind == InstrumentKind.LINEAR, market.price[instruments.underlying], 0.0)
    return np.asarray(rule.linear_contingency * (abs(holdings) @ per_unit), dtype=np.float64)


def _short_option_floor(holdings: sparse.csr_array, instruments: Instruments, rule: PortfolioMarginRule) -> FloatArray:
    """SPAN's short-option minimum: ``minimum · Σ short option contracts``."""
    if rule.short_option_minimum == 0.0:
        return np.zeros(holdings.shape[0])
    is_option = (instruments.kind != InstrumentKind.LINEAR).astype(np.float64)
    shorts = (holdings.minimum(0.0) * -1.0) @ is_option
    return np.asarray(rule.short_option_minimum * shorts, dtype=np.float64)


def requirement_atoms(requirement: ArrayLike, decimals: int) -> IntArray:
    """Return requirements (quote units, floats ≥ 0) as integer atoms of ``decimals``, rounded up.

    The one float → integer crossing of portfolio margin. The product ``r · 10^decimals`` is
    rounded once in float arithmetic (an error of at most half an ulp), so the product is nudged
    to the next float above before the ceiling: the result is never below the exact
    ``⌈r · 10^decimals⌉`` and at most one atom above it. Values whose atoms reach 2⁵² are refused
    (``InvalidParameter``): a float there no longer resolves single atoms.
    """
    values = _inputs.non_negative("requirement", requirement)
    count = _inputs.count("decimals", decimals, 0)
    product = values * float(10**count)
    if not (product < MAX_EXACT).all():
        raise InvalidParameter("requirement", float(values.max()), f"below {MAX_EXACT:g} atoms of {count} decimals")
    bumped = np.where(product > 0.0, np.nextafter(product, np.inf), 0.0)
    return np.ceil(bumped).astype(np.int64)
