"""Upcasters: old stored payloads lifted to today's events, keyed by event type and schema version.

A journal keeps every event as it was written (type, schema version, payload); reading it lifts
the payload one step at a time until it is an event this code defines, so journals written by
an earlier release replay to the same state (eventsourcing's upcasting). Two kinds of step:

- :data:`UPCASTERS` ``(event_type, from_version) -> body``: the same event, one version up;
- :data:`RETYPERS` ``(event_type, version) -> (new_type, new_version, body)``: an event that was
  split or renamed becomes the event that now carries its meaning.

Registered steps:

- ``PositionChanged`` v1 (one event for trades, liquidations and ADL closes, a backstop
  forfeiture in ``fee_atoms``) becomes :class:`~ringfence.core.pool.events.PositionLiquidated`
  when ``liquidated`` (its ``fee_atoms`` is the backstop forfeiture), otherwise
  :class:`~ringfence.core.pool.events.TradeFilled`. The old payload does not say whether a
  non-liquidation change was a trade or an ADL close; the ``AutoDeleveraged`` event that
  follows an ADL close says so, and the flows (hence the replayed state) are the same.
- ``LiquidationRecorded`` v1 → v2: the free-text ``reason`` becomes a
  :class:`~ringfence.core.liquidation.kinds.LiquidationReason` and the text moves to
  ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ringfence.core.errors import JournalCorrupted
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason

__all__ = ["RETYPERS", "UPCASTERS", "upcast"]

Body = dict[str, Any]
Upcaster = Callable[[Body], Body]
Retyper = Callable[[Body], tuple[str, int, Body]]

_MOVE_FIELDS = (
    "owner",
    "sub_account",
    "pool",
    "market",
    "mode",
    "size_delta_atoms",
    "price_wad",
    "new_size_atoms",
    "new_open_notional_atoms",
    "funding_index_wad",
    "margin_released_atoms",
    "funding_paid_atoms",
    "realised_pnl_atoms",
)
_TRADE_FIELDS = ("margin_added_atoms", "fee_atoms", "lp_fee_atoms", "insurance_fee_atoms", "protocol_fee_atoms")
_LIQUIDATION_ONLY = ("keeper_reward_atoms", "insurance_penalty_atoms", "shortfall_atoms", "execution_cost_atoms")


def _require_zero(body: Body, names: tuple[str, ...], meaning: str) -> None:
    for name in names:
        if body.get(name, 0) != 0:
            raise ValueError(f"{name} = {body[name]} does not fit a {meaning}")


def _position_changed_v1(body: Body) -> tuple[str, int, Body]:
    """Split a v1 ``PositionChanged`` by meaning: a liquidation or a trade (see the module docstring)."""
    moved = {name: body[name] for name in _MOVE_FIELDS}
    if body["liquidated"]:
        _require_zero(body, ("margin_added_atoms", "insurance_fee_atoms", "protocol_fee_atoms"), "liquidation")
        if body["lp_fee_atoms"] != body["fee_atoms"]:
            raise ValueError(f"a liquidation's fee {body['fee_atoms']} is not all LP fee {body['lp_fee_atoms']}")
        liquidated = {
            "keeper_owner": body["keeper_owner"],
            "keeper_sub_account": body["keeper_sub_account"],
            "keeper_reward_atoms": body["keeper_reward_atoms"],
            "insurance_penalty_atoms": body["insurance_penalty_atoms"],
            "backstop_forfeit_atoms": body["fee_atoms"],
            "shortfall_atoms": body["shortfall_atoms"],
            "execution_cost_atoms": body.get("execution_cost_atoms", 0),
        }
        return "PositionLiquidated", 1, moved | liquidated
    _require_zero(body, ("keeper_sub_account", *_LIQUIDATION_ONLY), "trade")
    if body["keeper_owner"] != "":
        raise ValueError(f"keeper_owner {body['keeper_owner']!r} does not fit a trade")
    return "TradeFilled", 1, moved | {name: body[name] for name in _TRADE_FIELDS}


_V1_REASONS = (
    ("bankrupt after the close", LiquidationReason.BANKRUPT_AFTER_CLOSE),
    ("bankrupt", LiquidationReason.BANKRUPT),
    ("toxic", LiquidationReason.TOXIC),
    ("a keeper close would lower health", LiquidationReason.CLOSE_LOWERS_HEALTH),
    ("health ", LiquidationReason.BELOW_BACKSTOP_THRESHOLD),
)
"""v1 reason texts by prefix (``liquidate._backstop_reason`` and ``_choose_close`` at b65bfda), most specific first."""


def _liquidation_recorded_v1(body: Body) -> Body:
    """Turn a v1 free-text ``reason`` into a :class:`LiquidationReason`, keeping the text as ``detail``."""
    text = body["reason"]
    path = LiquidationPath(body["path"])
    if path is LiquidationPath.KEEPER and text == "":
        reason = LiquidationReason.BELOW_MAINTENANCE
    else:
        found = [reason for prefix, reason in _V1_REASONS if text.startswith(prefix)]
        if not found or found[0].path is not path:
            raise ValueError(f"{path.value} liquidation with an unknown reason {text!r}")
        reason = found[0]
    return body | {"reason": reason.value, "detail": text}


UPCASTERS: dict[tuple[str, int], Upcaster] = {("LiquidationRecorded", 1): _liquidation_recorded_v1}
"""``(event_type, from_version) -> function`` lifting a payload one schema version up."""

RETYPERS: dict[tuple[str, int], Retyper] = {("PositionChanged", 1): _position_changed_v1}
"""``(event_type, version) -> function`` turning a retired event into the one that carries its meaning."""


def upcast(
    event_type: str, schema_version: int, body: Body, current: Mapping[str, int], sequence: int = 0
) -> tuple[str, Body]:
    """Lift a stored payload to today's event; return its type and body.

    ``current`` maps each event type this code defines to its ``SCHEMA_VERSION``.

    Raises
    ------
    JournalCorrupted
        If the type is unknown, a version has no upcaster or is newer than this code, or an
        old payload does not fit the step that should lift it.
    """
    version = schema_version
    while True:
        retype = RETYPERS.get((event_type, version))
        target = current.get(event_type)
        lifts = target is not None and version < target
        step: Callable[[Body], Any] | None = retype or (UPCASTERS.get((event_type, version)) if lifts else None)
        if step is None:
            if target is None:
                raise JournalCorrupted(sequence, f"unknown event type {event_type!r}")
            if version == target:
                return event_type, body
            if version > target:
                raise JournalCorrupted(sequence, f"{event_type} v{version} is newer than this code")
            raise JournalCorrupted(sequence, f"no upcaster for {event_type} v{version}")
        try:
            lifted = step(body)
        except (KeyError, TypeError, ValueError) as error:
            raise JournalCorrupted(sequence, f"{event_type} v{version} cannot be upcast: {error!r}") from None
        if retype is not None:
            event_type, version, body = lifted
        else:
            body, version = lifted, version + 1
