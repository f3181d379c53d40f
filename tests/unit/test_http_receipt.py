"""The command path's hand-written forms equal the ones FastAPI and pydantic would have produced.

``Receipt.json`` writes a ``CommandReceipt`` body from the stored entries without the pydantic
model (the payloads are copied in as stored); ``bearer_authorization`` reads an ``Authorization``
header as FastAPI's ``HTTPBearer(auto_error=False)`` does for the documented route. Each is
checked against the library's own result, on every event type's sample and on every kind of header.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.security import HTTPBearer
from starlette.requests import Request

from ringfence.http.command_endpoint import bearer_authorization
from ringfence.http.schemas import CommandReceipt
from ringfence.http.writer import Receipt
from ringfence.store.journal import PendingCommand
from ringfence.store.memory import MemoryJournal
from support.event_samples import EVENT_SAMPLES, STREAM


def _stored_samples() -> list[Receipt]:
    journal = MemoryJournal()
    journal.append(STREAM, 0, [PendingCommand("admin/genesis", EVENT_SAMPLES[:1])])  # entries start past 1
    entries = journal.append(STREAM, 1, [PendingCommand('carol/"quoted"\\id', EVENT_SAMPLES)])
    return [
        Receipt('carol/"quoted"\\id', "carol", tuple(entries)),
        Receipt("carol/d1", "carol", tuple(entries[:1]), duplicate=True),
        Receipt("http-0123", "dave", ()),  # a command that produced no event
    ]


@pytest.mark.parametrize("receipt", _stored_samples(), ids=["every-event", "duplicate", "no-events"])
def test_the_written_receipt_is_the_models_json(receipt: Receipt) -> None:
    written = receipt.json()

    assert json.loads(written) == receipt.model().model_dump(mode="json")
    assert CommandReceipt.model_validate_json(written) == receipt.model()


def test_a_receipt_gives_the_sequences_of_its_first_and_last_entry() -> None:
    receipt = _stored_samples()[0]

    body = json.loads(receipt.json())

    assert (body["first_sequence"], body["last_sequence"]) == (2, 1 + len(EVENT_SAMPLES))
    assert [event["sequence"] for event in body["events"]] == list(range(2, 2 + len(EVENT_SAMPLES)))


HEADERS = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer abc.def.ghi",
    "bearer abc.def.ghi",
    "BEARER  abc.def.ghi",
    "Basic dXNlcjpwYXNz",
    "Token abc",
    "abc.def.ghi",
    "Bearer abc def",
]


def _fastapi_reading(header: str | None) -> str | None:
    headers = [] if header is None else [(b"authorization", header.encode())]
    request = Request({"type": "http", "method": "POST", "path": "/v1/commands", "headers": headers})
    credentials = asyncio.run(HTTPBearer(auto_error=False)(request))
    return None if credentials is None else f"Bearer {credentials.credentials}"


@pytest.mark.parametrize("header", HEADERS)
def test_the_command_endpoint_reads_the_bearer_header_as_fastapi_does(header: str | None) -> None:
    assert bearer_authorization(header) == _fastapi_reading(header)
