"""A typed Python client of the venue service (httpx).

::

    from ringfence.http.client import RingfenceClient
    from ringfence.service.identity import load_identity_file

    with RingfenceClient("http://127.0.0.1:8000", load_identity_file(Path("ids/carol.identity"))) as carol:
        carol.deposit(0, "USDC", 10_000 * 10**6)
        carol.trade(0, "eth", "ETH-PERP", size_delta_atoms=10**18, mode="cross")
        print(carol.account("carol", 0).maintenance.health)
        for event in carol.events(after=0, follow=False):
            print(event.sequence, event.type)

Every call returns the response model of :mod:`ringfence.http.schemas`; an error response raises
:class:`ProblemError`, whose ``error`` is the name of the error in ringfence's tree
(``ActingAsAnother``, ``InsufficientMargin``, ...). Commands are signed with a fresh bearer token
(:func:`~ringfence.http.tokens.mint_token`) minted from the identity for the venue's audience
(read once from ``GET /v1/venue``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from ringfence.core.errors import RingfenceError
from ringfence.http.schemas import (
    AccountView,
    BreakerView,
    CommandReceipt,
    EntryView,
    HealthDistribution,
    MarketView,
    OwnerView,
    PoolView,
    PrincipalView,
    Problem,
    StressResults,
    VenueView,
)
from ringfence.http.tokens import DEFAULT_LIFETIME_S, mint_token
from ringfence.service.identity import Identity

__all__ = ["ProblemError", "RingfenceClient", "StreamedEvent"]

M = TypeVar("M", bound=BaseModel)
_RENEW_BEFORE_S = 30


class ProblemError(RingfenceError):
    """The service answered with a problem: ``status``, ``error`` (the tree's name), ``problem`` (the whole body)."""

    def __init__(self, status: int, problem: Problem, retry_after_s: float | None = None) -> None:
        super().__init__(f"{status} {problem.error}: {problem.detail}")
        self.status = status
        self.error = problem.error
        self.problem = problem
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class StreamedEvent:
    """One event of the live stream: the journal entry's sequence, type, command id and payload."""

    sequence: int
    type: str
    command_id: str
    schema_version: int
    payload: dict[str, Any]


class RingfenceClient:
    """A client of one venue service, acting as one principal (or anonymous for reads).

    Parameters
    ----------
    base_url:
        The service, e.g. ``http://127.0.0.1:8000``.
    identity:
        The principal's identity (``None``: reads only).
    audience:
        The venue's audience (default: read from ``GET /v1/venue`` on first use).
    transport:
        An httpx transport (tests may pass one; by default, the network).
    """

    def __init__(
        self,
        base_url: str,
        identity: Identity | None = None,
        *,
        audience: str | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.identity = identity
        self._audience = audience
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)
        self._token: tuple[str, float] | None = None

    def __enter__(self) -> RingfenceClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    @property
    def audience(self) -> str:
        """The venue's token audience."""
        if self._audience is None:
            self._audience = self.venue().audience
        return self._audience

    def token(self) -> str:
        """Return a bearer token for the identity, minting a new one when the last is near expiry."""
        if self.identity is None:
            raise ValueError("this client has no identity: it can only read")
        now = time.time()
        if self._token is None or self._token[1] - _RENEW_BEFORE_S < now:
            token = mint_token(self.identity, self.audience, now_s=int(now))
            self._token = (token, int(now) + DEFAULT_LIFETIME_S)
        return self._token[0]

    def _request(self, method: str, path: str, *, auth: bool = False, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        response = self._http.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise _problem(response)
        return response

    def _get(self, model: type[M], path: str, **params: Any) -> M:
        return model.model_validate_json(self._request("GET", path, params=_params(params)).content)

    def _get_list(self, model: type[M], path: str, **params: Any) -> list[M]:
        return TypeAdapter(list[model]).validate_json(  # type: ignore[valid-type]
            self._request("GET", path, params=_params(params)).content
        )

    # venue and principals

    def venue(self) -> VenueView:
        """Return the venue's audience, journal head and clock."""
        return self._get(VenueView, "/v1/venue")

    def register(self) -> CommandReceipt:
        """Register this client's identity as a principal (its key proves itself: self-registration)."""
        if self.identity is None:
            raise ValueError("this client has no identity to register")
        body = {"name": self.identity.name, "public_key_hex": self.identity.public_key_hex}
        response = self._request("POST", "/v1/principals", auth=True, json=body)
        return CommandReceipt.model_validate_json(response.content)

    def principal(self, name: str) -> PrincipalView:
        """Return a principal's registered key and roles."""
        return self._get(PrincipalView, f"/v1/principals/{name}")

    # commands

    def send(self, command_type: str, /, command_id: str | None = None, **fields: Any) -> CommandReceipt:
        """Send one command (``send("Deposit", owner=..., ...)``); return its receipt once durable.

        Raises
        ------
        ProblemError
            The venue refused it (nothing changed), or the request failed.
        """
        body: dict[str, Any] = {"type": command_type, **fields}
        if command_id is not None:
            body["command_id"] = command_id
        response = self._request("POST", "/v1/commands", auth=True, json=body)
        return CommandReceipt.model_validate_json(response.content)

    def _me(self) -> str:
        if self.identity is None:
            raise ValueError("this client has no identity: it can only read")
        return self.identity.name

    def deposit(self, sub_account: int, asset: str, amount_atoms: int, command_id: str | None = None) -> CommandReceipt:
        """Deposit into one of this principal's sub-accounts."""
        return self.send(
            "Deposit", command_id, owner=self._me(), sub_account=sub_account, asset=asset, amount_atoms=amount_atoms
        )

    def withdraw(
        self, sub_account: int, asset: str, amount_atoms: int, command_id: str | None = None
    ) -> CommandReceipt:
        """Withdraw from one of this principal's sub-accounts."""
        return self.send(
            "Withdraw", command_id, owner=self._me(), sub_account=sub_account, asset=asset, amount_atoms=amount_atoms
        )

    def trade(
        self,
        sub_account: int,
        pool: str,
        market: str,
        *,
        size_delta_atoms: int,
        mode: str = "cross",
        margin_atoms: int = 0,
        limit_price_wad: int = 0,
        command_id: str | None = None,
    ) -> CommandReceipt:
        """Change a position of one of this principal's sub-accounts (long > 0)."""
        return self.send(
            "Trade",
            command_id,
            owner=self._me(),
            sub_account=sub_account,
            pool=pool,
            market=market,
            size_delta_atoms=size_delta_atoms,
            mode=mode,
            margin_atoms=margin_atoms,
            limit_price_wad=limit_price_wad,
        )

    def liquidate(
        self,
        owner: str,
        sub_account: int,
        pool: str,
        market: str,
        *,
        keeper_sub_account: int = 0,
        command_id: str | None = None,
    ) -> CommandReceipt:
        """Liquidate another owner's position below maintenance, as keeper into this principal's sub-account."""
        return self.send(
            "Liquidate",
            command_id,
            keeper_owner=self._me(),
            keeper_sub_account=keeper_sub_account,
            owner=owner,
            sub_account=sub_account,
            pool=pool,
            market=market,
        )

    def submit_price(
        self, asset: str, price_wad: int, published_ns: int, confidence_wad: int = 0, command_id: str | None = None
    ) -> CommandReceipt:
        """Submit a price as one of the asset's oracle sources (this principal's name is the source)."""
        return self.send(
            "SubmitPrice",
            command_id,
            asset=asset,
            source=self._me(),
            price_wad=price_wad,
            confidence_wad=confidence_wad,
            published_ns=published_ns,
        )

    # queries

    def pools(self) -> list[PoolView]:
        """Return every pool."""
        return self._get_list(PoolView, "/v1/pools")

    def pool(self, pool: str) -> PoolView:
        """Return one pool."""
        return self._get(PoolView, f"/v1/pools/{pool}")

    def markets(self) -> list[MarketView]:
        """Return every market."""
        return self._get_list(MarketView, "/v1/markets")

    def accounts(self, owner: str | None = None, *, liquidatable: bool = False) -> list[AccountView]:
        """Return every sub-account with health (of one owner; only those with a position below maintenance).

        Follows the service's pages (``Link: rel="next"``) to the last; :meth:`accounts_page` reads one.
        """
        found: list[AccountView] = []
        cursor: str | None = None
        while True:
            page, cursor = self.accounts_page(owner, liquidatable=liquidatable, cursor=cursor)
            found.extend(page)
            if cursor is None:
                return found

    def accounts_page(
        self,
        owner: str | None = None,
        *,
        liquidatable: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> tuple[list[AccountView], str | None]:
        """Return one page of sub-accounts and the cursor of the next page (None on the last)."""
        params = _params({"owner": owner, "liquidatable": liquidatable or None, "limit": limit, "cursor": cursor})
        response = self._request("GET", "/v1/accounts", params=params)
        page = TypeAdapter(list[AccountView]).validate_json(response.content)
        following = response.links.get("next", {}).get("url")
        return page, (httpx.URL(following).params.get("cursor") if following else None)

    def account(self, owner: str, sub_account: int) -> AccountView:
        """Return one sub-account."""
        return self._get(AccountView, f"/v1/accounts/{owner}/{sub_account}")

    def owner(
        self,
        owner: str | None = None,
        *,
        volatility: Mapping[str, str | float] | None = None,
        horizon: str = "1d",
        threshold: str = "0.5%",
        vaults_only: bool = False,
    ) -> OwnerView:
        """Return an owner's vaults across pools with their risk (signed: the owner, an admin or a risk model).

        ``owner`` defaults to this client's principal. ``volatility`` maps each asset the owner holds to
        its yearly volatility (``"80%"`` or ``0.8``); without it the view has no probability and no
        allocation.
        """
        params: dict[str, Any] = {
            "volatility": [f"{asset}={ratio}" for asset, ratio in (volatility or {}).items()] or None,
            "horizon": horizon,
            "threshold": threshold,
            "vaults_only": vaults_only or None,
        }
        response = self._request("GET", f"/v1/owners/{owner or self._me()}", auth=True, params=_params(params))
        return OwnerView.model_validate_json(response.content)

    def health(self) -> HealthDistribution:
        """Return the distribution of maintenance health."""
        return self._get(HealthDistribution, "/v1/health")

    def liquidations(self, after: int = 0, limit: int = 100) -> list[EntryView]:
        """Return the liquidation feed after a sequence."""
        return self._get_list(EntryView, "/v1/liquidations", after=after, limit=limit)

    def breakers(self) -> BreakerView:
        """Return each pool's status and each oracle's guard."""
        return self._get(BreakerView, "/v1/breakers")

    def stress(self) -> StressResults:
        """Return the stress results the service serves."""
        return self._get(StressResults, "/v1/stress")

    def journal(self, after: int = 0, limit: int = 100) -> list[EntryView]:
        """Return journal entries after a sequence."""
        return self._get_list(EntryView, "/v1/journal", after=after, limit=limit)

    def events(self, after: int = 0, *, follow: bool = True) -> Iterator[StreamedEvent]:
        """Yield the event stream from ``after``; with ``follow``, reconnect after a dropped connection.

        The stream resumes where it stopped (``Last-Event-ID``), so a reconnection neither skips
        nor repeats an event.
        """
        last = after
        while True:
            try:
                for event in self._stream(last, follow):
                    last = event.sequence
                    yield event
                return
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError):
                if not follow:
                    raise
                time.sleep(1.0)

    def _stream(self, after: int, follow: bool) -> Iterator[StreamedEvent]:
        params = {"follow": "true" if follow else "false"}
        headers = {"Last-Event-ID": str(after), "Accept": "text/event-stream"}
        with self._http.stream("GET", "/v1/events", params=params, headers=headers, timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                raise _problem(response)
            data: list[str] = []
            for line in response.iter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    entry = json.loads("\n".join(data))
                    data = []
                    yield StreamedEvent(
                        sequence=entry["sequence"],
                        type=entry["type"],
                        command_id=entry["command_id"],
                        schema_version=entry["schema_version"],
                        payload=entry["payload"],
                    )


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {name: ("true" if value is True else value) for name, value in params.items() if value is not None}


def _problem(response: httpx.Response) -> ProblemError:
    try:
        problem = Problem.model_validate_json(response.content)
    except ValueError:
        problem = Problem(
            type="about:blank",
            title=response.reason_phrase,
            status=response.status_code,
            detail=response.text[:500],
            error="HTTPError",
            code="http_error",
        )
    retry = response.headers.get("Retry-After")
    return ProblemError(response.status_code, problem, float(retry) if retry is not None else None)
