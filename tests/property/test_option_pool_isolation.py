"""Pool isolation with option series (issue 13, SPEC §2.9): a default in an option pool costs no other pool anything.

Two pools on separate underlyings (``AAA`` for A, ``BBB`` for B, the layout of
``test_pool_isolation.py``) each list option series beside their perpetual; random traders sell
and buy options in both, isolated and cross. The same script runs twice: in the *default* run
A's underlying then falls 40% three times and its smile's volatility doubles, keepers liquidate
every A series position they can (``LiquidateSeries``) and a whale's short puts in A go bankrupt,
so shortfalls go down A's waterfall (insurance, backstop, LPs); in the *control* run A's price
and smile stay put. Both runs then run the same commands in B. Pool B, B's oracle, B's events and
every sub-account with nothing in A must be identical between the runs; value is conserved after
every command and replay equals live (``Run``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from pool_builders import PERCENT, QUOTE, SEPARATE, START_NS, UNIT, USD, WAD, Run, b_view, quotes, two_pool_run

from ringfence.core.commands import Command, Deposit
from ringfence.core.pool.events import InsuranceDrawn, LossSocialised
from ringfence.core.pool.series_commands import LiquidateSeries, ListSeries, PublishVolSurface, TradeSeries
from ringfence.core.pool.series_events import SeriesPositionLiquidated
from ringfence.core.pool.series_state import SeriesKind, SeriesParams
from ringfence.core.pool.state import MarginMode
from ringfence.core.state import AccountKey

DAY_NS = 86_400 * 10**9
EXPIRY_NS = START_NS + 30 * DAY_NS
A_PUT, A_CALL, B_PUT, B_CALL = "AAA-P-1800", "AAA-C-2200", "BBB-P-1400", "BBB-C-1600"
A_SERIES, B_SERIES = (A_PUT, A_CALL), (B_PUT, B_CALL)
WHALE: AccountKey = ("whale", 0)


def _params(series: str, underlying: str, kind: SeriesKind, strike: int) -> SeriesParams:
    return SeriesParams(
        series=series,
        kind=kind,
        underlying=underlying,
        strike_wad=strike * WAD,
        expiry_ns=EXPIRY_NS,
        spread_wad=1 * PERCENT,
        skew_scale_atoms=1_000 * UNIT,
        vol_impact_wad=10 * PERCENT,
        taker_fee_wad=3 * PERCENT // 100,
        fee_cap_wad=125 * PERCENT // 10,
        open_interest_cap_atoms=1_000 * UNIT,
        initial_margin_wad=15 * PERCENT,
        minimum_margin_wad=10 * PERCENT,
        maintenance_margin_wad=75 * PERCENT // 10,
        settlement_window_ns=1_800 * 10**9,
        surface_max_age_ns=365 * DAY_NS,
        max_atm_vol_jump_wad=0,
    )


LISTINGS: tuple[Command, ...] = (
    ListSeries("A", _params(A_PUT, "AAA", SeriesKind.PUT, 1_800), START_NS),
    ListSeries("A", _params(A_CALL, "AAA", SeriesKind.CALL, 2_200), START_NS),
    ListSeries("B", _params(B_PUT, "BBB", SeriesKind.PUT, 1_400), START_NS),
    ListSeries("B", _params(B_CALL, "BBB", SeriesKind.CALL, 1_600), START_NS),
)


def _smile(pool: str, underlying: str, total_variance_wad: int, now_ns: int) -> PublishVolSurface:
    """A flat smile: ``w = a`` (b = 0)."""
    return PublishVolSurface("s1", pool, underlying, EXPIRY_NS, total_variance_wad, 0, 0, 0, WAD // 10, now_ns)


FLAT_80 = 64 * PERCENT * 30 // 365
"""0.8² · 30/365: 80% a year over the 30 days to expiry."""


@dataclass(frozen=True)
class OptionTrade:
    owner: int
    pool: str
    series_index: int
    size_units: int
    cross: bool
    margin_usd: int


trades = st.builds(
    OptionTrade,
    st.integers(0, 3),
    st.sampled_from(("A", "B")),
    st.integers(0, 1),
    st.integers(-20, 20).filter(bool),
    st.booleans(),
    st.integers(0, 8_000),
)


def _sub_account(trade: OptionTrade) -> int:
    """Sub-account 0 trades in A only, 1 in B only: a sub-account never spans pools."""
    return 0 if trade.pool == "A" else 1


def _trade_command(trade: OptionTrade, now_ns: int) -> TradeSeries:
    series = (A_SERIES if trade.pool == "A" else B_SERIES)[trade.series_index]
    mode = MarginMode.CROSS if trade.cross else MarginMode.ISOLATED
    margin = 0 if trade.cross else trade.margin_usd * USD
    return TradeSeries(
        f"t{trade.owner}", _sub_account(trade), trade.pool, series, trade.size_units * UNIT, mode, margin, 0, now_ns
    )


def _script(trades_before: list[OptionTrade], trades_after: list[OptionTrade], *, crash: bool) -> Run:
    run = two_pool_run(SEPARATE, START_NS, LISTINGS)
    now = START_NS + 10**9
    run.accept(_smile("A", "AAA", FLAT_80, now))
    run.accept(_smile("B", "BBB", FLAT_80, now))
    for owner in range(4):
        for sub in (0, 1):
            run.accept(Deposit(f"t{owner}", sub, QUOTE, 50_000 * USD, now))
    run.accept(Deposit("whale", 0, QUOTE, 25_000 * USD, now))
    run.accept(TradeSeries("whale", 0, "A", A_PUT, -100 * UNIT, MarginMode.ISOLATED, 24_000 * USD, 0, now))
    for trade in trades_before:
        run.execute(_trade_command(trade, now))
    price = 2_000 * WAD
    for step in range(3):
        now += 60 * 10**9
        if crash:
            price = price * 6 // 10
        run.execute_all(quotes("AAA", price, now) + quotes("BBB", 1_500 * WAD, now) + quotes(QUOTE, WAD, now))
        if crash and step == 0:
            run.execute(_smile("A", "AAA", 4 * FLAT_80, now))  # the volatility spike: 80% → 160%
        for key, series in list(run.pool("A").series_positions):
            run.execute(LiquidateSeries("keeper", 0, key[0], key[1], "A", series, now))
    for trade in trades_after:
        if trade.pool == "B":
            run.execute(_trade_command(trade, now))
    return run


def _untouched(trades_before: list[OptionTrade], trades_after: list[OptionTrade]) -> set[AccountKey]:
    in_b = {(f"t{t.owner}", 1) for t in trades_before + trades_after if t.pool == "B"}
    return in_b | {(f"t{owner}", 1) for owner in range(4)} | {("lp", 1)}


@settings(max_examples=40, deadline=None)
@given(st.lists(trades, min_size=2, max_size=12), st.lists(trades, max_size=6))
def test_a_default_in_an_option_pool_changes_nothing_of_another_pool(
    trades_before: list[OptionTrade], trades_after: list[OptionTrade]
) -> None:
    control = _script(trades_before, trades_after, crash=False)
    default = _script(trades_before, trades_after, crash=True)

    a_events = [e for e in default.events() if getattr(e, "pool", None) == "A"]
    whale = [e for e in a_events if isinstance(e, SeriesPositionLiquidated) and (e.owner, e.sub_account) == WHALE]
    assert whale and whale[0].shortfall_atoms > 0, "the whale's short puts must go bankrupt in the default run"
    assert any(isinstance(e, InsuranceDrawn) for e in a_events)
    assert any(isinstance(e, LossSocialised) for e in a_events)
    untouched = _untouched(trades_before, trades_after)
    expected, actual = b_view(control, SEPARATE, untouched), b_view(default, SEPARATE, untouched)
    assert [name for name, value in expected.items() if actual[name] != value] == []
    control.assert_replay_equals_live()
    default.assert_replay_equals_live()


def test_the_option_isolation_comparison_can_fail() -> None:
    """A planted leak (B's smile moved in the default run only) is reported: the comparison bites."""
    fixed = [OptionTrade(0, "B", 0, -3, False, 2_000), OptionTrade(1, "A", 0, -5, True, 0)]
    control = _script(fixed, [], crash=False)
    default = _script(fixed, [], crash=True)
    default.execute(dataclasses.replace(_smile("B", "BBB", 2 * FLAT_80, START_NS + 10**12)))
    untouched = _untouched(fixed, [])
    expected, actual = b_view(control, SEPARATE, untouched), b_view(default, SEPARATE, untouched)
    assert "pool B" in [name for name, value in expected.items() if actual[name] != value]
