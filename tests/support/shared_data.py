"""Where the shared crash data lives (read in place, never copied into the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GEB_FILE = "eth_usd_1h_2016-2020_geb.csv"
RISKDAO_FILE = "ethusdt_1m_liquidations_2021-01_riskdao.csv"


def _candidates() -> list[Path]:
    configured = os.environ.get("RINGFENCE_SHARED_DATA")
    return [
        *([Path(configured)] if configured else []),
        ROOT.parent / "shared" / "data",
    ]


def shared_data_dir() -> Path:
    """Return the folder holding both crash files, or skip the calling test saying where it looked."""
    for candidate in _candidates():
        if (candidate / GEB_FILE).is_file() and (candidate / RISKDAO_FILE).is_file():
            return candidate
    tried = ", ".join(str(candidate) for candidate in _candidates())
    pytest.skip(f"shared crash data not found (tried {tried}); set RINGFENCE_SHARED_DATA to its folder")
