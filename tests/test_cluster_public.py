"""Public service accounts on two `imkit serve` nodes sharing a PostgreSQL store and a
NATS bus: an account made from node B's file at start is listed through node A; an
article posted through node A's Server API reaches a follower connected to node B
exactly once (and the follower's device on A once), though the follow was made on B
after A had read the account's followers; an unfollow on B stops what A posts next.
They need PostgreSQL and NATS (skipped with the reason when either cannot be reached;
failed under IMKIT_REQUIRE_SERVICES).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from imkit_tui import messages
from imkit_tui.protocol import ConversationUpdate, ConvRef, PullReply, PullRequest, Push
from imkit_tui.protocol.public_frames import PublicAccountInfo, PublicFollow
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.auth import load_or_create_secret
from tests.api_client import SignedClient
from tests.cluster_nodes import stop_processes
from tests.processes import start_server
from tests.services import NATS_URL, fresh_schema_url, nats_missing, need, postgres_missing
from tests.test_api_cli import _api_line
from tests.wire import WireClient

pytestmark = pytest.mark.timeout(120)

NEWS = ConvRef(type=7, target="news")
QUIET_SECONDS = 1.0
"""How long a device is watched for a push that must not come (or come twice)."""


@pytest.fixture
def data(tmp_path: Path) -> Iterator[tuple[Path, list[subprocess.Popen[str]]]]:
    need(postgres_missing())
    need(nats_missing())
    started: list[subprocess.Popen[str]] = []
    try:
        yield tmp_path / "shared", started
    finally:
        stop_processes(started)


@pytest.fixture
async def two_nodes(
    data: tuple[Path, list[subprocess.Popen[str]]],
) -> AsyncIterator[tuple[str, str, SignedClient]]:
    """Node A (with the Server API) and node B (which makes the account "weather" from
    its file at start); their URLs and a client of A's API."""
    shared, started = data
    store = fresh_schema_url()
    bus = f"{NATS_URL}?subject=imkit-test-{uuid.uuid4().hex[:12]}"
    cluster = ("--store", store, "--migrate", "--bus", bus, "--rate-limit", "100000")
    a, url_a = start_server(shared, 0, *cluster, "--api-port", "0")
    started.append(a)
    api = SignedClient(_api_line(a), load_or_create(shared, environ={}))
    described = shared.parent / "accounts.toml"
    described.write_text('[[account]]\nid = "weather"\nname = "Weather"\n')
    b, url_b = start_server(shared, 0, *cluster, "--no-api", "--public-accounts", str(described))
    started.append(b)
    try:
        yield url_a, url_b, api
    finally:
        await api.close()


async def _login(shared: Path, url: str, user: str, device: str) -> WireClient:
    token = issue_token(load_or_create_secret(shared), user, None)
    return await WireClient.login(url, token, device)


async def _publish(api: SignedClient, title: str) -> int:
    """Post an article titled `title` from "news" through the API; the followers reached."""
    answer = await api.ok(
        "/publicservice/message/publish.json",
        {
            "publicServiceId": "news",
            "objectName": messages.PS_ARTICLE,
            "content": f'{{"articles": [{{"title": "{title}", "digest": "d"}}]}}',
        },
    )
    reached: int = answer["followers"]
    return reached


async def _titles_pushed(client: WireClient) -> list[str]:
    """The titles of the articles pushed to `client` until it has been quiet a while."""
    got: list[str] = []
    while True:
        try:
            frame = await client.recv(QUIET_SECONDS)
        except TimeoutError:
            return got
        if isinstance(frame, Push) and frame.message.conv == NEWS:
            got.append(_title(frame.message.content))


def _title(content: dict[str, Any]) -> str:
    return str(content["articles"][0]["title"])


async def _follow(client: WireClient, follow: bool) -> None:
    answer = await client.request(PublicFollow(account="news", type=7, follow=follow))
    assert isinstance(answer, PublicAccountInfo) and answer.account.followed is follow, answer
    assert isinstance(await client.recv(), ConversationUpdate)  # the change, to the device


async def test_an_article_posted_on_one_node_reaches_a_follower_on_the_other_once(
    data: tuple[Path, list[subprocess.Popen[str]]], two_nodes: tuple[str, str, SignedClient]
) -> None:
    shared, _ = data
    url_a, url_b, api = two_nodes
    await api.ok("/publicservice/create.json", {"publicServiceId": "news", "name": "News"})
    listed = await api.ok("/publicservice/query.json", {})
    assert [a["publicServiceId"] for a in listed["publicServices"]] == ["news", "weather"]
    assert await _publish(api, "before anyone") == 0  # node A now keeps "no followers"
    on_b = await _login(shared, url_b, "bob", "phone")
    on_a = await _login(shared, url_a, "bob", "laptop")
    try:
        await _follow(on_b, True)  # on node B
        assert await _titles_pushed(on_a) == []  # the laptop's ConversationUpdate came
        assert await _publish(api, "first") == 1  # node A knows of B's follow at once
        assert await _titles_pushed(on_b) == ["first"]  # once, through the bus
        assert await _titles_pushed(on_a) == ["first"]  # once, from A itself
        assert await _publish(api, "second") == 1
        assert await _titles_pushed(on_b) == ["second"]
        assert await _titles_pushed(on_a) == ["second"]

        await _follow(on_b, False)  # on node B again
        assert await _publish(api, "after the unfollow") == 0
        assert await _titles_pushed(on_b) == []
        assert await _titles_pushed(on_a) == []
        page = await on_b.request(PullRequest(conv=NEWS, limit=50))
        assert isinstance(page, PullReply)
        assert [_title(m.content) for m in page.messages] == ["first", "second"]
    finally:
        await on_b.close()
        await on_a.close()
