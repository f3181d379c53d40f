"""Conformance of the credit-line arithmetic with Aave v4's hub and spoke (issue 14 item 3).

Source: aave/aave-v4 ``src/hub/Hub.sol``: ``_validateDraw`` (``drawCap · 10^decimals ≥ owed +
amount + deficit``, with ``owed`` drawn plus premium and ``deficit`` what the spoke reported as
lost through ``reportDeficit``), ``_getSpokeDrawn`` (the drawn amount rounded up,
``toDrawnAssetsUp``), and the linear interest between two accruals over a 365-day year
(``MathUtils.calculateLinearInterest``). Every expected number is a literal worked by hand in
its comment, or computed with ``fractions.Fraction`` as a second implementation.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.liquidation.credit_line import (
    YEAR_NS,
    Repayment,
    WriteDown,
    accrued_interest_atoms,
    draw_room_atoms,
    repayment,
    write_down,
)

WAD = 10**18
DAY_NS = 86_400 * 10**9
USDC = 10**6


def test_a_year_is_365_days_of_the_venue_clock() -> None:
    assert YEAR_NS == 31_536_000 * 10**9


def test_accrued_interest_worked_example_rounds_up_against_the_borrower() -> None:
    # 10,000 USDC owed at 5% a year for 30 days: 10^10 · 0.05 · 30 / 365 = 41,095,890.41 atoms → 41,095,891
    assert accrued_interest_atoms(10_000 * USDC, WAD // 20, 30 * DAY_NS) == 41_095_891


def test_accrued_interest_of_a_whole_year_is_the_rate() -> None:
    # 1,000 USDC at 12% for 365 days: exactly 120 USDC
    assert accrued_interest_atoms(1_000 * USDC, 12 * WAD // 100, 365 * DAY_NS) == 120 * USDC


def test_one_nanosecond_of_interest_is_one_atom_rounded_up() -> None:
    assert accrued_interest_atoms(1, WAD // 100, 1) == 1


def test_nothing_accrues_on_nothing_at_zero_rate_or_without_time() -> None:
    assert accrued_interest_atoms(0, WAD, DAY_NS) == 0
    assert accrued_interest_atoms(10 * USDC, 0, DAY_NS) == 0
    assert accrued_interest_atoms(10 * USDC, WAD, 0) == 0
    assert accrued_interest_atoms(10 * USDC, WAD, -DAY_NS) == 0


@given(
    owed=st.integers(1, 10**30),
    rate=st.integers(1, 10 * WAD),
    elapsed=st.integers(1, 10 * 365 * DAY_NS),
)
def test_accrued_interest_is_the_ceiling_of_the_exact_rational_interest(owed: int, rate: int, elapsed: int) -> None:
    exact = Fraction(owed) * Fraction(rate, WAD) * Fraction(elapsed, 365 * DAY_NS)
    assert accrued_interest_atoms(owed, rate, elapsed) == math.ceil(exact)


def test_draw_room_is_the_cap_less_owed_and_reported_deficit() -> None:
    # Aave v4 _validateDraw: cap 1,000; owed 600 (drawn 550 + premium 50); deficit 100 → 300 left
    assert draw_room_atoms(1_000, 600, 100) == 300
    # interest accrued past the cap leaves no room, never a negative one
    assert draw_room_atoms(1_000, 1_050, 0) == 0
    assert draw_room_atoms(1_000, 0, 1_000) == 0


def test_repayment_pays_interest_first_then_principal_within_the_cash() -> None:
    assert repayment(100, 30, 500) == Repayment(30, 70)
    assert repayment(20, 30, 500) == Repayment(20, 0)
    assert repayment(10_000, 30, 500) == Repayment(30, 500)
    assert repayment(-5, 30, 500) == Repayment(0, 0)


def test_write_down_is_the_claim_the_cash_no_longer_backs_interest_first() -> None:
    # claim 50 interest + 1,000 principal against 400 of cash: 650 lost, 50 of it interest
    assert write_down(400, 50, 1_000) == WriteDown(50, 600)
    # cash backs the whole claim: nothing lost
    assert write_down(1_050, 50, 1_000) == WriteDown(0, 0)
    # no cash at all, or a negative vault: the whole claim, never more
    assert write_down(0, 50, 1_000) == WriteDown(50, 1_000)
    assert write_down(-7_000, 50, 1_000) == WriteDown(50, 1_000)
    # only part of the interest lost
    assert write_down(1_020, 50, 1_000) == WriteDown(30, 0)


@given(cash=st.integers(-(10**12), 10**12), interest=st.integers(0, 10**9), principal=st.integers(0, 10**12))
def test_write_down_leaves_exactly_what_the_cash_backs(cash: int, interest: int, principal: int) -> None:
    cut = write_down(cash, interest, principal)
    left = interest + principal - cut.interest_atoms - cut.principal_atoms
    assert left == min(interest + principal, max(cash, 0))
    assert 0 <= cut.interest_atoms <= interest
    assert 0 <= cut.principal_atoms <= principal
    assert cut.principal_atoms == 0 or cut.interest_atoms == interest
