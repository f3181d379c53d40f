"""Liquidating a portfolio-margined sub-account as a whole: the Derive portfolio auction, then the pools' waterfalls.

Derive (Lyra v2), ``derivexyz/v2-core`` ``src/liquidation/DutchAuction.sol`` (``startAuction``,
``bid``, ``_getMaxProportion``, ``checkCanTerminateAuction``, ``convertToInsolventAuction``,
``_getCurrentBidPrice``; the discount schedule of the current contract, ``_getDiscountPercentage``,
is :func:`ringfence.core.liquidation.auctions.lyra_discount_percentage_wad`). Rules, with the
choices made where the contract's setting differs:

- **Start** (:class:`StartPortfolioAuction`, permissionless, a keeper other than the owner):
  the portfolio is below maintenance margin (its grid requirement, at the oracle, guarded prices
  allowed). Its mark-to-market ``MtM`` (balances and unrealised PnL at the oracle, full weight,
  less funding owed) decides the kind: ``MtM > 0`` a **solvent** auction, else an **insolvent**
  one. A solvent auction whose price reached 0 (the schedule ran out, or ``MtM ≤ 0`` now) is
  turned insolvent by the same command (the contract's ``convertToInsolventAuction``).
- **Solvent bid** (:class:`BidPortfolio`): the bidder takes a share ``f`` of every position and
  every balance of the portfolio and pays ``⌊f · MtM · d(t)⌋`` (``d`` from 95% to 70% of MtM in
  15 minutes, then to 0 in 12 hours, Derive's published parameters by default). ``f`` is capped at
  ``f_max = deficit / (deficit + MtM · d(t))`` with ``deficit`` the account's initial-margin
  shortfall (``_getMaxProportion``: ``IM / (IM − bid)``), rounded up so a bid at the cap restores
  the account: a bidder cannot buy more of the portfolio than it takes to put it back at initial
  margin. The price is paid from the bidder's cash balance into the account's.
- **Insolvent bid**: the bidder takes ``f`` and is **paid** ``⌊f · deficit · min(t, T) / T⌋``
  (the contract's ``dv · steps``: the payment grows linearly from 0 to the initial-margin deficit
  measured at the start of the insolvent auction, ``T`` the rule's ``insolvent_auction_seconds``;
  continuous seconds here instead of keeper-incremented steps). The payment comes from the pools
  the portfolio held positions in at that start, split by their claims (each pool's net unrealised
  loss to the account, largest remainder to the largest claim; equal weights when no pool has a
  claim): each pool's LP vault pays its part, and the pool's **own waterfall** covers it
  (insurance fund → cover → backstop budget → loss socialised to its LPs → its credit lines,
  :func:`ringfence.core.pool.liquidate.waterfall`). Derive pays from its security module and
  socialises what that lacks on the cash asset; ringfence keeps every loss inside the pools the
  account traded in.
- **Transfer**: a position moves with its cost basis (``⌈basis · Δ / |size|⌉`` leaves the account,
  as a partial close removes it), so the bidder takes its unrealised PnL and no pool pays or
  receives anything but the funding each side owes to now (funding accrues first). A bidder whose
  position in one of the portfolio's markets is on the other side must close it first (netting
  would realise a profit against the pool in the middle of a liquidation). Balances move by
  ``f`` of each (toward zero, after the funding paid), a debt included.
- **Authority**: the bidder acts only with its own sub-account (the sender is ``bidder_owner``),
  never on its own portfolio, with a portfolio-margined sub-account (it takes positions in every
  pool the portfolio spans) that must stay at initial margin afterwards, with the price within
  its ``limit_atoms``.
- **End**: after each bid, and on :class:`EndPortfolioAuction` (anyone), the auction ends when the
  account is back above water (solvent: initial margin; insolvent: maintenance;
  ``checkCanTerminateAuction``) or holds nothing any more.

Isolation: a portfolio spans the pools it holds positions in; an insolvent auction's payment is
charged only to those pools, each up to what its waterfall allows; a pool the portfolio holds no
position in pays nothing and sees no event (``tests/property/test_portfolio_isolation.py``).
Limitation: an insolvent portfolio that holds no position any more (only collateral and a cash
debt) names no pool to charge: its auction is refused and the debt stays explicit on the account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ringfence.core.errors import InsufficientBalance, InsufficientMargin, NotPortfolioMargined
from ringfence.core.errors import PortfolioAuctionRefused as Refused
from ringfence.core.events import Event
from ringfence.core.liquidation.auctions import lyra_discount_percentage_wad, lyra_solvent_bid_value
from ringfence.core.liquidation.perpetual import value_to_quote_atoms
from ringfence.core.liquidation.portfolio import (
    elapsed_seconds,
    insolvent_payment_atoms,
    moved_basis_atoms,
    portfolio_share_atoms,
    solvent_price_atoms,
    solvent_share_cap_wad,
    split_by_weight,
)
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.decide import accrue_funding, quote_balance
from ringfence.core.pool.events import FundingAccrued
from ringfence.core.pool.liquidate import waterfall
from ringfence.core.pool.perp_math import funding_owed_atoms
from ringfence.core.pool.portfolio_margin import (
    PortfolioMargin,
    mark_to_market_value,
    pool_net_pnl_value,
    portfolio_margin,
    portfolio_positions,
    portfolio_rule_of,
    portfolio_series,
)
from ringfence.core.pool.series_state import SeriesPosition
from ringfence.core.pool.state import MarginMode, PoolState, Position
from ringfence.core.portfolio.commands import BidPortfolio, EndPortfolioAuction, StartPortfolioAuction
from ringfence.core.portfolio.events import (
    AuctionEndReason,
    PortfolioAuctionEnded,
    PortfolioAuctionStarted,
    PortfolioBid,
    PortfolioBidderCompensated,
    PortfolioCollateralTaken,
    PortfolioPositionTaken,
    PortfolioSeriesTaken,
)
from ringfence.core.portfolio.rule import PortfolioRule
from ringfence.core.portfolio.state import PortfolioAuction
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import MAX_ATOMS, WAD, Rounding
from ringfence.core.validation import check_account, check_int, check_ratio

__all__ = ["decide_bid_portfolio", "decide_end_portfolio_auction", "decide_start_portfolio_auction"]


def _label(key: AccountKey) -> str:
    return f"{key[0]}/{key[1]}"


def _cash_decimals(state: LedgerState, rule: PortfolioRule) -> int:
    return state.assets[rule.cash_asset].params.decimals


def _portfolio_key(state: LedgerState, owner: str, sub_account: int) -> AccountKey:
    key = check_account("owner", owner, "sub_account", sub_account)
    if key not in state.portfolio_accounts:
        raise NotPortfolioMargined(_label(key), "be auctioned as a portfolio", "it is cross or isolated: Liquidate it")
    return key


# --- start --------------------------------------------------------------------------------------


def _insolvent_start(
    state: LedgerState, command: StartPortfolioAuction, key: AccountKey, rule: PortfolioRule, mtm: int
) -> PortfolioAuctionStarted:
    now = command.timestamp_ns
    initial = portfolio_margin(state, key, MarginKind.INITIAL, now, allow_guarded=True)
    deficit_value = initial.requirement_value - initial.equity_value
    if deficit_value <= 0:
        raise Refused(_label(key), "it is back at initial margin: EndPortfolioAuction ends it")
    claims = pool_net_pnl_value(state, key, now)
    if not claims:
        raise Refused(
            _label(key),
            "it holds no position, so no pool's waterfall can be charged; its debt stays explicit on the account",
        )
    pools = tuple(claims)
    weights = tuple(max(-claims[pool], 0) for pool in pools)
    if not any(weights):
        weights = tuple(1 for _ in pools)
    maintenance = portfolio_margin(state, key, MarginKind.MAINTENANCE, now, allow_guarded=True)
    return PortfolioAuctionStarted(
        owner=command.owner,
        sub_account=command.sub_account,
        keeper_owner=command.keeper_owner,
        keeper_sub_account=command.keeper_sub_account,
        insolvent=True,
        mark_to_market_value=mtm,
        maintenance_equity_value=maintenance.equity_value,
        maintenance_requirement_value=maintenance.requirement_value,
        deficit_atoms=value_to_quote_atoms(deficit_value, _cash_decimals(state, rule), Rounding.DOWN),
        pools=pools,
        pool_weights_value=weights,
        timestamp_ns=now,
    )


def decide_start_portfolio_auction(state: LedgerState, command: StartPortfolioAuction) -> list[Event]:
    """Start the auction of a portfolio below maintenance, or turn a spent solvent one insolvent (module docstring)."""
    rule = portfolio_rule_of(state)
    key = _portfolio_key(state, command.owner, command.sub_account)
    check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    now = command.timestamp_ns
    live = state.portfolio_auctions.get(key)
    mtm = mark_to_market_value(state, key, now)
    if live is None:
        maintenance = portfolio_margin(state, key, MarginKind.MAINTENANCE, now, allow_guarded=True)
        if maintenance.equity_value >= maintenance.requirement_value:
            raise Refused(
                _label(key),
                f"not below maintenance: equity {maintenance.equity_value} covers its requirement "
                f"{maintenance.requirement_value} (value atoms)",
            )
        if mtm > 0:
            return [_solvent_start(command, maintenance, mtm)]
        return [_insolvent_start(state, command, key, rule, mtm)]
    if live.insolvent:
        raise Refused(_label(key), "its auction is already insolvent")
    discount = lyra_discount_percentage_wad(rule.auction, elapsed_seconds(live.started_ns, now))
    if discount > 0 and mtm > 0:
        raise Refused(
            _label(key),
            f"its solvent auction runs at {discount} (WAD) of MtM {mtm}: it turns insolvent once its price reaches 0",
        )
    return [_insolvent_start(state, command, key, rule, mtm)]


def _solvent_start(command: StartPortfolioAuction, maintenance: PortfolioMargin, mtm: int) -> PortfolioAuctionStarted:
    return PortfolioAuctionStarted(
        owner=command.owner,
        sub_account=command.sub_account,
        keeper_owner=command.keeper_owner,
        keeper_sub_account=command.keeper_sub_account,
        insolvent=False,
        mark_to_market_value=mtm,
        maintenance_equity_value=maintenance.equity_value,
        maintenance_requirement_value=maintenance.requirement_value,
        deficit_atoms=0,
        pools=(),
        pool_weights_value=(),
        timestamp_ns=command.timestamp_ns,
    )


# --- bid ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Price:
    """A bid's share (WAD), discount (WAD; 0 when insolvent) and price (cash atoms; negative: paid to the bidder)."""

    share_wad: int
    discount_wad: int
    price_atoms: int


@dataclass(slots=True)
class _Transfer:
    """What a bid moves: the events, both sides' balance changes, their positions after, funding per pool."""

    events: list[Event]
    account_changes: dict[str, int]
    bidder_changes: dict[str, int]
    account_positions: dict[tuple[str, str], Position | None]
    bidder_positions: dict[tuple[str, str], Position | None]
    funding_into_pool: dict[str, int]
    account_series: dict[tuple[str, str], SeriesPosition | None] = field(default_factory=dict)
    bidder_series: dict[tuple[str, str], SeriesPosition | None] = field(default_factory=dict)


def _accruals(
    state: LedgerState, key: AccountKey, now_ns: int
) -> tuple[list[FundingAccrued], dict[tuple[str, str], int]]:
    """Return the funding accruals of every market the portfolio holds, and each market's index after them."""
    events: list[FundingAccrued] = []
    indices: dict[tuple[str, str], int] = {}
    for pool, market_id, _ in portfolio_positions(state, key):
        if (pool.pool, market_id) in indices:
            continue
        accrued = accrue_funding(state, pool, market_id, now_ns)
        if accrued is not None:
            events.append(accrued)
        indices[(pool.pool, market_id)] = pool.markets[market_id].funding_index_wad + (
            accrued.index_delta_wad if accrued else 0
        )
    return events, indices


def _price_bid(
    state: LedgerState,
    command: BidPortfolio,
    key: AccountKey,
    auction: PortfolioAuction,
    indices: Mapping[tuple[str, str], int],
) -> tuple[_Price, int]:
    """Return the bid's share and price, and the portfolio's mark-to-market (value atoms)."""
    rule = portfolio_rule_of(state)
    now = command.timestamp_ns
    elapsed = elapsed_seconds(auction.started_ns, now)
    mtm = mark_to_market_value(state, key, now, indices)
    if auction.insolvent:
        paid = insolvent_payment_atoms(
            auction.deficit_atoms, elapsed, rule.insolvent_auction_seconds, command.share_wad
        )
        return _Price(command.share_wad, 0, -paid), mtm
    initial = portfolio_margin(state, key, MarginKind.INITIAL, now, allow_guarded=True, funding_indices=indices)
    deficit = initial.requirement_value - initial.equity_value
    if deficit <= 0:
        raise Refused(_label(key), "it is back at initial margin: EndPortfolioAuction ends it")
    discount = lyra_discount_percentage_wad(rule.auction, elapsed)
    whole_bid = lyra_solvent_bid_value(rule.auction, max(mtm, 0), 0, elapsed)
    if discount == 0 or whole_bid <= 0:
        raise Refused(_label(key), "its price reached 0: StartPortfolioAuction turns it insolvent")
    share = min(command.share_wad, solvent_share_cap_wad(deficit, whole_bid))
    price_value = solvent_price_atoms(whole_bid, share)
    return _Price(share, discount, value_to_quote_atoms(price_value, _cash_decimals(state, rule), Rounding.DOWN)), mtm


def _move_event(
    key: AccountKey, pool: PoolState, market_id: str, delta: int, price: int, moved: Position, paid: int
) -> PortfolioPositionTaken:
    return PortfolioPositionTaken(
        owner=key[0],
        sub_account=key[1],
        pool=pool.pool,
        market=market_id,
        mode=MarginMode.PORTFOLIO,
        size_delta_atoms=delta,
        price_wad=price,
        new_size_atoms=moved.size_atoms,
        new_open_notional_atoms=moved.open_notional_atoms,
        funding_index_wad=moved.funding_index_wad,
        margin_released_atoms=0,
        funding_paid_atoms=paid,
        realised_pnl_atoms=0,
    )


def _transfer_positions(
    state: LedgerState,
    command: BidPortfolio,
    keys: tuple[AccountKey, AccountKey],
    share_wad: int,
    indices: Mapping[tuple[str, str], int],
) -> _Transfer:
    """Move ``share_wad`` of each position with its cost basis (module docstring), both sides paying funding to now."""
    key, bidder = keys
    rule = portfolio_rule_of(state)
    moved = _Transfer([], {}, {}, {}, {}, {})
    cash = rule.cash_asset
    for pool, market_id, position in portfolio_positions(state, key):
        index = indices[(pool.pool, market_id)]
        base = pool.markets[market_id].params.base_asset
        base_decimals = state.assets[base].params.decimals
        price = base_price_wad(state, base, command.timestamp_ns, allow_guarded=True)
        delta = portfolio_share_atoms(position.size_atoms, share_wad)
        if delta == 0:
            continue
        paid = funding_owed_atoms(position, index, base_decimals)
        moved.account_changes[cash] = moved.account_changes.get(cash, 0) - paid
        moved.funding_into_pool[pool.pool] = moved.funding_into_pool.get(pool.pool, 0) + paid
        basis = moved_basis_atoms(position.open_notional_atoms, delta, position.size_atoms)
        left = Position(position.size_atoms - delta, position.open_notional_atoms - basis, index, MarginMode.PORTFOLIO)
        moved.account_positions[(pool.pool, market_id)] = left if left.size_atoms else None
        moved.events.append(_move_event(key, pool, market_id, -delta, price, left, paid))
        held = pool.positions.get((bidder, market_id))
        if held is not None and (held.size_atoms > 0) != (delta > 0):
            raise Refused(
                _label(key),
                f"the bidder holds the other side of {pool.pool}/{market_id}: close it before taking this portfolio",
            )
        bidder_paid = funding_owed_atoms(held, index, base_decimals) if held is not None else 0
        size = (held.size_atoms if held else 0) + delta
        taken = Position(size, (held.open_notional_atoms if held else 0) + basis, index, MarginMode.PORTFOLIO)
        moved.bidder_changes[cash] = moved.bidder_changes.get(cash, 0) - bidder_paid
        moved.funding_into_pool[pool.pool] += bidder_paid
        moved.bidder_positions[(pool.pool, market_id)] = taken
        moved.events.append(_move_event(bidder, pool, market_id, delta, price, taken, bidder_paid))
    return moved


def _transfer_series(
    state: LedgerState, command: BidPortfolio, keys: tuple[AccountKey, AccountKey], share_wad: int, moved: _Transfer
) -> None:
    """Move ``share_wad`` of each option and dated-future position with its premium or notional basis."""
    key, bidder = keys
    for pool, series_id, position in portfolio_series(state, key):
        delta = portfolio_share_atoms(position.size_atoms, share_wad)
        if delta == 0:
            continue
        basis = moved_basis_atoms(position.open_value_atoms, delta, position.size_atoms)
        held = pool.series_positions.get((bidder, series_id))
        if held is not None and held.size_atoms and (held.size_atoms > 0) != (delta > 0):
            raise Refused(
                _label(key),
                f"the bidder holds the other side of {pool.pool}/{series_id}: close it before taking this portfolio",
            )
        left = (position.size_atoms - delta, position.open_value_atoms - basis)
        taken = ((held.size_atoms if held else 0) + delta, (held.open_value_atoms if held else 0) + basis)
        for owner, (size, value), change in ((key, left, -delta), (bidder, taken, delta)):
            moved.events.append(
                PortfolioSeriesTaken(
                    owner=owner[0],
                    sub_account=owner[1],
                    pool=pool.pool,
                    series=series_id,
                    size_delta_atoms=change,
                    new_size_atoms=size,
                    new_open_value_atoms=value if size else 0,
                    timestamp_ns=command.timestamp_ns,
                )
            )
        moved.account_series[(pool.pool, series_id)] = SeriesPosition(*left, MarginMode.PORTFOLIO) if left[0] else None
        moved.bidder_series[(pool.pool, series_id)] = SeriesPosition(*taken, MarginMode.PORTFOLIO)


def _transfer_balances(
    state: LedgerState, command: BidPortfolio, keys: tuple[AccountKey, AccountKey], share_wad: int, moved: _Transfer
) -> None:
    """Move ``share_wad`` of each balance (after the funding paid) from the account to the bidder."""
    key, bidder = keys
    account = state.accounts.get(key)
    balances = dict(account.balances) if account is not None else {}
    for asset, change in moved.account_changes.items():
        balances[asset] = balances.get(asset, 0) + change
    for asset, amount in balances.items():
        taken = portfolio_share_atoms(amount, share_wad)
        if taken == 0:
            continue
        moved.account_changes[asset] = moved.account_changes.get(asset, 0) - taken
        moved.bidder_changes[asset] = moved.bidder_changes.get(asset, 0) + taken
        moved.events.append(
            PortfolioCollateralTaken(
                owner=key[0],
                sub_account=key[1],
                bidder_owner=bidder[0],
                bidder_sub_account=bidder[1],
                asset=asset,
                amount_atoms=taken,
                timestamp_ns=command.timestamp_ns,
            )
        )


def _check_bid_input(state: LedgerState, command: BidPortfolio) -> tuple[AccountKey, AccountKey, PortfolioAuction]:
    check_ratio("share_wad", command.share_wad, 1, WAD)
    check_int("limit_atoms", command.limit_atoms, -MAX_ATOMS, MAX_ATOMS)
    key = _portfolio_key(state, command.owner, command.sub_account)
    bidder = check_account("bidder_owner", command.bidder_owner, "bidder_sub_account", command.bidder_sub_account)
    auction = state.portfolio_auctions.get(key)
    if auction is None:
        raise Refused(_label(key), "no auction is live: StartPortfolioAuction starts one")
    if bidder not in state.portfolio_accounts:
        raise NotPortfolioMargined(
            _label(bidder),
            "bid for a portfolio",
            "a bidder takes positions in every pool the portfolio spans: enable portfolio margin on it first",
        )
    if bidder in state.portfolio_auctions:
        raise Refused(_label(bidder), "a sub-account under auction cannot bid")
    return key, bidder, auction


def _payments(
    state: LedgerState,
    command: BidPortfolio,
    keys: tuple[AccountKey, AccountKey],
    auction: PortfolioAuction,
    price: _Price,
    moved: _Transfer,
) -> None:
    """Add the price's flows: the bidder pays the account (solvent), or the pools pay the bidder (insolvent)."""
    key, bidder = keys
    cash = portfolio_rule_of(state).cash_asset
    if price.price_atoms >= 0:
        held = quote_balance(state, bidder, cash)
        if held < price.price_atoms:
            raise InsufficientBalance(_label(bidder), cash, price.price_atoms, max(held, 0))
        moved.bidder_changes[cash] = moved.bidder_changes.get(cash, 0) - price.price_atoms
        moved.account_changes[cash] = moved.account_changes.get(cash, 0) + price.price_atoms
        return
    paid = -price.price_atoms
    moved.bidder_changes[cash] = moved.bidder_changes.get(cash, 0) + paid
    for pool_id, part in zip(auction.pools, split_by_weight(paid, auction.pool_weights_value), strict=True):
        if part == 0:
            continue
        pool = state.pools[pool_id]
        moved.events.append(
            PortfolioBidderCompensated(
                pool=pool_id,
                owner=key[0],
                sub_account=key[1],
                bidder_owner=bidder[0],
                bidder_sub_account=bidder[1],
                amount_atoms=part,
                timestamp_ns=command.timestamp_ns,
            )
        )
        flow = moved.funding_into_pool.get(pool_id, 0) - part
        moved.events.extend(waterfall(state, pool, part, flow, command.timestamp_ns))


def _end_reason(
    state: LedgerState,
    key: AccountKey,
    auction: PortfolioAuction,
    moved: _Transfer,
    now_ns: int,
    indices: Mapping[tuple[str, str], int],
) -> AuctionEndReason | None:
    """Return why the auction ends once the bid applied (emptied, or back above water), or None."""
    account = state.accounts.get(key)
    balances = dict(account.balances) if account is not None else {}
    for asset, change in moved.account_changes.items():
        balances[asset] = balances.get(asset, 0) + change
    positions = portfolio_positions(state, key, moved.account_positions)
    series = portfolio_series(state, key, moved.account_series)
    if not positions and not series and not any(balances.values()):
        return AuctionEndReason.EMPTIED
    kind = MarginKind.MAINTENANCE if auction.insolvent else MarginKind.INITIAL
    after = portfolio_margin(
        state,
        key,
        kind,
        now_ns,
        moved.account_changes,
        moved.account_positions,
        allow_guarded=True,
        funding_indices=indices,
        series_overrides=moved.account_series,
    )
    return AuctionEndReason.RESTORED if after.equity_value >= after.requirement_value else None


def decide_bid_portfolio(state: LedgerState, command: BidPortfolio) -> list[Event]:
    """Take a share of an auctioned portfolio into the bidder's sub-account at the auction's price."""
    key, bidder, auction = _check_bid_input(state, command)
    now = command.timestamp_ns
    accruals, indices = _accruals(state, key, now)
    price, mtm = _price_bid(state, command, key, auction, indices)
    if price.price_atoms > command.limit_atoms:
        raise Refused(
            _label(key), f"its price {price.price_atoms} cash atoms is above the bid's limit {command.limit_atoms}"
        )
    moved = _transfer_positions(state, command, (key, bidder), price.share_wad, indices)
    _transfer_series(state, command, (key, bidder), price.share_wad, moved)
    _transfer_balances(state, command, (key, bidder), price.share_wad, moved)
    bid = PortfolioBid(
        owner=key[0],
        sub_account=key[1],
        bidder_owner=bidder[0],
        bidder_sub_account=bidder[1],
        requested_share_wad=command.share_wad,
        share_wad=price.share_wad,
        discount_wad=price.discount_wad,
        mark_to_market_value=mtm,
        price_atoms=price.price_atoms,
        cash_asset=portfolio_rule_of(state).cash_asset,
        timestamp_ns=now,
    )
    events: list[Event] = [*accruals, bid]
    _payments(state, command, (key, bidder), auction, price, moved)
    after = portfolio_margin(
        state,
        bidder,
        MarginKind.INITIAL,
        now,
        moved.bidder_changes,
        moved.bidder_positions,
        funding_indices=indices,
        series_overrides=moved.bidder_series,
    )
    if after.equity_value < after.requirement_value:
        raise InsufficientMargin(_label(bidder), after.equity_value, after.requirement_value)
    events.extend(moved.events)
    reason = _end_reason(state, key, auction, moved, now, indices)
    if reason is not None:
        events.append(PortfolioAuctionEnded(owner=key[0], sub_account=key[1], reason=reason, timestamp_ns=now))
    return events


# --- end ----------------------------------------------------------------------------------------


def decide_end_portfolio_auction(state: LedgerState, command: EndPortfolioAuction) -> list[Event]:
    """End a live auction whose account is back above water (solvent: initial margin; insolvent: maintenance)."""
    key = _portfolio_key(state, command.owner, command.sub_account)
    auction = state.portfolio_auctions.get(key)
    if auction is None:
        raise Refused(_label(key), "no auction is live")
    kind = MarginKind.MAINTENANCE if auction.insolvent else MarginKind.INITIAL
    margin = portfolio_margin(state, key, kind, command.timestamp_ns, allow_guarded=True)
    if margin.equity_value < margin.requirement_value:
        raise Refused(
            _label(key),
            f"still below {kind.value} margin: equity {margin.equity_value} < requirement {margin.requirement_value}",
        )
    return [
        PortfolioAuctionEnded(
            owner=command.owner,
            sub_account=command.sub_account,
            reason=AuctionEndReason.RESTORED,
            timestamp_ns=command.timestamp_ns,
        )
    ]
