"""A book of perpetual positions as float64 arrays (structure of arrays), for the bulk screen.

Three kinds of rows, each a set of equal-length arrays, and no Python object per row:

- **positions** (``P``): margin account, market, signed size in base units, open notional in
  quote units (long > 0), funding owed in quote units, margin mode and isolated margin;
- **collateral holdings** (``H``): margin account, asset, amount in asset units already weighted
  at the asset's maintenance haircut (a debt, a negative amount, counts in full);
- **markets** (``M``): base asset, maintenance and initial margin rates, PnL weight.

A *margin account* is the unit health is computed for: a cross sub-account (its collateral and
every cross position it holds, in its one cross pool) or an isolated position (its own vault).
Per account the book keeps whether it is isolated and the exact engine's rounding allowance.

Decisions (the task left them open):

- Collateral is kept per holding, not as one value per account, so a price tick of a collateral
  asset (ETH deposited as margin) moves equity exactly as it does in the engine; the holdings are
  few (an account holds a handful of assets), so this costs one small ``bincount``.
- Funding owed does not move with the price, so it is stored per position (as the engine settles
  it, rounded up) and folded with the isolated margin into a per-account constant once, when the
  book is built (:attr:`RiskBook.account_fixed_equity`).
- Quote units count at par with the value numeraire, as ``core/margin.py`` converts them.
- ``market_initial_rate`` is carried for an initial-margin screen; the maintenance screen of
  :mod:`ringfence.risk.screen` does not read it.

The constructor validates shapes, index ranges and rate domains and raises
:class:`~ringfence.core.errors.InvalidParameter`: it is not a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter

__all__ = ["FloatArray", "IndexArray", "RiskBook"]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


def _check_length(name: str, array: NDArray[np.generic], length: int, dtype: type[np.generic]) -> None:
    if array.ndim != 1 or array.shape[0] != length:
        raise InvalidParameter(name, array.shape, f"a one-dimensional array of length {length}")
    if array.dtype != dtype:
        raise InvalidParameter(name, str(array.dtype), f"dtype {np.dtype(dtype).name}")


def _check_indices(name: str, indices: IndexArray, count: int) -> None:
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        raise InvalidParameter(name, (int(indices.min()), int(indices.max())), f"indices in [0, {count})")


def _check_finite(name: str, values: FloatArray) -> None:
    if not np.isfinite(values).all():
        raise InvalidParameter(name, "non-finite values", "finite floats")


def _check_unit_interval(name: str, values: FloatArray) -> None:
    if values.size and not ((values >= 0.0) & (values <= 1.0)).all():
        raise InvalidParameter(name, (float(values.min()), float(values.max())), "rates in [0, 1]")


@dataclass(frozen=True, slots=True, eq=False)
class RiskBook:
    """The positions, collateral and markets of a venue as float64 arrays.

    Build one from an exact state with :func:`ringfence.risk.boundary.book_from_state`, or
    directly from arrays (benchmarks, tests). Indices are ``numpy.intp``; amounts ``float64``.
    ``dataclasses.replace`` re-validates and recomputes the derived per-account arrays.
    """

    position_account: IndexArray
    """Margin account of each position."""
    position_market: IndexArray
    """Market of each position (an index into the ``market_*`` arrays)."""
    position_size: FloatArray
    """Signed size in base units (long > 0)."""
    position_open_notional: FloatArray
    """Signed quote units paid to open: unrealised PnL = size · price − open notional."""
    position_funding_owed: FloatArray
    """Funding the position owes since it last settled, in quote units (negative: it is owed)."""
    position_isolated: NDArray[np.bool_]
    """Whether the position is isolated (its account is the position itself)."""
    position_isolated_margin: FloatArray
    """The isolated vault in quote units (0 for a cross position)."""
    holding_account: IndexArray
    """Margin account (a cross sub-account) each collateral holding belongs to."""
    holding_asset: IndexArray
    """Asset of each holding (an index into the price vector)."""
    holding_weighted_amount: FloatArray
    """Amount in asset units times the maintenance weight (a debt: the amount, in full)."""
    market_base_asset: IndexArray
    """Base asset of each market (an index into the price vector)."""
    market_maintenance_rate: FloatArray
    """Maintenance margin rate of each market (FLAT model: requirement = |notional| · rate)."""
    market_initial_rate: FloatArray
    """Initial margin rate of each market (not read by the maintenance screen)."""
    market_pnl_weight: FloatArray
    """Weight of positive unrealised PnL in equity."""
    account_isolated: NDArray[np.bool_]
    """Whether each margin account is an isolated position."""
    account_rounding_allowance: FloatArray
    """The most, in value units, the exact engine's atom rounding can move the account's
    ``equity − requirement`` (0 for a book with no exact counterpart)."""
    asset_count: int
    """Length of the price vector the book is screened with."""
    account_fixed_equity: FloatArray = field(init=False)
    """Derived: per account, isolated margin minus funding owed (price-independent equity)."""
    account_fixed_magnitude: FloatArray = field(init=False)
    """Derived: per account, Σ (|open notional| + |funding owed| + isolated margin)."""
    max_terms_per_account: int = field(init=False)
    """Derived: the most positions plus holdings any account sums (the float error bound's n)."""

    def __post_init__(self) -> None:
        """Validate the arrays and derive the per-account constants."""
        positions, holdings = self.position_account.shape[0], self.holding_account.shape[0]
        markets, accounts = self.market_base_asset.shape[0], self.account_isolated.shape[0]
        self._check_shapes(positions, holdings, markets, accounts)
        _check_indices("position_account", self.position_account, accounts)
        _check_indices("position_market", self.position_market, markets)
        _check_indices("holding_account", self.holding_account, accounts)
        _check_indices("holding_asset", self.holding_asset, self.asset_count)
        _check_indices("market_base_asset", self.market_base_asset, self.asset_count)
        for name in ("position_size", "position_open_notional", "position_funding_owed", "holding_weighted_amount"):
            _check_finite(name, getattr(self, name))
        if not (self.position_isolated_margin >= 0.0).all():
            raise InvalidParameter("position_isolated_margin", "negative values", "finite values ≥ 0")
        for name in ("market_maintenance_rate", "market_initial_rate", "market_pnl_weight"):
            _check_unit_interval(name, getattr(self, name))
        if not np.array_equal(self.position_isolated, self.account_isolated[self.position_account]):
            raise InvalidParameter("position_isolated", "differs from its account", "account_isolated[account]")
        if self.account_isolated[self.holding_account].any():
            raise InvalidParameter("holding_account", "an isolated account", "cross accounts only")
        if not (self.account_rounding_allowance >= 0.0).all():
            raise InvalidParameter("account_rounding_allowance", "negative values", "finite values ≥ 0")
        fixed = self.position_isolated_margin - self.position_funding_owed
        magnitude = np.abs(self.position_open_notional) + np.abs(self.position_funding_owed)
        magnitude += self.position_isolated_margin
        terms = np.bincount(self.position_account, minlength=accounts)
        terms += np.bincount(self.holding_account, minlength=accounts)
        per_account = np.bincount(self.position_account, fixed, accounts).astype(np.float64, copy=False)
        object.__setattr__(self, "account_fixed_equity", per_account)
        per_account = np.bincount(self.position_account, magnitude, accounts).astype(np.float64, copy=False)
        object.__setattr__(self, "account_fixed_magnitude", per_account)
        object.__setattr__(self, "max_terms_per_account", int(terms.max()) if accounts else 0)

    def _check_shapes(self, positions: int, holdings: int, markets: int, accounts: int) -> None:
        if not isinstance(self.asset_count, int) or self.asset_count < 0:
            raise InvalidParameter("asset_count", self.asset_count, "an int ≥ 0")
        shapes: tuple[tuple[str, int, type[np.generic]], ...] = (
            ("position_account", positions, np.intp),
            ("position_market", positions, np.intp),
            ("position_size", positions, np.float64),
            ("position_open_notional", positions, np.float64),
            ("position_funding_owed", positions, np.float64),
            ("position_isolated", positions, np.bool_),
            ("position_isolated_margin", positions, np.float64),
            ("holding_account", holdings, np.intp),
            ("holding_asset", holdings, np.intp),
            ("holding_weighted_amount", holdings, np.float64),
            ("market_base_asset", markets, np.intp),
            ("market_maintenance_rate", markets, np.float64),
            ("market_initial_rate", markets, np.float64),
            ("market_pnl_weight", markets, np.float64),
            ("account_isolated", accounts, np.bool_),
            ("account_rounding_allowance", accounts, np.float64),
        )
        for name, length, dtype in shapes:
            array = getattr(self, name)
            if not isinstance(array, np.ndarray):
                raise InvalidParameter(name, type(array).__name__, "a numpy array")
            _check_length(name, array, length, dtype)

    @property
    def position_count(self) -> int:
        """Return the number of positions."""
        return int(self.position_account.shape[0])

    @property
    def account_count(self) -> int:
        """Return the number of margin accounts."""
        return int(self.account_isolated.shape[0])
