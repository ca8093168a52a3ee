"""Storing received pages: the local ids handed back match the rows stored, whether
every record of a page was new or some were held already (repeats are ignored)."""

from __future__ import annotations

from pathlib import Path

from imkit_tui import messages
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConvRef, MessageRecord

CONV = ConvRef.private("alice")


def _record(seq: int) -> MessageRecord:
    return MessageRecord(
        uid=f"uid-{seq:06d}",
        conv=CONV,
        seq=seq,
        sender="alice",
        object_name=messages.TEXT,
        content={"content": f"message {seq}"},
        cmid=f"cmid-{seq}",
        sent_at=1_700_000_000_000 + seq,
    )


async def _check_added(store: LocalStore, seqs: list[int], expected: list[int]) -> None:
    """Store records of `seqs`; those added are `expected`, each with its own stored id."""
    top = max(seqs)
    batch = await store.messages.add_received(
        CONV, [_record(s) for s in seqs], Coverage(synced_seq=top, floor_seq=1, max_seq=top)
    )
    assert [m.seq for m in batch.added] == expected
    stored = await store.messages.by_ids([m.id for m in batch.added])
    assert [(m.id, m.seq, m.uid, m.content) for m in stored] == [
        (m.id, m.seq, m.uid, m.content) for m in batch.added
    ]


async def test_ids_of_a_new_page_and_of_a_page_with_repeats(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "bob.db", "bob")
    try:
        await _check_added(store, list(range(1, 451)), list(range(1, 451)))
        # Held already (3..450) and repeated within the page (452): ignored.
        await _check_added(store, [3, 451, 4, 452, 452, 450, 453], [451, 452, 453])
        await _check_added(store, [454], [454])
        # A page of three statements: the first mostly repeats, the others all new.
        await _check_added(store, list(range(300, 701)), list(range(455, 701)))
    finally:
        await store.close()
