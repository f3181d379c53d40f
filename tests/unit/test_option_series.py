"""Option series and dated futures in a pool: listing, smiles, trades, margin, settlement, liquidation, exposure.

Worked numbers: Black-76 values are computed here with mpmath at 60 digits from the premises of
``tests/support/series.py`` (never by the code under test), every other amount with ``fractions``
and the rounding the module docs state (against the account). Each command runs through the real
engine, with conservation checked after it, and the live state is compared with the journal's replay.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from fractions import Fraction

import mpmath
import pytest

from ringfence.core.errors import (
    CommandRejected,
    DuplicateEntity,
    InsufficientBalance,
    InsufficientMargin,
    InvalidParameter,
    OracleUnavailable,
    SeriesNotTradable,
    Unauthorized,
    UnknownEntity,
    VolSurfaceUnavailable,
)
from ringfence.core.pool.decide import pool_nav_atoms
from ringfence.core.pool.events import InsuranceDrawn, PoolStatusChanged
from ringfence.core.pool.series_commands import AdjustSeriesMargin, LiquidateSeries, ListSeries, SettleSeries
from ringfence.core.pool.series_events import (
    SeriesPositionLiquidated,
    SeriesPositionSettled,
    SeriesSettled,
    SeriesTradeFilled,
)
from ringfence.core.pool.series_state import SeriesKind
from ringfence.core.pool.state import MarginMode, PoolStatus
from ringfence.core.pricing.black76 import NS_PER_YEAR
from support.series import (
    CALL,
    CALL_PARAMS,
    EXPIRY_NS,
    FLAT_A_WAD,
    FUTURE,
    PUT,
    flat_smile,
    option_venue,
    trade_series,
)
from support.venue import ETH, POOL, SECOND_NS, USDC, WAD, Venue, only


@pytest.fixture(autouse=True)
def _mpmath_digits() -> Iterator[None]:
    """Work at 60 digits in every test of this module (``mp.dps`` is global: other modules set their own)."""
    with mpmath.workdps(60):
        yield


MINUTE_NS = 60 * SECOND_NS


def _vol(now_ns: int, a_wad: int = FLAT_A_WAD) -> mpmath.mpf:
    """The flat smile's volatility a year, floored to WAD as the ledger holds it: √(a / τ)."""
    exact = mpmath.sqrt(mpmath.mpf(a_wad) / 10**18 * NS_PER_YEAR / (EXPIRY_NS - now_ns))
    return mpmath.floor(exact * 10**18) / 10**18


def _black76(forward: int, strike: int, now_ns: int, is_call: bool) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Return (price, vega) per ETH, in USDC, at the flat smile."""
    vol, years = _vol(now_ns), mpmath.mpf(EXPIRY_NS - now_ns) / NS_PER_YEAR
    stdev = vol * mpmath.sqrt(years)
    d1 = (mpmath.log(mpmath.mpf(forward) / strike) + stdev**2 / 2) / stdev
    call = forward * mpmath.ncdf(d1) - strike * mpmath.ncdf(d1 - stdev)
    price = call if is_call else call - forward + strike
    return price, forward * mpmath.npdf(d1) * mpmath.sqrt(years)


def _ceil(value: mpmath.mpf) -> int:
    return int(mpmath.ceil(value))


def _floor(value: mpmath.mpf) -> int:
    return int(mpmath.floor(value))


def _option_fill_wad(forward: int, strike: int, now_ns: int, is_call: bool, skew: int, size: int) -> int:
    """mark + vega·Δσ with Δσ = 0.10·(2·skew + size)/(2·1,000 ETH), then × (1 ± 1%); a buy rounds up."""
    price, vega = _black76(forward, strike, now_ns, is_call)
    moved = price + vega * mpmath.mpf(1) / 10 * (2 * skew + size) / (2 * 1_000 * ETH)
    factor = mpmath.mpf(101) / 100 if size > 0 else mpmath.mpf(99) / 100
    wad = moved * factor * 10**18
    return _ceil(wad) if size > 0 else _floor(wad)


def _funded(venue: Venue, *owners: str, amount: int = 10_000 * USDC) -> None:
    for owner in owners:
        venue.deposit(owner, amount)


# --- listing and smiles -------------------------------------------------------------------------------------


def test_a_series_lists_once_and_a_bad_one_is_refused_changing_nothing() -> None:
    venue = option_venue()
    assert set(venue.state.pools[POOL].series) == {CALL, PUT, FUTURE}

    venue.refuse(ListSeries(POOL, CALL_PARAMS, venue.now), CommandRejected, "ProposeVenueChange", sender="admin")
    # a venue change once the venue is open goes through a proposal; in the genesis the rules themselves refuse:
    fresh = Venue(venue.state.pools[POOL].params, venue.state.pools[POOL].markets["ETH-PERP"].params, in_genesis=True)
    fresh.run(ListSeries(POOL, CALL_PARAMS, fresh.now))
    fresh.refuse(ListSeries(POOL, CALL_PARAMS, fresh.now), DuplicateEntity, CALL)
    past = dataclasses.replace(CALL_PARAMS, series="OLD", expiry_ns=fresh.now)
    fresh.refuse(ListSeries(POOL, past, fresh.now), InvalidParameter, "expiry_ns")
    struck_future = dataclasses.replace(CALL_PARAMS, series="F2", kind=SeriesKind.FUTURE, surface_max_age_ns=0)
    fresh.refuse(ListSeries(POOL, struck_future, fresh.now), InvalidParameter, "0 for a dated future")


def test_only_a_feeder_of_the_underlying_publishes_a_smile() -> None:
    venue = option_venue()
    venue.refuse(flat_smile(venue, publisher="mallory"), Unauthorized, "feeder of the ETH oracle")


def test_a_smile_with_negative_total_variance_somewhere_is_refused() -> None:
    venue = option_venue()
    # a + b·σ·√(1 − ρ²) = −0.1 + 0.5·0.1·1 = −0.05 < 0 (Gatheral–Jacquier's minimum of w)
    bad = dataclasses.replace(flat_smile(venue), a_wad=-WAD // 10, b_wad=WAD // 2, sigma_wad=WAD // 10)
    venue.refuse(bad, InvalidParameter, "a \\+ b·σ·√\\(1 − ρ²\\) ≥ 0")
    venue.refuse(dataclasses.replace(flat_smile(venue), rho_wad=WAD), InvalidParameter, "rho_wad")
    venue.refuse(dataclasses.replace(flat_smile(venue), expiry_ns=EXPIRY_NS + 1), UnknownEntity, "option expiry")


def test_an_atm_volatility_jump_past_the_limit_turns_the_pool_reduce_only() -> None:
    venue = option_venue()
    # 80% → √(0.338/0.2) = 130%: a relative move of 62.5% > the 50% limit
    events = venue.run(flat_smile(venue, a_wad=338 * WAD // 1_000))
    changed = only(events, PoolStatusChanged)
    assert changed.status == PoolStatus.REDUCE_ONLY.value
    assert "volatility jump" in changed.reason
    _funded(venue, "alice")
    venue.refuse(trade_series(venue, "alice", CALL, ETH, 500 * USDC), CommandRejected, "reduce-only")


# --- trades -----------------------------------------------------------------------------------------------


def test_buying_a_call_pays_the_premium_and_fee_worked_by_hand() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    lp_before, insurance_before = venue.state.pools[POOL].vault_atoms, venue.state.pools[POOL].insurance_atoms

    fill = only(venue.run(trade_series(venue, "alice", CALL, ETH, 500 * USDC)), SeriesTradeFilled)

    price_wad = _option_fill_wad(2_000, 2_000, venue.now, True, 0, ETH)
    assert fill.price_wad == price_wad
    premium = -(-price_wad // 10**12)  # 1 ETH × price, in USDC atoms, rounded up against the buyer
    assert fill.premium_atoms == premium
    # fee: 0.03% of 2,000 USDC = 0.6 USDC, under the cap 12.5% of the premium
    assert fill.fee_atoms == 600_000 < premium // 8
    assert (fill.lp_fee_atoms, fill.insurance_fee_atoms, fill.protocol_fee_atoms) == (360_000, 120_000, 120_000)
    pool = venue.state.pools[POOL]
    position = pool.series_positions[(("alice", 0), CALL)]
    assert position.isolated_margin_atoms == 500 * USDC - premium - 600_000
    assert pool.vault_atoms == lp_before + premium + 360_000
    assert pool.insurance_atoms == insurance_before + 120_000
    assert venue.balance("alice") == 9_500 * USDC
    venue.assert_replay_equals_live()


def test_a_limit_protects_the_buyer_and_the_refusal_changes_nothing() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    price_wad = _option_fill_wad(2_000, 2_000, venue.now, True, 0, ETH)
    venue.refuse(trade_series(venue, "alice", CALL, ETH, 500 * USDC, limit_wad=price_wad - 1), CommandRejected, "limit")
    venue.run(trade_series(venue, "alice", CALL, ETH, 500 * USDC, limit_wad=price_wad))


def test_the_vega_impact_makes_the_second_buyer_pay_more() -> None:
    venue = option_venue()
    _funded(venue, "alice", "bob")
    first = only(venue.run(trade_series(venue, "alice", CALL, 10 * ETH, 5_000 * USDC)), SeriesTradeFilled)
    second = only(venue.run(trade_series(venue, "bob", CALL, 10 * ETH, 5_000 * USDC)), SeriesTradeFilled)
    assert second.price_wad == _option_fill_wad(2_000, 2_000, venue.now, True, 10 * ETH, 10 * ETH)
    assert second.price_wad > first.price_wad


def test_a_short_put_needs_deribits_initial_margin_to_the_atom() -> None:
    venue = option_venue()
    _funded(venue, "bob")
    # IM per ETH = max(0.15·2,000 − OTM 200, 0.10·2,000) = 200 USDC, on top of the put's mark (a liability)
    mark, _ = _black76(2_000, 1_800, venue.now, False)
    mark_atoms = _ceil(_floor(mark * 10**18) / mpmath.mpf(10**12))  # −1 ETH × mark, floored: the liability rounds up
    received = _option_fill_wad(2_000, 1_800, venue.now, False, 0, -ETH) // 10**12
    fee = 600_000
    needed = 200 * USDC + mark_atoms - received + fee
    refused = venue.refuse(trade_series(venue, "bob", PUT, -ETH, needed - 1), InsufficientMargin, "below")
    assert isinstance(refused, InsufficientMargin)
    assert (refused.equity_value, refused.requirement_value) == (200 * USDC - 1, 200 * USDC)
    fill = only(venue.run(trade_series(venue, "bob", PUT, -ETH, needed)), SeriesTradeFilled)
    assert fill.premium_atoms == -received


def test_open_interest_is_capped_per_series() -> None:
    venue = option_venue()
    _funded(venue, "alice", amount=100_000 * USDC)
    venue.refuse(trade_series(venue, "alice", CALL, 101 * ETH, 60_000 * USDC), CommandRejected, "open interest")


def test_a_stale_smile_refuses_new_risk_but_lets_a_position_close() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    venue.run(trade_series(venue, "alice", CALL, ETH, 500 * USDC))
    for _ in range(7):  # keep the index fresh for two hours; the smile (max age 1 hour) is not republished
        venue.quote_prices(2_000 * WAD, advance_ns=20 * MINUTE_NS)
    venue.refuse(trade_series(venue, "alice", CALL, ETH, 500 * USDC), VolSurfaceUnavailable, "published")
    closed = only(venue.run(trade_series(venue, "alice", CALL, -ETH)), SeriesTradeFilled)
    assert closed.new_size_atoms == 0
    assert (("alice", 0), CALL) not in venue.state.pools[POOL].series_positions
    venue.assert_replay_equals_live()


def test_a_cross_short_put_shares_the_sub_accounts_collateral() -> None:
    venue = option_venue()
    venue.deposit("carol", 1_000 * USDC)
    venue.run(trade_series(venue, "carol", PUT, -ETH, mode=MarginMode.CROSS))
    assert venue.state.cross_pool[("carol", 0)] == POOL
    # 10 puts need 2,000 USDC of initial margin beyond their marks: more than carol holds
    venue.refuse(trade_series(venue, "carol", PUT, -9 * ETH, mode=MarginMode.CROSS), InsufficientMargin, "below")
    venue.assert_replay_equals_live()


# --- settlement --------------------------------------------------------------------------------------------


def _walk_to_expiry(venue: Venue) -> None:
    """ETH at 2,000 until E − 20 min, 2,100 until E + 5 min (the oracle idles, stale, until E − 40 min)."""
    venue.quote_prices(2_000 * WAD, advance_ns=EXPIRY_NS - 40 * MINUTE_NS - venue.now)
    venue.quote_prices(2_100 * WAD, advance_ns=20 * MINUTE_NS)  # accepted at E − 20 min
    venue.quote_prices(2_200 * WAD, advance_ns=25 * MINUTE_NS)  # accepted at E + 5 min


def test_settlement_pays_intrinsic_value_at_the_window_average_worked_by_hand() -> None:
    venue = option_venue()
    _funded(venue, "alice", "bob", "dave")
    venue.run(trade_series(venue, "alice", CALL, 2 * ETH, 1_000 * USDC))
    venue.run(trade_series(venue, "bob", CALL, -ETH, 2_000 * USDC))
    venue.run(trade_series(venue, "dave", PUT, -ETH, 1_000 * USDC))
    venue.refuse(SettleSeries("keeper", POOL, CALL, venue.now), SeriesNotTradable, "expires at")
    _walk_to_expiry(venue)
    pool = venue.state.pools[POOL]
    alice_vault = pool.series_positions[(("alice", 0), CALL)].isolated_margin_atoms
    bob_vault = pool.series_positions[(("bob", 0), CALL)].isolated_margin_atoms
    dave_vault = pool.series_positions[(("dave", 0), PUT)].isolated_margin_atoms
    lp_before = pool.vault_atoms

    events = venue.run(SettleSeries("keeper", POOL, CALL, venue.now))

    # S = (2,000 · 10 min + 2,100 · 20 min) / 30 min = 2,066.666… (floored to WAD)
    settlement = Fraction(2_000 * 10 + 2_100 * 20, 30)
    assert only(events, SeriesSettled).settlement_price_wad == math.floor(settlement * WAD)
    payoff_wad = math.floor(settlement * WAD) - 2_000 * WAD
    paid = {(e.owner, e.paid_atoms, e.released_atoms) for e in events if isinstance(e, SeriesPositionSettled)}
    alice_gets = 2 * payoff_wad // 10**12  # a long's value floored
    bob_pays = -((-payoff_wad) // 10**12)  # a short's liability rounded up
    assert paid == {("alice", alice_gets, alice_vault + alice_gets), ("bob", -bob_pays, bob_vault - bob_pays)}
    assert venue.state.pools[POOL].vault_atoms == lp_before + bob_pays - alice_gets
    assert venue.balance("alice") == 9_000 * USDC + alice_vault + alice_gets
    venue.refuse(trade_series(venue, "alice", CALL, ETH, 500 * USDC), SeriesNotTradable, "settled")
    venue.refuse(SettleSeries("keeper", POOL, CALL, venue.now), SeriesNotTradable, "already settled")
    # the put (K = 1,800) expires worthless: dave's margin comes back whole
    put_events = venue.run(SettleSeries("keeper", POOL, PUT, venue.now))
    assert only(put_events, SeriesPositionSettled).released_atoms == dave_vault
    venue.assert_replay_equals_live()


def test_a_window_no_fresh_price_reached_cannot_settle() -> None:
    venue = option_venue()
    venue.now = EXPIRY_NS + MINUTE_NS
    venue.refuse(SettleSeries("keeper", POOL, CALL, venue.now), OracleUnavailable, "settlement window opened")


def test_a_dated_future_settles_its_pnl_at_the_window_average() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    fill = only(venue.run(trade_series(venue, "alice", FUTURE, ETH, 300 * USDC)), SeriesTradeFilled)
    # Synthetix skew premium 2,000·(2·1,000 + 1)/(2·1,000) = 2,001, then + 1% spread
    assert fill.price_wad == 2_021_010 * WAD // 1_000
    assert fill.new_open_value_atoms == 2_021_010_000
    vault = 300 * USDC - 600_000
    assert venue.state.pools[POOL].series_positions[(("alice", 0), FUTURE)].isolated_margin_atoms == vault
    _walk_to_expiry(venue)
    events = venue.run(SettleSeries("keeper", POOL, FUTURE, venue.now))
    settlement_wad = math.floor(Fraction(2_000 * 10 + 2_100 * 20, 30) * WAD)
    pnl = settlement_wad // 10**12 - 2_021_010_000
    assert only(events, SeriesPositionSettled).paid_atoms == pnl
    assert venue.balance("alice") == 10_000 * USDC - 300 * USDC + vault + pnl


# --- liquidation -------------------------------------------------------------------------------------------


def test_an_underwater_short_call_is_bought_back_at_mark_and_its_shortfall_goes_down_the_waterfall() -> None:
    venue = option_venue(insurance_atoms=5_000 * USDC)
    _funded(venue, "bob")
    venue.run(trade_series(venue, "bob", CALL, -ETH, 310 * USDC))
    venue.refuse(LiquidateSeries("keeper", 0, "bob", 0, POOL, CALL, venue.now), CommandRejected, "not below")
    venue.quote_prices(2_600 * WAD)
    pool = venue.state.pools[POOL]
    vault = pool.series_positions[(("bob", 0), CALL)].isolated_margin_atoms
    lp_before, insurance_before = pool.vault_atoms, pool.insurance_atoms

    events = venue.run(LiquidateSeries("keeper", 0, "bob", 0, POOL, CALL, venue.now))

    mark, _ = _black76(2_600, 2_000, venue.now, True)
    buyback = _ceil(_floor(mark * 10**18) / mpmath.mpf(10**12))
    liquidated = only(events, SeriesPositionLiquidated)
    assert liquidated.buyback_atoms == buyback
    assert buyback > vault  # bankrupt: no penalty is charged, the rest is a shortfall
    assert (liquidated.keeper_reward_atoms, liquidated.insurance_penalty_atoms) == (0, 0)
    assert liquidated.shortfall_atoms == buyback - vault
    drawn = only(events, InsuranceDrawn)
    assert drawn.amount_atoms == min(buyback - vault, 1_000 * USDC)  # the pool's draw cap per window
    pool = venue.state.pools[POOL]
    assert pool.vault_atoms == lp_before + vault + drawn.amount_atoms
    assert pool.insurance_atoms == insurance_before - drawn.amount_atoms
    assert (("bob", 0), CALL) not in pool.series_positions
    venue.assert_replay_equals_live()


def test_a_short_put_below_maintenance_pays_the_keeper_its_penalty() -> None:
    venue = option_venue()
    _funded(venue, "bob")
    venue.run(trade_series(venue, "bob", PUT, -ETH, 210 * USDC))
    venue.quote_prices(1_650 * WAD)
    pool = venue.state.pools[POOL]
    vault = pool.series_positions[(("bob", 0), PUT)].isolated_margin_atoms

    events = venue.run(LiquidateSeries("keeper", 0, "bob", 0, POOL, PUT, venue.now))

    liquidated = only(events, SeriesPositionLiquidated)
    mark, _ = _black76(1_650, 1_800, venue.now, False)
    buyback = _ceil(_floor(mark * 10**18) / mpmath.mpf(10**12))
    # maintenance 7.5% of 1,650 = 123.75 USDC beyond the mark; the penalty is 2% of the underlying notional, 33 USDC
    assert liquidated.requirement_atoms == 123_750_000
    assert 33 * USDC < liquidated.equity_atoms == vault - buyback < 123_750_000
    penalty = 33 * USDC
    assert liquidated.keeper_reward_atoms == penalty // 2
    assert liquidated.insurance_penalty_atoms == penalty - penalty // 2
    assert liquidated.released_atoms == vault - buyback - penalty
    assert venue.balance("keeper") == penalty // 2
    venue.assert_replay_equals_live()


def test_a_cross_short_call_is_liquidated_from_the_sub_accounts_balance() -> None:
    venue = option_venue()
    venue.deposit("erin", 400 * USDC)
    venue.run(trade_series(venue, "erin", CALL, -ETH, mode=MarginMode.CROSS))
    venue.quote_prices(2_500 * WAD)
    balance = venue.balance("erin")

    liquidated = only(
        venue.run(LiquidateSeries("keeper", 0, "erin", 0, POOL, CALL, venue.now)), SeriesPositionLiquidated
    )

    mark, _ = _black76(2_500, 2_000, venue.now, True)
    buyback = _ceil(_floor(mark * 10**18) / mpmath.mpf(10**12))
    penalty = min(50 * USDC, balance - buyback)  # 2% of 2,500 USDC, within what the balance has left
    assert penalty > 0
    assert liquidated.buyback_atoms == buyback
    assert liquidated.keeper_reward_atoms == penalty // 2
    assert venue.balance("erin") == balance - buyback - penalty
    assert ("erin", 0) not in venue.state.cross_pool  # no cross position and no debt left: unbound
    venue.assert_replay_equals_live()


def test_a_long_future_below_maintenance_is_closed_at_the_index() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    venue.run(trade_series(venue, "alice", FUTURE, ETH, 225 * USDC))
    venue.quote_prices(1_880 * WAD)
    vault = venue.state.pools[POOL].series_positions[(("alice", 0), FUTURE)].isolated_margin_atoms

    liquidated = only(
        venue.run(LiquidateSeries("keeper", 0, "alice", 0, POOL, FUTURE, venue.now)), SeriesPositionLiquidated
    )

    # the future was bought at 2,021.01: at 1,880 it has lost 141.01 USDC; maintenance is 5% of 1,880 = 94 USDC
    assert liquidated.buyback_atoms == 141_010_000
    assert liquidated.equity_atoms == vault - 141_010_000 == 83_390_000
    assert liquidated.requirement_atoms == 94 * USDC
    penalty = 37_600_000  # 2% of 1,880 USDC, less than the 83.39 USDC left
    assert (liquidated.keeper_reward_atoms, liquidated.insurance_penalty_atoms) == (18_800_000, 18_800_000)
    assert liquidated.released_atoms == vault - 141_010_000 - penalty


def test_an_expired_series_takes_no_trade() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    venue.quote_prices(2_000 * WAD, advance_ns=EXPIRY_NS - venue.now)
    venue.refuse(trade_series(venue, "alice", CALL, ETH, 500 * USDC), SeriesNotTradable, "has expired")


def test_the_lp_vaults_nav_is_net_of_the_options_it_wrote() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    venue.run(trade_series(venue, "alice", CALL, 3 * ETH, 1_500 * USDC))
    pool = venue.state.pools[POOL]

    low, high = pool_nav_atoms(venue.state, pool, venue.now)

    mark, _ = _black76(2_000, 2_000, venue.now, True)
    claim = _floor(3 * _floor(mark * 10**18) / mpmath.mpf(10**12))  # alice's 3 calls at the mark, floored
    assert (low, high) == (pool.vault_atoms - claim - 1, pool.vault_atoms - claim)


def test_pool_exposure_is_the_vaults_side_of_every_series() -> None:
    venue = option_venue()
    _funded(venue, "alice", "bob")
    venue.run(trade_series(venue, "alice", CALL, 2 * ETH, 1_000 * USDC))
    venue.run(trade_series(venue, "bob", PUT, -ETH, 1_000 * USDC))
    venue.run(trade_series(venue, "bob", FUTURE, ETH // 2, 200 * USDC))

    exposure = venue.engine.pool_exposure(POOL, venue.now)

    rows = {row.series: row for row in exposure.series}
    assert rows[CALL].vault_size_atoms == -2 * ETH and rows[PUT].vault_size_atoms == ETH
    years = mpmath.mpf(EXPIRY_NS - venue.now) / NS_PER_YEAR
    stdev = _vol(venue.now) * mpmath.sqrt(years)
    expected: dict[str, tuple[mpmath.mpf, mpmath.mpf, mpmath.mpf]] = {}
    for series, strike, size, is_call in ((CALL, 2_000, -2, True), (PUT, 1_800, 1, False)):
        d1 = (mpmath.log(mpmath.mpf(2_000) / strike) + stdev**2 / 2) / stdev
        delta = mpmath.ncdf(d1) - (0 if is_call else 1)
        gamma = mpmath.npdf(d1) / (2_000 * stdev)
        vega = 2_000 * mpmath.npdf(d1) * mpmath.sqrt(years)
        expected[series] = (size * delta, size * gamma, size * vega)
    for series, (delta, gamma, vega) in expected.items():
        row = rows[series]
        assert abs(row.delta_wad - _floor(delta * 10**18)) <= 1  # within one WAD unit (the Greeks' stated accuracy)
        assert abs(row.gamma_wad - _floor(gamma * 10**18)) <= 1
        assert abs(row.vega_wad - _floor(vega * 10**18)) <= 1
    assert rows[FUTURE].delta_wad == -WAD // 2 and rows[FUTURE].vega_wad == 0
    total = exposure.totals["ETH"]
    assert total == tuple(sum(getattr(r, g) for r in rows.values()) for g in ("delta_wad", "gamma_wad", "vega_wad"))


def test_a_price_the_oracle_guard_held_back_never_enters_the_settlement_average() -> None:
    venue = option_venue()
    _funded(venue, "alice")
    venue.run(trade_series(venue, "alice", CALL, ETH, 500 * USDC))
    venue.quote_prices(2_000 * WAD, advance_ns=EXPIRY_NS - 40 * MINUTE_NS - venue.now)
    venue.quote_prices(4_000 * WAD, advance_ns=20 * MINUTE_NS)  # +100%: past the 90% jump guard, held back
    assert venue.state.oracles["ETH"].accepted_price_wad == 2_000 * WAD
    venue.quote_prices(2_000 * WAD, advance_ns=25 * MINUTE_NS)  # back at 2,000 after expiry: accepted

    settled = only(venue.run(SettleSeries("keeper", POOL, CALL, venue.now)), SeriesSettled)

    assert settled.settlement_price_wad == 2_000 * WAD  # the whole window at 2,000: the call expires worthless


def test_a_writer_adds_margin_to_escape_liquidation_but_cannot_take_it_back_below_initial_margin() -> None:
    venue = option_venue()
    _funded(venue, "bob")
    venue.run(trade_series(venue, "bob", PUT, -ETH, 210 * USDC))
    venue.quote_prices(1_650 * WAD)
    venue.run(AdjustSeriesMargin("bob", 0, POOL, PUT, 100 * USDC, venue.now))
    venue.refuse(LiquidateSeries("keeper", 0, "bob", 0, POOL, PUT, venue.now), CommandRejected, "not below")
    position = venue.state.pools[POOL].series_positions[(("bob", 0), PUT)]
    venue.refuse(
        AdjustSeriesMargin("bob", 0, POOL, PUT, -position.isolated_margin_atoms - 1, venue.now),
        InsufficientBalance,
        "isolated vault",
    )
    # at 1,650 the put's initial requirement is max(0.15·1,650 − 0, 0.10·1,650) = 247.5 USDC beyond its mark
    venue.refuse(AdjustSeriesMargin("bob", 0, POOL, PUT, -100 * USDC, venue.now), InsufficientMargin, "below")
    venue.assert_replay_equals_live()
