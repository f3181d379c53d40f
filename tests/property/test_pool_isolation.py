"""Pool isolation (SPEC §2.4–2.6, §2.9): a default or a fault in pool A leaves pool B untouched.

The acceptance property runs one random command sequence twice over two pools A and B,
once with a default in A and once without (the control run), and checks that pool B, B's
oracle, B's events and every sub-account with nothing in A are identical between the runs,
that value is conserved after every command, and that replay equals live. A default in A is
forced in one of two ways:

- *crash*: A's base asset falls 40% three times (A and B on separate assets only), and
  keepers liquidate A's positions so shortfalls reach A's insurance fund and its LPs;
- *fault*: a test double injects a fault into A's pricing hook (``fill_price_wad`` raises
  ``RuntimeError`` for trades of pool A; see ``pool_builders.pricing_fault``), which the
  engine must contain as a ``PoolHalted`` event of A.

With a credit line (issue 14 item 3) the property is extended: pool B lends to a thin pool A
whose longs default after A paid a short's profit with B's money, and B's loss (the principal it
lent A and did not recover) is at most the line's cap while everything else of B but its LP share
counts is identical; with no line, or with A lending to B, B's loss is exactly 0 and B is
identical (``test_b_loses_at_most_its_line_to_a_from_a_default_and_nothing_without_one``).

Unit tests pin fault containment, the degraded-oracle rule (guarded: liquidate at the last
accepted price, no new risk; stale: neither) and that a rejected command changes nothing.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pool_builders import (
    INJECTED_PRICING_FAULT,
    MARKET,
    MAX_STALENESS_NS,
    NO_LIMIT,
    PERCENT,
    QUOTE,
    ROLE_A,
    ROLE_B,
    ROLE_BOTH,
    ROLE_IDLE,
    SECOND_NS,
    SEPARATE,
    SHARED,
    START_NS,
    UNIT,
    USD,
    WAD,
    CashStep,
    CreditSetup,
    Layout,
    LiquidityStep,
    LpCapital,
    Run,
    Step,
    SweepStep,
    TickStep,
    TradeStep,
    b_capital_atoms,
    configure_oracle,
    default_evidence,
    isolation_differences,
    line_events,
    liquidation_fault,
    owner_name,
    pricing_fault,
    quotes,
    summary,
    trade,
    two_pool_run,
)

import ringfence.core.evolve as core_evolve
from ringfence.core.commands import Command, Deposit, RegisterAsset, Withdraw
from ringfence.core.errors import (
    CommandRejected,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    OracleUnavailable,
    RingfenceError,
    UnknownEntity,
)
from ringfence.core.margin import MarginKind
from ringfence.core.oracle import OracleStatus
from ringfence.core.pool.commands import FundInsurance, Liquidate, ProvideLiquidity, RemoveLiquidity
from ringfence.core.pool.credit_line_events import (
    CreditLineCapLowered,
    CreditLineClosed,
    CreditLineRepaid,
    CreditLineWrittenDown,
)
from ringfence.core.pool.events import LossSocialised, PoolHalted, PositionLiquidated, PositionMove
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import PoolStatus
from ringfence.core.state import LedgerState
from ringfence.service.engine import Accepted, Rejected

# --- the acceptance property ----------------------------------------------------------------


@st.composite
def trade_steps(draw: st.DrawFn, owners: int) -> TradeStep:
    owner = draw(st.integers(0, owners - 1))
    sub_account = draw(st.sampled_from((ROLE_A, ROLE_B, ROLE_BOTH)))
    pool = {ROLE_A: "A", ROLE_B: "B"}.get(sub_account) or draw(st.sampled_from(("A", "B")))
    # Sub-account 2 is cross in A at most: in B it holds isolated positions only.
    cross = draw(st.booleans()) and not (sub_account == ROLE_BOTH and pool == "B")
    size = draw(st.integers(-300, 300).filter(bool))
    return TradeStep(owner, sub_account, pool, size, cross, 0 if cross else draw(st.integers(0, 3_000)))


@st.composite
def liquidity_steps(draw: st.DrawFn, owners: int) -> LiquidityStep:
    owner = draw(st.integers(0, owners - 1))
    sub_account = draw(st.sampled_from((ROLE_A, ROLE_B, ROLE_BOTH)))
    pool = {ROLE_A: "A", ROLE_B: "B"}.get(sub_account) or draw(st.sampled_from(("A", "B")))
    action = draw(st.sampled_from(("provide", "remove", "insure")))
    return LiquidityStep(owner, sub_account, pool, action, draw(st.integers(1, 2_000)))


@st.composite
def cash_steps(draw: st.DrawFn, owners: int) -> CashStep:
    owner = draw(st.integers(0, owners - 1))
    action = draw(st.sampled_from(("deposit", "withdraw", "transfer")))
    # A transfer leaves sub-account 1 or 3 (nothing in A): no value from A reaches B's traders.
    source = draw(st.sampled_from((ROLE_B, ROLE_IDLE) if action == "transfer" else (0, 1, 2, 3)))
    target = draw(st.sampled_from(tuple(s for s in (ROLE_A, ROLE_B, ROLE_IDLE) if s != source)))
    return CashStep(owner, action, source, target, draw(st.integers(1, 20_000)))


def steps_strategy(owners: int, layout: Layout) -> st.SearchStrategy[list[Step]]:
    # A's own walk is bounded (≤ 1% a tick, ≤ 20 ticks) so the A whales survive until the crash.
    move_a = st.just(0) if layout.shared else st.integers(-100, 100)
    tick = st.builds(TickStep, st.integers(1, 600), move_a, st.integers(-300, 300))
    step = st.one_of(
        trade_steps(owners),
        trade_steps(owners),
        liquidity_steps(owners),
        cash_steps(owners),
        tick,
        st.builds(SweepStep, st.sampled_from(("A", "B"))),
    )
    return st.lists(step, min_size=4, max_size=20)


Scenario = tuple[list[tuple[int, int, int]], list[Step], int]


@st.composite
def scenarios(draw: st.DrawFn, layout: Layout) -> Scenario:
    """Draw 2-4 owners' deposits (A-only, B-only, idle sub-accounts), steps, and where A defaults."""
    usd = st.integers(500, 30_000)
    deposits = draw(st.lists(st.tuples(usd, usd, st.integers(0, 30_000)), min_size=2, max_size=4))
    steps = draw(steps_strategy(len(deposits), layout))
    return deposits, steps, draw(st.integers(0, len(steps)))


@pytest.mark.parametrize(
    ("layout", "mode"),
    [(SEPARATE, "crash"), (SEPARATE, "fault"), (SHARED, "fault")],
    ids=["separate-assets-price-crash", "separate-assets-injected-fault", "shared-asset-injected-fault"],
)
@settings(max_examples=60)
@given(data=st.data())
def test_default_in_pool_a_changes_nothing_of_pool_b_nor_of_accounts_outside_a(
    layout: Layout, mode: str, data: st.DataObject
) -> None:
    """Pool B, its oracle, its events and every sub-account with nothing in A are identical
    with and without A's default (a price crash with liquidations, or a fault injected by a
    test double into A's pricing hook); value is conserved after every command (checked by
    ``Run.execute``) and replay equals live in both runs."""
    deposits, steps, split = data.draw(scenarios(layout))
    comparison = isolation_differences(layout, mode, deposits, steps, split)

    assert default_evidence(comparison.default, crash=mode == "crash") == []
    assert comparison.differences == []
    owners = range(len(deposits))
    outside_a = {(owner_name(i), sub) for i in owners for sub in (ROLE_B, ROLE_IDLE)}
    assert outside_a | {("keeper", 1), ("lp", 1), ("whale", 2)} <= comparison.untouched
    comparison.control.assert_replay_equals_live()
    comparison.default.assert_replay_equals_live()


FIXED_SCENARIO: Scenario = (
    [(5_000, 5_000, 1_000), (8_000, 8_000, 0)],
    [
        TradeStep(0, ROLE_A, "A", -150, cross=True, margin_usd=0),
        TradeStep(1, ROLE_B, "B", 200, cross=True, margin_usd=0),
        TradeStep(0, ROLE_BOTH, "B", -100, cross=False, margin_usd=500),
        TickStep(300, 50, -200),
        TradeStep(1, ROLE_B, "B", -50, cross=False, margin_usd=300),
        SweepStep("B"),
    ],
    3,
)


def test_isolation_comparison_detects_a_planted_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a test double makes every socialised loss of A also move one
    atom of A's insurance into B's, and the differences then name pool B."""
    original = core_evolve._HANDLERS[LossSocialised]

    def leaky(state: LedgerState, event: LossSocialised) -> None:
        original(state, event)
        if event.pool == "A":
            state.pools["A"].insurance_atoms -= 1
            state.pools["B"].insurance_atoms += 1

    monkeypatch.setitem(core_evolve._HANDLERS, LossSocialised, leaky)
    comparison = isolation_differences(SEPARATE, "crash", *FIXED_SCENARIO)
    assert default_evidence(comparison.default, crash=True) == []
    assert "pool B" in comparison.differences


@pytest.mark.parametrize(
    ("layout", "mode"),
    [(SEPARATE, "crash"), (SEPARATE, "fault"), (SHARED, "fault")],
    ids=["separate-assets-price-crash", "separate-assets-injected-fault", "shared-asset-injected-fault"],
)
def test_fixed_scenario_default_in_a_leaves_b_identical(layout: Layout, mode: str) -> None:
    comparison = isolation_differences(layout, mode, *FIXED_SCENARIO)
    assert default_evidence(comparison.default, crash=mode == "crash") == []
    assert default_evidence(comparison.control, crash=mode == "crash") != []  # the control did not default
    assert comparison.differences == []


# --- credit lines: B's loss from A's default is bounded by its line ---------------------------

THIN_A = LpCapital(a_usd=5_000, b_usd=250_000, both_usd=(5_000, 50_000))
"""A's LPs bring 10,000 USD: A's whales open only with the room of B's line counted in A's reserve,
and A's crash exhausts its LP capital, so the line is drawn and written down."""
CREDIT_SETUPS: dict[str, CreditSetup | None] = {
    "no-line": None,
    "b-lends-to-a": CreditSetup("B", "A", 150_000, 5 * PERCENT, THIN_A),
    "a-lends-to-b": CreditSetup("A", "B", 30_000, 5 * PERCENT),
    "b-lends-to-a-then-closes": CreditSetup("B", "A", 150_000, 5 * PERCENT, THIN_A, change="close"),
    "b-lends-to-a-then-lowers": CreditSetup(
        "B", "A", 150_000, 5 * PERCENT, THIN_A, change="lower", lowered_cap_usd=30_000
    ),
    "a-lends-to-b-then-closes": CreditSetup("A", "B", 30_000, 5 * PERCENT, change="close"),
}


def line_bound_atoms(run: Run, credit: CreditSetup) -> int:
    """Return B's bound on its loss: the cap A's default met (0 once the line closed, the lowered cap once lowered)."""
    if line_events(run, CreditLineClosed):
        return 0
    lowered = line_events(run, CreditLineCapLowered)
    return lowered[-1].cap_atoms if lowered else credit.cap_usd * USD


def written_off_principal(run: Run) -> int:
    """Return the principal the run's write-downs impaired less what repayments recovered."""
    impaired = sum(event.principal_atoms for event in line_events(run, CreditLineWrittenDown))
    return impaired - sum(event.recovered_principal_atoms for event in line_events(run, CreditLineRepaid))


@pytest.mark.parametrize("setup", list(CREDIT_SETUPS))
@settings(max_examples=30)
@given(data=st.data())
def test_b_loses_at_most_its_line_to_a_from_a_default_and_nothing_without_one(setup: str, data: st.DataObject) -> None:
    """Issue 14 item 3: with a line from B to A, B's loss from A's default (the principal it lent A and
    lost, from B's capital: vault, insurance, the line's undrawn cash and outstanding principal) is at
    most the cap, and everything else of B is identical with and without the default (its LP share
    counts excepted: B's LPs bear the loss through B's NAV). With no line, or a line from A to B, B's
    loss is exactly 0 and B, its line included, is identical."""
    credit = CREDIT_SETUPS[setup]
    deposits, steps, split = data.draw(scenarios(SEPARATE))

    comparison = isolation_differences(SEPARATE, "crash", deposits, steps, split, credit)

    assert default_evidence(comparison.default, crash=True) == []
    assert comparison.differences == []
    control, default = comparison.control, comparison.default
    loss = b_capital_atoms(control.engine.state) - b_capital_atoms(default.engine.state)
    if credit is not None and credit.lender == "B":
        assert loss <= line_bound_atoms(default, credit)
        assert loss == written_off_principal(default) - written_off_principal(control)
    else:
        assert loss == 0
    control.assert_replay_equals_live()
    default.assert_replay_equals_live()


def test_fixed_scenario_b_lends_to_a_loses_part_of_its_line_and_no_more() -> None:
    """The bound is not vacuous: in the fixed scenario A's crash draws B's line and writes it down."""
    credit = CREDIT_SETUPS["b-lends-to-a"]
    assert credit is not None
    comparison = isolation_differences(SEPARATE, "crash", *FIXED_SCENARIO, credit)
    assert comparison.differences == []
    loss = b_capital_atoms(comparison.control.engine.state) - b_capital_atoms(comparison.default.engine.state)
    assert written_off_principal(comparison.control) == 0
    assert 0 < loss == written_off_principal(comparison.default) <= credit.cap_usd * USD


@pytest.mark.parametrize(
    ("setup", "bound_usd"), [("b-lends-to-a-then-closes", 0), ("b-lends-to-a-then-lowers", 30_000)]
)
def test_fixed_scenario_a_line_closed_or_lowered_before_the_default_bounds_bs_loss_by_what_is_left(
    setup: str, bound_usd: int
) -> None:
    """The fixed scenario that costs B part of its 150,000 line: closed first, B loses exactly 0; lowered to
    30,000 first, B loses more than 0 and at most 30,000. The changes executed in both runs (not refused)."""
    credit = CREDIT_SETUPS[setup]
    assert credit is not None
    comparison = isolation_differences(SEPARATE, "crash", *FIXED_SCENARIO, credit)
    assert comparison.differences == []
    assert default_evidence(comparison.default, crash=True) == []
    changed = CreditLineClosed if credit.change == "close" else CreditLineCapLowered
    assert len(line_events(comparison.control, changed)) == len(line_events(comparison.default, changed)) == 1
    loss = b_capital_atoms(comparison.control.engine.state) - b_capital_atoms(comparison.default.engine.state)
    assert loss == written_off_principal(comparison.default) - written_off_principal(comparison.control)
    if bound_usd == 0:
        assert loss == 0
    else:
        assert 0 < loss <= bound_usd * USD


# --- fixtures of the unit tests -------------------------------------------------------------

T0 = START_NS
HALT_CAUSE = f"RuntimeError: {INJECTED_PRICING_FAULT} in pool A"
HALT_REASON = f"fault in Trade: {HALT_CAUSE}"


def traders_run() -> Run:
    """Return pools A (on AAA at 2000) and B (on BBB at 1500) with traders in each.

    - ("alice", 0): isolated long 1 AAA in A with 250 USD margin (liquidatable at 1780);
    - ("frank", 0): cross long 4 AAA in A on 850 USD (liquidatable at 1780);
    - ("bob", 0): cross long 4 AAA in A on 10,000 USD (healthy);
    - ("carol", 0): cross long 2 BBB in B on 10,000 USD;
    - ("erin", 0): isolated long 1 BBB in B with 190 USD margin (liquidatable at 1335);
    - ("dave", 0): 100 USD, no position.
    """
    run = two_pool_run(SEPARATE)
    for owner, amount in (("alice", 10_000), ("frank", 850), ("bob", 10_000), ("carol", 10_000), ("erin", 1_000)):
        run.accept(Deposit(owner, 0, QUOTE, amount * USD, T0))
    run.accept(Deposit("dave", 0, QUOTE, 100 * USD, T0))
    run.accept(trade("alice", 0, "A", UNIT, 250 * USD, T0))
    run.accept(trade("frank", 0, "A", 4 * UNIT, None, T0))
    run.accept(trade("bob", 0, "A", 4 * UNIT, None, T0))
    run.accept(trade("carol", 0, "B", 2 * UNIT, None, T0))
    run.accept(trade("erin", 0, "B", UNIT, 190 * USD, T0))
    return run


def report(run: Run, now_ns: int, prices: dict[str, int], sources: tuple[str, ...] = ("s1", "s2", "s3")) -> None:
    """Have ``sources`` report each asset's price (whole USD) at ``now_ns``."""
    for asset, price in prices.items():
        for outcome in run.execute_all(quotes(asset, price * WAD, now_ns, sources)):
            assert isinstance(outcome, Accepted), outcome


def halt_pool_a(run: Run, now_ns: int = T0) -> None:
    """Halt pool A through the pricing-fault double (a trade of A that reaches pricing)."""
    with pricing_fault("A"):
        outcome = run.accept(trade("bob", 0, "A", UNIT // 10, None, now_ns))
    assert outcome.events == (PoolHalted(pool="A", command="Trade", cause=HALT_CAUSE, timestamp_ns=now_ns),)


def rejection(outcome: object) -> RingfenceError:
    assert isinstance(outcome, Rejected), outcome
    return outcome.error


def pool_events(run: Run, kind: type[object], pool: str) -> list[object]:
    return [e for e in run.events() if isinstance(e, kind) and getattr(e, "pool", None) == pool]


# --- fault containment ----------------------------------------------------------------------


def test_fault_in_pool_a_halts_a_once_with_its_cause_while_b_trades_on_in_the_same_batch() -> None:
    """A fault injected by a test double into A's pricing hook becomes one ``PoolHalted`` of A;
    the rest of the batch runs: A's later commands are refused, B's are accepted exactly as in
    a control run without the fault."""
    run, control = traders_run(), traders_run()
    a_before = copy.deepcopy(run.pool("A"))
    batch: list[Command] = [
        trade("carol", 0, "B", UNIT, None, T0),
        trade("alice", 0, "A", UNIT // 2, 100 * USD, T0),  # reaches A's pricing hook: the fault
        trade("carol", 0, "B", -UNIT // 2, None, T0),
        trade("bob", 0, "A", UNIT, None, T0),
        Liquidate("keeper", 0, "alice", 0, "A", MARKET, T0),
        ProvideLiquidity("lp", 0, "A", 1_000 * USD, T0),
        FundInsurance("lp", 0, "A", 10 * USD, T0),
        RemoveLiquidity("lp", 0, "A", 1_000 * USD, T0),
        trade("erin", 0, "B", UNIT // 4, 50 * USD, T0),
    ]
    with pricing_fault("A"):
        outcomes = run.batch(batch)
    control_outcomes = control.batch(batch)

    assert isinstance(outcomes[1], Accepted)
    assert outcomes[1].events == (PoolHalted(pool="A", command="Trade", cause=HALT_CAUSE, timestamp_ns=T0),)
    for index in (0, 2, 8):
        assert isinstance(outcomes[index], Accepted)
        assert summary(outcomes[index]) == summary(control_outcomes[index])
    for index in range(3, 8):
        error = rejection(outcomes[index])
        assert type(error) is CommandRejected
        assert str(error) == f"pool A is halted ({HALT_REASON}); governance must resume it"
    assert run.pool("A") == dataclasses.replace(a_before, status=PoolStatus.HALTED, status_reason=HALT_REASON)
    assert run.pool("B") == control.pool("B")
    assert len(pool_events(run, PoolHalted, "A")) == 1
    assert pool_events(run, PoolHalted, "B") == []
    run.assert_replay_equals_live()


def test_halted_pool_a_stays_halted_after_the_fault_is_gone_and_b_keeps_trading() -> None:
    run = traders_run()
    halt_pool_a(run)
    later = T0 + 60 * SECOND_NS
    report(run, later, {QUOTE: 1, "AAA": 2_000, "BBB": 1_500})

    assert type(rejection(run.execute(trade("alice", 0, "A", -UNIT, 0, later)))) is CommandRejected
    assert isinstance(run.execute(trade("carol", 0, "B", UNIT, None, later)), Accepted)
    assert isinstance(run.execute(trade("carol", 0, "B", -3 * UNIT, None, later)), Accepted)
    assert run.pool("A").status is PoolStatus.HALTED
    assert run.pool("B").status is PoolStatus.ACTIVE
    assert len(pool_events(run, PoolHalted, "A")) == 1
    run.assert_replay_equals_live()


def test_fault_in_a_liquidation_halts_only_a_and_b_still_liquidates() -> None:
    """A test double makes the liquidation close raise in pool A: A halts, and a liquidation
    in B at the same time is settled normally."""
    run = traders_run()
    later = T0 + 60 * SECOND_NS
    report(run, later, {QUOTE: 1, "AAA": 1_780, "BBB": 1_335})
    with liquidation_fault("A"):
        halted = run.accept(Liquidate("keeper", 0, "alice", 0, "A", MARKET, later))
        settled = run.accept(Liquidate("keeper", 1, "erin", 0, "B", MARKET, later))

    assert [type(e) for e in halted.events] == [PoolHalted]
    assert halted.events[0] == PoolHalted(
        pool="A", command="Liquidate", cause="RuntimeError: injected liquidation fault in pool A", timestamp_ns=later
    )
    assert any(isinstance(e, PositionLiquidated) for e in settled.events)
    assert run.pool("A").status is PoolStatus.HALTED
    assert run.pool("B").status is PoolStatus.ACTIVE
    assert ((("alice", 0), MARKET)) in run.pool("A").positions
    run.assert_replay_equals_live()


# --- the degraded-oracle rule ---------------------------------------------------------------

LATER = T0 + 60 * SECOND_NS


def guarded_aaa_run() -> Run:
    """Return ``traders_run`` after AAA was accepted at 1780, then jumped to 800 (held back)."""
    run = traders_run()
    report(run, LATER, {QUOTE: 1, "AAA": 1_780, "BBB": 1_500})
    report(run, LATER + SECOND_NS, {"AAA": 800}, sources=("s1", "s2"))
    oracle = run.engine.state.oracles["AAA"]
    assert oracle.status is OracleStatus.GUARDED
    assert oracle.accepted_price_wad == 1_780 * WAD
    return run


@pytest.mark.parametrize("owner", ["alice", "frank"], ids=["isolated", "cross"])
def test_guarded_oracle_liquidates_at_the_last_accepted_price(owner: str) -> None:
    run = guarded_aaa_run()
    outcome = run.execute(Liquidate("keeper", 0, owner, 0, "A", MARKET, LATER + SECOND_NS))

    assert isinstance(outcome, Accepted)
    closes = [e for e in outcome.events if isinstance(e, PositionMove)]
    assert len(closes) == 1
    assert isinstance(closes[0], PositionLiquidated)
    assert closes[0].price_wad == 1_780 * WAD  # not the 800 the guard holds back


def test_guarded_oracle_refuses_new_risk_but_lets_risk_be_reduced() -> None:
    run = guarded_aaa_run()
    now = LATER + SECOND_NS

    for increase in (trade("bob", 0, "A", UNIT, None, now), trade("dave", 0, "A", UNIT // 100, 50 * USD, now)):
        error = rejection(run.execute(increase))
        assert isinstance(error, OracleUnavailable)
        assert "guarded" in str(error)
    assert isinstance(run.execute(trade("bob", 0, "A", -UNIT, None, now)), Accepted)
    assert isinstance(run.execute(trade("carol", 0, "B", UNIT, None, now)), Accepted)  # B's oracle is fresh


def stale_aaa_run(cause: str) -> tuple[Run, int]:
    """Return ``traders_run`` after AAA was accepted at 1780, then went stale, and the time."""
    run = traders_run()
    report(run, LATER, {QUOTE: 1, "AAA": 1_780, "BBB": 1_500})
    if cause == "age":
        now = LATER + MAX_STALENESS_NS + SECOND_NS
        report(run, now, {QUOTE: 1, "BBB": 1_500})
    else:  # the sources disagree: fewer than the quorum of two agree within 5%
        now = LATER + SECOND_NS
        run.accept(quotes("AAA", 1_000 * WAD, now, ("s1",))[0])
        run.accept(quotes("AAA", 3_000 * WAD, now, ("s2",))[0])
        assert run.engine.state.oracles["AAA"].status is OracleStatus.STALE
    return run, now


@pytest.mark.parametrize("cause", ["age", "quorum"])
def test_stale_oracle_refuses_liquidations_and_every_trade_of_its_markets(cause: str) -> None:
    run, now = stale_aaa_run(cause)
    commands: list[Command] = [
        Liquidate("keeper", 0, "alice", 0, "A", MARKET, now),
        Liquidate("keeper", 0, "frank", 0, "A", MARKET, now),
        trade("bob", 0, "A", UNIT, None, now),
        trade("bob", 0, "A", -UNIT, None, now),
    ]
    for command in commands:
        error = rejection(run.execute(command))
        assert isinstance(error, OracleUnavailable), command
        assert "stale" in str(error)
    assert isinstance(run.execute(trade("carol", 0, "B", UNIT, None, now)), Accepted)


def test_guarded_oracle_older_than_the_staleness_limit_refuses_liquidation() -> None:
    run = guarded_aaa_run()
    now = LATER + 2 * MAX_STALENESS_NS
    report(run, now, {QUOTE: 1, "BBB": 1_500})

    error = rejection(run.execute(Liquidate("keeper", 0, "alice", 0, "A", MARKET, now)))
    assert isinstance(error, OracleUnavailable)


# --- a rejected command changes nothing -----------------------------------------------------

STALE_NOW = LATER + MAX_STALENESS_NS + SECOND_NS


def make_stale(run: Run) -> None:
    report(run, STALE_NOW, {QUOTE: 1, "BBB": 1_500})


def make_halted(run: Run) -> None:
    halt_pool_a(run)


def no_preparation(run: Run) -> None:
    del run


def liquidatable(run: Run) -> None:
    report(run, LATER, {QUOTE: 1, "AAA": 1_780, "BBB": 1_500})


RejectionCase = tuple[Callable[[Run], None], Command, type[RingfenceError]]

REJECTIONS: dict[str, RejectionCase] = {
    "insufficient margin: cross trade": (no_preparation, trade("bob", 0, "A", 60 * UNIT, None, T0), InsufficientMargin),
    "insufficient margin: isolated trade": (
        no_preparation,
        trade("dave", 0, "A", UNIT, 50 * USD, T0),
        InsufficientMargin,
    ),
    "insufficient margin: withdrawal": (no_preparation, Withdraw("bob", 0, QUOTE, 9_500 * USD, T0), InsufficientMargin),
    "stale oracle: trade": (make_stale, trade("bob", 0, "A", UNIT, None, STALE_NOW), OracleUnavailable),
    "stale oracle: liquidation": (
        make_stale,
        Liquidate("keeper", 0, "alice", 0, "A", MARKET, STALE_NOW),
        OracleUnavailable,
    ),
    "halted pool: trade": (make_halted, trade("alice", 0, "A", -UNIT, 0, T0), CommandRejected),
    "halted pool: liquidation": (make_halted, Liquidate("keeper", 0, "alice", 0, "A", MARKET, T0), CommandRejected),
    "halted pool: provide liquidity": (make_halted, ProvideLiquidity("lp", 0, "A", USD, T0), CommandRejected),
    "halted pool: remove liquidity": (make_halted, RemoveLiquidity("lp", 0, "A", USD, T0), CommandRejected),
    "halted pool: fund insurance": (make_halted, FundInsurance("lp", 0, "A", USD, T0), CommandRejected),
    "unknown market": (
        no_preparation,
        dataclasses.replace(trade("bob", 0, "A", UNIT, None, T0), market="NOPE"),
        UnknownEntity,
    ),
    "unknown pool": (no_preparation, trade("bob", 0, "C", UNIT, None, T0), UnknownEntity),
    "cross in a second pool": (no_preparation, trade("bob", 0, "B", UNIT, None, T0), InvalidParameter),
    "trade size zero": (no_preparation, trade("bob", 0, "A", 0, None, T0), InvalidAmount),
    "trade size float": (no_preparation, trade("bob", 0, "A", 1.5, None, T0), InvalidAmount),  # type: ignore[arg-type]
    "trade size bool": (no_preparation, trade("bob", 0, "A", True, None, T0), InvalidAmount),
    "trade size Decimal": (no_preparation, trade("bob", 0, "A", Decimal(UNIT), None, T0), InvalidAmount),  # type: ignore[arg-type]
    "trade margin negative": (no_preparation, trade("alice", 0, "A", UNIT, -1, T0), InvalidAmount),
    "trade limit negative": (no_preparation, trade("bob", 0, "A", UNIT, None, T0, -1), InvalidAmount),
    "provide liquidity negative": (no_preparation, ProvideLiquidity("lp", 0, "A", -USD, T0), InvalidAmount),
    "provide liquidity zero": (no_preparation, ProvideLiquidity("lp", 0, "A", 0, T0), InvalidAmount),
    "provide liquidity float": (no_preparation, ProvideLiquidity("lp", 0, "A", 1.5, T0), InvalidAmount),  # type: ignore[arg-type]
    "provide liquidity Decimal": (
        no_preparation,
        ProvideLiquidity("lp", 0, "A", Decimal(USD), T0),  # type: ignore[arg-type]
        InvalidAmount,
    ),
    "provide liquidity bool": (no_preparation, ProvideLiquidity("lp", 0, "A", True, T0), InvalidAmount),
    "provide liquidity str": (no_preparation, ProvideLiquidity("lp", 0, "A", "1000000", T0), InvalidAmount),  # type: ignore[arg-type]
    "remove liquidity zero": (no_preparation, RemoveLiquidity("lp", 0, "A", 0, T0), InvalidAmount),
    "remove liquidity negative": (no_preparation, RemoveLiquidity("lp", 0, "A", -USD, T0), InvalidAmount),
    "remove liquidity float": (no_preparation, RemoveLiquidity("lp", 0, "A", 0.5, T0), InvalidAmount),  # type: ignore[arg-type]
    "fund insurance negative": (no_preparation, FundInsurance("lp", 0, "A", -USD, T0), InvalidAmount),
    "fund insurance zero": (no_preparation, FundInsurance("lp", 0, "A", 0, T0), InvalidAmount),
    "fund insurance float": (no_preparation, FundInsurance("lp", 0, "A", 2.5, T0), InvalidAmount),  # type: ignore[arg-type]
    "withdraw zero": (no_preparation, Withdraw("dave", 0, QUOTE, 0, T0), InvalidAmount),
}

FLOAT_MARGIN_BUG = (
    "bug: Trade.margin_atoms is range-checked (0 <= margin <= MAX_ATOMS) but not type-checked in "
    "ringfence.core.pool.decide._check_trade_input, so a float margin (250000000.5) is accepted and "
    "written into the ledger: a fractional quote balance and isolated vault"
)
STR_MARGIN_BUG = (
    "bug: a str Trade.margin_atoms makes `0 <= margin` raise TypeError inside decide_trade; _contained "
    "treats it as a fault of the pool and halts pool A: any caller can halt a pool with a malformed command"
)
FLOAT_LIMIT_BUG = (
    "bug: Trade.limit_price_wad is not type-checked (_check_trade_input), so a float limit is compared "
    "with the exact fill price and the trade is accepted instead of rejected as inexact input (SPEC §1)"
)
KEEPER_BUG = (
    "bug: decide_liquidate never validates keeper_owner / keeper_sub_account (Deposit and Withdraw do, via "
    "_account_key): the keeper reward is credited to a sub-account no command can ever withdraw from"
)

FIRST_CROSS_BUG = (
    "bug: the first cross trade of a sub-account skips the initial-margin check. "
    "ringfence.core.margin._cross_positions (now in core/pool/position_margin.py) returned [] when "
    "state.cross_pool had no entry for the "
    "sub-account, ignoring position_override, so margin_snapshot sees no position: dave/0 with 100 USD "
    "opens 1 unit (IM 202 USD) or 20 units (40,000 USD notional, already below maintenance)"
)

FIXED_BUGS: dict[str, tuple[RejectionCase, str]] = {
    "insufficient margin: first cross trade of a sub-account": (
        (no_preparation, trade("dave", 0, "A", UNIT, None, T0), InsufficientMargin),
        FIRST_CROSS_BUG,
    ),
    "trade margin float": (
        (no_preparation, trade("alice", 0, "A", UNIT, 250 * USD + 0.5, T0), InvalidAmount),  # type: ignore[arg-type]
        FLOAT_MARGIN_BUG,
    ),
    "trade margin str": (
        (no_preparation, trade("alice", 0, "A", UNIT, "250000000", T0), InvalidAmount),  # type: ignore[arg-type]
        STR_MARGIN_BUG,
    ),
    "trade limit float": (
        (no_preparation, trade("bob", 0, "A", UNIT, None, T0, 3_000.0e18), InvalidAmount),  # type: ignore[arg-type]
        FLOAT_LIMIT_BUG,
    ),
    "keeper sub-account out of range": (
        (liquidatable, Liquidate("keeper", -1, "alice", 0, "A", MARKET, LATER), InvalidParameter),
        KEEPER_BUG,
    ),
    # Sent as the principal it names, a malformed keeper owner is now refused by the sender's name
    # check in ``authorize`` (InvalidParameter "sender=..."), before decide_liquidate reads it;
    # sent by anyone else, it would be ActingAsAnother. Either way it changes nothing.
    "keeper owner malformed": (
        (liquidatable, Liquidate("not a name!", 0, "alice", 0, "A", MARKET, LATER), InvalidParameter),
        KEEPER_BUG,
    ),
}

DECIMAL_MARGIN_BUG_FIXED = (
    "bug: a Decimal Trade.margin_atoms passes decide (no type check in _check_trade_input) and the engine "
    "then fails to encode the event: execute_batch raises TypeError (Decimal is not JSON serializable) "
    "instead of returning a rejection, and every other command of the batch is lost with it"
)

REJECTION_PARAMS = [
    *(pytest.param(*case, id=name) for name, case in REJECTIONS.items()),
    # Regressions: each of these was a bug found by this suite and since fixed (reason kept as the record).
    *(pytest.param(*case, id=name) for name, (case, _reason) in FIXED_BUGS.items()),
    pytest.param(
        no_preparation,
        trade("alice", 0, "A", UNIT, Decimal(250 * USD), T0),  # type: ignore[arg-type]
        InvalidAmount,
        id="trade margin Decimal",
    ),
]


@pytest.mark.parametrize(("prepare", "command", "expected"), REJECTION_PARAMS)
def test_rejected_command_changes_neither_state_nor_journal(
    prepare: Callable[[Run], None], command: Command, expected: type[RingfenceError]
) -> None:
    run = traders_run()
    prepare(run)
    state_before = copy.deepcopy(run.engine.state)
    journal_before = run.journal_length()

    outcome = run.execute(command)

    assert isinstance(outcome, Rejected), f"accepted: {outcome}"
    assert isinstance(outcome.error, expected), repr(outcome.error)
    assert run.engine.state == state_before
    assert run.journal_length() == journal_before


# --- shared collateral assets: deposit-weight scaling counts one pool's deposits (SPEC §2.3) -----

COLLATERAL = "COL"
"""A collateral asset both pools' traders hold, at 100 USD, whose IM weight (80%) scales past 50,000 USD."""


def shared_collateral_run() -> Run:
    """Return pools A and B (as ``two_pool_run``) with ``COL`` listed, priced and scaling its weight.

    ``COL`` and its oracle are listed in the admin's genesis (a live venue lists only by proposal).
    """
    listing = (
        RegisterAsset(COLLATERAL, 18, 80 * PERCENT, 85 * PERCENT, NO_LIMIT, 50_000 * USD, START_NS),
        configure_oracle(COLLATERAL, START_NS),
    )
    run = two_pool_run(SEPARATE, listings=listing)
    report(run, START_NS, {COLLATERAL: 100})
    return run


@st.composite
def shared_collateral_scripts(draw: st.DrawFn) -> tuple[list[Command], list[list[Command]]]:
    """Draw B's commands (COL and USD deposits, a cross trade in B, a COL withdrawal per trader) and,
    between each two of them, commands of strangers in A (COL deposits and cross trades in A)."""
    b_commands: list[Command] = []
    for index in range(draw(st.integers(1, 3))):
        owner = f"b{index}"
        collateral = draw(st.integers(1, 2_000))
        b_commands += [
            Deposit(owner, 0, COLLATERAL, collateral * UNIT, START_NS),
            Deposit(owner, 0, QUOTE, draw(st.integers(0, 5_000)) * USD, START_NS),
            trade(owner, 0, "B", draw(st.integers(-20, 20).filter(bool)) * UNIT, None, START_NS),
            Withdraw(owner, 0, COLLATERAL, draw(st.integers(1, collateral)) * UNIT, START_NS),
        ]
    a_blocks: list[list[Command]] = []
    for index in range(len(b_commands) + 1):
        block: list[Command] = []
        if draw(st.booleans()):
            owner = f"a{index}"
            block = [
                Deposit(owner, 0, COLLATERAL, draw(st.integers(1, 5_000)) * UNIT, START_NS),
                trade(owner, 0, "A", draw(st.integers(-20, 20).filter(bool)) * UNIT, None, START_NS),
            ]
        a_blocks.append(block)
    return b_commands, a_blocks


def _b_accounts_view(run: Run, owners: list[str]) -> dict[str, object]:
    state = run.engine.state
    view: dict[str, object] = {"pool B": run.pool("B")}
    for owner in owners:
        key = (owner, 0)
        view[owner] = (
            state.accounts.get(key),
            margin_snapshot(state, key, MarginKind.INITIAL, START_NS),
            margin_snapshot(state, key, MarginKind.MAINTENANCE, START_NS),
        )
    return view


@settings(max_examples=40)
@given(scripts=shared_collateral_scripts())
def test_pool_a_deposits_of_a_shared_collateral_asset_change_nothing_of_pool_b_accounts(
    scripts: tuple[list[Command], list[list[Command]]],
) -> None:
    """Strangers depositing a collateral asset B's traders also hold, and trading in A, change no
    outcome, balance, margin (initial or maintenance) or pool state of B: the asset's weight scaling
    counts the deposits of B's bound sub-accounts only."""
    b_commands, a_blocks = scripts
    control, with_a = shared_collateral_run(), shared_collateral_run()

    control_outcomes = [summary(control.execute(command)) for command in b_commands]
    with_a_outcomes = []
    for command, block in zip(b_commands, a_blocks, strict=False):
        with_a.execute_all(block)
        with_a_outcomes.append(summary(with_a.execute(command)))
    with_a.execute_all(a_blocks[-1])

    owners = sorted({command.owner for command in b_commands if isinstance(command, Deposit)})
    assert with_a_outcomes == control_outcomes
    assert _b_accounts_view(with_a, owners) == _b_accounts_view(control, owners)
    with_a.assert_replay_equals_live()


def test_shared_collateral_comparison_can_fail() -> None:
    """The comparison bites: A's strangers bound to B instead (a cross trade in B) do scale B's weight."""
    b_commands: list[Command] = [
        Deposit("b0", 0, COLLATERAL, 1_000 * UNIT, START_NS),
        trade("b0", 0, "B", UNIT, None, START_NS),
    ]
    stranger: list[Command] = [
        Deposit("a0", 0, COLLATERAL, 5_000 * UNIT, START_NS),
        trade("a0", 0, "B", UNIT, None, START_NS),
    ]
    control, with_stranger = shared_collateral_run(), shared_collateral_run()
    control.execute_all(b_commands)
    with_stranger.execute_all(stranger + b_commands)
    control_view = _b_accounts_view(control, ["b0"])
    stranger_view = _b_accounts_view(with_stranger, ["b0"])
    assert control_view["b0"] != stranger_view["b0"]
