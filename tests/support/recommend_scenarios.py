"""A one-step, two-pool scenario small enough for the recommendation's CLI and browser tests (seconds).

GBM, no impact, isolated positions, every trader long at the leverage cap: the sweep is fast and
every curve falls with the margin.
"""

from __future__ import annotations

ONE_STEP = """
name = "one-step"
seed = 3
runs = 200

[horizon]
steps = 1
step_seconds = 86400

[[price]]
kind = "gbm"
asset = "A"
initial_price = 100.0
volatility = 0.8

[[price]]
kind = "gbm"
asset = "B"
initial_price = 50.0
volatility = 1.2

[venue]
isolation = "isolated_positions"

[venue.pool]
liquidation_penalty = 0.0
reserve_factor = 100.0

[[venue.markets]]
asset = "A"
initial_margin = 0.10
maintenance_margin = 0.05
lp_capital = 1e9

[[venue.markets]]
asset = "B"
initial_margin = 0.10
maintenance_margin = 0.05
lp_capital = 1e9

[population]
traders = 30
collateral_mean = 1000.0
leverage_min = 100.0
leverage_max = 100.0
long_share = 1.0

[keepers]
count = 1
"""
