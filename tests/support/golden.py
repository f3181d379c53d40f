"""Golden journals: event streams written by an earlier main, and the state they must replay to.

``tests/data/journals/*.jsonl.gz`` hold one encoded event per line (``[event_type, schema_version,
payload]``, as :func:`ringfence.store.codec.encode_event` wrote them at git ``b65bfda``), captured
from the stress lab's exact engine and from the unit and property tests' venues.
``expected.json`` holds :func:`projection` of the state each replays to, recorded at that commit.

The projection lists the economic state (balances, vaults, funds, windows, positions, markets,
prices, auctions, governance) by meaning, not by field layout: when a refactor moves a quantity,
adapt the reading here; the recorded values must not change.
"""

from __future__ import annotations

import dataclasses
import enum
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ringfence.core.evolve import evolve
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState
from ringfence.store.codec import decode_event

JOURNALS = Path(__file__).resolve().parent.parent / "data" / "journals"
EXPECTED = JOURNALS / "expected.json"


def journal_names() -> list[str]:
    """Return the golden journals' names (file stems without ``.jsonl.gz``), sorted."""
    return sorted(path.name.removesuffix(".jsonl.gz") for path in JOURNALS.glob("*.jsonl.gz"))


def stored_entries(name: str) -> Iterator[tuple[str, int, str]]:
    """Yield one golden journal's stored ``(event_type, schema_version, payload)`` rows."""
    with gzip.open(JOURNALS / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            event_type, schema_version, payload = json.loads(line)
            yield event_type, schema_version, payload


def replay_golden(name: str) -> LedgerState:
    """Decode and apply one golden journal from an empty state."""
    state = LedgerState()
    for sequence, (event_type, schema_version, payload) in enumerate(stored_entries(name), start=1):
        evolve(state, decode_event(event_type, schema_version, payload, sequence))
    return state


def _plain(value: Any) -> Any:
    """Turn a state value into JSON-able data (dataclasses by field, enums by value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return value


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return "|".join(_key(part) for part in key)
    if dataclasses.is_dataclass(key) and not isinstance(key, type):
        return "/".join(str(getattr(key, f.name)) for f in dataclasses.fields(key))
    return str(key)


def _pool(pool: PoolState) -> dict[str, Any]:
    return {
        "status": pool.status.value,
        "status_reason": pool.status_reason,
        "vault_atoms": pool.vault_atoms,
        "total_shares": pool.total_shares,
        "lp_shares": {_key(k): v for k, v in pool.lp_shares.items()},
        "insurance_atoms": pool.insurance_atoms,
        "protocol_fees_atoms": pool.protocol_fees_atoms,
        "socialised_loss_atoms": pool.socialised_loss_atoms,
        "backstop_absorbed_atoms": pool.backstop_absorbed_atoms,
        "deleveraged_atoms": pool.deleveraged_atoms,
        "insurance_window": [pool.insurance_window.start_ns, pool.insurance_window.used_atoms],
        "loss_window": [pool.loss_window.start_ns, pool.loss_window.used_atoms, pool.loss_window.reference_atoms],
        "backstop_window": [pool.backstop_window.start_ns, pool.backstop_window.used_atoms],
        "liquidation_window": [pool.liquidation_window.start_ns, pool.liquidation_window.used_atoms],
        "liquidation_marks": _plain(pool.liquidation_marks),
        "markets": {
            name: [m.long_atoms, m.short_atoms, m.funding_index_wad, m.funding_updated_ns]
            for name, m in pool.markets.items()
        },
        "positions": {
            _key(k): [p.size_atoms, p.open_notional_atoms, p.funding_index_wad, p.mode.value, p.isolated_margin_atoms]
            for k, p in pool.positions.items()
        },
        "account_markets": {_key(k): list(v) for k, v in pool.account_markets.items()},
        "auctions": _plain(pool.auctions),
        "next_auction_id": pool.next_auction_id,
    }


def _governance(state: LedgerState) -> object:
    """Return the governance as recorded; ``opened_ns`` is newer than every golden journal (``OpenVenue``)."""
    plain = _plain(state.governance)
    if isinstance(plain, dict) and plain.get("opened_ns") is None:
        plain.pop("opened_ns", None)
    return plain


def projection(state: LedgerState) -> dict[str, Any]:
    """Return the economic state as JSON-able data (see the module docstring)."""
    return {
        "assets": {name: a.total_deposits_atoms for name, a in state.assets.items()},
        "oracles": {
            name: [o.accepted_price_wad, o.accepted_ns, o.status.value, _plain(o.stable)]
            for name, o in state.oracles.items()
        },
        "accounts": {
            _key(k): {asset: atoms for asset, atoms in a.balances.items() if atoms} for k, a in state.accounts.items()
        },
        "deposited_atoms": dict(state.deposited_atoms),
        "withdrawn_atoms": dict(state.withdrawn_atoms),
        "pools": {name: _pool(pool) for name, pool in state.pools.items()},
        "cross_pool": {_key(k): v for k, v in state.cross_pool.items()},
        "governance": _governance(state),
    }
