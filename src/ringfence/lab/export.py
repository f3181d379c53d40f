"""Machine-readable results of a study: canonical JSON and Parquet tables.

:func:`results_json` is canonical: keys sorted, no whitespace beyond one trailing newline, every
float rounded to 12 significant digits and written with ``repr`` (shortest round-trip form), ``-0.0``
written as ``0.0``, no timestamps and no paths. The same study gives byte-identical bytes on any
platform (float64 arithmetic may differ in the last bits between BLAS builds and CPUs; twelve digits
leave three of margin below float64's ~15.9), and any change of a number above that precision
changes the bytes.

:func:`write_parquet` writes the base runs' liquidation records and one row per base run, for
analysis in pandas, polars or DuckDB.
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
from ringfence.lab.results import RunResult
from ringfence.lab.study import STUDY_SECTIONS, StudyResult

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LIQUIDATIONS_FILE",
    "RUNS_FILE",
    "canonical_float",
    "results_json",
    "run_table",
    "write_parquet",
]

FORMAT = "ringfence.stress-study"
FORMAT_VERSION = 1
SIGNIFICANT_DIGITS = 12
LIQUIDATIONS_FILE = "liquidations.parquet"
RUNS_FILE = "runs.parquet"


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
    }


def _document(study: StudyResult) -> dict[str, Any]:
    first = study.base[0]
    return {
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
        "keeper_sweep": list(study.keeper_sweep),
        "containment": list(study.containment),
    }


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


def write_parquet(study: StudyResult, directory: Path) -> tuple[Path, Path]:
    """Write the base runs' liquidations and per-run table as Parquet files in ``directory``.

    Returns
    -------
    tuple[Path, Path]
        ``liquidations.parquet`` (one row per liquidation, with ``path_index`` and the pool and
        market names) and ``runs.parquet`` (:func:`run_table` of the base runs).
    """
    directory.mkdir(parents=True, exist_ok=True)
    liquidations_path = directory / LIQUIDATIONS_FILE
    runs_path = directory / RUNS_FILE
    pq.write_table(_liquidations_table(study.base), liquidations_path)
    pq.write_table(pa.table(run_table(study.base)), runs_path)
    return liquidations_path, runs_path
