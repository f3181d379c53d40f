"""Start a service on a new journal: apply a venue file (or the bundled example) as its genesis.

The venue's senders (its admin, oracle feeders, funders) are authenticated with identity files
exactly as ``ringfence venue apply`` does (:mod:`ringfence.service.venue.senders`). For the bundled
example only, identities missing from the folder are created there first (demo keys, mode 0600),
so ``ringfence serve`` on a fresh machine needs nothing made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ringfence.service.authentication import Keyring
from ringfence.service.engine import Engine
from ringfence.service.identity import create_identity_file, default_identity_path
from ringfence.service.venue import Registrations, apply_venue, load_plan
from ringfence.service.venue.senders import authenticate_plan
from ringfence.store.journal import Journal

__all__ = ["EXAMPLE_PRINCIPALS", "Genesis", "apply_genesis", "bundled_venue_path", "genesis_audience"]

EXAMPLE_PRINCIPALS = ("admin", "chainlink", "pyth", "redstone", "lpfund", "carol", "dave", "erin", "keeper")
"""The bundled venue's senders and the example's traders and keeper (the same as examples/script.toml)."""


@dataclass(frozen=True, slots=True)
class Genesis:
    """What starting a venue did: its name, how many commands ran, the identities created."""

    venue: str
    commands: int
    created_identities: tuple[str, ...]


def bundled_venue_path() -> Path:
    """Return the bundled example venue file (a copy of ``examples/venue.toml``)."""
    return Path(str(resources.files("ringfence.http.bundled").joinpath("venue.toml")))


def _create_missing(directory: Path, names: tuple[str, ...]) -> tuple[str, ...]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = []
    for name in names:
        path = default_identity_path(name, directory)
        if not path.exists():
            create_identity_file(path, name)
            created.append(name)
    return tuple(created)


def apply_genesis(journal: Journal, venue_file: Path | None, identity_dir: Path) -> Genesis:
    """Apply ``venue_file`` (``None``: the bundled example) to an empty ``journal``, its senders from ``identity_dir``.

    Raises
    ------
    VenueFileError
        If the venue file is invalid or the venue refuses it (nothing is appended).
    NotAuthenticated, IdentityError
        If a sender has no usable identity file.
    """
    created: tuple[str, ...] = ()
    if venue_file is None:
        venue_file = bundled_venue_path()
        created = _create_missing(identity_dir, EXAMPLE_PRINCIPALS)
    keyring = Keyring.load((), (identity_dir,))
    engine = Engine(journal)
    plan = authenticate_plan(load_plan(engine.state, venue_file), engine.state, keyring)
    count = apply_venue(engine, plan.venue, str(venue_file), Registrations(plan.registrations))
    return Genesis(plan.venue.name, count, created)


def genesis_audience(journal: Journal) -> str:
    """Return the default audience of a venue: ``ringfence:`` and the hash of its journal's first entry.

    The first entry's hash is under the venue's own key, so two venues never share an audience and
    a token for one is refused by the other, whatever backend holds the journal.
    """
    first = next(journal.read(0), None)
    return f"ringfence:{first.hash[:32]}" if first is not None else "ringfence:empty"
