"""Offline pushes of ultra group messages through Apprise (json:// to a real local
backend): each member's notification level and DND decide who is pushed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from imkit_tui.protocol import ConvRef, SendAck, SendMessage, UltraSettings, UltraUpdate
from tests.test_hooks_push import pushing

LEVELS = {"bob": "all", "carol": "mentions", "dave": "mentions_me", "erin": "none"}


@pytest.mark.parametrize(
    ("mention", "pushed"),
    [
        (None, {"bob"}),
        ({"type": 1, "userIdList": []}, {"bob", "carol"}),
        # Not carol: "mentions" is @ of her or of all, and this names others.
        ({"type": 2, "userIdList": ["dave", "erin", "frank"]}, {"bob", "dave"}),
    ],
)
async def test_levels_and_dnd_decide_the_offline_pushes(
    tmp_path: Path, mention: dict[str, Any] | None, pushed: set[str]
) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        client = p.api.client
        form = {"userId": "alice", "groupId": "pg", "groupName": "Pushy"}
        await client.ok("/ultragroup/create.json", form)
        members = [*LEVELS, "frank"]
        for user in members:
            await client.ok("/ultragroup/join.json", {"userId": user, "groupId": "pg"})
            url = p.backend.url.replace("http://", "json://") + f"/push-{user}"
            await client.ok("/user/push/url/set.json", {"userId": user, "url": url})
            device = await p.api.handle.login(user)
            settings = UltraSettings(group="pg", level=LEVELS.get(user, "default"))  # type: ignore[arg-type]
            if user == "frank":  # every level would push a mention; DND silences it
                settings = UltraSettings(group="pg", channel="", dnd=True)
            assert isinstance(await device.request(settings), UltraUpdate)
            await device.close()  # offline from now on
        alice = await p.api.handle.login("alice")
        content: dict[str, Any] = {"content": "news"}
        if mention:
            content["mentionedInfo"] = mention
        sent = await alice.request(
            SendMessage(
                conv=ConvRef(type=10, target="pg"),
                object_name="RC:TxtMsg",
                content=content,
                cmid="n1",
            )
        )
        assert isinstance(sent, SendAck)

        def got() -> set[str]:
            return {u for u in members if p.backend.bodies(f"/push-{u}")}

        await p.backend.until(lambda: got() == pushed)
        await asyncio.sleep(0.8)  # nothing more comes
        assert got() == pushed
        (push,) = p.backend.bodies("/push-bob")
        assert push.body["title"] == "pg" and push.body["message"] == "alice: news"
        await alice.close()
