"""What one stress run produces, whichever engine ran it: the contract between engines, metrics and report.

A :class:`RunResult` is one price path played once under one venue design (isolation level and
margin scale). Amounts are in quote units (USD) as float64: the exact engine converts its
integer atoms at the end of a run, the vectorised engine computes in float64 throughout; the
results are statistics, not balances (SPEC §1). Liquidations are a structured record array
(vectorbt's records), one row per liquidation, in the order they happened.

The definitions of every field are in ``docs/stress-model.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.options_results import OptionRun

__all__ = [
    "CREDIT_LINES_RUNG",
    "ISOLATION_LEVELS",
    "LADDER_RUNGS",
    "LIQUIDATION_DTYPE",
    "PARTIES",
    "EngineName",
    "IsolationLevel",
    "RunResult",
    "empty_liquidations",
]

FloatArray = NDArray[np.float64]
EngineName = Literal["exact", "vector"]
IsolationLevel = Literal["monolithic", "subaccounts", "credit_lines", "isolated_pools", "isolated_positions"]
PARTIES: tuple[str, ...] = ("traders", "lps", "insurance", "keepers", "protocol", "market")
"""The parties of the lab's conservation sum (``RunResult.party_pnl_usd``; ``docs/stress-model.md``)."""
ISOLATION_LEVELS: tuple[IsolationLevel, ...] = ("monolithic", "subaccounts", "isolated_pools", "isolated_positions")
"""From the least to the most isolated: the default ladder (a study adds :data:`CREDIT_LINES_RUNG` by name)."""
CREDIT_LINES_RUNG: IsolationLevel = "credit_lines"
"""Isolated pools with capped credit lines between them (``venue.credit_lines``; ``docs/credit-lines.md``)."""
LADDER_RUNGS: tuple[IsolationLevel, ...] = (
    "monolithic",
    "subaccounts",
    CREDIT_LINES_RUNG,
    "isolated_pools",
    "isolated_positions",
)
"""Every rung a study may list, from the least to the most isolated (a line links two pools' fates)."""

LIQUIDATION_DTYPE = np.dtype(
    [
        ("step", np.int32),
        ("pool", np.int32),
        ("market", np.int32),
        ("trader", np.int32),
        ("notional_usd", np.float64),
        ("bad_debt_usd", np.float64),
        ("slippage_usd", np.float64),
        ("delay_seconds", np.float64),
        ("backstop", np.bool_),
    ]
)
"""One liquidation: when (grid step), where (pool and market index), whose position (trader index;
-1 for the attacker), the notional closed at the oracle, the shortfall it left (bad debt), the
execution cost charged to the account (``slippage_usd``: closing at the market after its own
impact instead of at the oracle, the oracle-to-market gap included), how long after the position first fell below
maintenance it happened, and whether the LP vault took it over (backstop path) instead of a keeper."""


def empty_liquidations() -> NDArray[np.void]:
    """Return a liquidation record array with no rows."""
    return np.zeros(0, dtype=LIQUIDATION_DTYPE)


@dataclass(frozen=True, slots=True, eq=False)
class RunResult:
    """One run of one scenario on one path under one venue design.

    Attributes
    ----------
    engine:
        Which engine produced the numbers.
    isolation:
        The rung of the isolation ladder.
    margin_scale:
        Multiplier applied to every market's initial and maintenance margin (1.0 = as in the file).
    path_index:
        Which sampled path (0-based) this run played.
    assets, markets, pools:
        Names, in index order (``markets[i]`` trades ``assets[i]``).
    market_prices, oracle_prices:
        Shape ``(n_assets, steps + 1)``: the traded price after liquidation impact, and what the
        venue's oracle reported.
    liquidations:
        Records of dtype :data:`LIQUIDATION_DTYPE`.
    bad_debt_usd:
        Per pool, shape ``(n_pools,)``: shortfalls left by bankrupt closes.
    insurance_usd:
        Per pool and grid time, shape ``(n_pools, steps + 1)``: the insurance fund's balance.
    lp_nav_usd:
        Per pool and grid time, shape ``(n_pools, steps + 1)``: the LP vault's net asset value.
    lp_loss_usd:
        Per pool: losses the LP vault absorbed from shortfalls (backstop budget and socialised loss).
    adl_loss_usd:
        Per pool: profit forgone by auto-deleveraged traders.
    contagion_usd:
        Value lost by parties with no exposure to the markets it came from: per LP, the net loss it
        bears from markets other than its home (its share of their vault P&L), summed over LPs, plus
        profit forgone by traders auto-deleveraged for another market's shortfall (``docs/stress-model.md``).
    open_notional_usd:
        Shape ``(steps + 1,)``: traders' open notional at the market price.
    collateral_usd:
        Traders' collateral deposited over the run (initial deposits and top-ups).
    attacker_profit_usd:
        What the attacker withdrew minus what it deposited (0 without an attacker).
    latent_bad_debt_usd:
        Per pool: the negative equity, at the final market price, of units still open at the end
        (empty, read as zero per pool, in a run made without it).
    vault_pnl_by_market_usd:
        Per market, shape ``(n_markets,)``: the market's contribution to its pool's LP vault over
        the run: fees, traders' realised PnL, shortfall absorbed, insurance drawn, backstop fees,
        minus its open positions' unrealised PnL at the final oracle and the latent bad debt written
        off (market ``i`` is in pool ``i`` on the isolated rungs, in the one shared pool otherwise);
        empty in a run made without it.
    execution_cost_usd:
        Per pool: execution cost charged to liquidated accounts (paid to the keepers, who pass it
        on to the outside market).
    gas_usd:
        Gas paid for liquidation transactions (keepers' and the protocol's liquidator's).
    unserved_liquidations:
        Liquidations no keeper took for lack of profit (an eligible unit, a keeper available, a
        bonus not above the gas), counted once per unit each time it falls below maintenance.
    party_pnl_usd:
        Each party's P&L over the run (:data:`PARTIES`): they sum to zero (``docs/stress-model.md``).
    """

    engine: EngineName
    isolation: IsolationLevel
    margin_scale: float
    path_index: int
    assets: tuple[str, ...]
    markets: tuple[str, ...]
    pools: tuple[str, ...]
    step_seconds: int
    market_prices: FloatArray
    oracle_prices: FloatArray
    liquidations: NDArray[np.void]
    bad_debt_usd: FloatArray
    insurance_usd: FloatArray
    lp_nav_usd: FloatArray
    lp_loss_usd: FloatArray
    adl_loss_usd: FloatArray
    contagion_usd: float
    open_notional_usd: FloatArray
    collateral_usd: float
    attacker_profit_usd: float
    latent_bad_debt_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    vault_pnl_by_market_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    credit_line_loss_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Per pool, on the credit-lines rung: what the pool lost as a lender (principal written off and
    not recovered, plus the part of its outstanding claims the borrower's final NAV, latent bad debt
    deducted, leaves unbacked); empty on the other rungs (``docs/credit-lines.md``)."""
    credit_line_cap_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Per pool, on the credit-lines rung: the caps of the lines it lent (its loss is at most this)."""
    credit_line_drawn_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Per pool, on the credit-lines rung: the principal it drew over the run as a borrower."""

    @property
    def latent_per_pool_usd(self) -> FloatArray:
        """Latent bad debt per pool (zeros when the run carries none)."""
        if self.latent_bad_debt_usd.size == 0:
            return np.zeros(len(self.pools))
        return self.latent_bad_debt_usd

    @property
    def protocol_loss_usd(self) -> float:
        """Bad debt plus latent bad debt, summed over pools (``docs/stress-model.md``)."""
        return self.total_bad_debt_usd + float(self.latent_per_pool_usd.sum())

    execution_cost_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    gas_usd: float = 0.0
    unserved_liquidations: int = 0
    party_pnl_usd: Mapping[str, float] = field(default_factory=dict)
    options: OptionRun | None = None
    """The run's option markets (``venue.options``, exact engine only): ``None`` without them."""

    @property
    def total_bad_debt_usd(self) -> float:
        """Bad debt summed over pools."""
        return float(self.bad_debt_usd.sum())

    @property
    def liquidated_value_usd(self) -> float:
        """Notional closed by liquidations over the run."""
        return float(self.liquidations["notional_usd"].sum())

    @property
    def capital_efficiency(self) -> float:
        """Time-averaged open notional per unit of collateral deposited (0 without collateral)."""
        if self.collateral_usd <= 0.0:
            return 0.0
        return float(self.open_notional_usd.mean() / self.collateral_usd)

    @property
    def insurance_drawdown_usd(self) -> FloatArray:
        """Per pool: the largest fall of the insurance fund from a running peak."""
        peaks = np.maximum.accumulate(self.insurance_usd, axis=1)
        return np.asarray((peaks - self.insurance_usd).max(axis=1), dtype=np.float64)
