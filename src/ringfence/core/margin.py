"""Collateral valuation, prices for margin, and the margin snapshot type (SPEC §2.1–2.3).

- Maintenance equity values each collateral balance at the **oracle** price times the
  asset's maintenance weight.
- Initial equity values it at ``min(oracle, stable)`` (Mango v4 stable price) times the
  initial weight, scaled down once the deposits of the asset exceed
  ``weight_scale_start_value``: ``weight · start / deposits_value`` (Mango v4
  ``Bank::scaled_init_asset_weight``, ``programs/mango-v4/src/state/bank.rs``). The deposits
  counted are those of the pool the sub-account is bound to (every sub-account bound to it,
  SPEC §2.3), never venue-wide: one pool's activity must not change another pool's accounts.
- A perp position's unrealised PnL counts at the oracle for maintenance and, for initial
  margin, at the conservative of oracle and stable price (a long at the lower, a short at the
  higher): SPEC §2.1 (:func:`initial_pnl_price_wad`).
- Every valuation rounds down (collateral is a credit to the account); requirements round up.

Health = equity / requirement. An account with no requirement needs no price: it can always
withdraw what it holds, even while an oracle is degraded.

Layering: this module sits *below* ``ringfence.core.pool`` and imports none of its modules
(an import-linter ``layers`` contract in ``pyproject.toml``). A sub-account's margin with its
positions (:func:`ringfence.core.pool.position_margin.margin_snapshot`, ``isolated_margin``,
``position_terms``) lives in the pool package and builds on the valuations here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ringfence.core.errors import OracleUnavailable
from ringfence.core.oracle import OracleStatus
from ringfence.core.state import AccountKey, AssetState, LedgerState, OracleState
from ringfence.core.units import MAX_ATOMS, VALUE_DECIMALS, WAD, Rounding, mul_div, value_of

__all__ = [
    "NO_LIMIT",
    "Denomination",
    "MarginKind",
    "MarginSnapshot",
    "base_price_wad",
    "collateral_value",
    "initial_pnl_price_wad",
    "initial_weight_wad",
    "oracle_status",
    "pool_deposits_atoms",
    "quote_to_value_atoms",
]

NO_LIMIT = MAX_ATOMS
"""Sentinel for "no supply cap" and "no weight scaling"."""


class MarginKind(enum.Enum):
    """Which requirement an equity figure is compared with."""

    INITIAL = "initial"
    MAINTENANCE = "maintenance"


class Denomination(enum.Enum):
    """The unit a margin figure is counted in."""

    VALUE = "value atoms"
    """Numeraire value atoms (``VALUE_DECIMALS``): a cross sub-account, across assets and pools."""
    QUOTE = "quote atoms"
    """Atoms of the pool's quote asset: an isolated position's vault and terms."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginSnapshot:
    """An account's equity and requirement of one kind, both in ``denomination`` atoms.

    :func:`margin_snapshot` (cross) counts value atoms; :func:`isolated_margin` counts the
    pool's quote atoms. A consumer that needs one unit converts by ``denomination``, never by
    what it guesses the account to be.
    """

    kind: MarginKind
    equity_atoms: int
    requirement_atoms: int
    denomination: Denomination

    @property
    def is_healthy(self) -> bool:
        """Return whether equity covers the requirement."""
        return self.equity_atoms >= self.requirement_atoms

    def health_wad(self) -> int | None:
        """Return ``equity / requirement`` in WAD (rounded down), or None with no requirement."""
        if self.requirement_atoms == 0:
            return None
        return mul_div(self.equity_atoms, WAD, self.requirement_atoms, Rounding.DOWN)


def oracle_status(oracle: OracleState, now_ns: int) -> tuple[OracleStatus, str]:
    """Return the oracle's status at ``now_ns``: its last status, aged by staleness.

    A fresh or guarded oracle whose last accepted price is older than ``max_staleness_ns``
    is stale: a guard never lets a market settle on an old price forever.
    """
    if oracle.status is OracleStatus.STALE:
        return oracle.status, oracle.reason
    age_ns = now_ns - oracle.accepted_ns
    if age_ns > oracle.config.max_staleness_ns:
        return OracleStatus.STALE, f"last price accepted {age_ns} ns ago, limit {oracle.config.max_staleness_ns}"
    return oracle.status, oracle.reason


def _usable_prices(state: LedgerState, asset: str, now_ns: int) -> tuple[int, int]:
    oracle = state.oracles.get(asset)
    if oracle is None or oracle.accepted_price_wad is None or oracle.stable is None:
        raise OracleUnavailable(asset, OracleStatus.STALE.value, "no price accepted yet")
    status, reason = oracle_status(oracle, now_ns)
    if status is not OracleStatus.FRESH:
        raise OracleUnavailable(asset, status.value, reason)
    return oracle.accepted_price_wad, oracle.stable.stable_price_wad


def initial_weight_wad(asset_state: AssetState, price_wad: int, deposits_atoms: int) -> int:
    """Return the initial weight after Mango v4 deposit-weight scaling at ``price_wad``.

    ``deposits_atoms`` are the deposits the scaling counts: those of the sub-account's pool
    (:func:`pool_deposits_atoms`).
    """
    params = asset_state.params
    start = params.weight_scale_start_value
    if start == NO_LIMIT:
        return params.initial_weight_wad
    deposits_value = value_of(deposits_atoms, price_wad, params.decimals, Rounding.UP)
    if deposits_value <= start:
        return params.initial_weight_wad
    return mul_div(params.initial_weight_wad, start, deposits_value, Rounding.DOWN)


def pool_deposits_atoms(state: LedgerState, pool_id: str, asset: str, key: AccountKey, own_balance_atoms: int) -> int:
    """Return the deposits of ``asset`` that scale its weight for sub-accounts of pool ``pool_id``.

    The positive balances of every sub-account bound to the pool (``state.cross_pool``), with
    ``key``'s own counted as ``own_balance_atoms`` (its balance after the command being
    checked, bound or about to be). A sub-account bound to no pool counts in none. Its cost is
    one pass over the bound sub-accounts, paid only for an asset whose weight scales.
    """
    total = max(own_balance_atoms, 0)
    for other, bound in state.cross_pool.items():
        if bound == pool_id and other != key:
            account = state.accounts.get(other)
            if account is not None:
                total += max(account.balances.get(asset, 0), 0)
    return total


def collateral_value(
    state: LedgerState,
    balances: Mapping[str, int],
    kind: MarginKind,
    now_ns: int,
    *,
    scaling_deposits_atoms: Mapping[str, int] | None = None,
) -> int:
    """Return the weighted value of ``balances`` in value atoms, rounded against the account.

    A positive balance counts at its weight (initial: ``min(oracle, stable)`` and the scaled
    initial weight; maintenance: oracle and maintenance weight), rounded down. A negative
    balance (a debt left by realised losses) counts in full at ``max(oracle, stable)`` for
    initial margin and at the oracle for maintenance, rounded toward more debt.

    ``scaling_deposits_atoms`` maps an asset to the deposits its weight scaling counts (the
    sub-account's pool, :func:`pool_deposits_atoms`); an asset it leaves out counts the
    balance alone (a sub-account bound to no pool).

    Raises
    ------
    OracleUnavailable
        If an asset with a non-zero balance has no fresh price.
    """
    total = 0
    for asset, balance_atoms in balances.items():
        if balance_atoms == 0:
            continue
        asset_state = state.assets[asset]
        oracle_price, stable_price = _usable_prices(state, asset, now_ns)
        initial = kind is MarginKind.INITIAL
        if balance_atoms < 0:
            price = max(oracle_price, stable_price) if initial else oracle_price
            total += value_of(balance_atoms, price, asset_state.params.decimals, Rounding.DOWN)
            continue
        price = min(oracle_price, stable_price) if initial else oracle_price
        if initial:
            deposits = (
                balance_atoms if scaling_deposits_atoms is None else scaling_deposits_atoms.get(asset, balance_atoms)
            )
            weight = initial_weight_wad(asset_state, price, deposits)
        else:
            weight = asset_state.params.maintenance_weight_wad
        value = value_of(balance_atoms, price, asset_state.params.decimals, Rounding.DOWN)
        total += mul_div(value, weight, WAD, Rounding.DOWN)
    return total


def base_price_wad(state: LedgerState, asset: str, now_ns: int, *, allow_guarded: bool = False) -> int:
    """Return the price positions in ``asset`` are marked at.

    Fresh oracle: its accepted price. Guarded (a jump held back) with ``allow_guarded``: the
    last accepted price, so liquidations and risk-reducing trades go on while new risk waits
    (the degraded-oracle rule of SPEC §2.1). Stale: no price, :class:`OracleUnavailable`.
    """
    oracle = state.oracles.get(asset)
    if oracle is None or oracle.accepted_price_wad is None:
        raise OracleUnavailable(asset, OracleStatus.STALE.value, "no price accepted yet")
    status, reason = oracle_status(oracle, now_ns)
    if status is OracleStatus.FRESH or (status is OracleStatus.GUARDED and allow_guarded):
        return oracle.accepted_price_wad
    raise OracleUnavailable(asset, status.value, reason)


def initial_pnl_price_wad(state: LedgerState, asset: str, size_atoms: int, price_wad: int) -> int:
    """Return the price an initial-margin check values a position's unrealised PnL at.

    SPEC §2.1 (Mango v4 stable price, ``programs/mango-v4/src/health/cache.rs``: init health
    prices an asset at ``min(oracle, stable)`` and a liability at ``max(oracle, stable)``): a
    long gains as the price rises, so its PnL counts at ``min(price, stable)``; a short at
    ``max(price, stable)``. A spike of the oracle therefore cannot be withdrawn or borrowed
    against before the stable price has followed it. ``price_wad`` is the price the position
    is marked at (the oracle's accepted price); an asset without a stable price yet keeps it.
    """
    oracle = state.oracles.get(asset)
    if oracle is None or oracle.stable is None:
        return price_wad
    stable = oracle.stable.stable_price_wad
    return min(price_wad, stable) if size_atoms > 0 else max(price_wad, stable)


def quote_to_value_atoms(quote_atoms: int, quote_decimals: int) -> int:
    """Convert quote atoms (at par with the numeraire) to value atoms, floored."""
    shift = VALUE_DECIMALS - quote_decimals
    if shift == 0:
        return quote_atoms
    return int(quote_atoms * 10**shift if shift > 0 else quote_atoms // 10**-shift)
