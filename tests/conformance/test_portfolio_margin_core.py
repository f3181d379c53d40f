"""Conformance of the exact engine's portfolio margin: the Deribit grid, hedges, wrong-way risk (issue 13 item 3).

Every expected number is computed here by hand or independently of the code under test: perpetual
and collateral scenarios by hand (``fractions``), option values with QuantLib's ``BlackCalculator``
(not ``ringfence.core.pricing``) on Deribit's volatility shock retyped from its published formula.

Premises (``support/portfolio_venue.py``): ETH at 2,000, the perp's cross IM 10% and MM 5%,
ETH collateral weights 80% (IM) / 85% (MM), the rule's Deribit S:PM grid (±16% in 9 buckets ×
volatility up / same / down), IM factor 1.0, MM factor 0.8 (Derive PM2), a perp contingency of 1%
of the price per contract and none for options; the series' smile is flat at 80% a year.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import QuantLib as ql  # noqa: N813 - the library's own documented alias

from ringfence.core.errors import InvalidParameter, NotPortfolioMargined
from ringfence.core.margin import MarginKind
from ringfence.core.pool.commands import Trade
from ringfence.core.pool.portfolio_margin import portfolio_margin
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.series_commands import TradeSeries
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.grid import DERIBIT_EXTENDED_MOVES_PPM, PPM, deribit_standard_scenarios
from ringfence.risk.scenario_grid import DERIVE_TAIL_DAMPENING, deribit_standard
from support.portfolio_venue import ATM_PUT, PortfolioVenue
from support.series import EXPIRY_NS, FLAT_A_WAD, PUT
from support.venue import ETH, MARKET, POOL, USDC, WAD

YEAR_NS = 365 * 86_400 * 10**9
DAY_NS = 86_400 * 10**9
SHOCKS = [Fraction(k * 4, 100) for k in range(-4, 5)]
"""Deribit S:PM's 9 buckets of ±16%."""


# --- the grid -------------------------------------------------------------------------------------


def test_the_integer_grid_is_deribits_and_the_float_presets_own() -> None:
    shocks, moves, weights = deribit_standard_scenarios()
    assert len(shocks) == 27
    assert shocks[::3] == tuple(int(s * PPM) for s in SHOCKS)  # −160,000 … +160,000 ppm in 40,000 steps
    assert moves[:3] == (1, 0, -1) and set(weights) == {PPM}
    floats = deribit_standard(tuple(d for _, d in DERIVE_TAIL_DAMPENING))
    extended = tuple(round(d * PPM) for _, d in DERIVE_TAIL_DAMPENING)
    shocks, moves, weights = deribit_standard_scenarios(extended_weights_ppm=extended)
    assert shocks[27:] == DERIBIT_EXTENDED_MOVES_PPM
    assert [s / PPM for s in shocks] == pytest.approx(floats.spot_shock.tolist(), abs=1e-15)
    assert list(moves) == floats.volatility_move.tolist()
    assert [w / PPM for w in weights] == pytest.approx(floats.weight.tolist(), abs=1e-15)


def test_a_grid_with_a_bucket_off_the_ppm_lattice_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="price_range_ppm"):
        deribit_standard_scenarios(price_range_ppm=160_001)


# --- hedges with perpetuals and collateral (hand arithmetic) ------------------------------------


def _im(venue: PortfolioVenue, owner: str) -> tuple[int, int]:
    snapshot = margin_snapshot(venue.state, (owner, 0), MarginKind.INITIAL, venue.now)
    return snapshot.equity_atoms, snapshot.requirement_atoms


def test_a_perp_hedged_by_its_own_collateral_needs_less_margin_than_under_cross() -> None:
    venue = PortfolioVenue()
    # alice, portfolio: 1 ETH collateral, short 1 ETH perp in P; bob, cross: the same in Q (Q too starts at skew 0)
    for owner in ("alice", "bob"):
        venue.deposit(owner, 1 * ETH, asset="ETH")
    venue.enable("alice")
    venue.pm_trade("alice", "P", -1 * ETH)
    venue.run(Trade("bob", 0, "Q", MARKET, -1 * ETH, MarginMode.CROSS, 0, 0, venue.now))
    pm_equity, pm_requirement = _im(venue, "alice")
    cross_equity, cross_requirement = _im(venue, "bob")
    # PM: the collateral (+1 ETH) and the short (−1 ETH) move together: 0 in every scenario; contingency 1%·2,000
    assert pm_requirement == 20 * USDC
    # cross: IM 10% of 2,000; the ETH counts at its 80% weight (a 400-USDC haircut the grid replaces)
    assert cross_requirement == 200 * USDC
    assert pm_equity - cross_equity == 400 * USDC
    # the portfolio keeps 400 + (200 − 20) = 580 USDC more free margin
    assert (pm_equity - pm_requirement) - (cross_equity - cross_requirement) == 580 * USDC


def test_a_long_and_a_short_perp_in_two_pools_net_under_portfolio_margin() -> None:
    venue = PortfolioVenue()
    venue.deposit("alice", 1_000 * USDC)
    venue.enable("alice")
    venue.pm_trade("alice", "P", 1 * ETH)
    venue.pm_trade("alice", "Q", -1 * ETH)
    margin = portfolio_margin(venue.state, ("alice", 0), MarginKind.INITIAL, venue.now)
    assert margin.max_loss_value == 0
    assert margin.requirement_value == 40 * USDC  # two perp contingencies of 1% · 2,000
    # cross cannot hold them in one sub-account (it is bound to one pool); two cross sub-accounts need 2 × 200
    venue.deposit("bob", 1_000 * USDC)
    venue.trade("bob", 1 * ETH)
    venue.refuse(
        Trade("bob", 0, "Q", MARKET, -1 * ETH, MarginMode.CROSS, 0, 0, venue.now), InvalidParameter, "not bound"
    )
    assert _im(venue, "bob")[1] == 200 * USDC
    assert 2 * 200 * USDC - margin.requirement_value == 360 * USDC


def test_a_long_perp_collateralised_in_its_own_underlying_needs_more_than_in_the_quote_asset() -> None:
    venue = PortfolioVenue()
    venue.deposit("alice", 1 * ETH, asset="ETH")
    venue.deposit("bob", 2_000 * USDC)
    for owner in ("alice", "bob"):
        venue.enable(owner)
    venue.pm_trade("alice", "P", 1 * ETH)
    venue.pm_trade("bob", "Q", 1 * ETH)
    ww = portfolio_margin(venue.state, ("alice", 0), MarginKind.MAINTENANCE, venue.now)
    quote = portfolio_margin(venue.state, ("bob", 0), MarginKind.MAINTENANCE, venue.now)
    # worst scenario −16%: the perp loses 320 and, for alice, the ETH collateral another 320
    assert ww.losses[0].worst_scenario == 0 and ww.max_loss_value == 640 * USDC
    assert ww.requirement_value == 640 * USDC * 8 // 10 + 20 * USDC  # 0.8 · 640 + 1% · 2,000 = 532
    assert quote.requirement_value == 320 * USDC * 8 // 10 + 20 * USDC  # 276
    assert ww.requirement_value - quote.requirement_value == 256 * USDC


# --- options (QuantLib) ---------------------------------------------------------------------------


def _ql_value(is_call: bool, forward: float, strike: float, sigma: float, years: float) -> float:
    option = ql.Option.Call if is_call else ql.Option.Put
    return ql.BlackCalculator(ql.PlainVanillaPayoff(option, strike), forward, sigma * math.sqrt(years), 1.0).value()


def _shocked(sigma: float, days: float, move: int) -> float:
    """Deribit's volatility shock, BTC parameters (range up 0.5, down 0.25, floor 0.5, powers 0.3 / 0.13)."""
    scale = (30.0 / days) ** (0.3 if days < 30 else 0.13)
    if move > 0:
        return max(sigma * (1 + 0.5 * scale), 0.5)
    return sigma * (1 - 0.25 * scale) if move < 0 else sigma


def _option_pnl(venue: PortfolioVenue, strike: float, size: float) -> list[float]:
    """A put's P&L per Deribit scenario (bucket-major, vol up / same / down), USD, by QuantLib."""
    remaining = EXPIRY_NS - venue.now
    years, days = remaining / YEAR_NS, remaining / DAY_NS
    sigma = math.sqrt(FLAT_A_WAD / WAD / years)  # the flat smile's total variance over the time left
    now = _ql_value(False, 2_000.0, strike, sigma, years)
    return [
        size * (_ql_value(False, 2_000.0 * (1 + float(s)), strike, _shocked(sigma, days, move), years) - now)
        for s in SHOCKS
        for move in (1, 0, -1)
    ]


def _expected_atoms(pnl: list[float], factor: float, contingency_usd: float) -> float:
    return (max(0.0, -min(pnl)) * factor + contingency_usd) * USDC


def test_a_long_perp_and_a_long_put_tie_up_less_margin_than_under_cross() -> None:
    venue = PortfolioVenue(series=True)
    for owner in ("alice", "bob"):
        venue.deposit(owner, 3_000 * USDC)
    venue.enable("alice")
    venue.pm_trade("alice", POOL, 1 * ETH)
    venue.pm_series("alice", ATM_PUT, 1 * ETH)
    venue.trade("bob", 1 * ETH)
    venue.run(TradeSeries("bob", 0, POOL, ATM_PUT, 1 * ETH, MarginMode.CROSS, 0, 0, venue.now))
    put = _option_pnl(venue, 2_000.0, 1.0)
    pnl = [p + 2_000.0 * float(s) for p, s in zip(put, [s for s in SHOCKS for _ in range(3)], strict=True)]
    margin = portfolio_margin(venue.state, ("alice", 0), MarginKind.INITIAL, venue.now)
    expected = _expected_atoms(pnl, 1.0, 20.0)  # the worst loss, plus the perp contingency
    # the integer Black-76 is within 1e-18 of the exact value, QuantLib within ~1e-12 relative: ±1 atom
    assert abs(margin.requirement_value - math.ceil(expected)) <= 1
    # by hand: the worst scenario is −16% with volatility down (the put gains less than the perp loses)
    assert pnl.index(min(pnl)) == 2 == margin.losses[0].worst_scenario
    # cross: IM 10% of the perp, the long put needs nothing but counts 0 at initial margin
    cross_equity, cross_requirement = _im(venue, "bob")
    assert cross_requirement == 200 * USDC
    # free margin, each side from its own balances and positions: the put's mark counts under PM
    pm_free = margin.equity_value - margin.requirement_value
    cross_free = cross_equity - cross_requirement
    put_value = _ql_value(
        False,
        2_000.0,
        2_000.0,
        math.sqrt(FLAT_A_WAD / WAD / ((EXPIRY_NS - venue.now) / YEAR_NS)),
        (EXPIRY_NS - venue.now) / YEAR_NS,
    )
    alice_cash, bob_cash = venue.balance("alice"), venue.balance("bob")
    alice_perp = venue.state.pools[POOL].positions[(("alice", 0), MARKET)]
    bob_perp = venue.state.pools[POOL].positions[(("bob", 0), MARKET)]
    alice_by_hand = alice_cash + (2_000 * USDC - alice_perp.open_notional_atoms) + put_value * USDC - expected
    bob_by_hand = bob_cash + (2_000 * USDC - bob_perp.open_notional_atoms) - 200 * USDC
    assert pm_free == pytest.approx(alice_by_hand, abs=3)
    assert cross_free == pytest.approx(bob_by_hand, abs=1)
    assert pm_free > cross_free + 200 * USDC  # the hedge frees more than 200 USDC (the put's value less 22 USDC)


def test_a_short_put_collateralised_in_its_underlying_needs_more_than_in_the_quote_asset() -> None:
    venue = PortfolioVenue(series=True)
    venue.deposit("alice", 1 * ETH, asset="ETH")
    venue.deposit("bob", 2_000 * USDC)
    for owner in ("alice", "bob"):
        venue.enable(owner)
    venue.pm_series("alice", PUT, -1 * ETH)
    venue.pm_series("bob", PUT, -1 * ETH)
    short_put = _option_pnl(venue, 1_800.0, -1.0)
    with_eth = [p + 2_000.0 * float(s) for p, s in zip(short_put, [s for s in SHOCKS for _ in range(3)], strict=True)]
    ww = portfolio_margin(venue.state, ("alice", 0), MarginKind.MAINTENANCE, venue.now)
    quote = portfolio_margin(venue.state, ("bob", 0), MarginKind.MAINTENANCE, venue.now)
    assert abs(ww.requirement_value - math.ceil(_expected_atoms(with_eth, 0.8, 0.0))) <= 1
    assert abs(quote.requirement_value - math.ceil(_expected_atoms(short_put, 0.8, 0.0))) <= 1
    # wrong-way risk: the collateral falls 320 USDC in the put's worst scenario (−16%, volatility up)
    assert short_put.index(min(short_put)) == 0 and with_eth.index(min(with_eth)) == 0
    difference = ww.requirement_value - quote.requirement_value
    assert difference == pytest.approx(0.8 * 320 * USDC, abs=2)


def test_a_portfolio_sub_account_trades_in_portfolio_mode_only_and_others_never() -> None:
    venue = PortfolioVenue()
    venue.deposit("alice", 1_000 * USDC)
    venue.enable("alice")
    venue.refuse(venue.trade_command("alice", ETH), InvalidParameter, "portfolio-margined")
    venue.deposit("bob", 1_000 * USDC)
    venue.refuse(venue.trade_command("bob", ETH, MarginMode.PORTFOLIO), NotPortfolioMargined, "EnablePortfolioMargin")
