"""What a pool owes its accounts, and what it holds to pay them (docs/solvency-proofs.md, "Liabilities").

Everything is counted in the pool's quote asset, in atoms, at the oracle prices, funding
indices and volatility smiles as of ``now_ns`` (the latest time the journal records), and every
rounding goes **against the venue** (the prover): a liability rounds up, an asset rounds down.

An account (``owner/sub_account``) with anything in the pool owes or is owed three claims,
each floored at zero on its own (a deficit in one never reduces another, since the venue
could not net them without the account's consent):

- **isolated**: per isolated perpetual position, ``margin + PnL − funding owed``, floored at
  zero per position (an isolated position's loss can consume only its own vault, SPEC §2.2);
  the PnL ``size · price − open_notional`` rounded up, the funding owed rounded down; and per
  isolated series position (option or dated future), ``margin + value``, floored at zero per
  position, the value being the core's own, the one the LP NAV nets: an option ``size · mark``
  (Black-76 on the pool's smile; a long's positive, a short's negative), a dated future
  ``size · index − open value``, rounded up;
- **cross**: the sub-account's cross positions in the pool together, ``Σ (PnL − funding
  owed) + Σ series value``, the same roundings, floored at zero. Its collateral stays in the
  sub-account, not in the pool's custody, so it is no liability of the pool;
- **LP**: ``shares · NAV / total_shares``, rounded up, with NAV the high bound of
  :func:`ringfence.core.pool.decide.pool_nav_atoms` (the bound LP shares are minted at, net of
  the series the vault wrote at the same marks), floored at zero.

The pool holds, in its quote asset: the LP vault's cash, the insurance fund and the isolated
positions' margin vaults (perpetual and series), each floored at zero; plus what cross
sub-accounts bound to the pool owe it on their open positions (perpetual and series), counted
only up to each one's own quote balance (the pool can settle it without selling collateral);
minus any negative quote balance of such a sub-account (a realised loss the vault already
counts as cash but never received). Protocol fees (the venue's own money, withdrawable at
will) and collateral lots of live auctions (not in the quote asset) are not counted.

Series. A settled series holds no position (``SettleSeries`` pays or collects every one and
removes it: what it paid is in the holders' balances or the vault, counted there once); an
expired series not yet settled is valued as the core values it, at its intrinsic value on the
index (Black-76 at ``τ = 0``). An open option series with a position is valued only on a smile
no older than its ``surface_max_age_ns``, the age the core accepts for new risk: an older one
refuses the book with :class:`~ringfence.core.errors.VolSurfaceUnavailable`, as a stale oracle
price refuses it with :class:`~ringfence.core.errors.OracleUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.decide import accrue_funding, pool_nav_atoms
from ringfence.core.pool.perp_math import funding_owed_atoms, unrealised_pnl_atoms
from ringfence.core.pool.series_margin import series_position_terms, usable_surface
from ringfence.core.pool.series_state import SeriesPosition, SeriesState
from ringfence.core.pool.state import MarginMode, PoolState, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import Rounding, mul_div

__all__ = ["AccountLiability", "PoolAssets", "PoolBook", "account_id", "pool_book"]


def account_id(key: AccountKey) -> str:
    """Return the account's id in proofs: ``owner/sub_account`` (``alice/0``)."""
    return f"{key[0]}/{key[1]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountLiability:
    """One account's claims on a pool, in quote atoms (each ≥ 0, rounded up)."""

    account: str
    isolated_atoms: int
    cross_atoms: int
    lp_atoms: int

    @property
    def total_atoms(self) -> int:
        """Return the account's leaf value: the sum of its three claims."""
        return self.isolated_atoms + self.cross_atoms + self.lp_atoms


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolAssets:
    """What the pool holds to pay its liabilities, in quote atoms (each rounded down)."""

    vault_atoms: int
    insurance_atoms: int
    isolated_margin_atoms: int
    cross_receivable_atoms: int
    cross_debt_atoms: int
    """Negative quote balances of bound cross sub-accounts: counted by the vault, never received."""

    @property
    def total_atoms(self) -> int:
        """Return the assets counted against the committed total."""
        return (
            self.vault_atoms
            + self.insurance_atoms
            + self.isolated_margin_atoms
            + self.cross_receivable_atoms
            - self.cross_debt_atoms
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolBook:
    """A pool's liabilities per account and its assets, as of ``as_of_ns``."""

    pool: str
    asset: str
    decimals: int
    as_of_ns: int
    prices_wad: dict[str, int]
    liabilities: tuple[AccountLiability, ...]
    """Ordered by account id."""
    assets: PoolAssets

    @property
    def total_liabilities_atoms(self) -> int:
        """Return the sum of every account's leaf value."""
        return sum(item.total_atoms for item in self.liabilities)


@dataclass(slots=True)
class _Claims:
    isolated_atoms: int = 0
    cross_net_atoms: int = 0
    """Signed: the cross positions' PnL less funding owed, and their series' values, before the floor."""
    lp_atoms: int = 0


class _Marks:
    """The prices and funding indices of a pool's markets as of ``now_ns``."""

    def __init__(self, state: LedgerState, pool: PoolState, now_ns: int) -> None:
        self.quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        self.prices_wad: dict[str, int] = {}
        self.base_decimals: dict[str, int] = {}
        self.index_wad: dict[str, int] = {}
        for market_id, market in pool.markets.items():
            base = market.params.base_asset
            self.prices_wad[base] = base_price_wad(state, base, now_ns, allow_guarded=True)
            self.base_decimals[base] = state.assets[base].params.decimals
            pending = accrue_funding(state, pool, market_id, now_ns)
            self.index_wad[market_id] = market.funding_index_wad + (pending.index_delta_wad if pending else 0)
        for series_id in sorted({series_id for _, series_id in pool.series_positions}):
            underlying = pool.series[series_id].params.underlying
            self.prices_wad[underlying] = base_price_wad(state, underlying, now_ns, allow_guarded=True)

    def net_claim_atoms(self, pool: PoolState, market_id: str, position: Position) -> int:
        """Return ``PnL − funding owed`` rounded for the holder: PnL up, funding owed down."""
        base = pool.markets[market_id].params.base_asset
        pnl = unrealised_pnl_atoms(
            position, self.prices_wad[base], self.base_decimals[base], self.quote_decimals, Rounding.UP
        )
        owed = funding_owed_atoms(position, self.index_wad[market_id], self.base_decimals[base], Rounding.DOWN)
        return pnl - owed


def _position_claims(pool: PoolState, marks: _Marks) -> dict[AccountKey, _Claims]:
    claims: dict[AccountKey, _Claims] = {}
    for (key, market_id), position in pool.positions.items():
        entry = claims.setdefault(key, _Claims())
        net = marks.net_claim_atoms(pool, market_id, position)
        if position.mode is MarginMode.ISOLATED:
            entry.isolated_atoms += max(position.isolated_margin_atoms + net, 0)
        else:
            entry.cross_net_atoms += net
    return claims


def _check_smiles(pool: PoolState, now_ns: int) -> None:
    """Refuse an open option series with a position whose smile is older than the core accepts for new risk.

    Raises
    ------
    VolSurfaceUnavailable
        Named after the series' underlying and expiry (the module docstring says why).
    """
    for series_id in sorted({series_id for _, series_id in pool.series_positions}):
        params = pool.series[series_id].params
        if now_ns < params.expiry_ns:
            usable_surface(pool, params, now_ns, for_new_risk=True)


def _series_value_up(
    state: LedgerState, pool: PoolState, series: SeriesState, position: SeriesPosition, now_ns: int
) -> int:
    """Return the position's value at the core's mark, in quote atoms, rounded up (the holder's claim).

    The core's value (:func:`~ringfence.core.pool.series_margin.series_position_terms` at
    maintenance, the one the LP NAV nets) is floored; its ceiling is minus the floored value of
    the mirrored position (size and open value negated): ``⌈x⌉ = −⌊−x⌋``. An option's ``size ·
    mark`` and a future's ``size · index − open value`` are both odd in the position, so the
    formula stays the core's, with the rounding turned against the venue.
    """
    mirrored = SeriesPosition(-position.size_atoms, -position.open_value_atoms, position.mode)
    floored, _ = series_position_terms(
        state, pool, series, mirrored, MarginKind.MAINTENANCE, now_ns, allow_guarded=True
    )
    return -floored


def _series_claims(state: LedgerState, pool: PoolState, now_ns: int, claims: dict[AccountKey, _Claims]) -> None:
    for (key, series_id), position in pool.series_positions.items():
        entry = claims.setdefault(key, _Claims())
        value = _series_value_up(state, pool, pool.series[series_id], position, now_ns)
        if position.mode is MarginMode.ISOLATED:
            entry.isolated_atoms += max(position.isolated_margin_atoms + value, 0)
        else:
            entry.cross_net_atoms += value


def _lp_claims(state: LedgerState, pool: PoolState, now_ns: int, claims: dict[AccountKey, _Claims]) -> None:
    if not pool.lp_shares or pool.total_shares <= 0:
        return
    _, nav_high = pool_nav_atoms(state, pool, now_ns, allow_guarded=True)
    for key, shares in pool.lp_shares.items():
        claims.setdefault(key, _Claims()).lp_atoms = max(mul_div(shares, nav_high, pool.total_shares, Rounding.UP), 0)


def _cross_sides(state: LedgerState, pool: PoolState, claims: dict[AccountKey, _Claims]) -> tuple[int, int]:
    """Return ``(receivable, debt)`` of the sub-accounts bound to the pool (see the module docstring)."""
    receivable = debt = 0
    quote = pool.params.quote_asset
    for key, bound in state.cross_pool.items():
        if bound != pool.pool:
            continue
        account = state.accounts.get(key)
        balance = account.balances.get(quote, 0) if account is not None else 0
        debt += max(-balance, 0)
        owed_to_pool = -claims[key].cross_net_atoms if key in claims else 0
        receivable += min(max(owed_to_pool, 0), max(balance, 0))
    return receivable, debt


def _isolated_vaults_atoms(pool: PoolState) -> int:
    """Return the isolated positions' margin vaults, perpetual and series, each floored at zero."""
    perps = sum(max(p.isolated_margin_atoms, 0) for p in pool.positions.values() if p.mode is MarginMode.ISOLATED)
    series = sum(
        max(p.isolated_margin_atoms, 0) for p in pool.series_positions.values() if p.mode is MarginMode.ISOLATED
    )
    return perps + series


def pool_book(state: LedgerState, pool_id: str, now_ns: int) -> PoolBook:
    """Return pool ``pool_id``'s liabilities per account and its assets as of ``now_ns``.

    Raises
    ------
    KeyError
        If the pool does not exist (the caller checks first).
    OracleUnavailable
        If a market's base asset or a held series' underlying has no usable price (stale); a
        guarded price is used as the last accepted one, as the CLI's tables do.
    VolSurfaceUnavailable
        If an unexpired option series with a position has no smile, or one older than its
        ``surface_max_age_ns``.
    """
    pool = state.pools[pool_id]
    _check_smiles(pool, now_ns)
    marks = _Marks(state, pool, now_ns)
    claims = _position_claims(pool, marks)
    _series_claims(state, pool, now_ns, claims)
    _lp_claims(state, pool, now_ns, claims)
    receivable, debt = _cross_sides(state, pool, claims)
    liabilities = tuple(
        AccountLiability(
            account=account_id(key),
            isolated_atoms=entry.isolated_atoms,
            cross_atoms=max(entry.cross_net_atoms, 0),
            lp_atoms=entry.lp_atoms,
        )
        for key, entry in sorted(claims.items(), key=lambda item: account_id(item[0]))
    )
    assets = PoolAssets(
        vault_atoms=max(pool.vault_atoms, 0),
        insurance_atoms=max(pool.insurance_atoms, 0),
        isolated_margin_atoms=_isolated_vaults_atoms(pool),
        cross_receivable_atoms=receivable,
        cross_debt_atoms=debt,
    )
    quote = pool.params.quote_asset
    return PoolBook(
        pool=pool_id,
        asset=quote,
        decimals=state.assets[quote].params.decimals,
        as_of_ns=now_ns,
        prices_wad=dict(sorted(marks.prices_wad.items())),
        liabilities=liabilities,
        assets=assets,
    )
