"""The stress model's steps as one compiled loop per path (numba): path-major, paths in parallel.

:func:`play_paths` plays steps ``1 … T`` of ``docs/stress-model.md`` for every path, one path per
thread (``numba.prange``): the path's book (a few rows of ``N`` floats) stays in cache while its
steps advance, instead of the NumPy engine's ~10 passes over the whole ``(paths, positions)``
book per step. Each step does what :func:`ringfence.lab.vector.engine._step` does, in the same
order and, wherever the NumPy engine's own order is a path's own, with the same IEEE-754
operations in the same order (numba compiles without ``fastmath``: no reassociation, no fused
multiply-add), so most figures come out bit for bit. Where they cannot (``docs/fused-kernel.md``):

- ``exp`` and ``pow`` are libm's here and NumPy's SIMD ones there (depth impact, keeper failure):
  last-bit differences;
- the NumPy waterfall is a scan over every path's closes at once (``waterfall.ordered_waterfall``):
  its rounding depends on the other paths; here each pool's closes draw in order (the rule the
  scan solves);

This module imports numba at import; it is imported on first use only (:mod:`.fused`).
Nothing here raises: a buffer too small for a path's liquidations is reported in ``status``.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from ringfence.lab.vector.kernels import (
    BANKRUPT,
    BANKRUPT_AFTER_CLOSE,
    KEEPER,
    LOWERS_HEALTH,
    MAX_EXECUTION_GAP,
    SLIPPAGE_SHARE,
    TOXIC,
)

__all__ = ["play_paths"]

NOT_SEEN = np.iinfo(np.int64).max
SPEND_MARGIN = 1.0 - 1e-9
MAX_CLOSES_PER_UNIT = 64

# Scalar rules, in this order in ``rules`` (:func:`ringfence.lab.vector.fused.rule_vector`).
(
    R_STEP_SECONDS,
    R_LIQUIDATOR_SHARE,
    R_CLOSE_FACTOR,
    R_INSURANCE_CAP,
    R_INSURANCE_WINDOW,
    R_BACKSTOP_CAP,
    R_BACKSTOP_WINDOW,
    R_RESERVE_FACTOR,
    R_KEEPERS,
    R_KEEPER_FAILURE,
    R_CONGESTION_FAILURE,
    R_CONGESTION_SCALE,
    R_KEEPER_CAPITAL,
    R_IMPACT_DECAY,
    R_FLEE_DRAWDOWN,
    R_FLEE_SHARE,
    R_TOP_UP_HEALTH,
    R_TOP_UP_PROBABILITY,
    R_GAS,
    R_CONGESTION_GAS,
    R_PROTOCOL_SECONDS,
) = range(21)
RULES = 21
# Integer settings, in this order in ``settings``.
S_SLOTS, S_WAITED_STEPS, S_WEIGHTED, S_ISOLATED, S_HAS_GAS, S_HAS_PROTOCOL, S_TOP_UPS = range(7)
SETTINGS = 7
# Per close, in a path's close buffer: integer and float columns.
C_UNIT, C_RANK, C_SEQUENCE, C_POSITION, C_BACKSTOP, C_PROTOCOL = range(6)
CLOSE_INTS = 6
F_NOTIONAL, F_REALISED, F_PENALTY, F_FEE, F_SHORTFALL, F_SIGNED, F_REWARD, F_COST, F_GAS = range(9)
CLOSE_FLOATS = 9
# Per liquidation record, per path: integer and float columns (``results.LIQUIDATION_DTYPE``).
L_STEP, L_POOL, L_MARKET, L_TRADER, L_BACKSTOP = range(5)
RECORD_INTS = 5
G_NOTIONAL, G_BAD_DEBT, G_SLIPPAGE, G_DELAY = range(4)
RECORD_FLOATS = 4
# Per path accumulators ``(P, 6)``.
A_KEEPER_REWARDS, A_PROTOCOL_REWARDS, A_KEEPER_GAS, A_PROTOCOL_GAS, A_REDEEMED, A_COLLATERAL = range(6)
ACCUMULATORS = 6

_jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")


@_jit
def _block(values: Any, start: int, count: int) -> Any:  # pragma: no cover - compiled
    """NumPy's ``pairwise_sum`` of at most 128 elements: sequential below 8, else 8 accumulators."""
    if count < 8:
        total = 0.0
        for i in range(count):
            total += values[start + i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = 8
    whole = count - count % 8
    while i < whole:
        r0 += values[start + i]
        r1 += values[start + i + 1]
        r2 += values[start + i + 2]
        r3 += values[start + i + 3]
        r4 += values[start + i + 4]
        r5 += values[start + i + 5]
        r6 += values[start + i + 6]
        r7 += values[start + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += values[start + i]
        i += 1
    return total


@_jit
def _pairwise(values: Any, start: int, count: int) -> Any:  # pragma: no cover - compiled
    """Return NumPy's ``pairwise_sum`` of ``values[start : start + count]``: halves (multiples of 8) down to 128.

    The recursion ``sum(a) = sum(first half) + sum(second half)`` run on an explicit stack (numba's
    on-disk cache does not hold recursive functions reliably), adding in the same tree order.
    """
    if count <= 128:
        return _block(values, start, count)
    starts = np.empty(64, dtype=np.int64)
    counts = np.empty(64, dtype=np.int64)
    lefts = np.empty(64)
    stages = np.zeros(64, dtype=np.int64)
    top = 0
    starts[0], counts[0] = start, count
    result = 0.0
    while top >= 0:
        if counts[top] > 128:
            half = counts[top] // 2
            half -= half % 8
            top += 1
            starts[top], counts[top], stages[top] = starts[top - 1], half, 0
            continue
        result = _block(values, starts[top], counts[top])
        top -= 1
        while top >= 0:
            if stages[top] == 0:
                lefts[top] = result
                stages[top] = 1
                half = counts[top] // 2
                half -= half % 8
                top += 1
                starts[top], counts[top], stages[top] = starts[top - 1] + half, counts[top - 1] - half, 0
                break
            result = lefts[top] + result
            top -= 1
    return result


@_jit
def numpy_row_sum(values: Any) -> Any:  # pragma: no cover - compiled
    """Return ``values.sum()`` of a contiguous row as NumPy 2 adds it along an axis (pairwise, unbuffered).

    NumPy 1.x added rows longer than its 8192-element buffer chunk by chunk: last-bit differences
    on such rows only (``docs/fused-kernel.md``).
    """
    return _pairwise(values, 0, values.shape[0])


@_jit
def _sign(value: float) -> float:  # pragma: no cover - compiled
    if value > 0.0:
        return 1.0
    if value < 0.0:
        return -1.0
    return value


@_jit
def _term(size: float, basis: float, price: float, weight: float) -> float:  # pragma: no cover - compiled
    """``kernels.margin_terms``' equity term: ``size·price − basis``, a positive one at ``weight``."""
    pnl = size * price - basis
    return pnl * weight if pnl > 0.0 else pnl


@_jit
def _prices(
    step: int, p: int, flow: Any, decay: float, exogenous: Any, exogenous_oracle: Any, source: int, out: Any
) -> None:  # pragma: no cover - compiled
    """Move the market by the decayed impact and read the oracle at its source time (steps 1 and 2)."""
    impact, market_prices, oracle_prices = out
    for m in range(flow.shape[0]):
        impact[m, p, step] = impact[m, p, step - 1] * decay + flow[m]
        market_prices[m, p, step] = exogenous[m, p, step] * math.exp(impact[m, p, step])
        oracle_prices[m, p, step] = exogenous_oracle[m, p, step] * math.exp(impact[m, p, source])


@_jit
def _unit_margin(
    p: int, book: Any, oracle: Any, position_market: Any, pnl_weight: Any, settings: Any, out: Any
) -> None:  # pragma: no cover - compiled
    """``engine._unit_margin``: each unit's equity and requirement at the oracle prices (``oracle`` per market)."""
    size, basis, margin, requirement_rate = book[0], book[1], book[2], book[3]
    equity, requirement = out
    slots, weighted = settings[S_SLOTS], settings[S_WEIGHTED] == 1
    if slots == 1 and oracle.shape[0] == 1:  # one market: one price, a loop the compiler vectorises
        price = oracle[0]
        for u in range(equity.shape[0]):
            term = size[p, u] * price - basis[p, u]
            if weighted and term > 0.0:
                term = term * pnl_weight[u]
            equity[u] = term + margin[p, u]
            requirement[u] = requirement_rate[p, u] * price
        return
    if slots == 1:
        for u in range(equity.shape[0]):
            price = oracle[position_market[u]]
            term = size[p, u] * price - basis[p, u]
            if weighted and term > 0.0:
                term = term * pnl_weight[u]
            equity[u] = term + margin[p, u]
            requirement[u] = requirement_rate[p, u] * price
        return
    for u in range(equity.shape[0]):
        terms = 0.0
        needed = 0.0
        for q in range(slots):
            n = u * slots + q
            price = oracle[position_market[n]]
            term = size[p, n] * price - basis[p, n]
            if weighted and term > 0.0:
                term = term * pnl_weight[n]
            terms += term
            needed += requirement_rate[p, n] * price
        equity[u] = margin[p, u] + terms
        requirement[u] = needed


@_jit
def _top_ups(
    p: int,
    draws: Any,
    rules: Any,
    reserve: Any,
    wanted: Any,
    margin: Any,
    unit_margin: Any,
    amounts: Any,
    accumulators: Any,
) -> None:  # pragma: no cover - compiled
    """``engine._top_ups`` on one path: deposits from the traders' reserves, each slot's sum as NumPy sums it."""
    equity, requirement = unit_margin
    traders = reserve.shape[1]
    per_trader = equity.shape[0] // traders
    threshold, probability = rules[R_TOP_UP_HEALTH], rules[R_TOP_UP_PROBABILITY]
    health = np.empty(equity.shape[0])
    for u in range(equity.shape[0]):
        health[u] = equity[u] / requirement[u] if requirement[u] > 0.0 else np.nan
    for slot in range(per_trader):
        for t in range(traders):
            u = t * per_trader + slot
            amount = 0.0
            if threshold > 0.0 and health[u] < threshold and draws[t] < probability:
                amount = min(reserve[p, t], wanted[p, t])
            reserve[p, t] -= amount
            margin[p, u] += amount
            equity[u] += amount
            amounts[t] = amount
        accumulators[p, A_COLLATERAL] += numpy_row_sum(amounts)


@_jit
def _close(
    values: Any, unit_equity: float, unit_requirement: float, margin: float, rules: Any, execution: Any
) -> Any:  # pragma: no cover - compiled
    """``kernels.close_position`` with an execution, one element: the same operations in the same order.

    ``values`` is ``(size, basis, oracle, maintenance rate, pnl weight, penalty)``, ``execution``
    ``(market price, depth, coefficient)``. Return ``(status, closed size, closed notional,
    realised, keeper reward, insurance penalty, backstop fee, after, new size, new basis,
    execution cost)``.
    """
    size, basis, price, rate, weight, penalty = values
    market, depth, coefficient = execution
    close_factor, liquidator_share = rules[R_CLOSE_FACTOR], rules[R_LIQUIDATOR_SHARE]
    abs_size = abs(size)
    direction = _sign(size)
    notional = abs_size * price
    own_requirement = notional * rate
    bankrupt = unit_equity <= 0.0
    toxic = (not bankrupt) and penalty > 0.0 and unit_equity * own_requirement < unit_requirement * penalty * notional
    fraction = min(close_factor, 1.0)
    closed = abs_size * fraction
    realised_keeper = direction * closed * price - basis * fraction
    charged = closed * price * penalty
    left = margin + realised_keeper
    paid = min(charged, max(left, 0.0))
    after_keeper = left - paid
    new_size = size - direction * closed if fraction < 1.0 else 0.0
    new_basis = basis - basis * fraction if fraction < 1.0 else 0.0
    before_terms = _term(size, basis, price, weight)
    after_terms = _term(new_size, new_basis, price, weight)
    equity_after = unit_equity - before_terms + after_terms + realised_keeper - paid
    requirement_after = unit_requirement - own_requirement * fraction
    lowers = new_size != 0.0 and equity_after * unit_requirement < unit_equity * requirement_after
    status = KEEPER
    if lowers:
        status = LOWERS_HEALTH
    if after_keeper < 0.0:
        status = BANKRUPT_AFTER_CLOSE
    if toxic:
        status = TOXIC
    if bankrupt:
        status = BANKRUPT
    backstop = status != KEEPER
    realised = realised_keeper
    closed_size = closed
    closed_notional = closed * price
    if backstop:
        realised = size * price - basis
        left = margin + realised
        paid = min(max(left, 0.0), own_requirement)
        closed_size = abs_size
        closed_notional = notional
        new_size = 0.0
        new_basis = 0.0
    sign = 1.0 if size > 0.0 else -1.0
    impact = coefficient * math.sqrt(closed_size * market / depth)
    wanted = market * math.exp(-sign * SLIPPAGE_SHARE * impact)
    low = price * (1.0 - MAX_EXECUTION_GAP) if size > 0.0 else price
    high = price if size > 0.0 else price * (1.0 + MAX_EXECUTION_GAP)
    executed = min(max(wanted, low), high)
    cost = closed_size * abs(price - executed)
    left = left - cost
    paid = min(paid, max(left, 0.0))
    reward = 0.0 if backstop else paid * liquidator_share
    penalty_paid = 0.0 if backstop else paid - reward
    fee = paid if backstop else 0.0
    return (
        status,
        closed_size,
        closed_notional,
        realised,
        reward,
        penalty_paid,
        fee,
        left - paid,
        new_size,
        new_basis,
        cost,
    )


@_jit
def _serve_batch(
    p: int,
    step: int,
    batch: Any,
    count: int,
    protocol: bool,
    gas: float,
    state: Any,
    static: Any,
    rules: Any,
    settings: Any,
    closes: Any,
) -> Any:  # pragma: no cover - compiled
    """``keepers._liquidate`` for one path's batch of ``count`` served units ``batch[:, (unit, rank)]``.

    Closes one position of every still-unhealthy unit per round (round-major, as the NumPy engine
    does across its batch), appends each close to ``closes``; return (closes so far, notional
    charged per unit in ``batch`` order as an array).
    """
    size, basis, margin, requirement_rate, maintenance, pool_basis, open_size, skew, declined_book, unserved = state[0]
    oracle_m, market_m = state[1]
    close_ints, close_floats, n_closes = closes
    position_market, position_pool, pnl_weight, penalty, depth, coefficient = (
        static[0],
        static[1],
        static[2],
        static[3],
        static[4],
        static[5],
    )
    slots = settings[S_SLOTS]
    isolated = settings[S_ISOLATED] == 1
    with_gas = settings[S_HAS_GAS] == 1
    charged = np.zeros(count)
    dropped = np.zeros(count, dtype=np.bool_)
    declined = np.zeros(count, dtype=np.bool_)
    for sequence in range(MAX_CLOSES_PER_UNIT):
        any_active = False
        for i in range(count):
            if dropped[i]:
                continue
            unit = batch[i, 0]
            equity_terms = 0.0
            total = 0.0
            open_positions = 0
            largest = -1.0
            chosen = -1
            for q in range(slots):
                n = unit * slots + q
                oracle = oracle_m[position_market[n]]
                pnl = size[p, n] * oracle - basis[p, n]
                equity_terms += pnl * pnl_weight[n] if pnl > 0.0 else pnl
                total += abs(size[p, n]) * oracle * maintenance[p, n]
                if size[p, n] != 0.0:
                    open_positions += 1
                at_market = abs(size[p, n]) * market_m[position_market[n]]
                if at_market > largest:
                    largest = at_market
                    chosen = n
            equity = margin[p, unit] + equity_terms
            if not (equity < total) or declined[i]:
                dropped[i] = True
                continue
            any_active = True
            market = position_market[chosen]
            values = (
                size[p, chosen],
                basis[p, chosen],
                oracle_m[market],
                maintenance[p, chosen],
                pnl_weight[chosen],
                penalty[chosen],
            )
            execution = (market_m[market], depth[market], coefficient[market])
            outcome = _close(values, equity, total, margin[p, unit], rules, execution)
            (
                status,
                closed_size,
                closed_notional,
                realised,
                reward,
                penalty_paid,
                fee,
                after,
                new_size,
                new_basis,
                cost,
            ) = outcome
            acting = True
            if with_gas and not protocol:
                acting = reward > gas
            if acting:
                charged[i] += closed_notional
            else:
                charged[i] += 0.0
                declined[i] = True
                if sequence == 0 and not declined_book[p, unit]:
                    unserved[p] += 1
                    declined_book[p, unit] = True
                continue
            old_size, old_basis = size[p, chosen], basis[p, chosen]
            owed = after < 0.0 and (isolated or (new_size == 0.0 and not open_positions > 1))
            shortfall = -after if owed else 0.0
            size[p, chosen] = new_size
            basis[p, chosen] = new_basis
            margin[p, unit] = after + shortfall
            requirement_rate[p, chosen] = abs(new_size) * maintenance[p, chosen]
            pool_basis[p, position_pool[chosen]] -= old_basis - new_basis
            sold = _sign(old_size) * closed_size
            open_size[p, market] -= closed_size
            skew[p, market] -= sold
            k = n_closes
            if k < close_ints.shape[0]:
                close_ints[k, C_UNIT] = unit
                close_ints[k, C_RANK] = batch[i, 1]
                close_ints[k, C_SEQUENCE] = sequence
                close_ints[k, C_POSITION] = chosen
                close_ints[k, C_BACKSTOP] = 1 if status != KEEPER else 0
                close_ints[k, C_PROTOCOL] = 1 if protocol else 0
                close_floats[k, F_NOTIONAL] = closed_notional
                close_floats[k, F_REALISED] = realised
                close_floats[k, F_PENALTY] = penalty_paid
                close_floats[k, F_FEE] = fee
                close_floats[k, F_SHORTFALL] = shortfall
                close_floats[k, F_SIGNED] = sold * market_m[market]
                close_floats[k, F_REWARD] = reward
                close_floats[k, F_COST] = cost
                close_floats[k, F_GAS] = gas
            n_closes += 1
        if not any_active:
            break
    return n_closes, charged


@_jit
def _ranked(
    p: int, eligible: Any, count: int, book: Any, oracle_m: Any, position_market: Any, slots: int
) -> Any:  # pragma: no cover - compiled
    """Return the eligible units in serving order (descending notional at the oracle, ties by unit) and notionals."""
    size = book[0]
    notional = np.empty(count)
    for i in range(count):
        total = 0.0
        for q in range(slots):
            n = eligible[i] * slots + q
            total += abs(size[p, n]) * oracle_m[position_market[n]]
        notional[i] = -total
    order = np.argsort(notional, kind="mergesort")
    units = np.empty(count, dtype=np.int64)
    sorted_notional = np.empty(count)
    for i in range(count):
        units[i] = eligible[order[i]]
        sorted_notional[i] = -notional[order[i]]
    return units, sorted_notional


@_jit
def _charge(p: int, keeper: Any, charged: Any, count: int, capital: float) -> None:  # pragma: no cover - compiled
    """``keepers._charge_keepers``: the serving keeper pays the batch's notional; exhausted, the next one serves."""
    if math.isinf(capital) or count == 0:
        return
    for i in range(count):
        keeper[1][p] -= charged[i]
    if keeper[1][p] <= 0.0:
        keeper[0][p] += 1
        keeper[1][p] = capital


@_jit
def _serve_in_order(
    p: int, step: int, ranked: Any, draws: Any, failure: float, gas: float, keeper: Any, inputs: Any, closes: Any
) -> Any:  # pragma: no cover - compiled
    """``keepers._serve_in_order`` on one path: passes of safe units, then the one that may exhaust the keeper."""
    state, static, rules, settings = inputs
    units, notional = ranked
    count = units.shape[0]
    keepers, capital = rules[R_KEEPERS], rules[R_KEEPER_CAPITAL]
    next_rank = 0
    n_closes = closes[2]
    batch = np.empty((count, 2), dtype=np.int64)
    while next_rank < count:
        available = keepers - float(keeper[0][p])
        threshold = 1.0 - failure**available
        left = keeper[1][p] * SPEND_MARGIN
        spent = 0.0
        safe = 0
        risky = -1
        last_taken = -1
        won_any = False
        for r in range(next_rank, count):
            if not draws[units[r]] < threshold:
                continue
            won_any = True
            spent += notional[r]
            if not spent - notional[r] < left:
                break
            last_taken = r
            if spent < left:
                batch[safe, 0] = units[r]
                batch[safe, 1] = r
                safe += 1
            else:
                risky = r
        if not won_any:
            break
        n_closes, charged = _serve_batch(
            p, step, batch, safe, False, gas, state, static, rules, settings, (closes[0], closes[1], n_closes)
        )
        _charge(p, keeper, charged, safe, capital)
        if risky >= 0:
            batch[0, 0] = units[risky]
            batch[0, 1] = risky
            n_closes, charged = _serve_batch(
                p, step, batch, 1, False, gas, state, static, rules, settings, (closes[0], closes[1], n_closes)
            )
            _charge(p, keeper, charged, 1, capital)
        if last_taken < 0:
            break
        next_rank = last_taken + 1
    return n_closes


@_jit
def _keepers(
    p: int, step: int, unit_margin: Any, stale: bool, draws: Any, keeper: Any, inputs: Any, closes: Any
) -> Any:  # pragma: no cover - compiled
    """``keepers.serve_keepers`` on one path: candidates, eligibility, the keepers' and the protocol's service."""
    state, static, rules, settings = inputs
    book, first_seen = state[0], state[2]
    declined = book[8]
    equity, requirement = unit_margin
    units = equity.shape[0]
    waited_steps = settings[S_WAITED_STEPS]
    eligible = state[3]
    count = 0
    for u in range(units):
        if stale or not equity[u] < requirement[u]:
            if first_seen[p, u] != NOT_SEEN:
                first_seen[p, u] = NOT_SEEN
                declined[p, u] = False
            continue
        if first_seen[p, u] == NOT_SEEN:
            first_seen[p, u] = step
        if first_seen[p, u] <= step - waited_steps:
            eligible[count] = u
            count += 1
    keeper[0][p] = 0
    keeper[1][p] = rules[R_KEEPER_CAPITAL]
    n_closes = closes[2]
    if count == 0:
        return n_closes
    ranked = _ranked(p, eligible, count, book, state[1][0], static[0], settings[S_SLOTS])
    keepers = rules[R_KEEPERS]
    congestion = count / keepers
    failure = min(
        1.0, rules[R_KEEPER_FAILURE] + rules[R_CONGESTION_FAILURE] * min(1.0, congestion / rules[R_CONGESTION_SCALE])
    )
    gas = 0.0
    if settings[S_HAS_GAS] == 1:
        gas = rules[R_GAS] * (1.0 + rules[R_CONGESTION_GAS] * min(1.0, congestion / rules[R_CONGESTION_SCALE]))
    if math.isinf(rules[R_KEEPER_CAPITAL]):
        threshold = 1.0 - failure**keepers
        batch = np.empty((count, 2), dtype=np.int64)
        won = 0
        for r in range(count):
            if draws[ranked[0][r]] < threshold:
                batch[won, 0] = ranked[0][r]
                batch[won, 1] = r
                won += 1
        n_closes, _ = _serve_batch(
            p, step, batch, won, False, gas, state, static, rules, settings, (closes[0], closes[1], n_closes)
        )
    else:
        n_closes = _serve_in_order(
            p, step, ranked, draws, failure, gas, keeper, inputs, (closes[0], closes[1], n_closes)
        )
    if settings[S_HAS_PROTOCOL] == 1:
        batch = np.empty((count, 2), dtype=np.int64)
        waited = 0
        for r in range(count):
            u = ranked[0][r]
            if (step - first_seen[p, u]) * rules[R_STEP_SECONDS] >= rules[R_PROTOCOL_SECONDS]:
                batch[waited, 0] = u
                batch[waited, 1] = r + units
                waited += 1
        n_closes, _ = _serve_batch(
            p, step, batch, waited, True, gas, state, static, rules, settings, (closes[0], closes[1], n_closes)
        )
    return n_closes


@_jit
def _waterfall(
    p: int, now: float, order: Any, n_closes: int, closes: Any, static: Any, rules: Any, pools: Any
) -> Any:  # pragma: no cover - compiled
    """Each pool's closes in order: insurance (capped per window) → backstop budget → socialised; advance windows.

    The sequential rule ``settle._waterfall``'s scan solves (``waterfall.ordered_waterfall``):
    close ``k`` draws ``min(s_k, max(min(C − U_k, I + A_k − U_k), 0))`` and the backstop budget
    absorbs what is left while it lasts. Return each close's draw and absorption (sorted order).
    """
    close_ints, close_floats = closes
    position_pool = static[1]
    insurance, insurance_start, insurance_drawn, backstop_start, backstop_absorbed = (
        pools[1],
        pools[2],
        pools[3],
        pools[4],
        pools[5],
    )
    drawn = np.zeros(n_closes)
    absorbed = np.zeros(n_closes)
    for q in range(insurance.shape[1]):
        in_window = now - insurance_start[p, q] < rules[R_INSURANCE_WINDOW]
        cap_room = rules[R_INSURANCE_CAP] - (insurance_drawn[p, q] if in_window else 0.0)
        in_budget = now - backstop_start[p, q] < rules[R_BACKSTOP_WINDOW]
        budget = max(rules[R_BACKSTOP_CAP] - (backstop_absorbed[p, q] if in_budget else 0.0), 0.0)
        fund = insurance[p, q]
        used = 0.0
        credited = 0.0
        taken = 0.0
        for j in range(n_closes):
            k = order[j]
            if position_pool[close_ints[k, C_POSITION]] != q:
                continue
            shortfall = close_floats[k, F_SHORTFALL]
            draw = min(shortfall, max(min(cap_room - used, fund + credited - used), 0.0))
            used += draw
            credited += close_floats[k, F_PENALTY]
            absorb = min(shortfall - draw, max(budget - taken, 0.0))
            taken += absorb
            drawn[j] = draw
            absorbed[j] = absorb
        if used > 0.0 and now - insurance_start[p, q] >= rules[R_INSURANCE_WINDOW]:
            insurance_start[p, q] = now
            insurance_drawn[p, q] = 0.0
        insurance_drawn[p, q] += used
        if taken > 0.0 and now - backstop_start[p, q] >= rules[R_BACKSTOP_WINDOW]:
            backstop_start[p, q] = now
            backstop_absorbed[p, q] = 0.0
        backstop_absorbed[p, q] += taken
    return drawn, absorbed


@_jit
def _settle(
    p: int,
    step: int,
    n_closes: int,
    closes: Any,
    inputs: Any,
    pools: Any,
    markets: Any,
    accumulators: Any,
    records: Any,
    flow: Any,
) -> bool:  # pragma: no cover - compiled
    """``settle.settle_closes`` and ``engine._depth``'s flow on one path; return whether any close happened."""
    state, static, rules = inputs[0], inputs[1], inputs[2]
    close_ints, close_floats = closes
    position_market, position_pool = static[0], static[1]
    position_trader = static[6]
    first_seen = state[2]
    flow[:] = 0.0
    if n_closes == 0:
        return False
    keys = np.empty(n_closes, dtype=np.int64)
    for k in range(n_closes):
        keys[k] = close_ints[k, C_RANK] * MAX_CLOSES_PER_UNIT + close_ints[k, C_SEQUENCE]
    order = np.argsort(keys, kind="mergesort")
    now = step * rules[R_STEP_SECONDS]
    drawn, _ = _waterfall(p, now, order, n_closes, closes, static, rules, pools)
    vault, insurance, bad_debt, lp_loss, execution_cost = pools[0], pools[1], pools[6], pools[7], pools[8]
    market_flow = markets[0]
    record_ints, record_floats, record_count = records
    for j in range(n_closes):
        k = order[j]
        position = close_ints[k, C_POSITION]
        pool, market = position_pool[position], position_market[position]
        shortfall = close_floats[k, F_SHORTFALL]
        vault_flow = close_floats[k, F_FEE] - close_floats[k, F_REALISED] - shortfall + drawn[j]
        vault[p, pool] += vault_flow
        market_flow[p, market] += vault_flow
        insurance[p, pool] += close_floats[k, F_PENALTY] - drawn[j]
        bad_debt[p, pool] += shortfall
        lp_loss[p, pool] += shortfall - drawn[j]
        execution_cost[p, pool] += close_floats[k, F_COST]
        protocol = close_ints[k, C_PROTOCOL] == 1
        reward, gas = close_floats[k, F_REWARD], close_floats[k, F_GAS]
        accumulators[p, A_KEEPER_REWARDS] += 0.0 if protocol else reward
        accumulators[p, A_PROTOCOL_REWARDS] += reward if protocol else 0.0
        accumulators[p, A_KEEPER_GAS] += 0.0 if protocol else gas
        accumulators[p, A_PROTOCOL_GAS] += gas if protocol else 0.0
        flow[market] += close_floats[k, F_SIGNED]
        row = record_count[p]
        if row < record_ints.shape[1]:
            record_ints[p, row, L_STEP] = step
            record_ints[p, row, L_POOL] = pool
            record_ints[p, row, L_MARKET] = market
            record_ints[p, row, L_TRADER] = position_trader[position]
            record_ints[p, row, L_BACKSTOP] = close_ints[k, C_BACKSTOP]
            record_floats[p, row, G_NOTIONAL] = close_floats[k, F_NOTIONAL]
            record_floats[p, row, G_BAD_DEBT] = shortfall
            record_floats[p, row, G_SLIPPAGE] = close_floats[k, F_COST]
            record_floats[p, row, G_DELAY] = (step - first_seen[p, close_ints[k, C_UNIT]]) * rules[R_STEP_SECONDS]
        record_count[p] = row + 1
    return True


@_jit
def _impact(flow: Any, depth: Any, coefficient: Any) -> None:  # pragma: no cover - compiled
    """``kernels.square_root_impact`` in place: ``−sign(Q)·coefficient·√(|Q|/depth)``."""
    for m in range(flow.shape[0]):
        flow[m] = -_sign(flow[m]) * (coefficient[m] * math.sqrt(abs(flow[m]) / depth[m]))


@_jit
def _pool_nav(
    p: int, oracle: Any, market_pool: Any, book: Any, pools: Any, nav: Any
) -> None:  # pragma: no cover - compiled
    """``engine._pool_nav``: vault − (Σ skew·price − Σ basis) per pool."""
    skew, pool_basis, vault = book[7], book[5], pools[0]
    for q in range(nav.shape[0]):
        pnl = 0.0
        for m in range(market_pool.shape[0]):
            if market_pool[m] == q:
                pnl += skew[p, m] * oracle[m]
        nav[q] = vault[p, q] - (pnl - pool_basis[p, q])


@_jit
def _flee(
    p: int, oracle: Any, stale: bool, inputs: Any, pools: Any, markets: Any, accumulators: Any, nav: Any
) -> None:  # pragma: no cover - compiled
    """``lps.redeem_fleeing_lps`` on one path: LPs of pools in drawdown redeem, in ``lp_order``."""
    state, static, rules = inputs[0], inputs[1], inputs[2]
    skew = state[0][7]
    market_pool, lp_order = static[7], static[8]
    vault, nav_peak, fled = pools[0], pools[9], pools[10]
    lp_shares = markets[1]
    n_pools = nav.shape[0]
    trying = np.zeros(n_pools, dtype=np.bool_)
    any_trying = False
    for q in range(n_pools):
        nav_peak[p, q] = max(nav_peak[p, q], nav[q])
        peak = nav_peak[p, q]
        drawdown = 1.0 - (nav[q] / peak if peak > 0.0 else 1.0)
        trying[q] = (not fled[p, q]) and peak > 0.0 and drawdown > rules[R_FLEE_DRAWDOWN]
        any_trying = any_trying or trying[q]
    if stale or not any_trying:
        return
    exposure = np.zeros(n_pools)
    for m in range(market_pool.shape[0]):
        exposure[market_pool[m]] += abs(skew[p, m] * oracle[m])
    for lp in lp_order:
        pool = market_pool[lp]
        wanted = lp_shares[p, lp] * rules[R_FLEE_SHARE]
        total = 0.0
        for m in range(market_pool.shape[0]):
            if market_pool[m] == pool:
                total += lp_shares[p, m]
        value = wanted * max(nav[pool], 0.0) / total if total > 0.0 else 0.0
        amount = value
        allowed = (
            nav[pool] > 0.0  # PoolNavNotPositive: no shares burnt for 0
            and amount <= vault[p, pool]
            and exposure[pool] <= rules[R_RESERVE_FACTOR] * max(vault[p, pool] - amount, 0.0)
        )
        if trying[pool] and wanted > 0.0 and allowed:
            vault[p, pool] -= amount
            accumulators[p, A_REDEEMED] += amount
            nav[pool] -= amount
            lp_shares[p, lp] -= wanted
            fled[p, pool] = True


@_jit
def _mark(p: int, oracle: Any, static: Any, book: Any, markets: Any) -> None:  # pragma: no cover - compiled
    """``engine._mark``: share each market's mark change by the LPs' fractions; take the new fractions."""
    skew = book[7]
    market_pool, same_pool = static[7], static[9]
    market_flow, lp_shares, market_basis, last, fraction, lp_pnl = markets
    n_markets = market_pool.shape[0]
    current = np.empty(n_markets)
    for m in range(n_markets):
        current[m] = market_flow[p, m] - (skew[p, m] * oracle[m] - market_basis[p, m])
    for i in range(n_markets):
        for m in range(n_markets):
            lp_pnl[p, i, m] += fraction[p, i] * (current[m] - last[p, m]) if same_pool[i, m] else 0.0
    for m in range(n_markets):
        last[p, m] = current[m]
    for i in range(n_markets):
        shares = 0.0
        for m in range(n_markets):
            if market_pool[m] == market_pool[i]:
                shares += lp_shares[p, m]
        fraction[p, i] = lp_shares[p, i] / shares if shares > 0.0 else 0.0


@_jit
def _market_basis(p: int, book: Any, static: Any, markets: Any, scratch: Any) -> None:  # pragma: no cover - compiled
    """``engine.market_basis``: each market's sum of open positions' signed basis, as NumPy sums it."""
    basis, position_market, market_basis = book[1], static[0], markets[2]
    if market_basis.shape[1] == 1:  # np.where(markets == 0, basis, 0.0) is the row itself
        market_basis[p, 0] = _pairwise(basis[p], 0, basis.shape[1])
        return
    for m in range(market_basis.shape[1]):
        for n in range(basis.shape[1]):
            scratch[n] = basis[p, n] if position_market[n] == m else 0.0
        market_basis[p, m] = numpy_row_sum(scratch)


@_jit
def _snapshot(
    p: int, step: int, pools: Any, nav: Any, book: Any, histories: Any, scratch: Any
) -> None:  # pragma: no cover - compiled
    """``engine._snapshot``: each pool's insurance and NAV, and the open notional at the market."""
    insurance, open_size = pools[1], book[6]
    market_prices, insurance_history, nav_history, open_notional = (
        histories[1],
        histories[3],
        histories[4],
        histories[5],
    )
    for q in range(nav.shape[0]):
        insurance_history[q, p, step] = insurance[p, q]
        nav_history[q, p, step] = nav[q]
    for m in range(scratch.shape[0]):
        scratch[m] = open_size[p, m] * market_prices[m, p, step]
    open_notional[p, step] = numpy_row_sum(scratch)


@_jit
def _play_path(
    p: int,
    book: Any,
    first_seen: Any,
    static: Any,
    rules: Any,
    settings: Any,
    prices: Any,
    draws: Any,
    ledger: Any,
    capacity: int,
) -> Any:  # pragma: no cover - compiled
    """Play steps ``1 … T`` of path ``p`` (``engine._step``'s order); return 0, or 1 if its closes overflowed."""
    pools, markets, accumulators, records, histories, keeper = ledger
    exogenous, exogenous_oracle, source, stale_steps = prices
    keeper_draws, top_up_draws, reserve, top_up_wanted = draws
    impact, market_prices, oracle_prices = histories[0], histories[1], histories[2]
    position_market, pnl_weight, depth, coefficient, market_pool = static[0], static[2], static[4], static[5], static[7]
    n_positions, n_markets = position_market.shape[0], market_pool.shape[0]
    units = book[2].shape[1]
    market_m = np.empty(n_markets)
    by_position = np.empty(n_positions)
    oracle_m = np.empty(n_markets)
    scratch = np.empty(n_markets)
    equity = np.empty(units)
    requirement = np.empty(units)
    nav = np.empty(pools[0].shape[1])
    flow = np.zeros(n_markets)
    amounts = np.empty(reserve.shape[1])
    close_ints = np.empty((capacity, CLOSE_INTS), dtype=np.int64)
    close_floats = np.empty((capacity, CLOSE_FLOATS))
    eligible = np.empty(units, dtype=np.int64)
    inputs = ((book, (oracle_m, market_m), first_seen, eligible), static, rules, settings)
    for step in range(1, exogenous.shape[2]):
        _prices(
            step,
            p,
            flow,
            rules[R_IMPACT_DECAY],
            exogenous,
            exogenous_oracle,
            source[step],
            (impact, market_prices, oracle_prices),
        )
        for m in range(n_markets):
            oracle_m[m] = oracle_prices[m, p, step]
            market_m[m] = market_prices[m, p, step]
        _unit_margin(p, book, oracle_m, position_market, pnl_weight, settings, (equity, requirement))
        stale = stale_steps[step]
        if not stale and settings[S_TOP_UPS] == 1:
            _top_ups(
                p,
                top_up_draws[0, step, p],
                rules,
                reserve,
                top_up_wanted,
                book[2],
                (equity, requirement),
                amounts,
                accumulators,
            )
        n_closes = _keepers(
            p,
            step,
            (equity, requirement),
            stale,
            keeper_draws[0, step, p],
            keeper,
            inputs,
            (close_ints, close_floats, 0),
        )
        if n_closes > capacity:
            return 1
        if _settle(p, step, n_closes, (close_ints, close_floats), inputs, pools, markets, accumulators, records, flow):
            _market_basis(p, book, static, markets, by_position)
        _impact(flow, depth, coefficient)
        _pool_nav(p, oracle_m, market_pool, book, pools, nav)
        _flee(p, oracle_m, stale, inputs, pools, markets, accumulators, nav)
        _snapshot(p, step, pools, nav, book, histories, scratch)
        _mark(p, oracle_m, static, book, markets)
    return 0


@_jit
def play_paths(
    paths: Any,
    book: Any,
    first_seen: Any,
    static: Any,
    rules: Any,
    settings: Any,
    prices: Any,
    draws: Any,
    ledger: Any,
    capacity: int,
) -> Any:  # pragma: no cover - compiled
    """Play the paths ``paths`` one after the other; return 0, or 1 if some path's closes overflowed ``capacity``.

    Compiled with ``nogil``: the caller runs one call per thread on disjoint paths, in parallel.
    """
    for p in paths:
        if _play_path(p, book, first_seen, static, rules, settings, prices, draws, ledger, capacity) != 0:
            return 1
    return 0
