"""Hand-made stress runs and studies for the metrics, export and report tests (not an engine).

Every number here is chosen by the test that uses it, so expected metrics can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ringfence.lab.metrics import summarise
from ringfence.lab.results import LIQUIDATION_DTYPE, EngineName, IsolationLevel, RunResult
from ringfence.lab.study import (
    FrontierPoint,
    KeeperSweepPoint,
    SectionEngines,
    StudyResult,
    frontier_point,
    keeper_sweep_point,
    ladder_row,
)

ASSETS = ("ETH", "BTC")
MARKETS = ("ETH-PERP", "BTC-PERP")
POOLS = ("pool-ETH", "pool-BTC")
STEPS = 4

Liquidation = tuple[int, int, int, int, float, float, float, float, bool]
"""(step, pool, market, trader, notional_usd, bad_debt_usd, slippage_usd, delay_seconds, backstop)"""


def liquidations(rows: Sequence[Liquidation]) -> np.ndarray:
    """Build a liquidation record array from tuples in :data:`LIQUIDATION_DTYPE` order."""
    return np.array(list(rows), dtype=LIQUIDATION_DTYPE)


def make_run(
    *,
    path_index: int = 0,
    isolation: IsolationLevel = "isolated_pools",
    margin_scale: float = 1.0,
    bad_debt: Sequence[float] = (0.0, 0.0),
    records: Sequence[Liquidation] = (),
    contagion: float = 0.0,
    insurance: Sequence[Sequence[float]] | None = None,
    lp_loss: Sequence[float] = (0.0, 0.0),
    adl_loss: Sequence[float] = (0.0, 0.0),
    open_notional: Sequence[float] = (1000.0,) * (STEPS + 1),
    collateral: float = 1000.0,
    attacker_profit: float = 0.0,
    engine: EngineName = "exact",
) -> RunResult:
    """Return one hand-made run over two assets, two markets and two pools, ``STEPS`` grid steps."""
    market = np.array([[2000.0, 1900.0, 1500.0, 1400.0, 1600.0], [60000.0, 59000.0, 58000.0, 57500.0, 59000.0]])
    oracle = np.array([[2000.0, 2000.0, 1900.0, 1500.0, 1400.0], [60000.0, 60000.0, 59000.0, 58000.0, 57500.0]])
    if insurance is None:
        insurance = ((100.0,) * (STEPS + 1), (50.0,) * (STEPS + 1))
    return RunResult(
        engine=engine,
        isolation=isolation,
        margin_scale=margin_scale,
        path_index=path_index,
        assets=ASSETS,
        markets=MARKETS,
        pools=POOLS,
        step_seconds=3600,
        market_prices=market,
        oracle_prices=oracle,
        liquidations=liquidations(records),
        bad_debt_usd=np.array(bad_debt, dtype=np.float64),
        insurance_usd=np.array(insurance, dtype=np.float64),
        lp_nav_usd=np.full((2, STEPS + 1), 10_000.0),
        lp_loss_usd=np.array(lp_loss, dtype=np.float64),
        adl_loss_usd=np.array(adl_loss, dtype=np.float64),
        contagion_usd=contagion,
        open_notional_usd=np.array(open_notional, dtype=np.float64),
        collateral_usd=collateral,
        attacker_profit_usd=attacker_profit,
    )


def sample_runs(count: int = 6, isolation: IsolationLevel = "isolated_pools", scale: float = 1.0) -> list[RunResult]:
    """Return ``count`` varied runs of one design (losses and liquidations grow with the path index)."""
    runs = []
    for index in range(count):
        loss = 250.0 * index * scale
        records: list[Liquidation] = [
            (1, 0, 0, index, 5000.0 + 1000.0 * index, loss * 0.6, 12.5 * index, 3600.0, False),
            (2, 1, 1, index + 1, 8000.0, loss * 0.4, 20.0, 7200.0, index % 2 == 1),
        ]
        runs.append(
            make_run(
                path_index=index,
                isolation=isolation,
                margin_scale=scale,
                bad_debt=(loss * 0.6, loss * 0.4),
                records=records if index else records[:1],
                contagion=50.0 * index if isolation in ("monolithic", "subaccounts") else 0.0,
                insurance=((100.0, 90.0, 40.0, 40.0, 60.0), (50.0, 50.0, 45.0, 45.0, 45.0)),
                lp_loss=(loss * 0.1, 0.0),
                open_notional=(3000.0 / scale, 2800.0 / scale, 2500.0 / scale, 2400.0 / scale, 2300.0 / scale),
            )
        )
    return runs


def sample_study(
    runs: int = 6,
    *,
    keeper_sweep: bool = True,
    scales: Sequence[float] = (0.5, 1.0, 2.0),
    name: str = "hand-made <runs> & co",
) -> StudyResult:
    """Return a study assembled from hand-made runs (not an engine): every section filled."""
    base = tuple(sample_runs(runs))
    rungs: tuple[IsolationLevel, ...] = ("monolithic", "subaccounts", "isolated_pools", "isolated_positions")
    ladder = tuple(ladder_row(rung, 1.0, sample_runs(runs, rung)) for rung in rungs)
    frontier: list[FrontierPoint] = [
        frontier_point(rung, scale, summarise(sample_runs(runs, rung, scale), intervals=False))
        for rung in rungs
        for scale in scales
    ]
    sweep: tuple[KeeperSweepPoint, ...] = ()
    if keeper_sweep:
        sweep = tuple(
            keeper_sweep_point(
                latency, summarise(sample_runs(runs, "isolated_pools", 1.0 + latency / 60.0), intervals=False)
            )
            for latency in (0, 30, 120)
        )
    return StudyResult(
        scenario_name=name,
        description="Two markets under a hand-made crash; <b>not</b> an engine's output.",
        sources=("https://risk.gauntlet.network/faq", "Hand-made for the report tests"),
        seed=7,
        engines=replace(SectionEngines.uniform("exact"), frontier="vector"),
        runs_per_design=runs,
        base=base,
        ladder=ladder,
        frontier=tuple(frontier),
        keeper_sweep=sweep,
    )
