"""The backtest's scores: rank correlation, peaks, volume ratio, baseline, and the JSON record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ringfence.lab.backtest_metrics import backtest_json, run_backtest, side_metrics
from support.liquidation_csv import random_stream, write_stream
from support.shared_data import RISKDAO_FILE, shared_data_dir


def test_a_reversed_ranking_scores_minus_one_and_the_peaks_are_named_by_hour() -> None:
    model = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    real = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])

    scores = side_metrics(model, real, baseline=real, offset=10)

    assert scores.spearman == pytest.approx(-1.0)  # exact ranks; float division only
    assert scores.baseline_spearman == pytest.approx(1.0)
    assert scores.volume_ratio == 1.0
    assert [peak.hour for peak in scores.real_peaks] == [10, 11, 12, 13, 14]
    assert [peak.other_rank for peak in scores.real_peaks] == [6, 5, 4, 3, 2]
    assert [peak.hour for peak in scores.model_peaks] == [15, 14, 13, 12, 11]
    # Real peaks at 10..14, model peaks at 11..15: each real peak has a model peak within an hour.
    assert scores.real_peaks_matched == 5


def test_a_constant_series_has_no_rank_correlation_and_a_zero_real_total_no_ratio() -> None:
    scores = side_metrics(np.array([1.0, 2.0, 3.0]), np.zeros(3), baseline=np.zeros(3), offset=0)

    assert scores.spearman is None
    assert scores.baseline_spearman is None
    assert scores.volume_ratio is None
    assert scores.real_peaks_matched == 0


def test_the_record_is_byte_identical_for_the_same_file(tmp_path: Path) -> None:
    csv = write_stream(tmp_path / "s.csv", *random_stream(seed=3, hours=10))

    first, second = backtest_json(run_backtest(csv)), backtest_json(run_backtest(csv))

    assert first == second
    record = json.loads(first)
    assert record["windows"]["fit"] == {"start": "2021-01-01T00:00Z", "end": "2021-01-01T05:00Z", "hours": 5}
    assert record["windows"]["test"] == {"start": "2021-01-01T05:00Z", "end": "2021-01-01T10:00Z", "hours": 5}
    assert len(record["hourly"]["model_long"]) == 10


def test_the_january_2021_backtest_fits_on_1_to_15_january_and_tests_on_16_to_30() -> None:
    result = run_backtest(shared_data_dir() / RISKDAO_FILE)

    record = json.loads(backtest_json(result))

    assert record["windows"]["fit"] == {"start": "2021-01-01T00:00Z", "end": "2021-01-16T00:00Z", "hours": 360}
    assert record["windows"]["test"] == {"start": "2021-01-16T00:00Z", "end": "2021-01-31T00:00Z", "hours": 360}
    # The README of the shared data states the totals: long 1,002,062 and short 352,972 (rounded).
    real_long = record["metrics"]["fit"]["long"]["real_total"] + record["metrics"]["test"]["long"]["real_total"]
    real_short = record["metrics"]["fit"]["short"]["real_total"] + record["metrics"]["test"]["short"]["real_total"]
    assert round(real_long) == 1_002_062
    assert round(real_short) == 352_972
    # The largest real hour of the month, by the shared data's own description (11 January, 02:39 UTC crash).
    assert record["metrics"]["fit"]["long"]["real_peaks"][0]["hour"] == "2021-01-11T03:00Z"
