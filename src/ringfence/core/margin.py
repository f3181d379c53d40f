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
from ringfence.core.state import AccountKey, AssetState, LedgerState, OracleState
from ringfence.core.units import MAX_ATOMS, WAD, Rounding, mul_div, value_of

__all__ = [
    "NO_LIMIT",
    "MarginKind",
    "MarginSnapshot",
    "collateral_value",
    "initial_weight_wad",
    "margin_snapshot",
    "oracle_status",
    "requirement_value",
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
    """Return the oracle's status at ``now_ns``: its last status, aged by staleness."""
    if oracle.status is not OracleStatus.FRESH:
        return oracle.status, oracle.reason
    age_ns = now_ns - oracle.accepted_ns
    if age_ns > oracle.config.max_staleness_ns:
        return OracleStatus.STALE, f"last price accepted {age_ns} ns ago, limit {oracle.config.max_staleness_ns}"
    return OracleStatus.FRESH, oracle.reason


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
    """Return the weighted value of ``balances`` in value atoms, rounded down.

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
        if kind is MarginKind.MAINTENANCE:
            price = oracle_price
            weight = asset_state.params.maintenance_weight_wad
        else:
            price = min(oracle_price, stable_price)
            weight = initial_weight_wad(asset_state, price)
        value = value_of(balance_atoms, price, asset_state.params.decimals, Rounding.DOWN)
        total += mul_div(value, weight, WAD, Rounding.DOWN)
    return total


def requirement_value(state: LedgerState, key: AccountKey, kind: MarginKind) -> int:
    """Return the account's margin requirement in value atoms (rounded up).

    Collateral alone carries no requirement; positions add theirs when markets exist.
    """
    del state, key, kind
    return 0


def margin_snapshot(
    state: LedgerState,
    key: AccountKey,
    kind: MarginKind,
    now_ns: int,
    balance_changes: Mapping[str, int] | None = None,
) -> MarginSnapshot:
    """Return the account's equity and requirement, optionally after hypothetical balance changes.

    With no requirement the account is healthy whatever its collateral is worth, so its
    equity is not valued (reported as 0) and no oracle is consulted: a collateral-only
    account never depends on a price. Use :func:`collateral_value` to show its worth.
    """
    requirement = requirement_value(state, key, kind)
    account = state.accounts.get(key)
    balances = dict(account.balances) if account is not None else {}
    for asset, change in (balance_changes or {}).items():
        balances[asset] = balances.get(asset, 0) + change
    if requirement == 0:
        return MarginSnapshot(kind, 0, 0)
    return MarginSnapshot(kind, collateral_value(state, balances, kind, now_ns), requirement)
