"""The credit-lines comparison (``lab/credit_comparison.py``) on hand-made runs: every figure worked by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.credit_comparison import compare_credit_lines, open_interest_per_lp
from ringfence.lab.results import RunResult
from support.lab_runs import STEPS, make_run


def credit_run(path: int, notional: float, loss: float, contagion: float, drawn: float) -> RunResult:
    """Return a credit-rung run: pool 0 lent a 5,000 line to pool 1 and lost ``loss``."""
    run = make_run(path_index=path, isolation="credit_lines", open_notional=(notional,) * (STEPS + 1))
    return replace(
        run,
        contagion_usd=contagion,
        credit_line_loss_usd=np.array([loss, 0.0]),
        credit_line_cap_usd=np.array([5_000.0, 0.0]),
        credit_line_drawn_usd=np.array([0.0, drawn]),
    )


def plain_run(path: int, notional: float) -> RunResult:
    return make_run(path_index=path, open_notional=(notional,) * (STEPS + 1))


def test_open_interest_per_lp_is_the_mean_open_notional_over_the_lp_capital_at_the_start() -> None:
    # make_run: both pools start with 10,000 of NAV; 1,000 then 3,000 open: mean 2,000 / 20,000
    run = make_run(open_notional=(1_000.0, 1_000.0, 3_000.0, 3_000.0, 2_000.0))
    assert open_interest_per_lp(run) == pytest.approx(0.1)


def test_the_comparison_pairs_the_paths_and_bounds_the_lenders_loss_by_the_caps() -> None:
    plain = [plain_run(0, 1_000.0), plain_run(1, 2_000.0)]
    credit = [credit_run(0, 1_400.0, 0.0, 0.0, 0.0), credit_run(1, 2_200.0, 3_000.0, 3_000.0, 4_000.0)]

    comparison = compare_credit_lines(plain, credit, ["A → B"])

    # OI per LP: plain (0.05 + 0.10) / 2 = 0.075; credit (0.07 + 0.11) / 2 = 0.09; gains 0.02 and 0.01
    assert comparison.open_interest_per_lp_plain.value == pytest.approx(0.075)
    assert comparison.open_interest_per_lp_credit.value == pytest.approx(0.09)
    assert comparison.open_interest_per_lp_gain.value == pytest.approx(0.015)
    assert comparison.open_interest_per_lp_gain.low == pytest.approx(0.01)
    assert comparison.open_interest_per_lp_gain.high == pytest.approx(0.02)
    # collateral 1,000 per run: capital efficiency = open notional / 1,000
    assert comparison.capital_efficiency_gain.value == pytest.approx(0.3)
    assert comparison.lender_loss.value == pytest.approx(1_500.0)
    assert comparison.lender_loss_max_usd == 3_000.0
    assert comparison.caps_usd == 5_000.0
    assert comparison.runs_with_lender_loss.value == pytest.approx(0.5)
    assert comparison.contagion_plain.value == 0.0
    assert comparison.contagion_credit.value == pytest.approx(1_500.0)
    assert comparison.drawn.value == pytest.approx(2_000.0)
    assert comparison.lines == ("A → B",)


def test_the_comparison_refuses_runs_of_other_paths_or_rungs() -> None:
    plain = [plain_run(0, 1_000.0), plain_run(1, 1_000.0)]
    credit = [credit_run(1, 1_000.0, 0.0, 0.0, 0.0), credit_run(0, 1_000.0, 0.0, 0.0, 0.0)]
    with pytest.raises(InvalidParameter, match="same order"):
        compare_credit_lines(plain, credit, [])
    with pytest.raises(InvalidParameter, match="rungs"):
        compare_credit_lines(plain, plain, [])
    with pytest.raises(InvalidParameter, match="as many runs"):
        compare_credit_lines(plain, credit[:1], [])
