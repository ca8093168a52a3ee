"""Offline pushes through Apprise (json:// to a real local backend), from a real server
and its Server API."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from imkit_tui.protocol import ErrorCode, ErrorFrame, Notice, PushUrlState, SetPushUrl
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.hooks.hub import BackendHooks
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from tests.api_client import ApiHandle, running_api
from tests.backend import Backend, running_backend


@dataclass
class Pushing:
    api: ApiHandle
    backend: Backend
    hooks: BackendHooks

    @property
    def pushes(self) -> list[dict[str, str]]:
        return [r.body for r in self.backend.bodies("/push")]

    async def set_url(self, user: str) -> None:
        url = self.backend.url.replace("http://", "json://") + "/push"
        await self.api.client.ok("/user/push/url/set.json", {"userId": user, "url": url})

    async def send(self, sender: str, to: str, text: str, **extra: str) -> None:
        form = {
            "fromUserId": sender,
            "toUserId": to,
            "objectName": "RC:TxtMsg",
            "content": f'{{"content": "{text}"}}',
            **extra,
        }
        await self.api.client.ok("/message/private/publish.json", form)


@contextlib.asynccontextmanager
async def pushing(data: Path, interval: float = 5.0) -> AsyncIterator[Pushing]:
    async with running_api(data) as api:
        assert api.handle.server is not None
        secret = load_or_create(data, environ={}).app_secret
        async with running_backend(secret) as backend:
            config = HooksConfig(
                push=True, push_coalesce_seconds=0.3, push_interval_seconds=interval
            )
            hooks = await start_hooks(api.handle.server, config)
            try:
                yield Pushing(api, backend, hooks)
            finally:
                await hooks.stop()


async def test_a_burst_to_an_offline_user_is_one_push(tmp_path: Path) -> None:
    async with pushing(tmp_path / "server") as p:
        await p.set_url("bob")
        for i in range(4):
            await p.send("alice", "bob", f"hi {i}")
        await p.backend.until(lambda: len(p.pushes) == 1)
        await asyncio.sleep(0.8)  # past the gathering window: nothing more comes
        (push,) = p.pushes
        assert push["title"] == "4 new messages" and push["message"] == "alice: hi 3"


async def test_no_push_for_online_users_or_dnd_conversations(tmp_path: Path) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        for user in ("bob", "carol", "dave"):
            await p.set_url(user)
        dnd = {"requestId": "carol", "conversationType": "1", "targetId": "alice", "isMuted": "1"}
        await p.api.client.ok("/conversation/notification/set.json", dnd)
        bob = await p.api.handle.login("bob")
        await p.send("alice", "bob", "bob is online")
        await p.send("alice", "carol", "carol muted alice")
        await p.send("alice", "dave", "dave is away")
        await p.backend.until(lambda: len(p.pushes) >= 1)
        await asyncio.sleep(0.8)
        assert [(x["title"], x["message"]) for x in p.pushes] == [("alice", "dave is away")]
        await bob.close()


async def test_push_content_wins_over_the_summary_and_uncounted_types_do_not_push(
    tmp_path: Path,
) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        await p.set_url("bob")
        info = {"objectName": "RC:InfoNtf", "content": '{"message": "grey bar"}'}
        await p.api.client.ok(
            "/message/private/publish.json", {"fromUserId": "alice", "toUserId": "bob", **info}
        )
        await p.send("alice", "bob", "secret", pushContent="You have a new message")
        await p.backend.until(lambda: len(p.pushes) >= 1)
        await asyncio.sleep(0.8)
        assert [x["message"] for x in p.pushes] == ["You have a new message"]


async def test_push_paths_notify_only_and_urls_are_checked(tmp_path: Path) -> None:
    async with pushing(tmp_path / "server") as p:
        await p.set_url("bob")
        got = await p.api.client.ok("/user/push/url/get.json", {"userId": "bob"})
        assert got["url"].startswith("json://")
        status, body = await p.api.client.post(
            "/user/push/url/set.json", {"userId": "eve", "url": "nonsense://x"}
        )
        assert (status, body["code"]) == (400, 1002)
        audience = {"userid": ["bob"]}
        await p.api.client.ok(
            "/push.json", json_body={"audience": audience, "notification": {"alert": "sale"}}
        )
        user_push = {"userIds": ["bob"], "notification": {"title": "T", "pushContent": "direct"}}
        await p.api.client.ok("/push/user.json", json_body=user_push)
        await p.backend.until(lambda: len(p.pushes) == 2)
        assert sorted(x["message"] for x in p.pushes) == ["direct", "sale"]
        history = await p.api.handle.server.store.members.changed_conversations("bob", 0, 10)  # type: ignore[union-attr]
        assert history[0] == []  # a push stores nothing


async def test_push_paths_are_not_enabled_without_pushes(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        status, body = await api.client.post("/user/push/url/get.json", {"userId": "bob"})
        assert (status, body["code"]) == (430, 1009)


async def test_an_at_mention_pushes_in_a_muted_group_and_nothing_else_does(
    tmp_path: Path,
) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        server = p.api.handle.server
        assert server is not None
        await server.create_group("g1", "Team", "alice", ["bob"])
        await p.set_url("bob")
        dnd = {"requestId": "bob", "conversationType": "3", "targetId": "g1", "isMuted": "1"}
        await p.api.client.ok("/conversation/notification/set.json", dnd)
        mention = {"type": 2, "userIdList": ["bob"]}
        for text, extra in (("plain", {}), ("hey @bob", {"mentionedInfo": mention})):
            content = {"content": text, **extra}
            form = {
                "fromUserId": "alice",
                "toGroupId": "g1",
                "objectName": "RC:TxtMsg",
                "content": json.dumps(content),
                "isMentioned": "1",
            }
            await p.api.client.ok("/message/group/publish.json", form)
        await p.backend.until(lambda: len(p.pushes) >= 1)
        await asyncio.sleep(0.8)
        assert [(x["title"], x["message"]) for x in p.pushes] == [("g1", "alice: hey @bob")]


async def test_a_broadcast_by_tag_reaches_the_tagged_and_pushes_to_those_offline(
    tmp_path: Path,
) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        for user in ("bob", "carol", "dave"):
            await p.api.client.ok("/user/getToken.json", {"userId": user})
            await p.set_url(user)
        for user in ("bob", "carol"):
            await p.api.client.ok("/user/tag/set.json", json_body={"userId": user, "tags": ["vip"]})
        bob = await p.api.handle.login("bob")
        form = {
            "fromUserId": "admin",
            "objectName": "RC:TxtMsg",
            "content": json.dumps({"content": "vip sale"}),
            "tag": "vip",
        }
        await p.api.client.ok("/message/broadcast.json", form)
        push = await bob.next_push()
        assert push.message.content == {"content": "vip sale"}
        await p.backend.until(lambda: len(p.pushes) >= 1)
        await asyncio.sleep(0.8)
        assert [(x["title"], x["message"]) for x in p.pushes] == [("admin", "vip sale")]
        store = p.api.handle.server.store  # type: ignore[union-attr]
        assert store is not None
        for user, has in (("carol", True), ("dave", False)):
            changed, _, _ = await store.members.changed_conversations(user, 0, 10)
            assert bool(changed) == has, user
        await bob.close()


async def test_a_push_is_a_notice_to_the_online_and_a_push_to_the_offline(
    tmp_path: Path,
) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        for user in ("bob", "carol"):
            await p.set_url(user)
        bob = await p.api.handle.login("bob")
        audience = {"userid": ["bob", "carol"]}
        body = {"audience": audience, "notification": {"alert": "flash sale"}}
        await p.api.client.ok("/push.json", json_body=body)
        notice = await bob.recv()
        assert isinstance(notice, Notice) and notice.body == "flash sale"
        await p.backend.until(lambda: len(p.pushes) >= 1)
        await asyncio.sleep(0.5)
        assert [x["message"] for x in p.pushes] == ["flash sale"]  # carol's only
        await bob.close()


async def test_a_user_sets_their_push_url_from_the_app(tmp_path: Path) -> None:
    async with pushing(tmp_path / "server", interval=0) as p:
        bob = await p.api.handle.login("bob")
        url = p.backend.url.replace("http://", "json://") + "/push"
        first = await bob.request(SetPushUrl())
        assert isinstance(first, PushUrlState) and (first.url, first.pushes) == ("", True)
        state = await bob.request(SetPushUrl(url=f"  {url} "))
        assert isinstance(state, PushUrlState) and state.url == url
        got = await p.api.client.ok("/user/push/url/get.json", {"userId": "bob"})
        assert got["url"] == url  # the same truth as the Server API's
        refused = await bob.request(SetPushUrl(url="nonsense://x"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.INVALID_PARAMETER
        await bob.close()
        await p.send("alice", "bob", "while you were out")
        await p.backend.until(lambda: len(p.pushes) == 1)
        bob = await p.api.handle.login("bob")
        gone = await bob.request(SetPushUrl(url=""))
        assert isinstance(gone, PushUrlState) and gone.url == ""
        await bob.close()


async def test_without_pushes_the_push_url_is_read_as_none_and_not_set(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        bob = await api.handle.login("bob")
        state = await bob.request(SetPushUrl())
        assert isinstance(state, PushUrlState) and (state.url, state.pushes) == ("", False)
        refused = await bob.request(SetPushUrl(url="json://127.0.0.1:1/x"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.INVALID_PARAMETER
        await bob.close()
