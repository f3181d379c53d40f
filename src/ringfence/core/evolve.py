"""``evolve(state, event)``: the only place the engine's state changes.

Live commands and replay both go through here, so replaying a journal rebuilds exactly
the state the live engine had. Handlers trust their events: every check happened in
``decide`` before the event existed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ringfence.core.events import (
    AssetRegistered,
    CollateralDeposited,
    CollateralTransferred,
    CollateralWithdrawn,
    Event,
    OracleConfigured,
    OracleDegraded,
    OracleGuardTripped,
    OraclePriceAccepted,
    PriceSubmitted,
    PrincipalRegistered,
)
from ringfence.core.governance.evolve import GOVERNANCE_HANDLERS
from ringfence.core.oracle import OracleConfig, OracleSource, OracleStatus, SourceQuote
from ringfence.core.pool.auction_evolve import AUCTION_HANDLERS
from ringfence.core.pool.cover_evolve import COVER_HANDLERS
from ringfence.core.pool.credit_line_evolve import CREDIT_LINE_HANDLERS
from ringfence.core.pool.evolve import POOL_HANDLERS, adjust_balance
from ringfence.core.pool.portfolio_evolve import PORTFOLIO_HANDLERS
from ringfence.core.pool.series_evolve import SERIES_HANDLERS
from ringfence.core.stable_price import StablePriceParams, reset_stable_price, update_stable_price
from ringfence.core.state import AssetParams, AssetState, LedgerState, OracleState

__all__ = ["evolve", "evolve_all"]

NS_PER_SECOND = 1_000_000_000


def _asset_registered(state: LedgerState, event: AssetRegistered) -> None:
    params = AssetParams(
        asset=event.asset,
        decimals=event.decimals,
        initial_weight_wad=event.initial_weight_wad,
        maintenance_weight_wad=event.maintenance_weight_wad,
        supply_cap_atoms=event.supply_cap_atoms,
        weight_scale_start_value=event.weight_scale_start_value,
    )
    state.assets[event.asset] = AssetState(params)
    state.deposited_atoms.setdefault(event.asset, 0)
    state.withdrawn_atoms.setdefault(event.asset, 0)


def _oracle_configured(state: LedgerState, event: OracleConfigured) -> None:
    config = OracleConfig(
        sources=tuple(OracleSource(n, w) for n, w in zip(event.source_names, event.source_weights, strict=True)),
        quorum=event.quorum,
        max_staleness_ns=event.max_staleness_ns,
        max_deviation_wad=event.max_deviation_wad,
        max_confidence_wad=event.max_confidence_wad,
        max_jump_wad=event.max_jump_wad,
        guard_release_ns=event.guard_release_ns,
    )
    stable_params = StablePriceParams(
        event.delay_interval_seconds, event.delay_growth_limit_wad, event.stable_growth_limit_wad
    )
    previous = state.oracles.get(event.asset)
    if previous is None:
        state.oracles[event.asset] = OracleState(config, stable_params)
        return
    previous.config = config
    previous.stable_params = stable_params
    previous.quotes = {name: q for name, q in previous.quotes.items() if name in event.source_names}


def _price_submitted(state: LedgerState, event: PriceSubmitted) -> None:
    quote = SourceQuote(event.price_wad, event.confidence_wad, event.published_ns)
    state.oracles[event.asset].quotes[event.source] = quote


def _oracle_price_accepted(state: LedgerState, event: OraclePriceAccepted) -> None:
    oracle = state.oracles[event.asset]
    seconds = event.accepted_ns // NS_PER_SECOND
    if oracle.stable is None:
        oracle.stable = reset_stable_price(event.price_wad, seconds)
    else:
        oracle.stable = update_stable_price(oracle.stable, oracle.stable_params, seconds, event.price_wad)
    oracle.accepted_price_wad = event.price_wad
    oracle.accepted_ns = event.accepted_ns
    oracle.status = OracleStatus.FRESH
    oracle.reason = "guarded jump confirmed" if event.released_guard else "quorum of fresh, agreeing sources"
    oracle.guarded_since_ns = None
    oracle.guarded_price_wad = None


def _oracle_guard_tripped(state: LedgerState, event: OracleGuardTripped) -> None:
    oracle = state.oracles[event.asset]
    oracle.status = OracleStatus.GUARDED
    oracle.reason = event.reason
    oracle.guarded_since_ns = event.timestamp_ns
    oracle.guarded_price_wad = event.refused_price_wad


def _oracle_degraded(state: LedgerState, event: OracleDegraded) -> None:
    oracle = state.oracles[event.asset]
    oracle.status = OracleStatus.STALE
    oracle.reason = event.reason
    oracle.guarded_since_ns = None
    oracle.guarded_price_wad = None


def _collateral_deposited(state: LedgerState, event: CollateralDeposited) -> None:
    adjust_balance(state, (event.owner, event.sub_account), event.asset, event.amount_atoms)
    state.assets[event.asset].total_deposits_atoms += event.amount_atoms
    state.deposited_atoms[event.asset] += event.amount_atoms


def _collateral_withdrawn(state: LedgerState, event: CollateralWithdrawn) -> None:
    adjust_balance(state, (event.owner, event.sub_account), event.asset, -event.amount_atoms)
    state.assets[event.asset].total_deposits_atoms -= event.amount_atoms
    state.withdrawn_atoms[event.asset] += event.amount_atoms


def _collateral_transferred(state: LedgerState, event: CollateralTransferred) -> None:
    adjust_balance(state, (event.owner, event.from_sub_account), event.asset, -event.amount_atoms)
    adjust_balance(state, (event.owner, event.to_sub_account), event.asset, event.amount_atoms)


def _principal_registered(state: LedgerState, event: PrincipalRegistered) -> None:
    state.principals[event.name] = event.public_key_hex


_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    AssetRegistered: _asset_registered,
    OracleConfigured: _oracle_configured,
    PriceSubmitted: _price_submitted,
    OraclePriceAccepted: _oracle_price_accepted,
    OracleGuardTripped: _oracle_guard_tripped,
    OracleDegraded: _oracle_degraded,
    CollateralDeposited: _collateral_deposited,
    CollateralWithdrawn: _collateral_withdrawn,
    CollateralTransferred: _collateral_transferred,
    PrincipalRegistered: _principal_registered,
    **POOL_HANDLERS,
    **AUCTION_HANDLERS,
    **COVER_HANDLERS,
    **CREDIT_LINE_HANDLERS,
    **SERIES_HANDLERS,
    **GOVERNANCE_HANDLERS,
    **PORTFOLIO_HANDLERS,
}


def evolve(state: LedgerState, event: Event) -> None:
    """Apply one event to ``state`` in place."""
    _HANDLERS[type(event)](state, event)


def evolve_all(state: LedgerState, events: Iterable[Event]) -> LedgerState:
    """Apply events in order and return the same state object, for chaining."""
    for event in events:
        _HANDLERS[type(event)](state, event)
    return state
