"""Mango Markets (2022) on two designs: the loss stays inside the attacked pool only when it is isolated.

Both scenario files hold the same population, paths and attack (``scenarios/mango-*.toml``); the
cross design is one monolithic pool with PnL weight 1 and no stable price, the isolated design puts
MNGO in its own pool with the stable price and MNGO PnL at weight 0.5. One path each (the MNGO
path is the event template; the BTC/ETH paths are seeded).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ringfence.lab.results import RunResult
from ringfence.lab.scenario import load_scenario
from ringfence.lab.stress import build_study, collect_runs

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _own_run(name: str) -> RunResult:
    study = collect_runs(load_scenario(SCENARIOS / f"{name}.toml"), runs=1)
    return study.runs[study.own][0]


@pytest.fixture(scope="module")
def cross() -> RunResult:
    return _own_run("mango-cross")


@pytest.fixture(scope="module")
def isolated() -> RunResult:
    return _own_run("mango-isolated")


def test_the_cross_design_spreads_the_attacked_market_s_loss_to_lps_of_other_markets(cross: RunResult) -> None:
    assert cross.pools == ("shared",)
    assert cross.total_bad_debt_usd > 0
    assert cross.contagion_usd > 0
    assert cross.attacker_profit_usd > 0


def test_the_cross_design_counts_the_vault_loss_borne_by_btc_and_eth_lps_as_contagion(cross: RunResult) -> None:
    # Independent of the attribution code: each LP's share of the shared vault is its LP capital
    # over the total (the first deposits mint shares 1:1). When the LPs flee, each redeems the same
    # ``flee_share`` of its shares, so the fractions stay put; a redemption pays at most its share
    # of NAV, so NAV_0 - NAV_T is at least what the LPs lost together.
    scenario = load_scenario(SCENARIOS / "mango-cross.toml")
    assert scenario.venue is not None
    capital = {market.asset: market.lp_capital for market in scenario.venue.markets}
    foreign_share = Fraction(int(capital["BTC"] + capital["ETH"]), int(sum(capital.values())))
    vault_loss = cross.lp_nav_usd[0, 0] - cross.lp_nav_usd[0, -1]
    assert vault_loss > 30e6  # the attack drained the shared vault

    expected = float(foreign_share) * vault_loss
    # 1 USD of slack for float64 sums of ~1e8 USD marks (relative error ~1e-15 per term)
    assert cross.contagion_usd >= expected - 1.0
    assert cross.contagion_usd <= vault_loss


def test_the_isolated_design_keeps_every_loss_inside_the_attacked_pool(isolated: RunResult) -> None:
    mngo = isolated.pools.index("pool-MNGO")
    others = [index for index in range(len(isolated.pools)) if index != mngo]

    assert isolated.contagion_usd == 0
    assert isolated.bad_debt_usd[mngo] > 0
    assert all(isolated.bad_debt_usd[index] == 0 for index in others)
    assert all(isolated.lp_loss_usd[index] == 0 for index in others)
    assert all(isolated.insurance_drawdown_usd[index] == 0 for index in others)


def test_the_adaptive_attacker_executes_its_attack_on_the_isolated_design(isolated: RunResult) -> None:
    # The pool's reserve cap (5 x a 2M vault) is below the attack's 25M a side: the attacker opens
    # in long/short pairs under it, the MNGO oracle is pumped, and its short is liquidated.
    mngo = isolated.assets.index("MNGO")
    attacker_rows = isolated.liquidations[isolated.liquidations["trader"] == -1]
    assert isolated.oracle_prices[mngo].max() / isolated.oracle_prices[mngo, 0] > 20
    assert attacker_rows.size > 0
    assert set(attacker_rows["market"].tolist()) == {mngo}
    assert attacker_rows["notional_usd"].sum() > 10e6  # more than one pair: past the 10M reserve cap
    assert isolated.attacker_profit_usd != 0


def test_the_attack_on_the_isolated_design_leaves_the_other_pools_untouched(isolated: RunResult) -> None:
    # The same scenario without its attacker: BTC's and ETH's pools see the very same run.
    scenario = load_scenario(SCENARIOS / "mango-isolated.toml")
    study = collect_runs(scenario.model_copy(update={"attacker": None}), runs=1)
    calm = study.runs[study.own][0]
    mngo = isolated.pools.index("pool-MNGO")
    for pool in (index for index in range(len(isolated.pools)) if index != mngo):
        np.testing.assert_array_equal(isolated.lp_nav_usd[pool], calm.lp_nav_usd[pool])
        np.testing.assert_array_equal(isolated.insurance_usd[pool], calm.insurance_usd[pool])
        assert isolated.latent_bad_debt_usd[pool] == calm.latent_bad_debt_usd[pool] == 0
    others = isolated.liquidations[isolated.liquidations["pool"] != mngo]
    np.testing.assert_array_equal(others, calm.liquidations[calm.liquidations["pool"] != mngo])
    assert isolated.bad_debt_usd[mngo] > calm.bad_debt_usd[mngo]
    assert isolated.contagion_usd == 0


def test_isolation_caps_what_the_attacker_takes(cross: RunResult, isolated: RunResult) -> None:
    assert isolated.attacker_profit_usd < cross.attacker_profit_usd


def test_switching_isolation_off_is_what_lets_the_attack_spread() -> None:
    # The isolated design replayed with each mechanism off (one path). Hand-derived expectations:
    # without isolation the design is the cross one plus the stable price and MNGO weight 0.5, and
    # the attacker's long realises its profit in cash at exit (neither mechanism weighs realised
    # PnL), so its profit and the contagion come back. Isolated, the long's profit is capped by
    # pool-MNGO's vault while the short loses its collateral, so the attack does not pay. Lifting
    # the caps changes how the attacker sizes its pairs (with calibrated MNGO depth and execution at
    # the market it then loses more), but the pool is still alone: no contagion either way.
    study = build_study(collect_runs(load_scenario(SCENARIOS / "mango-isolated.toml"), runs=1))
    rows = {row.mechanism: row for row in study.containment}
    assert list(rows) == ["none", "isolation", "caps", "stable price", "PnL weight"]
    assert all(row.switched for name, row in rows.items() if name != "none")
    designed, shared = rows["none"], rows["isolation"]
    assert designed.contagion_mean_usd == 0
    assert shared.contagion_mean_usd > 30e6
    assert shared.attacker_profit_mean_usd > 0 > designed.attacker_profit_mean_usd
    assert rows["caps"].contagion_mean_usd == 0


def test_a_study_without_an_attacker_has_no_containment_section() -> None:
    scenario = load_scenario(SCENARIOS / "mango-cross.toml")
    study = build_study(collect_runs(scenario.model_copy(update={"attacker": None}), runs=1))
    assert study.containment == ()
