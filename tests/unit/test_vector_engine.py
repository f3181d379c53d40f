"""The vectorised stress engine end to end, on hand-made paths with numbers computed in the comments.

The base scenario (``tests/support/stress.py``): one ETH market (IM 15%, MM 10%, penalty 1%
split half/half, LP capital 1,000,000, insurance 300), one trader long 5x with 1000 USD
(log-sd 0, so exactly the mean up to float rounding): notional 5000, size 50 at 100.
"""

from __future__ import annotations

import numpy as np
import pytest

from ringfence.lab.errors import ScenarioError
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.results import RunResult
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector import run_vector
from support.stress import hand_paths, stress_inputs, stress_scenario

TWO_MARKETS = {
    "price": [
        {"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 0.5},
        {"kind": "gbm", "asset": "BTC", "initial_price": 100.0, "volatility": 0.5},
    ],
    "venue": {
        "markets": [
            {"asset": "ETH", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 1_000_000.0},
            {"asset": "BTC", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 3_000_000.0},
        ]
    },
}


def run_one(
    scenario: Scenario, prices: list[list[float]], isolation: str = "isolated_positions", **kwargs: object
) -> RunResult:
    assets = tuple(market.asset for market in scenario.venue.markets) if scenario.venue else ("ETH",)
    paths = hand_paths(prices, assets)
    scale = float(kwargs.get("margin_scale", 1.0))  # type: ignore[arg-type]
    book, draws = stress_inputs(scenario, 1, scale)
    (result,) = run_vector(scenario, paths, book, draws, isolation, scale)  # type: ignore[arg-type]
    return result


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"attacker": {"market": "ETH", "collateral": 1000.0, "leverage": 10.0, "exit_step": 2}}, "attacker"),
        ({"venue": {"pool": {"auto_deleverage": True}}}, "venue.pool.auto_deleverage"),
        ({"venue": {"pool": {"oracle_jump_breaker": 0.2}}}, "venue.pool.oracle_jump_breaker"),
    ],
)
def test_unsupported_features_are_refused_by_key(changes: dict[str, object], key: str) -> None:
    scenario = stress_scenario(**changes)
    with pytest.raises(ScenarioError) as caught:
        run_one(scenario, [[100.0] * 5])
    assert key in caught.value.keys


def test_a_stress_run_needs_keepers_a_known_rung_and_a_positive_margin_scale() -> None:
    scenario = stress_scenario()
    book, draws = stress_inputs(scenario, 1)
    no_keepers = scenario.model_copy(update={"keepers": None})
    with pytest.raises(ScenarioError) as caught:
        run_vector(no_keepers, hand_paths([[100.0] * 5]), book, draws, "monolithic", 1.0)
    assert caught.value.keys == ("keepers",)
    with pytest.raises(ScenarioError) as caught:
        run_vector(scenario, hand_paths([[100.0] * 5]), book, draws, "sideways", 0.0)  # type: ignore[arg-type]
    assert caught.value.keys == ("study.ladder", "study.margin_scales")


# --- one trader ---------------------------------------------------------------------------------


def test_a_keeper_liquidation_pays_the_keeper_and_the_insurance_fund() -> None:
    # Step 2 at 85: E = 1000 + 50*(85 - 100) = 250 < R = 50*85*0.1 = 425. Whole close (close factor 1):
    # realised -750, penalty 4250*1% = 42.5 (keeper 21.25, insurance +21.25 -> 321.25); LP vault +750.
    result = run_one(stress_scenario(), [[100.0, 100.0, 85.0, 85.0, 85.0]])
    (row,) = result.liquidations
    assert (row["step"], row["market"], row["trader"], bool(row["backstop"])) == (2, 0, 0, False)
    assert row["notional_usd"] == pytest.approx(4250.0)
    assert row["bad_debt_usd"] == 0.0
    assert row["delay_seconds"] == 0.0
    np.testing.assert_allclose(result.insurance_usd[0], [300.0, 300.0, 321.25, 321.25, 321.25])
    np.testing.assert_allclose(result.lp_nav_usd[0, 2:], [1_000_750.0] * 3)
    np.testing.assert_allclose(result.open_notional_usd, [5000.0, 5000.0, 0.0, 0.0, 0.0], atol=1e-9)
    assert result.total_bad_debt_usd == 0.0
    assert result.collateral_usd == pytest.approx(1000.0)


def test_a_bankrupt_position_leaves_bad_debt_paid_by_insurance_then_the_lp_vault() -> None:
    # Step 1 at 70: E = 1000 - 1500 = -500: backstop, shortfall 500; insurance pays its 300, the LP vault 200.
    # LP vault: 1,000,000 + 1500 (realised loss) - 500 (shortfall) + 300 (drawn) = 1,001,300.
    result = run_one(stress_scenario(), [[100.0, 70.0, 70.0, 70.0, 70.0]])
    (row,) = result.liquidations
    assert bool(row["backstop"])
    assert row["bad_debt_usd"] == pytest.approx(500.0)
    np.testing.assert_allclose(result.bad_debt_usd, [500.0])
    np.testing.assert_allclose(result.lp_loss_usd, [200.0])
    np.testing.assert_allclose(result.insurance_drawdown_usd, [300.0])
    np.testing.assert_allclose(result.lp_nav_usd[0, 1], 1_001_300.0)
    assert result.contagion_usd == 0.0


def test_keeper_latency_delays_the_liquidation() -> None:
    # Below maintenance from step 1; a 2-hour latency makes it eligible at step 3, 7200 s later.
    result = run_one(stress_scenario(keepers={"latency_seconds": 7200}), [[100.0, 85.0, 85.0, 85.0, 85.0]])
    (row,) = result.liquidations
    assert (row["step"], row["delay_seconds"]) == (3, 7200.0)


def test_failing_keepers_liquidate_at_the_first_step_whose_draw_succeeds() -> None:
    scenario = stress_scenario(keepers={"failure_probability": 0.5}, horizon={"steps": 8})
    draws = stress_inputs(scenario, 1)[1][0].keeper[:, 0]
    expected = next(step for step in range(1, 9) if draws[step] < 0.5)  # 1 keeper: succeeds below 1 - 0.5
    result = run_one(scenario, [[100.0] + [85.0] * 8])
    assert result.liquidations["step"].tolist() == [expected]
    never = run_one(stress_scenario(keepers={"failure_probability": 1.0}), [[100.0, 85.0, 85.0, 85.0, 85.0]])
    assert never.liquidations.shape == (0,)


def test_a_top_up_restores_health_from_the_reserve() -> None:
    # Step 1 at 90: E = 500, R = 450, health 1.11 < 2: deposits min(reserve 1000, 0.5*1000) = 500 -> health 2.22.
    # Step 3 at 80: E = 1500 - 1000 = 500, R = 400, health 1.25: deposits the last 500. No liquidation.
    scenario = stress_scenario(population={"top_up_health": 2.0, "top_up_probability": 1.0, "top_up_fraction": 0.5})
    result = run_one(scenario, [[100.0, 90.0, 90.0, 80.0, 80.0]])
    assert result.collateral_usd == pytest.approx(2000.0)
    assert result.liquidations.shape == (0,)


def test_lps_flee_a_drawdown_once_and_the_reserve_rule_can_make_them_wait() -> None:
    # A short of 50 at 100 gains 500 at 90: NAV 999,500, 0.05% below the peak > 0.01%: the LP
    # redeems half its shares for 499,750. Exposure 50*90 = 4500 <= 10 x 500,250: paid at once.
    short = {"population": {"long_share": 0.0}, "liquidity_providers": {"flee_drawdown": 0.0001, "flee_share": 0.5}}
    result = run_one(stress_scenario(**short), [[100.0, 90.0, 90.0, 90.0, 90.0]])
    np.testing.assert_allclose(result.lp_nav_usd[0], [1_000_000.0, 499_750.0, 499_750.0, 499_750.0, 499_750.0])
    # Reserve factor 0.008: at 90, 4500 > 0.008 x 500,250 = 4002: refused. At 80 (NAV 999,000, half = 499,500):
    # 50*80 = 4000 <= 0.008 x 500,500 = 4004: paid at step 2.
    tight = stress_scenario(**short, venue={"pool": {"reserve_factor": 0.008}})
    waited = run_one(tight, [[100.0, 90.0, 80.0, 80.0, 80.0]])
    np.testing.assert_allclose(waited.lp_nav_usd[0, :3], [1_000_000.0, 999_500.0, 499_500.0])


def test_liquidation_sales_move_the_next_prices_and_the_impact_decays() -> None:
    # The step-2 close sells 4250: impact -1 * sqrt(4250 / 1e6) = -0.0651920; at step 3 the market is
    # 85 * exp(-0.0651920), at step 4 half of that impact is left (half-life = one step). The close itself
    # executes at 85 * exp(-0.0651920 * 2/3) = 81.385: execution cost 50 * (85 - 81.385) = 180.75.
    market = {**stress_scenario().venue.markets[0].model_dump(), "depth_usd": 1_000_000.0, "impact_coefficient": 1.0}  # type: ignore[union-attr]
    scenario = stress_scenario(venue={"markets": [market]}, liquidity={"recovery_half_life_seconds": 3600.0})
    result = run_one(scenario, [[100.0, 100.0, 85.0, 85.0, 85.0]])
    impact = -np.sqrt(4250.0 / 1_000_000.0)
    np.testing.assert_allclose(result.market_prices[0, 3:], [85.0 * np.exp(impact), 85.0 * np.exp(impact / 2)])
    np.testing.assert_allclose(result.oracle_prices[0, 3], 85.0 * np.exp(impact))
    assert result.liquidations["slippage_usd"][0] == pytest.approx(4250.0 * (1.0 - np.exp(impact * 2.0 / 3.0)))
    assert result.liquidations["slippage_usd"][0] == pytest.approx(180.75, abs=0.01)


def test_an_opening_past_the_open_interest_cap_is_refused() -> None:
    scenario = stress_scenario(
        venue={"markets": [{**stress_scenario().venue.markets[0].model_dump(), "open_interest_cap": 40.0}]}
    )  # type: ignore[union-attr]
    result = run_one(scenario, [[100.0, 50.0, 50.0, 50.0, 50.0]])
    assert result.open_notional_usd[0] == 0.0
    assert result.liquidations.shape == (0,)
    assert result.collateral_usd == pytest.approx(1000.0)


def test_the_margin_scale_scales_margins_and_caps_leverage() -> None:
    # Scale 2: IM 30%, leverage capped at 0.95 / 0.3 = 3.1667 -> notional 3166.67 instead of 5000.
    result = run_one(stress_scenario(), [[100.0] * 5], margin_scale=2.0)
    assert result.open_notional_usd[0] == pytest.approx(1000.0 * 0.95 / 0.3)


# --- several traders and markets ----------------------------------------------------------------


def test_a_cross_account_survives_where_its_isolated_positions_do_not() -> None:
    # Two positions of 2500 (25 at 100 each, 500 of collateral each). ETH -> 80 (PnL -500), BTC -> 120 (+500).
    # Monolithic: E = 1000, R = 0.1 * (2000 + 3000) = 500: healthy. Isolated positions: the ETH one has E = 0:
    # bankrupt, closed by the backstop with nothing left and no shortfall.
    scenario = stress_scenario(**TWO_MARKETS, population={"markets_per_trader": 2})
    prices = [[100.0, 80.0, 80.0, 80.0, 80.0], [100.0, 120.0, 120.0, 120.0, 120.0]]
    assert run_one(scenario, prices, "monolithic").liquidations.shape == (0,)
    isolated = run_one(scenario, prices, "isolated_positions")
    (row,) = isolated.liquidations
    assert (row["market"], bool(row["backstop"]), row["bad_debt_usd"]) == (0, True, 0.0)


def test_a_shortfall_the_market_s_own_losses_cover_is_bad_debt_but_not_contagion() -> None:
    # One trader long 5x with 1000 USD (notional 5000, no fee); both markets crash 100 -> 70: the
    # trader loses 1500, its 1000 of margin goes to the vault, the 500 it cannot pay is the
    # shortfall. The market still paid the shared vault +1000 net, so no LP lost value to it.
    scenario = stress_scenario(**TWO_MARKETS)
    market = int(stress_inputs(scenario, 1)[0].position_market[0])
    prices = [[100.0, 70.0, 70.0, 70.0, 70.0]] * 2
    shared = run_one(scenario, prices, "subaccounts")
    np.testing.assert_allclose(shared.lp_loss_usd, [500.0])
    assert shared.vault_pnl_by_market_usd[market] == pytest.approx(1000.0)
    assert shared.contagion_usd == 0.0
    isolated = run_one(scenario, prices, "isolated_pools")
    assert isolated.contagion_usd == 0.0
    assert isolated.lp_loss_usd[market] == pytest.approx(500.0)


def test_a_rally_a_shared_vault_pays_without_a_default_is_risk_sharing_not_contagion() -> None:
    # The same long in a rally 100 -> 130: +1500 unrealised at the end, owed by the vault. In the
    # shared pool the LP whose home is the other market bears its share of 1500 (3/4 or 1/4), but no
    # market defaulted, so none of it is contagion: it shows in the vault's P&L by market.
    scenario = stress_scenario(**TWO_MARKETS)
    market = int(stress_inputs(scenario, 1)[0].position_market[0])
    prices = [[100.0, 110.0, 120.0, 130.0, 130.0]] * 2
    shared = run_one(scenario, prices, "subaccounts")
    assert shared.liquidations.size == 0
    assert shared.vault_pnl_by_market_usd[market] == pytest.approx(-1500.0)
    assert shared.contagion_usd == 0.0
    isolated = run_one(scenario, prices, "isolated_pools")
    assert isolated.contagion_usd == 0.0
    assert isolated.vault_pnl_by_market_usd[market] == pytest.approx(-1500.0)


def test_a_position_left_underwater_by_keepers_that_never_act_is_latent_bad_debt() -> None:
    # Keepers always fail: the 5x long with 1000 USD ends at 70 with equity 1000 - 1500 = -500.
    scenario = stress_scenario(keepers={"failure_probability": 1.0})
    result = run_one(scenario, [[100.0, 90.0, 80.0, 70.0, 70.0]])
    assert result.liquidations.size == 0
    assert result.bad_debt_usd.tolist() == [0.0]
    np.testing.assert_allclose(result.latent_bad_debt_usd, [500.0])
    assert result.protocol_loss_usd == pytest.approx(500.0)


def test_keeper_capital_serves_the_largest_units_first() -> None:
    # Three longs at leverage 2..8, price 100 -> 40: all bankrupt. One keeper whose capital (1 USD)
    # runs out with any close: one liquidation per step, largest notional first.
    scenario = stress_scenario(
        population={"traders": 3, "leverage_min": 2.0, "leverage_max": 8.0}, keepers={"capital": 1.0}
    )
    notional = stress_inputs(scenario, 1)[0].position_notional_usd
    result = run_one(scenario, [[100.0, 40.0, 40.0, 40.0, 40.0]])
    assert result.liquidations["step"].tolist() == [1, 2, 3]
    assert result.liquidations["trader"].tolist() == np.argsort(-notional).tolist()


def test_serving_everyone_at_once_equals_serving_in_order_when_capital_never_binds() -> None:
    deep = [{**market, "depth_usd": 200_000.0} for market in TWO_MARKETS["venue"]["markets"]]  # type: ignore[index]
    scenario = stress_scenario(
        price=TWO_MARKETS["price"],
        venue={"markets": deep},
        horizon={"steps": 30},
        population={
            "traders": 60,
            "markets_per_trader": 2,
            "leverage_min": 2.0,
            "leverage_max": 6.0,
            "long_share": 0.7,
            "collateral_log_sd": 0.6,
            "top_up_health": 1.2,
            "top_up_probability": 0.3,
        },
        keepers={"count": 3, "failure_probability": 0.3, "latency_seconds": 3600},
        liquidity_providers={"flee_drawdown": 0.001},
    )
    rich = scenario.model_copy(update={"keepers": scenario.keepers.model_copy(update={"capital": 1e30})})  # type: ignore[union-attr]
    generator = np.random.default_rng(5)
    log_returns = generator.normal(-0.01, 0.06, size=(2, 6, 30))
    prices = 100.0 * np.exp(np.concatenate([np.zeros((2, 6, 1)), np.cumsum(log_returns, axis=2)], axis=2))
    paths = hand_paths(prices, ("ETH", "BTC"))
    book, draws = stress_inputs(scenario, 6)
    for rung in ("monolithic", "subaccounts", "isolated_positions"):
        fast = run_vector(scenario, paths, book, draws, rung, 1.0)  # type: ignore[arg-type]
        ordered = run_vector(rich, paths, book, draws, rung, 1.0)  # type: ignore[arg-type]
        assert sum(len(r.liquidations) for r in fast) > 0
        for a, b in zip(fast, ordered, strict=True):
            np.testing.assert_array_equal(a.liquidations, b.liquidations)
            np.testing.assert_allclose(a.insurance_usd, b.insurance_usd)
            np.testing.assert_allclose(a.lp_nav_usd, b.lp_nav_usd)


# --- keepers for profit --------------------------------------------------------------------------


def both_engines(scenario: Scenario, prices: list[list[float]]) -> tuple[RunResult, RunResult]:
    """Play one hand path on the isolated-positions rung with the vector and the exact engine."""
    paths = hand_paths(prices, ("ETH",))
    book, draws = stress_inputs(scenario, 1, 1.0)
    (vector,) = run_vector(scenario, paths, book, draws, "isolated_positions", 1.0)
    exact = run_exact(scenario, paths, book, draws[0], "isolated_positions", 1.0, 0)
    return vector, exact


@pytest.mark.parametrize("engine", [0, 1], ids=["vector", "exact"])
def test_a_keeper_takes_a_liquidation_only_when_its_bonus_beats_the_gas(engine: int) -> None:
    # The close at step 2 pays the keeper 21.25 (above). Gas 20 at no congestion: taken, the keeper nets 1.25
    # and the market gets the gas. Gas 10 · (1 + 1.5 · min(1, 1/1)) = 25 at full congestion (1 eligible
    # unit for 1 keeper, scale 1): declined at steps 2, 3 and 4, counted once; nothing is liquidated.
    path = [[100.0, 100.0, 85.0, 85.0, 85.0]]
    taken = both_engines(stress_scenario(keepers={"gas_usd": 20.0}), path)[engine]
    assert len(taken.liquidations) == 1
    assert (taken.gas_usd, taken.unserved_liquidations) == (pytest.approx(20.0), 0)
    assert taken.party_pnl_usd["keepers"] == pytest.approx(1.25)
    assert taken.party_pnl_usd["market"] == pytest.approx(20.0)
    congested = stress_scenario(keepers={"gas_usd": 10.0, "congestion_gas": 1.5, "congestion_scale": 1.0})
    declined = both_engines(congested, path)[engine]
    assert len(declined.liquidations) == 0
    assert (declined.gas_usd, declined.unserved_liquidations) == (0.0, 1)


@pytest.mark.parametrize("engine", [0, 1], ids=["vector", "exact"])
def test_the_protocol_liquidator_takes_what_no_keeper_will_after_its_delay(engine: int) -> None:
    # Gas 30 beats the bonus 21.25: the keeper declines at step 2; one hour later (step 3) the protocol's
    # liquidator closes it, pays the gas 30 and keeps the keeper share 21.25: protocol P&L 21.25 - 30 = -8.75.
    scenario = stress_scenario(keepers={"gas_usd": 30.0, "protocol_backstop_seconds": 3600})
    result = both_engines(scenario, [[100.0, 100.0, 85.0, 85.0, 85.0]])[engine]
    (row,) = result.liquidations
    assert (row["step"], row["delay_seconds"]) == (3, 3600.0)
    assert result.unserved_liquidations == 1
    assert result.party_pnl_usd["protocol"] == pytest.approx(-8.75)
    assert result.party_pnl_usd["keepers"] == 0.0
    # traders lost 750 + 42.5 of penalty; the LPs won 750; insurance 21.25; the market the gas
    assert result.party_pnl_usd["traders"] == pytest.approx(-792.5)
    assert result.party_pnl_usd["lps"] == pytest.approx(750.0)
    assert result.party_pnl_usd["insurance"] == pytest.approx(21.25)
    assert result.party_pnl_usd["market"] == pytest.approx(30.0)
