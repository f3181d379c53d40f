"""Identity files for CLI tests: one folder holding an identity for each principal a run needs.

``ringfence venue apply`` authenticates every sender with an identity file; the example venue
and script are sent by these principals (its admin, the three oracle feeders, the funder, the
traders and the keeper).
"""

from __future__ import annotations

from pathlib import Path

from ringfence.service.identity import create_identity_file

__all__ = ["EXAMPLE_PRINCIPALS", "VENUE_PRINCIPALS", "make_identities"]

VENUE_PRINCIPALS = ("admin", "chainlink", "pyth", "redstone", "lpfund")
"""The senders of ``examples/venue.toml``: the admin's genesis, the feeders' prices, lpfund's funding."""
EXAMPLE_PRINCIPALS = (*VENUE_PRINCIPALS, "carol", "dave", "erin", "frank", "keeper")
"""Every sender of the example venue and of the scripts the CLI tests write."""


def make_identities(folder: Path, names: tuple[str, ...] = EXAMPLE_PRINCIPALS) -> Path:
    """Create ``folder`` (mode 0700) with ``NAME.identity`` for each name; return the folder."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in names:
        create_identity_file(folder / f"{name}.identity", name)
    return folder
