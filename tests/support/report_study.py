"""Hand-built studies for the report tests: intervals, per-pool rows, a tornado and assumptions set by hand.

The statistics that fill :attr:`Summary.intervals`, :attr:`Summary.per_pool`, the sensitivity bars and
the assumptions are computed elsewhere; the report only prints them. These builders give the report
values chosen by the test (not computed by any code under test), so every expected string on the page
can be written down by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ringfence.lab.assumptions import Assumption
from ringfence.lab.estimate import Estimate
from ringfence.lab.metrics import PoolSummary, Summary
from ringfence.lab.study import LadderRow, SensitivityBar, StudyResult
from support.lab_runs import sample_study

METHOD = "bootstrap percentile, 2000 resamples"


def estimate(value: float, low: float, high: float, runs: int = 200, method: str = METHOD) -> Estimate:
    """Return a figure with its 95% interval."""
    return Estimate(value=value, low=low, high=high, method=method, runs=runs)


def unsupported(runs: int, runs_needed: int | None) -> Estimate:
    """Return a figure the runs cannot support (the report must print the runs it needs, not a number)."""
    return Estimate(
        value=None, low=None, high=None, method="exact order-statistic interval", runs=runs, runs_needed=runs_needed
    )


@dataclass(frozen=True, slots=True, eq=False)
class StudyWithSummary(StudyResult):
    """A study whose base summary is given, not recomputed from its runs (hand-built intervals reach the page)."""

    summary: Summary | None = None

    def base_summary(self) -> Summary:
        """Return the given summary (or the one computed from the runs when none is given)."""
        return StudyResult.base_summary(self) if self.summary is None else self.summary


def with_summary(study: StudyResult, summary: Summary) -> StudyWithSummary:
    """Return ``study`` with its base summary replaced by ``summary``."""
    fields = {name: getattr(study, name) for name in StudyResult.__dataclass_fields__}
    return StudyWithSummary(**fields, summary=summary)


def pool_row(pool: str, base_usd: float) -> PoolSummary:
    """Return a pool's figures, each ``base_usd`` times a fixed factor, with a ±10% interval."""

    def figure(factor: float) -> Estimate:
        value = base_usd * factor
        return estimate(value, min(value * 0.9, value * 1.1), max(value * 0.9, value * 1.1))

    return PoolSummary(
        pool=pool,
        bad_debt_mean=figure(1.0),
        var95=figure(3.0),
        evar99=figure(5.0),
        lar95=figure(40.0),
        lp_pnl_mean=figure(-0.5),
        insurance_drawdown_mean=figure(0.8),
    )


def with_intervals(
    summary: Summary, intervals: Mapping[str, Estimate], per_pool: Sequence[PoolSummary] = ()
) -> Summary:
    """Return ``summary`` carrying the given intervals and per-pool rows."""
    return replace(summary, intervals=dict(intervals), per_pool=tuple(per_pool))


def ladder_with_intervals(rows: Sequence[LadderRow], spread: float = 0.1) -> tuple[LadderRow, ...]:
    """Give every rung's key figures an interval of ``±spread`` around its value."""
    fields = (
        "bad_debt_mean_usd",
        "var95_usd",
        "contagion_mean_usd",
        "capital_efficiency_mean",
        "attacker_profit_mean_usd",
    )
    out = []
    for row in rows:
        intervals = {}
        for name in fields:
            value = float(getattr(row.summary, name))
            intervals[name] = estimate(value, value * (1 - spread), value * (1 + spread))
        out.append(replace(row, summary=with_intervals(row.summary, intervals)))
    return tuple(out)


TORNADO = (
    SensitivityBar(
        "depth", "×0.5", "×2", estimate(90_000.0, 80_000.0, 100_000.0), estimate(20_000.0, 15_000.0, 25_000.0)
    ),
    SensitivityBar(
        "keeper latency", "0 s", "120 s", estimate(38_000.0, 33_000.0, 43_000.0), estimate(47_000.0, 41_000.0, 53_000.0)
    ),
    SensitivityBar("volatility", "×0.8", "×1.2", estimate(30_000.0, 26_000.0, 34_000.0), unsupported(200, 400)),
)
"""Depth swings $70k, keeper latency $9k, volatility has no high value (its high setting needs 400 runs)."""

ASSUMPTIONS = (
    Assumption("BTC depth (USD for 1σ daily move)", "$1.2B", "ringfence calibrate btc.csv, 2024-01..2024-06"),
    Assumption("keeper latency", "12 s", "chosen: <median> of Aave v3 liquidations"),
)


def full_study(runs: int = 6, *, attacker_profit_usd: float = 0.0) -> StudyWithSummary:
    """Return the sample study with every section the report can show filled by hand.

    Base summary: bad debt mean $42,600 (95% CI $38,100–$47,000), VaR95 that needs 400 runs, EVaR99
    likewise, two pools, a three-bar tornado around $42,600 and two assumptions.
    """
    study = sample_study(runs)
    base = study.base_summary()
    if attacker_profit_usd:
        base = replace(base, attacker_profit_mean_usd=attacker_profit_usd)
    summary = with_intervals(
        replace(base, bad_debt_mean_usd=42_600.0, var95_usd=123_456.0, evar99_usd=234_567.0),
        {
            "bad_debt_mean_usd": estimate(42_600.0, 38_100.0, 47_000.0),
            "var95_usd": unsupported(runs, 400),
            "evar99_usd": unsupported(runs, 2_000),
            "attacker_profit_mean_usd": estimate(
                attacker_profit_usd, attacker_profit_usd * 0.95, attacker_profit_usd * 1.05
            ),
        },
        per_pool=(pool_row("pool-ETH", 30_000.0), pool_row("pool-BTC", 12_600.0)),
    )
    ladder = study.ladder
    if attacker_profit_usd:
        # the attacker makes less the more isolated the rung: full profit, then a half, a third, a quarter
        ladder = tuple(
            replace(row, summary=replace(row.summary, attacker_profit_mean_usd=attacker_profit_usd / (index + 1)))
            for index, row in enumerate(ladder)
        )
    ladder = ladder_with_intervals(ladder)
    filled = replace(
        study,
        ladder=ladder,
        sensitivity_base=estimate(42_600.0, 38_100.0, 47_000.0),
        sensitivity=TORNADO,
        assumptions=ASSUMPTIONS,
    )
    return with_summary(filled, summary)
