"""Journals written by an earlier main replay to the same state today (issue 11's acceptance).

The journals and their expected projections were recorded at git ``b65bfda`` (see
``tests/support/golden.py``); nothing here recomputes the expected values.
"""

from __future__ import annotations

import json

import pytest

from support.golden import EXPECTED, journal_names, projection, replay_golden

EXPECTED_STATES = json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_every_golden_journal_has_a_recorded_state() -> None:
    assert sorted(EXPECTED_STATES) == journal_names()
    assert len(EXPECTED_STATES) >= 10


@pytest.mark.parametrize("name", journal_names())
def test_a_journal_written_by_an_earlier_main_replays_to_the_recorded_state(name: str) -> None:
    replayed = json.loads(json.dumps(projection(replay_golden(name))))
    assert replayed == EXPECTED_STATES[name]
