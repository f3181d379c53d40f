"""What credit lines between pools buy and what they cost: the ``credit_lines`` rung against plain isolated pools.

Both rungs play the same paths, population and draws, so each figure is compared path by path
(a paired difference: its interval is narrower than the difference of two independent means).

- **What the lines buy (capital efficiency)**: open interest carried per unit of LP capital,
  ``mean over the grid of traders' open notional / total LP capital at the start`` (the lines
  move LP cash between pools, not in or out, so the denominator is the same on both rungs); and
  the ladder's own capital efficiency, open notional per unit of traders' collateral. The line's
  undrawn room counts in the borrower's reserve (``docs/credit-lines.md``), so positions the plain
  pool's reserve refuses can open.
- **What they cost (contagion)**: the lenders' loss per run (``RunResult.credit_line_loss_usd``,
  defined in :mod:`ringfence.lab.exact.credit`), at most the caps lent; the run's whole contagion
  (``RunResult.contagion_usd``, which includes it); and the share of runs in which a lender lost
  anything (exact binomial interval).

Every mean carries its 95% percentile-bootstrap interval (:func:`~ringfence.lab.estimate.mean_estimate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.estimate import Estimate, mean_estimate, proportion_estimate
from ringfence.lab.results import EngineName, RunResult

__all__ = ["CreditLineComparison", "compare_credit_lines", "open_interest_per_lp"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CreditLineComparison:
    """The credit-lines rung against plain isolated pools, on the same paths (module docstring).

    Attributes
    ----------
    engine:
        The engine that played both rungs.
    runs:
        Paths played on each rung.
    lines:
        One description per line (lender → borrower, cap, rate), in seniority order.
    caps_usd:
        The caps lent, summed: no run's lender loss may exceed it.
    open_interest_per_lp_plain, open_interest_per_lp_credit, open_interest_per_lp_gain:
        Open interest per unit of LP capital on each rung, and the per-path gain (credit − plain).
    capital_efficiency_plain, capital_efficiency_credit, capital_efficiency_gain:
        Open notional per unit of traders' collateral (the ladder's figure), likewise.
    contagion_plain, contagion_credit:
        Mean contagion per run (USD) on each rung.
    lender_loss:
        Mean loss of the lender pools per run (USD).
    lender_loss_max_usd:
        The largest lender loss of any run (the bound: at most ``caps_usd``).
    runs_with_lender_loss:
        Share of runs in which a lender lost more than a dollar.
    drawn:
        Mean principal drawn on the lines per run (USD).
    """

    engine: EngineName
    runs: int
    lines: tuple[str, ...]
    caps_usd: float
    open_interest_per_lp_plain: Estimate
    open_interest_per_lp_credit: Estimate
    open_interest_per_lp_gain: Estimate
    capital_efficiency_plain: Estimate
    capital_efficiency_credit: Estimate
    capital_efficiency_gain: Estimate
    contagion_plain: Estimate
    contagion_credit: Estimate
    lender_loss: Estimate
    lender_loss_max_usd: float
    runs_with_lender_loss: Estimate
    drawn: Estimate


def open_interest_per_lp(run: RunResult) -> float:
    """Return the run's time-averaged open notional per unit of LP capital at the start (0 without LP capital)."""
    capital = float(run.lp_nav_usd[:, 0].sum())
    return float(run.open_notional_usd.mean() / capital) if capital > 0 else 0.0


LOSS_MATERIALITY_USD = 1.0
"""A lender loss counts in ``runs_with_lender_loss`` above one dollar (float dust of atom conversions is far below)."""


def _column(runs: Sequence[RunResult], field: str) -> FloatArray:
    return np.array([float(np.sum(getattr(run, field))) for run in runs], dtype=np.float64)


def compare_credit_lines(
    plain: Sequence[RunResult], credit: Sequence[RunResult], lines: Sequence[str]
) -> CreditLineComparison:
    """Compare the runs of the credit-lines rung with the plain isolated pools' runs of the same paths.

    Raises
    ------
    InvalidParameter
        The two sequences are empty, of different lengths, not the same paths in the same order,
        not the two rungs, or of different engines.
    """
    if not plain or len(plain) != len(credit):
        raise InvalidParameter("credit", len(credit), f"as many runs as the plain rung ({len(plain)}), at least 1")
    if [run.path_index for run in plain] != [run.path_index for run in credit]:
        raise InvalidParameter("credit", "paths", "the plain rung's paths, in the same order")
    if {run.isolation for run in plain} != {"isolated_pools"} or {run.isolation for run in credit} != {"credit_lines"}:
        raise InvalidParameter("credit", "rungs", "isolated_pools runs, then credit_lines runs")
    engines = {run.engine for run in (*plain, *credit)}
    if len(engines) != 1:
        raise InvalidParameter("credit", sorted(engines), "runs of one engine")
    oi_plain = np.array([open_interest_per_lp(run) for run in plain])
    oi_credit = np.array([open_interest_per_lp(run) for run in credit])
    eff_plain = np.array([run.capital_efficiency for run in plain])
    eff_credit = np.array([run.capital_efficiency for run in credit])
    loss = _column(credit, "credit_line_loss_usd")
    return CreditLineComparison(
        engine=credit[0].engine,
        runs=len(credit),
        lines=tuple(lines),
        caps_usd=float(np.sum(credit[0].credit_line_cap_usd)),
        open_interest_per_lp_plain=mean_estimate(oi_plain),
        open_interest_per_lp_credit=mean_estimate(oi_credit),
        open_interest_per_lp_gain=mean_estimate(oi_credit - oi_plain),
        capital_efficiency_plain=mean_estimate(eff_plain),
        capital_efficiency_credit=mean_estimate(eff_credit),
        capital_efficiency_gain=mean_estimate(eff_credit - eff_plain),
        contagion_plain=mean_estimate(_column(plain, "contagion_usd")),
        contagion_credit=mean_estimate(_column(credit, "contagion_usd")),
        lender_loss=mean_estimate(loss),
        lender_loss_max_usd=float(loss.max()),
        runs_with_lender_loss=proportion_estimate(int(np.count_nonzero(loss > LOSS_MATERIALITY_USD)), len(loss)),
        drawn=mean_estimate(_column(credit, "credit_line_drawn_usd")),
    )
