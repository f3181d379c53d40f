"""Canonical JSON and Parquet export of a study (``ringfence.lab.export``); hand-made runs, not an engine."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.assumptions import Assumption
from ringfence.lab.estimate import Estimate
from ringfence.lab.export import canonical_float, results_json, write_parquet
from ringfence.lab.study import SensitivityBar
from support.lab_runs import sample_study


def test_same_study_gives_byte_identical_json() -> None:
    assert results_json(sample_study()) == results_json(sample_study())


def test_one_changed_number_changes_the_bytes() -> None:
    study = sample_study()
    runs = list(study.base)
    bad_debt = runs[3].bad_debt_usd.copy()
    bad_debt[0] += 0.01
    runs[3] = replace(runs[3], bad_debt_usd=bad_debt)
    assert results_json(replace(study, base=tuple(runs))) != results_json(study)


def test_json_is_canonical_sorted_compact_and_without_paths_or_times() -> None:
    data = results_json(sample_study())
    text = data.decode("utf-8")
    document = json.loads(text)
    assert text.endswith("}\n")
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    assert document["format"] == "ringfence.stress-study"
    assert document["engines"] == {"base": "exact", "ladder": "exact", "frontier": "vector", "keeper_sweep": "exact"}
    assert "/work" not in text
    assert "elapsed" not in text and "timestamp" not in text


def test_json_holds_every_section() -> None:
    document = json.loads(results_json(sample_study(runs=4)))
    # base losses 250·k, k = 0..3 → 0, 250, 500, 750; mean 1500/4 = 375; VaR95 = ⌈3.8⌉ = 4th = 750
    assert document["base"]["summary"]["bad_debt_mean_usd"] == 375.0
    assert document["base"]["summary"]["var95_usd"] == 750.0
    assert document["base"]["runs"]["total_bad_debt_usd"] == [0.0, 250.0, 500.0, 750.0]
    assert [row["isolation"] for row in document["ladder"]] == [
        "monolithic",
        "subaccounts",
        "isolated_pools",
        "isolated_positions",
    ]
    assert len(document["frontier"]) == 12  # 4 rungs × 3 margin scales
    assert [point["latency_seconds"] for point in document["keeper_sweep"]] == [0, 30, 120]
    assert document["scenario"] == {
        "name": "hand-made <runs> & co",
        "description": "Two markets under a hand-made crash; <b>not</b> an engine's output.",
        "sources": ["https://risk.gauntlet.network/faq", "Hand-made for the report tests"],
        "seed": 7,
    }


def test_canonical_float_keeps_twelve_significant_digits() -> None:
    # 0.1 + 0.2 = 0.30000000000000004 → 12 digits → 0.3
    assert repr(canonical_float(0.1 + 0.2)) == "0.3"
    # 123456.7890123456 → 123456.789012 (12 significant digits)
    assert repr(canonical_float(123456.7890123456)) == "123456.789012"
    assert repr(canonical_float(-0.0)) == "0.0"
    assert repr(canonical_float(1e-20 * 3)) == "3e-20"


def test_canonical_float_refuses_nan() -> None:
    with pytest.raises(InvalidParameter, match="finite number"):
        canonical_float(float("nan"))


def test_parquet_round_trips_liquidations_and_runs(tmp_path: Path) -> None:
    study = sample_study(runs=4)
    liquidations_path, runs_path, *_ = write_parquet(study, tmp_path / "out")

    liquidations = pq.read_table(liquidations_path).to_pydict()
    runs = pq.read_table(runs_path).to_pydict()

    # run 0 has one liquidation, runs 1..3 two each → 7 rows in run order
    expected = np.concatenate([run.liquidations for run in study.base])
    assert liquidations["path_index"] == [0, 1, 1, 2, 2, 3, 3]
    assert liquidations["notional_usd"] == expected["notional_usd"].tolist()
    assert liquidations["backstop"] == expected["backstop"].tolist()
    assert liquidations["pool_name"] == [
        "pool-ETH",
        "pool-ETH",
        "pool-BTC",
        "pool-ETH",
        "pool-BTC",
        "pool-ETH",
        "pool-BTC",
    ]
    assert runs["path_index"] == [0, 1, 2, 3]
    assert runs["total_bad_debt_usd"] == [0.0, 250.0, 500.0, 750.0]
    assert runs["bad_debt_usd"][1] == [150.0, 100.0]


def tornado_study(runs: int = 4):  # type: ignore[no-untyped-def]
    """The sample study with a hand-made tornado and one assumption."""
    bar = SensitivityBar(
        parameter="depth",
        low_setting="depth × 0.5",
        high_setting="depth × 2",
        low=Estimate(900.0, 700.0, 1100.0, "bootstrap percentile, 2000 resamples", runs),
        high=Estimate(None, None, None, "exact order-statistic interval", runs, runs_needed=72),
    )
    return replace(
        sample_study(runs=runs),
        sensitivity_base=Estimate(500.0, 400.0, 600.0, "bootstrap percentile, 2000 resamples", runs),
        sensitivity=(bar,),
        sensitivity_skipped=(("correlation", "one asset"),),
        assumptions=(Assumption("ETH depth", "$20M", "chosen"),),
    )


def test_json_carries_every_interval_the_tornado_and_the_assumptions() -> None:
    study = tornado_study()
    document = json.loads(results_json(study))
    summary = document["base"]["summary"]
    var95 = summary["intervals"]["var95_usd"]
    # four runs support no 95th percentile: no number, 72 runs needed (test_lab_estimate)
    assert var95 == {
        "value": None,
        "low": None,
        "high": None,
        "method": "exact order-statistic interval (binomial, distribution-free)",
        "runs": 4,
        "runs_needed": 72,
    }
    assert set(summary["intervals"]["bad_debt_mean_usd"]) == {"value", "low", "high", "method", "runs", "runs_needed"}
    assert [pool["pool"] for pool in summary["per_pool"]] == ["pool-ETH", "pool-BTC"]
    assert "intervals" in document["ladder"][0]["summary"]
    assert summary["contagion_materiality_usd"] == 100.0
    sensitivity = document["sensitivity"]
    assert sensitivity["base"]["value"] == 500.0
    assert sensitivity["bars"][0]["high"]["runs_needed"] == 72
    assert sensitivity["skipped"] == [{"parameter": "correlation", "reason": "one asset"}]
    assert document["assumptions"] == [{"name": "ETH depth", "value": "$20M", "source": "chosen"}]
    assert results_json(tornado_study()) == results_json(study)


def test_parquet_carries_intervals_sensitivity_and_assumptions(tmp_path: Path) -> None:
    study = tornado_study()
    paths = write_parquet(study, tmp_path)
    names = [path.name for path in paths]
    assert names[2:] == ["intervals.parquet", "sensitivity.parquet", "assumptions.parquet"]
    intervals = pq.read_table(paths[2]).to_pylist()
    base = [row for row in intervals if row["section"] == "base" and row["pool"] is None]
    by_figure = {row["figure"]: row for row in base}
    assert by_figure["var95_usd"]["value"] is None and by_figure["var95_usd"]["runs_needed"] == 72
    assert by_figure["bad_debt_mean_usd"]["value"] == study.base_summary().bad_debt_mean_usd
    assert {row["section"] for row in intervals} == {"base", "ladder"}
    per_pool = [row for row in intervals if row["section"] == "base" and row["pool"] == "pool-ETH"]
    assert [row["figure"] for row in per_pool] == [
        "bad_debt_mean",
        "var95",
        "evar99",
        "lar95",
        "lp_pnl_mean",
        "insurance_drawdown_mean",
    ]
    sensitivity = pq.read_table(paths[3]).to_pylist()
    assert [(row["parameter"], row["side"], row["value"]) for row in sensitivity] == [
        ("base", "base", 500.0),
        ("depth", "low", 900.0),
        ("depth", "high", None),
    ]
    assert pq.read_table(paths[4]).to_pylist() == [{"name": "ETH depth", "value": "$20M", "source": "chosen"}]
    again = write_parquet(tornado_study(), tmp_path / "again")
    assert all(first.read_bytes() == second.read_bytes() for first, second in zip(paths, again, strict=True))
