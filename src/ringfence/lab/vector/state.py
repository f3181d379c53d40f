"""The mutable arrays of a vectorised run: one row per path (first axis), as in a structure of arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.exact.population import TraderBook
from ringfence.lab.results import LIQUIDATION_DTYPE
from ringfence.lab.vector.design import Design, Rules
from ringfence.lab.vector.opening import Opening

__all__ = ["NOT_SEEN", "Book", "Records", "Static", "initial_book", "one_hot"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NOT_SEEN = np.iinfo(np.int64).max
"""``first_seen`` of a unit that is not a candidate (later than any step: ``min`` keeps the first one seen)."""


def one_hot(index: IntArray, width: int) -> FloatArray:
    """Return the ``(len(index), width)`` indicator matrix (sums by group with a matrix product)."""
    matrix = np.zeros((index.shape[0], width))
    matrix[np.arange(index.shape[0]), index] = 1.0
    return matrix


@dataclass(frozen=True, slots=True, eq=False)
class Static:
    """Per-position views of the design that every step reads, and the run's rules."""

    design: Design
    rules: Rules
    pnl_weight: FloatArray
    penalty: FloatArray
    """``(N,)``: the fixed penalty of each position's pool."""
    pool: IntArray
    lp_pool: FloatArray
    """``(M, Q)``: LP ``i`` (market ``i``'s) belongs to pool ``market_pool[i]``."""
    position_pools: FloatArray
    """``(N, Q)``: the pool of every position (sums per pool with a matrix product)."""
    weighted: bool
    """Whether some market weighs positive PnL below 1 (else equity terms are the PnL itself)."""

    @classmethod
    def of(cls, design: Design, rules: Rules) -> Static:
        """Build the views of ``design``."""
        market = design.position_market
        return cls(
            design,
            rules,
            design.pnl_weight[market],
            design.pool_penalty[design.position_pool],
            design.position_pool,
            one_hot(design.market_pool, len(design.pools)),
            one_hot(design.position_pool, len(design.pools)),
            bool(np.any(design.pnl_weight < 1.0)),
        )


@dataclass(slots=True, eq=False)
class Book:
    """Everything that changes during a run, for ``P`` paths at once.

    Positions ``(P, N)``, units ``(P, U)``, traders ``(P, T)``, pools ``(P, Q)``, LPs and markets ``(P, M)``
    (LP ``i`` is market ``i``'s, in pool ``market_pool[i]``), keepers ``(P,)``: the serving
    keeper's index and the capital it has left this step.
    """

    size: FloatArray
    basis: FloatArray
    margin: FloatArray
    first_seen: IntArray
    candidates: IntArray
    """Flat indices ``path·U + unit`` of the last step's candidates, ascending."""
    reserve: FloatArray
    vault: FloatArray
    insurance: FloatArray
    insurance_start: FloatArray
    insurance_drawn: FloatArray
    backstop_start: FloatArray
    backstop_absorbed: FloatArray
    lp_shares: FloatArray
    fled: NDArray[np.bool_]
    """``(P, Q)``: the pool's LPs have fled (some redemption was paid)."""
    nav_peak: FloatArray
    keeper_index: IntArray
    keeper_left: FloatArray
    open_size: FloatArray
    """``(P, M)``: the sum of ``|size|`` over each market's positions."""
    skew: FloatArray
    """``(P, M)``: each market's net size (longs minus shorts); the pool is the other side."""
    requirement_rate: FloatArray
    """``(P, N)``: ``|size| · maintenance rate``, so a position's requirement is this times its price."""
    maintenance: FloatArray
    """``(P, N)``: each position's maintenance rate on each path (dynamic margins move it per path)."""
    pool_basis: FloatArray
    """``(P, Q)``: the sum of open positions' signed basis per pool (traders' PnL = Σ size·price − this)."""
    bad_debt: FloatArray
    lp_loss: FloatArray
    market_flow: FloatArray
    """``(P, M)``: the LP vault's cash flows booked by each market (fees, realised PnL, shortfall, insurance)."""
    collateral: FloatArray
    execution_cost: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    """``(P, Q)``: execution cost charged to liquidated accounts, paid to the senders, passed to the market."""
    keeper_rewards: FloatArray = field(default_factory=lambda: np.zeros(0))
    """``(P,)``: keeper bonuses paid to keepers (the protocol's liquidator's in ``protocol_rewards``)."""
    protocol_rewards: FloatArray = field(default_factory=lambda: np.zeros(0))
    keeper_gas: FloatArray = field(default_factory=lambda: np.zeros(0))
    protocol_gas: FloatArray = field(default_factory=lambda: np.zeros(0))
    unserved: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """``(P,)``: units a keeper declined for lack of profit, once per time below maintenance."""
    declined: NDArray[np.bool_] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.bool_))
    """``(P, U)``: the unit was declined since it last became a candidate."""
    redeemed: FloatArray = field(default_factory=lambda: np.zeros(0))
    """``(P,)``: what fleeing LPs redeemed."""

    @property
    def paths(self) -> int:
        """Number of paths."""
        return int(self.size.shape[0])


@dataclass(slots=True, eq=False)
class Records:
    """Liquidation records as they happen; a step's rows are kept once the step's net flow is read."""

    done: list[NDArray[np.void]] = field(default_factory=list)
    paths: list[IntArray] = field(default_factory=list)
    step_rows: NDArray[np.void] | None = None
    step_paths: IntArray | None = None
    step_signed: FloatArray | None = None

    def add_step(self, path: IntArray, rows: NDArray[np.void], signed_notional: FloatArray) -> None:
        """Hold the step's rows (in order); ``signed_notional > 0`` sells (a closed long)."""
        self.step_paths, self.step_rows, self.step_signed = path, rows, signed_notional

    def net_flow(self, n_markets: int, n_paths: int) -> FloatArray:
        """Return the step's net liquidated notional per market and path ``(M, P)`` (sales positive)."""
        flow = np.zeros((n_markets, n_paths))
        if self.step_rows is not None and self.step_paths is not None and self.step_signed is not None:
            np.add.at(flow, (self.step_rows["market"], self.step_paths), self.step_signed)
        return flow

    def close_step(self) -> None:
        """Keep the held rows (their ``slippage_usd``, the execution cost, was set when they were settled)."""
        if self.step_rows is None or self.step_paths is None:
            return
        self.done.append(self.step_rows)
        self.paths.append(self.step_paths)
        self.step_rows = self.step_paths = self.step_signed = None

    def by_path(self, n_paths: int) -> list[NDArray[np.void]]:
        """Return each path's rows in the order they happened."""
        if not self.done:
            return [np.zeros(0, dtype=LIQUIDATION_DTYPE) for _ in range(n_paths)]
        rows = np.concatenate(self.done)
        paths = np.concatenate(self.paths)
        order = np.argsort(paths, kind="stable")
        counts = np.bincount(paths, minlength=n_paths)
        return list(np.split(rows[order], np.cumsum(counts)[:-1]))


def initial_book(design: Design, rules: Rules, traders: TraderBook, opening: Opening, n_paths: int) -> Book:
    """Return the book at time 0 on every path (LP shares = LP capital: the first deposits mint 1:1).

    Positions open at the oracle, so every PnL is 0 and each pool's NAV (the first peak) is its vault.
    With one population per path, ``opening``'s arrays and ``traders``' collateral and reserve have
    a first axis of paths.
    """
    n_pools = len(design.pools)

    def tile(row: FloatArray) -> FloatArray:
        array = np.asarray(row, dtype=np.float64)
        return array.copy() if array.ndim == 2 else np.tile(array, (n_paths, 1))  # 2-D: one row per path

    zeros = np.zeros((n_paths, n_pools))
    by_market = one_hot(design.position_market, len(design.markets))
    return Book(
        size=tile(opening.size),
        basis=tile(opening.basis),
        margin=tile(opening.margin),
        first_seen=np.full((n_paths, design.units), NOT_SEEN, dtype=np.int64),
        candidates=np.empty(0, dtype=np.int64),
        reserve=tile(traders.reserve_usd),
        vault=tile(opening.vault),
        insurance=tile(design.pool_insurance),
        insurance_start=zeros.copy(),
        insurance_drawn=zeros.copy(),
        backstop_start=zeros.copy(),
        backstop_absorbed=zeros.copy(),
        lp_shares=tile(design.lp_capital),
        fled=np.zeros((n_paths, n_pools), dtype=np.bool_),
        nav_peak=tile(opening.vault + design.credit_lent),
        keeper_index=np.zeros(n_paths, dtype=np.int64),
        keeper_left=np.full(n_paths, rules.keeper_capital),
        open_size=tile(np.abs(opening.size) @ by_market),
        skew=tile(opening.size @ by_market),
        requirement_rate=tile(np.abs(opening.size) * design.maintenance_margin[design.position_market]),
        maintenance=np.tile(design.maintenance_margin[design.position_market], (n_paths, 1)),
        pool_basis=tile(opening.basis @ one_hot(design.position_pool, n_pools)),
        bad_debt=zeros.copy(),
        lp_loss=zeros.copy(),
        market_flow=tile(opening.fee @ by_market),
        collateral=np.broadcast_to(np.asarray(traders.collateral_usd).sum(axis=-1), (n_paths,)).astype(np.float64),
        execution_cost=zeros.copy(),
        keeper_rewards=np.zeros(n_paths),
        protocol_rewards=np.zeros(n_paths),
        keeper_gas=np.zeros(n_paths),
        protocol_gas=np.zeros(n_paths),
        unserved=np.zeros(n_paths, dtype=np.int64),
        declined=np.zeros((n_paths, design.units), dtype=np.bool_),
        redeemed=np.zeros(n_paths),
    )
