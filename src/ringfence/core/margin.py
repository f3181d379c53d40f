"""Collateral valuation, margin requirements and health (SPEC §2.2–2.3).

- Maintenance equity values each collateral balance at the **oracle** price times the
  asset's maintenance weight.
- Initial equity values it at ``min(oracle, stable)`` (Mango v4 stable price) times the
  initial weight, scaled down once the venue-wide deposits of the asset exceed
  ``weight_scale_start_value``: ``weight · start / deposits_value`` (Mango v4
  ``Bank::scaled_init_asset_weight``, ``programs/mango-v4/src/state/bank.rs``).
- Every valuation rounds down (collateral is a credit to the account); requirements round up.

Health = equity / requirement. An account with no requirement needs no price: it can always
withdraw what it holds, even while an oracle is degraded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ringfence.core.errors import OracleUnavailable
from ringfence.core.oracle import OracleStatus
from ringfence.core.pool.perp_math import funding_owed_atoms, unrealised_pnl_atoms
from ringfence.core.pool.requirements import open_interest_after, open_interest_atoms, requirements_atoms
from ringfence.core.pool.state import MarginMode, PoolState, Position
from ringfence.core.state import AccountKey, AssetState, LedgerState, OracleState
from ringfence.core.units import MAX_ATOMS, VALUE_DECIMALS, WAD, Rounding, mul_div, value_of

__all__ = [
    "NO_LIMIT",
    "MarginKind",
    "MarginSnapshot",
    "base_price_wad",
    "collateral_value",
    "initial_weight_wad",
    "isolated_margin",
    "margin_snapshot",
    "oracle_status",
    "position_terms",
]

NO_LIMIT = MAX_ATOMS
"""Sentinel for "no supply cap" and "no weight scaling"."""


class MarginKind(enum.Enum):
    """Which requirement an equity figure is compared with."""

    INITIAL = "initial"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, slots=True)
class MarginSnapshot:
    """An account's equity and requirement of one kind, in value atoms."""

    kind: MarginKind
    equity_value: int
    requirement_value: int

    @property
    def is_healthy(self) -> bool:
        """Return whether equity covers the requirement."""
        return self.equity_value >= self.requirement_value

    def health_wad(self) -> int | None:
        """Return ``equity / requirement`` in WAD (rounded down), or None with no requirement."""
        if self.requirement_value == 0:
            return None
        return mul_div(self.equity_value, WAD, self.requirement_value, Rounding.DOWN)


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


def initial_weight_wad(asset_state: AssetState, price_wad: int) -> int:
    """Return the initial weight after Mango v4 deposit-weight scaling at ``price_wad``."""
    params = asset_state.params
    start = params.weight_scale_start_value
    if start == NO_LIMIT:
        return params.initial_weight_wad
    deposits_value = value_of(asset_state.total_deposits_atoms, price_wad, params.decimals, Rounding.UP)
    if deposits_value <= start:
        return params.initial_weight_wad
    return mul_div(params.initial_weight_wad, start, deposits_value, Rounding.DOWN)


def collateral_value(
    state: LedgerState,
    balances: Mapping[str, int],
    kind: MarginKind,
    now_ns: int,
) -> int:
    """Return the weighted value of ``balances`` in value atoms, rounded against the account.

    A positive balance counts at its weight (initial: ``min(oracle, stable)`` and the scaled
    initial weight; maintenance: oracle and maintenance weight), rounded down. A negative
    balance (a debt left by realised losses) counts in full at ``max(oracle, stable)`` for
    initial margin and at the oracle for maintenance, rounded toward more debt.

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
        weight = initial_weight_wad(asset_state, price) if initial else asset_state.params.maintenance_weight_wad
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


def _to_value_atoms(quote_atoms: int, quote_decimals: int) -> int:
    """Convert quote atoms (at par with the numeraire) to value atoms, floored."""
    shift = VALUE_DECIMALS - quote_decimals
    if shift == 0:
        return quote_atoms
    return int(quote_atoms * 10**shift if shift > 0 else quote_atoms // 10**-shift)


def position_terms(
    state: LedgerState,
    pool: PoolState,
    market_id: str,
    position: Position,
    kind: MarginKind,
    price_wad: int,
    *,
    open_interest: int | None = None,
) -> tuple[int, int]:
    """Return ``(equity contribution, requirement)`` of a position, in quote atoms.

    Equity: unrealised PnL (positive PnL at the market's ``pnl_weight``, floored) minus
    funding owed. Requirement: the market's margin model at ``price_wad``, rounded up
    (:func:`ringfence.core.pool.requirements.requirements_atoms`; FLAT: ``|size| · price ·
    rate``). ``open_interest`` (base atoms) replaces the market's current open interest, for
    a check of the state after a command; only the dYdX model reads it.
    """
    market = pool.markets[market_id]
    params = market.params
    base_decimals = state.assets[params.base_asset].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    pnl = unrealised_pnl_atoms(position, price_wad, base_decimals, quote_decimals)
    if pnl > 0:
        pnl = mul_div(pnl, params.pnl_weight_wad, WAD, Rounding.DOWN)
    equity = pnl - funding_owed_atoms(position, market.funding_index_wad, base_decimals)
    interest = open_interest_atoms(market) if open_interest is None else open_interest
    initial, maintenance = requirements_atoms(
        params, position.size_atoms, price_wad, interest, base_decimals, quote_decimals
    )
    return equity, initial if kind is MarginKind.INITIAL else maintenance


def isolated_margin(
    state: LedgerState,
    pool: PoolState,
    market_id: str,
    position: Position,
    kind: MarginKind,
    price_wad: int,
    *,
    open_interest: int | None = None,
) -> MarginSnapshot:
    """Return an isolated position's margin: its vault plus its equity terms, in quote atoms.

    ``open_interest`` as in :func:`position_terms`.
    """
    equity, requirement = position_terms(state, pool, market_id, position, kind, price_wad, open_interest=open_interest)
    return MarginSnapshot(kind, position.isolated_margin_atoms + equity, requirement)


def margin_snapshot(
    state: LedgerState,
    key: AccountKey,
    kind: MarginKind,
    now_ns: int,
    balance_changes: Mapping[str, int] | None = None,
    position_override: tuple[str, str, Position | None] | None = None,
    *,
    allow_guarded: bool = False,
) -> MarginSnapshot:
    """Return a sub-account's cross-margin equity and requirement, in value atoms.

    Optionally after hypothetical balance changes and with one cross position of the
    sub-account replaced (``(pool, market, position or None)``), so ``decide`` can check a
    command's outcome without mutating state; the replaced market's open interest is then
    the one after the replacement. With no cross position and no debt the
    account is healthy whatever its collateral is worth: no oracle is consulted (equity
    is reported as 0), so a collateral-only account never depends on a price.
    """
    account = state.accounts.get(key)
    balances: Mapping[str, int] = account.balances if account is not None else {}
    if balance_changes:  # a copy only when there is something to change (read-only otherwise)
        balances = dict(balances)
        for asset, change in balance_changes.items():
            balances[asset] = balances.get(asset, 0) + change
    positions = _cross_positions(state, key, position_override)
    if not positions and all(amount >= 0 for amount in balances.values()):
        return MarginSnapshot(kind, 0, 0)
    equity = collateral_value(state, balances, kind, now_ns)
    requirement = 0
    for pool, market_id, position in positions:
        base = pool.markets[market_id].params.base_asset
        price = base_price_wad(state, base, now_ns, allow_guarded=allow_guarded)
        replaced = position_override is not None and position_override[:2] == (pool.pool, market_id)
        interest = open_interest_after(pool, key, market_id, position) if replaced else None
        position_equity, position_requirement = position_terms(
            state, pool, market_id, position, kind, price, open_interest=interest
        )
        quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        equity += _to_value_atoms(position_equity, quote_decimals)
        requirement += -_to_value_atoms(-position_requirement, quote_decimals)
    return MarginSnapshot(kind, equity, requirement)


def _cross_positions(
    state: LedgerState, key: AccountKey, override: tuple[str, str, Position | None] | None
) -> list[tuple[PoolState, str, Position]]:
    """Return the sub-account's cross positions, with ``override`` applied.

    The override may name the sub-account's first cross position (no pool bound yet).
    """
    pool_id = state.cross_pool.get(key) or (override[0] if override is not None else None)
    if pool_id is None:
        return []
    pool = state.pools[pool_id]
    found = []
    markets = list(pool.account_markets.get(key, ()))
    replaced = override[1] if override is not None and override[0] == pool_id else None
    if replaced is not None and replaced not in markets:
        markets.append(replaced)
    for market_id in markets:
        position = pool.positions.get((key, market_id))
        if override is not None and market_id == replaced:
            position = override[2]
        if position is not None and position.mode is MarginMode.CROSS:
            found.append((pool, market_id, position))
    return found
