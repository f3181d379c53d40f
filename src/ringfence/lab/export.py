"""Machine-readable results of a study: canonical JSON and Parquet tables.

:func:`results_json` is canonical: keys sorted, no whitespace beyond one trailing newline, every
float rounded to 12 significant digits and written with ``repr`` (shortest round-trip form), ``-0.0``
written as ``0.0``, no timestamps and no paths. The same study gives byte-identical bytes on any
platform (float64 arithmetic may differ in the last bits between BLAS builds and CPUs; twelve digits
leave three of margin below float64's ~15.9), and any change of a number above that precision
changes the bytes.

:func:`write_parquet` writes the base runs' liquidation records, one row per base run, every
interval (one row per figure of the base design and each rung, per-pool figures included), the
sensitivity (tornado) bars and the assumptions, for analysis in pandas, polars or DuckDB.

Every :class:`~ringfence.lab.estimate.Estimate` is written as ``value, low, high, method, runs,
runs_needed`` (``null`` where the runs do not support the figure), in JSON and Parquet alike.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ringfence.core.errors import InvalidParameter
from ringfence.lab.estimate import Estimate
from ringfence.lab.metrics import Summary
from ringfence.lab.results import PARTIES, RunResult
from ringfence.lab.study import STUDY_SECTIONS, StudyResult

__all__ = [
    "ASSUMPTIONS_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "INTERVALS_FILE",
    "LIQUIDATIONS_FILE",
    "RUNS_FILE",
    "SENSITIVITY_FILE",
    "assumption_table",
    "canonical_float",
    "interval_table",
    "results_json",
    "run_table",
    "sensitivity_table",
    "write_parquet",
]

FORMAT = "ringfence.stress-study"
FORMAT_VERSION = 1
SIGNIFICANT_DIGITS = 12
LIQUIDATIONS_FILE = "liquidations.parquet"
RUNS_FILE = "runs.parquet"
INTERVALS_FILE = "intervals.parquet"
SENSITIVITY_FILE = "sensitivity.parquet"
ASSUMPTIONS_FILE = "assumptions.parquet"


def canonical_float(value: float) -> float:
    """Round ``value`` to 12 significant digits (``-0.0`` becomes ``0.0``); refuse NaN and infinities."""
    if not math.isfinite(value):
        raise InvalidParameter("value", value, "a finite number (results hold no NaN or infinity)")
    rounded = float(format(value, f".{SIGNIFICANT_DIGITS}g"))
    return 0.0 if rounded == 0.0 else rounded


def _canonical(value: Any) -> Any:
    """Turn dataclasses, tuples and numpy scalars into JSON values with canonical floats."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _canonical(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return canonical_float(float(value))
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_canonical(item) for item in value]
    raise InvalidParameter("value", type(value).__name__, "a dataclass, number, string, list or dict")


def run_table(runs: Sequence[RunResult]) -> dict[str, list[Any]]:
    """Return one row per run as columns: the per-run quantities the metrics aggregate.

    Per-pool columns hold one value per pool, in the order of ``pools``.
    """
    return {
        "path_index": [run.path_index for run in runs],
        "isolation": [run.isolation for run in runs],
        "margin_scale": [run.margin_scale for run in runs],
        "total_bad_debt_usd": [run.total_bad_debt_usd for run in runs],
        "bad_debt_usd": [run.bad_debt_usd.tolist() for run in runs],
        "liquidation_count": [int(run.liquidations.size) for run in runs],
        "liquidated_value_usd": [run.liquidated_value_usd for run in runs],
        "slippage_usd": [float(run.liquidations["slippage_usd"].sum()) for run in runs],
        "insurance_drawdown_usd": [run.insurance_drawdown_usd.tolist() for run in runs],
        "lp_loss_usd": [run.lp_loss_usd.tolist() for run in runs],
        "adl_loss_usd": [run.adl_loss_usd.tolist() for run in runs],
        "contagion_usd": [run.contagion_usd for run in runs],
        "capital_efficiency": [run.capital_efficiency for run in runs],
        "collateral_usd": [run.collateral_usd for run in runs],
        "attacker_profit_usd": [run.attacker_profit_usd for run in runs],
        "latent_bad_debt_usd": [run.latent_per_pool_usd.tolist() for run in runs],
        "protocol_loss_usd": [run.protocol_loss_usd for run in runs],
        "vault_pnl_by_market_usd": [run.vault_pnl_by_market_usd.tolist() for run in runs],
        "execution_cost_usd": [run.execution_cost_usd.tolist() for run in runs],
        "gas_usd": [run.gas_usd for run in runs],
        "unserved_liquidations": [run.unserved_liquidations for run in runs],
        **{f"party_pnl_{party}_usd": [float(run.party_pnl_usd.get(party, 0.0)) for run in runs] for party in PARTIES},
    }


def _document(study: StudyResult) -> dict[str, Any]:
    first = study.base[0]
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scenario": {
            "name": study.scenario_name,
            "description": study.description,
            "sources": list(study.sources),
            "seed": study.seed,
        },
        "engines": {section: study.engine_for(section) for section in STUDY_SECTIONS},
        "runs_per_design": study.runs_per_design,
        "base": {
            "isolation": first.isolation,
            "margin_scale": first.margin_scale,
            "assets": list(first.assets),
            "markets": list(first.markets),
            "pools": list(first.pools),
            "step_seconds": first.step_seconds,
            "steps": int(first.market_prices.shape[1]) - 1,
            "summary": study.base_summary(),
            "runs": run_table(study.base),
        },
        "ladder": list(study.ladder),
        "frontier": list(study.frontier),
        "static_frontier": list(study.static_frontier),
        "keeper_sweep": list(study.keeper_sweep),
        "sensitivity": {
            "figure": "mean protocol loss (USD), scenario's own design, vector engine",
            "base": study.sensitivity_base,
            "bars": list(study.sensitivity),
            "skipped": [{"parameter": name, "reason": reason} for name, reason in study.sensitivity_skipped],
        },
        "assumptions": list(study.assumptions),
        "confirmation": list(study.confirmation),
        "containment": list(study.containment),
    }
    if study.predictive is not None:
        # Only when measured: a study without it keeps the bytes it had.
        document["predictive"] = study.predictive
    if study.credit_lines is not None:
        document["credit_lines"] = study.credit_lines
    if study.options:
        # Only with option markets: a study without them keeps the bytes it had.
        document["options"] = {
            "units": {
                "delta": "units of the underlying (the writers' pool's side)",
                "gamma": "per USD of the underlying's price",
                "vega_per_point": "USD per volatility point",
                "atm_volatility": "a year (0.87 = 87%)",
            },
            "base": list(study.options),
            "ladder": [{"isolation": rung, "markets": list(rows)} for rung, rows in study.options_ladder],
        }
    return document


def results_json(study: StudyResult) -> bytes:
    """Return the study as canonical JSON bytes (UTF-8); the same study gives the same bytes."""
    text = json.dumps(
        _canonical(_document(study)), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return (text + "\n").encode("utf-8")


def _liquidations_table(runs: Sequence[RunResult]) -> pa.Table:
    records = [run.liquidations for run in runs]
    rows = np.concatenate(records)
    path_index = np.concatenate([np.full(run.liquidations.size, run.path_index, dtype=np.int32) for run in runs])
    columns: dict[str, Any] = {"path_index": pa.array(path_index, type=pa.int32())}
    for name in rows.dtype.names or ():
        columns[name] = pa.array(np.ascontiguousarray(rows[name]))
    pools, markets = runs[0].pools, runs[0].markets
    columns["pool_name"] = pa.array([pools[index] for index in rows["pool"]], type=pa.string())
    columns["market_name"] = pa.array([markets[index] for index in rows["market"]], type=pa.string())
    return pa.table(columns)


_ESTIMATE_COLUMNS = ("value", "low", "high", "method", "runs", "runs_needed")


def _estimate_row(estimate: Estimate | None) -> dict[str, Any]:
    if estimate is None:
        return dict.fromkeys(_ESTIMATE_COLUMNS)
    return {name: getattr(estimate, name) for name in _ESTIMATE_COLUMNS}


def _summary_rows(section: str, isolation: str, margin_scale: float, summary: Summary) -> list[dict[str, Any]]:
    design = {"section": section, "isolation": isolation, "margin_scale": margin_scale}
    rows = [
        {**design, "pool": None, "figure": name, **_estimate_row(estimate)}
        for name, estimate in summary.intervals.items()
    ]
    for pool in summary.per_pool:
        for name in ("bad_debt_mean", "var95", "evar99", "lar95", "lp_pnl_mean", "insurance_drawdown_mean"):
            rows.append({**design, "pool": pool.pool, "figure": name, **_estimate_row(getattr(pool, name))})
    return rows


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


_ESTIMATE_FIELDS = [
    pa.field("value", pa.float64()),
    pa.field("low", pa.float64()),
    pa.field("high", pa.float64()),
    pa.field("method", pa.string()),
    pa.field("runs", pa.int64()),
    pa.field("runs_needed", pa.int64()),
]
INTERVAL_SCHEMA = pa.schema(
    [
        pa.field("section", pa.string()),
        pa.field("isolation", pa.string()),
        pa.field("margin_scale", pa.float64()),
        pa.field("pool", pa.string()),
        pa.field("figure", pa.string()),
        *_ESTIMATE_FIELDS,
    ]
)
SENSITIVITY_SCHEMA = pa.schema(
    [
        pa.field("parameter", pa.string()),
        pa.field("side", pa.string()),
        pa.field("setting", pa.string()),
        *_ESTIMATE_FIELDS,
    ]
)
ASSUMPTION_SCHEMA = pa.schema(
    [pa.field("name", pa.string()), pa.field("value", pa.string()), pa.field("source", pa.string())]
)


def interval_table(study: StudyResult) -> pa.Table:
    """Return every interval of the base design and of each rung: one row per figure (and pool)."""
    first = study.base[0]
    rows = _summary_rows("base", first.isolation, first.margin_scale, study.base_summary())
    for row in study.ladder:
        rows += _summary_rows("ladder", row.isolation, row.margin_scale, row.summary)
    return _table(rows, INTERVAL_SCHEMA)


def sensitivity_table(study: StudyResult) -> pa.Table:
    """Return the tornado: a ``base`` row, then a ``low`` and a ``high`` row per input (empty without one)."""
    rows: list[dict[str, Any]] = []
    if study.sensitivity_base is not None:
        rows.append({"parameter": "base", "side": "base", "setting": "as in the scenario"})
        rows[-1].update(_estimate_row(study.sensitivity_base))
    for bar in study.sensitivity:
        for side, setting, estimate in (("low", bar.low_setting, bar.low), ("high", bar.high_setting, bar.high)):
            rows.append({"parameter": bar.parameter, "side": side, "setting": setting, **_estimate_row(estimate)})
    return _table(rows, SENSITIVITY_SCHEMA)


def assumption_table(study: StudyResult) -> pa.Table:
    """Return the assumptions: one row per value with its source."""
    return _table([dataclasses.asdict(item) for item in study.assumptions], ASSUMPTION_SCHEMA)


def write_parquet(study: StudyResult, directory: Path) -> tuple[Path, ...]:
    """Write the study's tables as Parquet files in ``directory``.

    Returns
    -------
    tuple[Path, ...]
        ``liquidations.parquet`` (one row per liquidation, with ``path_index`` and the pool and
        market names), ``runs.parquet`` (:func:`run_table` of the base runs), ``intervals.parquet``
        (:func:`interval_table`), ``sensitivity.parquet`` (:func:`sensitivity_table`) and
        ``assumptions.parquet`` (:func:`assumption_table`), in that order.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tables = (
        (LIQUIDATIONS_FILE, _liquidations_table(study.base)),
        (RUNS_FILE, pa.table(run_table(study.base))),
        (INTERVALS_FILE, interval_table(study)),
        (SENSITIVITY_FILE, sensitivity_table(study)),
        (ASSUMPTIONS_FILE, assumption_table(study)),
    )
    for name, table in tables:
        pq.write_table(table, directory / name)
    return tuple(directory / name for name, _ in tables)
