"""The reserve rule for series: the LP vault's worst-case payout to its series' holders within its reserve.

Worked numbers, by hand (``fractions`` and mpmath, never the code under test), on the unit-test venue
of ``tests/support/series.py`` (ETH at 2,000, a flat smile of 80%, τ = 0.2 year, an LP vault of
100,000 USDC whose first deposit minted one share per quote atom). The rule
(``core/pool/series_reserve.py``, docs/options.md): a put the vault is net short counts
``skew · K`` (Lyra v1's ``lockQuote``), a call ``skew · F`` (Lyra v1's ``lockBase``), a dated future
``|skew| · F``, rounded up; the total with the perpetuals' net skew notional may not pass
``reserve_factor × the vault's cash`` on a trade adding to it or on an LP withdrawal. Every refusal is
checked to change nothing (``Venue.refuse``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from fractions import Fraction

import mpmath
import pytest

from ringfence.core.errors import ReserveExceeded
from ringfence.core.pool.commands import RemoveLiquidity
from ringfence.core.pool.events import LiquidityRemoved
from ringfence.core.pool.series_commands import LiquidateSeries
from ringfence.core.pool.series_events import SeriesPositionLiquidated, SeriesTradeFilled
from ringfence.core.pool.series_state import SeriesParams
from ringfence.core.pool.state import MarginMode
from support.series import CALL, CALL_PARAMS, FUTURE_PARAMS, PUT_PARAMS, option_venue, trade_series
from support.venue import ETH, LP_ATOMS, PERCENT, POOL, POOL_PARAMS, USDC, WAD, Venue, only

FAR_PUT = "ETH-P-20"
FAR_PUT_PARAMS = dataclasses.replace(PUT_PARAMS, series=FAR_PUT, strike_wad=20 * WAD, taker_fee_wad=0)
"""A put struck at 20 USDC with ETH at 2,000: worth ~0 (see below), so a buyer's premium is one atom."""
FUTURE_NO_FEE = dataclasses.replace(FUTURE_PARAMS, taker_fee_wad=0)


@pytest.fixture(autouse=True)
def _mpmath_digits() -> Iterator[None]:
    with mpmath.workdps(60):
        yield


def _venue(reserve_percent: int, *series: SeriesParams) -> Venue:
    return option_venue(dataclasses.replace(POOL_PARAMS, reserve_factor_wad=reserve_percent * PERCENT), series=series)


def test_the_far_put_is_worth_less_than_one_wad_unit_so_a_buyer_pays_one_atom() -> None:
    """Premise of the put tests: Black-76 at F = 2,000, K = 20, σ = 0.8, τ = 0.2 is below 10⁻¹⁸ USDC.

    The ledger's mark is within one WAD unit of it (docs/options.md), so the buy fill is a few WAD units
    at most and ``ceil(size · fill / 10³⁰)`` is one atom for any size below 10²⁹ atoms.
    """
    stdev = mpmath.mpf("0.8") * mpmath.sqrt(mpmath.mpf("0.2"))
    d1 = (mpmath.log(mpmath.mpf(2_000) / 20) + stdev**2 / 2) / stdev
    put = 20 * mpmath.ncdf(-(d1 - stdev)) - 2_000 * mpmath.ncdf(-d1)
    assert 0 <= put < mpmath.mpf(10) ** -30


def _far_put_book() -> Venue:
    """Reserve 1%; bob and dave each write 10 far puts (the vault net long 20: it owes nothing)."""
    venue = _venue(1, FAR_PUT_PARAMS)
    for writer in ("bob", "dave"):
        venue.deposit(writer, 2_001 * USDC)
        # initial margin per contract: max(max(15%·2,000 − 1,980, 10%·2,000), 7.5%·2,000) = 200 USDC
        venue.run(trade_series(venue, writer, FAR_PUT, -10 * ETH, 2_001 * USDC))
    for buyer in ("alice", "carol"):
        venue.deposit(buyer, 10 * USDC)
    return venue


def test_a_put_buy_just_inside_the_reserve_fills_and_one_atom_more_is_refused() -> None:
    venue = _far_put_book()
    assert venue.state.pools[POOL].vault_atoms == LP_ATOMS  # the writers were paid a premium of 0
    # alice buys 70 ETH: traders' net 50 ETH, the vault's worst case 50 · 20 = 1,000 USDC; the vault's cash
    # after is 100,000 USDC + 1 atom of premium, its reserve floor((10¹¹ + 1) · 1%) = 10⁹ atoms: just inside.
    # One more atom: ceil((50·10¹⁸ + 1) · 20 · 10⁶ / 10¹⁸) = 10⁹ + 1 > 10⁹.
    beyond = Fraction(50 * ETH + 1) * 20 * USDC / ETH
    assert beyond > 10**9 and (10**11 + 1) // 100 == 10**9
    venue.refuse(
        trade_series(venue, "alice", FAR_PUT, 70 * ETH + 1, 1 * USDC),
        ReserveExceeded,
        "1000000001 quote atoms of net exposure .* against a reserve of 1000000000",
    )
    fill = only(venue.run(trade_series(venue, "alice", FAR_PUT, 70 * ETH, 1 * USDC)), SeriesTradeFilled)
    assert fill.premium_atoms == 1
    assert venue.state.pools[POOL].vault_atoms == 10**11 + 1
    # the reserve is full: one more contract's worth of a contract (one atom) is refused for anyone
    venue.refuse(trade_series(venue, "carol", FAR_PUT, 1, 1 * USDC), ReserveExceeded, "against a reserve of")
    venue.assert_replay_equals_live()


def test_closing_trades_and_liquidations_are_never_refused_by_the_reserve() -> None:
    venue = _far_put_book()
    venue.run(trade_series(venue, "alice", FAR_PUT, 70 * ETH, 1 * USDC))  # the reserve exactly full
    # dave buys his 10 puts back: his risk falls, the vault's worst case rises to 60 · 20 = 1,200 USDC
    # (past the 1,000 its reserve allows), and the closing trade fills anyway
    dave = only(venue.run(trade_series(venue, "dave", FAR_PUT, 10 * ETH)), SeriesTradeFilled)
    assert dave.new_size_atoms == 0
    assert venue.state.pools[POOL].series[FAR_PUT].skew_atoms == 60 * ETH
    # alice sells 10 back (closing): fills
    alice = only(venue.run(trade_series(venue, "alice", FAR_PUT, -10 * ETH)), SeriesTradeFilled)
    assert alice.new_size_atoms == 60 * ETH
    # ETH to 3,000: bob's maintenance 7.5% · 3,000 · 10 = 2,250 USDC > his 2,001 USDC; the keeper's
    # buy-back lifts the vault's worst case from 50 · 20 to 60 · 20 = 1,200 USDC and is not refused
    venue.quote_prices(3_000 * WAD)
    events = venue.run(LiquidateSeries("keeper", 0, "bob", 0, POOL, FAR_PUT, venue.now))
    assert only(events, SeriesPositionLiquidated).owner == "bob"
    assert venue.state.pools[POOL].series[FAR_PUT].skew_atoms == 60 * ETH
    # and new risk is still refused while the vault is past its reserve
    venue.refuse(trade_series(venue, "carol", FAR_PUT, 1, 1 * USDC), ReserveExceeded, "1200000001 quote atoms")
    venue.assert_replay_equals_live()


def test_an_lp_withdrawal_past_the_series_reserve_is_refused_and_a_smaller_one_is_paid() -> None:
    venue = _venue(1, FAR_PUT_PARAMS)
    venue.deposit("alice", 10 * USDC)
    venue.run(trade_series(venue, "alice", FAR_PUT, 40 * ETH, 1 * USDC))
    pool = venue.state.pools[POOL]
    assert (pool.vault_atoms, pool.total_shares) == (10**11 + 1, LP_ATOMS)
    # worst case 40 · 20 = 800 USDC = 8·10⁸ atoms ≤ floor(cash_after · 1%) needs cash_after ≥ 8·10¹⁰: the LP may
    # take at most 10¹¹ + 1 − 8·10¹⁰ = 2·10¹⁰ + 1 atoms. NAV = cash − the puts' marks (0 or 1 atom), so
    # s shares (s < 10¹¹) redeem floor(s · NAV / 10¹¹) = s atoms.
    too_many = 2 * 10**10 + 2
    assert (10**11 + 1 - too_many) // 100 < 8 * 10**8 == (10**11 + 1 - (too_many - 1)) // 100
    venue.refuse(
        RemoveLiquidity("lp", 0, POOL, too_many, venue.now),
        ReserveExceeded,
        "800000000 quote atoms of net exposure .* against a reserve of 799999999",
    )
    removed = only(venue.run(RemoveLiquidity("lp", 0, POOL, too_many - 1, venue.now)), LiquidityRemoved)
    assert removed.amount_atoms == 2 * 10**10 + 1
    assert venue.state.pools[POOL].vault_atoms == 8 * 10**10
    venue.assert_replay_equals_live()


@pytest.mark.parametrize("side", [1, -1], ids=["long", "short"])
def test_a_dated_future_counts_its_net_notional_to_the_atom_either_way(side: int) -> None:
    venue = _venue(100, FUTURE_NO_FEE, FAR_PUT_PARAMS)  # an option lists the expiry the smile needs
    venue.deposit("alice", 30_000 * USDC)
    # no premium, no fee: the vault keeps 10¹¹ atoms and allows |skew| · 2,000 ≤ 10¹¹, i.e. 50 ETH exactly
    assert Fraction(50 * ETH * 2_000 * USDC, ETH) == 10**11
    venue.refuse(
        trade_series(venue, "alice", FUTURE_NO_FEE.series, side * (50 * ETH + 1), 30_000 * USDC),
        ReserveExceeded,
        "100000000001 quote atoms",
    )
    venue.run(trade_series(venue, "alice", FUTURE_NO_FEE.series, side * 50 * ETH, 30_000 * USDC))
    assert venue.state.pools[POOL].vault_atoms == 10**11


def test_calls_and_perpetuals_share_one_reserve() -> None:
    """Reserve 100%: alice's 10 calls count 10 · 2,000 = 20,000 USDC; a 45 ETH perp adds 90,000 USDC.

    The vault's cash is 100,000 USDC plus alice's premium and its fee share: the ATM call is
    ``2,000 · (2Φ(0.8·√0.2 / 2) − 1) ≈ 283.9`` USDC an ETH, so (with 1% spread and the vega impact)
    under 3,000 USDC for 10, and the fee at most 0.03% of 20,000 = 6 USDC: the reserve is below
    103,006 USDC < 110,000, and above 100,000 > 20,000 + 35 · 2,000.
    """
    alone = _venue(100, CALL_PARAMS)
    alone.deposit("bob", 20_000 * USDC)
    alone.trade("bob", 45 * ETH)  # without the calls: 90,000 ≤ 100,000
    venue = _venue(100, CALL_PARAMS)
    venue.deposit("alice", 5_000 * USDC)
    venue.deposit("bob", 20_000 * USDC)
    venue.run(trade_series(venue, "alice", CALL, 10 * ETH, 5_000 * USDC))
    cash = venue.state.pools[POOL].vault_atoms
    atm = 2_000 * (2 * mpmath.ncdf(mpmath.mpf("0.8") * mpmath.sqrt(mpmath.mpf("0.2")) / 2) - 1)
    assert 283 < atm < 284
    assert 100_000 * USDC < cash < 103_006 * USDC
    venue.refuse(venue.trade_command("bob", 45 * ETH), ReserveExceeded, "perpetuals 90000000000, series 20000000000")
    venue.trade("bob", 35 * ETH)
    # and the LP cannot take the cash the two need: 70,000 + 20,000 = 90,000 USDC must stay
    venue.refuse(RemoveLiquidity("lp", 0, POOL, 15_000 * USDC, venue.now), ReserveExceeded, "against a reserve of")
    venue.run(RemoveLiquidity("lp", 0, POOL, 9_000 * USDC, venue.now))
    venue.assert_replay_equals_live()


def test_an_option_the_vault_is_net_long_needs_no_reserve() -> None:
    """Reserve 1%: bob writes 10 far puts, alice buys 10.5: only the vault's net short half counts."""
    venue = _venue(1, FAR_PUT_PARAMS)
    venue.deposit("bob", 2_001 * USDC)
    venue.deposit("alice", 10 * USDC)
    venue.run(trade_series(venue, "bob", FAR_PUT, -10 * ETH, 2_001 * USDC))
    # the vault is net long: nothing reserved, the LP may take all but 1,000 USDC; NAV is the cash ± the
    # writer's mark rounded against the LP (one atom at most), so 99·10⁹ shares pay 99·10⁹ atoms or one less
    venue.run(RemoveLiquidity("lp", 0, POOL, 99_000 * USDC, venue.now))
    cash = venue.state.pools[POOL].vault_atoms
    assert cash in (10**9, 10**9 + 1)
    # traders' net 0.5 ETH after: 0.5 · 20 = 10 USDC = floor((cash + 1 atom of premium) · 1%) = 10⁷ atoms
    venue.run(trade_series(venue, "alice", FAR_PUT, 10 * ETH + ETH // 2, 1 * USDC, MarginMode.ISOLATED))
    assert venue.state.pools[POOL].vault_atoms == cash + 1 and (cash + 2) // 100 == 10**7
    venue.refuse(trade_series(venue, "alice", FAR_PUT, 1, 1 * USDC), ReserveExceeded, "10000001 quote atoms")
