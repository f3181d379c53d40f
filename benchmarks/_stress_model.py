"""The liquidation model every engine of ``bench_stress.py`` plays, and the shared inputs.

One market, isolated positions (one margin per position), fixed penalty split keeper /
insurance, whole closes (close factor 1), the backstop path for bankrupt and toxic positions,
insurance then socialisation onto the LP vault, keeper latency; no depth impact, no top-ups,
no keeper failures, unlimited keeper capital. Per grid step ``t``:

1. the price is ``prices[path, t]`` (oracle = market);
2. a position with ``E = margin + size·price − basis`` below ``R = |size|·price·mm`` is a
   candidate since its first such step; it is eligible ``latency`` seconds later;
3. eligible positions are liquidated in descending notional (ties by index):
   - bankrupt (``E ≤ 0``) or toxic (``E < penalty·N``): closed whole with no penalty, the account
     forfeits ``min(max(E, 0), R)`` to the LP vault, a negative ``E`` is a shortfall;
   - otherwise closed whole paying ``min(penalty·N, E)``, ``liquidator_share`` of it to the
     keeper and the rest to the insurance fund;
   - a shortfall draws on the insurance fund, the rest is socialised (bad debt either way).

The inputs (prices and traders) are drawn once through ``ringfence.lab``; each peer receives
them as plain Python lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ringfence.lab.exact.population import DrawSet, TraderBook, draw_population
from ringfence.lab.sample import ScenarioPaths, sample_paths
from ringfence.lab.scenario import Scenario, validate_scenario


def scenario(traders: int, steps: int, paths: int) -> Scenario:
    """Return the benchmark's scenario: ETH under a jump diffusion, hourly, leverage 2-19x."""
    data: dict[str, Any] = {
        "name": "bench-stress",
        "seed": 20260101,
        "runs": paths,
        "horizon": {"steps": steps, "step_seconds": 3600},
        "price": {
            "kind": "jump_diffusion",
            "asset": "ETH",
            "initial_price": 2000.0,
            "volatility": 0.9,
            "jump_intensity": 25.0,
            "jump_mean": -0.04,
            "jump_volatility": 0.08,
        },
        "venue": {
            "pool": {"liquidation_penalty": 0.01, "liquidator_share": 0.5, "close_factor": 1.0},
            "markets": [
                {
                    "asset": "ETH",
                    "initial_margin": 0.05,
                    "maintenance_margin": 0.025,
                    "lp_capital": 1e10,
                    "insurance": 50_000.0,
                }
            ],
        },
        "population": {
            "traders": traders,
            "collateral_mean": 5_000.0,
            "collateral_log_sd": 0.8,
            "leverage_min": 2.0,
            "leverage_max": 19.0,
            "long_share": 0.6,
        },
        "keepers": {"count": 1, "latency_seconds": 3600},
    }
    return validate_scenario(data, Path("."), Path("bench-stress.toml"))


@dataclass(frozen=True)
class Rules:
    """The model's parameters, as the peers read them."""

    maintenance_margin: float
    penalty: float
    liquidator_share: float
    insurance: float
    latency_steps: int


@dataclass(frozen=True)
class Workload:
    """The shared inputs: the scenario, its paths and draws, and the same as plain lists for the peers."""

    scenario: Scenario
    paths: ScenarioPaths
    book: TraderBook
    draws: DrawSet
    rules: Rules
    prices: list[list[float]]
    margin: list[float]
    size: list[float]
    basis: list[float]

    @property
    def traders(self) -> int:
        return len(self.margin)

    @property
    def steps(self) -> int:
        return self.scenario.horizon.steps


def build_workload(traders: int, steps: int, paths: int) -> Workload:
    """Draw the paths and the traders once; open every position at the initial price."""
    stress = scenario(traders, steps, paths)
    sampled = sample_paths(stress, paths)
    book = draw_population(stress)
    # Keepers never fail and nobody tops up in this model, so no uniform is ever decisive: the
    # engines get zero-cost views instead of draw_uniforms' (steps x paths x traders) arrays.
    draws = DrawSet(
        np.broadcast_to(np.zeros(1), (steps + 1, paths, traders + 2)),
        np.broadcast_to(np.zeros(1), (steps + 1, paths, traders)),
    )
    market = stress.venue.markets[0]  # type: ignore[union-attr]
    price0 = float(sampled.oracle[0, 0, 0])
    size = book.position_notional_usd / price0
    keepers = stress.keepers
    pool = stress.venue.pool  # type: ignore[union-attr]
    rules = Rules(
        maintenance_margin=market.maintenance_margin,
        penalty=pool.liquidation_penalty,
        liquidator_share=pool.liquidator_share,
        insurance=market.insurance,
        latency_steps=keepers.latency_seconds // stress.horizon.step_seconds,  # type: ignore[union-attr]
    )
    return Workload(
        scenario=stress,
        paths=sampled,
        book=book,
        draws=draws,
        rules=rules,
        prices=sampled.oracle[0].tolist(),
        margin=book.position_collateral_usd.tolist(),
        size=size.tolist(),
        basis=(size * price0).tolist(),
    )


@dataclass
class PathOutcome:
    """What the correctness gate compares, per path."""

    bad_debt: float
    liquidations: int
    insurance: float


def liquidate(margin: float, size: float, basis: float, price: float, rules: Rules) -> tuple[float, float]:
    """Close one position whole; return ``(insurance penalty, shortfall)`` (the rule of the module docstring)."""
    notional = abs(size) * price
    requirement = notional * rules.maintenance_margin
    equity = margin + (size * price - basis)
    if equity <= 0.0 or (rules.penalty > 0.0 and equity * requirement < requirement * rules.penalty * notional):
        return 0.0, max(-equity, 0.0)
    paid = min(rules.penalty * notional, equity)
    return paid - paid * rules.liquidator_share, 0.0


def run_loop(workload: Workload, paths: int) -> list[PathOutcome]:
    """Play the model in plain Python (lists and a loop per step): the reference the frameworks are held to."""
    rules = workload.rules
    outcomes = []
    for path in range(paths):
        prices = workload.prices[path]
        margin, size, basis = workload.margin, workload.size, workload.basis
        open_positions = list(range(workload.traders))
        first_seen: dict[int, int] = {}
        insurance, bad_debt, count = rules.insurance, 0.0, 0
        for step in range(1, workload.steps + 1):
            price = prices[step]
            eligible = []
            for j in open_positions:
                equity = margin[j] + (size[j] * price - basis[j])
                if equity < abs(size[j]) * price * rules.maintenance_margin:
                    first = first_seen.setdefault(j, step)
                    if step - first >= rules.latency_steps:
                        eligible.append(j)
                else:
                    first_seen.pop(j, None)
            eligible.sort(key=lambda j: (-abs(size[j]) * price, j))
            for j in eligible:
                penalty, shortfall = liquidate(margin[j], size[j], basis[j], price, rules)
                drawn = min(shortfall, insurance)
                insurance += penalty - drawn
                bad_debt += shortfall
                count += 1
            closed = set(eligible)
            open_positions = [j for j in open_positions if j not in closed]
        outcomes.append(PathOutcome(bad_debt, count, insurance))
    return outcomes
