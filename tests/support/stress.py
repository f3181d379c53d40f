"""Small stress scenarios and hand-made price paths for the stress engines' tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ringfence.lab.exact.population import Draws, TraderBook, draw_population, draw_uniforms
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario, validate_scenario

BASE: dict[str, Any] = {
    "name": "stress-test",
    "seed": 3,
    "runs": 4,
    "horizon": {"steps": 4, "step_seconds": 3600},
    "price": {"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 0.5},
    "venue": {
        "pool": {"liquidation_penalty": 0.01, "liquidator_share": 0.5},
        "markets": [
            {
                "asset": "ETH",
                "initial_margin": 0.15,
                "maintenance_margin": 0.1,
                "lp_capital": 1_000_000.0,
                "insurance": 300.0,
            }
        ],
    },
    "population": {
        "traders": 1,
        "collateral_mean": 1000.0,
        "collateral_log_sd": 0.0,
        "leverage_min": 5.0,
        "leverage_max": 5.0,
        "long_share": 1.0,
    },
    "keepers": {"count": 1},
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``changes`` merged in, nested dictionaries key by key."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def stress_scenario(**changes: Any) -> Scenario:
    """Return the base scenario (one ETH market, one trader long 5x with 1000 USD) with ``changes``.

    Sections are merged key by key, except ``price``, which ``changes`` replaces whole.
    """
    data = merge(BASE, {key: value for key, value in changes.items() if key != "price"})
    if "price" in changes:
        data["price"] = copy.deepcopy(changes["price"])
    return validate_scenario(data, Path("."), Path("stress-test.toml"))


def hand_paths(prices: Sequence[Sequence[float]] | np.ndarray, assets: Sequence[str] = ("ETH",)) -> ScenarioPaths:
    """Return paths whose market and oracle are ``prices``.

    ``prices`` has shape ``(n_assets, steps + 1)`` (one path) or ``(n_assets, paths, steps + 1)``.
    """
    array = np.asarray(prices, dtype=np.float64)
    if array.ndim == 2:
        array = array[:, None, :]
    steps = array.shape[2] - 1
    return ScenarioPaths(
        assets=tuple(assets),
        market=array,
        oracle=array.copy(),
        oracle_age_seconds=np.zeros(steps + 1, dtype=np.int64),
        stale=np.zeros(steps + 1, dtype=np.bool_),
    )


def stress_inputs(scenario: Scenario, n_paths: int, margin_scale: float = 1.0) -> tuple[TraderBook, tuple[Draws, ...]]:
    """Return the traders (at ``margin_scale``) and ``n_paths`` paths' uniforms, as both engines take them."""
    book = draw_population(scenario, margin_scale)
    return book, draw_uniforms(scenario, n_paths, len(book.position_trader))
