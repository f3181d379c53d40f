"""``apply(state, command, sender) -> events``: the one decide → evolve step every caller runs.

The engine service, the venue loader, and the stress lab's exact engine all change state by
this function, so a command means the same thing wherever it runs; replay evolves stored events
with :func:`ringfence.core.evolve.evolve_all` (no decision to repeat).
"""

from __future__ import annotations

from ringfence.core.commands import Command
from ringfence.core.decide import decide
from ringfence.core.events import Event
from ringfence.core.evolve import evolve
from ringfence.core.state import LedgerState

__all__ = ["apply"]


def apply(state: LedgerState, command: Command, sender: str) -> list[Event]:
    """Decide ``command`` from ``sender`` against ``state``, evolve ``state`` by each event, return the events.

    Raises
    ------
    RingfenceError
        The command's rejection (:mod:`ringfence.core.errors`); ``decide`` raised before any
        event existed, so ``state`` is unchanged.
    """
    events = decide(state, command, sender)
    for event in events:
        evolve(state, event)
    return events
