"""Two services on one journal file (as two processes would be): a stale writer re-decides after a conflict.

Service B has not seen A's commit; its append meets a stream conflict, it rebuilds its state from
the journal, decides its batch again and commits it; its feed (and event stream) then holds A's
entry too, in order, with no gap.
"""

from __future__ import annotations

from pathlib import Path

from ringfence.http import RateLimits, ServiceSettings, create_app
from ringfence.http.client import RingfenceClient
from ringfence.http.genesis import genesis_audience
from ringfence.service.clock import ManualClock
from ringfence.store.sqlite import SqliteJournal
from support.service import USDC, VENUE_START_NS, example_journal, serve_app


def test_a_stale_service_retries_after_a_stream_conflict(tmp_path: Path) -> None:
    journal_path, identities = example_journal(tmp_path)
    journals = [SqliteJournal(journal_path), SqliteJournal(journal_path)]
    try:
        settings = ServiceSettings(
            audience=genesis_audience(journals[0]),
            clock=ManualClock(VENUE_START_NS + 60 * 10**9),
            limits=RateLimits(1_000, 1_000),
        )
        first, second = (create_app(journal, settings) for journal in journals)
        with serve_app(first) as url_a, serve_app(second) as url_b:
            with RingfenceClient(url_a, identities["carol"]) as carol_a:
                carol_a.register()
                deposit_a = carol_a.deposit(0, "USDC", 3 * USDC)
            with RingfenceClient(url_b, identities["dave"]) as dave_b:
                registration_b = dave_b.register()
                deposit_b = dave_b.deposit(0, "USDC", 5 * USDC)
                events_b = [event.sequence for event in dave_b.events(after=deposit_a.first_sequence - 2, follow=False)]
                carol_seen_by_b = dave_b.account("carol", 0).balances["USDC"]
    finally:
        for journal in journals:
            journal.close()

    assert registration_b.first_sequence == (deposit_a.last_sequence or 0) + 1
    assert deposit_b.first_sequence == (registration_b.last_sequence or 0) + 1
    assert carol_seen_by_b == 3 * USDC
    start = deposit_a.first_sequence - 1
    assert events_b == list(range(start, (deposit_b.last_sequence or 0) + 1))
    reopened = SqliteJournal(journal_path, read_only=True)
    try:
        assert reopened.verify() == deposit_b.last_sequence
    finally:
        reopened.close()
