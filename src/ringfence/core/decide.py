"""``decide(state, command, sender) -> events``: check the sender's authority, validate, record the effect.

``decide`` never mutates the state. It raises a rejection from
:mod:`ringfence.core.errors` (so a rejected command changes nothing), or returns the
events that :func:`ringfence.core.evolve.evolve` will apply. Authority comes first
(:func:`ringfence.core.authority.authorize`): a command from a principal without it is
refused before any other rule reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ringfence.core.authority import authorize
from ringfence.core.commands import (
    Command,
    ConfigureOracle,
    Deposit,
    OpenVenue,
    RegisterAsset,
    RegisterPrincipal,
    SubmitPrice,
    Transfer,
    Withdraw,
)
from ringfence.core.errors import (
    DuplicateEntity,
    InsufficientBalance,
    InsufficientMargin,
    InvalidParameter,
    RingfenceError,
    SupplyCapExceeded,
    UnknownEntity,
)
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
from ringfence.core.governance.access import governance_of
from ringfence.core.governance.commands import ExecuteProposal, ProposeVenueChange
from ringfence.core.governance.decide import (
    GOVERNANCE_DECIDERS,
    decide_governed_add_market,
    decide_governed_create_pool,
)
from ringfence.core.governance.events import VenueOpened
from ringfence.core.governance.proposals import decide_execute_proposal, decide_propose_venue_change
from ringfence.core.governance.state import VenueChangeCommand
from ringfence.core.margin import MarginKind
from ringfence.core.oracle import OracleStatus, SourceQuote, aggregate, relative_change_wad
from ringfence.core.pool.auction import (
    decide_configure_auctions,
    decide_redo_collateral_auction,
    decide_start_collateral_auction,
    decide_take_collateral,
)
from ringfence.core.pool.auction_commands import (
    ConfigureAuctions,
    RedoCollateralAuction,
    StartCollateralAuction,
    TakeCollateral,
)
from ringfence.core.pool.breakers import oracle_jump_breakers
from ringfence.core.pool.commands import (
    AddMarket,
    AdjustIsolatedMargin,
    CreatePool,
    FundInsurance,
    Liquidate,
    ProvideLiquidity,
    RemoveLiquidity,
    Trade,
)
from ringfence.core.pool.cover import (
    decide_accept_cover,
    decide_accrue_premium,
    decide_cancel_cover,
    decide_offer_cover,
    decide_withdraw_cover_offer,
)
from ringfence.core.pool.cover_commands import AcceptCover, AccruePremium, CancelCover, OfferCover, WithdrawCoverOffer
from ringfence.core.pool.credit_line_commands import (
    CloseCreditLine,
    LowerCreditLineCap,
    OpenCreditLine,
    RepayCreditLine,
)
from ringfence.core.pool.credit_line_decide import (
    decide_close_credit_line,
    decide_lower_credit_line_cap,
    decide_open_credit_line,
    decide_repay_credit_line,
)
from ringfence.core.pool.decide import (
    decide_fund_insurance,
    decide_provide_liquidity,
    decide_remove_liquidity,
    decide_trade,
)
from ringfence.core.pool.events import PoolHalted
from ringfence.core.pool.liquidate import decide_liquidate
from ringfence.core.pool.margin_adjust import decide_adjust_isolated_margin
from ringfence.core.pool.portfolio_accounts import (
    decide_configure_portfolio_margin,
    decide_disable_portfolio_margin,
    decide_enable_portfolio_margin,
)
from ringfence.core.pool.portfolio_auction import (
    decide_bid_portfolio,
    decide_end_portfolio_auction,
    decide_start_portfolio_auction,
)
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.series_commands import (
    AdjustSeriesMargin,
    LiquidateSeries,
    ListSeries,
    PublishVolSurface,
    SettleSeries,
    TradeSeries,
)
from ringfence.core.pool.series_decide import decide_list_series, decide_publish_vol_surface, decide_trade_series
from ringfence.core.pool.series_liquidate import decide_liquidate_series
from ringfence.core.pool.series_margin_adjust import decide_adjust_series_margin
from ringfence.core.pool.series_settle import decide_settle_series, settlement_window_accruals
from ringfence.core.portfolio.commands import (
    BidPortfolio,
    ConfigurePortfolioMargin,
    DisablePortfolioMargin,
    EnablePortfolioMargin,
    EndPortfolioAuction,
    StartPortfolioAuction,
)
from ringfence.core.state import AccountKey, AssetState, LedgerState, OracleState
from ringfence.core.units import MAX_ATOMS, MAX_DECIMALS, WAD
from ringfence.core.validation import check_account, check_amount, check_field_types, check_int, check_name, check_ratio

__all__ = ["decide"]


def _asset(state: LedgerState, asset: str) -> AssetState:
    found = state.assets.get(asset)
    if found is None:
        raise UnknownEntity("asset", asset, tuple(state.assets))
    return found


def _oracle(state: LedgerState, asset: str) -> OracleState:
    _asset(state, asset)
    found = state.oracles.get(asset)
    if found is None:
        raise UnknownEntity("oracle for asset", asset, tuple(state.oracles))
    return found


def _account_key(owner: str, sub_account: int) -> AccountKey:
    return check_account("owner", owner, "sub_account", sub_account)


def _label(key: AccountKey) -> str:
    return f"{key[0]}/{key[1]}"


def _decide_register_asset(state: LedgerState, command: RegisterAsset) -> list[Event]:
    check_name("asset", command.asset)
    check_int("decimals", command.decimals, 0, MAX_DECIMALS)
    check_ratio("maintenance_weight_wad", command.maintenance_weight_wad)
    check_ratio("initial_weight_wad", command.initial_weight_wad, 0, command.maintenance_weight_wad)
    check_int("supply_cap_atoms", command.supply_cap_atoms, 0, MAX_ATOMS)
    check_int("weight_scale_start_value", command.weight_scale_start_value, 0, MAX_ATOMS)
    if command.asset in state.assets:
        raise DuplicateEntity("asset", command.asset)
    return [
        AssetRegistered(
            asset=command.asset,
            decimals=command.decimals,
            initial_weight_wad=command.initial_weight_wad,
            maintenance_weight_wad=command.maintenance_weight_wad,
            supply_cap_atoms=command.supply_cap_atoms,
            weight_scale_start_value=command.weight_scale_start_value,
        )
    ]


def _decide_configure_oracle(state: LedgerState, command: ConfigureOracle) -> list[Event]:
    _asset(state, command.asset)
    names, weights = command.source_names, command.source_weights
    if not names or len(names) != len(weights) or len(set(names)) != len(names):
        raise InvalidParameter("source_names", names, "distinct names, one weight each")
    for name in names:
        check_name("source_names", name)
    for weight in weights:
        check_int("source_weights", weight, 1, 10**6)
    check_int("quorum", command.quorum, 1, len(names))
    check_int("max_staleness_ns", command.max_staleness_ns, 1, 10**18)
    check_int("guard_release_ns", command.guard_release_ns, 0, 10**18)
    check_int("delay_interval_seconds", command.delay_interval_seconds, 1, 10**7)
    for field in ("max_deviation_wad", "max_confidence_wad", "max_jump_wad"):
        check_int(field, getattr(command, field), 0, 100 * WAD)
    check_ratio("delay_growth_limit_wad", command.delay_growth_limit_wad)
    check_ratio("stable_growth_limit_wad", command.stable_growth_limit_wad)
    return [
        OracleConfigured(
            asset=command.asset,
            source_names=tuple(names),
            source_weights=tuple(weights),
            quorum=command.quorum,
            max_staleness_ns=command.max_staleness_ns,
            max_deviation_wad=command.max_deviation_wad,
            max_confidence_wad=command.max_confidence_wad,
            max_jump_wad=command.max_jump_wad,
            guard_release_ns=command.guard_release_ns,
            delay_interval_seconds=command.delay_interval_seconds,
            delay_growth_limit_wad=command.delay_growth_limit_wad,
            stable_growth_limit_wad=command.stable_growth_limit_wad,
        )
    ]


def _decide_submit_price(state: LedgerState, command: SubmitPrice) -> list[Event]:
    oracle = _oracle(state, command.asset)
    if command.source not in oracle.config.source_names():
        raise UnknownEntity("oracle source", command.source, oracle.config.source_names())
    check_amount("price_wad", command.price_wad)
    check_int("confidence_wad", command.confidence_wad, 0, MAX_ATOMS)
    previous = oracle.quotes.get(command.source)
    earliest = previous.published_ns + 1 if previous is not None else 0
    check_int("published_ns", command.published_ns, earliest, command.timestamp_ns)
    submitted = PriceSubmitted(
        asset=command.asset,
        source=command.source,
        price_wad=command.price_wad,
        confidence_wad=command.confidence_wad,
        published_ns=command.published_ns,
    )
    quotes = dict(oracle.quotes)
    quotes[command.source] = SourceQuote(command.price_wad, command.confidence_wad, command.published_ns)
    result = aggregate(oracle.config, quotes, command.timestamp_ns, oracle.accepted_price_wad)
    events: list[Event] = [submitted]
    if result.status is OracleStatus.FRESH and result.price_wad is not None:
        events.append(
            OraclePriceAccepted(
                asset=command.asset, price_wad=result.price_wad, accepted_ns=command.timestamp_ns, released_guard=False
            )
        )
    elif result.status is OracleStatus.GUARDED and result.price_wad is not None:
        events.extend(_guard_step(oracle, command, result.price_wad, result.reason))
    elif oracle.status is not OracleStatus.STALE or oracle.reason != result.reason:
        events.append(OracleDegraded(asset=command.asset, reason=result.reason, timestamp_ns=command.timestamp_ns))
    if any(isinstance(event, OraclePriceAccepted) for event in events):  # the last price held until now
        events[1:1] = settlement_window_accruals(state, command.asset, command.timestamp_ns)
    for event in events[1:]:
        if isinstance(event, OraclePriceAccepted | OracleGuardTripped):
            moved_to = event.price_wad if isinstance(event, OraclePriceAccepted) else event.refused_price_wad
            events.extend(oracle_jump_breakers(state, command.asset, moved_to, command.timestamp_ns))
            break
    return events


def _guard_step(oracle: OracleState, command: SubmitPrice, median_wad: int, reason: str) -> list[Event]:
    """Hold a jump back, or release it once a quorum confirmed the same level long enough.

    The release needs the median to stay within ``max_deviation`` of the level that tripped
    the guard; a median that wanders further restarts the confirmation period.
    """
    since, held = oracle.guarded_since_ns, oracle.guarded_price_wad
    confirmed = held is not None and relative_change_wad(median_wad, held) <= oracle.config.max_deviation_wad
    if since is not None and confirmed:
        if command.timestamp_ns - since >= oracle.config.guard_release_ns:
            return [
                OraclePriceAccepted(
                    asset=command.asset, price_wad=median_wad, accepted_ns=command.timestamp_ns, released_guard=True
                )
            ]
        return []
    return [
        OracleGuardTripped(
            asset=command.asset, refused_price_wad=median_wad, reason=reason, timestamp_ns=command.timestamp_ns
        )
    ]


def _decide_deposit(state: LedgerState, command: Deposit) -> list[Event]:
    _account_key(command.owner, command.sub_account)
    asset = _asset(state, command.asset)
    check_amount("amount_atoms", command.amount_atoms)
    cap = asset.params.supply_cap_atoms
    if asset.total_deposits_atoms + command.amount_atoms > cap:
        raise SupplyCapExceeded(command.asset, cap, asset.total_deposits_atoms, command.amount_atoms)
    return [
        CollateralDeposited(
            owner=command.owner, sub_account=command.sub_account, asset=command.asset, amount_atoms=command.amount_atoms
        )
    ]


def _check_can_release(state: LedgerState, key: AccountKey, asset: str, amount_atoms: int, now_ns: int) -> None:
    """Check ``key`` holds ``amount_atoms`` of ``asset`` and stays healthy at IM without it."""
    _asset(state, asset)
    check_amount("amount_atoms", amount_atoms)
    account = state.accounts.get(key)
    held = account.balances.get(asset, 0) if account is not None else 0
    if held < amount_atoms:
        raise InsufficientBalance(_label(key), asset, amount_atoms, held)
    after = margin_snapshot(state, key, MarginKind.INITIAL, now_ns, {asset: -amount_atoms})
    if not after.is_healthy:
        raise InsufficientMargin(_label(key), after.equity_atoms, after.requirement_atoms)


def _decide_withdraw(state: LedgerState, command: Withdraw) -> list[Event]:
    key = _account_key(command.owner, command.sub_account)
    _check_can_release(state, key, command.asset, command.amount_atoms, command.timestamp_ns)
    return [
        CollateralWithdrawn(
            owner=command.owner, sub_account=command.sub_account, asset=command.asset, amount_atoms=command.amount_atoms
        )
    ]


def _decide_transfer(state: LedgerState, command: Transfer) -> list[Event]:
    source = _account_key(command.owner, command.from_sub_account)
    _account_key(command.owner, command.to_sub_account)
    if command.from_sub_account == command.to_sub_account:
        raise InvalidParameter("to_sub_account", command.to_sub_account, "a sub-account other than the source")
    _check_can_release(state, source, command.asset, command.amount_atoms, command.timestamp_ns)
    return [
        CollateralTransferred(
            owner=command.owner,
            from_sub_account=command.from_sub_account,
            to_sub_account=command.to_sub_account,
            asset=command.asset,
            amount_atoms=command.amount_atoms,
        )
    ]


_PUBLIC_KEY_HEX_DIGITS = 64
"""An Ed25519 public key is 32 bytes (RFC 8032 §5.1.5)."""


def _decide_register_principal(state: LedgerState, command: RegisterPrincipal) -> list[Event]:
    key = command.public_key_hex
    if len(key) != _PUBLIC_KEY_HEX_DIGITS or any(digit not in "0123456789abcdef" for digit in key):
        raise InvalidParameter("public_key_hex", key, "an Ed25519 public key: 64 lowercase hex digits")
    if command.name in state.principals:
        raise DuplicateEntity("principal", command.name)
    return [PrincipalRegistered(name=command.name, public_key_hex=key, timestamp_ns=command.timestamp_ns)]


def _decide_open_venue(state: LedgerState, command: OpenVenue) -> list[Event]:
    governance_of(state)  # authorize checked the admin and that the genesis is still running
    return [VenueOpened(admin=command.admin, timestamp_ns=command.timestamp_ns)]


def _run_venue_change(state: LedgerState, change: VenueChangeCommand) -> list[Event]:
    """Decide a venue change (a proposal's, at proposal and at execution) with the genesis's own decider."""
    check_field_types(change)
    return _DECIDERS[type(change)](state, change)


def _contained(decider: Callable[[LedgerState, Any], list[Event]]) -> Callable[[LedgerState, Any], list[Event]]:
    """Wrap a pool command so a fault inside the pool halts that pool and nothing else.

    A :class:`RingfenceError` is a rejection and passes through. Any other exception is a
    bug inside the pool's code: instead of propagating (and stopping every pool), the
    command becomes a :class:`PoolHalted` event recording the cause (SPEC §2.5).
    """

    def run(state: LedgerState, command: Any) -> list[Event]:
        try:
            return decider(state, command)
        except RingfenceError:
            raise
        except Exception as error:  # containment is the point: any fault halts only its pool
            if command.pool not in state.pools:
                raise
            cause = f"{type(error).__name__}: {error}"
            return [
                PoolHalted(
                    pool=command.pool, command=type(command).__name__, cause=cause, timestamp_ns=command.timestamp_ns
                )
            ]

    return run


_DECIDERS: dict[type[Any], Callable[[LedgerState, Any], list[Event]]] = {
    RegisterPrincipal: _decide_register_principal,
    OpenVenue: _decide_open_venue,
    RegisterAsset: _decide_register_asset,
    ConfigureOracle: _decide_configure_oracle,
    SubmitPrice: _decide_submit_price,
    Deposit: _decide_deposit,
    Withdraw: _decide_withdraw,
    Transfer: _decide_transfer,
    CreatePool: decide_governed_create_pool,
    AddMarket: _contained(decide_governed_add_market),
    ProvideLiquidity: _contained(decide_provide_liquidity),
    RemoveLiquidity: _contained(decide_remove_liquidity),
    FundInsurance: _contained(decide_fund_insurance),
    Trade: _contained(decide_trade),
    Liquidate: _contained(decide_liquidate),
    AdjustIsolatedMargin: _contained(decide_adjust_isolated_margin),
    ConfigureAuctions: _contained(decide_configure_auctions),
    StartCollateralAuction: _contained(decide_start_collateral_auction),
    TakeCollateral: _contained(decide_take_collateral),
    RedoCollateralAuction: _contained(decide_redo_collateral_auction),
    OfferCover: _contained(decide_offer_cover),
    WithdrawCoverOffer: _contained(decide_withdraw_cover_offer),
    AcceptCover: _contained(decide_accept_cover),
    CancelCover: _contained(decide_cancel_cover),
    AccruePremium: _contained(decide_accrue_premium),
    ListSeries: _contained(decide_list_series),
    PublishVolSurface: _contained(decide_publish_vol_surface),
    TradeSeries: _contained(decide_trade_series),
    SettleSeries: _contained(decide_settle_series),
    LiquidateSeries: _contained(decide_liquidate_series),
    AdjustSeriesMargin: _contained(decide_adjust_series_margin),
    OpenCreditLine: decide_open_credit_line,
    RepayCreditLine: decide_repay_credit_line,
    LowerCreditLineCap: decide_lower_credit_line_cap,
    CloseCreditLine: decide_close_credit_line,
    ConfigurePortfolioMargin: decide_configure_portfolio_margin,
    EnablePortfolioMargin: decide_enable_portfolio_margin,
    DisablePortfolioMargin: decide_disable_portfolio_margin,
    StartPortfolioAuction: decide_start_portfolio_auction,
    BidPortfolio: decide_bid_portfolio,
    EndPortfolioAuction: decide_end_portfolio_auction,
    **GOVERNANCE_DECIDERS,
    ProposeVenueChange: partial(decide_propose_venue_change, run_change=_run_venue_change),
    ExecuteProposal: partial(decide_execute_proposal, run_change=_run_venue_change),
}


def decide(state: LedgerState, command: Command, sender: str) -> list[Event]:
    """Check ``sender`` may send ``command``, validate it against ``state``, and return its events.

    ``sender`` is the principal the adapter authenticated; it is never read from the command.

    Raises
    ------
    InvalidCommand
        The command is malformed (names what is wrong and what is accepted).
    Unauthorized
        The sender lacks the authority the command needs (:mod:`ringfence.core.authority`).
    CommandRejected
        A rule of the venue refuses it in this state.
    """
    decider = _DECIDERS.get(type(command))
    if decider is None:
        raise InvalidParameter("command", type(command).__name__, f"one of {', '.join(t.__name__ for t in _DECIDERS)}")
    check_field_types(command)
    check_int("timestamp_ns", command.timestamp_ns, 0, 2**63 - 1)
    authorize(state, command, sender)
    return decider(state, command)
