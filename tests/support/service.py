"""A live venue service for tests: the bundled example venue on a real SQLite journal, served by uvicorn on loopback.

``live_service(tmp_path)`` applies the bundled venue (``examples/venue.toml``) to a new SQLite
journal with identity files for every example principal, then serves it with a manual clock
starting one minute after the venue's start (the example's prices are then stale, as they would
be: a test has the feeders quote first). The server runs in a thread on a socket bound to
127.0.0.1:0; ``LiveService.client(name)`` is a :class:`~ringfence.http.client.RingfenceClient`
acting as that principal.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from ringfence.core.units import WAD
from ringfence.http import RateLimits, ServiceSettings, VenueService, create_app
from ringfence.http.client import RingfenceClient
from ringfence.http.genesis import EXAMPLE_PRINCIPALS, apply_genesis, genesis_audience
from ringfence.service.authentication import Keyring
from ringfence.service.clock import ManualClock
from ringfence.service.identity import Identity
from ringfence.store.journal import Journal
from ringfence.store.sqlite import SqliteJournal

__all__ = ["FEEDERS", "USDC", "VENUE_START_NS", "LiveService", "live_service", "serve_app"]

SECOND_NS = 10**9
VENUE_START_NS = 1_767_225_600 * SECOND_NS
"""2026-01-01T00:00:00Z, the bundled venue's ``start``."""
USDC = 10**6
ETH = 10**18
FEEDERS = ("chainlink", "pyth", "redstone")


@dataclass
class LiveService:
    """A running service: its URL, app, journal path, clock and the identities of every example principal."""

    base_url: str
    app: FastAPI
    journal_path: Path
    clock: ManualClock
    identities: dict[str, Identity]

    @property
    def service(self) -> VenueService:
        service: VenueService = self.app.state.service
        return service

    def client(self, name: str | None = None) -> RingfenceClient:
        """Return a client acting as ``name`` (anonymous when ``None``)."""
        return RingfenceClient(self.base_url, self.identities[name] if name is not None else None)

    def quote(self, eth_usd: int, *, advance_s: int = 1, btc_usd: int = 65_000) -> None:
        """Advance the clock, then have every feeder quote USDC at 1, ETH and WBTC (whole dollars)."""
        self.clock.advance(advance_s * SECOND_NS)
        now = self.clock.now_ns()
        for feeder in FEEDERS:
            with self.client(feeder) as client:
                for asset, price in (("USDC", 1), ("ETH", eth_usd), ("WBTC", btc_usd)):
                    client.submit_price(asset, price * WAD, now)


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on 127.0.0.1 (a free port); yield its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def example_journal(folder: Path, names: Sequence[str] = EXAMPLE_PRINCIPALS) -> tuple[Path, dict[str, Identity]]:
    """Create the bundled venue's journal in ``folder`` with identities for ``names``; return it and them."""
    identity_dir = folder / "ids"
    journal_path = folder / "venue.sqlite"
    journal = SqliteJournal(journal_path)
    try:
        apply_genesis(journal, None, identity_dir)
    finally:
        journal.close()
    identities = dict(Keyring.load((), (identity_dir,)).identities)
    for name in names:
        if name not in identities:
            identities[name] = Identity.generate(name)
    return journal_path, identities


@contextmanager
def live_service(
    folder: Path,
    *,
    limits: RateLimits | None = None,
    results_dir: Path | None = None,
    wrap: type[Journal] | None = None,
) -> Iterator[LiveService]:
    """Serve the bundled venue from a new journal in ``folder`` (see the module docstring)."""
    journal_path, identities = example_journal(folder, (*EXAMPLE_PRINCIPALS, "mallory", "frank"))
    journal: Journal = SqliteJournal(journal_path)
    if wrap is not None:
        journal = wrap(journal)  # type: ignore[call-arg]
    clock = ManualClock(VENUE_START_NS + 60 * SECOND_NS)
    settings = ServiceSettings(
        audience=genesis_audience(journal),
        clock=clock,
        limits=limits or RateLimits(rate_per_s=10_000, burst=10_000),
        results_dir=results_dir,
    )
    app = create_app(journal, settings)
    try:
        with serve_app(app) as base_url:
            yield LiveService(base_url, app, journal_path, clock, identities)
    finally:
        journal.close()
