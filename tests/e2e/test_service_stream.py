"""The live event stream: server-sent events that resume from a sequence and deliver new commits."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from ringfence.http.client import StreamedEvent
from ringfence.store.sqlite import SqliteJournal
from support.service import USDC, live_service


def test_the_stream_replays_the_journal_and_resumes_from_a_sequence(tmp_path: Path) -> None:
    with live_service(tmp_path) as live, live.client() as reader:
        whole = list(reader.events(after=0, follow=False))
        tail = list(reader.events(after=17, follow=False))

    journal = SqliteJournal(tmp_path / "venue.sqlite", read_only=True)
    try:
        entries = list(journal.read())
    finally:
        journal.close()
    assert [(event.sequence, event.type, event.command_id) for event in whole] == [
        (entry.sequence, entry.event_type, entry.command_id) for entry in entries
    ]
    assert [event.sequence for event in tail] == [entry.sequence for entry in entries if entry.sequence > 17]


def test_last_event_id_resumes_like_after(tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        head = live.service.journal.head().sequence
        response = httpx.get(
            f"{live.base_url}/v1/events",
            params={"follow": "false"},
            headers={"Last-Event-ID": str(head - 1)},
            timeout=10,
        )
    ids = [line.split(": ")[1] for line in response.text.splitlines() if line.startswith("id: ")]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert ids == [str(head)]


def test_a_following_stream_delivers_a_new_commit(tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        head = live.service.journal.head().sequence
        received: list[StreamedEvent] = []

        def follow() -> None:
            with live.client() as reader:
                for event in reader.events(after=head):
                    received.append(event)
                    if event.type == "CollateralDeposited":
                        return

        listener = threading.Thread(target=follow, daemon=True)
        listener.start()
        with live.client("carol") as carol:
            registration = carol.register()
            receipt = carol.deposit(0, "USDC", 7 * USDC)
        listener.join(10)

    assert not listener.is_alive()
    assert [event.sequence for event in received] == [registration.first_sequence, receipt.first_sequence]
    assert received[-1].payload["amount_atoms"] == 7 * USDC
    assert received[-1].command_id == receipt.command_id


def test_a_reconnecting_event_source_resumes_after_its_last_event_id_not_its_original_after(tmp_path: Path) -> None:
    # a browser's EventSource reconnects to its original URL (?after=0 here) with Last-Event-ID set to the
    # last event it received: the header is the later position and must win (it lost to ?after= before)
    with live_service(tmp_path) as live:
        head = live.service.journal.head().sequence
        response = httpx.get(
            f"{live.base_url}/v1/events",
            params={"follow": "false", "after": "0"},
            headers={"Last-Event-ID": str(head - 1)},
            timeout=10,
        )
    ids = [line.split(": ")[1] for line in response.text.splitlines() if line.startswith("id: ")]
    assert ids == [str(head)]
