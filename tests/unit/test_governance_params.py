"""Governable parameter paths: integer fields reached through nested parameter dataclasses, and nothing else.

Split from ``test_governance.py``.
"""

from __future__ import annotations

import dataclasses

import pytest

from ringfence.core.errors import (
    InvalidParameter,
)
from ringfence.core.governance.params import (
    integer_paths,
    read_path,
    replace_path,
    require_integer_path,
)
from ringfence.core.pool.state import MarketParams, PoolParams, PoolStatus
from ringfence.core.units import WAD
from support.venue import MARKET_PARAMS, POOL_PARAMS

# --- nested parameter paths ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Policy:
    target_health_wad: int
    mode: PoolStatus
    enabled: bool


@dataclasses.dataclass(frozen=True, slots=True)
class _Params:
    name: str
    cap_atoms: int
    liquidation: _Policy


def test_integer_paths_reach_into_nested_parameter_dataclasses_and_skip_other_types() -> None:
    assert integer_paths(_Params) == ("cap_atoms", "liquidation.target_health_wad")


def test_a_nested_path_is_read_and_replaced_without_touching_anything_else() -> None:
    params = _Params("x", 5, _Policy(11 * WAD // 10, PoolStatus.ACTIVE, True))
    changed = replace_path(params, "liquidation.target_health_wad", 12 * WAD // 10)
    assert read_path(changed, "liquidation.target_health_wad") == 12 * WAD // 10
    assert changed == _Params("x", 5, _Policy(12 * WAD // 10, PoolStatus.ACTIVE, True))
    assert params.liquidation.target_health_wad == 11 * WAD // 10


@pytest.mark.parametrize("path", ["name", "liquidation", "liquidation.mode", "liquidation.enabled", "cap_atoms.x"])
def test_a_path_to_a_non_integer_field_is_refused(path: str) -> None:
    with pytest.raises(InvalidParameter, match="an integer field of _Params"):
        require_integer_path(_Params, path)


def test_every_integer_field_of_pool_and_market_params_is_governable() -> None:
    pool_ints = {f.name for f in dataclasses.fields(PoolParams) if isinstance(getattr(POOL_PARAMS, f.name), int)}
    market_ints = {f.name for f in dataclasses.fields(MarketParams) if isinstance(getattr(MARKET_PARAMS, f.name), int)}
    assert pool_ints <= set(integer_paths(PoolParams))
    assert market_ints <= set(integer_paths(MarketParams))
    assert "quote_asset" not in integer_paths(PoolParams)
