"""Differential: the float screen against the exact engine on the same venue (SPEC §3).

Hypothesis builds real ledger states through the engine (``tests/support/screen_venue.py``:
two pools, three markets, cross and isolated positions, ETH collateral, funding, random price
moves). On each state:

- every margin account's ``equity − requirement`` from the screen lies within its declared
  tolerance of the engine's integer figure, so outside the band the two classify it alike
  (``audit_screen`` finds no disagreement);
- ``confirm_candidates`` returns exactly the accounts the engine finds below maintenance.

A book with a wrong parameter (a maintenance rate halved) must be caught by the same check.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import event, given
from hypothesis import strategies as st

from ringfence.risk.boundary import audit_screen, book_from_state, confirm_candidates, prices_from_state
from ringfence.risk.screen import ScreenStatus, screen
from support.screen_venue import MARKETS, Trader, TradeStep, build_venue, exact_accounts
from support.venue import ETH

trade_steps = st.builds(
    TradeStep,
    market=st.integers(0, len(MARKETS) - 1),
    notional_usd=st.integers(50, 30_000),
    long=st.booleans(),
    isolated=st.booleans(),
    margin_percent=st.integers(8, 40),
)
traders = st.builds(
    Trader,
    usdc=st.integers(100, 20_000),
    eth_atoms=st.one_of(st.just(0), st.integers(1, 5 * ETH)),
    trades=st.lists(trade_steps, min_size=1, max_size=3).map(tuple),
)
price_moves = st.lists(st.integers(60, 150), min_size=1, max_size=3)


@given(
    st.lists(traders, min_size=1, max_size=6),
    price_moves,
    price_moves,
)
def test_screen_agrees_with_the_exact_engine_outside_the_band(traders_, eth_moves, btc_moves):
    # Arrange
    btc_moves = (btc_moves * 3)[: len(eth_moves)]
    venue = build_venue(traders_, eth_moves, btc_moves)
    state, now = venue.state, venue.now
    exact = exact_accounts(state, now)
    ledger_book = book_from_state(state)

    # Act
    result = screen(ledger_book.book, prices_from_state(state, ledger_book, now))
    confirmation = confirm_candidates(state, ledger_book, result, now)

    # Assert
    assert set(ledger_book.accounts) == set(exact)
    assert audit_screen(state, ledger_book, result, now) == ()
    below = {key for key, snapshot in exact.items() if not snapshot.is_healthy}
    assert set(confirmation.liquidatable) == below
    assert confirmation.unpriced == ()
    for index, key in enumerate(ledger_book.accounts):
        if result.status[index] == ScreenStatus.HEALTHY:
            assert exact[key].is_healthy
        elif result.status[index] == ScreenStatus.LIQUIDATABLE:
            assert not exact[key].is_healthy
    assert (result.status != ScreenStatus.UNPRICED).all()
    event(f"below maintenance: {'some' if below else 'none'}")
    event(f"isolated accounts: {'some' if ledger_book.book.account_isolated.any() else 'none'}")
    event(f"collateral holdings beyond USDC: {'some' if (ledger_book.book.holding_asset > 0).any() else 'none'}")
    event(f"funding owed: {'some' if ledger_book.book.position_funding_owed.any() else 'none'}")


def _one_account_below_maintenance():
    """t0: 1,000 USDC, long 4 ETH cross at 2,000 (skew premium: opened a little above); ETH falls to 1,800."""
    trader = Trader(1_000, 0, (TradeStep(0, 8_000, long=True, isolated=False, margin_percent=0),))
    return build_venue([trader], [90], [100])


def test_exact_figures_of_a_worked_account_match_the_screen():
    # Arrange: after the fall, PnL ≈ 4 · 1,800 − 8,000 − premium ≈ −800; equity ≈ 1,000 − 800 = 200;
    # requirement 4 · 1,800 · 5% = 360; health ≈ 0.55: below maintenance.
    venue = _one_account_below_maintenance()
    ledger_book = book_from_state(venue.state)

    # Act
    result = screen(ledger_book.book, prices_from_state(venue.state, ledger_book, venue.now))

    # Assert
    assert ledger_book.accounts == (("t0", 0, "P", None),)
    assert result.requirement[0] == 360.0
    assert 190 < result.equity[0] < 200
    assert result.status[0] == ScreenStatus.LIQUIDATABLE
    confirmation = confirm_candidates(venue.state, ledger_book, result, venue.now)
    assert confirmation.liquidatable == (("t0", 0, "P", None),)


def test_wrong_maintenance_rate_in_the_book_is_caught_by_the_differential_check():
    # Arrange: the book's ETH-PERP maintenance rate halved (5% → 2.5%): requirement 180 instead of 360,
    # so the screen sees health ≈ 195 / 180 > 1 for an account the engine finds below maintenance.
    venue = _one_account_below_maintenance()
    ledger_book = book_from_state(venue.state)
    rates = ledger_book.book.market_maintenance_rate.copy()
    rates[0] /= 2
    wrong = dataclasses.replace(ledger_book, book=dataclasses.replace(ledger_book.book, market_maintenance_rate=rates))
    prices = prices_from_state(venue.state, wrong, venue.now)

    # Act
    result = screen(wrong.book, prices)

    # Assert: the screen alone misses the account, and so does confirming only its candidates ...
    assert result.status[0] == ScreenStatus.HEALTHY
    assert confirm_candidates(venue.state, wrong, result, venue.now).liquidatable == ()
    # ... but the differential check against the exact engine detects the disagreement.
    assert audit_screen(venue.state, wrong, result, venue.now) == (0,)
    correct = screen(ledger_book.book, prices)
    assert audit_screen(venue.state, ledger_book, correct, venue.now) == ()


def test_missing_funding_in_the_book_is_caught_by_the_tolerance_check():
    # Arrange: a wrong input that does not flip the verdict: funding owed dropped from every position.
    # t0 goes long 4 ETH; six hours later t1's trade accrues the skew's funding, which t0 owes.
    long = Trader(5_000, 0, (TradeStep(0, 8_000, long=True, isolated=False, margin_percent=0),))
    short = Trader(5_000, 0, (TradeStep(1, 500, False, False, 0), TradeStep(0, 3_000, False, False, 0)))
    venue = build_venue([long, short], [100], [100])
    ledger_book = book_from_state(venue.state)
    assert ledger_book.book.position_funding_owed[0] > 0.1  # funding did accrue: 0.5/day · 4/10,000 · ¼ day · 8,000
    book = dataclasses.replace(ledger_book.book, position_funding_owed=np.zeros(ledger_book.book.position_count))

    # Act
    result = screen(book, prices_from_state(venue.state, ledger_book, venue.now))

    # Assert: both accounts stay healthy, yet their margins are off by more than the tolerance
    assert (result.status == ScreenStatus.HEALTHY).all()
    assert audit_screen(venue.state, dataclasses.replace(ledger_book, book=book), result, venue.now) == (0,)
