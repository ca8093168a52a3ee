"""The Server API's user paths over real HTTP, their effects seen by real clients."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from imkit_tui.core import ConnectionState, IMClient
from imkit_tui.protocol import (
    ErrorCode,
    ErrorFrame,
    Hello,
    PrivacyState,
    SendAck,
    UpdatePrivacy,
    Welcome,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.clock import now_ms
from tests.api_client import ApiHandle, running_api
from tests.conftest import FAST_BACKOFF, until_client
from tests.wire import WireClient


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


async def _hello(url: str, token: str) -> object:
    """The server's first answer to a login with `token`."""
    async with connect(url) as ws:
        await ws.send(encode(Hello(id=1, versions=[1], token=token, device="t")), text=True)
        raw = await asyncio.wait_for(ws.recv(), 5)
        return decode_server_frame(raw.encode() if isinstance(raw, str) else raw)


async def test_get_token_gives_a_token_that_logs_in_on_the_websocket(api: ApiHandle) -> None:
    body = await api.client.ok("/user/getToken.json", {"userId": "alice", "name": "Alice"})
    assert body["userId"] == "alice" and body["token"]
    assert isinstance(await _hello(api.handle.url, body["token"]), Welcome)
    # A token from `imkit token` (same secret) logs in alike.
    assert isinstance(await _hello(api.handle.url, api.handle.token("alice")), Welcome)
    info = await api.client.ok("/user/info.json", {"userId": "alice"})
    assert info["userName"] == "Alice" and info["createTime"]
    await api.client.ok("/user/refresh.json", {"userId": "alice", "portraitUri": "http://p/a"})
    info = await api.client.ok("/user/info.json", {"userId": "alice"})
    assert (info["userName"], info["userPortrait"]) == ("Alice", "http://p/a")


async def test_an_unsigned_or_badly_signed_request_does_nothing(api: ApiHandle) -> None:
    client = api.client
    status, body = await client.post("/user/getToken.json", {"userId": "eve"}, headers={})
    assert (status, body["code"]) == (401, 1004) and body["errorMessage"]
    bad = {**client.headers(), "Signature": "0" * 40}
    status, body = await client.post("/user/getToken.json", {"userId": "eve"}, headers=bad)
    assert (status, body["code"]) == (401, 1004)
    wrong_key = {**client.headers(), "App-Key": "nope"}
    status, body = await client.post("/user/getToken.json", {"userId": "eve"}, headers=wrong_key)
    assert (status, body["code"]) == (401, 1001)
    replay = client.headers()
    await client.post("/user/checkOnline.json", {"userId": "x"}, headers=replay)
    status, body = await client.post("/user/getToken.json", {"userId": "eve"}, headers=replay)
    assert (status, body["code"]) == (401, 1004)
    assert not await api.handle.server.store.users.exists("eve")  # type: ignore[union-attr]


async def test_unknown_paths_methods_and_bodies_answer_as_the_service(api: ApiHandle) -> None:
    client = api.client
    status, body = await client.post("/no/such/path.json", {"a": "b"})
    assert (status, body["code"]) == (404, 404)
    async with client.session.get(
        client.base_url + "/user/getToken.json", headers=client.headers()
    ) as response:
        assert response.status == 405
        assert (await response.json())["code"] == 1002
    status, body = await client.post("/user/getToken.json", {})
    assert (status, body["code"]) == (400, 1002) and "userId" in body["errorMessage"]
    async with client.session.post(
        client.base_url + "/user/getToken.json",
        data=b"{not json",
        headers={**client.headers(), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["code"] == 1002
    body = await client.ok("/user/getToken.json", json_body={"userId": "json-user"})
    assert body["userId"] == "json-user"


async def test_check_online_follows_the_users_devices(api: ApiHandle) -> None:
    assert (await api.client.ok("/user/checkOnline.json", {"userId": "bob"}))["status"] == "0"
    bob = await api.handle.login("bob")
    assert (await api.client.ok("/user/checkOnline.json", {"userId": "bob"}))["status"] == "1"
    await bob.close()


async def test_block_ends_the_devices_and_refuses_login_until_unblocked(api: ApiHandle) -> None:
    bob = await api.handle.login("bob")
    await api.client.ok("/user/block.json", {"userId": "bob", "minute": "1"})
    told = await bob.recv()
    assert isinstance(told, ErrorFrame) and told.code == ErrorCode.USER_BLOCKED
    with pytest.raises(ConnectionClosed):
        await bob.recv()
    refused = await _hello(api.handle.url, api.handle.token("bob"))
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.USER_BLOCKED
    listed = await api.client.ok("/user/block/query.json")
    assert [u["userId"] for u in listed["users"]] == ["bob"]
    assert listed["users"][0]["blockEndTime"]
    await api.client.ok("/user/unblock.json", {"userId": "bob"})
    assert isinstance(await _hello(api.handle.url, api.handle.token("bob")), Welcome)
    assert (await api.client.ok("/user/block/query.json"))["users"] == []


async def test_a_block_ends_by_itself_when_its_minutes_pass(api: ApiHandle) -> None:
    await api.client.ok("/user/block.json", {"userId": "bob", "minute": "1"})
    store = api.handle.server.store  # type: ignore[union-attr]
    await store.users.block(["bob"], 1)  # the same block, with its end already past
    assert isinstance(await _hello(api.handle.url, api.handle.token("bob")), Welcome)
    status, body = await api.client.post("/user/block.json", {"userId": "bob", "minute": "0"})
    assert (status, body["code"]) == (400, 1002)


async def test_blacklist_from_the_api_refuses_a_send_with_405(api: ApiHandle) -> None:
    alice = await api.handle.login("alice")
    bob = await api.handle.login("bob")
    await api.client.ok("/user/blacklist/add.json", [("userId", "bob"), ("blackUserId", "alice")])
    pushed = await bob.recv()
    assert isinstance(pushed, PrivacyState) and pushed.blocked == ["alice"]
    refused = await alice.send_text("bob", "hi", "019a0000-0000-7000-8000-000000000001")
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.REJECTED_BY_BLACKLIST
    listed = await api.client.ok("/user/blacklist/query.json", {"userId": "bob"})
    assert listed["users"] == ["alice"]
    await api.client.ok(
        "/user/blacklist/remove.json", [("userId", "bob"), ("blackUserId", "alice")]
    )
    sent = await alice.send_text("bob", "hi", "019a0000-0000-7000-8000-000000000002")
    assert isinstance(sent, SendAck)
    status, body = await api.client.post(
        "/user/blacklist/add.json", [("userId", "bob"), ("blackUserId", "bob")]
    )
    assert (status, body["code"]) == (400, 1002)
    await alice.close()
    await bob.close()


async def test_whitelist_from_the_api_lets_a_sender_through_whitelist_mode(
    api: ApiHandle,
) -> None:
    alice = await api.handle.login("alice")
    bob = await api.handle.login("bob")
    assert isinstance(await bob.request(UpdatePrivacy(whitelist_mode=True)), PrivacyState)
    refused = await alice.send_text("bob", "hi", "019a0000-0000-7000-8000-000000000003")
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.REJECTED_BY_BLACKLIST
    await api.client.ok("/user/whitelist/add.json", [("userId", "bob"), ("whiteUserId", "alice")])
    sent = await alice.send_text("bob", "hi", "019a0000-0000-7000-8000-000000000004")
    assert isinstance(sent, SendAck)
    listed = await api.client.ok("/user/whitelist/query.json", {"userId": "bob"})
    assert listed["users"] == ["alice"]
    await api.client.ok(
        "/user/whitelist/remove.json", [("userId", "bob"), ("whiteUserId", "alice")]
    )
    assert (await api.client.ok("/user/whitelist/query.json", {"userId": "bob"}))["users"] == []
    await alice.close()
    await bob.close()


async def test_tags_are_set_replaced_and_read_back(api: ApiHandle) -> None:
    await api.client.ok("/user/tag/set.json", json_body={"userId": "bob", "tags": ["a", "b"]})
    await api.client.ok(
        "/user/tag/batch/set.json", json_body={"userIds": ["carol", "dan"], "tags": ["vip"]}
    )
    await api.client.ok("/user/tag/set.json", json_body={"userId": "dan", "tags": ["c"]})
    body = await api.client.ok(
        "/user/tags/get.json", [("userIds", u) for u in ("bob", "carol", "dan", "erin")]
    )
    assert body["result"] == {"bob": ["a", "b"], "carol": ["vip"], "dan": ["c"], "erin": []}
    status, body = await api.client.post(
        "/user/tag/set.json", json_body={"userId": "bob", "tags": ["x" * 41]}
    )
    assert (status, body["code"]) == (400, 1002)
    status, body = await api.client.post("/user/tag/set.json", json_body={"userId": "bob"})
    assert (status, body["code"]) == (400, 1002)


async def test_user_group_query_lists_the_groups_a_user_is_in(api: ApiHandle) -> None:
    server = api.handle.server
    assert server is not None
    await server.create_group("g1", "One", "alice", ["bob"])
    await server.create_group("g2", "Two", "bob", [])
    await server.create_group("g3", "Three", "carol", [])
    body = await api.client.ok("/user/group/query.json", {"userId": "bob"})
    assert body["groups"] == [{"id": "g1", "name": "One"}, {"id": "g2", "name": "Two"}]
    await api.client.ok("/group/quit.json", {"groupId": "g1", "userId": "bob"})
    body = await api.client.ok("/user/group/query.json", {"userId": "bob"})
    assert body["groups"] == [{"id": "g2", "name": "Two"}]


async def test_chatroom_paths_are_served_now(api: ApiHandle) -> None:
    # They answered 1009 (not enabled) before chatrooms; tests/test_api_chatrooms.py
    # has what they do.
    status, body = await api.client.post("/chatroom/create.json", {"chatroomId": "r"})
    assert (status, body["code"]) == (200, 200)
    found = await api.client.ok("/chatroom/query.json", {"chatroomId": "r"})
    assert [room["chrmId"] for room in found["chatRooms"]] == ["r"]


async def test_a_path_called_too_often_answers_1008(tmp_path: Path) -> None:
    async with running_api(tmp_path / "limited", rate_per_second=2) as api:
        answers = [
            await api.client.post("/user/checkOnline.json", {"userId": "bob"}) for _ in range(5)
        ]
        assert (429, 1008) in [(status, body["code"]) for status, body in answers]
        assert answers[0][0] == 200
        # Each path has its own allowance.
        await api.client.ok("/user/block/query.json")


async def test_a_login_checked_just_before_a_block_is_closed_once_admitted(
    api: ApiHandle,
) -> None:
    # The window: the login read no block, then the block came before the session was
    # admitted. Played here by telling the devices of the block and not the store.
    server = api.handle.server
    assert server is not None
    server.devices.block("ann", now_ms() + 60_000)
    late = await WireClient.login(api.handle.url, api.handle.token("ann"))
    frame = await late.recv()
    assert isinstance(frame, ErrorFrame) and frame.code == ErrorCode.USER_BLOCKED
    assert server.online_devices("ann") == 0
    await api.client.ok("/user/unblock.json", {"userId": "ann"})
    again = await WireClient.login(api.handle.url, api.handle.token("ann"))
    assert server.online_devices("ann") == 1
    await again.close()


async def test_a_blocked_users_app_stops_and_does_not_reconnect(
    api: ApiHandle, tmp_path: Path
) -> None:
    token = (await api.client.ok("/user/getToken.json", {"userId": "bob"}))["token"]
    client = IMClient(
        server_url=api.handle.url,
        token=token,
        store_path=tmp_path / "bob" / "store.db",
        device="phone",
        backoff=FAST_BACKOFF,
    )
    await client.start()
    try:
        await client.wait_synced(timeout=10)
        await api.client.ok("/user/block.json", {"userId": "bob", "minute": "10"})

        async def refused() -> bool:
            return client.state == ConnectionState.REFUSED

        await until_client(client, refused, timeout=5)
        assert client.refused is not None and client.refused.code == ErrorCode.USER_BLOCKED
        await asyncio.sleep(0.3)  # no reconnection follows
        assert client.state == ConnectionState.REFUSED
        assert api.handle.server is not None and api.handle.server.online_devices("bob") == 0
    finally:
        await client.close()
