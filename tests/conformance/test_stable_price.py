"""Conformance of ``ringfence.core.stable_price`` with Mango v4's ``StablePriceModel``.

Source: blockworks-foundation/mango-v4, ``programs/mango-v4/src/state/stable_price.rs``
(``StablePriceModel::update``, ``reset_to_price`` and its ``#[cfg(test)]`` module, whose
``test_stable_price_10x`` and ``test_stable_price_average`` are reproduced below with the
same inputs and the same tolerances). Mango computes in ``f64`` (its growth limits are stored as
``f32``: 0.06 becomes 0.0599999987); ringfence computes in WAD integers with the exact decimal limits.

Mango's ``update`` in pseudo-code (``dt_limited = min(dt, 600)``)::

    if dt < 10: return
    acc_time += dt; acc_price += oracle * dt_limited
    on a new delay interval: delay slot(s) = clamp(acc_price / acc_time, prev * (1 ± delay_growth_limit))
    f = min(stable, delay) / max(stable, delay)
    stable = clamp(oracle, stable * (1 ± stable_growth_limit * f**2 * dt_limited))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.stable_price import (
    StablePrice,
    StablePriceParams,
    reset_stable_price,
    update_stable_price,
)
from ringfence.core.units import WAD

DEFAULT = StablePriceParams()


def _run(
    model: StablePrice, params: StablePriceParams, start: int, dt: int, steps: int, price: float
) -> tuple[StablePrice, int]:
    """Mango's ``run_and_print`` for a constant price: update at ``start + dt · (i + 1)``."""
    price_wad = round(price * WAD)
    for i in range(steps):
        model = update_stable_price(model, params, start + dt * (i + 1), price_wad)
    return model, start + dt * steps


# --- (a) hand-computed single steps ----------------------------------------------------------


def test_first_step_moves_stable_by_stable_growth_limit_times_dt() -> None:
    # Arrange
    model = reset_stable_price(100 * WAD, 0)

    # Act
    stepped = update_stable_price(model, DEFAULT, 10, 200 * WAD)

    # Assert: delay = stable = 100 → f = 1; g = 0.0003 · 1 · 1 · 10 = 0.003 → 100 · 1.003 = 100.3.
    assert stepped.stable_price_wad == 100_300_000_000_000_000_000
    assert stepped.last_update_seconds == 10
    # Same interval (10 // 3600 = 0): the accumulator holds 200 · 10 over 10 s, delay prices unchanged.
    assert stepped.delay_accumulator_price == 2_000_000_000_000_000_000_000
    assert stepped.delay_accumulator_seconds == 10
    assert stepped.delay_prices_wad == (100_000_000_000_000_000_000,) * 24
    assert stepped.last_delay_interval_index == 0


def test_second_step_matches_exact_rational_arithmetic() -> None:
    # Arrange: stable 100.3 after the first step; delay price still 100.
    model = update_stable_price(reset_stable_price(100 * WAD, 0), DEFAULT, 10, 200 * WAD)

    # Act
    stepped = update_stable_price(model, DEFAULT, 20, 200 * WAD)

    # Assert: f = 100 / 100.3; g = 0.0003 · f² · 10; stable = 100.3 · (1 + g), exactly.
    stable = Fraction(1003, 10)
    growth = Fraction(3, 10_000) * (Fraction(100) / stable) ** 2 * 10
    exact_wad = stable * (1 + growth) * WAD
    # Tolerance: every division floors, so g (a WAD ratio, floored per second and then × dt = 10)
    # is short by < 10 units of 1e-18 → stable short by < 100.3 · 10 = 1003 wad units, + 1 for the
    # final floor; never above the exact value. (A 2-unit bound is unreachable: one 1e-18 step of g
    # alone moves a price of 100 by 100 wad units.)
    assert 0 <= exact_wad - stepped.stable_price_wad <= 1_004


def test_one_step_rounding_error_stays_near_the_documented_1e18_relative() -> None:
    # Arrange: stable 100.3 after the first step; delay price 100.
    model = update_stable_price(reset_stable_price(100 * WAD, 0), DEFAULT, 10, 200 * WAD)

    # Act: a 600 s step (the largest dt_limited).
    stepped = update_stable_price(model, DEFAULT, 610, 200 * WAD)

    # Assert: exact = 100.3 · (1 + 0.0003 · (100 / 100.3)² · 600).
    stable = Fraction(1003, 10)
    exact_wad = stable * (1 + Fraction(3, 10_000) * (Fraction(100) / stable) ** 2 * 600) * WAD
    # Tolerance: the docstring promises at most 1e-18 relative per step; 1e-17 leaves 10x room for the
    # floors of f and f² (flooring g only after multiplying by dt_limited gives 1.2e-18 here).
    assert abs(exact_wad - stepped.stable_price_wad) * 10**17 <= exact_wad


def test_update_less_than_ten_seconds_after_the_last_leaves_the_model_unchanged() -> None:
    # Arrange
    model = reset_stable_price(100 * WAD, 0)

    # Act
    stepped = update_stable_price(model, DEFAULT, 9, 200 * WAD)

    # Assert
    assert stepped == model


def test_skipped_update_does_not_advance_the_clock() -> None:
    # Arrange: an update at 5 s is skipped (dt = 5 < 10).
    model = update_stable_price(reset_stable_price(100 * WAD, 0), DEFAULT, 5, 200 * WAD)

    # Act: at 10 s, dt is measured from 0 s, not 5 s.
    stepped = update_stable_price(model, DEFAULT, 10, 200 * WAD)

    # Assert: same as one step of 10 s: 100 · (1 + 0.0003 · 10) = 100.3.
    assert stepped.stable_price_wad == 100_300_000_000_000_000_000


def test_dt_is_capped_at_600_seconds_for_the_stable_price_but_not_for_accumulated_time() -> None:
    # Arrange
    model = reset_stable_price(100 * WAD, 0)

    # Act: dt = 1000 s, still in interval 0 (1000 // 3600 = 0).
    stepped = update_stable_price(model, DEFAULT, 1000, 200 * WAD)

    # Assert: g = 0.0003 · 600 = 0.18 → 100 · 1.18 = 118; the accumulator adds 200 · 600 but 1000 s.
    assert stepped.stable_price_wad == 118_000_000_000_000_000_000
    assert stepped.delay_accumulator_price == 120_000_000_000_000_000_000_000
    assert stepped.delay_accumulator_seconds == 1_000


def test_a_gap_longer_than_the_full_delay_refills_every_delay_slot() -> None:
    # Arrange
    model = reset_stable_price(100 * WAD, 0)

    # Act: dt = 90_000 s > 24 · 3600 = 86_400 s; new interval index (90_000 // 3600) % 24 = 1.
    stepped = update_stable_price(model, DEFAULT, 90_000, 200 * WAD)

    # Assert: average = 200 · 600 / 90_000 = 1.33 (diluted by the long gap), clamped to
    # 100 · (1 - 0.06) = 94 in all 24 slots. Then f = 94 / 100 = 0.94, f² = 0.8836,
    # g = 0.0003 · 0.8836 · 600 = 0.159048 → stable = 100 · 1.159048 = 115.9048.
    assert stepped.delay_prices_wad == (94_000_000_000_000_000_000,) * 24
    assert stepped.last_delay_interval_index == 1
    assert stepped.delay_accumulator_price == 0
    assert stepped.delay_accumulator_seconds == 0
    assert stepped.stable_price_wad == 115_904_800_000_000_000_000


def test_stable_price_falls_by_at_most_the_growth_limit() -> None:
    # Arrange
    model = reset_stable_price(100 * WAD, 0)

    # Act
    stepped = update_stable_price(model, DEFAULT, 10, 50 * WAD)

    # Assert: the lower clamp is prev · (1 - g) (Mango's, not prev / (1 + g)): 100 · 0.997 = 99.7.
    assert stepped.stable_price_wad == 99_700_000_000_000_000_000


# --- (b) Mango's own unit tests --------------------------------------------------------------


def test_mango_stable_price_10x() -> None:
    # Arrange
    model = reset_stable_price(1 * WAD, 0)

    # Act / Assert, stage 1: 60 updates every 60 s at 10.0 (one hour).
    model, t = _run(model, DEFAULT, 0, 60, 60, 10.0)
    # Tolerances below are Mango's own (assert!((x - y).abs() < tol)).
    assert abs(model.stable_price_wad - 1_800_000_000_000_000_000) < WAD // 10
    assert model.delay_prices_wad[1:] == (WAD,) * 23
    assert abs(model.delay_prices_wad[0] - 1_060_000_000_000_000_000) < WAD // 100
    assert model.last_delay_interval_index == 1
    assert model.delay_accumulator_seconds == 0
    assert model.delay_accumulator_price == 0

    # Stage 2: 360 updates every 10 s at 10.0 (another hour).
    model, t = _run(model, DEFAULT, t, 10, 6 * 60, 10.0)
    assert abs(model.stable_price_wad - 2_300_000_000_000_000_000) < WAD // 10
    assert model.delay_prices_wad[2:] == (WAD,) * 22
    assert abs(model.delay_prices_wad[0] - 1_060_000_000_000_000_000) < WAD // 100
    # 1.06 · 1.06 = 1.1236
    assert abs(model.delay_prices_wad[1] - 1_123_600_000_000_000_000) < WAD // 100
    assert model.last_delay_interval_index == 2
    assert model.delay_accumulator_seconds == 0
    assert model.delay_accumulator_price == 0

    # Stage 3: 276 updates every 300 s at 10.0 (23 hours: the delay slots wrap around).
    model, t = _run(model, DEFAULT, t, 300, 12 * 23, 10.0)
    assert abs(model.stable_price_wad - 7_400_000_000_000_000_000) < WAD // 10
    prices = model.delay_prices_wad
    assert prices[0] > prices[23] > prices[22]
    assert prices[1] < prices[0]
    assert prices[1] < prices[2]
    assert model.last_delay_interval_index == 1
    assert t == 90_000  # 3600 + 3600 + 82_800: 25 h since the start


def test_mango_stable_price_average() -> None:
    # Arrange: a growth limit of 10.0 so the delay price is the plain hourly average.
    params = StablePriceParams(delay_growth_limit_wad=10 * WAD)
    model = reset_stable_price(1 * WAD, 0)

    # Act: 60 updates every 60 s; price 2.0 when t > 1800 else 1.0.
    for i in range(60):
        t = 60 * (i + 1)
        model = update_stable_price(model, params, t, 2 * WAD if t > 1800 else 1 * WAD)

    # Assert: 30 minutes at 1.0 and 30 at 2.0 → 1.5; tolerance is Mango's own.
    assert abs(model.delay_prices_wad[0] - 1_500_000_000_000_000_000) < WAD // 100


# --- (c) properties against an independent float64 port --------------------------------------


@dataclass
class _FloatModel:
    """An independent ``f64`` port of Mango's ``StablePriceModel`` (from the Rust source)."""

    stable: float
    last_update: int
    delay_prices: list[float] = field(default_factory=list)
    acc_price: float = 0.0
    acc_time: int = 0
    last_idx: int = 0
    delay_interval: int = 3600
    delay_growth_limit: float = 0.06
    stable_growth_limit: float = 0.0003

    @staticmethod
    def _clamp(target: float, prev: float, limit: float) -> float:
        return min(max(target, prev * (1.0 - limit)), prev * (1.0 + limit))

    def update(self, now: int, oracle: float) -> None:
        dt = max(now - self.last_update, 0)
        if dt < 10:
            return
        full_delay_passed = dt > 24 * self.delay_interval
        dt_limited = float(min(dt, 600))
        self.last_update = now
        self.acc_time += dt
        self.acc_price += oracle * dt_limited
        idx = (now // self.delay_interval) % 24
        if idx != self.last_idx:
            prev = self.delay_prices[23] if self.last_idx == 0 else self.delay_prices[self.last_idx - 1]
            new = self._clamp(self.acc_price / self.acc_time, prev, self.delay_growth_limit)
            if full_delay_passed:
                self.delay_prices = [new] * 24
            elif idx > self.last_idx:
                for slot in range(self.last_idx, idx):
                    self.delay_prices[slot] = new
            else:
                for slot in [*range(self.last_idx, 24), *range(idx)]:
                    self.delay_prices[slot] = new
            self.acc_price = 0.0
            self.acc_time = 0
            self.last_idx = idx
        delay = self.delay_prices[idx]
        fraction = self.stable / delay if delay >= self.stable else delay / self.stable
        growth = self.stable_growth_limit * fraction * fraction * dt_limited
        self.stable = self._clamp(oracle, self.stable, growth)


_PRICE_WAD = st.integers(min_value=WAD // 100, max_value=10_000 * WAD)  # 0.01 .. 10_000
_STEPS = st.lists(st.tuples(st.integers(min_value=1, max_value=2_000), _PRICE_WAD), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    start_price=_PRICE_WAD,
    start=st.integers(min_value=0, max_value=10**6),
    delay_interval=st.sampled_from([60, 3600]),
    steps=_STEPS,
)
def test_integer_port_tracks_an_independent_float_port(
    start_price: int, start: int, delay_interval: int, steps: list[tuple[int, int]]
) -> None:
    # Arrange: a 60 s delay interval makes 24 intervals (1440 s) shorter than the largest dt
    # (2000 s), so the full-delay refill and the wrap-around are both exercised.
    params = StablePriceParams(delay_interval_seconds=delay_interval)
    model = reset_stable_price(start_price, start)
    reference = _FloatModel(
        stable=start_price / WAD,
        last_update=start,
        delay_prices=[start_price / WAD] * 24,
        delay_interval=delay_interval,
    )
    now = start

    for dt, price_wad in steps:
        # Act
        now += dt
        model = update_stable_price(model, params, now, price_wad)
        reference.update(now, price_wad / WAD)

        # Assert. Tolerance: both ports are continuous in their inputs; float64 loses ~1e-16
        # relative per operation and the integers at most ~6e-16 relative per step, so after
        # 60 steps both stay far inside 1e-9 of each other.
        assert model.stable_price_wad / WAD == pytest.approx(reference.stable, rel=1e-9)
        assert [p / WAD for p in model.delay_prices_wad] == pytest.approx(reference.delay_prices, rel=1e-9)
        assert model.last_delay_interval_index == reference.last_idx
        assert model.last_update_seconds == reference.last_update


@settings(max_examples=300, deadline=None)
@given(start_price=_PRICE_WAD, steps=_STEPS)
def test_stable_price_moves_at_most_stable_growth_limit_times_dt_limited_per_step(
    start_price: int, steps: list[tuple[int, int]]
) -> None:
    # Arrange
    model = reset_stable_price(start_price, 0)
    now = 0

    for dt, price_wad in steps:
        # Act
        now += dt
        stepped = update_stable_price(model, DEFAULT, now, price_wad)

        # Assert, exactly in integers: |new - old| / old ≤ limit · min(dt, 600), and 0 below 10 s,
        # where dt runs from the last update that was not skipped.
        old, new = model.stable_price_wad, stepped.stable_price_wad
        elapsed = now - model.last_update_seconds
        dt_limited = min(elapsed, 600) if elapsed >= 10 else 0
        assert abs(new - old) * WAD <= old * DEFAULT.stable_growth_limit_wad * dt_limited
        # ... and it moves toward the oracle without overshooting it.
        assert min(old, price_wad) <= new <= max(old, price_wad)
        model = stepped
