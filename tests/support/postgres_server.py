"""A throwaway PostgreSQL server for tests and benchmarks: initdb into a temporary folder, a Unix socket only.

PostgreSQL 15's ``initdb`` and ``pg_ctl`` are looked up on ``PATH``, then in
``/usr/lib/postgresql/*/bin`` (Debian's ``postgresql`` package; ``scripts/test`` installs it
when missing). The server listens on no TCP address (``listen_addresses=''``), only on a
socket in its own folder, with ``trust`` authentication for the socket: nothing outside this
machine's processes can reach it.

``initdb`` refuses to run as root, and so does the server: as root, both run as the
unprivileged ``postgres`` user (Debian's package creates it; else ``nobody``) through
``runuser``, in a folder handed to that user. The client (the test) connects as the
database superuser ``ringfence`` whatever its own user is.

:func:`find_binaries` returns None when PostgreSQL is missing; :func:`require_binaries` makes
that a skip on a developer's machine and a failure under CI (``CI`` set).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

SUPERUSER = "ringfence"
DATABASE = "postgres"


@dataclass(frozen=True)
class Binaries:
    initdb: Path
    pg_ctl: Path


def find_binaries() -> Binaries | None:
    """Return PostgreSQL's initdb and pg_ctl, or None when they are not installed."""
    candidates = [Path(found).parent for found in [shutil.which("initdb")] if found]
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return Binaries(folder / "initdb", folder / "pg_ctl")
    return None


def require_binaries() -> Binaries:
    """Return the binaries; skip when missing, except under CI, where a missing PostgreSQL fails."""
    binaries = find_binaries()
    if binaries is None:
        reason = "PostgreSQL's initdb/pg_ctl are not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL journal tests (scripts/test installs postgresql)")
        pytest.skip(f"{reason} (scripts/test installs Debian's postgresql; under CI this fails instead)")
    return binaries


def _server_user() -> str | None:
    """The unprivileged user to run the server as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither 'postgres' nor 'nobody' exists to run PostgreSQL as")


@dataclass
class PostgresServer:
    """One running server in ``folder`` (data, socket and log), stopped by :meth:`stop`."""

    binaries: Binaries
    folder: Path
    user: str | None
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_folder(self) -> Path:
        return self.folder

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _run(self, *arguments: str | Path) -> None:
        command = [str(argument) for argument in arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if completed.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}\n{log}")

    def start(self) -> None:
        """Run initdb (once) and start the server on a Unix socket in the folder.

        ``initdb --no-sync`` skips flushing the new cluster's files (they are thrown away with the
        folder); the running server keeps ``fsync`` and ``synchronous_commit`` on, as in production.
        """
        if not self.data.exists():
            self._run(
                self.binaries.initdb,
                "-D",
                self.data,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            )
        options = [f"-k {self.socket_folder}", "-c listen_addresses=''"]
        options += [f"-c {name}={value}" for name, value in self.settings.items()]
        self._run(
            self.binaries.pg_ctl, "start", "-w", "-t", "60", "-D", self.data, "-l", self.log, "-o", " ".join(options)
        )

    def stop(self) -> None:
        """Stop the server and remove its folder (immediate shutdown: the data is thrown away, no checkpoint)."""
        try:
            self._run(self.binaries.pg_ctl, "stop", "-w", "-m", "immediate", "-D", self.data)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, database: str = DATABASE, search_path: str | None = None) -> str:
        """A libpq connection string to ``database`` over the socket (optionally in one schema)."""
        dsn = f"host={self.socket_folder} user={SUPERUSER} dbname={database}"
        if search_path is not None:
            dsn += f" options='-c search_path={search_path}'"
        return dsn

    def url(self, database: str = DATABASE) -> str:
        """The same connection as a ``postgresql://`` URL (the socket folder as the ``host`` parameter)."""
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_folder}"

    def create_schema(self, name: str) -> str:
        """Create an empty schema and return a connection string whose journal lives in it."""
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            connection.execute(f'CREATE SCHEMA "{name}"')
        return self.dsn(search_path=name)


def start_server(binaries: Binaries, settings: dict[str, str] | None = None) -> PostgresServer:
    """Create a folder (short path: a socket path has a ~100-byte limit), hand it to the server's user, start."""
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="rf-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(binaries, folder, user, settings or {})
    try:
        server.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server
