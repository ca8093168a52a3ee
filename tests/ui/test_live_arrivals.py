"""What arrives while the open chat shows only messages of ours that are still
sending: it comes into view at once. Seen in an empty ultra group channel, typing
fast beside another member: a message stored between two of ours came before the
first one's ack, was taken for one above the window, and stayed out of view until the
chat was opened again."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from imkit_tui.core import SendStatus
from imkit_tui.protocol import ConvRef
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.server.operator import Operator
from imkit_tui.server.routing import route_send
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.backend import Received, running_backend
from tests.conftest import ClientFactory, ServerHandle
from tests.test_hooks_routing import FAST
from tests.ui.test_app import make_app, until
from tests.ui.test_attachments import open_chat


async def test_a_reply_comes_into_view_while_only_our_own_message_is_sending(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    server = server_handle.server
    assert server is not None
    secret = load_or_create(server_handle.data_dir, environ={}).app_secret
    answer_now = asyncio.Event()

    async def when_told(_received: Received) -> dict[str, Any]:
        await answer_now.wait()
        return {"pass": 1}

    async with running_backend(secret) as backend:
        backend.answer = when_told
        held = replace(FAST, moderation_url=backend.at("/moderate"), moderation_users=("me",))
        hooks = await start_hooks(server, held)
        try:
            me = await make_client("me")
            app = make_app(me, tmp_path)
            async with app.run_test(size=(80, 24)) as pilot:
                await open_chat(pilot, "alice")
                await pilot.press(*"hi alice", "enter")
                await backend.until(lambda: len(backend.got) == 1)  # held: still sending
                # alice's reply comes by the Server API's road, which no held send stops.
                route = await route_send(server.require_store(), "alice", ConvRef.private("me"), 0)
                await Operator(server).post(route, "alice", "RC:TxtMsg", {"content": "hello?"})
                chat = app.screen.query_one(ChatView)

                def shown() -> list[tuple[str, SendStatus]]:
                    return [(str(m.content["content"]), m.status) for m in chat.shown]

                theirs = ("hello?", SendStatus.RECEIVED)

                await until(
                    pilot,
                    lambda: shown() == [theirs, ("hi alice", SendStatus.SENDING)],
                    "the reply, while ours is held",
                )
                answer_now.set()
                await until(
                    pilot,
                    lambda: shown() == [theirs, ("hi alice", SendStatus.SENT)],
                    "ours, stored after it",
                )
        finally:
            answer_now.set()
            await hooks.stop()
