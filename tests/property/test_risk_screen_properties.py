"""Properties of the screen kernel on random float books (``risk/screen.py``).

- **The declared float error bound holds**: every account's ``equity − requirement`` is within
  ``tolerance_factor(n) · G + underflow_allowance(n)`` of the same formula evaluated in exact
  rationals on the same float inputs (``G`` the exact gross magnitude the bound is stated in),
  across magnitudes from subnormal to 1e9 that cancel.
- Reordering the positions moves no account across the band.
- Raising a maintenance rate never lowers a requirement nor clears an account.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.risk.book import RiskBook
from ringfence.risk.screen import ScreenStatus, screen, tolerance_factor, underflow_allowance

ASSETS = 3
MARKETS = 4

magnitudes = st.sampled_from([1e-6, 1e-2, 1.0, 1e3, 1e6, 1e9])


@st.composite
def amounts(draw, signed=True):
    scale = draw(magnitudes)
    low = -scale if signed else 0.0
    return draw(st.floats(low, scale, allow_nan=False, allow_infinity=False))


@st.composite
def accounts(draw):
    isolated = draw(st.booleans())
    count = 1 if isolated else draw(st.integers(1, 4))
    positions = [
        (
            draw(st.integers(0, MARKETS - 1)),
            draw(amounts()),
            draw(amounts()),
            draw(amounts()),
            draw(amounts(signed=False)) if isolated else 0.0,
        )
        for _ in range(count)
    ]
    holdings = [] if isolated else draw(st.lists(st.tuples(st.integers(0, ASSETS - 1), amounts()), max_size=3))
    return isolated, positions, holdings


@st.composite
def books(draw):
    specs = draw(st.lists(accounts(), min_size=1, max_size=12))
    rows, holdings = [], []
    for index, (_, positions, held) in enumerate(specs):
        rows += [(index, *position) for position in positions]
        holdings += [(index, *holding) for holding in held]
    isolated = np.array([spec[0] for spec in specs], dtype=np.bool_)
    account = np.array([row[0] for row in rows], dtype=np.intp)
    rates = st.floats(0.0, 1.0, allow_nan=False)
    book = RiskBook(
        position_account=account,
        position_market=np.array([row[1] for row in rows], dtype=np.intp),
        position_size=np.array([row[2] for row in rows]),
        position_open_notional=np.array([row[3] for row in rows]),
        position_funding_owed=np.array([row[4] for row in rows]),
        position_isolated=isolated[account],
        position_isolated_margin=np.array([row[5] for row in rows]),
        holding_account=np.array([h[0] for h in holdings], dtype=np.intp),
        holding_asset=np.array([h[1] for h in holdings], dtype=np.intp),
        holding_weighted_amount=np.array([h[2] for h in holdings], dtype=np.float64),
        market_base_asset=np.array(draw(st.lists(st.integers(0, ASSETS - 1), min_size=MARKETS, max_size=MARKETS))),
        market_maintenance_rate=np.array(draw(st.lists(rates, min_size=MARKETS, max_size=MARKETS))),
        market_initial_rate=np.ones(MARKETS),
        market_pnl_weight=np.array(draw(st.lists(rates, min_size=MARKETS, max_size=MARKETS))),
        account_isolated=isolated,
        account_rounding_allowance=np.zeros(len(specs)),
        asset_count=ASSETS,
    )
    prices = np.array(draw(st.lists(st.floats(1e-3, 1e6), min_size=ASSETS, max_size=ASSETS)))
    return book, prices


def exact_margins(book: RiskBook, prices: np.ndarray) -> tuple[list[Fraction], list[Fraction]]:
    """``equity − requirement`` and the gross magnitude per account, in exact rationals of the float inputs."""
    count = book.account_count
    margin = [Fraction(0)] * count
    gross = [Fraction(0)] * count
    price = [Fraction(float(p)) for p in prices]
    for i in range(book.position_count):
        a, m = int(book.position_account[i]), int(book.position_market[i])
        notional = Fraction(book.position_size[i]) * price[int(book.market_base_asset[m])]
        opened, funding = Fraction(book.position_open_notional[i]), Fraction(book.position_funding_owed[i])
        vault = Fraction(book.position_isolated_margin[i])
        pnl = notional - opened
        if pnl > 0:
            pnl *= Fraction(book.market_pnl_weight[m])
        requirement = abs(notional) * Fraction(book.market_maintenance_rate[m])
        margin[a] += pnl - funding + vault - requirement
        gross[a] += 2 * abs(notional) + abs(opened) + abs(funding) + vault
    for j in range(book.holding_account.shape[0]):
        a = int(book.holding_account[j])
        value = Fraction(book.holding_weighted_amount[j]) * price[int(book.holding_asset[j])]
        margin[a] += value
        gross[a] += abs(value)
    return margin, gross


@given(books())
def test_float_error_stays_within_the_declared_bound(drawn):
    # Arrange
    book, prices = drawn
    factor = Fraction(tolerance_factor(book.max_terms_per_account))
    underflow = Fraction(underflow_allowance(book.max_terms_per_account))

    # Act
    result = screen(book, prices)

    # Assert
    margins, grosses = exact_margins(book, prices)
    for index, (exact, gross) in enumerate(zip(margins, grosses, strict=True)):
        computed = Fraction(float(result.equity[index])) - Fraction(float(result.requirement[index]))
        bound = factor * gross + underflow
        assert abs(computed - exact) <= bound, index
        assert result.tolerance[index] >= float(bound) * (1 - 1e-15)


@given(books(), st.randoms(use_true_random=False))
def test_reordering_positions_moves_no_account_across_the_band(drawn, rng):
    # Arrange
    book, prices = drawn
    order = list(range(book.position_count))
    rng.shuffle(order)
    columns = [f.name for f in dataclasses.fields(RiskBook) if f.name.startswith("position_")]
    shuffled = dataclasses.replace(book, **{name: getattr(book, name)[order] for name in columns})

    # Act
    first, second = screen(book, prices), screen(shuffled, prices)

    # Assert
    margin_first = first.equity - first.requirement
    margin_second = second.equity - second.requirement
    assert (np.abs(margin_first - margin_second) <= first.tolerance + second.tolerance).all()
    opposite = {(ScreenStatus.HEALTHY, ScreenStatus.LIQUIDATABLE), (ScreenStatus.LIQUIDATABLE, ScreenStatus.HEALTHY)}
    assert not any((int(a), int(b)) in opposite for a, b in zip(first.status, second.status, strict=True))


@given(books(), st.integers(0, MARKETS - 1), st.floats(0.0, 1.0))
def test_raising_a_maintenance_rate_never_clears_an_account(drawn, market, raised_to):
    # Arrange
    book, prices = drawn
    rates = book.market_maintenance_rate.copy()
    rates[market] = max(rates[market], raised_to)
    stricter = dataclasses.replace(book, market_maintenance_rate=rates)

    # Act
    before, after = screen(book, prices), screen(stricter, prices)

    # Assert
    assert (after.requirement >= before.requirement).all()
    margin_before = before.equity - before.requirement
    margin_after = after.equity - after.requirement
    assert (margin_after <= margin_before).all()


unusable_or_extreme = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e300, 5e-324, 1.0])


@settings(deadline=None)  # the first example loads (or compiles) the kernel
@given(books(), st.lists(st.tuples(st.integers(0, ASSETS - 1), unusable_or_extreme), max_size=2))
def test_the_compiled_and_numpy_screens_give_identical_arrays(drawn, replaced):
    # Arrange: usable prices, and some replaced by unusable or extreme ones (overflow to inf, subnormal)
    book, prices = drawn
    prices = prices.copy()
    for asset, price in replaced:
        prices[asset] = price

    # Act (an overflow to inf is part of what is compared: NumPy's warning about it is not)
    with np.errstate(over="ignore", invalid="ignore"):
        compiled, plain = screen(book, prices, compiled=True), screen(book, prices, compiled=False)

    # Assert: bit for bit, every column, except a NaN's sign and payload: IEEE 754 leaves them to the
    # implementation, and NumPy's SIMD loops and LLVM's code set the sign bit of 0·inf differently
    for name in ("equity", "requirement", "health", "tolerance", "status"):
        ours, theirs = getattr(compiled, name), getattr(plain, name)
        assert ours.dtype == theirs.dtype, name
        if ours.dtype.kind == "f":
            assert (np.isnan(ours) == np.isnan(theirs)).all(), name
            ours, theirs = ours[~np.isnan(ours)], theirs[~np.isnan(theirs)]
        assert ours.tobytes() == theirs.tobytes(), name
