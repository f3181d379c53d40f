"""Calibrate a market from a price file: volatility, jumps, spread and daily volume (``ringfence calibrate``).

Pure functions on arrays, then :func:`calibrate_history` on a loaded
:class:`~ringfence.lab.history.PriceHistory`. The methods, each with its source:

- **Diffusive volatility** from bipower variation, which a few jumps do not inflate:
  ``σ²_step = (π/2)·mean(|r_i|·|r_{i−1}|)`` over log returns ``r`` (O. E. Barndorff-Nielsen and
  N. Shephard, "Power and bipower variation with stochastic volatility and jumps", *Journal of
  Financial Econometrics* 2(1), 2004, 1–37), annualised with the median sampling interval over
  365-day years (crypto trades every day).
- **Jumps** by thresholding: a return further than ``k`` bipower standard deviations from the
  median return is a jump (C. Mancini, "Non-parametric threshold estimation for models with
  stochastic diffusion coefficient and jumps", *Scandinavian Journal of Statistics* 36(2), 2009,
  270–296), ``k = 4`` by default (a Gaussian return passes it with probability 6e-5, so on
  10,000 returns under one false jump is expected). Intensity: jumps per year of the file's span;
  size: mean and sd of the flagged log returns.
- **Spread**: with bid and ask columns the mean quoted relative spread ``(ask − bid)/mid``; with
  high and low the Corwin–Schultz estimator (S. A. Corwin and P. Schultz, "A simple way to
  estimate bid-ask spreads from daily high and low prices", *Journal of Finance* 67(2), 2012,
  719–760; negative two-bar estimates set to 0 before averaging, as they recommend); from prices
  alone Roll's ``2·√(−cov(r_t, r_{t−1}))`` (R. Roll, "A simple implicit measure of the effective
  bid-ask spread in an efficient market", *Journal of Finance* 39(4), 1984, 1127–1139; 0 when the
  autocovariance is positive).
- **Daily volume** when the file has a ``volume`` column (base units per bar): the mean of
  ``volume·price`` summed per day. It is the one venue's volume the file comes from, a lower bound
  of the market's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.history import PriceHistory
from ringfence.lab.paths import SECONDS_PER_YEAR

__all__ = [
    "DEFAULT_JUMP_THRESHOLD",
    "Calibration",
    "JumpEstimate",
    "bipower_volatility",
    "calibrate_history",
    "corwin_schultz_spread",
    "daily_volume_usd",
    "quoted_spread",
    "roll_spread",
    "threshold_jumps",
]

FloatArray = NDArray[np.float64]

DEFAULT_JUMP_THRESHOLD = 4.0
"""Jump threshold in bipower standard deviations (see the module docstring)."""
BIPOWER_SCALE = math.pi / 2.0
"""``1/E[|Z|]² = π/2`` for a standard normal ``Z``: makes bipower variation estimate the variance."""
CORWIN_SCHULTZ_DENOMINATOR = 3.0 - 2.0 * math.sqrt(2.0)
SECONDS_PER_DAY = 86_400.0
MINIMUM_RETURNS = 3


@dataclass(frozen=True, slots=True)
class JumpEstimate:
    """Jumps found by the threshold: how many, per year, and their log sizes' mean and sd."""

    count: int
    intensity_per_year: float
    mean: float
    volatility: float


@dataclass(frozen=True, slots=True)
class Calibration:
    """What :func:`calibrate_history` estimates from one price file (rates per 365-day year)."""

    source: str
    rows: int
    start_s: float
    end_s: float
    step_seconds: float
    realised_volatility: float
    diffusive_volatility: float
    jumps: JumpEstimate
    spread: float
    spread_method: str
    daily_volume_usd: float | None

    @property
    def daily_volatility(self) -> float:
        """The total (realised) volatility per day, ``σ_year/√365``: the square-root law's ``σ_daily``."""
        return self.realised_volatility * math.sqrt(SECONDS_PER_DAY / SECONDS_PER_YEAR)


def _checked_returns(log_returns: FloatArray) -> FloatArray:
    returns = np.asarray(log_returns, dtype=np.float64)
    if returns.ndim != 1 or returns.shape[0] < MINIMUM_RETURNS or not np.all(np.isfinite(returns)):
        raise InvalidParameter("log_returns", returns.shape, f"a finite 1-d array of at least {MINIMUM_RETURNS}")
    return returns


def bipower_volatility(log_returns: FloatArray) -> float:
    """Return the per-step diffusive sd ``√((π/2)·mean(|r_i|·|r_{i−1}|))`` (Barndorff-Nielsen–Shephard)."""
    returns = np.abs(_checked_returns(log_returns))
    return math.sqrt(BIPOWER_SCALE * float(np.mean(returns[1:] * returns[:-1])))


def threshold_jumps(
    log_returns: FloatArray, span_years: float, threshold: float = DEFAULT_JUMP_THRESHOLD
) -> tuple[JumpEstimate, NDArray[np.bool_]]:
    """Flag returns beyond ``threshold`` bipower sd of the median return as jumps (Mancini 2009).

    Returns the estimate (count, count per year of ``span_years``, mean and sd of the flagged
    returns; sd 0 with fewer than two) and the mask of flagged returns.
    """
    returns = _checked_returns(log_returns)
    if not span_years > 0.0 or not threshold > 0.0:
        raise InvalidParameter("span_years, threshold", (span_years, threshold), "both > 0")
    scale = bipower_volatility(returns)
    flagged = np.abs(returns - np.median(returns)) > threshold * scale
    sizes = returns[flagged]
    count = int(sizes.shape[0])
    return (
        JumpEstimate(
            count=count,
            intensity_per_year=count / span_years,
            mean=float(np.mean(sizes)) if count else 0.0,
            volatility=float(np.std(sizes, ddof=1)) if count > 1 else 0.0,
        ),
        flagged,
    )


def quoted_spread(bid: FloatArray, ask: FloatArray) -> float:
    """Return the mean relative quoted spread ``(ask − bid)/mid``."""
    mid = 0.5 * (np.asarray(ask) + np.asarray(bid))
    return float(np.mean((np.asarray(ask) - np.asarray(bid)) / mid))


def corwin_schultz_spread(high: FloatArray, low: FloatArray) -> float:
    """Return the Corwin–Schultz (2012) relative spread from consecutive bars' highs and lows.

    For bars ``t, t+1``: ``β = ln(H_t/L_t)² + ln(H_{t+1}/L_{t+1})²``, ``γ = ln(max H / min L)²``
    over both, ``α = (√(2β) − √β)/(3 − 2√2) − √(γ/(3 − 2√2))``, ``S = 2(e^α − 1)/(1 + e^α)``;
    negative ``S`` set to 0, then averaged.
    """
    highs, lows = np.asarray(high, dtype=np.float64), np.asarray(low, dtype=np.float64)
    ranges = np.log(highs / lows) ** 2
    beta = ranges[1:] + ranges[:-1]
    gamma = np.log(np.maximum(highs[1:], highs[:-1]) / np.minimum(lows[1:], lows[:-1])) ** 2
    alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / CORWIN_SCHULTZ_DENOMINATOR - np.sqrt(
        gamma / CORWIN_SCHULTZ_DENOMINATOR
    )
    spreads = 2.0 * np.expm1(alpha) / (1.0 + np.exp(alpha))
    return float(np.mean(np.maximum(spreads, 0.0)))


def roll_spread(log_returns: FloatArray) -> float:
    """Return Roll's (1984) relative spread ``2·√(−cov(r_t, r_{t−1}))``, 0 when the covariance is ≥ 0."""
    returns = _checked_returns(log_returns)
    covariance = float(np.cov(returns[1:], returns[:-1])[0, 1])
    return 2.0 * math.sqrt(-covariance) if covariance < 0.0 else 0.0


def daily_volume_usd(times_s: FloatArray, volume: FloatArray, price: FloatArray) -> float:
    """Return the mean over calendar days (UTC) of ``Σ volume·price``; partial first/last days excluded."""
    days = np.floor(np.asarray(times_s) / SECONDS_PER_DAY).astype(np.int64)
    totals = np.bincount(days - days[0], weights=np.asarray(volume) * np.asarray(price))
    whole = totals[1:-1] if totals.shape[0] > 2 else totals
    return float(np.mean(whole))


def _spread(history: PriceHistory, log_returns: FloatArray) -> tuple[float, str]:
    columns = history.columns
    if "bid" in columns and "ask" in columns:
        return quoted_spread(columns["bid"], columns["ask"]), "quoted (ask - bid)/mid"
    if "high" in columns and "low" in columns:
        return corwin_schultz_spread(columns["high"], columns["low"]), "Corwin-Schultz (2012) from high/low"
    return roll_spread(log_returns), "Roll (1984) from return autocovariance"


def calibrate_history(history: PriceHistory, threshold: float = DEFAULT_JUMP_THRESHOLD) -> Calibration:
    """Estimate volatility, jumps, spread and daily volume from a loaded price file (see the module docstring).

    Raises
    ------
    InvalidParameter
        Fewer than four rows, so fewer than three returns.
    """
    prices, times = history.prices, history.times_s
    if prices.shape[0] < MINIMUM_RETURNS + 1:
        raise InvalidParameter("history", prices.shape[0], f"at least {MINIMUM_RETURNS + 1} rows")
    log_returns = np.diff(np.log(prices))
    step_seconds = float(np.median(np.diff(times)))
    step_years = step_seconds / SECONDS_PER_YEAR
    span_years = float(times[-1] - times[0]) / SECONDS_PER_YEAR
    jumps, _ = threshold_jumps(log_returns, span_years, threshold)
    spread, method = _spread(history, log_returns)
    volume = history.columns.get("volume")
    return Calibration(
        source=str(history.source),
        rows=len(history),
        start_s=float(times[0]),
        end_s=float(times[-1]),
        step_seconds=step_seconds,
        realised_volatility=float(np.std(log_returns, ddof=1)) / math.sqrt(step_years),
        diffusive_volatility=bipower_volatility(log_returns) / math.sqrt(step_years),
        jumps=jumps,
        spread=spread,
        spread_method=method,
        daily_volume_usd=None if volume is None else daily_volume_usd(times, volume, prices),
    )
