"""Shared test configuration: a derandomised hypothesis profile for CI, and a PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from support.postgres_server import PostgresServer, require_binaries, start_server

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL of the test run's own, on a Unix socket (skipped if missing, failed under CI)."""
    server = start_server(require_binaries())
    yield server
    server.stop()
