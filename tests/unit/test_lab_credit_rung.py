"""The stress lab's "isolated pools with credit lines" rung, on the exact engine, with worked numbers.

Premises (``support.stress``): two markets, ETH (the lender's pool, 1,000,000 USD of LPs) and ALT
(the borrower's pool, 10,000 USD of LPs); reserve factor 100%; one trader long 5x in each market with
4,000 USD per position, so 20,000 USD of notional each: more than the ALT pool's reserve alone
(10,000) lets it carry, within it once ETH's line of 50,000 USD adds its room (60,000). Prices are
hand-made paths; the oracle reads the market.
"""

from __future__ import annotations

from typing import Any

import pytest

from ringfence.lab.errors import ScenarioError
from ringfence.lab.exact.layout import layout_venue
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.results import RunResult
from ringfence.lab.vector import check_vector_support, run_vector
from support.stress import hand_paths, stress_inputs, stress_scenario

LINE = {"lender": "ETH", "borrower": "ALT", "cap": 50_000.0, "rate_per_year": 0.08}
VENUE: dict[str, Any] = {
    "pool": {"liquidation_penalty": 0.01, "liquidator_share": 0.5, "reserve_factor": 1.0},
    "markets": [
        {"asset": "ETH", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 1_000_000.0},
        {"asset": "ALT", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 10_000.0},
    ],
    "credit_lines": [LINE],
}
PRICE = {
    "kind": "correlated_gbm",
    "assets": ["ETH", "ALT"],
    "initial_prices": [100.0, 100.0],
    "volatilities": [0.5, 0.5],
    "correlation": [[1.0, 0.0], [0.0, 1.0]],
}


def scenario(**changes: Any) -> Any:
    """Return the two-pool scenario (module docstring) with ``changes``."""
    population = {"traders": 1, "markets_per_trader": 2, "collateral_mean": 8_000.0, "long_share": 1.0}
    venue = {**VENUE, **changes.pop("venue", {})}
    return stress_scenario(
        price=PRICE,
        venue=venue,
        population=population,
        study={"ladder": ["credit_lines", "isolated_pools"]},
        **changes,
    )


def play(rung: str, alt_prices: list[float]) -> RunResult:
    """Play one hand-made path (ETH flat at 100, ALT along ``alt_prices``) on ``rung``."""
    played = scenario()
    paths = hand_paths([[100.0] * len(alt_prices), alt_prices], assets=("ETH", "ALT"))
    book, draws = stress_inputs(played, 1)
    return run_exact(played, paths, book, draws[0], rung, 1.0, 0)  # type: ignore[arg-type]


def test_the_rung_lays_out_a_pool_per_market_and_opens_the_lines_after_the_lps_deposit() -> None:
    layout = layout_venue(scenario(), "credit_lines", 1.0)
    plain = layout_venue(scenario(), "isolated_pools", 1.0)
    kinds = [type(sent.command).__name__ for sent in layout.setup]

    assert [line.line for line in layout.credit_lines] == ["pool-ETH-to-pool-ALT"]
    assert (layout.credit_lines[0].lender, layout.credit_lines[0].borrower) == (0, 1)
    assert plain.credit_lines == ()
    assert layout.pools == plain.pools == ("pool-ETH", "pool-ALT")
    assert kinds.index("ExecuteProposal") > max(i for i, kind in enumerate(kinds) if kind == "ProvideLiquidity")
    assert "ProposeVenueChange" not in [type(sent.command).__name__ for sent in plain.setup]


def test_the_lines_room_lets_the_thin_pool_carry_what_its_reserve_alone_refuses() -> None:
    flat = [100.0] * 5

    plain = play("isolated_pools", flat)
    credit = play("credit_lines", flat)

    # ETH's 20,000 opens on both rungs; ALT's 20,000 passes 1.0 x 10,000 alone, not 1.0 x (10,000 + 50,000)
    assert plain.open_notional_usd[0] == pytest.approx(20_000.0)
    assert credit.open_notional_usd[0] == pytest.approx(40_000.0)
    # NAV counts the line: the lender's 1,000,000 is unchanged by committing 50,000 of it
    assert credit.lp_nav_usd[:, 0] == pytest.approx([1_000_000.0, 10_000.0], abs=1e-5)
    assert credit.credit_line_cap_usd.tolist() == [50_000.0, 0.0]
    assert credit.credit_line_loss_usd.tolist() == [0.0, 0.0]
    assert plain.credit_line_loss_usd.size == 0
    assert sum(credit.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)


def test_a_rally_the_borrower_cannot_pay_is_the_lenders_latent_loss_and_nothing_without_a_line() -> None:
    rally = [100.0, 125.0, 150.0, 175.0, 200.0]

    plain = play("isolated_pools", rally)
    credit = play("credit_lines", rally)

    # the ALT long (200 ALT) is up 200 x 100 = 20,000 against a 10,000 vault: NAV -10,000 (one atom less
    # on the redemption side); settled, the line would pay the 10,000 the vault lacks
    assert credit.lp_nav_usd[1, -1] == pytest.approx(-10_000.0, abs=1e-5)
    assert credit.credit_line_loss_usd[0] == pytest.approx(10_000.0, abs=1e-5)
    assert credit.contagion_usd == pytest.approx(10_000.0, abs=1e-5)
    assert plain.contagion_usd == 0.0
    assert sum(credit.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)


def test_a_crash_the_longs_cannot_cover_stays_with_the_borrowers_lps_and_draws_nothing() -> None:
    crash = [100.0, 100.0, 30.0, 30.0, 30.0]

    credit = play("credit_lines", crash)

    # the ALT long loses 200 x 70 = 14,000 on 4,000 of margin: a shortfall of about 10,000 the pool never
    # collects, but its vault holds cash (the LPs' 10,000 and the margin seized), so nothing is drawn
    assert credit.liquidations.size >= 1
    assert float(credit.liquidations["bad_debt_usd"].sum()) > 9_000.0
    assert credit.credit_line_drawn_usd.tolist() == [0.0, 0.0]
    assert credit.credit_line_loss_usd.tolist() == [0.0, 0.0]
    assert credit.lp_nav_usd[0, -1] == pytest.approx(1_000_000.0, abs=1e-5)
    assert sum(credit.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)


def test_the_rung_needs_lines_and_lines_need_two_markets_and_the_lenders_cash() -> None:
    with pytest.raises(ScenarioError, match=r"venue\.credit_lines"):
        scenario(venue={"credit_lines": []})
    with pytest.raises(ScenarioError, match="is not a market"):
        scenario(venue={"credit_lines": [{**LINE, "borrower": "SOL"}]})
    with pytest.raises(ScenarioError, match="never lends to itself"):
        scenario(venue={"credit_lines": [{**LINE, "borrower": "ETH"}]})
    with pytest.raises(ScenarioError, match="more than its lp_capital"):
        scenario(venue={"credit_lines": [{**LINE, "cap": 1_000_001.0}]})


def test_the_vector_engine_gives_the_same_room_and_the_same_latent_loss_on_a_rally() -> None:
    played = scenario()
    rally = [100.0, 150.0, 220.0, 330.0, 500.0]
    paths = hand_paths([[100.0] * 5, rally], assets=("ETH", "ALT"))
    book, draws = stress_inputs(played, 1)
    check_vector_support(played, "credit_lines", 1.0)

    (vector,) = run_vector(played, paths, book, draws, "credit_lines", 1.0)

    assert vector.open_notional_usd[0] == pytest.approx(40_000.0)
    assert vector.lp_nav_usd[:, 0] == pytest.approx([1_000_000.0, 10_000.0])
    assert vector.credit_line_loss_usd.tolist() == [50_000.0, 0.0]
    assert vector.contagion_usd == pytest.approx(50_000.0)


def test_the_lenders_loss_stops_at_its_cap_and_the_rest_is_the_winners_forgone_profit() -> None:
    rally = [100.0, 150.0, 220.0, 330.0, 500.0]

    credit = play("credit_lines", rally)

    # up 200 x 400 = 80,000 against a 10,000 vault: 70,000 short, of which the 50,000 line pays 50,000
    assert credit.lp_nav_usd[1, -1] == pytest.approx(-70_000.0, abs=1e-5)
    assert credit.credit_line_loss_usd[0] == 50_000.0
    assert credit.credit_line_loss_usd[0] == credit.credit_line_cap_usd[0]
