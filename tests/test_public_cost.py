"""No cost that grows with an account's history on its per-message paths: posting an
article to its followers, a follow, a follower's menu command, a follower's pull and
sync, at 100 and at 100,000 articles, counted in SQLite virtual-machine steps."""

from __future__ import annotations

from pathlib import Path

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationUpdate,
    ConvRef,
    PullReply,
    PullRequest,
    SendAck,
    SendMessage,
    SyncReply,
    SyncRequest,
)
from imkit_tui.protocol.public_frames import PublicAccountInfo, PublicFollow
from imkit_tui.server.handlers.public_service import post_to_followers
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.public_service.service import save_account
from tests.conftest import ServerHandle
from tests.test_server_history_cost import LARGE, SMALL, Steps, _seed, assert_same_cost

NEWS = ConvRef(type=7, target="news")
ARTICLE = {"articles": [{"title": "news", "digest": "d"}]}


async def _measure(tmp_path: Path, total: int) -> dict[str, int]:
    handle = ServerHandle(tmp_path / f"srv{total}", revocation_check_seconds=3600.0)
    server = await handle.start()
    await save_account(server.require_store(), AccountSpec(type=7, id="news", name="News"))
    await server.require_store().public.follow("alice", 7, "news", 0)
    await handle.stop()
    _seed(handle.data_dir / "server.db", total, key="7:news")

    server = await handle.start()
    store = server.require_store()
    account = await store.public.get(7, "news")
    assert account is not None
    steps = Steps()
    alice, bob = await handle.login("alice"), await handle.login("bob")
    try:
        await post_to_followers(server, account, messages.PS_ARTICLE, ARTICLE)  # warm caches
        await alice.next_push()
        await steps.attach(server)

        async def post() -> None:
            await post_to_followers(server, account, messages.PS_ARTICLE, ARTICLE)
            await alice.next_push()

        async def follow() -> None:
            assert isinstance(await bob.request(PublicFollow(account="news", type=7)),
                              PublicAccountInfo)  # fmt: skip
            assert isinstance(await bob.recv(), ConversationUpdate)

        async def command() -> None:
            frame = SendMessage(conv=NEWS, object_name=messages.PS_CMD,
                                content={"cmd": "click", "data": "x"}, cmid="cmd")  # fmt: skip
            assert isinstance(await alice.request(frame), SendAck)

        async def pull() -> None:
            frame = PullRequest(conv=NEWS, before_seq=total + 2, limit=50)
            assert isinstance(await alice.request(frame), PullReply)

        async def sync() -> None:
            assert isinstance(await alice.request(SyncRequest(since=0)), SyncReply)

        return {
            "post an article": await steps.of(post),
            "follow": await steps.of(follow),
            "a menu command": await steps.of(command),
            "pull a page": await steps.of(pull),
            "sync": await steps.of(sync),
        }
    finally:
        await alice.close()
        await bob.close()
        await handle.stop()


async def test_an_accounts_paths_cost_the_same_at_100_and_100000_articles(
    tmp_path: Path,
) -> None:
    assert_same_cost(await _measure(tmp_path, SMALL), await _measure(tmp_path, LARGE))
