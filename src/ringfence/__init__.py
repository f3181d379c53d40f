"""ringfence: an exact, event-sourced clearing and risk engine built on isolation.

The names a library user needs to run a venue from Python, re-exported from the modules that
define them (each keeps its full documentation there):

- the engine and its journals: :class:`Engine` (``execute``, ``execute_batch`` with
  :class:`Sent`), :class:`MemoryJournal`, :class:`SqliteJournal`, the clock port
  (:class:`ManualClock`, :class:`SystemClock`);
- building a venue: :func:`create_venue` (a venue file's tables as a mapping, in human units);
- the commands an account, a feeder or a keeper sends (:class:`Deposit`, :class:`Trade`,
  :class:`SubmitPrice`, :class:`Liquidate`, ...) and the genesis commands of an admin;
- reading the state: :class:`LedgerState` (``engine.state``), :func:`margin_snapshot`
  (a sub-account's cross margin), :func:`isolated_margin`, :func:`pool_nav_atoms`,
  :func:`base_price_wad`;
- exact units: :data:`WAD`, :func:`parse_amount`, :func:`parse_price`, :func:`parse_ratio`,
  :func:`format_fixed`;
- the roots of the error tree (:mod:`ringfence.core.errors`).

Everything else is public in its own module (``ringfence.core``, ``ringfence.store``,
``ringfence.service``, ``ringfence.risk``, ``ringfence.lab``); the surface of every public
module is pinned by ``tests/contract/test_public_surface.py``.

The names are imported on first use (PEP 562), so ``import ringfence.core`` stays as light as
the pure core itself and never loads the journals, the service or their libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ringfence.core.commands import (
        Command,
        ConfigureOracle,
        Deposit,
        OpenVenue,
        RegisterAsset,
        RegisterPrincipal,
        Sent,
        SubmitPrice,
        Transfer,
        Withdraw,
    )
    from ringfence.core.errors import (
        CommandRejected,
        InvalidCommand,
        InvariantViolation,
        JournalError,
        RingfenceError,
    )
    from ringfence.core.governance.commands import ConfigureGovernance
    from ringfence.core.margin import MarginKind, MarginSnapshot, base_price_wad
    from ringfence.core.pool.commands import (
        AddMarket,
        AdjustIsolatedMargin,
        CreatePool,
        FundInsurance,
        Liquidate,
        ProvideLiquidity,
        RemoveLiquidity,
        Trade,
    )
    from ringfence.core.pool.decide import pool_nav_atoms
    from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
    from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
    from ringfence.core.state import LedgerState
    from ringfence.core.units import WAD, format_fixed, parse_amount, parse_price, parse_ratio
    from ringfence.service.clock import ManualClock, SystemClock
    from ringfence.service.engine import Accepted, Engine, Rejected
    from ringfence.service.venue import VenueFileError, create_venue
    from ringfence.store.memory import MemoryJournal
    from ringfence.store.sqlite import SqliteJournal

__all__ = [
    "WAD",
    "Accepted",
    "AddMarket",
    "AdjustIsolatedMargin",
    "Command",
    "CommandRejected",
    "ConfigureGovernance",
    "ConfigureOracle",
    "CreatePool",
    "Deposit",
    "Engine",
    "FundInsurance",
    "InvalidCommand",
    "InvariantViolation",
    "JournalError",
    "LedgerState",
    "Liquidate",
    "ManualClock",
    "MarginKind",
    "MarginMode",
    "MarginSnapshot",
    "MarketParams",
    "MemoryJournal",
    "OpenVenue",
    "PoolParams",
    "ProvideLiquidity",
    "RegisterAsset",
    "RegisterPrincipal",
    "Rejected",
    "RemoveLiquidity",
    "RingfenceError",
    "Sent",
    "SqliteJournal",
    "SubmitPrice",
    "SystemClock",
    "Trade",
    "Transfer",
    "VenueFileError",
    "Withdraw",
    "__version__",
    "base_price_wad",
    "create_venue",
    "format_fixed",
    "isolated_margin",
    "margin_snapshot",
    "parse_amount",
    "parse_price",
    "parse_ratio",
    "pool_nav_atoms",
]

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Command": "ringfence.core.commands",
    "ConfigureOracle": "ringfence.core.commands",
    "Deposit": "ringfence.core.commands",
    "OpenVenue": "ringfence.core.commands",
    "RegisterAsset": "ringfence.core.commands",
    "RegisterPrincipal": "ringfence.core.commands",
    "Sent": "ringfence.core.commands",
    "SubmitPrice": "ringfence.core.commands",
    "Transfer": "ringfence.core.commands",
    "Withdraw": "ringfence.core.commands",
    "CommandRejected": "ringfence.core.errors",
    "InvalidCommand": "ringfence.core.errors",
    "InvariantViolation": "ringfence.core.errors",
    "JournalError": "ringfence.core.errors",
    "RingfenceError": "ringfence.core.errors",
    "ConfigureGovernance": "ringfence.core.governance.commands",
    "MarginKind": "ringfence.core.margin",
    "MarginSnapshot": "ringfence.core.margin",
    "base_price_wad": "ringfence.core.margin",
    "AddMarket": "ringfence.core.pool.commands",
    "AdjustIsolatedMargin": "ringfence.core.pool.commands",
    "CreatePool": "ringfence.core.pool.commands",
    "FundInsurance": "ringfence.core.pool.commands",
    "Liquidate": "ringfence.core.pool.commands",
    "ProvideLiquidity": "ringfence.core.pool.commands",
    "RemoveLiquidity": "ringfence.core.pool.commands",
    "Trade": "ringfence.core.pool.commands",
    "pool_nav_atoms": "ringfence.core.pool.decide",
    "isolated_margin": "ringfence.core.pool.position_margin",
    "margin_snapshot": "ringfence.core.pool.position_margin",
    "MarginMode": "ringfence.core.pool.state",
    "MarketParams": "ringfence.core.pool.state",
    "PoolParams": "ringfence.core.pool.state",
    "LedgerState": "ringfence.core.state",
    "WAD": "ringfence.core.units",
    "format_fixed": "ringfence.core.units",
    "parse_amount": "ringfence.core.units",
    "parse_price": "ringfence.core.units",
    "parse_ratio": "ringfence.core.units",
    "ManualClock": "ringfence.service.clock",
    "SystemClock": "ringfence.service.clock",
    "Accepted": "ringfence.service.engine",
    "Engine": "ringfence.service.engine",
    "Rejected": "ringfence.service.engine",
    "VenueFileError": "ringfence.service.venue",
    "create_venue": "ringfence.service.venue",
    "MemoryJournal": "ringfence.store.memory",
    "SqliteJournal": "ringfence.store.sqlite",
}
"""Each re-exported name and the module that defines it (imported on first use)."""


def __getattr__(name: str) -> Any:
    """Import a re-exported name from its defining module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ringfence' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module's own names and the re-exported ones."""
    return sorted({*globals(), *_EXPORTS})
