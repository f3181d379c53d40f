"""Authentication failures, rate limits and errors as application/problem+json carrying the core's error names."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ringfence.http import RateLimits
from ringfence.http.client import ProblemError
from ringfence.http.tokens import mint_token
from ringfence.service.identity import Identity
from support.service import USDC, LiveService, live_service


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with live_service(tmp_path_factory.mktemp("errors")) as running:
        with running.client("carol") as carol:
            carol.register()
        yield running


def _post(live: LiveService, token: str | None, body: object, path: str = "/v1/commands") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{live.base_url}{path}", json=body, headers=headers, timeout=10)


DEPOSIT = {"type": "Deposit", "owner": "carol", "sub_account": 0, "asset": "USDC", "amount_atoms": 1}


def _problem(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def test_no_token_is_401(live: LiveService) -> None:
    _problem(_post(live, None, DEPOSIT), 401, "NotAuthenticated")


def test_a_token_signed_by_another_key_is_401(live: LiveService) -> None:
    impostor = Identity.generate("carol")
    body = _problem(_post(live, mint_token(impostor, live.service.settings.audience), DEPOSIT), 401, "NotAuthenticated")
    assert "not signed by the key registered for 'carol'" in body["detail"]


def test_an_expired_token_is_401(live: LiveService) -> None:
    issued = int(time.time()) - 600
    token = mint_token(live.identities["carol"], live.service.settings.audience, lifetime_s=120, now_s=issued)
    assert "expired" in _problem(_post(live, token, DEPOSIT), 401, "NotAuthenticated")["detail"]


def test_a_token_for_another_venue_is_401(live: LiveService) -> None:
    token = mint_token(live.identities["carol"], "ringfence:another-venue")
    assert "not for this venue" in _problem(_post(live, token, DEPOSIT), 401, "NotAuthenticated")["detail"]


def test_a_long_lived_token_is_401(live: LiveService) -> None:
    token = mint_token(live.identities["carol"], live.service.settings.audience, lifetime_s=3_600)
    assert "at most 300 s" in _problem(_post(live, token, DEPOSIT), 401, "NotAuthenticated")["detail"]


def test_an_unsigned_token_is_401(live: LiveService) -> None:
    claims = {
        "sub": "carol",
        "aud": live.service.settings.audience,
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, key=None, algorithm="none")
    _problem(_post(live, token, DEPOSIT), 401, "NotAuthenticated")


def test_an_unregistered_principal_is_401_until_it_registers(live: LiveService) -> None:
    frank = live.identities["frank"]
    token = mint_token(frank, live.service.settings.audience)
    frank_deposit = {**DEPOSIT, "owner": "frank"}
    assert (
        "not a registered principal" in _problem(_post(live, token, frank_deposit), 401, "NotAuthenticated")["detail"]
    )

    registered = _post(live, token, {"name": "frank", "public_key_hex": frank.public_key_hex}, "/v1/principals")
    accepted = _post(live, token, frank_deposit)

    assert registered.status_code == 201
    assert registered.json()["events"][0]["type"] == "PrincipalRegistered"
    assert accepted.status_code == 200, accepted.text


def test_registering_with_a_key_one_does_not_hold_is_401(live: LiveService) -> None:
    victim_key = Identity.generate("zed").public_key_hex
    token = mint_token(Identity.generate("zed"), live.service.settings.audience)
    response = _post(live, token, {"name": "zed", "public_key_hex": victim_key}, "/v1/principals")
    _problem(response, 401, "NotAuthenticated")


def test_registering_a_taken_name_is_409(live: LiveService) -> None:
    carol = live.identities["carol"]
    token = mint_token(carol, live.service.settings.audience)
    response = _post(live, token, {"name": "carol", "public_key_hex": carol.public_key_hex}, "/v1/principals")
    _problem(response, 409, "DuplicateEntity")


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"amount_atoms": "1"}, "amount_atoms"),
        ({"amount_atoms": 1.0}, "amount_atoms"),
        ({"extra": 1}, "extra"),
        ({"type": "Explode"}, "type"),
        ({"command_id": "has/slash"}, "command_id"),
    ],
)
def test_a_malformed_body_is_422_at_its_location(live: LiveService, change: dict[str, Any], location: str) -> None:
    token = mint_token(live.identities["carol"], live.service.settings.audience)
    body = _problem(_post(live, token, {**DEPOSIT, **change}), 422, "InvalidCommand")
    assert any(location in ".".join(item["loc"]) or location == "type" for item in body["errors"])


def test_a_command_the_core_finds_invalid_is_422(live: LiveService) -> None:
    token = mint_token(live.identities["carol"], live.service.settings.audience)
    _problem(_post(live, token, {**DEPOSIT, "amount_atoms": 0}), 422, "InvalidAmount")


def test_a_refusal_of_the_venue_is_409_with_its_name(live: LiveService) -> None:
    token = mint_token(live.identities["carol"], live.service.settings.audience)
    body = _problem(
        _post(live, token, {**DEPOSIT, "type": "Withdraw", "amount_atoms": 10**15}), 409, "InsufficientBalance"
    )
    assert body["code"] == "insufficient_balance"


def test_unknown_resources_are_404(live: LiveService) -> None:
    _problem(httpx.get(f"{live.base_url}/v1/pools/nope", timeout=10), 404, "UnknownEntity")
    _problem(httpx.get(f"{live.base_url}/v1/accounts/nobody/0", timeout=10), 404, "UnknownEntity")
    _problem(httpx.get(f"{live.base_url}/v1/stress", timeout=10), 404, "UnknownEntity")
    _problem(httpx.get(f"{live.base_url}/v2/anything", timeout=10), 404, "NotFound")


def test_the_rate_limit_is_per_principal_with_retry_after(tmp_path: Path) -> None:
    with live_service(tmp_path, limits=RateLimits(rate_per_s=0.01, burst=3)) as running:
        with running.client("carol") as carol:
            carol.register()
            results = []
            for _ in range(3):
                try:
                    results.append(carol.deposit(0, "USDC", USDC).command_id)
                except ProblemError as error:
                    results.append(error)
        with running.client("dave") as dave:
            dave.register()
            dave_receipt = dave.deposit(0, "USDC", USDC)
        with running.client() as reader:
            carol_balance = reader.account("carol", 0).balances["USDC"]

    limited = results[-1]
    assert isinstance(limited, ProblemError)
    assert limited.status == 429
    assert limited.error == "RateLimited"
    assert limited.retry_after_s is not None and limited.retry_after_s >= 1
    assert all(isinstance(result, str) for result in results[:-1])
    assert carol_balance == 2 * USDC  # the registration took the first of the three tokens; the refused one nothing
    assert dave_receipt.sender == "dave"
