"""Commands that shape the venue (listing, oracles) or mark its life: registering a principal, opening.

They live apart from :mod:`ringfence.core.commands` so governance can hold them inside a
timelocked proposal (``ProposeVenueChange``) without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConfigureOracle", "OpenVenue", "RegisterAsset", "RegisterPrincipal"]


@dataclass(frozen=True, slots=True)
class RegisterAsset:
    """List an asset with its collateral parameters (SPEC §2.3).

    ``initial_weight_wad ≤ maintenance_weight_wad ≤ WAD``; ``supply_cap_atoms`` bounds the
    total deposited; past ``weight_scale_start_value`` of deposits (in value atoms) the
    initial weight scales down as ``weight · start / deposits`` (Mango v4).
    """

    asset: str
    decimals: int
    initial_weight_wad: int
    maintenance_weight_wad: int
    supply_cap_atoms: int
    weight_scale_start_value: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ConfigureOracle:
    """Set an asset's oracle sources, quorum, guards and stable-price tuning."""

    asset: str
    source_names: tuple[str, ...]
    source_weights: tuple[int, ...]
    quorum: int
    max_staleness_ns: int
    max_deviation_wad: int
    max_confidence_wad: int
    max_jump_wad: int
    guard_release_ns: int
    delay_interval_seconds: int
    delay_growth_limit_wad: int
    stable_growth_limit_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class OpenVenue:
    """The admin ends the venue's genesis (``admin`` is the sender, an admin).

    From now on accounts may act, and listing, oracle and market changes need a timelocked
    proposal.
    """

    admin: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class RegisterPrincipal:
    """Bind a principal's name to its Ed25519 public key (64 hex digits); the sender must be ``name``.

    The core keeps the registry so an adapter can authenticate a sender against the journal
    (the CLI checks a loaded identity's key; the service a signed request); the core itself
    trusts the sender its adapter hands it.
    """

    name: str
    public_key_hex: str
    timestamp_ns: int
