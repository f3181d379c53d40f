"""Conformance of the stress metrics (``ringfence.lab.metrics``) on hand-made runs, not an engine.

Every expected number is worked out by hand in the comments. Amounts are small integers or
multiples of 1/8, exact in float64, so the comparisons are exact (no tolerance).
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidParameter
from ringfence.lab.metrics import (
    DESCRIPTIVE_FIELDS,
    INTERVAL_FIELDS,
    contagion_materiality_usd,
    order_rank,
    percentile,
    summarise,
)
from support.lab_runs import make_run

# 20 protocol losses, listed sorted (the runs receive them shuffled):
#   rank:  1  2  3  4  5  6   7   8   9   10  11  12  13  14  15  16  17  18  19    20
#   loss:  0  0  0  0  0  50  50  100 100 100 150 200 250 300 400 500 700 900 1200  5000
LOSSES_SORTED = (0, 0, 0, 0, 0, 50, 50, 100, 100, 100, 150, 200, 250, 300, 400, 500, 700, 900, 1200, 5000)
SHUFFLE = (7, 19, 0, 12, 3, 18, 5, 9, 1, 14, 16, 2, 11, 8, 17, 4, 13, 10, 15, 6)


def twenty_runs() -> list:
    """Pool ETH bears 3/5 of each loss, pool BTC 2/5 (every loss is a multiple of 50, so both are integers)."""
    runs = []
    for path_index, rank in enumerate(SHUFFLE):
        loss = float(LOSSES_SORTED[rank])
        runs.append(make_run(path_index=path_index, bad_debt=(loss * 3 / 5, loss * 2 / 5)))
    return runs


def test_var95_of_twenty_runs_is_the_nineteenth_smallest_loss() -> None:
    summary = summarise(twenty_runs())
    # ⌈95 · 20 / 100⌉ = ⌈19⌉ = 19 → the 19th smallest loss = 1200
    assert summary.var95_usd == 1200.0


def test_evar99_of_twenty_runs_is_the_largest_loss() -> None:
    summary = summarise(twenty_runs())
    # ⌈99 · 20 / 100⌉ = ⌈19.8⌉ = 20 → the 20th smallest (the largest) = 5000
    assert summary.evar99_usd == 5000.0


def test_mean_median_and_per_pool_bad_debt_of_twenty_runs() -> None:
    summary = summarise(twenty_runs())
    # sum = 50+50 + 3·100 + 150+200+250+300+400+500+700+900+1200+5000 = 10000 → mean 10000/20 = 500
    assert summary.bad_debt_mean_usd == 500.0
    # median of 20 = (10th + 11th) / 2 = (100 + 150) / 2 = 125
    assert summary.bad_debt_median_usd == 125.0
    # pool ETH: 3/5 · 500 = 300; pool BTC: 2/5 · 500 = 200
    assert summary.bad_debt_per_pool_mean_usd == (300.0, 200.0)
    assert summary.runs == 20
    assert summary.pools == ("pool-ETH", "pool-BTC")


def test_lar95_is_the_95th_percentile_of_liquidated_value() -> None:
    # run k (k = 0..19) liquidates one position of notional 1000·(k+1): 1000, 2000, ..., 20000
    runs = [make_run(path_index=k, records=[(1, 0, 0, k, 1000.0 * (k + 1), 0.0, 0.0, 0.0, False)]) for k in range(20)]
    summary = summarise(runs)
    # ⌈0.95 · 20⌉ = 19 → the 19th smallest volume = 19000
    assert summary.lar95_usd == 19000.0
    # mean = 1000 · (1 + ... + 20) / 20 = 1000 · 210 / 20 = 10500
    assert summary.liquidation_volume_mean_usd == 10500.0
    assert summary.liquidation_volume_max_usd == 20000.0


def four_runs() -> list:
    """Four runs with liquidations, contagion, insurance paths, LP and ADL losses set by hand."""
    return [
        make_run(
            path_index=0,
            records=[
                (1, 0, 0, 1, 4000.0, 0.0, 10.0, 0.0, False),
                (2, 1, 1, 2, 6000.0, 0.0, 30.0, 3600.0, False),
            ],
            contagion=0.0,
            # ETH fund 100, 80, 120, 60, 90: peaks 100, 100, 120, 120, 120 → falls 0, 20, 0, 60, 30 → 60
            # BTC fund flat at 50 → 0; run total 60
            insurance=((100.0, 80.0, 120.0, 60.0, 90.0), (50.0,) * 5),
            lp_loss=(10.0, 5.0),
            adl_loss=(0.0, 2.0),
            # mean of (1000, 2000, 3000, 2000, 2000) = 10000 / 5 = 2000 over collateral 1000 → 2.0
            open_notional=(1000.0, 2000.0, 3000.0, 2000.0, 2000.0),
        ),
        make_run(
            path_index=1,
            records=[(3, 0, 0, 3, 2000.0, 500.0, 5.0, 7200.0, True)],
            contagion=300.0,
            # ETH flat at 100 → 0; BTC 50, 40, 40, 10, 20: peak 50 → largest fall 40; run total 40
            insurance=((100.0,) * 5, (50.0, 40.0, 40.0, 10.0, 20.0)),
            lp_loss=(0.0, 35.0),
            adl_loss=(0.0, 0.0),
            open_notional=(500.0,) * 5,  # 500 / 1000 → 0.5
            attacker_profit=-80.0,
        ),
        make_run(path_index=2, contagion=100.0, open_notional=(1500.0,) * 5, attacker_profit=400.0),  # 1.5
        make_run(path_index=3, open_notional=(0.0,) * 5, collateral=0.0),  # no collateral → 0
    ]


def test_liquidation_count_volume_slippage_and_delay() -> None:
    summary = summarise(four_runs())
    # counts 2, 1, 0, 0 → mean 3/4, max 2
    assert summary.liquidation_count_mean == 0.75
    assert summary.liquidation_count_max == 2
    # volumes 10000, 2000, 0, 0 → mean 12000/4 = 3000, max 10000
    assert summary.liquidation_volume_mean_usd == 3000.0
    assert summary.liquidation_volume_max_usd == 10000.0
    # slippage 40, 5, 0, 0 → mean 45/4 = 11.25, max 40
    assert summary.slippage_mean_usd == 11.25
    assert summary.slippage_max_usd == 40.0
    # delays of the three liquidations: 0, 3600, 7200 → mean 3600, max 7200
    assert summary.delay_mean_seconds == 3600.0
    assert summary.delay_max_seconds == 7200.0


def test_insurance_drawdown_sums_pools_then_aggregates_runs() -> None:
    summary = summarise(four_runs())
    # run totals 60, 40, 0, 0 → mean 100/4 = 25, max 60
    assert summary.insurance_drawdown_mean_usd == 25.0
    assert summary.insurance_drawdown_max_usd == 60.0
    # per pool: ETH (60 + 0 + 0 + 0)/4 = 15; BTC (0 + 40 + 0 + 0)/4 = 10
    assert summary.insurance_drawdown_per_pool_mean_usd == (15.0, 10.0)


def test_contagion_lp_adl_capital_efficiency_and_attacker() -> None:
    summary = summarise(four_runs())
    # contagion 0, 300, 100, 0 → mean 100, max 300; LP capital 2 · 10,000 → threshold max(100, 0.02) = 100:
    # only 300 exceeds it (100 does not) → share 1/4
    assert summary.contagion_mean_usd == 100.0
    assert summary.contagion_max_usd == 300.0
    assert summary.contagion_materiality_usd == 100.0
    assert summary.contagion_share == 0.25
    # LP loss per run 15, 35, 0, 0 → mean 50/4 = 12.5; ADL 2, 0, 0, 0 → 0.5
    assert summary.lp_loss_mean_usd == 12.5
    assert summary.adl_loss_mean_usd == 0.5
    # capital efficiency 2.0, 0.5, 1.5, 0 → mean 4/4 = 1.0
    assert summary.capital_efficiency_mean == 1.0
    # attacker −80, 400, 0, 0 → mean 320/4 = 80
    assert summary.attacker_profit_mean_usd == 80.0


def test_delay_is_none_when_no_run_liquidated() -> None:
    summary = summarise([make_run(path_index=0), make_run(path_index=1)])
    assert summary.delay_mean_seconds is None
    assert summary.delay_max_seconds is None
    assert summary.liquidation_count_max == 0


def test_one_run_gives_its_own_loss_for_every_percentile() -> None:
    summary = summarise([make_run(bad_debt=(30.0, 12.0))])
    assert (summary.var95_usd, summary.evar99_usd, summary.bad_debt_median_usd) == (42.0, 42.0, 42.0)


def test_order_rank_by_hand() -> None:
    # ⌈p · n / 100⌉: 95·20/100 = 19; 99·20/100 = 19.8 → 20; 95·100/100 = 95; 95·101/100 = 95.95 → 96;
    # 99·101/100 = 99.99 → 100; 50·7/100 = 3.5 → 4; 0 → at least 1
    assert order_rank(95.0, 20) == 19
    assert order_rank(99.0, 20) == 20
    assert order_rank(95.0, 100) == 95
    assert order_rank(95.0, 101) == 96
    assert order_rank(99.0, 101) == 100
    assert order_rank(50.0, 7) == 4
    assert order_rank(0.0, 5) == 1


@given(
    values=st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=300),
    percent=st.sampled_from([50.0, 90.0, 95.0, 99.0, 99.9]),
)
def test_percentile_equals_numpy_inverted_cdf(values: list[float], percent: float) -> None:
    # Differential: numpy's Hyndman–Fan type 1 quantile is the same order statistic.
    array = np.array(values, dtype=np.float64)
    assert percentile(array, percent) == float(np.percentile(array, percent, method="inverted_cdf"))


def test_summarise_refuses_no_runs() -> None:
    with pytest.raises(InvalidParameter, match=r"runs=.*at least one RunResult"):
        summarise([])


def test_summarise_refuses_runs_of_different_designs() -> None:
    other = replace(make_run(path_index=1), pools=("shared", "other"))
    with pytest.raises(InvalidParameter, match=r"runs\[1\]\.pools"):
        summarise([make_run(path_index=0), other])


def test_percentile_refuses_empty_and_non_finite_values() -> None:
    with pytest.raises(InvalidParameter, match="at least one value"):
        percentile(np.array([], dtype=np.float64), 95.0)
    with pytest.raises(InvalidParameter, match="finite numbers"):
        percentile(np.array([1.0, np.nan]), 95.0)
    with pytest.raises(InvalidParameter, match=r"percent=.*\[0, 100\]"):
        order_rank(101.0, 10)


# --- intervals, per-pool figures, materiality ----------------------------------------------------


def test_every_statistic_of_a_summary_has_an_interval() -> None:
    summary = summarise(four_runs())
    assert tuple(summary.intervals) == INTERVAL_FIELDS
    statistics = {f.name for f in fields(summary)} - {"runs", "pools", "intervals", "per_pool"}
    statistics -= {"contagion_materiality_usd"}
    # every figure is either estimated with an interval or a declared description (maxima, per-pool tuples)
    assert statistics == set(INTERVAL_FIELDS) | set(DESCRIPTIVE_FIELDS)
    for name in INTERVAL_FIELDS:
        estimate = summary.intervals[name]
        assert estimate.runs == 4
        if estimate.value is not None:
            assert estimate.low is not None and estimate.high is not None
            assert estimate.low <= estimate.value <= estimate.high, name


def test_interval_values_match_the_summary_figures() -> None:
    summary = summarise(four_runs())
    for name in INTERVAL_FIELDS:
        estimate = summary.intervals[name]
        if estimate.value is not None:
            assert estimate.value == getattr(summary, name), name


def test_tail_intervals_of_twenty_runs_say_how_many_runs_they_need() -> None:
    summary = summarise(twenty_runs())
    # 20 runs: 0.95^20 ≈ 0.36 > 2.5%, so no upper rank exists → 72 runs (test_lab_estimate); 99th → 368
    assert summary.intervals["var95_usd"].value is None
    assert summary.intervals["var95_usd"].runs_needed == 72
    assert summary.intervals["evar99_usd"].runs_needed == 368
    # the median of 20: ranks (6, 15) (binomial, B ~ Bin(20, 1/2): P(B <= 5) ≈ 2.07%, P(B >= 15) ≈ 2.07%)
    median = summary.intervals["bad_debt_median_usd"]
    assert (median.value, median.low, median.high) == (125.0, 50.0, 400.0)


def test_var95_interval_of_100_runs_is_ranks_90_and_100() -> None:
    runs = [make_run(path_index=k, bad_debt=(float(k), 0.0)) for k in range(100)]
    var95 = summarise(runs).intervals["var95_usd"]
    # losses 0..99: rank 95 → 94, ranks 90 and 100 → 89 and 99
    assert (var95.value, var95.low, var95.high) == (94.0, 89.0, 99.0)


def test_per_pool_rows_by_hand() -> None:
    runs = four_runs()
    # run 0: pool ETH's LP NAV 10,000 → 9,000 (−1,000); the other runs flat (0): mean −250
    nav = np.full((2, 5), 10_000.0)
    nav[0, -1] = 9_000.0
    runs[0] = replace(runs[0], lp_nav_usd=nav, bad_debt_usd=np.array([60.0, 20.0]))
    summary = summarise(runs)
    eth, btc = summary.per_pool
    assert (eth.pool, btc.pool) == ("pool-ETH", "pool-BTC")
    assert eth.lp_pnl_mean.value == -250.0 and btc.lp_pnl_mean.value == 0.0
    # bad debt ETH 60, 0, 0, 0 → 15; BTC 20, 0, 0, 0 → 5
    assert (eth.bad_debt_mean.value, btc.bad_debt_mean.value) == (15.0, 5.0)
    # insurance drawdown ETH 60, 0, 0, 0 → 15; BTC 0, 40, 0, 0 → 10 (four_runs' insurance paths)
    assert (eth.insurance_drawdown_mean.value, btc.insurance_drawdown_mean.value) == (15.0, 10.0)
    # four runs support no 95th percentile (72 needed)
    assert eth.var95.runs_needed == 72 and btc.lar95.runs_needed == 72


def test_per_pool_lar95_takes_each_pools_liquidations() -> None:
    # run k: pool 0 liquidates 1000·(k+1), pool 1 liquidates 10 flat; 100 runs
    runs = [
        make_run(
            path_index=k,
            records=[(1, 0, 0, k, 1000.0 * (k + 1), 0.0, 0.0, 0.0, False), (1, 1, 1, k, 10.0, 0.0, 0.0, 0.0, False)],
        )
        for k in range(100)
    ]
    eth, btc = summarise(runs).per_pool
    # pool 0: rank 95 → 95,000; ranks 90, 100 → 90,000 and 100,000; pool 1: all 10
    assert (eth.lar95.value, eth.lar95.low, eth.lar95.high) == (95_000.0, 90_000.0, 100_000.0)
    assert (btc.lar95.value, btc.lar95.low, btc.lar95.high) == (10.0, 10.0, 10.0)


def test_contagion_share_ignores_rounding_dust_and_scales_with_lp_capital() -> None:
    # Dust (1e-9 USD) in every run: none counts. Fails on the old rule (contagion > 0 → share 1).
    dust = summarise([make_run(path_index=k, contagion=1e-9) for k in range(4)])
    assert dust.contagion_share == 0.0
    # LP capital 2 · 10^9 → threshold 1e-6 · 2e9 = 2,000 > 100: 1,500 does not count, 2,500 does.
    nav = np.full((2, 5), 1e9)
    runs = [replace(make_run(path_index=k, contagion=c), lp_nav_usd=nav) for k, c in enumerate((1500.0, 2500.0))]
    large = summarise(runs)
    assert large.contagion_materiality_usd == 2000.0
    assert large.contagion_share == 0.5
    assert contagion_materiality_usd(0.0) == 100.0


def test_summaries_without_intervals_skip_them() -> None:
    summary = summarise(four_runs(), intervals=False)
    assert summary.intervals == {} and summary.per_pool == ()
    assert summary.bad_debt_mean_usd == summarise(four_runs()).bad_debt_mean_usd


def test_one_run_summarises_without_warnings() -> None:
    # pytest turns warnings into errors: a single run and equal runs must not warn
    summary = summarise([make_run(bad_debt=(30.0, 12.0))])
    one = summary.intervals["bad_debt_mean_usd"]
    assert (one.value, one.low, one.high) == (42.0, None, None)  # the run's 30 + 12, with no interval
    equal = summarise([make_run(path_index=k, bad_debt=(30.0, 12.0)) for k in range(3)])
    mean = equal.intervals["bad_debt_mean_usd"]
    assert (mean.value, mean.low, mean.high) == (42.0, 42.0, 42.0)


def test_the_unserved_share_pools_the_liquidations_asked_for_over_runs() -> None:
    # Run 0: 3 liquidations and 1 unit no keeper took; run 1: 1 and 3; run 2 asked for nothing.
    # Share = (1 + 3) / ((3 + 1) + (1 + 3)) = 4 / 8, by hand; the interval resamples the 2 runs that asked.
    row = (1, 0, 0, 0, 1000.0, 0.0, 0.0, 0.0, False)
    runs = [
        replace(make_run(path_index=0, records=[row] * 3), unserved_liquidations=1, gas_usd=6.0),
        replace(make_run(path_index=1, records=[row]), unserved_liquidations=3, gas_usd=2.0),
        make_run(path_index=2),
    ]
    summary = summarise(runs)
    assert summary.unserved_share == 0.5
    assert summary.gas_mean_usd == pytest.approx(8.0 / 3)
    interval = summary.intervals["unserved_share"]
    assert interval.value == 0.5
    assert interval.low is not None and interval.high is not None
    # per-run shares are 1/4 and 3/4: every resample's pooled share lies between them
    assert 0.25 <= interval.low <= 0.5 <= interval.high <= 0.75


def test_no_unserved_share_when_no_liquidation_was_asked_for() -> None:
    summary = summarise([make_run(path_index=0), make_run(path_index=1)])
    assert summary.unserved_share is None
    assert summary.intervals["unserved_share"].value is None
