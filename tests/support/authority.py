"""Senders for tests whose subject is not authority.

Most tests check another rule (margin, liquidation, the journal) and send each command as the
principal it names: its owner, keeper, actor or source, and the venue's admin for the genesis
commands, which name nobody. Authority itself is tested with explicit senders
(``tests/unit/test_authority.py``, ``tests/property/test_authority_properties.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from ringfence.core.authority import acting_field
from ringfence.core.commands import Command, OpenVenue, Sent
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.governance.state import DEFAULT_SETTINGS

__all__ = ["ADMIN", "bootstrap", "named_sender", "open_venue", "sent_as_named"]

ADMIN = "admin"
"""The test venues' admin."""
DAY_NS = 86_400 * 10**9


def named_sender(command: Command) -> str:
    """Return the principal ``command`` names as acting, or the admin for a genesis command."""
    field = acting_field(type(command))
    return ADMIN if field is None else str(getattr(command, field))


def sent_as_named(commands: Iterable[Command]) -> list[Sent]:
    """Return each command as sent by the principal it names (:func:`named_sender`)."""
    return [Sent(named_sender(command), command) for command in commands]


def bootstrap(now_ns: int) -> ConfigureGovernance:
    """Return the first command of a test venue: governance with the admin ``ADMIN``.

    Timelock 2 days and grace period 14 days (Compound's ``Timelock``), steps of at most 25%.
    """
    settings = DEFAULT_SETTINGS
    return ConfigureGovernance(ADMIN, settings.timelock_ns, settings.grace_period_ns, settings.max_step_wad, now_ns)


def open_venue(now_ns: int) -> OpenVenue:
    """Return the admin's command that ends a test venue's genesis."""
    return OpenVenue(ADMIN, now_ns)
