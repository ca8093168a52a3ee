"""A failed message of ours far up a long conversation: the chat view, paging through
the real store up to the start and back down again, shows it once, between the stored
message it follows and the next, whatever page boundary falls near it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from imkit_tui import messages
from imkit_tui.core.models import Message
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConvRef, ErrorCode
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.test_failed_in_place import from_bob
from tests.ui.test_chat_view import settle

ME = "me"
BOB = ConvRef.private("bob")
COUNT = 1200


async def _receive(store: LocalStore, first: int, last: int) -> None:
    records = [from_bob(seq, f"message {seq}") for seq in range(first, last + 1)]
    await store.messages.add_received(BOB, records, Coverage(last, 1, last))


class _StoreChat(App[None]):
    """A chat view that pages from a real store."""

    def __init__(self, store: LocalStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield ChatView(me=ME, loader=self.load, window=120, page=50)

    async def load(self, before_seq: int, limit: int) -> list[Message]:
        return await self.store.messages.page(BOB, before_seq=before_seq, limit=limit)


def _order(shown: list[Message]) -> list[str]:
    return [str(m.content["content"]) for m in shown]


def _in_place(shown: list[Message], failed_id: int, place: int) -> None:
    """The failed message at most once, and when shown, right after message `place`."""
    ids = [m.id for m in shown]
    assert ids.count(failed_id) <= 1, ids
    if failed_id in ids:
        at = ids.index(failed_id)
        if at > 0:
            assert shown[at - 1].seq == place, _order(shown[at - 1 : at + 2])
        if at + 1 < len(shown):
            assert shown[at + 1].seq == place + 1, _order(shown[at - 1 : at + 2])
    seqs = [m.seq for m in shown if m.seq is not None]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a gap in the stored ones"


# Where the failed message was written (after the message of that seq): 600 is the
# newest of a page loaded going up (before 601), 620 the newest of one loaded going
# down (before 621), the failed message then the last one the view holds.
@pytest.mark.parametrize("place", [600, 620])
async def test_paging_up_and_down_shows_a_failed_message_once_in_its_place(
    tmp_path: Path, place: int
) -> None:
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        await _receive(store, 1, place)
        queued = await store.outbox.add(BOB, "own", messages.TEXT, {"content": "refused"}, 1)
        await store.claims.next(1)
        failed = await store.outbox.mark_failed(queued.id, ErrorCode.SENSITIVE_WORD_BLOCKED)
        assert failed is not None and failed.place_seq == place
        await _receive(store, place + 1, COUNT)
        app = _StoreChat(store)
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(ChatView)
            await view.show(await store.messages.page(BOB, limit=50))
            await settle(pilot)
            seen = False
            while await view.load_older():
                _in_place(view.shown, queued.id, place)
                seen = seen or queued.id in [m.id for m in view.shown]
                view.scroll_to(y=0, animate=False)
            assert seen and view.shown[0].seq == 1
            for _ in range(200):
                view.scroll_end(animate=False)
                await settle(pilot)
                await app.workers.wait_for_complete()
                _in_place(view.shown, queued.id, place)
                if view.shown[-1].seq == COUNT:
                    break
            assert view.shown[-1].seq == COUNT
    finally:
        await store.close()
