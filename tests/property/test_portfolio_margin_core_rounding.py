"""The exact engine's portfolio-margin requirement never rounds in the account's favour (issue 13 acceptance).

Two levels, each against an exact value the test computes itself with ``fractions`` from the raw
integers (never from ``ringfence.core.portfolio``'s own arithmetic):

- the formula: random delta-one holdings on a few underlyings, random grids (shocks, weights),
  factors and contingencies: the requirement is ``⌈exact⌉``, hence never below the exact value and
  less than one atom above it;
- the ledger: a portfolio-margined sub-account of the three-pool venue with random perpetual sizes
  in pools P, Q (ETH) and C (BTC) and random ETH, BTC and USDC balances: both requirements equal the
  ceiling of the exact grid figure.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.margin import MarginKind
from ringfence.core.pool.portfolio_margin import portfolio_margin
from ringfence.core.pool.state import MarginMode, Position
from ringfence.core.portfolio.grid import PPM, Scenario, VolatilityMove
from ringfence.core.portfolio.requirement import Leg, linear_pnl, requirement_value, worst_losses
from support.portfolio_venue import BTC_MARKET, PM_RULE, PortfolioVenue
from support.venue import MARKET, WAD

VALUE_SCALE = 10**6  # value atoms per dollar (VALUE_DECIMALS = 6)

holdings = st.lists(
    st.tuples(
        st.sampled_from(("ETH", "BTC", "SOL")),
        st.integers(-(10**24), 10**24),  # signed quantity in atoms
        st.integers(0, 18),  # decimals
        st.integers(1, 10**24),  # price (WAD)
    ),
    min_size=1,
    max_size=8,
)
grids = st.lists(
    st.tuples(st.integers(-999_999, 5 * PPM), st.sampled_from(list(VolatilityMove)), st.integers(1, PPM)),
    min_size=1,
    max_size=12,
)


def _exact(rows: list[tuple[str, int, int, int]], grid: list[tuple[int, VolatilityMove, int]]) -> Fraction:
    """Σ over underlyings of max(0, −min over scenarios of weight · Σ q · p · shock), in value atoms."""
    total = Fraction(0)
    for underlying in {row[0] for row in rows}:
        worst = Fraction(0)
        for shock, _, weight in grid:
            pnl = sum(
                Fraction(q * VALUE_SCALE, 10**d) * Fraction(p, WAD) * Fraction(shock, PPM)
                for u, q, d, p in rows
                if u == underlying
            )
            worst = min(worst, pnl * Fraction(weight, PPM))
        total += -worst
    return total


@given(holdings, grids, st.integers(1, 10 * WAD), st.fractions(min_value=0, max_value=10**12))
def test_the_requirement_is_the_ceiling_of_the_exact_figure(
    rows: list[tuple[str, int, int, int]],
    grid: list[tuple[int, VolatilityMove, int]],
    factor: int,
    contingency: Fraction,
) -> None:
    scenarios = tuple(Scenario(shock, move, weight) for shock, move, weight in grid)
    legs = [Leg(u, linear_pnl(q, d, p, scenarios)) for u, q, d, p in rows]
    max_loss = sum((loss.loss_value for loss in worst_losses(legs, scenarios)), Fraction(0))
    exact = _exact(rows, grid) * Fraction(factor, WAD) + contingency
    atoms = requirement_value(max_loss, factor, contingency)
    assert atoms >= exact  # never in the account's favour
    assert atoms - exact < 1  # and at most the one rounding
    assert atoms == math.ceil(exact)


VENUE = PortfolioVenue()
VENUE.enable("alice")
sizes = st.integers(-(10**21), 10**21)  # up to ±1,000 ETH-atoms·10³ (the margin needs no fill: any size)


@settings(max_examples=60, deadline=None)
@given(
    sizes,
    sizes,
    st.integers(-(10**10), 10**10),
    st.integers(0, 10**20),
    st.integers(0, 10**9),
    st.integers(-(10**10), 10**12),
)
def test_the_ledgers_requirement_is_the_ceiling_of_the_exact_grid(
    eth_p: int, eth_q: int, btc_c: int, eth_held: int, btc_held: int, usdc_held: int
) -> None:
    state = VENUE.state
    overrides = {
        ("P", MARKET): Position(eth_p, 0, 0, MarginMode.PORTFOLIO) if eth_p else None,
        ("Q", MARKET): Position(eth_q, 0, 0, MarginMode.PORTFOLIO) if eth_q else None,
        ("C", BTC_MARKET): Position(btc_c, 0, 0, MarginMode.PORTFOLIO) if btc_c else None,
    }
    changes = {"ETH": eth_held, "BTC": btc_held, "USDC": usdc_held}  # the cash asset never moves: in no row
    eth, btc = 2_000 * WAD, VENUE.btc_price
    rows = [("ETH", eth_p + eth_q + eth_held, 18, eth), ("BTC", btc_c + btc_held, 8, btc)]
    grid = list(
        zip(PM_RULE.spot_shocks_ppm, map(VolatilityMove, PM_RULE.volatility_moves), PM_RULE.weights_ppm, strict=True)
    )
    contingency = (
        (Fraction(abs(eth_p) + abs(eth_q), 10**18) * 2_000 + Fraction(abs(btc_c), 10**8) * Fraction(btc, WAD))
        * VALUE_SCALE
        / 100
    )
    positions = any((eth_p, eth_q, btc_c)) or usdc_held < 0
    for kind, factor in ((MarginKind.INITIAL, Fraction(1)), (MarginKind.MAINTENANCE, Fraction(8, 10))):
        margin = portfolio_margin(state, ("alice", 0), kind, VENUE.now, changes, overrides)
        exact = _exact(rows, grid) * factor + contingency if positions else Fraction(0)
        assert margin.requirement_value >= exact
        assert margin.requirement_value == math.ceil(exact)
