"""Dutch auctions of seized non-quote collateral inside a pool: configure, kick, take, redo.

A cross-margined sub-account whose realised losses left its quote balance negative (a debt
to the pool) may still hold other collateral, ETH say. Liquidation (``liquidate.py``) keeps
such a debt only up to what that collateral backs at maintenance; these commands sell the
collateral, with Maker's Clipper (``makerdao/dss`` ``src/clip.sol``, ``src/dog.sol``, curves in
``src/abaci.sol``) or Lyra v2 / Derive's two-phase auction (``derivexyz/v2-core``
``src/liquidation/DutchAuction.sol``). The formulas are the presets of
:mod:`ringfence.core.liquidation.auctions`; this module wires them to the ledger.

Rules (where the venues leave a choice, the choice made here):

- **Kick** (:class:`StartCollateralAuction`, Maker ``bark`` + ``kick``): permissionless, by a
  keeper other than the account. Accepted when the sub-account (1) holds no cross position in
  any pool (its positions are liquidated first, by ``Liquidate``), (2) owes the pool's quote
  asset (a negative balance) and (3) holds a positive balance of ``asset``, which is not the
  quote asset. No health test: with no position left a negative balance is a debt the venue
  never lent, collectible at once; "below maintenance with no positions left" implies (1)-(2).
  At most one live auction per sub-account, across pools, so a debt is never auctioned twice.
  The whole balance of ``asset`` is the lot; ``tab = debt + ⌈debt · chop⌉``; ``top = oracle ·
  buf``. The keeper earns ``tip + ⌊chip · tab⌋`` (Maker ``coin``), paid by the pool's insurance
  fund (Maker pays it from the vow) and capped at what the fund holds.
- **Which pool**: the pool whose trading produced the debt. A sub-account stays bound to its
  cross pool (``LedgerState.cross_pool``) while it owes that pool quote, after its last cross
  position closed; the keeper must name that pool, so a debt is settled, and any residual
  socialised, only where it arose.
- **Price**: Clipper curves ``clipper_price(curve, top, t)``; LYRA ``⌊oracle(now) · d(t)⌋``
  with Derive's discount schedule ``d``. ``t`` is whole seconds since kick or the last redo
  (floored: the price is the higher one, for the account). A Clipper auction needs a redo
  past ``tail`` or below ``cusp`` (``clip.sol`` ``status``); any auction whose price reached 0
  needs one too (so it can never be sold for nothing or stay stuck): for LYRA that is the end
  of the slow phase.
- **Take** (Maker ``take``): refused while a redo is due or when the price exceeds the taker's
  ``max_price_wad``; sized by ``clipper_take`` (pay at most the tab; never leave a tab below
  ``dust``). The taker's payment repays the account's debt first (credited to its quote
  balance, up to the auction's ``debt_atoms``); the rest, the penalty, goes to the insurance
  fund. The taker is not the indebted account (which repays by depositing quote); a taker with
  cross positions must stay healthy at initial margin afterwards.
- **End**: when the tab is raised the leftover lot returns to the account. When the lot is sold
  out with debt still owed and the account holds no other collateral and no cross position,
  that debt (at most what it still owes) is a shortfall: credited to its balance, taken from
  the LP vault and sent down the pool's waterfall (insurance, then socialised loss), so bad
  debt is explicit. Otherwise the debt stays on the account for a later auction.
- **Redo** (Maker ``redo``): only when needed; new ``top = oracle · buf`` and a new clock; the
  keeper earns ``tip + chip · tab`` unless the tab or the lot's oracle value is below dust,
  paid by the insurance fund, capped at its balance.

Amounts are the pool's quote atoms; the quote asset is at par with the numeraire (as in
:mod:`ringfence.core.pool.perp_math`). Live auctions read the pool's current parameters
(Maker reads ``calc``, ``tail`` and ``cusp`` at each take); the tab is fixed at kick.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import (
    CommandRejected,
    InsufficientBalance,
    InsufficientMargin,
    InvalidParameter,
    NotPortfolioMargined,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.liquidation.auctions import (
    ClipperParams,
    ClipperTake,
    ExponentialDecrease,
    LinearDecrease,
    LyraAuctionParams,
    PriceCurve,
    StairstepExponentialDecrease,
    clipper_keeper_incentive,
    clipper_redo_incentive,
    clipper_status,
    clipper_take,
    clipper_top,
    lyra_discount_percentage_wad,
)
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.auction_commands import (
    ConfigureAuctions,
    RedoCollateralAuction,
    StartCollateralAuction,
    TakeCollateral,
)
from ringfence.core.pool.auction_events import (
    AuctionsConfigured,
    CollateralAuctionEnded,
    CollateralAuctionRestarted,
    CollateralAuctionStarted,
    CollateralTaken,
)
from ringfence.core.pool.auction_state import AuctionCurve, AuctionParams, CollateralAuction
from ringfence.core.pool.decide import pool_of, quote_balance
from ringfence.core.pool.liquidate import waterfall
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import PoolState, PoolStatus
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import MAX_ATOMS, VALUE_DECIMALS, WAD, Rounding, mul_div
from ringfence.core.validation import check_account, check_amount, check_int, check_ratio

__all__ = [
    "AuctionQuote",
    "auction_quote",
    "decide_configure_auctions",
    "decide_redo_collateral_auction",
    "decide_start_collateral_auction",
    "decide_take_collateral",
]

NS_PER_SECOND = 1_000_000_000
MAX_SECONDS = 10**9
"""Longest duration accepted for an auction parameter (about 31 years)."""


# --- parameters ------------------------------------------------------------------------------


def _curve(params: AuctionParams) -> PriceCurve:
    if params.curve is AuctionCurve.LINEAR:
        return LinearDecrease(params.tau_seconds)
    if params.curve is AuctionCurve.STAIRSTEP:
        return StairstepExponentialDecrease(params.cut_wad, params.step_seconds)
    return ExponentialDecrease(params.cut_wad)


def _clipper(params: AuctionParams) -> ClipperParams:
    # A LYRA pool reads only tip and chip from these (keeper rewards); its price never uses a curve.
    curve = LinearDecrease(1) if params.curve is AuctionCurve.LYRA else _curve(params)
    return ClipperParams(params.buf_wad, params.tail_seconds, params.cusp_wad, params.chip_wad, params.tip_atoms, curve)


def _lyra(params: AuctionParams) -> LyraAuctionParams:
    return LyraAuctionParams(
        params.lyra_starting_mtm_wad, params.lyra_fast_cutoff_wad, params.lyra_fast_seconds, params.lyra_slow_seconds
    )


def _check_curve(params: AuctionParams) -> None:
    if params.curve is AuctionCurve.LINEAR:
        check_int("tau_seconds", params.tau_seconds, 1, MAX_SECONDS)
    elif params.curve is AuctionCurve.STAIRSTEP:
        check_ratio("cut_wad", params.cut_wad, 1, WAD)
        check_int("step_seconds", params.step_seconds, 1, MAX_SECONDS)
    elif params.curve is AuctionCurve.EXPONENTIAL:
        check_ratio("cut_wad", params.cut_wad, 1, WAD)
    else:
        check_int("lyra_fast_seconds", params.lyra_fast_seconds, 1, MAX_SECONDS)
        check_int("lyra_slow_seconds", params.lyra_slow_seconds, 1, MAX_SECONDS)
        _lyra(params)  # setAuctionParams' checks: 0 ≤ cutoff ≤ start ≤ 1


def decide_configure_auctions(state: LedgerState, command: ConfigureAuctions) -> list[Event]:
    """Validate a pool's auction parameters and store them."""
    pool = pool_of(state, command.pool)
    params = command.params
    check_ratio("chop_wad", params.chop_wad, 0, WAD)
    check_ratio("buf_wad", params.buf_wad, 1, 100 * WAD)
    check_int("tail_seconds", params.tail_seconds, 1, MAX_SECONDS)
    check_ratio("cusp_wad", params.cusp_wad, 0, WAD)
    check_ratio("chip_wad", params.chip_wad, 0, WAD)
    check_int("tip_atoms", params.tip_atoms, 0, MAX_ATOMS)
    check_int("dust_atoms", params.dust_atoms, 0, MAX_ATOMS)
    _check_curve(params)
    return [AuctionsConfigured(pool=pool.pool, params=params, timestamp_ns=command.timestamp_ns)]


# --- price -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuctionQuote:
    """An auction's price at a moment, and why it needs a redo (empty when it does not)."""

    price_wad: int
    elapsed_seconds: int
    redo_reason: str

    @property
    def needs_redo(self) -> bool:
        """Return whether the auction must be reset before anyone can take from it."""
        return bool(self.redo_reason)


def auction_quote(state: LedgerState, pool: PoolState, auction: CollateralAuction, now_ns: int) -> AuctionQuote:
    """Return the auction's price at ``now_ns`` and whether it needs a redo.

    Raises
    ------
    InvalidParameter
        If ``now_ns`` is before the auction's current run started.
    OracleUnavailable
        For a LYRA auction whose collateral has no usable price (its price is the oracle's).
    """
    params = _configured(pool)
    if now_ns < auction.started_ns:
        raise InvalidParameter("timestamp_ns", now_ns, f"a time at or after the auction's start {auction.started_ns}")
    elapsed = (now_ns - auction.started_ns) // NS_PER_SECOND
    if params.curve is AuctionCurve.LYRA:
        oracle = base_price_wad(state, auction.asset, now_ns, allow_guarded=True)
        price = mul_div(oracle, lyra_discount_percentage_wad(_lyra(params), elapsed), WAD, Rounding.DOWN)
        return AuctionQuote(price, elapsed, "" if price else f"its price reached 0 after {elapsed} s")
    status = clipper_status(_clipper(params), auction.top_wad, elapsed)
    reason = ""
    if elapsed > params.tail_seconds:
        reason = f"it is {elapsed} s old, past the tail of {params.tail_seconds} s"
    elif status.needs_redo:
        reason = f"its price {status.price_wad} fell below cusp {params.cusp_wad} of top {auction.top_wad}"
    elif status.price_wad == 0:
        reason = f"its price reached 0 after {elapsed} s"
    return AuctionQuote(status.price_wad, elapsed, reason)


# --- shared checks ---------------------------------------------------------------------------


def _label(key: AccountKey) -> str:
    return f"{key[0]}/{key[1]}"


def _open_pool(state: LedgerState, pool_id: str) -> PoolState:
    pool = pool_of(state, pool_id)
    if pool.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {pool.pool} is halted ({pool.status_reason}); governance must resume it")
    return pool


def _configured(pool: PoolState) -> AuctionParams:
    if pool.auction_params is None:
        raise CommandRejected(f"pool {pool.pool} runs no collateral auctions: send ConfigureAuctions for it first")
    return pool.auction_params


def _auction_of(pool: PoolState, auction_id: int) -> CollateralAuction:
    auction = pool.auctions.get(auction_id)
    if auction is None:
        raise UnknownEntity(f"auction of pool {pool.pool}", auction_id, tuple(str(i) for i in pool.auctions))
    return auction


def _check_no_live_auction(state: LedgerState, key: AccountKey) -> None:
    for pool in state.pools.values():
        for auction_id, auction in pool.auctions.items():
            if (auction.owner, auction.sub_account) == key:
                raise CommandRejected(
                    f"{_label(key)} already has auction {auction_id} running in pool {pool.pool}; "
                    "one auction per sub-account at a time"
                )


def _decimals(state: LedgerState, asset: str) -> int:
    return state.assets[asset].params.decimals


# --- kick ------------------------------------------------------------------------------------


def _check_kickable(state: LedgerState, pool: PoolState, command: StartCollateralAuction) -> tuple[int, int]:
    """Return ``(debt, lot)`` of an account that may be auctioned, or raise why it may not."""
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    # the keeper is another owner: ringfence.core.authority refused an owner kicking its own account
    check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    if key in state.portfolio_accounts:
        raise NotPortfolioMargined(
            _label(key),
            "have its collateral auctioned alone",
            "its portfolio is auctioned as a whole (StartPortfolioAuction)",
        )
    quote = pool.params.quote_asset
    if command.asset not in state.assets:
        raise UnknownEntity("asset", command.asset, tuple(state.assets))
    if command.asset == quote:
        raise InvalidParameter("asset", command.asset, f"a collateral asset other than the pool's quote asset {quote}")
    bound = state.cross_pool.get(key)
    if bound is not None and bound != pool.pool:
        raise InvalidParameter("pool", pool.pool, f"{bound}, the pool {_label(key)} is bound to and owes")
    if bound is not None and pool.has_cross_position(key):
        raise CommandRejected(
            f"{_label(key)} holds cross positions in pool {bound}; liquidate them before auctioning its collateral"
        )
    debt = -quote_balance(state, key, quote)
    if debt <= 0:
        raise CommandRejected(f"{_label(key)} owes no {quote} (balance {-debt}); only a debt can be auctioned")
    lot = quote_balance(state, key, command.asset)
    if lot <= 0:
        account = state.accounts.get(key)
        held = sorted(a for a, v in account.balances.items() if v > 0) if account is not None else []
        raise CommandRejected(
            f"{_label(key)} holds no {command.asset} to auction; it holds {', '.join(held) or 'no collateral'}"
        )
    _check_no_live_auction(state, key)
    return debt, lot


def decide_start_collateral_auction(state: LedgerState, command: StartCollateralAuction) -> list[Event]:
    """Seize an indebted sub-account's collateral of one asset into a new auction and pay the keeper."""
    pool = _open_pool(state, command.pool)
    params = _configured(pool)
    debt, lot = _check_kickable(state, pool, command)
    oracle = base_price_wad(state, command.asset, command.timestamp_ns, allow_guarded=True)
    top = clipper_top(oracle, params.buf_wad)
    tab = debt + mul_div(debt, params.chop_wad, WAD, Rounding.UP)
    incentive = min(clipper_keeper_incentive(_clipper(params), tab), pool.insurance_atoms)
    return [
        CollateralAuctionStarted(
            pool=pool.pool,
            auction_id=pool.next_auction_id,
            owner=command.owner,
            sub_account=command.sub_account,
            asset=command.asset,
            lot_atoms=lot,
            debt_atoms=debt,
            tab_atoms=tab,
            oracle_price_wad=oracle,
            top_wad=top,
            keeper_owner=command.keeper_owner,
            keeper_sub_account=command.keeper_sub_account,
            keeper_incentive_atoms=incentive,
            timestamp_ns=command.timestamp_ns,
        )
    ]


# --- take ------------------------------------------------------------------------------------


def _price_for_take(state: LedgerState, pool: PoolState, auction: CollateralAuction, command: TakeCollateral) -> int:
    quote = auction_quote(state, pool, auction, command.timestamp_ns)
    if quote.needs_redo:
        raise CommandRejected(
            f"auction {command.auction_id} of pool {pool.pool} needs a redo: {quote.redo_reason}; "
            "send RedoCollateralAuction first"
        )
    if quote.price_wad > command.max_price_wad:
        raise CommandRejected(
            f"auction {command.auction_id} sells at {quote.price_wad} (WAD), above max_price_wad "
            f"{command.max_price_wad}; accept at least that price or wait for it to fall"
        )
    return quote.price_wad


def _check_taker_can_pay(
    state: LedgerState, pool: PoolState, auction: CollateralAuction, taker: AccountKey, take: ClipperTake, now_ns: int
) -> None:
    quote = pool.params.quote_asset
    held = quote_balance(state, taker, quote)
    if held < take.owe_value:
        raise InsufficientBalance(_label(taker), quote, take.owe_value, max(held, 0))
    after = margin_snapshot(
        state, taker, MarginKind.INITIAL, now_ns, {quote: -take.owe_value, auction.asset: take.slice_atoms}
    )
    if not after.is_healthy:
        raise InsufficientMargin(_label(taker), after.equity_atoms, after.requirement_atoms)


def decide_take_collateral(state: LedgerState, command: TakeCollateral) -> list[Event]:
    """Sell part of an auction's lot at its current price; end the auction when it is done."""
    pool = _open_pool(state, command.pool)
    params = _configured(pool)
    auction = _auction_of(pool, command.auction_id)
    taker = check_account("taker_owner", command.taker_owner, "taker_sub_account", command.taker_sub_account)
    if taker == (auction.owner, auction.sub_account):
        raise InvalidParameter(
            "taker_owner", command.taker_owner, "a taker other than the indebted account (it repays by depositing)"
        )
    check_amount("max_amount_atoms", command.max_amount_atoms)
    check_amount("max_price_wad", command.max_price_wad)
    price = _price_for_take(state, pool, auction, command)
    # clipper_take counts value atoms (VALUE_DECIMALS); with the quote at par, shifting the
    # collateral's decimals by (VALUE_DECIMALS − quote decimals) makes them quote atoms, exactly.
    decimals = _decimals(state, auction.asset) + VALUE_DECIMALS - _decimals(state, pool.params.quote_asset)
    take = clipper_take(
        auction.tab_atoms, auction.lot_atoms, command.max_amount_atoms, price, decimals, params.dust_atoms
    )
    if take.slice_atoms == 0:
        raise CommandRejected(
            f"a take of auction {command.auction_id} at {price} (WAD) would pay {take.owe_value} quote atoms "
            "for no collateral; the remaining tab is too small to buy one atom"
        )
    _check_taker_can_pay(state, pool, auction, taker, take, command.timestamp_ns)
    repaid = min(take.owe_value, auction.debt_atoms)
    events: list[Event] = [
        CollateralTaken(
            pool=pool.pool,
            auction_id=command.auction_id,
            taker_owner=command.taker_owner,
            taker_sub_account=command.taker_sub_account,
            price_wad=price,
            slice_atoms=take.slice_atoms,
            paid_atoms=take.owe_value,
            debt_repaid_atoms=repaid,
            penalty_atoms=take.owe_value - repaid,
            timestamp_ns=command.timestamp_ns,
        )
    ]
    if take.is_finished:
        events.extend(_end(state, pool, command, auction, take, repaid))
    return events


def _still_backed(state: LedgerState, key: AccountKey, quote: str) -> bool:
    """Return whether the account still has cross positions or collateral other than quote."""
    bound = state.cross_pool.get(key)
    if bound is not None and state.pools[bound].has_cross_position(key):
        return True
    account = state.accounts.get(key)
    return account is not None and any(amount > 0 for asset, amount in account.balances.items() if asset != quote)


def _end(
    state: LedgerState,
    pool: PoolState,
    command: TakeCollateral,
    auction: CollateralAuction,
    take: ClipperTake,
    repaid: int,
) -> list[Event]:
    """Close an auction: return the leftover lot, or write the unraised debt off down the waterfall."""
    now_ns = command.timestamp_ns
    debt_after = auction.debt_atoms - repaid
    if take.tab_after_value == 0:
        return [
            CollateralAuctionEnded(
                pool=pool.pool,
                auction_id=command.auction_id,
                lot_returned_atoms=take.lot_after_atoms,
                shortfall_atoms=0,
                unsettled_debt_atoms=debt_after,
                timestamp_ns=now_ns,
            )
        ]
    key = (auction.owner, auction.sub_account)
    quote = pool.params.quote_asset
    owed = max(-(quote_balance(state, key, quote) + repaid), 0)
    shortfall = 0 if _still_backed(state, key, quote) else min(debt_after, owed)
    events: list[Event] = [
        CollateralAuctionEnded(
            pool=pool.pool,
            auction_id=command.auction_id,
            lot_returned_atoms=0,
            shortfall_atoms=shortfall,
            unsettled_debt_atoms=debt_after - shortfall,
            timestamp_ns=now_ns,
        )
    ]
    if shortfall:
        events.extend(waterfall(state, pool, shortfall, -shortfall, now_ns))
    return events


# --- redo ------------------------------------------------------------------------------------


def decide_redo_collateral_auction(state: LedgerState, command: RedoCollateralAuction) -> list[Event]:
    """Restart an auction that needs a reset at a fresh ``top`` and pay the keeper (Maker ``redo``)."""
    pool = _open_pool(state, command.pool)
    params = _configured(pool)
    auction = _auction_of(pool, command.auction_id)
    keeper = check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    if keeper == (auction.owner, auction.sub_account):
        raise InvalidParameter("keeper_owner", command.keeper_owner, "a keeper other than the indebted account")
    quote = auction_quote(state, pool, auction, command.timestamp_ns)
    if not quote.needs_redo:
        raise CommandRejected(
            f"auction {command.auction_id} of pool {pool.pool} does not need a redo: price {quote.price_wad} "
            f"after {quote.elapsed_seconds} s is within its tail and cusp"
        )
    oracle = base_price_wad(state, auction.asset, command.timestamp_ns, allow_guarded=True)
    top = clipper_top(oracle, params.buf_wad)
    quote_decimals = _decimals(state, pool.params.quote_asset)
    lot_value = signed_notional_atoms(auction.lot_atoms, oracle, _decimals(state, auction.asset), quote_decimals)
    due = clipper_redo_incentive(_clipper(params), auction.tab_atoms, lot_value, params.dust_atoms)
    return [
        CollateralAuctionRestarted(
            pool=pool.pool,
            auction_id=command.auction_id,
            oracle_price_wad=oracle,
            top_wad=top,
            keeper_owner=command.keeper_owner,
            keeper_sub_account=command.keeper_sub_account,
            keeper_incentive_atoms=min(due, pool.insurance_atoms),
            timestamp_ns=command.timestamp_ns,
        )
    ]
