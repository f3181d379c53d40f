"""One owner's positions across every pool and sub-account, read from the ledger for the risk models.

The unified view of an owner's isolated vaults (issue 14, item 4): every sub-account of the owner,
every position it holds in any pool, with the amounts the engine itself computes
(:func:`ringfence.core.pool.position_margin.position_terms`, the function the margin checks run):

- ``margin_atoms``: an isolated position's vault (0 for a cross position);
- ``maintenance_equity_atoms`` and ``maintenance_atoms``: its equity terms other than the vault
  (unrealised PnL, positive PnL at the market's weight, minus funding owed) and its maintenance
  requirement, at the oracle price;
- ``floor_atoms``: the least the vault may hold after a removal the venue would accept
  (:mod:`ringfence.core.pool.margin_adjust`: only the vault's cash, and the position still at
  initial margin with the initial-margin terms), capped at what it holds now: a vault below that
  floor can receive margin but give none. A reduce-only pool, or an oracle whose last move is held
  back by its jump guard (a removal needs a fresh price), refuses removals: the floor is the vault itself.

Floats appear only in :meth:`OwnerPosition.price` and friends (``/ 10**decimals``): the risk models'
inputs. Positions whose oracle has no usable price, and positions in a halted pool, are listed with
``movable = False`` and no price: the allocator leaves them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ringfence.core.errors import OracleUnavailable
from ringfence.core.margin import MarginKind, base_price_wad, quote_to_value_atoms
from ringfence.core.pool.position_margin import margin_snapshot, position_terms
from ringfence.core.pool.state import MarginMode, PoolState, PoolStatus, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import VALUE_DECIMALS, WAD

__all__ = ["OwnerBook", "OwnerPosition", "owner_book"]


@dataclass(frozen=True, slots=True)
class OwnerPosition:
    """One of the owner's positions, with the engine's own integer amounts (module docstring)."""

    sub_account: int
    pool: str
    market: str
    base_asset: str
    quote_asset: str
    mode: MarginMode
    size_atoms: int
    base_decimals: int
    quote_decimals: int
    price_wad: int | None
    """The oracle price it is marked at; None when no usable price (then nothing below is meaningful)."""
    margin_atoms: int
    maintenance_equity_atoms: int
    maintenance_atoms: int
    floor_atoms: int
    unit_surplus_value_atoms: int
    """Cross: its sub-account's maintenance equity minus requirement (value atoms); isolated: its vault's."""
    movable: bool
    """Whether the allocator may move margin into or out of it (isolated, priced, pool not halted)."""
    note: str = ""

    @property
    def price(self) -> float:
        """Return the price as a float (risk-model input)."""
        return 0.0 if self.price_wad is None else self.price_wad / WAD

    @property
    def size(self) -> float:
        """Return the signed size in base units (risk-model input)."""
        return float(self.size_atoms / 10**self.base_decimals)

    @property
    def maintenance_rate(self) -> float:
        """Return the maintenance requirement over the notional at the current price (flat: the market's rate)."""
        notional = abs(self.size) * self.price
        return 0.0 if notional == 0.0 else float(self.maintenance_atoms / 10**self.quote_decimals / notional)

    @property
    def equity(self) -> float:
        """Return the equity terms other than the vault, in quote units."""
        return float(self.maintenance_equity_atoms / 10**self.quote_decimals)

    @property
    def surplus(self) -> float:
        """Return the margin unit's maintenance surplus in quote units (a quote at par with the numeraire)."""
        return float(self.unit_surplus_value_atoms / 10**VALUE_DECIMALS)


@dataclass(frozen=True, slots=True)
class OwnerBook:
    """Everything the owner holds: sub-accounts with their balances, and positions in every pool."""

    owner: str
    balances: dict[int, dict[str, int]]
    """Per sub-account, its balances in atoms (zero balances omitted)."""
    positions: tuple[OwnerPosition, ...]
    decimals: dict[str, int]
    """Decimals of every asset the venue lists (to print balances)."""

    def has_cross(self, sub_account: int) -> bool:
        """Return whether the sub-account holds any cross position (its balance then backs it)."""
        return any(p.sub_account == sub_account and p.mode is MarginMode.CROSS for p in self.positions)


def _surplus(state: LedgerState, key: AccountKey, now_ns: int) -> int:
    snapshot = margin_snapshot(state, key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
    return snapshot.equity_atoms - snapshot.requirement_atoms


def _position(
    state: LedgerState, pool: PoolState, key: AccountKey, market_id: str, position: Position, now_ns: int
) -> OwnerPosition:
    params = pool.markets[market_id].params
    base_decimals = state.assets[params.base_asset].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    unpriced = OwnerPosition(
        sub_account=key[1],
        pool=pool.pool,
        market=market_id,
        base_asset=params.base_asset,
        quote_asset=pool.params.quote_asset,
        mode=position.mode,
        size_atoms=position.size_atoms,
        base_decimals=base_decimals,
        quote_decimals=quote_decimals,
        price_wad=None,
        margin_atoms=position.isolated_margin_atoms,
        maintenance_equity_atoms=0,
        maintenance_atoms=0,
        floor_atoms=position.isolated_margin_atoms,
        unit_surplus_value_atoms=0,
        movable=False,
    )
    try:
        price = base_price_wad(state, params.base_asset, now_ns, allow_guarded=True)
    except OracleUnavailable as error:
        return replace(unpriced, note=f"no price ({error.status})")
    equity, maintenance = position_terms(state, pool, market_id, position, MarginKind.MAINTENANCE, price, now_ns=now_ns)
    initial_equity, initial = position_terms(state, pool, market_id, position, MarginKind.INITIAL, price)
    vault = position.isolated_margin_atoms
    floor = min(vault, max(0, initial - initial_equity))
    note = ""
    try:
        base_price_wad(state, params.base_asset, now_ns)  # a removal needs a fresh price, not a guarded one
    except OracleUnavailable as error:
        floor, note = vault, f"{error.status} oracle: margin can be added, not removed"
    if pool.status is PoolStatus.REDUCE_ONLY:
        floor, note = vault, "reduce-only pool: margin can be added, not removed"
    isolated = position.mode is MarginMode.ISOLATED
    surplus_value = (
        quote_to_value_atoms(vault + equity - maintenance, quote_decimals) if isolated else _surplus(state, key, now_ns)
    )
    movable = isolated and pool.status is not PoolStatus.HALTED
    if pool.status is PoolStatus.HALTED:
        note = "halted pool: nothing moves"
    return replace(
        unpriced,
        price_wad=price,
        maintenance_equity_atoms=equity,
        maintenance_atoms=maintenance,
        floor_atoms=floor if isolated else 0,
        unit_surplus_value_atoms=surplus_value,
        movable=movable,
        note=note,
    )


def owner_book(state: LedgerState, owner: str, now_ns: int) -> OwnerBook:
    """Return every sub-account and position of ``owner`` as of ``now_ns`` (module docstring)."""
    balances = {
        key[1]: {asset: atoms for asset, atoms in account.balances.items() if atoms}
        for key, account in state.accounts.items()
        if key[0] == owner
    }
    positions = [
        _position(state, pool, key, market_id, position, now_ns)
        for pool in state.pools.values()
        for (key, market_id), position in pool.positions.items()
        if key[0] == owner and position.size_atoms != 0
    ]
    positions.sort(key=lambda p: (p.sub_account, p.pool, p.market))
    return OwnerBook(
        owner=owner,
        balances=dict(sorted(balances.items())),
        positions=tuple(positions),
        decimals={code: asset.params.decimals for code, asset in state.assets.items()},
    )
