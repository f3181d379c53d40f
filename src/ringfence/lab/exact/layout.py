"""Lay a scenario's venue out on one rung of the isolation ladder, as exact engine commands.

The float/int boundary of the exact stress engine: USD amounts become quote atoms (6 decimals),
prices and ratios WAD, sizes base atoms (18 decimals). Every conversion rounds toward zero:
the lab's inputs are statistics, and the engine then keeps every atom exact.

Decisions (``docs/stress-model.md``):
- one oracle source per asset (the lab already decided what the oracle reports), quorum 1, the
  jump guard at its widest (100x); the stable price follows the oracle unless the design asks for
  Mango v4's stable price (6% per hour delayed growth, 0.03% per second stable growth);
- fees go wholly to the LP vault; funding, spread and skew impact are off (the depth model
  prices liquidation flow instead);
- with ``[venue.dynamic_margin]`` every market carries its dynamic rule and ``lab-risk-model``
  holds the risk-model role (:mod:`ringfence.lab.dynamic_margins`);
- on the ``credit_lines`` rung each market has its own pool (as on ``isolated_pools``) and the
  scenario's ``venue.credit_lines`` are opened once the LPs have deposited (the core commits a
  line's cap out of the lender's cash, and LP capital arrives only once the venue is open, so a
  line cannot be opened in the genesis): the admin, holding the proposer and executor roles,
  proposes each line and executes it after that rung's timelock of 1 ns, the core's shortest (no
  other command of a lab run is timelocked); every other command of the run keeps its timestamp;
- the fixed liquidation penalty is capped at the lowest maintenance rate of the pool after the
  margin scale, because the engine refuses a penalty that would split a position below zero
  equity (``AddMarket``'s no-split guard, ``core/pool/liquidation_policy.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ringfence.core.commands import Command, ConfigureOracle, Deposit, OpenVenue, RegisterAsset, Sent
from ringfence.core.governance.commands import ConfigureGovernance, ExecuteProposal, GrantRole, ProposeVenueChange
from ringfence.core.governance.state import DEFAULT_SETTINGS, Role
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance, ProvideLiquidity
from ringfence.core.pool.credit_line_commands import OpenCreditLine
from ringfence.core.pool.liquidation_policy import NO_CAP, LiquidationPolicy
from ringfence.core.pool.series_commands import ListSeries
from ringfence.core.pool.series_state import SeriesParams
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from ringfence.core.units import WAD
from ringfence.lab.dynamic_margins import RISK_MODEL, dynamic_rule
from ringfence.lab.exact.option_listing import list_series, option_pool
from ringfence.lab.results import IsolationLevel
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import CreditLineDesign, MarketDesign, VenueDesign
from ringfence.lab.scenario_options import OptionMarketDesign
from ringfence.lab.vector.kernels import MAX_EXECUTION_GAP

__all__ = [
    "BASE_DECIMALS",
    "QUOTE",
    "QUOTE_DECIMALS",
    "QUOTE_UNIT",
    "SECOND_NS",
    "SOURCE",
    "START_NS",
    "VENUE_ADMIN",
    "CreditLineLayout",
    "Layout",
    "layout_venue",
    "option_market_label",
    "to_atoms",
    "to_wad",
]

QUOTE = "USD"
QUOTE_DECIMALS = 6
QUOTE_UNIT = 10**QUOTE_DECIMALS
BASE_DECIMALS = 18
SECOND_NS = 10**9
START_NS = 1_600_000_000 * SECOND_NS
SOURCE = "feed"
"""The lab oracle's one source, a feeder principal that sends every price."""
VENUE_ADMIN = "lab-admin"
"""The principal whose genesis sets each rung's venue up."""
SHARED_POOL = "shared"
INSURER = "insurer"
HOUR_S = 3_600


def to_wad(value: float) -> int:
    """Return a ratio or price as WAD, toward zero."""
    return int(value * WAD)


def to_atoms(usd: float, decimals: int = QUOTE_DECIMALS) -> int:
    """Return a float amount as atoms of ``decimals``, toward zero."""
    return int(usd * 10**decimals)


def option_market_label(asset: str) -> str:
    """Return the label of the option market on ``asset`` (its column among the markets' vault marks)."""
    return f"{asset}-OPTIONS"


def lp_owner(asset: str) -> str:
    """Return the LP whose home market trades ``asset``."""
    return f"lp-{asset}"


@dataclass(frozen=True, slots=True)
class CreditLineLayout:
    """One line of the credit-lines rung: its id and the indices in ``Layout.pools`` of its two pools."""

    line: str
    lender: int
    borrower: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each market lives and how traders hold their positions on one rung.

    ``market_pool[i]`` is the index in ``pools`` of market ``i``'s pool.
    """

    isolation: IsolationLevel
    pools: tuple[str, ...]
    markets: tuple[str, ...]
    assets: tuple[str, ...]
    market_pool: tuple[int, ...]
    registry: tuple[Command, ...]
    """The admin's genesis up to the prices: governance, assets and oracles (the runner then submits prices)."""
    setup: tuple[Sent, ...]
    """The genesis's pools, markets and ``OpenVenue`` (the admin's), then insurance and LP deposits (owners'),
    then, on the credit-lines rung, the lines' proposals and executions (the admin's)."""
    credit_lines: tuple[CreditLineLayout, ...] = ()
    option_markets: tuple[tuple[OptionMarketDesign, str, tuple[SeriesParams, ...]], ...] = ()
    """Per ``[[venue.options]]`` market: its design, the pool that writes it and its listed series."""

    @property
    def mode(self) -> MarginMode:
        """Isolated margin on the last rung, cross elsewhere."""
        return MarginMode.ISOLATED if self.isolation == "isolated_positions" else MarginMode.CROSS

    def sub_account(self, market: int) -> int:
        """Return the sub-account a trader uses for market ``market`` (one for all on the monolithic rung)."""
        return 0 if self.isolation == "monolithic" else market + 1

    def pool_of(self, market: int) -> str:
        """Return the pool that holds market ``market``."""
        return self.pools[self.market_pool[market]]


def _oracle(asset: str, scenario: Scenario, stable: bool) -> ConfigureOracle:
    staleness = scenario.oracle.staleness_seconds
    return ConfigureOracle(
        asset=asset,
        source_names=(SOURCE,),
        source_weights=(1,),
        quorum=1,
        max_staleness_ns=10**18 if staleness is None else staleness * SECOND_NS,
        max_deviation_wad=WAD,
        max_confidence_wad=WAD,
        max_jump_wad=100 * WAD,
        guard_release_ns=0,
        delay_interval_seconds=HOUR_S,
        delay_growth_limit_wad=WAD * 6 // 100 if stable else WAD,
        stable_growth_limit_wad=WAD * 3 // 10_000 if stable else WAD,
        timestamp_ns=START_NS,
    )


def _market_params(design: MarketDesign, margin_scale: float) -> MarketParams:
    cap = NO_LIMIT if design.open_interest_cap is None else to_atoms(design.open_interest_cap, BASE_DECIMALS)
    return MarketParams(
        market=f"{design.asset}-PERP",
        base_asset=design.asset,
        initial_margin_wad=min(to_wad(design.initial_margin * margin_scale), WAD),
        maintenance_margin_wad=min(to_wad(design.maintenance_margin * margin_scale), WAD - 1),
        spread_wad=0,
        taker_fee_wad=to_wad(design.taker_fee),
        skew_scale_atoms=10**36,
        max_funding_rate_per_day_wad=0,
        open_interest_cap_atoms=cap,
        pnl_weight_wad=to_wad(design.pnl_weight),
    )


def _pool_params(venue: VenueDesign, maintenance_wads: list[int]) -> PoolParams:
    pool = venue.pool
    lowest_maintenance = min(maintenance_wads)
    window_ns = pool.insurance_window_seconds * SECOND_NS
    return PoolParams(
        quote_asset=QUOTE,
        lp_fee_share_wad=WAD,
        insurance_fee_share_wad=0,
        reserve_factor_wad=to_wad(pool.reserve_factor),
        liquidation_penalty_wad=min(to_wad(pool.liquidation_penalty), lowest_maintenance),
        liquidator_share_wad=to_wad(pool.liquidator_share),
        insurance_draw_cap_atoms=NO_CAP if pool.insurance_draw_cap is None else to_atoms(pool.insurance_draw_cap),
        insurance_window_ns=window_ns,
        close_factor_wad=to_wad(pool.close_factor),
        nav_drawdown_limit_wad=WAD,
        liquidation=LiquidationPolicy(
            backstop_loss_cap_atoms=to_atoms(pool.backstop_loss_cap),
            auto_deleverage=pool.auto_deleverage,
            window_ns=window_ns,
            max_execution_gap_wad=to_wad(MAX_EXECUTION_GAP),
        ),
        oracle_jump_breaker_wad=to_wad(pool.oracle_jump_breaker),
    )


def _pools(isolation: IsolationLevel, assets: list[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if isolation in ("monolithic", "subaccounts"):
        return (SHARED_POOL,), tuple(0 for _ in assets)
    return tuple(f"pool-{asset}" for asset in assets), tuple(range(len(assets)))


CREDIT_TIMELOCK_NS = 1
"""The credit-lines rung's timelock: the core's shortest, so the lines open with the venue (module docstring)."""


def _open_credit_lines(
    lines: list[CreditLineDesign], assets: list[str], pools: tuple[str, ...]
) -> tuple[list[Sent], tuple[CreditLineLayout, ...]]:
    """Return the admin's commands opening ``lines`` (first proposal id 1) and where each line sits."""
    sent = [
        Sent(VENUE_ADMIN, GrantRole(VENUE_ADMIN, Role.PROPOSER, VENUE_ADMIN, START_NS)),
        Sent(VENUE_ADMIN, GrantRole(VENUE_ADMIN, Role.EXECUTOR, VENUE_ADMIN, START_NS)),
    ]
    placed = []
    for design in lines:
        lender, borrower = assets.index(design.lender), assets.index(design.borrower)
        line = f"{pools[lender]}-to-{pools[borrower]}"
        change = OpenCreditLine(
            line, pools[lender], pools[borrower], to_atoms(design.cap), to_wad(design.rate_per_year), START_NS
        )
        sent.append(Sent(VENUE_ADMIN, ProposeVenueChange(VENUE_ADMIN, change, START_NS)))
        placed.append(CreditLineLayout(line, lender, borrower))
    for proposal_id in range(1, len(lines) + 1):
        sent.append(Sent(VENUE_ADMIN, ExecuteProposal(VENUE_ADMIN, proposal_id, START_NS + CREDIT_TIMELOCK_NS)))
    return sent, tuple(placed)


def _option_markets(
    venue: VenueDesign, isolation: IsolationLevel, initial_prices: Mapping[str, float] | None
) -> tuple[tuple[OptionMarketDesign, str, tuple[SeriesParams, ...]], ...]:
    """Place each option market: its own pool on the isolated rungs, the shared pool otherwise."""
    if not venue.options:
        return ()
    if initial_prices is None:
        raise ValueError("option markets list their strikes from the initial prices: pass initial_prices")
    shared = isolation in ("monolithic", "subaccounts")
    return tuple(
        (
            design,
            SHARED_POOL if shared else option_pool(design.asset),
            list_series(design, initial_prices[design.asset], START_NS, BASE_DECIMALS),
        )
        for design in venue.options
    )


def layout_venue(
    scenario: Scenario,
    isolation: IsolationLevel,
    margin_scale: float,
    initial_prices: Mapping[str, float] | None = None,
) -> Layout:
    """Return the rung's layout and the commands that build it (prices are submitted by the runner).

    LP ``lp-<asset>`` deposits its market's LP capital into the pool holding that market; the
    insurer funds each pool with the insurance of its markets. Option markets (``venue.options``,
    :mod:`ringfence.lab.exact.options`) list their series in the genesis, strikes from
    ``initial_prices`` (the underlyings' first oracle prices), in their own pool
    (``options-<asset>``, after the markets' pools) on the isolated rungs and in the shared pool
    on the others; their LP ``lp-opt-<asset>`` deposits there, and the insurer funds their insurance.
    """
    venue = scenario.venue
    if venue is None:
        raise ValueError("a stress run needs a [venue] section")
    designs = list(venue.markets)
    assets = [design.asset for design in designs]
    pools, market_pool = _pools(isolation, assets)
    options = _option_markets(venue, isolation, initial_prices)
    pools = (*pools, *dict.fromkeys(pool for _, pool, _ in options if pool not in pools))
    params = [_market_params(design, margin_scale) for design in designs]
    settings = DEFAULT_SETTINGS
    credit = isolation == "credit_lines"
    timelock = CREDIT_TIMELOCK_NS if credit else settings.timelock_ns
    governance = ConfigureGovernance(VENUE_ADMIN, timelock, settings.grace_period_ns, settings.max_step_wad, START_NS)
    setup: list[Command] = [governance, RegisterAsset(QUOTE, QUOTE_DECIMALS, WAD, WAD, NO_LIMIT, NO_LIMIT, START_NS)]
    setup += [RegisterAsset(asset, BASE_DECIMALS, 0, 0, NO_LIMIT, NO_LIMIT, START_NS) for asset in assets]
    setup += [_oracle(asset, scenario, venue.stable_price) for asset in [QUOTE, *assets]]
    pool_setup: list[Sent] = []
    funding: list[Sent] = []
    for index, pool in enumerate(pools):
        members = [i for i, p in enumerate(market_pool) if p == index]
        written = [(design, listed) for design, home, listed in options if home == pool]
        # the penalty cap is the perpetuals' no-split guard; a pool of options alone has none
        maintenance = [params[i].maintenance_margin_wad for i in members] or [WAD]
        created = CreatePool(pool, "perp", 1, _pool_params(venue, maintenance), START_NS)
        pool_setup.append(Sent(VENUE_ADMIN, created))
        if venue.dynamic_margin is not None:
            penalty, step = created.params.liquidation_penalty_wad, scenario.horizon.step_seconds
            for i in members:
                rule = dynamic_rule(venue.dynamic_margin, params[i], penalty, step)
                params[i] = replace(params[i], dynamic_margin=rule)
        pool_setup += [Sent(VENUE_ADMIN, AddMarket(pool, params[i], START_NS)) for i in members]
        pool_setup += [
            Sent(VENUE_ADMIN, ListSeries(pool, series, START_NS)) for _, listed in written for series in listed
        ]
        insurance = sum(to_atoms(designs[i].insurance) for i in members)
        insurance += sum(to_atoms(design.insurance) for design, _ in written)
        if insurance:
            funding += [
                Sent(INSURER, Deposit(INSURER, index, QUOTE, insurance, START_NS)),
                Sent(INSURER, FundInsurance(INSURER, index, pool, insurance, START_NS)),
            ]
    pool_setup.append(Sent(VENUE_ADMIN, OpenVenue(VENUE_ADMIN, START_NS)))
    if venue.dynamic_margin is not None:
        pool_setup.append(Sent(VENUE_ADMIN, GrantRole(VENUE_ADMIN, Role.RISK_MODEL, RISK_MODEL, START_NS)))
    for i, design in enumerate(designs):
        amount = to_atoms(design.lp_capital)
        lp = lp_owner(design.asset)
        funding += [
            Sent(lp, Deposit(lp, 0, QUOTE, amount, START_NS)),
            Sent(lp, ProvideLiquidity(lp, 0, pools[market_pool[i]], amount, START_NS)),
        ]
    for option, pool, _ in options:
        amount, lp = to_atoms(option.lp_capital), f"lp-opt-{option.asset}"
        funding += [
            Sent(lp, Deposit(lp, 0, QUOTE, amount, START_NS)),
            Sent(lp, ProvideLiquidity(lp, 0, pool, amount, START_NS)),
        ]
    opening, lines = _open_credit_lines(venue.credit_lines, assets, pools) if credit else ([], ())
    return Layout(
        isolation,
        pools,
        tuple(p.market for p in params),
        tuple(assets),
        market_pool,
        tuple(setup),
        (*pool_setup, *funding, *opening),
        lines,
        options,
    )
