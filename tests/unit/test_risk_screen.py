"""The bulk screen kernel on a hand-built book, every figure worked by hand in the comments.

Prices: USDC 1, ETH 1,800, BTC 60,000. Markets: ETH-PERP (maintenance 5%, PnL weight 50%) and
BTC-PERP (maintenance 4%, PnL weight 80%). Collateral is entered already weighted at its
maintenance haircut (ETH 85%); a debt counts in full. The book (``tests/support/risk_books.py``):
account 0 cross (1,000 USDC + 1 ETH; long 2 ETH-PERP, short 0.1 BTC-PERP), accounts 1 and 2
isolated ETH-PERP positions, accounts 3 and 4 cross.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.risk.screen import RELATIVE_BAND, ScreenStatus, screen, tolerance_factor
from support.risk_books import ETH_PERP, PRICES, USDC, make_book


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test on both paths of the screen: the compiled kernel (numba) and NumPy passes."""
    monkeypatch.setattr("ringfence.risk.screen.numba_available", lambda: request.param == "compiled")
    return str(request.param)


def test_cross_account_sums_collateral_positions_and_funding():
    # Arrange: account 0 holds 1,000 USDC + 1 ETH (85%), long 2 ETH opened at 4,000, short 0.1 BTC at −5,500.
    book = make_book()

    # Act
    result = screen(book, PRICES)

    # Assert
    # collateral = 1,000 + 0.85 · 1,800 = 2,530
    # ETH: notional 2 · 1,800 = 3,600, PnL 3,600 − 4,000 = −400 (a loss counts in full), requirement 3,600 · 5% = 180
    # BTC: notional −0.1 · 60,000 = −6,000, PnL −6,000 + 5,500 = −500, requirement 6,000 · 4% = 240
    # funding owed 3 − 1 = 2
    # equity = 2,530 − 400 − 500 − 2 = 1,628; requirement 420; health 1,628 / 420 = 3.876190...
    assert result.equity[0] == pytest.approx(1_628.0, rel=1e-15)
    assert result.requirement[0] == pytest.approx(420.0, rel=1e-15)
    assert result.health[0] == pytest.approx(1_628 / 420, rel=1e-15)
    assert result.status[0] == ScreenStatus.HEALTHY


def test_isolated_gain_counts_at_the_pnl_weight():
    # Arrange: account 1: long 1 ETH opened at 1,500 with a 50 USDC vault.
    book = make_book()

    # Act
    result = screen(book, PRICES)

    # Assert: PnL 1,800 − 1,500 = 300, at 50% = 150; equity 50 + 150 = 200; requirement 1,800 · 5% = 90
    assert result.equity[1] == pytest.approx(200.0, rel=1e-15)
    assert result.requirement[1] == pytest.approx(90.0, rel=1e-15)
    assert result.health[1] == pytest.approx(200 / 90, rel=1e-15)
    assert result.status[1] == ScreenStatus.HEALTHY


def test_isolated_loss_beyond_the_vault_is_liquidatable():
    # Arrange: account 2: short 1 ETH opened at 1,750 with a 40 USDC vault.
    book = make_book()

    # Act
    result = screen(book, PRICES)

    # Assert: PnL −1,800 + 1,750 = −50; equity 40 − 50 = −10; requirement 90; health −10 / 90 = −0.111...
    assert result.equity[2] == pytest.approx(-10.0, rel=1e-12)
    assert result.health[2] == pytest.approx(-1 / 9, rel=1e-12)
    assert result.status[2] == ScreenStatus.LIQUIDATABLE
    assert list(result.certain()) == [2]


def test_account_exactly_at_maintenance_is_inside_the_band():
    # Arrange: account 3: 1,200 USDC, long 0.5 BTC opened at 30,000 (entry 60,000 = the price).
    book = make_book()

    # Act
    result = screen(book, PRICES)

    # Assert: PnL 0; equity 1,200; requirement 30,000 · 4% = 1,200; health exactly 1: only the exact engine can tell
    assert result.equity[3] == result.requirement[3] == pytest.approx(1_200.0, rel=1e-15)
    assert result.health[3] == pytest.approx(1.0, rel=1e-15)
    assert result.status[3] == ScreenStatus.UNCERTAIN
    assert list(result.uncertain()) == [3]
    assert list(result.candidates()) == [2, 3]
    assert result.band[3] >= RELATIVE_BAND


def test_debt_counts_in_full_beside_weighted_collateral():
    # Arrange: account 4: −500 USDC (debt), 2 ETH at 85%, short 1 ETH opened at 1,900.
    book = make_book()

    # Act
    result = screen(book, PRICES)

    # Assert: collateral −500 + 1.7 · 1,800 = 2,560; PnL −1,800 + 1,900 = 100, at 50% = 50
    # equity 2,610; requirement 90; health 29
    assert result.equity[4] == pytest.approx(2_610.0, rel=1e-15)
    assert result.health[4] == pytest.approx(29.0, rel=1e-15)


def test_tolerance_is_the_allowance_plus_the_float_bound():
    # Arrange: account 1 gets a rounding allowance of 0.25 value units.
    book = make_book(allowance=[0.0, 0.25, 0.0, 0.0, 0.0])

    # Act
    result = screen(book, PRICES)

    # Assert: gross magnitude = 2 · |notional| + |open notional| + vault = 2 · 1,800 + 1,500 + 50 = 5,150;
    # the float factor takes the largest account's count: account 0 sums 2 positions and 2 holdings
    assert book.max_terms_per_account == 4
    expected = 0.25 + 5_150 * tolerance_factor(4)
    assert result.tolerance[1] == pytest.approx(expected, rel=1e-12)


def test_floor_of_the_band_is_relative_to_the_requirement():
    # Arrange: no allowance; account 1's float bound is 5,150 · γ(20) ≈ 1.2e-11, below 1e-9 · 90 = 9e-8.
    book = make_book()

    # Act
    result = screen(book, PRICES)

    # Assert
    assert 5_150 * tolerance_factor(4) < RELATIVE_BAND * 90
    assert result.tolerance[1] == pytest.approx(RELATIVE_BAND * 90, rel=1e-15)


def test_allowance_wider_than_the_margin_makes_an_account_uncertain():
    # Arrange: an isolated long 1 ETH opened at 1,800 with a 90.3 vault: equity 90.3, requirement 90, margin 0.3.
    positions = [(0, ETH_PERP, 1.0, 1_800.0, 0.0, 90.3)]

    # Act
    narrow = screen(make_book(positions, [], (True,), allowance=[0.29]), PRICES)
    wide = screen(make_book(positions, [], (True,), allowance=[0.31]), PRICES)

    # Assert
    assert narrow.status[0] == ScreenStatus.HEALTHY
    assert wide.status[0] == ScreenStatus.UNCERTAIN


def test_unusable_price_marks_only_the_accounts_that_read_it():
    # Arrange: BTC has no usable price (NaN), then a zero and a negative price.
    book = make_book()

    for bad in (math.nan, 0.0, -1.0, math.inf):
        # Act
        result = screen(book, [1.0, 1_800.0, bad])

        # Assert: accounts 0 and 3 hold BTC-PERP; the others are screened as before
        assert list(np.flatnonzero(result.status == ScreenStatus.UNPRICED)) == [0, 3]
        assert list(result.candidates()) == [0, 2, 3]
        assert result.health[1] == pytest.approx(200 / 90, rel=1e-15)


def test_collateral_price_moves_equity():
    # Arrange: ETH falls from 1,800 to 1,000.
    book = make_book()

    # Act
    result = screen(book, [1.0, 1_000.0, 60_000.0])

    # Assert: account 4: collateral −500 + 1.7 · 1,000 = 1,200; short PnL −1,000 + 1,900 = 900, at 50% = 450;
    # equity 1,650; requirement 1,000 · 5% = 50
    assert result.equity[4] == pytest.approx(1_650.0, rel=1e-15)
    assert result.requirement[4] == pytest.approx(50.0, rel=1e-15)


def test_no_requirement_is_infinite_health_of_the_sign_of_equity():
    # Arrange: two cross accounts whose only position has size 0: one with 10 USDC, one with a 10 USDC debt.
    positions = [(0, ETH_PERP, 0.0, 0.0, 0.0, 0.0), (1, ETH_PERP, 0.0, 0.0, 0.0, 0.0)]
    holdings = [(0, USDC, 10.0), (1, USDC, -10.0)]

    # Act
    result = screen(make_book(positions, holdings, (False, False)), PRICES)

    # Assert: +inf with equity ≥ 0; −inf (below maintenance, as MarginSnapshot.is_healthy says) with a debt
    assert list(result.health) == [math.inf, -math.inf]
    assert list(result.status) == [ScreenStatus.HEALTHY, ScreenStatus.LIQUIDATABLE]


def test_empty_book_screens_to_empty_arrays():
    # Arrange
    book = make_book([], [], ())

    # Act
    result = screen(book, PRICES)

    # Assert
    assert result.status.shape == result.health.shape == (0,)


def test_price_vector_of_the_wrong_shape_is_refused():
    # Arrange
    book = make_book()

    # Act / Assert
    with pytest.raises(InvalidParameter, match=r"prices=\(2,\).*shape \(3,\)"):
        screen(book, [1.0, 1_800.0])


def test_replacing_a_rate_recomputes_the_requirement():
    # Arrange: ETH-PERP maintenance 5% → 10%.
    book = dataclasses.replace(make_book(), market_maintenance_rate=np.array([0.10, 0.04]))

    # Act
    result = screen(book, PRICES)

    # Assert: account 1's requirement 1,800 · 10% = 180
    assert result.requirement[1] == pytest.approx(180.0, rel=1e-15)
