"""The one crossing between the exact engine and the float screen, both ways.

- :func:`book_from_state` turns an exact :class:`~ringfence.core.state.LedgerState` into a
  :class:`~ringfence.risk.book.RiskBook` (atoms → units with each asset's decimals, WAD → float,
  every conversion one correctly rounded division of Python ints) plus the keys that map each
  margin account back to the ledger (:class:`LedgerBook`).
- :func:`prices_from_state` reads the oracles' accepted prices into the price vector.
- :func:`confirm_candidates` re-checks every candidate of a screen in integers with the engine's
  own ``margin_snapshot`` / ``isolated_margin`` and returns the exact liquidatable set.

Nothing else in :mod:`ringfence.risk` knows about atoms or WAD.

Decisions (the task left them open):

- Margin accounts are the sub-accounts holding at least one cross position (in their cross pool),
  then each isolated position, in the state's insertion order (deterministic, replay-stable). A
  sub-account with collateral and no cross position is no margin account: it has nothing to
  liquidate and ``margin_snapshot`` requires nothing of it.
- Only the FLAT margin model is mirrored: a market holding positions under another model is
  refused with :class:`~ringfence.core.errors.InvalidParameter` naming the model.
- The rounding allowance per account (:attr:`RiskBook.account_rounding_allowance`) counts the
  engine's roundings against the account: per position at most 4 quote atoms (PnL floor, weighted
  gain floor, notional ceiling, requirement ceiling) and 2 value atoms (a cross position's terms
  converted to value atoms, down and up); per collateral holding 2 value atoms (value floor,
  weight floor). Funding owed is converted from the engine's own rounded figure, so it adds none.
- Prices: the accepted oracle price of a fresh or guarded oracle (liquidation runs at the last
  accepted price while an oracle is guarded); NaN for a stale one, so its accounts are
  ``UNPRICED`` and go to the exact re-check, which reports the ones it cannot price.
- Confirmation re-checks as a keeper's ``Liquidate`` verifies (``core/pool/liquidate.py``):
  ``allow_guarded=True``, an account is liquidatable when its equity is below its requirement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ringfence.core.errors import InvalidParameter, OracleUnavailable
from ringfence.core.margin import Denomination, MarginKind, MarginSnapshot, base_price_wad, oracle_status
from ringfence.core.oracle import OracleStatus
from ringfence.core.pool.perp_math import funding_owed_atoms
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.state import MarginMode, MarginModelKind, PoolState, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import VALUE_DECIMALS, WAD
from ringfence.risk.book import FloatArray, RiskBook
from ringfence.risk.screen import ScreenResult, ScreenStatus

__all__ = [
    "Confirmation",
    "LedgerBook",
    "MarginAccountKey",
    "audit_screen",
    "book_from_state",
    "confirm_candidates",
    "exact_margin",
    "prices_from_state",
]

QUOTE_ATOMS_PER_POSITION = 4
VALUE_ATOMS_PER_CROSS_POSITION = 2
VALUE_ATOMS_PER_HOLDING = 2


class MarginAccountKey(NamedTuple):
    """Where a margin account lives in the ledger: ``market`` is None for a cross sub-account."""

    owner: str
    sub_account: int
    pool: str
    market: str | None


@dataclass(frozen=True, slots=True, eq=False)
class LedgerBook:
    """A float book and the ledger keys of its accounts, assets and markets (same order as the arrays)."""

    book: RiskBook
    accounts: tuple[MarginAccountKey, ...]
    assets: tuple[str, ...]
    markets: tuple[tuple[str, str], ...]
    """``(pool, market)`` of each market index."""

    def keys(self, indices: Iterable[int]) -> tuple[MarginAccountKey, ...]:
        """Return the ledger keys of the accounts at ``indices``."""
        return tuple(self.accounts[int(index)] for index in indices)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The exact verdict on a screen's candidates, each group in account order."""

    liquidatable: tuple[MarginAccountKey, ...]
    """Below maintenance in integers: a keeper's ``Liquidate`` would pass its check."""
    cleared: tuple[MarginAccountKey, ...]
    """Candidates the exact engine finds at or above maintenance (or whose position is gone)."""
    unpriced: tuple[MarginAccountKey, ...]
    """Candidates the engine cannot price now (``OracleUnavailable``)."""


class _Columns:
    """Row-by-row accumulators for the book's arrays (Python lists until the end)."""

    def __init__(self) -> None:
        self.position_account: list[int] = []
        self.position_market: list[int] = []
        self.size: list[float] = []
        self.open_notional: list[float] = []
        self.funding: list[float] = []
        self.isolated: list[bool] = []
        self.vault: list[float] = []
        self.holding_account: list[int] = []
        self.holding_asset: list[int] = []
        self.holding_amount: list[float] = []
        self.accounts: list[MarginAccountKey] = []
        self.allowance: list[float] = []
        self.cross_index: dict[AccountKey, int] = {}

    def add_account(self, key: MarginAccountKey) -> int:
        self.accounts.append(key)
        self.allowance.append(0.0)
        return len(self.accounts) - 1


def _check_flat(pool: PoolState, market_id: str) -> None:
    kind = pool.markets[market_id].params.margin_model.kind
    if kind is not MarginModelKind.FLAT:
        raise InvalidParameter(
            f"pools[{pool.pool}].markets[{market_id}].margin_model.kind",
            kind.value,
            f"{MarginModelKind.FLAT.value}: the bulk screen mirrors only the flat margin model, "
            f"not {kind.value}; screen this market with the exact engine",
        )


def book_from_state(state: LedgerState) -> LedgerBook:
    """Convert the state's positions, cross collateral and markets into a float book.

    Raises
    ------
    InvalidParameter
        If a market holding positions uses a margin model other than FLAT.
    """
    assets = tuple(state.assets)
    asset_index = {asset: i for i, asset in enumerate(assets)}
    markets = tuple((pool.pool, market_id) for pool in state.pools.values() for market_id in pool.markets)
    market_index = {key: i for i, key in enumerate(markets)}
    columns = _Columns()
    for pool in state.pools.values():
        for (key, market_id), position in pool.positions.items():
            _check_flat(pool, market_id)
            _add_position(state, pool, key, market_id, position, market_index[(pool.pool, market_id)], columns)
    for key, index in columns.cross_index.items():
        account = state.accounts.get(key)
        for asset, atoms in account.balances.items() if account is not None else ():
            if atoms == 0:
                continue
            params = state.assets[asset].params
            weight = params.maintenance_weight_wad if atoms > 0 else WAD
            columns.holding_account.append(index)
            columns.holding_asset.append(asset_index[asset])
            columns.holding_amount.append(atoms * weight / (10**params.decimals * WAD))
            columns.allowance[index] += VALUE_ATOMS_PER_HOLDING / 10**VALUE_DECIMALS
    book = _assemble(state, columns, markets, asset_index)
    return LedgerBook(book, tuple(columns.accounts), assets, markets)


def _add_position(
    state: LedgerState,
    pool: PoolState,
    key: AccountKey,
    market_id: str,
    position: Position,
    market: int,
    columns: _Columns,
) -> None:
    base_decimals = state.assets[pool.markets[market_id].params.base_asset].params.decimals
    quote_scale = 10 ** state.assets[pool.params.quote_asset].params.decimals
    isolated = position.mode is MarginMode.ISOLATED
    if isolated:
        account = columns.add_account(MarginAccountKey(key[0], key[1], pool.pool, market_id))
    elif key in columns.cross_index:
        account = columns.cross_index[key]
    else:
        account = columns.cross_index[key] = columns.add_account(MarginAccountKey(key[0], key[1], pool.pool, None))
    funding = funding_owed_atoms(position, pool.markets[market_id].funding_index_wad, base_decimals)
    columns.position_account.append(account)
    columns.position_market.append(market)
    columns.size.append(position.size_atoms / 10**base_decimals)
    columns.open_notional.append(position.open_notional_atoms / quote_scale)
    columns.funding.append(funding / quote_scale)
    columns.isolated.append(isolated)
    columns.vault.append(position.isolated_margin_atoms / quote_scale)
    allowance = QUOTE_ATOMS_PER_POSITION / quote_scale
    if not isolated:
        allowance += VALUE_ATOMS_PER_CROSS_POSITION / 10**VALUE_DECIMALS
    columns.allowance[account] += allowance


def _assemble(
    state: LedgerState, columns: _Columns, markets: tuple[tuple[str, str], ...], asset_index: dict[str, int]
) -> RiskBook:
    params = [state.pools[pool].markets[market].params for pool, market in markets]
    account = np.asarray(columns.position_account, dtype=np.intp)
    order = np.argsort(account, kind="stable")  # each account's terms contiguous: bincount walks memory in order

    def floats(values: list[float]) -> FloatArray:
        return np.asarray(values, dtype=np.float64)[order]

    is_isolated = np.zeros(len(columns.accounts), dtype=np.bool_)
    is_isolated[[i for i, key in enumerate(columns.accounts) if key.market is not None]] = True
    return RiskBook(
        position_account=account[order],
        position_market=np.asarray(columns.position_market, dtype=np.intp)[order],
        position_size=floats(columns.size),
        position_open_notional=floats(columns.open_notional),
        position_funding_owed=floats(columns.funding),
        position_isolated=np.asarray(columns.isolated, dtype=np.bool_)[order],
        position_isolated_margin=floats(columns.vault),
        holding_account=np.asarray(columns.holding_account, dtype=np.intp),
        holding_asset=np.asarray(columns.holding_asset, dtype=np.intp),
        holding_weighted_amount=np.asarray(columns.holding_amount, dtype=np.float64),
        market_base_asset=np.asarray([asset_index[p.base_asset] for p in params], dtype=np.intp),
        market_maintenance_rate=np.asarray([p.maintenance_margin_wad / WAD for p in params], dtype=np.float64),
        market_initial_rate=np.asarray([p.initial_margin_wad / WAD for p in params], dtype=np.float64),
        market_pnl_weight=np.asarray([p.pnl_weight_wad / WAD for p in params], dtype=np.float64),
        account_isolated=is_isolated,
        account_rounding_allowance=np.asarray(columns.allowance, dtype=np.float64),
        asset_count=len(asset_index),
    )


def prices_from_state(state: LedgerState, ledger_book: LedgerBook, now_ns: int) -> FloatArray:
    """Return each asset's accepted oracle price in value units (NaN where none is usable at ``now_ns``)."""
    prices = np.full(len(ledger_book.assets), np.nan)
    for index, asset in enumerate(ledger_book.assets):
        oracle = state.oracles.get(asset)
        if oracle is None or oracle.accepted_price_wad is None:
            continue
        status, _ = oracle_status(oracle, now_ns)
        if status is not OracleStatus.STALE:
            prices[index] = oracle.accepted_price_wad / WAD
    return prices


def exact_margin(state: LedgerState, key: MarginAccountKey, now_ns: int) -> MarginSnapshot | None:
    """Return a margin account's exact maintenance snapshot, as a keeper's ``Liquidate`` checks it.

    None when the isolated position no longer exists. Raises ``OracleUnavailable`` as the engine does.
    """
    account_key = (key.owner, key.sub_account)
    if key.market is None:
        return margin_snapshot(state, account_key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
    pool = state.pools[key.pool]
    position = pool.positions.get((account_key, key.market))
    if position is None:
        return None
    price = base_price_wad(state, pool.markets[key.market].params.base_asset, now_ns, allow_guarded=True)
    return isolated_margin(state, pool, key.market, position, MarginKind.MAINTENANCE, price)


def confirm_candidates(state: LedgerState, ledger_book: LedgerBook, result: ScreenResult, now_ns: int) -> Confirmation:
    """Re-check every candidate of ``result`` (certain, in the band, unpriced) in integers.

    ``state`` is the one the book was built from, at the prices the screen used (a later state
    whose positions changed may report a closed position as cleared).

    Returns
    -------
    Confirmation
        The candidates below maintenance (the exact liquidatable set, given that every account
        the screen called healthy is healthy), those cleared and those the engine cannot price.
    """
    liquidatable: list[MarginAccountKey] = []
    cleared: list[MarginAccountKey] = []
    unpriced: list[MarginAccountKey] = []
    for key in ledger_book.keys(result.candidates()):
        try:
            snapshot = exact_margin(state, key, now_ns)
        except OracleUnavailable:
            unpriced.append(key)
            continue
        if snapshot is not None and not snapshot.is_healthy:
            liquidatable.append(key)
        else:
            cleared.append(key)
    return Confirmation(tuple(liquidatable), tuple(cleared), tuple(unpriced))


def _exact_margin_units(state: LedgerState, key: MarginAccountKey, snapshot: MarginSnapshot) -> float:
    """Return ``equity − requirement`` in value units (a quote-denominated snapshot counts at par)."""
    decimals = VALUE_DECIMALS
    if snapshot.denomination is Denomination.QUOTE:
        decimals = state.assets[state.pools[key.pool].params.quote_asset].params.decimals
    return float((snapshot.equity_atoms - snapshot.requirement_atoms) / 10**decimals)


def audit_screen(state: LedgerState, ledger_book: LedgerBook, result: ScreenResult, now_ns: int) -> tuple[int, ...]:
    """Return the accounts where the screen and the exact engine disagree (the differential check).

    Every account is re-checked in integers (a full exact pass: for tests, audits and benchmarks,
    not for the hot path). An account disagrees when the screen called it ``HEALTHY`` and it is
    below maintenance, ``LIQUIDATABLE`` and it is not, or when its ``equity − requirement`` is
    further from the exact figure than its declared tolerance. Accounts the engine cannot price
    are skipped; a screen that left them priced is not contradicted by a missing price.
    """
    disagreeing: list[int] = []
    for index, key in enumerate(ledger_book.accounts):
        try:
            snapshot = exact_margin(state, key, now_ns)
        except OracleUnavailable:
            continue
        if snapshot is None:
            continue
        status = int(result.status[index])
        if status == ScreenStatus.UNPRICED:
            disagreeing.append(index)
            continue
        healthy = snapshot.is_healthy
        margin = float(result.equity[index] - result.requirement[index])
        if (
            (status == ScreenStatus.HEALTHY and not healthy)
            or (status == ScreenStatus.LIQUIDATABLE and healthy)
            or abs(margin - _exact_margin_units(state, key, snapshot)) > result.tolerance[index]
        ):
            disagreeing.append(index)
    return tuple(disagreeing)
