"""A slow *stable price* that follows the oracle with bounded growth.

Source: Mango v4, ``programs/mango-v4/src/state/stable_price.rs`` (``StablePriceModel``),
ported from ``f64`` to ``WAD`` fixed-point integers. Initial-margin checks value assets at
``min(oracle, stable)`` and liabilities at ``max(oracle, stable)``, so a sudden spike of an
oracle cannot be borrowed against at once (the Mango October 2022 lesson).

The model, as in Mango:

- A *delay price* per ``delay_interval_seconds`` (24 slots, a 24-interval delay): each
  interval's time-weighted oracle average, clamped to ``prev · (1 ± delay_growth_limit)``
  against the previous interval's delay price.
- On each update with ``dt ≥ 10 s`` (``dt_limited = min(dt, 600 s)``), the stable price
  moves toward the oracle by at most ``stable_growth_limit · f² · dt_limited`` relative,
  where ``f = min(stable, delay) / max(stable, delay)`` slows it further when the stable
  price and the delay price disagree.

Faithful details kept from the source: the accumulator adds ``price · dt_limited`` but
time ``dt`` (so a long gap dilutes its interval's average); the lower clamp uses
``prev · (1 − g)`` rather than ``prev / (1 + g)``. Rounding: every division rounds down;
this is a price, not a ledger amount, and the error is a few 1e-18 relative per step
(the ratio ``f`` and ``f²`` are each floored once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ringfence.core.units import WAD, Rounding, mul_div

__all__ = ["StablePrice", "StablePriceParams", "reset_stable_price", "update_stable_price"]

DELAY_SLOTS = 24
MIN_DT_SECONDS = 10
MAX_DT_SECONDS = 600


@dataclass(frozen=True, slots=True)
class StablePriceParams:
    """Tuning of the stable price; defaults are Mango v4's ``StablePriceModel::default``."""

    delay_interval_seconds: int = 3600
    delay_growth_limit_wad: int = 6 * WAD // 100
    """Largest relative change between consecutive delay prices (6% per hour)."""
    stable_growth_limit_wad: int = 3 * WAD // 10_000
    """Largest relative change of the stable price per second (0.03%)."""


@dataclass(frozen=True, slots=True)
class StablePrice:
    """State of the stable-price model for one asset."""

    stable_price_wad: int
    last_update_seconds: int
    delay_prices_wad: tuple[int, ...]
    delay_accumulator_price: int
    """Sum of ``price_wad · dt_limited`` over the current interval."""
    delay_accumulator_seconds: int
    last_delay_interval_index: int


def reset_stable_price(price_wad: int, now_seconds: int) -> StablePrice:
    """Start the model at ``price_wad`` (Mango ``reset_to_price``)."""
    return StablePrice(
        stable_price_wad=price_wad,
        last_update_seconds=now_seconds,
        delay_prices_wad=(price_wad,) * DELAY_SLOTS,
        delay_accumulator_price=0,
        delay_accumulator_seconds=0,
        last_delay_interval_index=0,
    )


def _growth_clamped(target: int, previous: int, growth_limit_wad: int) -> int:
    upper = previous + mul_div(previous, growth_limit_wad, WAD, Rounding.DOWN)
    lower = previous - mul_div(previous, growth_limit_wad, WAD, Rounding.DOWN)
    return min(max(target, lower), upper)


def _interval_index(params: StablePriceParams, seconds: int) -> int:
    return (seconds // params.delay_interval_seconds) % DELAY_SLOTS


def _fill_skipped(prices: list[int], last_index: int, new_index: int, new_price: int, full_delay_passed: bool) -> None:
    if full_delay_passed:
        prices[:] = [new_price] * DELAY_SLOTS
    elif new_index > last_index:
        prices[last_index:new_index] = [new_price] * (new_index - last_index)
    else:
        prices[last_index:] = [new_price] * (DELAY_SLOTS - last_index)
        prices[:new_index] = [new_price] * new_index


def update_stable_price(
    model: StablePrice, params: StablePriceParams, now_seconds: int, oracle_price_wad: int
) -> StablePrice:
    """Advance the model to ``now_seconds`` with a new oracle price (Mango ``update``)."""
    dt = max(now_seconds - model.last_update_seconds, 0)
    if dt < MIN_DT_SECONDS:
        return model
    full_delay_passed = dt > DELAY_SLOTS * params.delay_interval_seconds
    dt_limited = min(dt, MAX_DT_SECONDS)

    accumulator_seconds = model.delay_accumulator_seconds + dt
    accumulator_price = model.delay_accumulator_price + oracle_price_wad * dt_limited
    delay_prices = list(model.delay_prices_wad)
    last_index = model.last_delay_interval_index
    index = _interval_index(params, now_seconds)
    if index != last_index:
        previous = delay_prices[last_index - 1]  # index -1 wraps to the last slot, as in Mango
        average = accumulator_price // accumulator_seconds
        new_delay_price = _growth_clamped(average, previous, params.delay_growth_limit_wad)
        _fill_skipped(delay_prices, last_index, index, new_delay_price, full_delay_passed)
        accumulator_price = 0
        accumulator_seconds = 0
        last_index = index

    delay_price = delay_prices[index]
    previous_stable = model.stable_price_wad
    if delay_price >= previous_stable:
        fraction_wad = mul_div(previous_stable, WAD, delay_price, Rounding.DOWN)
    else:
        fraction_wad = mul_div(delay_price, WAD, previous_stable, Rounding.DOWN)
    fraction_squared_wad = mul_div(fraction_wad, fraction_wad, WAD, Rounding.DOWN)
    growth_limit_wad = mul_div(params.stable_growth_limit_wad * dt_limited, fraction_squared_wad, WAD, Rounding.DOWN)
    stable = _growth_clamped(oracle_price_wad, previous_stable, growth_limit_wad)

    return replace(
        model,
        stable_price_wad=stable,
        last_update_seconds=now_seconds,
        delay_prices_wad=tuple(delay_prices),
        delay_accumulator_price=accumulator_price,
        delay_accumulator_seconds=accumulator_seconds,
        last_delay_interval_index=last_index,
    )
