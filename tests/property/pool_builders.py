"""Builders for two-pool scenarios, used by ``test_pool_isolation.py``.

- the market: the admin's genesis (governance, USDC (6 decimals) and one or two 18-decimal base
  assets with three-source oracles, pools A and B listing a perpetual of the same name), then
  ``OpenVenue`` and LPs and insurance in each;
- :class:`Run`: an engine on a memory journal that sends each command as the principal it names
  (``tests/support/authority.py``: none of these properties is about authority) and checks
  conservation after every command;
- fault doubles that inject a ``RuntimeError`` inside one pool's code;
- the random scenario: steps (drawn by hypothesis in the test module) turned into one command
  script per run, and :func:`isolation_differences`, which runs a control and a default run and
  names everything of pool B or of the accounts outside A that differs between them.

Every amount is an exact integer literal; nothing here calls the code under test to compute
an expectation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

import ringfence.core.pool.decide as pool_decide
import ringfence.core.pool.liquidate as pool_liquidate
from ringfence.core.commands import Command, ConfigureOracle, Deposit, RegisterAsset, SubmitPrice, Transfer, Withdraw
from ringfence.core.governance.commands import ExecuteProposal, GrantRole, ProposeVenueChange
from ringfence.core.governance.state import DEFAULT_SETTINGS, Role
from ringfence.core.invariants import check_conservation
from ringfence.core.pool import perp_math
from ringfence.core.pool.commands import (
    AddMarket,
    CreatePool,
    FundInsurance,
    Liquidate,
    ProvideLiquidity,
    RemoveLiquidity,
    Trade,
)
from ringfence.core.pool.credit_line_commands import (
    CloseCreditLine,
    LowerCreditLineCap,
    OpenCreditLine,
    RepayCreditLine,
)
from ringfence.core.pool.events import (
    InsuranceDrawn,
    LiquidityProvided,
    LossSocialised,
    PoolHalted,
    PoolStatusChanged,
    PositionLiquidated,
)
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams, PoolState, PoolStatus
from ringfence.core.state import LedgerState
from ringfence.service.engine import Accepted, Engine, Outcome, Rejected, replay
from ringfence.store.memory import MemoryJournal
from support.authority import ADMIN, bootstrap, open_venue, sent_as_named

SECOND_NS = 1_000_000_000
START_NS = 1_000 * SECOND_NS
WAD = 10**18
PERCENT = WAD // 100
BPS = WAD // 10_000
USD = 10**6
"""USDC atoms per dollar."""
UNIT = 10**18
"""Base atoms per whole unit of a base asset."""
NO_LIMIT = 2**128 - 1

QUOTE = "USDC"
MARKET = "PERP"
"""Both pools list a market of this name: the name is per pool, not global."""
SOURCES = ("s1", "s2", "s3")
MAX_STALENESS_NS = 3_600 * SECOND_NS
GUARD_RELEASE_NS = 600 * SECOND_NS
MAX_JUMP = 50 * PERCENT
MAX_DEVIATION = 5 * PERCENT

POOL_PARAMS = PoolParams(
    quote_asset=QUOTE,
    lp_fee_share_wad=60 * PERCENT,
    insurance_fee_share_wad=20 * PERCENT,
    reserve_factor_wad=50 * PERCENT,
    liquidation_penalty_wad=5 * PERCENT,
    liquidator_share_wad=50 * PERCENT,
    insurance_draw_cap_atoms=50 * USD,
    insurance_window_ns=3_600 * SECOND_NS,
    close_factor_wad=50 * PERCENT,
    nav_drawdown_limit_wad=10 * PERCENT,
)


def market_params(base_asset: str) -> MarketParams:
    """Return the perpetual market both pools list (10% IM, 5% MM, 0.1% spread, 5 bps fee)."""
    return MarketParams(
        market=MARKET,
        base_asset=base_asset,
        initial_margin_wad=10 * PERCENT,
        maintenance_margin_wad=5 * PERCENT,
        spread_wad=10 * BPS,
        taker_fee_wad=5 * BPS,
        skew_scale_atoms=1_000 * UNIT,
        max_funding_rate_per_day_wad=1 * PERCENT,
        open_interest_cap_atoms=10_000 * UNIT,
        pnl_weight_wad=50 * PERCENT,
    )


@dataclass(frozen=True)
class Layout:
    """Which base asset each pool's market is priced on."""

    base_a: str
    base_b: str

    @property
    def shared(self) -> bool:
        """Return whether both pools price their market on one asset (one oracle)."""
        return self.base_a == self.base_b

    @property
    def assets(self) -> tuple[str, ...]:
        """Return every listed asset, quote first."""
        return (QUOTE, *dict.fromkeys((self.base_a, self.base_b)))


SEPARATE = Layout("AAA", "BBB")
SHARED = Layout("ETH", "ETH")

INITIAL_PRICE = {QUOTE: WAD, "AAA": 2_000 * WAD, "BBB": 1_500 * WAD, "ETH": 2_000 * WAD}


def configure_oracle(asset: str, now_ns: int) -> ConfigureOracle:
    """Return a three-source, quorum-two oracle with a 50% jump guard and a 1 h staleness limit."""
    return ConfigureOracle(
        asset=asset,
        source_names=SOURCES,
        source_weights=(1, 1, 1),
        quorum=2,
        max_staleness_ns=MAX_STALENESS_NS,
        max_deviation_wad=MAX_DEVIATION,
        max_confidence_wad=1 * PERCENT,
        max_jump_wad=MAX_JUMP,
        guard_release_ns=GUARD_RELEASE_NS,
        delay_interval_seconds=3_600,
        delay_growth_limit_wad=6 * PERCENT,
        stable_growth_limit_wad=3 * BPS,
        timestamp_ns=now_ns,
    )


def quotes(asset: str, price_wad: int, now_ns: int, sources: tuple[str, ...] = SOURCES) -> list[Command]:
    """Return one submission of ``price_wad`` per source, published at ``now_ns``."""
    return [SubmitPrice(asset, source, price_wad, 0, now_ns, now_ns) for source in sources]


def market_setup(layout: Layout, now_ns: int, listings: tuple[Command, ...] = ()) -> list[Command]:
    """Return the admin's genesis and its end: governance, the assets, their oracles and first prices,
    pools A and B, any further ``listings``, then ``OpenVenue``."""
    commands: list[Command] = [bootstrap(now_ns), RegisterAsset(QUOTE, 6, WAD, WAD, NO_LIMIT, NO_LIMIT, now_ns)]
    commands += [
        RegisterAsset(base, 18, 80 * PERCENT, 85 * PERCENT, NO_LIMIT, NO_LIMIT, now_ns) for base in layout.assets[1:]
    ]
    commands += [configure_oracle(asset, now_ns) for asset in layout.assets]
    for asset in layout.assets:
        commands += quotes(asset, INITIAL_PRICE[asset], now_ns)
    commands += [
        CreatePool("A", "perp", 1, POOL_PARAMS, now_ns),
        AddMarket("A", market_params(layout.base_a), now_ns),
        CreatePool("B", "perp", 1, POOL_PARAMS, now_ns),
        AddMarket("B", market_params(layout.base_b), now_ns),
        *listings,
        open_venue(now_ns),
    ]
    return commands


@dataclass(frozen=True)
class LpCapital:
    """What the fixed LPs provide (USD): ("lp", 0) to A, ("lp", 1) to B, ("lp", 2) to each."""

    a_usd: int = 100_000
    b_usd: int = 100_000
    both_usd: tuple[int, int] = (50_000, 50_000)


def liquidity_setup(now_ns: int, capital: LpCapital = LpCapital()) -> list[Command]:
    """Return LPs and insurance: ("lp", 0) backs A only, ("lp", 1) B only, ("lp", 2) both."""
    return [
        Deposit("lp", 0, QUOTE, 1_000_000 * USD, now_ns),
        Deposit("lp", 1, QUOTE, 1_000_000 * USD, now_ns),
        Deposit("lp", 2, QUOTE, 1_000_000 * USD, now_ns),
        ProvideLiquidity("lp", 0, "A", capital.a_usd * USD, now_ns),
        ProvideLiquidity("lp", 1, "B", capital.b_usd * USD, now_ns),
        ProvideLiquidity("lp", 2, "A", capital.both_usd[0] * USD, now_ns),
        ProvideLiquidity("lp", 2, "B", capital.both_usd[1] * USD, now_ns),
        FundInsurance("lp", 0, "A", 100 * USD, now_ns),
        FundInsurance("lp", 1, "B", 100 * USD, now_ns),
        FundInsurance("lp", 2, "A", 100 * USD, now_ns),
        FundInsurance("lp", 2, "B", 100 * USD, now_ns),
    ]


def trade(
    owner: str,
    sub_account: int,
    pool: str,
    size_atoms: int,
    margin_atoms: int | None,
    now_ns: int,
    limit_price_wad: int = 0,
) -> Trade:
    """Return a trade in ``MARKET``: isolated with ``margin_atoms``, cross when it is None."""
    mode = MarginMode.CROSS if margin_atoms is None else MarginMode.ISOLATED
    return Trade(owner, sub_account, pool, MARKET, size_atoms, mode, margin_atoms or 0, limit_price_wad, now_ns)


def summary(outcome: Outcome) -> tuple[object, ...]:
    """Return what an outcome says, without its command id (ids follow the journal version)."""
    if isinstance(outcome, Accepted):
        return ("accepted", outcome.events)
    return ("rejected", type(outcome.error).__name__, str(outcome.error))


@dataclass
class Run:
    """An engine on a memory journal that checks conservation after every command."""

    engine: Engine = field(default_factory=lambda: Engine(MemoryJournal()))
    outcomes: list[Outcome] = field(default_factory=list)

    def execute(self, command: Command) -> Outcome:
        """Run one command as the principal it names, check conservation, and return its outcome."""
        outcome = self.engine.execute_batch(sent_as_named([command]))[0]
        check_conservation(self.engine.state)
        self.outcomes.append(outcome)
        return outcome

    def execute_all(self, commands: list[Command]) -> list[Outcome]:
        """Run commands one at a time."""
        return [self.execute(command) for command in commands]

    def accept(self, command: Command) -> Accepted:
        """Run a command that must be accepted and return its outcome."""
        outcome = self.execute(command)
        if isinstance(outcome, Rejected):
            raise AssertionError(f"{command} was rejected: {outcome.error!r}")
        return outcome

    def batch(self, commands: list[Command]) -> list[Outcome]:
        """Run commands as one journal batch, each sent as the principal it names, then check conservation."""
        outcomes = self.engine.execute_batch(sent_as_named(commands))
        check_conservation(self.engine.state)
        self.outcomes.extend(outcomes)
        return outcomes

    def journal_length(self) -> int:
        """Return the number of journal entries."""
        return sum(1 for _ in self.engine.journal.read())

    def events(self) -> list[object]:
        """Return every journalled event in order."""
        return [entry.event() for entry in self.engine.journal.read()]

    def pool(self, pool_id: str) -> PoolState:
        """Return a pool's live state."""
        return self.engine.state.pools[pool_id]

    def assert_replay_equals_live(self) -> None:
        """Check that replaying the journal rebuilds the live state and the hash chain verifies."""
        assert replay(self.engine.journal.read()) == self.engine.state
        assert self.engine.journal.verify() == self.journal_length()


def two_pool_run(layout: Layout = SEPARATE, now_ns: int = START_NS, listings: tuple[Command, ...] = ()) -> Run:
    """Return an open run with pools A and B listed, priced, funded by LPs and insured.

    ``listings`` are further genesis commands of the admin (an asset and its oracle), run
    before ``OpenVenue``: once open, the venue changes only through proposals.
    """
    run = Run()
    for command in market_setup(layout, now_ns, listings) + liquidity_setup(now_ns):
        run.execute(command)
    for pool_id in ("A", "B"):
        assert run.pool(pool_id).vault_atoms == 150_000 * USD
        assert run.pool(pool_id).insurance_atoms == 200 * USD
    return run


INJECTED_PRICING_FAULT = "injected pricing fault"


def _faulty_fill_price(faulty_pool: str, original: Callable[..., int]) -> Callable[..., int]:
    def hook(*args: int) -> int:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        command = caller.f_locals.get("command") if caller is not None else None
        if not isinstance(command, Trade):
            raise AssertionError("test double: fill_price_wad is no longer called from decide_trade with `command`")
        if command.pool == faulty_pool:
            raise RuntimeError(f"{INJECTED_PRICING_FAULT} in pool {faulty_pool}")
        return original(*args)

    return hook


@contextmanager
def pricing_fault(faulty_pool: str = "A") -> Iterator[None]:
    """Test double: make the pool's pricing hook raise ``RuntimeError`` for trades of one pool.

    ``ringfence.core.pool.decide.fill_price_wad`` is replaced by a wrapper that looks at the
    ``command`` its caller (``decide_trade``) is deciding and raises for ``faulty_pool`` only;
    every other pool prices as before. The fault is raised deep inside the pool's code, so the
    real ``_contained`` wrapper in ``ringfence.core.decide._DECIDERS`` must turn it into a
    ``PoolHalted`` event.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool_decide, "fill_price_wad", _faulty_fill_price(faulty_pool, perp_math.fill_price_wad))
        yield


@contextmanager
def liquidation_fault(faulty_pool: str = "A") -> Iterator[None]:
    """Test double: make the liquidation's close (``_choose_close``) raise ``RuntimeError`` for one pool."""
    original = pool_liquidate._choose_close

    def hook(state: Any, liquidation: Any, now_ns: int) -> object:
        if liquidation.pool.pool == faulty_pool:
            raise RuntimeError(f"injected liquidation fault in pool {faulty_pool}")
        return original(state, liquidation, now_ns)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool_liquidate, "_choose_close", hook)
        yield


# --- the random scenario ---------------------------------------------------------------------
#
# Sub-account roles (the same for every random owner "o0".."o3"):
#   0: trades, provides liquidity and insures in pool A only (cross or isolated);
#   1: trades, provides liquidity and insures in pool B only (cross or isolated);
#   2: in both pools: LP and insurer of both, isolated positions in both, cross in A only
#      (a sub-account is cross-margined in one pool at most). It is funded far beyond
#      anything it can post, so no outcome in B depends on its balance, which A's default
#      does change;
#   3: holds collateral only (deposits, withdrawals, transfers with sub-accounts 0 and 1).
# Fixed accounts: ("whale", 0) isolated and ("whale", 1) cross longs in A, ("whale", 2) an
# isolated long in B; ("trigger", 0) a fully margined long in A whose reduction, after the
# fault switch, reaches A's pricing hook; ("keeper", 0) liquidates in A and ("keeper", 1) in
# B; ("lp", 2) is an LP and insurer of both pools.

AccountKey = tuple[str, int]
ROLE_A, ROLE_B, ROLE_BOTH, ROLE_IDLE = 0, 1, 2, 3
RICH_ATOMS = 100_000_000 * USD
CRASH_TICKS = 3
CRASH_NUMERATOR, CRASH_DENOMINATOR = 6, 10
"""Each crash tick multiplies A's base price by 0.6 (a 40% fall, inside the 50% jump guard)."""
FAULT_ON = "fault on"
"""Marker in a command script: the fault double is switched on from here (fault mode only)."""


@dataclass(frozen=True)
class TradeStep:
    """A trade of ``size_centi_units`` hundredths of a base unit (cross, or isolated with margin)."""

    owner: int
    sub_account: int
    pool: str
    size_centi_units: int
    cross: bool
    margin_usd: int


@dataclass(frozen=True)
class LiquidityStep:
    """Provide liquidity, remove shares, or fund insurance (``action``)."""

    owner: int
    sub_account: int
    pool: str
    action: str
    amount_usd: int


@dataclass(frozen=True)
class CashStep:
    """Deposit, withdraw, or transfer to ``to_sub_account`` (``action``)."""

    owner: int
    action: str
    sub_account: int
    to_sub_account: int
    amount_usd: int


@dataclass(frozen=True)
class TickStep:
    """Time passes; every source reports, each base price moved by its bps."""

    seconds: int
    move_a_bps: int
    move_b_bps: int


@dataclass(frozen=True)
class SweepStep:
    """A keeper tries to liquidate every possible position of one pool."""

    pool: str


Step = TradeStep | LiquidityStep | CashStep | TickStep | SweepStep
Item = Command | str


def owner_name(index: int) -> str:
    """Return the name of random owner ``index``."""
    return f"o{index}"


@dataclass(frozen=True)
class CreditSetup:
    """A credit line of ``cap_usd`` from ``lender`` to ``borrower``, opened by proposal once the LPs are in.

    ``capital`` is what the fixed LPs provide: a thin pool A leans on a line from B for its
    reserve (the room left on a line counts as liquidity). With a line, ("bear", 0) holds a
    30-unit short in A and closes it after A's crash, before the keepers' sweeps: A pays that
    profit from its vault (drawing on the line past its cash) while its longs default, so A's
    LP capital is gone and a line from B is drawn and written down. (Without opposing winners a
    pool's cash only grows when its longs lose: a shortfall is bad debt against the mark, not
    against the vault's cash.) When B lends, B's LPs only come in:
    the script drops every removal of B's liquidity, since an LP leaving at a NAV the line moved
    would take a different amount of cash out of B's vault in the two runs, and B's own traders'
    outcomes would then depend on B's cash (the profit cap, the reserve) rather than on A.

    ``change`` ("close" or "lower") has governance close the line, or lower its cap to
    ``lowered_cap_usd``, by proposal at the start of the default block (before A's crash, in both
    runs alike); the change may be refused (a line drawn more than the borrower can repay, or
    than the lower cap), identically in both runs.
    """

    lender: str
    borrower: str
    cap_usd: int
    rate_per_year_wad: int
    capital: LpCapital = LpCapital()
    change: str = ""
    lowered_cap_usd: int = 0


LINE = "line"
PROPOSER, EXECUTOR = "council", "exec"


@dataclass
class Script:
    """Turns steps into commands; with ``crash`` A's base price is scaled from the crash ticks on."""

    layout: Layout
    owners: int
    crash: bool
    credit: CreditSetup | None = None
    now_ns: int = START_NS
    price_a: int = 0
    price_b: int = 0
    crash_ticks: int = 0

    def __post_init__(self) -> None:
        self.price_a = INITIAL_PRICE[self.layout.base_a]
        self.price_b = INITIAL_PRICE[self.layout.base_b]

    def population(self, deposits_usd: list[tuple[int, int, int]]) -> list[Command]:
        """Return the market, the random owners' deposits and LP shares, and the whales' positions."""
        commands = market_setup(self.layout, self.now_ns)
        if self.credit is None:
            commands += liquidity_setup(self.now_ns)
        else:
            commands += liquidity_setup(self.now_ns, self.credit.capital) + self.open_line(self.credit)
        t = self.now_ns
        for index, (a_usd, b_usd, idle_usd) in enumerate(deposits_usd):
            name = owner_name(index)
            amounts = {ROLE_A: a_usd * USD, ROLE_B: b_usd * USD, ROLE_BOTH: RICH_ATOMS, ROLE_IDLE: idle_usd * USD}
            commands += [Deposit(name, sub, QUOTE, amount, t) for sub, amount in amounts.items()]
            commands += [
                ProvideLiquidity(name, ROLE_A, "A", 100 * USD, t),
                ProvideLiquidity(name, ROLE_B, "B", 100 * USD, t),
                ProvideLiquidity(name, ROLE_BOTH, "A", 1_000 * USD, t),
                ProvideLiquidity(name, ROLE_BOTH, "B", 1_000 * USD, t),
                FundInsurance(name, ROLE_BOTH, "A", 10 * USD, t),
                FundInsurance(name, ROLE_BOTH, "B", 10 * USD, t),
            ]
        b_margin = self.price_b * 10 * 12 // 100 // (WAD // USD)
        if self.credit is not None:
            # A short in A that wins what A's whales lose: paid before they default (CreditSetup)
            commands += [Deposit("bear", 0, QUOTE, 20_000 * USD, t), trade("bear", 0, "A", -30 * UNIT, 10_000 * USD, t)]
        return [
            *commands,
            Deposit("whale", 0, QUOTE, 20_000 * USD, t),
            Deposit("whale", 1, QUOTE, 3_000 * USD, t),
            Deposit("whale", 2, QUOTE, 5_000 * USD, t),
            # 30 units at 2000 with 30% margin: liquidatable only after a fall of about 25%.
            trade("whale", 0, "A", 30 * UNIT, 18_000 * USD, t),
            # 10 units at 2000 on 3000 of collateral: cross, 15% margin.
            trade("whale", 1, "A", 10 * UNIT, None, t),
            # 10 units at B's price with 12% margin: B's own moves may liquidate it.
            trade("whale", 2, "B", 10 * UNIT, b_margin, t),
            # Fully margined: its trigger trade (a reduction) reaches A's pricing hook even when
            # A is reduce-only.
            Deposit("trigger", 0, QUOTE, 5_000 * USD, t),
            trade("trigger", 0, "A", UNIT, 4_000 * USD, t),
        ]

    def open_line(self, credit: CreditSetup) -> list[Command]:
        """Return the line's proposal, the timelock passing (every source reports again), and its execution."""
        t = self.now_ns
        line = OpenCreditLine(LINE, credit.lender, credit.borrower, credit.cap_usd * USD, credit.rate_per_year_wad, t)
        commands: list[Command] = [
            GrantRole(ADMIN, Role.PROPOSER, PROPOSER, t),
            GrantRole(ADMIN, Role.EXECUTOR, EXECUTOR, t),
            ProposeVenueChange(PROPOSER, line, t),
        ]
        commands += self.tick(DEFAULT_SETTINGS.timelock_ns // SECOND_NS, 0, 0)
        return [*commands, ExecuteProposal(EXECUTOR, 1, self.now_ns)]

    def change_line(self, credit: CreditSetup) -> list[Command]:
        """Return the proposal closing the line or lowering its cap, the timelock passing, and its execution."""
        t = self.now_ns
        change: CloseCreditLine | LowerCreditLineCap = (
            CloseCreditLine(LINE, t)
            if credit.change == "close"
            else LowerCreditLineCap(LINE, credit.lender, credit.lowered_cap_usd * USD, t)
        )
        commands: list[Command] = [ProposeVenueChange(PROPOSER, change, t)]
        commands += self.tick(DEFAULT_SETTINGS.timelock_ns // SECOND_NS, 0, 0)
        return [*commands, ExecuteProposal(EXECUTOR, 2, self.now_ns)]

    def targets(self, pool: str) -> list[AccountKey]:
        """Return every sub-account that may hold a position in ``pool``."""
        subs = (ROLE_A, ROLE_BOTH) if pool == "A" else (ROLE_B, ROLE_BOTH)
        fixed = [("whale", 0), ("whale", 1)] if pool == "A" else [("whale", 2)]
        return [(owner_name(i), sub) for i in range(self.owners) for sub in subs] + fixed

    def sweep(self, pool: str) -> list[Command]:
        """Return one liquidation attempt per possible position of ``pool``, by its keeper."""
        keeper = 0 if pool == "A" else 1
        return [Liquidate("keeper", keeper, owner, sub, pool, MARKET, self.now_ns) for owner, sub in self.targets(pool)]

    def tick(self, seconds: int, move_a_bps: int, move_b_bps: int, *, crash_tick: bool = False) -> list[Command]:
        """Advance time and return every source's report of every asset."""
        self.now_ns += seconds * SECOND_NS
        self.price_b = self.price_b * (10_000 + move_b_bps) // 10_000
        if self.layout.shared:
            self.price_a = self.price_b
        else:
            self.price_a = self.price_a * (10_000 + move_a_bps) // 10_000
        if crash_tick and self.crash:
            self.crash_ticks += 1
        crashed_a = self.price_a * CRASH_NUMERATOR**self.crash_ticks // CRASH_DENOMINATOR**self.crash_ticks
        commands = quotes(QUOTE, WAD, self.now_ns) + quotes(self.layout.base_a, crashed_a, self.now_ns)
        if not self.layout.shared:
            commands += quotes(self.layout.base_b, self.price_b, self.now_ns)
        return commands

    def step(self, step: Step) -> list[Command]:
        """Return the commands of one step at the current time."""
        t = self.now_ns
        if isinstance(step, TickStep):
            return self.tick(step.seconds, step.move_a_bps, step.move_b_bps)
        if isinstance(step, SweepStep):
            return self.sweep(step.pool)
        if isinstance(step, TradeStep):
            margin = None if step.cross else step.margin_usd * USD
            size = step.size_centi_units * UNIT // 100
            return [trade(owner_name(step.owner), step.sub_account, step.pool, size, margin, t)]
        name, amount = owner_name(step.owner), step.amount_usd * USD
        if isinstance(step, LiquidityStep):
            if step.action == "provide":
                return [ProvideLiquidity(name, step.sub_account, step.pool, amount, t)]
            if step.action == "remove":
                if self.lends_from_b and step.pool == "B":
                    return []  # B's LPs leave at a NAV the line moves: see CreditSetup
                return [RemoveLiquidity(name, step.sub_account, step.pool, amount, t)]
            return [FundInsurance(name, step.sub_account, step.pool, amount, t)]
        if step.action == "deposit":
            return [Deposit(name, step.sub_account, QUOTE, amount, t)]
        if step.action == "withdraw":
            return [Withdraw(name, step.sub_account, QUOTE, amount, t)]
        return [Transfer(name, step.sub_account, step.to_sub_account, QUOTE, amount, t)]

    @property
    def lends_from_b(self) -> bool:
        """Return whether B lends: its LPs then only come in (they leave at a NAV the line moves)."""
        return self.credit is not None and self.credit.lender == "B"

    def default_block(self) -> list[Item]:
        """Return the block where A defaults (in the default run) and B is shocked (in both).

        Three crash ticks, three keeper sweeps of A (the close factor is 50%), a sweep of B,
        the shared LP leaving both pools, then the fault switch and a risk-reducing trade that
        reaches A's pricing hook.
        """
        block: list[Item] = []
        if self.credit is not None and self.credit.change:
            block += self.change_line(self.credit)
        for _ in range(CRASH_TICKS):
            # B's asset falls 5% a tick in both runs: B's own liquidations must match too.
            block += self.tick(60, 0, -500, crash_tick=True)
        if self.credit is not None:
            block.append(trade("bear", 0, "A", 30 * UNIT, 0, self.now_ns))
        for _ in range(3):
            block += self.sweep("A")
        block += self.sweep("B")
        if self.credit is not None:  # a keeper repays the line from the borrower's cash, recoveries included
            block.append(RepayCreditLine("keeper", LINE, self.now_ns))
        t = self.now_ns
        block.append(RemoveLiquidity("lp", 2, "A", 10_000 * USD, t))
        if not self.lends_from_b:
            block.append(RemoveLiquidity("lp", 2, "B", 10_000 * USD, t))
        return [*block, FAULT_ON, trade("trigger", 0, "A", -UNIT // 100, 0, t)]


def script(
    layout: Layout,
    deposits_usd: list[tuple[int, int, int]],
    steps: list[Step],
    split: int,
    *,
    crash: bool,
    credit: CreditSetup | None = None,
) -> list[Item]:
    """Return a run's script: the same for both runs but for A's crashed prices."""
    builder = Script(layout, len(deposits_usd), crash, credit)
    items: list[Item] = list(builder.population(deposits_usd))
    for step in steps[:split]:
        items += builder.step(step)
    items += builder.default_block()
    for step in steps[split:]:
        items += builder.step(step)
        if isinstance(step, TickStep):
            items += builder.sweep("A") + builder.sweep("B")
    return items


def execute_script(items: list[Item], *, fault: bool) -> Run:
    """Run a script one command at a time, switching the fault double on at its marker."""
    run = Run()
    with ExitStack() as stack:
        for item in items:
            if isinstance(item, str):
                if fault:
                    stack.enter_context(pricing_fault("A"))
                continue
            run.execute(item)
    return run


def account_keys(command: Command) -> list[AccountKey]:
    """Return the sub-accounts a command names."""
    if isinstance(command, Transfer):
        return [(command.owner, command.from_sub_account), (command.owner, command.to_sub_account)]
    if isinstance(command, Liquidate):
        return [(command.owner, command.sub_account), (command.keeper_owner, command.keeper_sub_account)]
    if isinstance(command, (Deposit, Withdraw, ProvideLiquidity, RemoveLiquidity, FundInsurance, Trade)):
        return [(command.owner, command.sub_account)]
    return []


def touched_by_a(commands: list[Command]) -> set[AccountKey]:
    """Return every sub-account that ever addressed pool A, or received a transfer from one."""
    touched = {key for c in commands if getattr(c, "pool", None) == "A" for key in account_keys(c)}
    transfers = [c for c in commands if isinstance(c, Transfer)]
    grew = True
    while grew:
        grew = False
        for c in transfers:
            if (c.owner, c.from_sub_account) in touched and (c.owner, c.to_sub_account) not in touched:
                touched.add((c.owner, c.to_sub_account))
                grew = True
    return touched


def concerns_b(command: Command, layout: Layout, untouched: set[AccountKey]) -> bool:
    """Return whether a command's outcome must not depend on A's default."""
    if isinstance(command, SubmitPrice):
        return command.asset in (QUOTE, layout.base_b)
    if getattr(command, "pool", None) == "B":
        return True
    keys = account_keys(command)
    return bool(keys) and getattr(command, "pool", None) is None and all(key in untouched for key in keys)


def without_shares(value: Any) -> Any:
    """Return ``value`` with the LP shares of pool B masked (events, lists and tuples of them, a pool).

    When B lends to A, A's default lowers B's NAV by what B loses on the line, so B's LPs get
    more shares for the same cash: the share counts are where B's loss lands.
    """
    if isinstance(value, LiquidityProvided) and value.pool == "B":
        return replace(value, shares=0)
    if isinstance(value, PoolState):
        return replace(value, total_shares=0, lp_shares={})
    if isinstance(value, list | tuple):
        return type(value)(without_shares(item) for item in value)
    return value


def b_view(
    run: Run, layout: Layout, untouched: set[AccountKey], credit: CreditSetup | None = None
) -> dict[str, object]:
    """Return everything of pool B and of the accounts outside A that A's default must not change.

    When B lends to A the line itself may differ (it is B's bounded loss, measured by
    :func:`b_capital_atoms`) and B's share counts with it; everything else must not.
    """
    state = run.engine.state
    events = run.events()
    lends = credit is not None and credit.lender == "B"
    mask = without_shares if lends else (lambda value: value)
    lines = (
        {}
        if lends
        else {k: line for k, line in state.credit_lines.items() if "B" in (line.lender_pool, line.borrower_pool)}
    )
    return {
        "credit lines of B": lines,
        "pool B": mask(state.pools["B"]),
        "oracle of B's base asset": state.oracles[layout.base_b],
        "B's base asset": state.assets[layout.base_b],
        "quote oracle": state.oracles[QUOTE],
        "quote asset parameters": state.assets[QUOTE].params,
        "events of pool B": mask([e for e in events if getattr(e, "pool", None) == "B"]),
        "events of B's base oracle": [e for e in events if getattr(e, "asset", None) == layout.base_b],
        "balances outside A": {
            key: dict(state.accounts[key].balances) if key in state.accounts else {} for key in sorted(untouched)
        },
        "cross pool outside A": {key: state.cross_pool.get(key) for key in sorted(untouched)},
    }


def default_evidence(run: Run, *, crash: bool) -> list[str]:
    """Return what is missing for the run to count as a default of A (empty: it defaulted).

    Crash: a liquidation left a shortfall, the insurance fund paid, LPs bore a loss and the
    NAV breaker made A reduce-only. Fault: exactly one ``PoolHalted`` of A, with the cause.
    """
    of_a = [e for e in run.events() if getattr(e, "pool", None) == "A"]
    if crash:
        checks = {
            "shortfall": any(isinstance(e, PositionLiquidated) and e.shortfall_atoms > 0 for e in of_a),
            "insurance draw": any(isinstance(e, InsuranceDrawn) for e in of_a),
            "socialised loss": any(isinstance(e, LossSocialised) for e in of_a),
            "NAV breaker": any(isinstance(e, PoolStatusChanged) and e.status == "reduce_only" for e in of_a),
        }
    else:
        halts = [e for e in of_a if isinstance(e, PoolHalted)]
        checks = {
            "one halt": len(halts) == 1,
            "cause recorded": all(INJECTED_PRICING_FAULT in e.cause for e in halts),
            "A halted": run.pool("A").status is PoolStatus.HALTED,
        }
    return [name for name, held in checks.items() if not held]


@dataclass(frozen=True)
class Comparison:
    """The two runs of one scenario and what differs between them."""

    control: Run
    default: Run
    untouched: set[AccountKey]
    differences: list[str]


def b_capital_atoms(state: LedgerState) -> int:
    """Return pool B's capital in quote atoms: its vault and insurance, and its lines at principal.

    A line B lends counts its undrawn cash and the principal A still owes; a line B borrows
    counts against it. Interest (owed or collected) is income, not capital, and is left out:
    B's loss from A's default is the principal it lent A and lost.
    """
    pool = state.pools["B"]
    capital = pool.vault_atoms + pool.insurance_atoms
    for line in state.credit_lines.values():
        if line.lender_pool == "B":
            capital += line.undrawn_atoms + line.principal_atoms
        if line.borrower_pool == "B":
            capital -= line.principal_atoms
    return capital


def line_events(run: Run, kind: type[Any]) -> list[Any]:
    """Return the run's credit-line events of one kind."""
    return [event for event in run.events() if isinstance(event, kind)]


def isolation_differences(
    layout: Layout,
    mode: str,
    deposits_usd: list[tuple[int, int, int]],
    steps: list[Step],
    split: int,
    credit: CreditSetup | None = None,
) -> Comparison:
    """Run a scenario without and with A's default (``mode``: "crash" or "fault") and compare.

    The differences name every view of :func:`b_view` that differs, and every command whose
    outcome must not depend on A but does.
    """
    crash = mode == "crash"
    control_items = script(layout, deposits_usd, steps, split, crash=False, credit=credit)
    default_items = script(layout, deposits_usd, steps, split, crash=crash, credit=credit)
    control = execute_script(control_items, fault=False)
    default = execute_script(default_items, fault=not crash)
    control_commands = [c for c in control_items if not isinstance(c, str)]
    default_commands = [c for c in default_items if not isinstance(c, str)]
    touched = touched_by_a(control_commands)
    untouched = {key for c in control_commands for key in account_keys(c)} - touched
    expected, actual = b_view(control, layout, untouched, credit), b_view(default, layout, untouched, credit)
    differences = [name for name, value in expected.items() if actual[name] != value]
    mask = without_shares if credit is not None and credit.lender == "B" else (lambda value: value)
    for index, command in enumerate(control_commands):
        same = mask(summary(default.outcomes[index])) == mask(summary(control.outcomes[index]))
        if concerns_b(command, layout, untouched) and (default_commands[index] != command or not same):
            differences.append(f"outcome of command {index}: {command}")
    return Comparison(control, default, untouched, differences)
