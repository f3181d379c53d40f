"""Tests of ``ringfence.lab.oracle`` and ``ringfence.lab.events``.

Expected values are hand-computed (arithmetic in the comment) or read from the shared crash data
with the ``csv`` module, never produced by the code under test.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.events import (
    EVENT_TEMPLATES,
    aave_crv_squeeze,
    anchored_path,
    black_thursday,
    hyperliquid_jelly,
    luna_collapse,
    mango_markets,
    usdc_depeg,
)
from ringfence.lab.oracle import min_answer_oracle, observe_oracle
from support.shared_data import GEB_FILE, shared_data_dir

HOUR = 3600

# --- oracle views -----------------------------------------------------------------------------


def test_osm_style_oracle_publishes_hourly_the_price_of_an_hour_before() -> None:
    # Half-hour grid, market = 100, 101, ..., 106; cadence = latency = 3600 s (MakerDAO's hop).
    market = np.arange(100.0, 107.0).reshape(1, -1)

    observed = observe_oracle(market, 1800, latency_seconds=3600, cadence_seconds=3600)

    # t = 0, 1800: last update 0, reads t = -3600 -> before the start -> the initial 100.
    # t = 3600, 5400: update at 3600 reads t = 0 -> 100.
    # t = 7200, 9000: update at 7200 reads t = 3600 (index 2) -> 102.
    # t = 10800: update at 10800 reads t = 7200 (index 4) -> 104.
    assert observed.prices.tolist() == [[100.0, 100.0, 100.0, 100.0, 102.0, 102.0, 104.0]]
    # Age = t - source time: 0, 1800, 3600, 5400, 7200 - 3600, 9000 - 3600, 10800 - 7200.
    assert observed.age_seconds.tolist() == [0, 1800, 3600, 5400, 3600, 5400, 3600]
    assert observed.stale(5000).tolist() == [False, False, False, True, False, True, False]


def test_oracle_without_latency_or_cadence_is_the_market() -> None:
    market = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    observed = observe_oracle(market, 60)

    assert np.array_equal(observed.prices, market)
    assert observed.age_seconds.tolist() == [0, 0, 0]


def test_min_answer_oracle_freezes_at_the_last_accepted_answer_and_resumes() -> None:
    market = np.array([[1.0, 0.5, 0.2, 0.05, 0.01, 0.3]])

    oracle = min_answer_oracle(market, 0.1)

    # 0.05 and 0.01 are below minAnswer 0.1: the feed keeps 0.2, then accepts 0.3 again.
    assert oracle.tolist() == [[1.0, 0.5, 0.2, 0.2, 0.2, 0.3]]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: observe_oracle(np.ones((1, 3)), 0), "step_seconds"),
        (lambda: observe_oracle(np.ones((1, 3)), 60, latency_seconds=-1), "latency_seconds"),
        (lambda: observe_oracle(np.ones((1, 3)), 60, cadence_seconds=0), "cadence_seconds"),
        (lambda: observe_oracle(np.ones(3), 60), "market"),
        (lambda: min_answer_oracle(np.ones((1, 3)), 0.0), "min_answer"),
    ],
)
def test_oracle_parameters_are_checked(call: object, field: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        call()  # type: ignore[operator]

    assert caught.value.field == field


# --- anchored paths ---------------------------------------------------------------------------


def test_anchored_path_interpolates_geometrically_and_hits_the_anchors() -> None:
    times, prices = anchored_path([(0, 100.0), (120, 400.0), (180, 50.0)], 60)

    # 100 -> 400 over two steps: x2 per step -> 200 in the middle.
    assert times.tolist() == [0, 60, 120, 180]
    assert prices.tolist() == [[100.0, pytest.approx(200.0, rel=1e-12), 400.0, 50.0]]


@pytest.mark.parametrize(
    "anchors",
    [[(0, 1.0)], [(10, 1.0), (20, 2.0)], [(0, 1.0), (0, 2.0)], [(0, 1.0), (60, -2.0)]],
)
def test_anchored_path_rejects_impossible_anchors(anchors: list[tuple[int, float]]) -> None:
    with pytest.raises(InvalidParameter, match="anchors"):
        anchored_path(anchors, 60)


# --- the templates ----------------------------------------------------------------------------


def _geb_rows() -> dict[str, list[str]]:
    with (shared_data_dir() / GEB_FILE).open(newline="") as handle:
        return {row[1]: row for row in csv.reader(handle)}


def test_black_thursday_anchors_are_the_hourly_file_s_numbers() -> None:
    rows = _geb_rows()  # columns: ts, Date, Symbol, Open, High, Low, Close, Volume

    event = black_thursday(step_seconds=HOUR)

    market = event.market[0]
    assert market[0] == float(rows["2020-03-12 00:00:00"][3]) == 194.46
    assert market[10] == float(rows["2020-03-12 10:00:00"][5]) == 126.00
    assert market[26] == float(rows["2020-03-13 02:00:00"][5]) == 86.62
    assert market[47] == float(rows["2020-03-13 23:00:00"][6]) == 135.40
    # -55% in 26 hours: 86.62 / 194.46 = 0.4454.
    assert market.min() / market[0] == pytest.approx(0.4454, abs=1e-4)


def test_black_thursday_oracle_lags_the_market_by_the_osm_hour() -> None:
    event = black_thursday(step_seconds=900)

    market, oracle = event.market[0], event.oracle[0]
    # Quarter-hour grid: in hour k (k >= 1) the oracle shows the market at the start of hour k - 1.
    for index in range(4, market.size):
        hour = (index * 900) // HOUR
        assert oracle[index] == market[(hour - 1) * 4]
    # At the bottom (13 Mar 02:00, index 104) the oracle still reads 01:00's price of an hour before.
    assert oracle[104] == market[100] > market[104]


def test_mango_pumps_twenty_four_fold_in_twenty_minutes_then_loses_ninety_eight_percent() -> None:
    event = mango_markets(step_seconds=60)

    market = event.market[0]
    # 0.91 / 0.0382 = 23.82; peak at minute 20; then 0.91 * (1 - 0.98) = 0.0182.
    assert market[20] / market[0] == pytest.approx(23.82, abs=0.01)
    assert int(np.argmax(market)) == 20
    assert market[-1] == pytest.approx(0.0182, rel=1e-12)
    assert np.array_equal(event.oracle, event.market)  # the oracle reported the manipulated spot


def test_aave_crv_dumps_a_quarter_then_squeezes_half_back() -> None:
    market = aave_crv_squeeze(step_seconds=HOUR).market[0]

    # 0.40 / 0.53 - 1 = -24.5%; 0.63 / 0.40 - 1 = +57.5%.
    assert market.min() / market[0] - 1 == pytest.approx(-0.245, abs=1e-3)
    assert market[-1] / market.min() - 1 == pytest.approx(0.575, abs=1e-3)


def test_luna_oracle_freezes_near_ten_cents_while_the_market_goes_to_zero() -> None:
    event = luna_collapse(step_seconds=HOUR)

    market, oracle = event.market[0], event.oracle[0]
    assert market[0] == 87.15
    assert market[-1] == pytest.approx(0.0001, rel=1e-12)
    frozen_from = int(np.argmax(market < 0.10))
    # The last accepted hourly answer sits between minAnswer 0.10 and the price an hour earlier.
    frozen = oracle[frozen_from]
    assert 0.10 <= frozen == market[frozen_from - 1]
    assert np.all(oracle[frozen_from:] == frozen)
    # At the end the oracle overvalues LUNA more than a thousandfold: >= 0.10 / 0.0001.
    assert oracle[-1] / market[-1] >= 1_000


def test_usdc_depegs_twelve_percent_in_twelve_hours_and_recovers() -> None:
    event = usdc_depeg(step_seconds=HOUR)

    market = event.market[0]
    assert market[0] == 1.0
    assert int(np.argmin(market)) == 12
    assert 1 - market[12] == pytest.approx(0.1226, abs=1e-4)  # 1 - 0.8774
    assert market[-1] == 1.0


def test_jelly_squeezes_five_fold_and_the_venue_settles_at_the_entry_price() -> None:
    event = hyperliquid_jelly(step_seconds=60)

    market, oracle = event.market[0], event.oracle[0]
    assert market[60] / market[0] == pytest.approx(5.0, rel=1e-12)  # 0.0095 -> 0.0475 in one hour
    assert np.array_equal(oracle[:120], market[:120])
    assert np.all(oracle[120:] == 0.0095)  # delisted after two hours, settled at 0.0095
    assert np.all(market[120:] == pytest.approx(0.0475, rel=1e-12))


def test_every_template_cites_sources_and_returns_matching_shapes() -> None:
    for name, template in EVENT_TEMPLATES.items():
        event = template()

        assert event.name == name
        assert event.sources
        assert event.market.shape == event.oracle.shape == (1, event.times_s.size)
        assert np.all(event.market > 0)
        assert template.__doc__ is not None
        assert "Sources:" in template.__doc__


def test_rebased_scales_market_and_oracle_together() -> None:
    event = black_thursday(step_seconds=HOUR).rebased(2000.0)

    assert event.market[0, 0] == pytest.approx(2000.0, rel=1e-12)
    # The bottom keeps its ratio: 2000 * 86.62 / 194.46 = 890.8773.
    assert event.market[0].min() == pytest.approx(2000 * 86.62 / 194.46, rel=1e-12)
    assert event.oracle[0, -1] / event.market[0, -1] == pytest.approx(
        black_thursday(step_seconds=HOUR).oracle[0, -1] / 135.40, rel=1e-12
    )


def test_template_parameters_are_checked() -> None:
    with pytest.raises(InvalidParameter, match="collapse_fraction"):
        mango_markets(collapse_fraction=1.0)
    with pytest.raises(InvalidParameter, match="delist_seconds"):
        hyperliquid_jelly(squeeze_seconds=HOUR, delist_seconds=HOUR)
    assert math.isfinite(usdc_depeg().market.sum())
