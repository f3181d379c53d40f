"""``ringfence serve`` as a real child process on loopback, and a load of clients that deposit into it.

Used by the SIGKILL test (``tests/e2e/test_service_crash.py``) and the load benchmark
(``benchmarks/bench_service.py``): both need the server as a separate process (so it can be
SIGKILLed, and so its CPU is not the client's), a journal that outlives it, and clients that
record exactly which commands the server acknowledged (a ``2xx`` answer received).

A client is one principal ``NAME`` (a fresh Ed25519 identity) that registers itself
(``POST /v1/principals``, self-registration) and then sends deposits of USDC into its own
sub-account 0, each with a client command id ``d{N}``; the journal stores it as ``NAME/d{N}``
(the service's idempotency key), so acknowledged ids can be looked up in the journal.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ringfence.http.tokens import MAX_LIFETIME_S, mint_token
from ringfence.service.identity import Identity

__all__ = [
    "DepositClient",
    "ServeProcess",
    "async_http",
    "audience_of",
    "free_port",
    "register_all",
    "ringfence_command",
    "run_deposits",
]

READY_TIMEOUT_S = 60.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ringfence_command() -> list[str]:
    """The ``ringfence`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("ringfence")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from ringfence.cli.main import main; main()"]


@dataclass
class ServeProcess:
    """One server process: its command line (without ``--port``), log file and port."""

    arguments: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process and wait until ``GET /v1/venue`` answers (a fresh port on every start)."""
        self.port = free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*self.arguments, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(self.env or {})},
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/v1/venue", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer in {READY_TIMEOUT_S} s:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the process and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop it gracefully (SIGTERM; SIGKILL after 20 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


class _Refused(Exception):
    """An answer the lean client could not read as HTTP/1.1 with a ``Content-Length`` (counted, ends the client)."""


@dataclass
class DepositClient:
    """One principal depositing 1 atom of USDC at a time and recording what was acknowledged.

    Registration goes through httpx (once, before any timed window). The deposits go over one
    keep-alive HTTP/1.1 connection of the client's own, written and read with asyncio streams:
    each request is the same bytes but for its command id (built once per request, nothing
    parsed but the status line, ``Content-Length`` and the receipt's ``command_id``), so the
    load generator costs a few tens of microseconds of CPU per request rather than httpx's
    milliseconds, and a load test measures the server rather than its clients.
    """

    identity: Identity
    acknowledged: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    acknowledged_at: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    next_number: int = 0
    _token: str = ""

    @property
    def name(self) -> str:
        return self.identity.name

    def command_id(self, number: int) -> str:
        """The id the journal stores for deposit ``number`` of this client."""
        return f"{self.name}/d{number}"

    async def register(self, http: httpx.AsyncClient, audience: str) -> None:
        """Mint a token (the longest lifetime the service accepts) and register this principal."""
        self._token = mint_token(self.identity, audience, lifetime_s=MAX_LIFETIME_S)
        body = {"name": self.name, "public_key_hex": self.identity.public_key_hex}
        response = await http.post("/v1/principals", json=body, headers={"Authorization": f"Bearer {self._token}"})
        if not response.is_success:
            raise RuntimeError(f"registering {self.name}: {response.status_code} {response.text}")

    def renew(self, audience: str) -> None:
        """Mint a fresh token (after a restart, or before the last one expires)."""
        self._token = mint_token(self.identity, audience, lifetime_s=MAX_LIFETIME_S)

    def _request(self, host: str, number: int) -> bytes:
        body = (
            f'{{"type":"Deposit","owner":"{self.name}","sub_account":0,"asset":"USDC","amount_atoms":1,'
            f'"command_id":"d{number}"}}'
        ).encode()
        head = (
            f"POST /v1/commands HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {self._token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        return head + body

    def _fail(self, key: str) -> None:
        self.failures[key] = self.failures.get(key, 0) + 1

    async def deposit_until(self, base_url: str, end: float) -> None:
        """Send deposits one after another until ``end`` (``time.monotonic``) or the server goes away.

        A deposit counts as acknowledged only when its ``2xx`` answer arrived and names its command
        id; a connection error ends the loop (the server was killed), any other answer is counted by
        its status. Latency is taken from just before the request is written to just after the
        whole answer was read.
        """
        url = httpx.URL(base_url)
        host = f"{url.host}:{url.port}"
        try:
            reader, writer = await asyncio.open_connection(url.host, url.port)
        except OSError as error:
            self._fail(type(error).__name__)
            return
        try:
            while time.monotonic() < end:
                number = self.next_number
                self.next_number += 1
                request = self._request(host, number)
                sent = time.monotonic()
                try:
                    writer.write(request)
                    status, body = await _read_answer(reader)
                except (OSError, asyncio.IncompleteReadError, _Refused) as error:
                    self._fail(type(error).__name__)
                    return
                received = time.monotonic()
                if 200 <= status < 300:  # 2xx: the service answers only once the command is durable
                    command_id = self.command_id(number)
                    if json.loads(body).get("command_id") != command_id:
                        self._fail("receipt for another command")
                        return
                    self.acknowledged.append(command_id)
                    self.latencies_s.append(received - sent)
                    self.acknowledged_at.append(received)
                else:
                    self._fail(str(status))
        finally:
            writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one HTTP/1.1 answer: return its status and body (which must have a ``Content-Length``)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise _Refused(f"not an HTTP/1.1 status line: {lines[0]!r}")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise _Refused("an answer without Content-Length")
    return int(parts[1]), await reader.readexactly(length)


async def audience_of(http: httpx.AsyncClient) -> str:
    """The venue's token audience (``GET /v1/venue``)."""
    response = await http.get("/v1/venue")
    response.raise_for_status()
    return str(response.json()["audience"])


def async_http(base_url: str, clients: int) -> httpx.AsyncClient:
    """An httpx client with one keep-alive connection per concurrent client."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(30.0))


async def register_all(base_url: str, clients: Sequence[DepositClient]) -> str:
    """Register every client's principal (one after another: each is one durable command); return the audience."""
    async with async_http(base_url, 1) as http:
        audience = await audience_of(http)
        for client in clients:
            await client.register(http, audience)
    return audience


async def run_deposits(base_url: str, clients: Sequence[DepositClient], duration_s: float, audience: str) -> float:
    """Run every client concurrently for ``duration_s``; return when the window started (monotonic)."""
    for client in clients:
        client.renew(audience)
    start = time.monotonic()
    await asyncio.gather(*(client.deposit_until(base_url, start + duration_s) for client in clients))
    return start
