"""A lock-and-mint bridge between two domains, in integer atoms (the lab's model, not the engine's).

A bridge is not part of either venue: it lives between them. ``lock`` takes the native asset on
the native domain into the bridge's escrow and sends a *mint* message; ``burn`` takes wrapped
tokens on the wrapped domain out of circulation and sends a *release* message. A message is
delivered ``latency_steps`` after it was sent. While the bridge is **halted** no new transfer
is accepted (``BridgeHalted``) and messages in flight are frozen: none is delivered until the
bridge resumes (Multichain, July 2023, stopped processing cross-chain messages, leaving
transfers in flight and wrapped tokens unredeemable; Wormhole's and Nomad's 2022 exploits
paused theirs).

Invariant (checked by :meth:`Bridge.check`): ``escrow = wrapped supply + mints in flight −
releases in flight`` for every atom, whatever the halt does; a halt changes when value moves,
never how much.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ringfence.core.errors import CommandRejected, InvariantViolation

__all__ = ["Bridge", "BridgeHalted", "BridgeMessage", "Direction"]


class Direction(enum.Enum):
    """Which way a message goes."""

    MINT = "mint"
    """Native locked on the native domain; wrapped minted on the wrapped domain on delivery."""
    RELEASE = "release"
    """Wrapped burnt on the wrapped domain; native released from escrow on delivery."""


class BridgeHalted(CommandRejected):
    """The bridge accepts no transfer while halted."""

    code = "bridge_halted"

    def __init__(self, bridge: str, step: int) -> None:
        super().__init__(f"bridge {bridge} is halted at step {step}: no transfer is accepted")
        self.bridge, self.step = bridge, step


@dataclass(frozen=True, slots=True)
class BridgeMessage:
    """A transfer in flight: ``amount_atoms`` for ``recipient``, due at ``due_step``."""

    direction: Direction
    recipient: str
    amount_atoms: int
    sent_step: int
    due_step: int


@dataclass(slots=True)
class Bridge:
    """One bridge's escrow, wrapped supply and messages in flight."""

    name: str
    latency_steps: int
    escrow_atoms: int = 0
    wrapped_supply_atoms: int = 0
    in_flight: list[BridgeMessage] = field(default_factory=list)
    halted: bool = False

    def genesis(self, amount_atoms: int) -> None:
        """Record wrapped tokens already outside the bridge at the start, backed by as much escrow."""
        self._positive(amount_atoms)
        self.escrow_atoms += amount_atoms
        self.wrapped_supply_atoms += amount_atoms

    def lock(self, recipient: str, amount_atoms: int, step: int) -> BridgeMessage:
        """Take ``amount_atoms`` of the native asset into escrow and send a mint message.

        Raises
        ------
        BridgeHalted
            The bridge is halted (nothing is taken).
        """
        self._open(step)
        self._positive(amount_atoms)
        self.escrow_atoms += amount_atoms
        return self._send(Direction.MINT, recipient, amount_atoms, step)

    def burn(self, recipient: str, amount_atoms: int, step: int) -> BridgeMessage:
        """Burn ``amount_atoms`` of wrapped tokens and send a release message.

        Raises
        ------
        BridgeHalted
            The bridge is halted (nothing is burnt).
        CommandRejected
            More than the wrapped supply.
        """
        self._open(step)
        self._positive(amount_atoms)
        if amount_atoms > self.wrapped_supply_atoms:
            raise CommandRejected(f"burn of {amount_atoms} exceeds the wrapped supply {self.wrapped_supply_atoms}")
        self.wrapped_supply_atoms -= amount_atoms
        return self._send(Direction.RELEASE, recipient, amount_atoms, step)

    def deliver(self, step: int) -> list[BridgeMessage]:
        """Return the messages due at ``step`` (none while halted), in the order sent, and settle them."""
        if self.halted:
            return []
        due = [m for m in self.in_flight if m.due_step <= step]
        self.in_flight = [m for m in self.in_flight if m.due_step > step]
        for message in due:
            if message.direction is Direction.MINT:
                self.wrapped_supply_atoms += message.amount_atoms
            else:
                self.escrow_atoms -= message.amount_atoms
        return due

    def in_flight_atoms(self, direction: Direction, recipient: str | None = None) -> int:
        """Return the atoms in flight one way (for one recipient, or all)."""
        return sum(
            m.amount_atoms
            for m in self.in_flight
            if m.direction is direction and (recipient is None or m.recipient == recipient)
        )

    def check(self) -> None:
        """Check that the escrow backs the wrapped supply and every message in flight, to the atom.

        Raises
        ------
        InvariantViolation
            The escrow differs from wrapped supply + mints in flight + releases in flight (a bug).
        """
        backing = (
            self.wrapped_supply_atoms + self.in_flight_atoms(Direction.MINT) + self.in_flight_atoms(Direction.RELEASE)
        )
        if backing != self.escrow_atoms:
            raise InvariantViolation("bridge backing", f"{self.name}: escrow {self.escrow_atoms} != {backing}")

    def _send(self, direction: Direction, recipient: str, amount_atoms: int, step: int) -> BridgeMessage:
        message = BridgeMessage(direction, recipient, amount_atoms, step, step + self.latency_steps)
        self.in_flight.append(message)
        return message

    def _open(self, step: int) -> None:
        if self.halted:
            raise BridgeHalted(self.name, step)

    @staticmethod
    def _positive(amount_atoms: int) -> None:
        if amount_atoms <= 0:
            raise CommandRejected(f"a bridge transfer needs a positive amount, got {amount_atoms}")
