"""Broadcasts and the hourly message logs of the Server API, over real HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp
import pytest

from imkit_tui.protocol import SYSTEM_ACCOUNT, ConversationType, ConvRef, PullReply, PullRequest
from imkit_tui.server.api.history_routes import hour_of
from imkit_tui.server.api.limits import HOUR_MS, CallLimit
from tests.api_client import ApiHandle, running_api

SYSTEM = ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT)


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


def test_the_broadcast_limit_is_two_an_hour_and_three_a_day() -> None:
    limit = CallLimit()
    assert limit.take(0) and limit.take(1)
    assert not limit.take(2)
    assert limit.take(HOUR_MS + 1)
    assert not limit.take(2 * HOUR_MS + 2)  # three in the day already
    assert limit.take(24 * HOUR_MS + 1)


async def test_the_broadcast_limit_holds_across_a_restart(tmp_path: Path) -> None:
    form = {
        "fromUserId": "admin",
        "objectName": "RC:TxtMsg",
        "content": json.dumps({"content": "news"}),
    }
    async with running_api(tmp_path / "server") as first:
        await first.client.ok("/message/broadcast.json", form)
        await first.client.ok("/message/broadcast.json", form)
    async with running_api(tmp_path / "server") as again:
        status, body = await again.client.post("/message/broadcast.json", form)
        assert (status, body["code"]) == (429, 1008)


async def test_the_broadcast_limits_are_the_operators(tmp_path: Path) -> None:
    form = {"fromUserId": "admin", "objectName": "RC:TxtMsg", "content": '{"content": "x"}'}
    async with running_api(tmp_path / "server", broadcasts=(1, 5)) as api:
        await api.client.ok("/message/broadcast.json", form)
        status, body = await api.client.post("/message/broadcast.json", form)
        assert (status, body["code"]) == (429, 1008)
        assert "at most 1 broadcasts an hour and 5 a day" in body["errorMessage"]
    with pytest.raises(ValueError):
        CallLimit(-1, 3)


async def test_a_broadcast_reaches_every_user_online_or_not(api: ApiHandle) -> None:
    for user in ("bob", "carol"):
        await api.client.ok("/user/getToken.json", {"userId": user})
    bob = await api.handle.login("bob")
    form = {
        "fromUserId": "admin",
        "objectName": "RC:TxtMsg",
        "content": json.dumps({"content": "we ship today"}),
    }
    body = await api.client.ok("/message/broadcast.json", form)
    assert body["id"]
    push = await bob.next_push()
    assert (push.message.conv, push.message.sender) == (SYSTEM, "admin")
    carol = await api.handle.login("carol")
    reply = await carol.request(PullRequest(conv=SYSTEM, after_seq=0, limit=10))
    assert isinstance(reply, PullReply)
    assert [m.content for m in reply.messages] == [{"content": "we ship today"}]
    await api.client.ok("/message/broadcast.json", form)
    status, body = await api.client.post("/message/broadcast.json", form)
    assert (status, body["code"]) == (429, 1008)


async def test_the_history_of_an_hour_is_a_url_the_api_serves(api: ApiHandle) -> None:
    form = {
        "fromUserId": "alice",
        "toUserId": "bob",
        "objectName": "RC:TxtMsg",
        "content": json.dumps({"content": "for the log"}),
    }
    [sent] = (await api.client.ok("/message/private/publish.json", form))["messageUIDs"]
    date = time.strftime("%Y%m%d%H", time.gmtime(time.time() + 8 * 3600))
    body = await api.client.ok("/message/history.json", {"date": date})
    assert body["date"] == date and body["url"].startswith(api.api.url + "/history/")
    async with aiohttp.ClientSession() as session, session.get(body["url"]) as response:
        assert response.status == 200
        lines = [json.loads(line) for line in (await response.text()).splitlines()]
    [entry] = [e for e in lines if e["msgUID"] == sent["messageUID"]]
    assert (entry["fromUserId"], entry["targetId"], entry["targetType"]) == ("alice", "bob", 1)
    assert entry["classname"] == "RC:TxtMsg" and entry["content"] == {"content": "for the log"}
    forged = body["url"][:-10] + "0000000000"
    async with aiohttp.ClientSession() as session, session.get(forged) as response:
        assert response.status == 404
    quiet = time.strftime("%Y%m%d%H", time.gmtime(time.time() + 5 * 3600))
    assert (await api.client.ok("/message/history.json", {"date": quiet}))["url"] == ""
    await api.client.ok("/message/history/delete.json", {"date": date})
    assert (await api.client.ok("/message/history.json", {"date": date}))["url"] == ""
    async with aiohttp.ClientSession() as session, session.get(body["url"]) as response:
        assert response.status == 404
    status, answer = await api.client.post("/message/history.json", {"date": "2024-01-01"})
    assert (status, answer["code"]) == (400, 1002)
    assert hour_of("1970010109") == 3_600_000  # Beijing time, UTC+8
