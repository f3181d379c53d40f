"""SharedHeadWriter: several writers of one head file never move the head backwards (store/head.py)."""

from __future__ import annotations

from pathlib import Path

from ringfence.store.head import GENESIS_HEAD, HeadWriter, JournalHead, SharedHeadWriter, read_head, write_head
from ringfence.store.keys import JournalKey


def head(sequence: int) -> JournalHead:
    return JournalHead(sequence, f"{sequence:064x}")


def test_a_late_older_head_from_another_writer_does_not_replace_a_newer_one(tmp_path: Path) -> None:
    # Arrange: two writers (two processes of one service) on one head file
    path, key = tmp_path / "venue.head", JournalKey.generate()
    write_head(path, GENESIS_HEAD, key)
    first, second = SharedHeadWriter(path, key), SharedHeadWriter(path, key)

    # Act / Assert: commits 5 (first) and 3 (second) are recorded out of commit order
    first.write(head(5))
    second.write(head(3))
    assert read_head(path, key) == head(5)
    second.write(head(7))
    first.write(head(6))
    assert read_head(path, key) == head(7)
    first.close()
    second.close()


def test_the_single_writer_head_writer_moves_a_shared_head_backwards(tmp_path: Path) -> None:
    # Why the shared writer exists: two single-writer HeadWriters each overwrite their idea of the older slot.
    path, key = tmp_path / "venue.head", JournalKey.generate()
    write_head(path, GENESIS_HEAD, key)
    first, second = HeadWriter(path, key), HeadWriter(path, key)

    second.write(head(2))  # slot 1; second will write slot 0 next
    first.write(head(5))  # first opens now: slot 1 is newest, so it writes slot 0
    second.write(head(4))  # slot 0, as second planned: 5 is overwritten by an older head
    assert read_head(path, key) == head(4)
    first.close()
    second.close()
