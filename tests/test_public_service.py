"""Public service accounts on the real server: following, articles to followers only
(stored once, read from the follow on), search, the menu's limits, a menu command and
text reaching the account's backend through routing, and the Server API paths."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationUpdate,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    PullReply,
    PullRequest,
    Push,
    SendAck,
    SendMessage,
    SyncReply,
    SyncRequest,
)
from imkit_tui.protocol.public_frames import (
    MenuError,
    MenuItem,
    PublicAccountInfo,
    PublicAccounts,
    PublicFollow,
    PublicSearch,
    account_from_row,
    check_menu,
    command_content,
)
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.public_service.service import save_account
from tests.api_client import ApiHandle, running_api
from tests.test_hooks_routing import hooked
from tests.wire import WireClient

NEWS = ConvRef(type=7, target="news")
ARTICLE = {
    "articles": [
        {
            "title": "imkit 1.0",
            "digest": "What is new",
            "url": "https://example.com/imkit",
            "content": "The whole story.",
        }
    ]
}


def _menu(*items: dict[str, Any]) -> str:
    return json.dumps(list(items))


async def _follow(client: WireClient, follow: bool = True, account: str = "news") -> None:
    answer = await client.request(PublicFollow(account=account, type=7, follow=follow))
    assert isinstance(answer, PublicAccountInfo) and answer.account.followed is follow, answer


async def _pushes(client: WireClient, wait: float = 0.3) -> list[Push]:
    """The pushes that reach `client` within `wait` seconds."""
    got: list[Push] = []
    while True:
        try:
            frame = await client.recv(wait)
        except TimeoutError:
            return got
        if isinstance(frame, Push):
            got.append(frame)


async def _article_titles(client: WireClient) -> list[str]:
    page = await client.request(PullRequest(conv=NEWS, limit=50))
    assert isinstance(page, PullReply), page
    return [m.content["articles"][0]["title"] for m in page.messages]


def _titled(title: str) -> str:
    return json.dumps({"articles": [{**ARTICLE["articles"][0], "title": title}]})


async def _publish(api: ApiHandle, title: str) -> dict[str, Any]:
    """Post an article titled `title` from "news" through the Server API; the answer."""
    return await api.client.ok(
        "/publicservice/message/publish.json",
        {"publicServiceId": "news", "objectName": messages.PS_ARTICLE, "content": _titled(title)},
    )


async def test_articles_reach_followers_only_from_their_follow_on(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        await api.client.ok(
            "/publicservice/create.json",
            {"publicServiceId": "news", "name": "imkit news", "introduction": "Releases"},
        )
        alice, bob = await api.handle.login("alice"), await api.handle.login("bob")
        try:
            await _follow(alice)
            assert isinstance(await alice.recv(), ConversationUpdate)  # the follow, synced
            posted = await _publish(api, "first")
            assert posted["followers"] == 1
            push = await alice.next_push()
            assert (push.message.conv, push.message.sender) == (NEWS, "news")
            # The account's info rides along, as the service attaches a sender's.
            assert push.message.content["user"] == {"id": "news", "name": "imkit news",
                                                    "portrait": ""}  # fmt: skip
            assert await _pushes(bob) == []
            synced = await bob.request(SyncRequest(since=0))
            assert isinstance(synced, SyncReply)
            assert NEWS not in [state.conv for state in synced.conversations]
            # Alice's sync counts it unread.
            synced = await alice.request(SyncRequest(since=0))
            assert isinstance(synced, SyncReply)
            (state,) = [s for s in synced.conversations if s.conv == NEWS]
            assert (state.max_seq, state.read_seq) == (1, 0)

            await _follow(alice, follow=False)
            second = await _publish(api, "second")
            assert second["followers"] == 0
            assert await _article_titles(alice) == ["first"]  # she keeps what she had

            await _follow(bob)
            await _publish(api, "third")
            assert await _article_titles(bob) == ["third"]  # from his follow on
            listed = await api.client.ok(
                "/publicservice/followers/query.json", {"publicServiceId": "news"}
            )
            assert (listed["users"], listed["total"]) == (["bob"], 1)
        finally:
            await alice.close()
            await bob.close()


async def test_an_article_is_stored_once_whatever_the_followers(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        await api.client.ok("/publicservice/create.json", {"publicServiceId": "news", "name": "N"})
        readers = [await api.handle.login(f"reader{i}") for i in range(5)]
        try:
            for reader in readers:
                await _follow(reader)
            await _publish(api, "once")
            rows = await api.handle.stored_rows(
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conv_id"
                " WHERE c.key = '7:news'"
            )
            assert rows == [(1,)]
            for reader in readers:
                assert await _article_titles(reader) == ["once"]
        finally:
            for reader in readers:
                await reader.close()


async def test_search_by_name_id_kind_and_following(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        for kind, account_id, name in (
            ("7", "news", "imkit News"),
            ("7", "weather", "Weather today"),
            ("8", "desk", "Help desk"),
        ):
            await api.client.ok(
                "/publicservice/create.json",
                {"type": kind, "publicServiceId": account_id, "name": name},
            )
        alice = await api.handle.login("alice")
        try:
            await _follow(alice, account="weather")

            async def found(**asked: Any) -> list[tuple[str, bool]]:
                answer = await alice.request(PublicSearch(**asked))
                assert isinstance(answer, PublicAccounts), answer
                return [(a.id, a.followed) for a in answer.accounts]

            assert await found(keyword="NEWS") == [("news", False)]
            assert await found(keyword="desk") == [("desk", False)]
            assert await found(keyword="") == [("desk", False), ("news", False), ("weather", True)]
            assert await found(type=8) == [("desk", False)]
            assert await found(followed=True) == [("weather", True)]
            assert await found(keyword="%") == []  # a wildcard is only a character
        finally:
            await alice.close()


def test_a_menu_keeps_the_services_limits() -> None:
    click = MenuItem(id="a", name="A")
    group = MenuItem(name="More", kind="group", items=[click] * 5)
    assert check_menu([click, group, MenuItem(name="Site", kind="view", url="https://x.io")])
    bad = [
        [click] * 4,
        [MenuItem(name="More", kind="group", items=[click] * 6)],
        [MenuItem(name="More", kind="group", items=[])],
        [MenuItem(name="More", kind="group", items=[group])],
        [MenuItem(name="No id")],
        [MenuItem(name="Site", kind="view", url="javascript:alert(1)")],
        [MenuItem(id="a", name="A", items=[click])],
    ]
    for menu in bad:
        with pytest.raises(MenuError):
            check_menu(menu)
    assert command_content(click) == {"cmd": "click", "data": "a", "extra": "A"}


async def test_the_api_refuses_a_menu_past_the_limits_and_keeps_the_old(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        good = _menu({"id": "latest", "name": "Latest"})
        await api.client.ok(
            "/publicservice/create.json", {"publicServiceId": "news", "name": "N", "menu": good}
        )
        too_many = _menu(*({"id": f"i{n}", "name": f"I{n}"} for n in range(4)))
        status, body = await api.client.post(
            "/publicservice/menu/set.json", {"publicServiceId": "news", "menu": too_many}
        )
        assert (status, body["code"]) == (400, 1002) and "at most 3" in body["errorMessage"]
        status, body = await api.client.post(
            "/publicservice/menu/set.json", {"publicServiceId": "news", "menu": "not json"}
        )
        assert (status, body["code"]) == (400, 1002)
        listed = await api.client.ok("/publicservice/query.json", {})
        (account,) = listed["publicServices"]
        assert account["menu"] == [{"id": "latest", "name": "Latest"}]
        status, body = await api.client.post(
            "/publicservice/create.json", {"publicServiceId": "news", "name": "again"}
        )
        assert (status, body["code"]) == (400, 1002)
        await api.client.ok("/publicservice/delete.json", {"publicServiceId": "news"})
        assert (await api.client.ok("/publicservice/query.json", {}))["publicServices"] == []
        status, _ = await api.client.post(
            "/publicservice/message/publish.json",
            {"publicServiceId": "news", "objectName": messages.PS_ARTICLE, "content": "{}"},
        )
        assert status == 400


async def test_a_menu_command_and_text_reach_the_backend_through_routing(
    tmp_path: Path, store_kind: str
) -> None:
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        assert h.handle.server is not None
        store = h.handle.server.require_store()
        menu = (MenuItem(id="latest", name="Latest"),)
        await save_account(store, AccountSpec(type=7, id="news", name="News", menu=menu))
        await save_account(store, AccountSpec(type=8, id="desk", name="Desk", accepts_text=True))
        alice, bob = await h.handle.login("alice"), await h.handle.login("bob")
        try:
            await _follow(alice)
            command = SendMessage(
                conv=NEWS,
                object_name=messages.PS_CMD,
                content=command_content(menu[0]),
                cmid="cmd-1",
            )
            ack = await alice.request(command)
            assert isinstance(ack, SendAck) and ack.seq == 0
            refused = await bob.request(SendMessage(**{**_fields(command), "cmid": "cmd-2"}))
            assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_FOLLOWING
            text = SendMessage(
                conv=NEWS, object_name=messages.TEXT, content={"content": "hi"}, cmid="t-1"
            )
            refused = await alice.request(text)
            assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.INVALID_PARAMETER
            desk = ConvRef(type=8, target="desk")
            answer = await alice.request(PublicFollow(account="desk", type=8))
            assert isinstance(answer, PublicAccountInfo)
            said = await alice.request(SendMessage(**{**_fields(text), "conv": desk}))
            assert isinstance(said, SendAck) and said.seq == 0

            await h.backend.until(lambda: len(h.backend.got) == 2)
            clicked, typed = (r.form for r in h.backend.got)
            assert (clicked["fromUserId"], clicked["toUserId"], clicked["channelType"]) == (
                "alice",
                "news",
                "MC",
            )
            assert clicked["objectName"] == "RC:PSCmd"
            assert json.loads(clicked["content"])["data"] == "latest"
            assert (typed["toUserId"], typed["channelType"], typed["objectName"]) == (
                "desk",
                "MP",
                "RC:TxtMsg",
            )
            # Nothing of it was stored in the account's conversation, read by all.
            assert await _article_titles(alice) == []
            await asyncio.sleep(0.1)
            assert len(h.backend.got) == 2
        finally:
            await alice.close()
            await bob.close()


def _fields(frame: SendMessage) -> dict[str, Any]:
    return {
        "conv": frame.conv,
        "object_name": frame.object_name,
        "content": frame.content,
        "cmid": frame.cmid,
    }


async def test_a_command_right_after_a_follow_comes_from_a_follower(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server") as api:
        await api.client.ok("/publicservice/create.json", {"publicServiceId": "news", "name": "N"})
        alice = await api.handle.login("alice")
        try:
            follow = PublicFollow(id=1, account="news", type=7)
            command = SendMessage(id=2, conv=NEWS, object_name=messages.PS_CMD,
                                  content={"cmd": "click", "data": "x"}, cmid="c")  # fmt: skip
            await alice.send_frame(follow)  # back to back, no wait between them
            await alice.send_frame(command)
            answers = {}
            while len(answers) < 2:
                frame = await alice.recv()
                if frame.re:
                    answers[frame.re] = frame
            assert isinstance(answers[1], PublicAccountInfo)
            assert isinstance(answers[2], SendAck), answers[2]
        finally:
            await alice.close()


def test_a_stored_account_whose_menu_does_not_decode_still_reads() -> None:
    row = (8, "desk", "Desk", "", "Help", '[{"name": 5}]', 1)
    account = account_from_row(row, followed=True)
    assert (account.id, account.type, account.menu, account.accepts_text) == ("desk", 8, [], True)
    assert account_from_row((7, "n", "N", "", "", '[{"id": "a", "name": "A"}]', 0)).menu == [
        MenuItem(id="a", name="A")
    ]


async def test_an_article_pushes_to_an_offline_follower_only(
    tmp_path: Path, store_kind: str
) -> None:
    from tests.test_hooks_push import pushing

    async with pushing(tmp_path / "server", interval=0) as p:
        api = p.api
        await api.client.ok("/publicservice/create.json", {"publicServiceId": "news", "name": "N"})
        base = p.backend.url.replace("http://", "json://")
        for user in ("alice", "bob", "carol"):
            url = f"{base}/push-{user}"
            await api.client.ok("/user/push/url/set.json", {"userId": user, "url": url})
        alice, bob = await api.handle.login("alice"), await api.handle.login("bob")
        try:
            for follower in (alice, bob):  # carol does not follow
                await _follow(follower)
            await bob.close()  # bob is offline; alice stays online
            await _until_offline(api, "bob")  # (the server has seen the close)
            await _publish(api, "pushed")
            await p.backend.until(lambda: bool(p.backend.bodies("/push-bob")))
            await asyncio.sleep(0.5)  # nothing more comes
            (push,) = [r.body for r in p.backend.bodies("/push-bob")]
            assert push["title"] == "news" and "[Article]" in push["message"], push
            assert p.backend.bodies("/push-alice") == p.backend.bodies("/push-carol") == []
        finally:
            await alice.close()


async def _until_offline(api: ApiHandle, user: str) -> None:
    """Wait until `/user/checkOnline` says `user` has no device connected."""
    async with asyncio.timeout(5):
        while (await api.client.ok("/user/checkOnline.json", {"userId": user}))["status"] != "0":  # noqa: ASYNC110 - asks the API, no event to wait on
            await asyncio.sleep(0.02)
