"""The demo workspace: every kind of bubble on the first start, and only once."""

from __future__ import annotations

from pathlib import Path

from imkit_tui import messages
from imkit_tui.commands.demo import DEMO_GROUP, create_demo
from imkit_tui.core import IMClient
from imkit_tui.core.message_files import media_url_of
from imkit_tui.protocol import ConversationType, ConvRef
from tests.conftest import FAST_BACKOFF, ServerHandle


async def test_the_demo_shows_every_kind_of_message_once(
    server_handle: ServerHandle, tmp_path: Path
) -> None:
    server = server_handle.server
    assert server is not None
    await create_demo(server, "me", tmp_path / "demo-stores")
    await create_demo(server, "me", tmp_path / "demo-stores")  # a second start adds nothing
    me = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("me"),
        store_path=tmp_path / "me" / "store.db",
        backoff=FAST_BACKOFF,
    )
    await me.start()
    try:
        await me.wait_synced(timeout=10)
        group = await me.load_history(ConvRef(type=ConversationType.GROUP, target=DEMO_GROUP))
        kinds = [m.object_name for m in group]
        for name in (messages.IMAGE, messages.VOICE, messages.FILE, messages.LOCATION):
            assert kinds.count(name) == 1, kinds
        for message in group:
            if message.object_name in (messages.IMAGE, messages.VOICE, messages.FILE):
                assert media_url_of(message.object_name, message.content)
                path = await me.download(message)
                assert path.stat().st_size > 0
        alice = await me.load_history(ConvRef.private("alice"))
        (call,) = [m for m in alice if m.object_name == messages.CALL_HANGUP]
        assert messages.summarize(call.object_name, call.content) == "Voice call · 3:12"
    finally:
        await me.close()
