"""Authenticate every sender of a plan before anything runs, and prepare the registrations it needs.

A plan's senders are the venue's admin (its genesis), the feeders of its initial prices, the
owners of its funding, and the sender of every script command. Each must be proven by a loaded
identity (:func:`ringfence.service.authentication.authenticate`): a registered principal by
its registered key, a new one by registering the identity's key, in the batch of its first
command (:class:`~ringfence.service.venue.apply.Registrations`).
"""

from __future__ import annotations

import dataclasses

from ringfence.core.state import LedgerState
from ringfence.service.authentication import Keyring, authenticate
from ringfence.service.venue.apply import Plan
from ringfence.service.venue.compile import Compiled

__all__ = ["authenticate_plan"]


def authenticate_plan(plan: Plan, state: LedgerState, keyring: Keyring) -> Plan:
    """Return ``plan`` with a registration for every sender the journal has not registered yet.

    Each registration is stamped at the time of its principal's first command, and runs in
    that command's batch.

    Raises
    ------
    NotAuthenticated
        Naming every sender without a loaded identity, or whose identity's key is not the one
        the journal registered for it; nothing has run.
    """
    first_sends: dict[str, int] = {}
    for compiled in plan.commands():
        first_sends.setdefault(compiled.sender, compiled.command.timestamp_ns)
    prepared: dict[str, Compiled] = {}
    for sent in authenticate(state.principals, first_sends, keyring):
        prepared[sent.sender] = Compiled(sent.command, keyring.identities[sent.sender].source, {}, sent.sender)
    return dataclasses.replace(plan, registrations=prepared)
