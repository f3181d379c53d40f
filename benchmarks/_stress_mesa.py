"""The benchmark's liquidation model written idiomatically in Mesa 3 (see ``_stress_model.py``).

A ``Trader`` agent per position (``check`` computes its margin and candidacy), a ``StressModel``
whose ``step`` moves the price, has every agent check, then liquidates the eligible ones in
order and removes them. One model per path.
"""

from __future__ import annotations

import mesa

from _stress_model import PathOutcome, Workload, liquidate


class Trader(mesa.Agent):  # type: ignore[misc]
    """One isolated position."""

    def __init__(self, model: StressModel, index: int, margin: float, size: float, basis: float) -> None:
        super().__init__(model)
        self.index = index
        self.margin = margin
        self.size = size
        self.basis = basis
        self.first_seen: int | None = None
        self.eligible = False

    def check(self) -> None:
        """Mark the position a candidate below maintenance, eligible once the latency has passed."""
        model = self.model
        equity = self.margin + (self.size * model.price - self.basis)
        requirement = abs(self.size) * model.price * model.rules.maintenance_margin
        if equity < requirement:
            if self.first_seen is None:
                self.first_seen = model.step_index
            self.eligible = model.step_index - self.first_seen >= model.rules.latency_steps
        else:
            self.first_seen = None
            self.eligible = False


class StressModel(mesa.Model):  # type: ignore[misc]
    """One path of the benchmark's liquidation model."""

    def __init__(self, workload: Workload, path: int) -> None:
        super().__init__()
        self.prices = workload.prices[path]
        self.rules = workload.rules
        self.price = self.prices[0]
        self.step_index = 0
        self.insurance = workload.rules.insurance
        self.bad_debt = 0.0
        self.liquidations = 0
        for index, (margin, size, basis) in enumerate(zip(workload.margin, workload.size, workload.basis, strict=True)):
            Trader(self, index, margin, size, basis)

    def step(self) -> None:
        """Move the price, let every trader check its margin, liquidate the eligible ones in order."""
        self.step_index += 1
        self.price = self.prices[self.step_index]
        self.agents.do("check")
        eligible = sorted(
            (agent for agent in self.agents if agent.eligible),
            key=lambda agent: (-abs(agent.size) * self.price, agent.index),
        )
        for agent in eligible:
            penalty, shortfall = liquidate(agent.margin, agent.size, agent.basis, self.price, self.rules)
            drawn = min(shortfall, self.insurance)
            self.insurance += penalty - drawn
            self.bad_debt += shortfall
            self.liquidations += 1
            agent.remove()


def run_mesa(workload: Workload, paths: int) -> list[PathOutcome]:
    """Run one Mesa model per path and return each path's outcome."""
    outcomes = []
    for path in range(paths):
        model = StressModel(workload, path)
        for _ in range(workload.steps):
            model.step()
        outcomes.append(PathOutcome(model.bad_debt, model.liquidations, model.insurance))
    return outcomes
