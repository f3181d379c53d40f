"""Kernels of the vectorised stress engine, against numbers computed by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.lab.vector.attribution import (
    allocate_latent,
    attribute_marks,
    defaulted_markets,
    latent_bad_debt,
    lp_contagion,
)
from ringfence.lab.vector.kernels import (
    BANKRUPT,
    BANKRUPT_AFTER_CLOSE,
    KEEPER,
    MAX_EXECUTION_GAP,
    TOXIC,
    Execution,
    bounded_execution_price,
    close_position,
    execution_price,
    failure_probability,
    gas_cost,
    impact_decay,
    keeper_succeeds,
    margin_terms,
    oracle_stale,
    square_root_impact,
    top_up_amount,
)
from ringfence.lab.vector.waterfall import ordered_waterfall, waterfall


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def close_long(
    margin: float,
    *,
    unit_equity: float | None = None,
    unit_requirement: float = 100.0,
    close_factor: float = 0.5,
    market: float | None = None,
):
    # A long of 10 bought at 110 (basis 1100), marked at 100: notional 1000, PnL -100,
    # maintenance 10% -> its own requirement 100.
    equity = margin - 100.0 if unit_equity is None else unit_equity
    return close_position(
        size=a(10.0),
        basis=a(1100.0),
        price=a(100.0),
        maintenance_rate=a(0.1),
        pnl_weight=a(1.0),
        unit_equity=a(equity),
        unit_requirement=a(unit_requirement),
        margin=a(margin),
        penalty=0.02,
        close_factor=close_factor,
        liquidator_share=0.5,
        execution=None if market is None else Execution(a(market), math.inf, 0.0),
    )


def test_margin_terms_weight_only_positive_pnl() -> None:
    # long 2 @ basis 200 marked at 150: PnL 300 - 200 = +100, weight 0.8 -> 80; requirement 2*150*0.1 = 30
    # short -1 @ basis -100 marked at 150: PnL -150 + 100 = -50 (full); requirement 150*0.1 = 15
    equity, requirement = margin_terms(a(2.0, -1.0), a(200.0, -100.0), a(150.0, 150.0), a(0.1, 0.1), a(0.8, 0.8))
    np.testing.assert_allclose(equity, [80.0, -50.0])
    np.testing.assert_allclose(requirement, [30.0, 15.0])


def test_a_keeper_close_splits_the_penalty_between_keeper_and_insurance() -> None:
    # margin 130: E = 130 - 100 = 30, R = 100, health 0.3. Toxic? E*R_pos = 3000 >= R*p*N = 100*0.02*1000 = 2000: no.
    # close factor 0.5 closes 5: realised 5*100 - 1100*0.5 = -50; penalty 500*0.02 = 10, fully paid
    # (left = 130 - 50 = 80); keeper 10*0.5 = 5, insurance 5; margin after 80 - 10 = 70.
    outcome = close_long(130.0)
    assert outcome.status.tolist() == [KEEPER]
    np.testing.assert_allclose(outcome.closed_size, [5.0])
    np.testing.assert_allclose(outcome.closed_notional, [500.0])
    np.testing.assert_allclose(outcome.realised, [-50.0])
    np.testing.assert_allclose(outcome.keeper_reward, [5.0])
    np.testing.assert_allclose(outcome.insurance_penalty, [5.0])
    np.testing.assert_allclose(outcome.backstop_fee, [0.0])
    np.testing.assert_allclose(outcome.after, [70.0])
    np.testing.assert_allclose(outcome.new_size, [5.0])
    np.testing.assert_allclose(outcome.new_basis, [550.0])
    assert not outcome.backstop[0]


def test_a_toxic_close_takes_the_backstop_path_and_forfeits_equity_up_to_the_requirement() -> None:
    # margin 115: E = 15, E*R_pos = 1500 < 2000 -> toxic. Whole close: realised -100, left 15,
    # forfeited min(15, R_pos = 100) = 15 to the LP vault, nothing to keeper or insurance.
    outcome = close_long(115.0)
    assert outcome.status.tolist() == [TOXIC]
    np.testing.assert_allclose(outcome.closed_size, [10.0])
    np.testing.assert_allclose(outcome.realised, [-100.0])
    np.testing.assert_allclose(outcome.backstop_fee, [15.0])
    np.testing.assert_allclose(outcome.keeper_reward + outcome.insurance_penalty, [0.0])
    np.testing.assert_allclose(outcome.after, [0.0])
    np.testing.assert_allclose(outcome.new_size, [0.0])


def test_a_bankrupt_position_closes_whole_leaving_its_debt() -> None:
    # margin 90: E = -10 -> bankrupt; left = 90 - 100 = -10, nothing forfeited, after -10.
    outcome = close_long(90.0)
    assert outcome.status.tolist() == [BANKRUPT]
    np.testing.assert_allclose(outcome.after, [-10.0])
    np.testing.assert_allclose(outcome.backstop_fee, [0.0])
    np.testing.assert_allclose(outcome.closed_notional, [1000.0])


def test_a_keeper_close_that_would_leave_a_negative_balance_goes_to_the_backstop() -> None:
    # Cross unit: balance 10, this position's PnL -100, another position +200: E = 110, R = 200.
    # Not toxic (110*100 = 11000 >= 200*0.02*1000 = 4000). The half close realises -50: left -40 < 0,
    # so the backstop closes it whole: left = 10 - 100 = -90, nothing forfeited, balance -90.
    outcome = close_long(10.0, unit_equity=110.0, unit_requirement=200.0)
    assert outcome.status.tolist() == [BANKRUPT_AFTER_CLOSE]
    np.testing.assert_allclose(outcome.after, [-90.0])
    np.testing.assert_allclose(outcome.closed_size, [10.0])


def test_a_close_factor_of_one_closes_the_whole_position() -> None:
    # realised -100, penalty 1000*0.02 = 20 paid from left 30, after 10
    outcome = close_long(130.0, close_factor=1.0)
    assert outcome.status.tolist() == [KEEPER]
    np.testing.assert_allclose(outcome.new_size, [0.0])
    np.testing.assert_allclose(outcome.after, [10.0])


def test_a_shortfall_goes_through_the_capped_insurance_then_onto_the_lp_vault() -> None:
    # Shortfall 100; fund 80, cap 50 per window with 20 drawn in the open window: room min(30, 80) = 30.
    # No backstop budget: the other 70 are socialised. The window keeps its start and has 50 drawn.
    outcome = waterfall(a(100.0), a(80.0), a(20.0), a(0.0), a(0.0), a(0.0), 3600.0, 50.0, 86_400.0, 0.0, 86_400.0)
    np.testing.assert_allclose(outcome.drawn, [30.0])
    np.testing.assert_allclose(outcome.absorbed, [0.0])
    np.testing.assert_allclose(outcome.socialised, [70.0])
    np.testing.assert_allclose(outcome.lp_loss, [70.0])
    np.testing.assert_allclose(outcome.insurance_window_start, [0.0])
    np.testing.assert_allclose(outcome.insurance_drawn_in_window, [50.0])


def test_an_ended_window_opens_anew_and_the_backstop_budget_absorbs_before_socialising() -> None:
    # The window opened at 0 ended (now 90000 >= 86400): room min(50 - 0, 80) = 50, window restarts at now.
    # Remaining 50: the backstop budget 40 absorbs 40, 10 socialised.
    outcome = waterfall(a(100.0), a(80.0), a(20.0), a(0.0), a(0.0), a(0.0), 90_000.0, 50.0, 86_400.0, 40.0, 86_400.0)
    np.testing.assert_allclose(outcome.drawn, [50.0])
    np.testing.assert_allclose(outcome.absorbed, [40.0])
    np.testing.assert_allclose(outcome.socialised, [10.0])
    np.testing.assert_allclose(outcome.insurance_window_start, [90_000.0])
    np.testing.assert_allclose(outcome.insurance_drawn_in_window, [50.0])
    np.testing.assert_allclose(outcome.backstop_absorbed_in_window, [40.0])


def test_ordered_waterfall_credits_penalties_before_later_draws_and_respects_the_cap() -> None:
    # Pool A (closes in order): shortfalls 30, 0, 50, 40; the second close pays a penalty of 10.
    # Fund 60, cap room 100: d0 = 30 (fund 30 left); +10 -> 40; d2 = min(50, 40) = 40; d3 = 0.
    # Pool B: one shortfall 10 against a fund of 5: d = 5.
    starts = np.array([True, False, False, False, True])
    drawn, absorbed = ordered_waterfall(
        a(30, 0, 50, 40, 10),
        a(0, 10, 0, 0, 0),
        starts,
        a(60, 60, 60, 60, 5),
        a(100, 100, 100, 100, 100),
        a(25, 25, 25, 25, 0),
    )
    np.testing.assert_allclose(drawn, [30, 0, 40, 0, 5])
    # What insurance left: 0, 0, 10, 40 (running 0, 0, 10, 50); the budget 25 takes min(25, running): 0, 0, 10, 15.
    np.testing.assert_allclose(absorbed, [0, 0, 10, 15, 0])


def test_ordered_waterfall_stops_at_the_window_cap() -> None:
    # Cap room 50: d0 = 30; then the fund (40 after the penalty) allows 40 but the cap only 20 more.
    starts = np.array([True, False, False, False])
    drawn, _ = ordered_waterfall(
        a(30, 0, 50, 40), a(0, 10, 0, 0), starts, a(60, 60, 60, 60), a(50, 50, 50, 50), a(0, 0, 0, 0)
    )
    np.testing.assert_allclose(drawn, [30, 0, 20, 0])


def _sequential(shortfall: list[float], penalty: list[float], fund: float, cap: float) -> list[float]:
    draws = []
    used = 0.0
    for owed, paid in zip(shortfall, penalty, strict=True):
        draw = min(owed, max(min(cap - used, fund), 0.0))
        draws.append(draw)
        used += draw
        fund += paid - draw
    return draws


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1000), st.floats(0, 100), st.booleans()),
        min_size=1,
        max_size=30,
    ),
    st.floats(0, 2000),
    st.floats(0, 3000),
)
def test_ordered_waterfall_equals_the_sequential_rule(
    events: list[tuple[float, float, bool]], fund: float, cap: float
) -> None:
    # Each close either leaves a shortfall (backstop path) or pays a penalty (keeper path), never both.
    shortfall = [owed if bankrupt else 0.0 for owed, _, bankrupt in events]
    penalty = [0.0 if bankrupt else paid for _, paid, bankrupt in events]
    starts = np.zeros(len(events), dtype=bool)
    starts[0] = True
    n = len(events)
    drawn, _ = ordered_waterfall(a(*shortfall), a(*penalty), starts, np.full(n, fund), np.full(n, cap), np.zeros(n))
    np.testing.assert_allclose(drawn, _sequential(shortfall, penalty, fund, cap), rtol=1e-9, atol=1e-6)


def test_square_root_impact_moves_against_the_flow() -> None:
    # Net sales 250,000 into a depth of 1,000,000 at coefficient 0.5: -0.5 * sqrt(0.25) = -0.25.
    # Net buys 40,000 at coefficient 1: +sqrt(0.04) = +0.2.  No flow: no impact.
    np.testing.assert_allclose(square_root_impact(a(250_000.0), a(1_000_000.0), a(0.5)), [-0.25])
    np.testing.assert_allclose(square_root_impact(a(-40_000.0, 0.0), a(1_000_000.0), a(1.0)), [0.2, 0.0])


def test_square_root_impact_takes_one_depth_per_market() -> None:
    # Two markets, the same 1,000,000 sold into each: the deep one (depth 1e8, coefficient 0.5)
    # moves -0.5 * sqrt(0.01) = -0.05, the thin one (1e6, coefficient 1) -1 * sqrt(1) = -1; a
    # market without impact (coefficient 0, infinite depth) does not move. Against (M, P) flow
    # the per-market arrays broadcast as columns.
    depth, coefficient = a(1e8, 1e6, np.inf), a(0.5, 1.0, 0.0)
    np.testing.assert_allclose(square_root_impact(a(1e6, 1e6, 1e6), depth, coefficient), [-0.05, -1.0, 0.0])
    flow = np.array([[1e6, -4e6], [1e6, 0.0], [5.0, 5.0]])
    np.testing.assert_allclose(
        square_root_impact(flow, depth[:, None], coefficient[:, None]), [[-0.05, 0.1], [-1.0, 0.0], [0.0, 0.0]]
    )


def test_execution_price_walks_the_square_root_curve_against_the_close() -> None:
    # q = 250,000 into a depth of 1,000,000 at coefficient 0.6: final impact 0.6·√0.25 = 0.3, average 2/3 of it
    # = 0.2. A sale fills at 100·e^-0.2 = 81.8730753, a purchase at 100·e^0.2 = 122.1402758; infinite depth: 100.
    sale = np.array([True, False])
    np.testing.assert_allclose(
        execution_price(a(100.0, 100.0), a(250_000.0, 250_000.0), 1_000_000.0, 0.6, sale), [81.8730753, 122.1402758]
    )
    np.testing.assert_allclose(execution_price(a(100.0), a(250_000.0), math.inf, 0.6, np.array([True])), [100.0])


def test_an_execution_price_is_never_better_than_the_oracle_and_at_most_the_bound_away() -> None:
    # oracle 100, bound 50%: a sale is charged within [50, 100], a purchase within [100, 150]
    sale = np.array([True, True, True, False, False, False])
    prices = a(40.0, 120.0, 90.0, 95.0, 170.0, 120.0)
    np.testing.assert_allclose(
        bounded_execution_price(prices, a(*[100.0] * 6), sale, MAX_EXECUTION_GAP),
        [50.0, 100.0, 90.0, 100.0, 150.0, 120.0],
    )


def test_gas_rises_with_congestion_up_to_its_multiplier() -> None:
    # gas 2 USD, +150% at full congestion (5 eligible per keeper): 2.5 per keeper -> 2·(1 + 1.5·0.5) = 3.5;
    # 10 per keeper is past full: 2·2.5 = 5; none: 2
    np.testing.assert_allclose(gas_cost(2.0, 1.5, a(2.5, 10.0, 0.0), 5.0), [3.5, 5.0, 2.0])


def test_the_execution_cost_is_charged_before_the_penalty() -> None:
    # As the keeper close above (5 closed at the oracle 100, realised -50, penalty 10), but the market is at 90:
    # cost 5·(100 - 90) = 50; left 130 - 50 - 50 = 30 pays the penalty 10 (keeper 5); after 20.
    outcome = close_long(130.0, market=90.0)
    assert outcome.status.tolist() == [KEEPER]
    np.testing.assert_allclose(outcome.execution_price, [90.0])
    np.testing.assert_allclose(outcome.execution_cost, [50.0])
    np.testing.assert_allclose(outcome.realised, [-50.0])
    np.testing.assert_allclose(outcome.keeper_reward, [5.0])
    np.testing.assert_allclose(outcome.insurance_penalty, [5.0])
    np.testing.assert_allclose(outcome.after, [20.0])


def test_an_execution_cost_past_the_margin_pays_no_penalty_and_leaves_a_debt() -> None:
    # Market at 80: cost 5·20 = 100; left 130 - 50 - 100 = -20: no penalty, after -20 (still the keeper path,
    # decided at the oracle). A toxic whole close (margin 115) at a market of 95: cost 10·5 = 50,
    # left 15 - 50 = -35: nothing forfeited, after -35. A market above the oracle costs a sale nothing.
    keeper = close_long(130.0, market=80.0)
    assert keeper.status.tolist() == [KEEPER]
    np.testing.assert_allclose(
        [keeper.keeper_reward[0], keeper.insurance_penalty[0], keeper.after[0]], [0.0, 0.0, -20.0]
    )
    toxic = close_long(115.0, market=95.0)
    assert toxic.status.tolist() == [TOXIC]
    np.testing.assert_allclose([toxic.execution_cost[0], toxic.backstop_fee[0], toxic.after[0]], [50.0, 0.0, -35.0])
    above = close_long(130.0, market=110.0)
    np.testing.assert_allclose([above.execution_price[0], above.execution_cost[0], above.after[0]], [100.0, 0.0, 70.0])


def test_impact_decays_at_the_arbitrage_half_life() -> None:
    # One-hour steps, two-hour half-life: 0.5 ** 0.5
    assert impact_decay(3600.0, 7200.0) == pytest.approx(math.sqrt(0.5))
    assert impact_decay(3600.0, 3600.0) == pytest.approx(0.5)


def test_congestion_raises_each_keepers_failure_probability() -> None:
    # 30 eligible / 3 keepers = 10 per keeper, half of the scale 20: p = 0.1 + 0.4 * 0.5 = 0.3.
    # Past the scale congestion saturates: 0.1 + 0.4 = 0.5; and p never exceeds 1.
    np.testing.assert_allclose(failure_probability(a(30.0, 300.0), 3, 0.1, 0.4, 20.0), [0.3, 0.5])
    np.testing.assert_allclose(failure_probability(a(300.0), 3, 0.9, 0.4, 20.0), [1.0])


def test_a_unit_is_liquidated_when_its_draw_beats_all_keepers_failing() -> None:
    # p = 0.3 with 3 keepers: some keeper succeeds with 1 - 0.027 = 0.973; with no keeper left, never.
    won = keeper_succeeds(a(0.97, 0.98, 0.0), a(0.3, 0.3, 0.3), a(3.0, 3.0, 0.0))
    assert won.tolist() == [True, False, False]


def test_top_up_deposits_the_smaller_of_the_reserve_and_the_wanted_amount() -> None:
    # threshold 1.2: health 1.1 tops up (draw 0.1 < 0.5) min(300, 250) = 250 and min(100, 250) = 100;
    # a healthy unit, an unlucky draw and a unit without requirement (NaN) do not.
    amount = top_up_amount(
        a(1.1, 1.1, 1.3, 1.1, np.nan),
        1.2,
        a(0.1, 0.1, 0.1, 0.9, 0.1),
        0.5,
        a(300, 100, 300, 300, 300),
        a(250, 250, 250, 250, 250),
    )
    np.testing.assert_allclose(amount, [250.0, 100.0, 0.0, 0.0, 0.0])
    assert top_up_amount(a(0.5), 0.0, a(0.0), 1.0, a(10.0), a(5.0)).tolist() == [0.0]


def test_the_venue_oracle_goes_stale_as_the_exact_engine_sees_it() -> None:
    # Hourly grid, updates every 2 h read 1 h late: ages 0, 3600, 3600, 7200, 3600, 7200, ...
    # A price arrives at steps 0, 2, 4 (its publication time advances) with age 0 or 3600, under the
    # 5400 s limit: accepted, and 3600 s later (steps 1, 3, 5) still fresh. So nothing is stale,
    # although the lab's age (7200 at odd steps) exceeds the limit.
    ages = np.array([0, 3600, 3600, 7200, 3600, 7200], dtype=np.int64)
    assert oracle_stale(ages, 3600, 5400).tolist() == [False] * 6
    # With a 3000 s limit the price arriving at step 2 is already 3600 s old: refused, the oracle
    # degraded until the next arrival (steps 2, 3, 4, 5 all stale; step 1 is 3600 s after step 0's).
    assert oracle_stale(ages, 3600, 3000).tolist() == [False, True, True, True, True, True]
    # No limit: never stale.
    assert oracle_stale(ages, 3600, None).tolist() == [False] * 6


# --- attribution (docs/stress-model.md, "Contagion", worked example) ----------------------------


def test_lp_contagion_of_the_documented_worked_example() -> None:
    # Markets and LPs in order BTC, ETH, MNGO, one shared pool; fractions 0.6, 0.3, 0.1; marks -50, +150, -2200.
    lp_pnl = np.zeros((3, 3))
    attribute_marks(lp_pnl, np.array([0.6, 0.3, 0.1]), np.array([-50.0, 150.0, -2200.0]), np.ones((3, 3), bool))
    # Only MNGO defaulted (bad debt 5000 > $1; BTC's 0.5 is below the materiality): only MNGO's mark counts.
    # BTC LP: 0.6 (-2200) = -1320; ETH LP: 0.3 (-2200) = -660; MNGO LP: its home -> 0. Contagion 1980.
    defaulted = defaulted_markets(np.array([0.5, 0.0, 5000.0]))
    assert defaulted.tolist() == [False, False, True]
    assert lp_contagion(lp_pnl, np.eye(3, dtype=np.bool_), defaulted) == pytest.approx(1980.0)
    # Had every market defaulted: BTC 0.6 (150 - 2200) = -1230; ETH 0.3 (-50 - 2200) = -675;
    # MNGO 0.1 (-50 + 150) = +10 -> 0. Contagion 1905.
    assert lp_contagion(lp_pnl, np.eye(3, dtype=np.bool_), np.ones(3, dtype=np.bool_)) == pytest.approx(1905.0)
    # No default: a shared vault's LPs sharing each other's trading P&L is not contagion.
    assert lp_contagion(lp_pnl, np.eye(3, dtype=np.bool_), np.zeros(3, dtype=np.bool_)) == 0.0


def test_lp_contagion_is_zero_when_every_lp_shares_only_its_own_market() -> None:
    lp_pnl = np.zeros((2, 2))
    attribute_marks(lp_pnl, np.array([1.0, 1.0]), np.array([-500.0, -70.0]), np.eye(2, dtype=np.bool_))
    assert lp_contagion(lp_pnl, np.eye(2, dtype=np.bool_), np.ones(2, dtype=np.bool_)) == 0.0
    assert lp_pnl.tolist() == [[-500.0, 0.0], [0.0, -70.0]]


def test_latent_bad_debt_is_split_over_the_losing_positions_pro_rata() -> None:
    # Unit 0: equity -300 with positions at -600 and +200 and -200 -> losses 600 and 200 share 3:1.
    # Unit 1: no losing position (its margin alone is negative): all on the first slot.
    latent = latent_bad_debt(np.array([-300.0, -10.0, 50.0]))
    assert latent.tolist() == [300.0, 10.0, 0.0]
    split = allocate_latent(latent, np.array([[-600.0, 200.0, -200.0], [0.0, 5.0, 0.0], [-10.0, 0.0, 0.0]]))
    assert split.tolist() == [[225.0, 0.0, 75.0], [10.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
