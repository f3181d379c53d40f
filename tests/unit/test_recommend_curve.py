"""The recommendation's statistics on hand-made exceedance tables (:mod:`ringfence.lab.recommend.curve`).

Expected values are computed by hand in each test (or, for the Clopper-Pearson bounds, from the beta
quantiles, an independent route to the same interval).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta  # type: ignore[import-untyped]

from ringfence.core.errors import InvalidParameter
from ringfence.lab.recommend.curve import (
    crossing_level,
    curve_estimates,
    monotonicity_violations,
    recommend_level,
    recommended_index,
)


def _nested(counts: list[int], paths: int = 100) -> np.ndarray:
    """Level ``l`` exceeds on paths ``0 … counts[l] − 1`` (nested sets: a pathwise-monotone curve)."""
    table = np.zeros((len(counts), paths), dtype=np.bool_)
    for level, count in enumerate(counts):
        table[level, :count] = True
    return table


def test_each_level_has_its_share_with_the_clopper_pearson_interval() -> None:
    estimates = curve_estimates(_nested([2, 0], paths=10), [1.0, 2.0])

    assert estimates[0].value == 0.2
    # Clopper-Pearson as beta quantiles: [B(0.025; 2, 9), B(0.975; 3, 8)]
    assert estimates[0].low == pytest.approx(beta.ppf(0.025, 2, 9), rel=1e-9)
    assert estimates[0].high == pytest.approx(beta.ppf(0.975, 3, 8), rel=1e-9)
    assert estimates[1].value == 0.0 and estimates[1].low == 0.0
    assert estimates[1].high == pytest.approx(1.0 - 0.025 ** (1 / 10), rel=1e-9)  # (1 − p)^10 = 2.5%


def test_the_recommendation_is_the_first_level_below_alpha_and_the_crossing_is_interpolated() -> None:
    rates = np.array([0.30, 0.10, 0.04, 0.0])

    assert recommended_index(rates, 0.05) == 2
    # between level 2.0 (0.10) and 3.0 (0.04): 2 + (0.10 − 0.05) / (0.10 − 0.04) = 2.8333…
    assert crossing_level(rates, [1.0, 2.0, 3.0, 4.0], 0.05) == pytest.approx(2.0 + 0.05 / 0.06, rel=1e-12)


def test_an_estimate_equal_to_alpha_does_not_pass() -> None:
    assert recommended_index(np.array([0.05, 0.01]), 0.05) == 1


def test_no_passing_level_gives_no_recommendation_never_the_grid_end() -> None:
    answer = recommend_level(_nested([90, 80, 70]), [1.0, 2.0, 3.0], 0.05, conservative_higher=True, resamples=200)

    assert answer.level is None and answer.crossing is None
    assert answer.level_low is None and answer.level_high is None
    assert answer.resamples_without_level == 200


def test_a_grid_whose_loosest_level_passes_says_the_threshold_lies_beyond_it() -> None:
    answer = recommend_level(_nested([0, 0, 0]), [1.0, 2.0, 3.0], 0.05, conservative_higher=True, resamples=50)

    assert answer.level == 1.0 and answer.at_loose_end
    assert answer.crossing is None
    assert answer.crossing_low is None and answer.crossing_high is None  # every resample: beyond the loose end


def test_paths_that_agree_everywhere_give_a_point_interval() -> None:
    # every path exceeds at level 10, none at 20: every resample has rates (1, 0)
    answer = recommend_level(_nested([100, 0]), [10.0, 20.0], 0.05, conservative_higher=True, resamples=100)

    assert (answer.level, answer.level_low, answer.level_high) == (20.0, 20.0, 20.0)
    expected = 10.0 + 0.95 * 10.0  # (1 − 0.05) / (1 − 0) of the way from 10 to 20
    assert answer.crossing == pytest.approx(expected) and answer.crossing_low == pytest.approx(expected)


def test_a_cap_grid_descends_and_its_interval_is_numerically_ordered() -> None:
    # caps: 400 is the least conservative; 20 of 100 paths exceed at 400, 3 at 200, 0 at 100
    answer = recommend_level(_nested([20, 3, 0]), [400.0, 200.0, 100.0], 0.05, conservative_higher=False)

    assert answer.level == 200.0
    assert answer.level_low is not None and answer.level_high is not None
    assert answer.level_low <= answer.level <= answer.level_high
    assert answer.crossing is not None and 200.0 < answer.crossing < 400.0


def test_a_rise_beyond_noise_is_reported_with_the_exact_mcnemar_p_value() -> None:
    # 5 paths exceed at the looser level, 20 (a superset) at the stricter: b = 15, c = 0
    violations = monotonicity_violations(_nested([5, 20]), [1.0, 2.0])

    assert len(violations) == 1
    found = violations[0]
    assert (found.only_stricter, found.only_looser) == (15, 0)
    assert found.p_value == pytest.approx(0.5**15, rel=1e-9)  # P(B ≥ 15), B ~ Bin(15, 1/2)
    assert found.beyond_noise


def test_a_small_rise_is_reported_but_not_beyond_noise() -> None:
    table = np.zeros((2, 10), dtype=np.bool_)
    table[0, [0, 1, 2]] = True
    table[1, [1, 2, 5, 6]] = True  # b = 2 (paths 5, 6), c = 1 (path 0)

    (found,) = monotonicity_violations(table, [1.0, 2.0])

    assert found.p_value == pytest.approx(4 / 8)  # P(B ≥ 2), B ~ Bin(3, 1/2) = (3 + 1) / 8
    assert not found.beyond_noise


def test_a_monotone_curve_has_no_violation() -> None:
    assert monotonicity_violations(_nested([30, 10, 10, 0]), [1.0, 2.0, 3.0, 4.0]) == ()


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1])
def test_alpha_outside_zero_one_is_refused(alpha: float) -> None:
    with pytest.raises(InvalidParameter, match="alpha"):
        recommend_level(_nested([1, 0]), [1.0, 2.0], alpha, conservative_higher=True)


def test_a_table_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="exceeds"):
        curve_estimates(np.zeros((3, 5), dtype=np.bool_), [1.0, 2.0])
