"""Conformance of portfolio margin: the venues' grids, the volatility shock, SPAN by hand, hedges, wrong-way risk.

Independent references: the Deribit volatility shock retyped from its published formula; a SPAN
grid on a future worked by hand; option scenario values from QuantLib's ``BlackCalculator`` (not
from ``ringfence.risk.options``); expected shortfall by sorting each account's losses directly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import QuantLib as ql  # noqa: N813 - the library's own documented alias
from scipy import sparse

from ringfence.core.errors import InvalidParameter
from ringfence.risk.portfolio_margin import (
    Collateral,
    InstrumentKind,
    Instruments,
    Market,
    PortfolioMarginRule,
    portfolio_requirement,
    scenario_pnl,
)
from ringfence.risk.scenario_grid import (
    DERIBIT_BTC_SHOCK,
    DERIVE_TAIL_DAMPENING,
    VolatilityMove,
    VolatilityShock,
    deribit_standard,
    derive_pm2,
    span_standard,
)
from ringfence.risk.value_at_risk import historical_returns, monte_carlo_returns, tail_risk

DAMPENERS = tuple(d for _, d in DERIVE_TAIL_DAMPENING)  # stand-in: Deribit does not publish its own


def test_deribit_volatility_shock_by_hand() -> None:
    # σ = 80%: 15 days (short-term power 0.3) and 60 days (long-term power 0.13); σ = 20% at 60 days
    # hits the 50% floor of the up shock
    up_15 = 0.8 * (1 + 0.5 * 2**0.3)
    down_15 = 0.8 * (1 - 0.25 * 2**0.3)
    up_60 = 0.8 * (1 + 0.5 * 0.5**0.13)
    shocked = DERIBIT_BTC_SHOCK.shocked(
        np.array([0.8, 0.8, 0.8, 0.2, 0.8]),
        np.array([15, 15, 60, 60, 60]) / 365.0,
        np.array([VolatilityMove.UP, VolatilityMove.DOWN, VolatilityMove.UP, VolatilityMove.UP, VolatilityMove.STATIC]),
    )
    np.testing.assert_allclose(shocked, [up_15, down_15, up_60, 0.5, 0.8], rtol=1e-14)
    assert up_15 == pytest.approx(1.2924578, abs=1e-7)  # 0.8·(1 + 0.5·1.2311444)


def test_a_down_shock_that_removes_all_volatility_is_refused() -> None:
    shock = VolatilityShock(
        range_up=0.5, range_down=1.0, min_volatility_up=0.0, short_term_power=0.3, long_term_power=0.13
    )
    with pytest.raises(InvalidParameter):
        shock.shocked(0.5, 10 / 365, VolatilityMove.DOWN)


def test_grids_have_the_published_shape() -> None:
    deribit = deribit_standard(DAMPENERS)
    assert deribit.size == 35  # 9 buckets × 3 volatility moves + 8 extended moves
    np.testing.assert_allclose(sorted(set(deribit.spot_shock[:27].round(12))), [0.04 * k for k in range(-4, 5)])
    assert (deribit.volatility_move[27:] == VolatilityMove.UP).all()
    span = span_standard(price_scan_range=0.1, volatility_scan_range=0.25)
    assert span.size == 16
    np.testing.assert_allclose(span.spot_shock[:2], [0.0, 0.0])
    np.testing.assert_allclose(span.spot_shock[14:], [0.3, -0.3])
    np.testing.assert_allclose(span.weight[14:], [0.35, 0.35])
    derive = derive_pm2(DERIBIT_BTC_SHOCK)
    assert derive.size == 31  # 23 regular + 8 tail
    assert derive.spot_shock[0] == pytest.approx(0.18) and derive.volatility_move[0] == VolatilityMove.UP
    assert derive.spot_shock[22] == pytest.approx(-0.18)


def _book(kinds: list[InstrumentKind], strikes: list[float], expiry_days: float, vol: float, price: float = 100.0):  # type: ignore[no-untyped-def]
    market = Market.of([price])
    instruments = Instruments.of([0] * len(kinds), [int(k) for k in kinds], strikes, expiry_days / 365.0, vol, market)
    return market, instruments


def test_span_grid_on_one_future_by_hand() -> None:
    # long 2 futures at 100, price scan range 10%: the worst regular scenario loses 2·10 = 20; the
    # extreme move of 3 ranges loses 2·30 = 60 of which 35% (21) counts: the requirement is 21
    market, instruments = _book([InstrumentKind.LINEAR], [float("nan")], 30, float("nan"))
    rule = PortfolioMarginRule(span_standard(price_scan_range=0.1, volatility_scan_range=0.25))
    result = portfolio_requirement(sparse.csr_array([[2.0]]), instruments, market, rule)
    assert result.max_loss[0] == pytest.approx(21.0, rel=1e-12)
    assert result.worst_scenario[0] == 15  # the 16th scenario: down extreme


def _quantlib_value(kind: InstrumentKind, forward: float, strike: float, years: float, sigma: float) -> float:
    option = ql.Option.Call if kind == InstrumentKind.CALL else ql.Option.Put
    return ql.BlackCalculator(ql.PlainVanillaPayoff(option, strike), forward, sigma * math.sqrt(years), 1.0).value()


def test_option_scenario_values_match_quantlib_on_the_deribit_grid() -> None:
    market, instruments = _book([InstrumentKind.CALL, InstrumentKind.PUT], [110.0, 90.0], 20, 0.7)
    grid = deribit_standard(DAMPENERS)
    pnl = scenario_pnl(instruments, market, grid)
    for i, kind in enumerate((InstrumentKind.CALL, InstrumentKind.PUT)):
        strike = (110.0, 90.0)[i]
        now = _quantlib_value(kind, 100.0, strike, 20 / 365, 0.7)
        for s in range(grid.size):
            move = grid.volatility_move[s]
            power = 0.3  # 20 days < 30: the short-term power
            scale = (30 / 20) ** power
            sigma = max(0.7 * (1 + 0.5 * scale), 0.5) if move > 0 else (0.7 * (1 - 0.25 * scale) if move < 0 else 0.7)
            later = _quantlib_value(kind, 100.0 * (1 + grid.spot_shock[s]), strike, 20 / 365, sigma)
            assert pnl[i, s] == pytest.approx((later - now) * grid.weight[s], rel=1e-9, abs=1e-12)


def test_a_hedged_portfolio_needs_less_than_its_legs_apart() -> None:
    # long 1 perp + long 1 put at the money: on the way down the put pays, so the portfolio's loss
    # is the perp's loss minus the put's gain; margined apart, each leg's worst case is charged in full
    market, instruments = _book([InstrumentKind.LINEAR, InstrumentKind.PUT], [float("nan"), 100.0], 30, 0.6)
    grid = span_standard(price_scan_range=0.12, volatility_scan_range=0.2, extreme_multiple=2.0)
    rule = PortfolioMarginRule(grid)
    both = portfolio_requirement(sparse.csr_array([[1.0, 1.0]]), instruments, market, rule).requirement[0]
    perp = portfolio_requirement(sparse.csr_array([[1.0, 0.0]]), instruments, market, rule).requirement[0]
    put = portfolio_requirement(sparse.csr_array([[0.0, 1.0]]), instruments, market, rule).requirement[0]
    # by hand with QuantLib: one day passes (SPAN's look-ahead); the put is worth at least its
    # intrinsic value in a fall, so the hedge's loss in each scenario is bounded by the premium paid
    day = 1 / 365
    premium = _quantlib_value(InstrumentKind.PUT, 100.0, 100.0, 30 / 365, 0.6)
    losses = []
    for s in range(grid.size):
        move = grid.volatility_move[s]
        sigma = 0.6 * (1 + 0.2 * move)
        price = 100.0 * (1 + grid.spot_shock[s])
        put_later = _quantlib_value(InstrumentKind.PUT, price, 100.0, 30 / 365 - day, sigma)
        losses.append(-((price - 100.0) + (put_later - premium)) * grid.weight[s])
    assert both == pytest.approx(max(*losses, 0.0), rel=1e-9)
    assert both < perp + put
    # the perp alone: the full down scan loses 12; the extreme move (2·12 = 24) counts 35%, 8.4
    assert perp == pytest.approx(12.0, rel=1e-12)


def test_collateral_in_the_underlying_raises_a_short_puts_requirement() -> None:
    # the same short put, collateralised by 1,000 USDC or by 10 ETH worth the same: in the down
    # scenarios the ETH falls with the put, so the worst loss grows by the collateral's fall there
    market, instruments = _book([InstrumentKind.PUT], [95.0], 14, 0.8)
    grid = deribit_standard(DAMPENERS)
    rule = PortfolioMarginRule(grid)
    collateral = Collateral.of([-1, 0], [1.0, 100.0], market)  # USDC (quote), ETH (moves with underlying 0)
    short = sparse.csr_array([[-1.0]])
    in_quote = portfolio_requirement(short, instruments, market, rule, sparse.csr_array([[1000.0, 0.0]]), collateral)
    in_underlying = portfolio_requirement(short, instruments, market, rule, sparse.csr_array([[0.0, 10.0]]), collateral)
    assert in_underlying.requirement[0] > in_quote.requirement[0]
    # by hand with QuantLib: the short put's loss in each scenario, then the ETH's fall added
    put_now = _quantlib_value(InstrumentKind.PUT, 100.0, 95.0, 14 / 365, 0.8)
    scale = (30 / 14) ** 0.3
    put_loss, eth_loss = [], []
    for k in range(grid.size):
        move = grid.volatility_move[k]
        sigma = max(0.8 * (1 + 0.5 * scale), 0.5) if move > 0 else (0.8 * (1 - 0.25 * scale) if move < 0 else 0.8)
        later = _quantlib_value(InstrumentKind.PUT, 100.0 * (1 + grid.spot_shock[k]), 95.0, 14 / 365, sigma)
        put_loss.append((later - put_now) * grid.weight[k])
        eth_loss.append(-10 * 100.0 * grid.spot_shock[k] * grid.weight[k])
    assert in_quote.max_loss[0] == pytest.approx(max(put_loss), rel=1e-9)
    assert in_underlying.max_loss[0] == pytest.approx(
        max(p + e for p, e in zip(put_loss, eth_loss, strict=True)), rel=1e-9
    )
    # the two are worst in different scenarios: the quote-collateralised put at the dampened −66%,
    # the ETH-collateralised one at −16% with volatility up, where the ETH's fall counts in full
    assert (in_quote.worst_scenario[0], in_underlying.worst_scenario[0]) == (27, 0)


def test_option_contingency_counts_net_shorts_per_strike() -> None:
    # call +10 and put −20 at one strike and expiry: net short 10 → 10 · 1% · 100 = 10
    # (Deribit's published example of its option contingency; here 1% of the underlying's price)
    market, instruments = _book(
        [InstrumentKind.CALL, InstrumentKind.PUT, InstrumentKind.PUT], [100.0, 100.0, 80.0], 30, 0.5
    )
    rule = PortfolioMarginRule(derive_pm2(DERIBIT_BTC_SHOCK), option_contingency=0.01)
    result = portfolio_requirement(sparse.csr_array([[10.0, -20.0, 3.0]]), instruments, market, rule)
    assert result.contingency[0] == pytest.approx(10.0, rel=1e-12)


def test_span_short_option_minimum_is_a_floor() -> None:
    # a far out-of-the-money short call loses almost nothing on the grid; SPAN charges at least
    # the short-option minimum per short contract (5 contracts × 0.4)
    market, instruments = _book([InstrumentKind.CALL], [400.0], 7, 0.3)
    rule = PortfolioMarginRule(span_standard(0.1, 0.2), short_option_minimum=0.4)
    result = portfolio_requirement(sparse.csr_array([[-5.0]]), instruments, market, rule)
    assert result.max_loss[0] < 1e-6
    assert result.requirement[0] == pytest.approx(2.0)


def test_matrix_aggregation_equals_a_per_account_loop() -> None:
    rng = np.random.default_rng(7)
    market = Market.of([100.0, 2000.0])
    count = 40
    kinds = rng.integers(0, 3, count)
    instruments = Instruments.of(
        rng.integers(0, 2, count),
        kinds,
        rng.uniform(0.7, 1.3, count) * np.where(rng.integers(0, 2, count), 100, 2000),
        rng.uniform(2, 90, count) / 365,
        rng.uniform(0.3, 1.2, count),
        market,
    )
    positions = sparse.random_array(
        (25, count), density=0.2, random_state=8, data_sampler=lambda size: rng.normal(0, 3, size)
    )
    rule = PortfolioMarginRule(deribit_standard(DAMPENERS))
    result = portfolio_requirement(positions, instruments, market, rule)
    dense = positions.toarray()
    pnl = scenario_pnl(instruments, market, rule.grid)
    for a in range(25):
        per_scenario = [sum(dense[a, i] * pnl[i, s] for i in range(count)) for s in range(rule.grid.size)]
        assert result.max_loss[a] == pytest.approx(max(0.0, -min(per_scenario)), rel=1e-12, abs=1e-9)


def test_expected_shortfall_against_a_direct_sort() -> None:
    rng = np.random.default_rng(11)
    market = Market.of([100.0, 50.0])
    instruments = Instruments.of([0, 1, 0], [0, 2, 1], [1.0, 45.0, 110.0], 30 / 365, 0.6, market)
    returns = monte_carlo_returns([0.8, 0.6], [[1.0, 0.5], [0.5, 1.0]], 2 / 365, 1_000, rng)
    positions = sparse.csr_array([[1.0, 0.0, -2.0], [0.0, 5.0, 0.0], [-3.0, 1.0, 1.0]])
    risk = tail_risk(positions, instruments, market, returns, 2 / 365, 0.99)
    assert risk.tail_count == 10

    # directly: value each instrument with QuantLib in each scenario, sort each account's losses
    def value(i: int, price: float, years: float) -> float:
        if i == 0:
            return price
        kind = InstrumentKind.PUT if i == 1 else InstrumentKind.CALL
        return _quantlib_value(kind, price, [0, 45.0, 110.0][i], years, 0.6)

    start = np.array([100.0, 50.0])
    now = [value(i, start[[0, 1, 0][i]], 30 / 365) for i in range(3)]
    for a in range(3):
        losses = []
        for r in returns:
            prices = start * np.exp(r)
            later = [value(i, prices[[0, 1, 0][i]], 28 / 365) for i in range(3)]
            losses.append(-sum(positions.toarray()[a, i] * (later[i] - now[i]) for i in range(3)))
        worst = sorted(losses, reverse=True)[:10]
        assert risk.expected_shortfall[a] == pytest.approx(sum(worst) / 10, rel=1e-9)
        assert risk.value_at_risk[a] == pytest.approx(worst[-1], rel=1e-9)


def test_historical_returns_are_overlapping_log_returns() -> None:
    prices = np.array([[100.0, 10.0], [110.0, 10.0], [121.0, 5.0], [100.0, 10.0]])
    returns = historical_returns(prices, 2)
    np.testing.assert_allclose(returns, [[math.log(1.21), math.log(0.5)], [math.log(100 / 110), 0.0]])
