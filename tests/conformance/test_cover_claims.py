"""Conformance of the insurance cover's arithmetic (``core/liquidation/cover.py``, docs/insurance.md).

The layer is an aggregate excess-of-loss cover per premium period: the pool retains up to the
deductible of each period's losses reaching the policy, the policy pays the rest up to its capital,
each policy in turn (our design, documented in docs/insurance.md; the retention is the deductible
of Nexus Mutual's and Sherlock's cover made aggregate per period). Expected values are computed by
hand in the comments, and the earned premium also with ``fractions.Fraction`` as a second
implementation.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from ringfence.core.liquidation.cover import CoverClaim, CoverClock, CoverLayer, claim_cover, unearned_premium_atoms

DAY_NS = 86_400 * 10**9


def test_one_layer_retains_its_deductible_then_pays_up_to_its_capital() -> None:
    # residual 1_900: retained min(1_900, 300) = 300; paid min(1_900 − 300, 1_200) = 1_200
    assert claim_cover(1_900, [CoverLayer(1, 300, 1_200)]) == (CoverClaim(1, 1_900, 300, 1_200),)


def test_a_residual_under_the_deductible_is_all_retained_and_nothing_is_paid() -> None:
    assert claim_cover(250, [CoverLayer(1, 300, 1_200)]) == (CoverClaim(1, 250, 250, 0),)


def test_a_second_layer_sees_what_the_first_did_not_pay_its_deductible_included() -> None:
    # layer 1: retained 300, paid min(1_700, 1_000) = 1_000; layer 2 sees 2_000 − 1_000 = 1_000:
    # retained 0, paid min(1_000, 5_000) = 1_000 (it covers layer 1's deductible and what exceeded its limit)
    layers = [CoverLayer(1, 300, 1_000), CoverLayer(2, 0, 5_000)]

    assert claim_cover(2_000, layers) == (CoverClaim(1, 2_000, 300, 1_000), CoverClaim(2, 1_000, 0, 1_000))


def test_an_exhausted_layer_still_records_the_retention_and_pays_nothing() -> None:
    assert claim_cover(500, [CoverLayer(1, 100, 0)]) == (CoverClaim(1, 500, 100, 0),)


def test_nothing_is_claimed_from_no_residual_or_from_a_layer_with_no_deductible_and_no_capital() -> None:
    assert claim_cover(0, [CoverLayer(1, 300, 1_200)]) == ()
    assert claim_cover(500, [CoverLayer(1, 0, 0)]) == ()
    assert claim_cover(500, []) == ()


@pytest.mark.parametrize(
    ("residual", "layers"),
    [
        (10**30, [CoverLayer(1, 7, 10), CoverLayer(2, 0, 10**31)]),
        (12_345, [CoverLayer(i, i * 100, i * 1_000) for i in range(1, 6)]),
        (1, [CoverLayer(1, 0, 1)]),
    ],
)
def test_claims_never_pay_more_than_the_residual_nor_any_layer_more_than_its_capital(
    residual: int, layers: list[CoverLayer]
) -> None:
    claims = claim_cover(residual, layers)

    assert sum(claim.paid_atoms for claim in claims) <= residual
    capital = {layer.policy_id: layer.capital_atoms for layer in layers}
    assert all(0 <= claim.paid_atoms <= capital[claim.policy_id] for claim in claims)


def test_the_clock_is_in_force_from_a_payment_to_the_end_of_its_period_only() -> None:
    # started at 1_000, periods of 100 ns, 3 of them; paid at 1_130 (period 1): in force [1_130, 1_200)
    clock = CoverClock(1_000, 100, 3).paid_at(1_130)

    assert (clock.covered_from_ns, clock.covered_until_ns, clock.expires_ns) == (1_130, 1_200, 1_300)
    assert [clock.in_force(t) for t in (1_129, 1_130, 1_199, 1_200)] == [False, True, True, False]
    assert [clock.period_at(t) for t in (1_000, 1_099, 1_100, 1_299)] == [0, 0, 1, 2]


def test_the_deductible_left_counts_the_retention_of_the_same_period_and_resets_in_the_next() -> None:
    # deductible 400: 150 retained in period 0 leaves 250; then 300 more exceeds it: 0 left; period 1: 400 again
    clock = CoverClock(0, 100, 5).retain(150, 10)
    assert clock.deductible_left_atoms(400, 99) == 250
    clock = clock.retain(300, 50)
    assert clock.deductible_left_atoms(400, 99) == 0
    assert clock.deductible_left_atoms(400, 100) == 400
    assert clock.retain(20, 150).retained_atoms == 20


@pytest.mark.parametrize(
    ("premium", "now", "until", "period", "expected"),
    [
        # 2 of 10 days used: earned ⌈100_000_001·2/10⌉ = ⌈20_000_000.2⌉ = 20_000_001; unearned 80_000_000
        (100_000_001, 2 * DAY_NS, 10 * DAY_NS, 10 * DAY_NS, 80_000_000),
        # nothing used: all unearned; all used or past the end: nothing
        (7, 0, 3, 3, 7),
        (7, 3, 3, 3, 0),
        (7, 9, 3, 3, 0),
        # 1 of 3 ns used: earned ⌈7/3⌉ = 3; unearned 4
        (7, 1, 3, 3, 4),
    ],
)
def test_the_unearned_premium_rounds_the_earned_part_up_against_the_payer(
    premium: int, now: int, until: int, period: int, expected: int
) -> None:
    used = min(max(period - (until - now), 0), period)
    second = premium - math.ceil(Fraction(premium * used, period))

    assert unearned_premium_atoms(premium, now, until, period) == expected == second
