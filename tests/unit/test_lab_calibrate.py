"""``ringfence.lab.calibrate``: volatility, jumps, spread and volume on hand-checkable series."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.core.errors import InvalidParameter
from ringfence.lab.calibrate import (
    bipower_volatility,
    calibrate_history,
    corwin_schultz_spread,
    daily_volume_usd,
    quoted_spread,
    roll_spread,
    threshold_jumps,
)
from ringfence.lab.history import load_price_history

HOURS_PER_YEAR = 8760
N_RETURNS = 20_000
SIGMA_YEAR = 0.8
JUMP_SIZES = np.linspace(-0.20, -0.08, 20)
"""Planted log jumps: mean -0.14; sd (ddof 1) of 20 evenly spaced values over 0.12 is
0.12·√(21/228) = 0.036419 (the variance of a discrete uniform grid)."""


def _jumpy_gbm(seed: int = 11) -> np.ndarray:
    """Hourly log returns: GBM of 80%/yr (per step 0.8/√8760 = 0.008548) with the 20 jumps planted."""
    generator = np.random.default_rng(seed)
    returns = SIGMA_YEAR / math.sqrt(HOURS_PER_YEAR) * generator.standard_normal(N_RETURNS)
    where = np.linspace(500, N_RETURNS - 500, JUMP_SIZES.shape[0]).astype(int)
    returns[where] += JUMP_SIZES
    return returns


def test_bipower_volatility_recovers_the_diffusion_despite_the_jumps() -> None:
    returns = _jumpy_gbm()

    estimate = bipower_volatility(returns) * math.sqrt(HOURS_PER_YEAR)

    # Sampling sd of bipower variance: sqrt((pi^2/4 + pi - 3)/N) = sqrt(2.609/20000) = 1.1%, so 0.6% on
    # sigma (Barndorff-Nielsen & Shephard 2006); the 20 jumps' cross terms add about
    # 2·20·0.14·E|r| / N / (2/pi·sigma²) = 2.3% to the variance (~1.2% on sigma). 5% covers both.
    assert estimate == pytest.approx(SIGMA_YEAR, rel=0.05)
    # the plain sd is inflated by the jumps: per step 0.8²/8760 + 20·E[J²]/N with E[J²] = 0.14² +
    # 0.036419²·19/20 = 0.020860: 7.306e-5 + 2.086e-5 = 9.392e-5, i.e. 0.9071 a year (sd of the sd ~0.5%)
    assert np.std(returns) * math.sqrt(HOURS_PER_YEAR) == pytest.approx(0.9071, rel=0.03)


def test_threshold_jumps_finds_each_planted_jump_and_its_size() -> None:
    returns = _jumpy_gbm()
    span_years = N_RETURNS / HOURS_PER_YEAR

    # Threshold 5 sd (0.043): a Gaussian return passes it with probability 5.7e-7, so 0.01 false
    # jumps are expected in 20,000; the smallest planted jump (0.08) sits 4.3 diffusion sd beyond it.
    estimate, flagged = threshold_jumps(returns, span_years, threshold=5.0)

    assert estimate.count == 20
    assert estimate.intensity_per_year == pytest.approx(20 / span_years)  # 8.76 per year
    # each flagged return is jump + one diffusion draw (sd 0.0085): the mean is off by 0.0085/sqrt(20)
    # = 0.0019 (3 sd = 0.006); the sd is sqrt(0.036419² + 0.0085²) = 0.0374 up to sampling (±0.006)
    assert estimate.mean == pytest.approx(-0.14, abs=0.006)
    assert estimate.volatility == pytest.approx(math.hypot(0.036419, 0.008548), abs=0.006)
    assert flagged.sum() == 20


def test_no_jumps_are_found_in_a_pure_gbm() -> None:
    returns = np.random.default_rng(3).standard_normal(N_RETURNS) * 0.01
    estimate, _ = threshold_jumps(returns, 1.0, threshold=5.0)  # 0.011 false jumps expected
    assert (estimate.count, estimate.mean, estimate.volatility) == (0, 0.0, 0.0)


def test_quoted_spread_is_ask_minus_bid_over_mid() -> None:
    # (101 - 99)/100 = 0.02 and (100.5 - 99.5)/100 = 0.01: mean 0.015
    assert quoted_spread(np.array([99.0, 99.5]), np.array([101.0, 100.5])) == pytest.approx(0.015)


def test_corwin_schultz_recovers_the_spread_of_a_quiet_market_exactly() -> None:
    # Mid fixed at 100, spread s: every bar's high is the ask 100(1 + s/2), its low the bid 100(1 - s/2).
    # Then beta = 2k², gamma = k² (k = ln(H/L)), alpha = k·((2 - √2)/(3 - 2√2) - 1/(√2 - 1)) = k, and
    # S = 2(e^k - 1)/(1 + e^k) = s exactly.
    spread = 0.004
    high = np.full(10, 100.0 * (1 + spread / 2))
    low = np.full(10, 100.0 * (1 - spread / 2))
    assert corwin_schultz_spread(high, low) == pytest.approx(spread, rel=1e-12)


def test_roll_recovers_a_bid_ask_bounce() -> None:
    # Trades at the bid or the ask around a fixed mid: cov(r_t, r_{t-1}) = -s²/4, so 2·sqrt(-cov) = s.
    # With 20,000 independent sides the sample covariance is within ~1.5% (sd of a lag-1 covariance
    # of a white noise ≈ var/sqrt(N)); sqrt halves it: 5% is > 6 sd.
    spread = 0.01
    sides = np.random.default_rng(5).choice([-1.0, 1.0], N_RETURNS + 1)
    returns = np.diff(np.log(100.0 * (1 + sides * spread / 2)))
    assert roll_spread(returns) == pytest.approx(spread, rel=0.05)
    assert roll_spread(np.array([0.01, 0.02, 0.03, 0.04])) == 0.0  # positive autocovariance: no spread


def test_daily_volume_sums_each_whole_day_and_skips_partial_ones() -> None:
    # Hourly bars from day 0 12:00 to day 3 11:00: 2 units at 10 USD each hour -> 480 USD a whole day.
    times = 86_400.0 * 10 + 3600.0 * np.arange(12, 12 + 72)
    volume = np.where(np.arange(72) < 12, 5.0, 2.0)  # the partial first day trades more: left out
    assert daily_volume_usd(times, volume, np.full(72, 10.0)) == pytest.approx(480.0)


def test_too_few_returns_are_refused() -> None:
    with pytest.raises(InvalidParameter):
        bipower_volatility(np.array([0.1, 0.2]))


def _price_file(tmp_path: Path) -> Path:
    prices = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(_jumpy_gbm())]))
    times = 1_600_000_000 + 3600 * np.arange(prices.shape[0])
    file = tmp_path / "prices.csv"
    file.write_text("timestamp,price\n" + "".join(f"{t},{p:.10f}\n" for t, p in zip(times, prices, strict=True)))
    return file


def test_calibrate_history_annualises_with_the_file_s_step(tmp_path: Path) -> None:
    calibration = calibrate_history(load_price_history(_price_file(tmp_path)))

    assert calibration.step_seconds == 3600.0
    assert calibration.diffusive_volatility == pytest.approx(SIGMA_YEAR, rel=0.05)  # as in the bipower test
    assert calibration.spread_method.startswith("Roll")
    assert calibration.daily_volume_usd is None
    assert calibration.daily_volatility == pytest.approx(calibration.realised_volatility / math.sqrt(365.0))


def test_the_calibrate_command_prints_a_table_and_a_toml_snippet(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["calibrate", str(_price_file(tmp_path)), "--asset", "ETH"])

    assert result.exit_code == 0, result.output
    assert 'kind = "jump_diffusion"' in result.output
    assert 'asset = "ETH"' in result.output
    assert "bipower" in result.output


def test_the_calibrate_command_names_a_bad_file_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("when,what\n1,2\n")

    result = CliRunner().invoke(app, ["calibrate", str(bad)])

    assert result.exit_code == 2
    assert "HistoryFileError" in result.output
    assert "bad.csv" in result.output


def test_the_calibrate_command_refuses_a_window_with_too_few_rows(tmp_path: Path) -> None:
    # the file starts 2020-09-13T12:26:40Z: a window of the first two hours holds 2 rows
    result = CliRunner().invoke(app, ["calibrate", str(_price_file(tmp_path)), "--end", "2020-09-13T14:00:00"])

    assert result.exit_code == 2
    assert "too few rows" in result.output
