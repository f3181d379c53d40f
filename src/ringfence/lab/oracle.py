"""What an oracle reports, given the market path: latency, update cadence and a ``minAnswer`` freeze.

All functions take market prices of shape ``(n_paths, n_steps + 1)`` on a uniform grid of
``step_seconds`` (grid time ``t_i = i · step_seconds``) and return arrays of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count, check_positive

__all__ = ["OracleObservation", "min_answer_oracle", "observe_oracle"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class OracleObservation:
    """An oracle's view of a market path.

    Attributes
    ----------
    prices:
        The reported price at each grid time, shape ``(n_paths, n_steps + 1)``.
    age_seconds:
        How old the reported price is at each grid time (now minus the market time it was read),
        shape ``(n_steps + 1,)``: the same for every path.
    """

    prices: FloatArray
    age_seconds: IntArray

    def stale(self, staleness_seconds: int) -> NDArray[np.bool_]:
        """Return, per grid time, whether the reported price is older than ``staleness_seconds``."""
        limit = check_count("staleness_seconds", staleness_seconds, minimum=0)
        return self.age_seconds > limit


def _as_paths(market: object) -> FloatArray:
    prices = np.asarray(market, dtype=np.float64)
    if prices.ndim != 2 or prices.shape[1] < 1:
        raise InvalidParameter("market", prices.shape, "an array of shape (n_paths, n_steps + 1)")
    return prices


def observe_oracle(
    market: FloatArray,
    step_seconds: int,
    latency_seconds: int = 0,
    cadence_seconds: int | None = None,
) -> OracleObservation:
    """Return what a push oracle with a fixed cadence and latency reports along each path.

    The oracle updates at times ``u_k = k · cadence`` and each update publishes the market price of
    time ``u_k − latency`` (the last grid point at or before it; the initial price before time 0).
    At grid time ``t`` it reports the value of its last update ``u = ⌊t / cadence⌋ · cadence``.
    With ``cadence = latency = 3600`` this is MakerDAO's Oracle Security Module: every hour
    ``poke`` releases the median read one hour earlier.

    Sources: MakerDAO, "Oracle Security Module (OSM) - Detailed Documentation",
    https://docs.makerdao.com/smart-contract-modules/oracle-module/oracle-security-module-osm-detailed-documentation
    (``hop`` defaults to ``ONE_HOUR`` = 3600 s; ``poke`` moves ``nxt`` to ``cur`` and reads a new ``nxt``);
    makerdao/osm, ``src/osm.sol``.

    Parameters
    ----------
    market:
        Market prices, shape ``(n_paths, n_steps + 1)``.
    step_seconds:
        Grid spacing, ``≥ 1``.
    latency_seconds:
        Delay between the market time read and its publication, ``≥ 0``.
    cadence_seconds:
        Interval between updates, ``≥ 1``; every grid step when omitted.
    """
    prices = _as_paths(market)
    step = check_count("step_seconds", step_seconds)
    latency = check_count("latency_seconds", latency_seconds, minimum=0)
    cadence = step if cadence_seconds is None else check_count("cadence_seconds", cadence_seconds)
    grid_seconds = np.arange(prices.shape[1], dtype=np.int64) * step
    last_update = (grid_seconds // cadence) * cadence
    source_index = np.clip((last_update - latency) // step, 0, prices.shape[1] - 1)
    return OracleObservation(
        prices=prices[:, source_index],
        age_seconds=grid_seconds - source_index * step,
    )


def min_answer_oracle(market: FloatArray, min_answer: float) -> FloatArray:
    """Return what a Chainlink OCR feed with a ``minAnswer`` bound reports along each path.

    The aggregator refuses every report whose median is below ``minAnswer``, so while the market
    trades below the bound the feed keeps its last accepted answer: it freezes, however low the
    market goes, and resumes if the market comes back. The initial price counts as accepted. This
    is the LUNA/USD behaviour of May 2022 (see :func:`ringfence.lab.events.luna_collapse`).

    Source: smartcontractkit/libocr, ``contract/OffchainAggregator.sol``, ``transmit``:
    ``require(minAnswer <= median && median <= maxAnswer, "median is out of min-max range")``.
    """
    prices = _as_paths(market)
    floor = check_positive("min_answer", min_answer)
    columns = np.arange(prices.shape[1], dtype=np.int64)
    accepted = prices >= floor
    accepted[:, 0] = True
    last_accepted = np.maximum.accumulate(np.where(accepted, columns, 0), axis=1)
    return np.take_along_axis(prices, last_accepted, axis=1)
