"""The ledger's exact portfolio-margin requirement against the vectorised float model, on random portfolios.

One formula, two implementations with different jobs: :mod:`ringfence.core.portfolio.requirement`
(with :mod:`ringfence.core.portfolio.options`) is what the ledger runs, in integers; and
:mod:`ringfence.risk.portfolio_margin` is the float64 model for statistics over many accounts. Both
reprice each instrument once per scenario of the same Deribit grid (the integer grid's columns feed
the float :class:`~ringfence.risk.scenario_grid.ScenarioGrid`), shock options' volatility with the
same published parameters, and take each underlying's worst loss (the float model is run once per
underlying, as the ledger margins underlyings apart).

Tolerance: 1e-9 of the portfolio's gross notional plus one atom. The integer Black-76 is within
10⁻¹⁸ of the exact value and the shocked volatility is floored to 10⁻¹⁸; float64 Black-76 carries
about 10⁻¹⁵ relative error per price, summed over at most 24 legs; the ledger's ceiling adds at
most one atom.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from ringfence.core.portfolio.grid import PPM, Scenario, VolatilityMove, deribit_standard_scenarios
from ringfence.core.portfolio.options import option_pnl
from ringfence.core.portfolio.requirement import Leg, linear_contingency, linear_pnl, requirement_value, worst_losses
from ringfence.core.portfolio.rule import deribit_rule
from ringfence.core.pricing.black76 import NS_PER_YEAR
from ringfence.risk.portfolio_margin import (
    Collateral,
    InstrumentKind,
    Instruments,
    Market,
    PortfolioMarginRule,
    portfolio_requirement,
)
from ringfence.risk.scenario_grid import DERIBIT_BTC_SHOCK, DERIVE_TAIL_DAMPENING, ScenarioGrid

WAD = 10**18
DAY_NS = 86_400 * 10**9
UNIT = 10**18  # the test's instruments have 18 decimals
CONTINGENCY_WAD = WAD // 100
COLUMNS = deribit_standard_scenarios(extended_weights_ppm=tuple(round(d * PPM) for _, d in DERIVE_TAIL_DAMPENING))
SCENARIOS = tuple(Scenario(s, VolatilityMove(m), w) for s, m, w in zip(*COLUMNS, strict=True))
FLOAT_GRID = ScenarioGrid.of(
    "deribit-spm", [(s / PPM, VolatilityMove(m), w / PPM) for s, m, w in zip(*COLUMNS, strict=True)], DERIBIT_BTC_SHOCK
)
SHOCK = deribit_rule("USDC").volatility_shock

instrument = st.tuples(
    st.sampled_from((InstrumentKind.LINEAR, InstrumentKind.CALL, InstrumentKind.PUT)),
    st.integers(-50 * UNIT, 50 * UNIT).filter(bool),  # signed quantity
    st.integers(50, 200),  # strike as a percentage of the price
    st.integers(1, 400),  # days to expiry
    st.integers(10, 200),  # volatility, percent a year
)
underlying = st.tuples(
    st.integers(1, 100_000),  # price in whole dollars
    st.lists(instrument, min_size=1, max_size=8),
    st.integers(0, 20 * UNIT),  # collateral held in the underlying
)


def _core(book: list[tuple[int, list[tuple[InstrumentKind, int, int, int, int]], int]]) -> tuple[int, Fraction]:
    legs, contingency = [], Fraction(0)
    for index, (dollars, rows, held) in enumerate(book):
        price = dollars * WAD
        name = f"U{index}"
        legs.append(Leg(name, linear_pnl(held, 18, price, SCENARIOS)))
        for kind, quantity, strike_percent, days, volatility in rows:
            if kind is InstrumentKind.LINEAR:
                legs.append(Leg(name, linear_pnl(quantity, 18, price, SCENARIOS)))
                contingency += linear_contingency(quantity, 18, price, CONTINGENCY_WAD)
                continue
            contract = (price, price * strike_percent // 100, kind is InstrumentKind.CALL)
            pnl = option_pnl(quantity, 18, contract, volatility * WAD // 100, days * DAY_NS, SCENARIOS, SHOCK)
            legs.append(Leg(name, pnl))
    max_loss = sum((loss.loss_value for loss in worst_losses(legs, SCENARIOS)), Fraction(0))
    return requirement_value(max_loss, WAD, contingency), max_loss


def _float(book: list[tuple[int, list[tuple[InstrumentKind, int, int, int, int]], int]]) -> float:
    total = 0.0
    rule = PortfolioMarginRule(FLOAT_GRID, im_factor=1.0, linear_contingency=0.01)
    for dollars, rows, held in book:
        market = Market.of([float(dollars)])
        instruments = Instruments.of(
            [0] * len(rows),
            [kind for kind, *_ in rows],
            [dollars * strike / 100 for _, _, strike, _, _ in rows],
            [days * DAY_NS / NS_PER_YEAR for *_, days, _ in rows],
            [volatility / 100 for *_, volatility in rows],
            market,
        )
        positions = sparse.csr_array(np.array([[quantity / UNIT for _, quantity, *_ in rows]]))
        collateral = Collateral.of([0], [float(dollars)], market)
        units = sparse.csr_array(np.array([[held / UNIT]]))
        total += float(portfolio_requirement(positions, instruments, market, rule, units, collateral).requirement[0])
    return total * 10**6  # value atoms


@settings(max_examples=40, deadline=None)
@given(st.lists(underlying, min_size=1, max_size=3))
def test_the_ledgers_requirement_matches_the_float_model(
    book: list[tuple[int, list[tuple[InstrumentKind, int, int, int, int]], int]],
) -> None:
    atoms, _ = _core(book)
    expected = _float(book)
    gross = sum(dollars * (held + sum(abs(q) for _, q, *_ in rows)) / UNIT for dollars, rows, held in book) * 10**6
    assert abs(atoms - expected) <= 1e-9 * gross + 1.0


def test_the_check_bites_a_missing_scenario_is_seen() -> None:
    # a short put alone: dropping its worst scenario from the ledger's grid moves it outside the tolerance
    book = [(2_000, [(InstrumentKind.PUT, -10 * UNIT, 90, 30, 80)], 0)]
    contract = (2_000 * WAD, 1_800 * WAD, False)
    full = [Leg("U0", option_pnl(-10 * UNIT, 18, contract, 8 * WAD // 10, 30 * DAY_NS, SCENARIOS, SHOCK))]
    worst = worst_losses(full, SCENARIOS)[0].worst_scenario
    trimmed = SCENARIOS[:worst] + SCENARIOS[worst + 1 :]
    legs = [Leg("U0", option_pnl(-10 * UNIT, 18, contract, 8 * WAD // 10, 30 * DAY_NS, trimmed, SHOCK))]
    cut = requirement_value(sum((x.loss_value for x in worst_losses(legs, trimmed)), Fraction(0)), WAD, Fraction(0))
    tolerance = 1e-9 * 20_000 * 10**6 + 1.0
    assert abs(_core(book)[0] - _float(book)) <= tolerance
    assert abs(cut - _float(book)) > tolerance
