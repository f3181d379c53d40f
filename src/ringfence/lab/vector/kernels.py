"""Pure float64 kernels of the stress model: arrays in, arrays out, status codes instead of exceptions.

A close's status code is the exact engine's :class:`~ringfence.core.liquidation.kinds.LiquidationReason`
value (``LiquidationReason(code)`` names it), so both engines report the same outcome the same way.

Each kernel mirrors, element by element, the integer rule of the exact engine it names
(``ringfence.core``), without the rounding: the exact engine rounds every amount against the
account by at most an atom, which is what the differential tests' tolerance bands absorb.
Nothing here reads a scenario or mutates its inputs (vectorbt's kernel/wrapper split).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.risk.risk_margin import square_root_law

__all__ = [
    "BANKRUPT",
    "BANKRUPT_AFTER_CLOSE",
    "KEEPER",
    "LOWERS_HEALTH",
    "MAX_EXECUTION_GAP",
    "TOXIC",
    "CloseOutcome",
    "Execution",
    "bounded_execution_price",
    "close_position",
    "execution_price",
    "failure_probability",
    "gas_cost",
    "impact_decay",
    "keeper_succeeds",
    "margin_terms",
    "oracle_stale",
    "square_root_impact",
    "top_up_amount",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

KEEPER = int(LiquidationReason.BELOW_MAINTENANCE)
"""A keeper close: close factor, fixed penalty split keeper / insurance fund."""
BANKRUPT = int(LiquidationReason.BANKRUPT)
"""Backstop path: maintenance equity ≤ 0 before the close."""
TOXIC = int(LiquidationReason.TOXIC)
"""Backstop path: a penalty-paying partial close would lower health (``E·R_pos < R·p·N``)."""
BANKRUPT_AFTER_CLOSE = int(LiquidationReason.BANKRUPT_AFTER_CLOSE)
"""Backstop path: the keeper close would leave the margin side negative."""
LOWERS_HEALTH = int(LiquidationReason.CLOSE_LOWERS_HEALTH)
"""Backstop path: the keeper close leaves health lower than it found it."""

SLIPPAGE_SHARE = 2.0 / 3.0
"""Average cost of a square-root sale as a share of its final impact: ``∫₀¹ √x dx = 2/3``."""

MAX_EXECUTION_GAP = 0.5
"""Largest distance of a liquidation's execution price from the oracle that the lab's pools accept
(``liquidation.max_execution_gap_wad`` of the exact layout): a close executes at most 50% away
from the oracle; a market further away is charged only up to this bound."""


def execution_price(
    market_price: FloatArray,
    closed_notional: FloatArray,
    depth: FloatArray | float,
    coefficient: FloatArray | float,
    sale: BoolArray,
) -> FloatArray:
    """Return the average price a liquidation close fills at in the outside market.

    ``P_exec = P_market · exp(−s · SLIPPAGE_SHARE · c · √(q / depth))`` with ``s = +1`` for a sale
    (closing a long) and ``−1`` for a purchase, ``q`` the closed notional at the market price:
    the close walks the square-root depth curve (:func:`square_root_impact`) and pays on average
    2/3 of its own final impact. Infinite depth fills at the market price.
    """
    sign = np.where(sale, 1.0, -1.0)
    impact = np.asarray(coefficient) * np.sqrt(np.asarray(closed_notional) / np.asarray(depth))
    return np.asarray(market_price * np.exp(-sign * SLIPPAGE_SHARE * impact))


def bounded_execution_price(price: FloatArray, oracle: FloatArray, sale: BoolArray, max_gap: float) -> FloatArray:
    """Return the execution price a keeper may charge: never better than the oracle, at most ``max_gap`` away.

    A sale is charged at ``clip(price, oracle·(1 − gap), oracle)``, a purchase at
    ``clip(price, oracle, oracle·(1 + gap))`` (``ringfence.core.liquidation.perpetual.execution_cost_atoms``
    refuses anything else). A market better than the oracle costs the account nothing: its
    close is priced at the oracle, as the engine prices every close.
    """
    low = np.where(sale, oracle * (1.0 - max_gap), oracle)
    high = np.where(sale, oracle, oracle * (1.0 + max_gap))
    return np.asarray(np.minimum(np.maximum(price, low), high))


def gas_cost(gas_usd: float, congestion_gas: float, congestion: FloatArray, congestion_scale: float) -> FloatArray:
    """Return one liquidation transaction's gas in USD: ``gas · (1 + congestion_gas · min(1, congestion / scale))``.

    ``congestion`` is the step's eligible units per keeper, as for the keepers' failure probability.
    """
    return np.asarray(gas_usd * (1.0 + congestion_gas * np.minimum(1.0, np.asarray(congestion) / congestion_scale)))


@dataclass(frozen=True, slots=True, eq=False)
class Execution:
    """Where a close executes: each position's market price, its market's depth and impact coefficient, the bound."""

    market_price: FloatArray
    depth: FloatArray | float
    coefficient: FloatArray | float
    max_gap: float = MAX_EXECUTION_GAP


def margin_terms(
    size: FloatArray, basis: FloatArray, price: FloatArray, maintenance_rate: FloatArray, pnl_weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return each position's ``(equity contribution, maintenance requirement)``.

    Equity: unrealised PnL ``size·price − basis``, a positive one at ``pnl_weight``; requirement:
    ``|size|·price·rate`` (``ringfence.core.pool.position_margin.position_terms`` with a FLAT margin model and
    no funding). A unit's equity is its margin side plus the sum of its positions' terms.
    """
    pnl = size * price - basis
    equity = np.where(pnl > 0.0, pnl * pnl_weight, pnl)
    return equity, np.abs(size) * price * maintenance_rate


@dataclass(frozen=True, slots=True, eq=False)
class CloseOutcome:
    """One liquidation close per element (``ringfence.core.pool.liquidate._choose_close``).

    Attributes
    ----------
    status:
        :data:`KEEPER`, or why the backstop path was taken (:data:`BANKRUPT`, :data:`TOXIC`,
        :data:`BANKRUPT_AFTER_CLOSE`, :data:`LOWERS_HEALTH`).
    closed_size, closed_notional:
        Base units closed (positive) and their value at the oracle.
    realised:
        PnL realised on the closed part (paid by the LP vault when positive).
    keeper_reward, insurance_penalty:
        The penalty actually paid, split keeper / insurance fund (0 on the backstop path).
    backstop_fee:
        Equity the account forfeits to the LP vault on the backstop path (at most the
        position's maintenance requirement).
    after:
        The margin side (isolated vault or quote balance) after the close; negative = debt.
    new_size, new_basis:
        The position after the close.
    execution_price, execution_cost:
        The bounded price the close executed at, and ``closed_size · |oracle − execution_price|``:
        charged to the margin side before the penalty, paid to the keeper.
    """

    status: NDArray[np.int8]
    closed_size: FloatArray
    closed_notional: FloatArray
    realised: FloatArray
    keeper_reward: FloatArray
    insurance_penalty: FloatArray
    backstop_fee: FloatArray
    after: FloatArray
    new_size: FloatArray
    new_basis: FloatArray
    execution_price: FloatArray
    execution_cost: FloatArray

    @property
    def backstop(self) -> BoolArray:
        """Whether the LP vault took the position over (no keeper bonus)."""
        return np.asarray(self.status != KEEPER)


def _backstop_status(
    bankrupt: BoolArray, toxic: BoolArray, after_negative: BoolArray, lowers: BoolArray
) -> NDArray[np.int8]:
    status = np.full(bankrupt.shape, KEEPER, dtype=np.int8)
    status[lowers] = LOWERS_HEALTH
    status[after_negative] = BANKRUPT_AFTER_CLOSE
    status[toxic] = TOXIC
    status[bankrupt] = BANKRUPT
    return status


def close_position(
    size: FloatArray,
    basis: FloatArray,
    price: FloatArray,
    maintenance_rate: FloatArray,
    pnl_weight: FloatArray,
    unit_equity: FloatArray,
    unit_requirement: FloatArray,
    margin: FloatArray,
    penalty: FloatArray | float,
    close_factor: float,
    liquidator_share: float,
    execution: Execution | None = None,
) -> CloseOutcome:
    """Liquidate one position of each unit: keeper path if it qualifies, else the backstop path.

    Mirrors ``ringfence.core.pool.liquidate`` with the default policy (close-factor sizing,
    fixed penalty, no backstop health threshold, no pacing cap):

    - backstop if bankrupt (``E ≤ 0``) or toxic (``p > 0`` and ``E·R_pos < R·p·N``, the exact
      ``is_toxic``);
    - else a keeper close of ``c = close_factor·|size|``: realised ``PnL·c/|size|``, penalty
      ``p·c·price`` paid up to what is left (``paid = min(penalty, max(margin + realised, 0))``),
      ``paid·liquidator_share`` to the keeper, the rest to the insurance fund;
    - that close turns into the backstop path if it would leave the margin side negative, or
      if it lowers health (``E'·R < E·R'``; a whole close never does);
    - backstop: the whole position closes at the oracle; the account forfeits
      ``min(max(margin + realised, 0), R_pos)`` to the LP vault and pays no penalty;
    - with an ``execution``, the close (sized and routed as above, at the oracle) executes at
      :func:`bounded_execution_price` of :func:`execution_price`; its execution cost
      ``closed·|oracle − P_exec|`` is charged to the margin side before the penalty, which
      (or the forfeited equity) is what is left to pay, never more than at the oracle
      (``ringfence.core.liquidation.perpetual.charge_execution_cost``).

    Parameters
    ----------
    size, basis, price, maintenance_rate, pnl_weight:
        The position (signed size, signed open notional), its oracle price and its market.
    unit_equity, unit_requirement:
        ``E`` and ``R`` of the unit the position draws on (the position alone when isolated).
    margin:
        The unit's margin side: its isolated vault or its quote balance.
    penalty, close_factor, liquidator_share:
        The pool's design.
    execution:
        Where the close executes (``None``: at the oracle, no execution cost).
    """
    abs_size = np.abs(size)
    direction = np.sign(size)
    notional = abs_size * price
    own_requirement = notional * maintenance_rate
    bankrupt = unit_equity <= 0.0
    toxic = ~bankrupt & (penalty > 0.0) & (unit_equity * own_requirement < unit_requirement * penalty * notional)
    fraction = min(close_factor, 1.0)
    closed = abs_size * fraction
    realised_keeper = direction * closed * price - basis * fraction
    charged = closed * price * penalty
    left = margin + realised_keeper
    paid = np.minimum(charged, np.maximum(left, 0.0))
    after_keeper = left - paid
    new_size_keeper = size - direction * closed if fraction < 1.0 else np.zeros_like(size)
    new_basis_keeper = basis - basis * fraction if fraction < 1.0 else np.zeros_like(basis)
    before_terms, _ = margin_terms(size, basis, price, maintenance_rate, pnl_weight)
    after_terms, _ = margin_terms(new_size_keeper, new_basis_keeper, price, maintenance_rate, pnl_weight)
    equity_after = unit_equity - before_terms + after_terms + realised_keeper - paid
    requirement_after = unit_requirement - own_requirement * fraction
    lowers = (new_size_keeper != 0.0) & (equity_after * unit_requirement < unit_equity * requirement_after)
    status = _backstop_status(bankrupt, toxic, after_keeper < 0.0, lowers)
    backstop = status != KEEPER
    realised_whole = size * price - basis
    left_whole = margin + realised_whole
    forfeited = np.minimum(np.maximum(left_whole, 0.0), own_requirement)
    closed_size = np.where(backstop, abs_size, closed)
    left = np.where(backstop, left_whole, left)
    paid = np.where(backstop, forfeited, paid)
    executed, cost = price, np.zeros_like(price)
    if execution is not None:
        sale = size > 0.0
        market = execution.market_price
        wanted = execution_price(market, closed_size * market, execution.depth, execution.coefficient, sale)
        executed = bounded_execution_price(wanted, price, sale, execution.max_gap)
        cost = closed_size * np.abs(price - executed)
        left = left - cost
        paid = np.minimum(paid, np.maximum(left, 0.0))
    keeper_reward = np.where(backstop, 0.0, paid * liquidator_share)
    return CloseOutcome(
        status=status,
        closed_size=closed_size,
        closed_notional=np.where(backstop, notional, closed * price),
        realised=np.where(backstop, realised_whole, realised_keeper),
        keeper_reward=keeper_reward,
        insurance_penalty=np.where(backstop, 0.0, paid - keeper_reward),
        backstop_fee=np.where(backstop, paid, 0.0),
        after=left - paid,
        new_size=np.where(backstop, 0.0, new_size_keeper),
        new_basis=np.where(backstop, 0.0, new_basis_keeper),
        execution_price=np.asarray(executed, dtype=np.float64),
        execution_cost=cost,
    )


def square_root_impact(net_notional: FloatArray, depth_usd: FloatArray, coefficient: FloatArray) -> FloatArray:
    """Return the log-price impact of a net liquidated notional: ``−sign(Q)·coefficient·√(|Q|/depth)``.

    ``Q > 0`` is net selling (closed longs). ``depth_usd`` and ``coefficient`` are per asset and
    broadcast against ``net_notional`` (shape ``(M,)`` for one path; pass ``[:, None]`` against
    ``(M, P)``); a market without impact has coefficient 0 and infinite depth. With the square-root
    law (``ringfence.lab.scenario.market_impact``) the coefficient is ``Y·σ_daily`` and the depth
    the daily volume. Square-root impact: R. Almgren, C. Thum, E. Hauptmann, H. Li, "Direct
    estimation of equity market impact", *Risk* 18 (2005); B. Tóth et al., *Phys. Rev. X* 1 (2011);
    J.-P. Bouchaud et al., *Trades, Quotes and Prices* (2018), ch. 12.
    """
    depth = np.asarray(depth_usd, dtype=np.float64)
    scale = np.asarray(coefficient, dtype=np.float64)
    return np.asarray(-np.sign(net_notional) * square_root_law(np.abs(net_notional), depth, scale))


def impact_decay(step_seconds: float, half_life_seconds: float) -> float:
    """Return the share of the impact left after one step: ``0.5^(step / half-life)``."""
    return float(0.5 ** (step_seconds / half_life_seconds))


def oracle_stale(age_seconds: NDArray[np.int64], step_seconds: int, staleness_seconds: int | None) -> BoolArray:
    """Return, per grid step, whether the venue's oracle is stale as the exact engine sees it.

    The oracle receives a price when its publication time ``t·step − age`` advances. A price
    already older than ``staleness`` on arrival is refused and leaves the oracle degraded until
    the next accepted one; an accepted price goes stale ``staleness`` seconds after it arrived
    (``ringfence.core.oracle.aggregate`` and ``ringfence.core.margin.oracle_status``: the age of
    an accepted price counts from its acceptance). Without a staleness limit nothing is stale.
    """
    ages = np.asarray(age_seconds, dtype=np.int64)
    if staleness_seconds is None:
        return np.zeros(ages.shape, dtype=np.bool_)
    steps = np.arange(ages.shape[0], dtype=np.int64)
    published = steps * step_seconds - ages
    arrived = np.ones(ages.shape, dtype=np.bool_)
    arrived[1:] = published[1:] > np.maximum.accumulate(published)[:-1]
    last = np.maximum.accumulate(np.where(arrived, steps, 0))
    refused = ages[last] > staleness_seconds
    return np.asarray(refused | ((steps - last) * step_seconds > staleness_seconds))


def failure_probability(
    eligible: FloatArray, keepers: int, failure: float, congestion_failure: float, congestion_scale: float
) -> FloatArray:
    """Return each keeper attempt's failure probability: ``min(1, f + g·min(1, (eligible/keepers)/scale))``."""
    congestion = np.asarray(eligible, dtype=np.float64) / keepers
    return np.asarray(np.minimum(1.0, failure + congestion_failure * np.minimum(1.0, congestion / congestion_scale)))


def keeper_succeeds(draw: FloatArray, failure: FloatArray, keepers_with_capital: FloatArray) -> BoolArray:
    """Return whether some keeper liquidates: ``draw < 1 − failure^n`` (never with ``n = 0``)."""
    return np.asarray(draw < 1.0 - np.power(failure, keepers_with_capital))


def top_up_amount(
    health: FloatArray, threshold: float, draw: FloatArray, probability: float, reserve: FloatArray, wanted: FloatArray
) -> FloatArray:
    """Return each unit's top-up: ``min(reserve, wanted)`` when ``health < threshold`` and ``draw < probability``.

    A unit with no requirement (``health`` NaN) never tops up, nor does any with ``threshold = 0``.
    """
    wants = (threshold > 0.0) & (health < threshold) & (draw < probability)
    return np.where(wants, np.minimum(reserve, wanted), 0.0)
