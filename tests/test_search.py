"""Message search: the FTS5 trigram index of the local store, with a real server and clients."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.core import IMClient, Message, SendStatus
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.core.search import SearchHit, make_snippet, query_terms
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.storage import Database, apply_migrations
from tests.conftest import FAST_BACKOFF, ClientFactory, ServerHandle
from tests.processes import imkit, start_server, token

ALICE = ConvRef.private("alice")
BOB = ConvRef.private("bob")
CAROL = ConvRef.private("carol")


async def send_all(client: IMClient, conv: ConvRef, texts: list[str]) -> list[Message]:
    sent = [await client.send_text(conv, text) for text in texts]
    return await client.wait_sent([m.id for m in sent], timeout=10)


async def synced(client: IMClient, count: int, conv: ConvRef) -> None:
    """Wait until `count` messages of `conv` are in the client's store."""
    for _ in range(200):
        if len(await client.messages(conv, limit=count + 10)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} messages of {conv} never arrived")


def texts(hits: list[SearchHit]) -> list[str]:
    return [hit.message.content.get("content", "") for hit in hits]


async def test_english_words_are_found_in_any_case_newest_first_with_marks(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    await send_all(alice, BOB, ["Hello World", "the world is big", "nothing here", "WORLDS apart"])
    bob = await make_client("bob")
    await synced(bob, 4, ALICE)
    hits = await bob.search.messages("world")
    assert texts(hits) == ["WORLDS apart", "the world is big", "Hello World"]
    assert [h.marked() for h in hits] == ["[WORLD]S apart", "the [world] is big", "Hello [World]"]
    assert hits[0].message.sender == "alice" and hits[0].message.conv == ALICE
    # Every word must be there, anywhere, in any order.
    assert texts(await bob.search.messages("big WORLD")) == ["the world is big"]
    assert await bob.search.messages("world nowhere") == []
    assert await bob.search.messages("   ") == [] and await bob.search.messages("") == []


async def test_chinese_is_found_by_trigrams_and_by_the_short_fallback(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    await send_all(alice, BOB, ["你好世界", "今天天气很好", "明天见"])
    bob = await make_client("bob")
    await synced(bob, 3, ALICE)
    assert texts(await bob.search.messages("好世界")) == ["你好世界"]  # 3 characters: MATCH
    assert texts(await bob.search.messages("世界")) == ["你好世界"]  # 2: the LIKE fallback
    assert texts(await bob.search.messages("界")) == ["你好世界"]  # the last character too
    assert texts(await bob.search.messages("好")) == ["今天天气很好", "你好世界"]
    assert texts(await bob.search.messages("天")) == ["明天见", "今天天气很好"]
    assert (await bob.search.messages("世界"))[0].marked() == "你好[世界]"
    assert await bob.search.messages("世间") == [] and await bob.search.messages("界你") == []


async def test_own_messages_are_found_at_once_even_before_the_ack(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    offline = IMClient(
        server_url="ws://127.0.0.1:9",
        token=issue_token(b"k" * 32, "alice"),
        store_path=tmp_path / "offline.db",
    )
    await offline.open()
    try:
        queued = await offline.send_text(BOB, "draft of the quarterly report")
        hits = await offline.search.messages("quarterly")
        assert [h.message.id for h in hits] == [queued.id]
        assert hits[0].message.status == SendStatus.SENDING
    finally:
        await offline.close()
    alice = await make_client("alice")
    await send_all(alice, BOB, ["sent and acknowledged"])
    assert texts(await alice.search.messages("acknowledged")) == ["sent and acknowledged"]


async def test_messages_received_while_offline_are_found_after_sync(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    await bob.close()
    alice = await make_client("alice")
    await send_all(alice, BOB, ["while you were away", "离线消息"])
    again = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("bob"),
        store_path=tmp_path / "clients" / "bob" / "main" / "store.db",
        backoff=FAST_BACKOFF,
    )
    await again.start()
    try:
        await again.wait_synced(timeout=10)
        assert texts(await again.search.messages("away")) == ["while you were away"]
        assert texts(await again.search.messages("离线")) == ["离线消息"]
    finally:
        await again.close()


async def test_sender_filter_and_conversation_scope(make_client: ClientFactory) -> None:
    alice, carol = await make_client("alice"), await make_client("carol")
    await send_all(alice, BOB, ["lunch with alice", "budget from alice"])
    await send_all(carol, BOB, ["lunch with carol"])
    bob = await make_client("bob")
    await synced(bob, 2, ALICE)
    await synced(bob, 1, CAROL)
    await send_all(bob, ALICE, ["lunch reply from bob"])
    assert len(await bob.search.messages("lunch")) == 3
    assert texts(await bob.search.messages("lunch", sender="carol")) == ["lunch with carol"]
    assert texts(await bob.search.messages("lunch", sender="bob")) == ["lunch reply from bob"]
    assert texts(await bob.search.messages("lunch", conv=CAROL)) == ["lunch with carol"]
    assert texts(await bob.search.messages("lunch", conv=ALICE)) == [
        "lunch reply from bob",
        "lunch with alice",
    ]
    assert texts(await bob.search.messages("lunch", conv=ALICE, sender="alice")) == [
        "lunch with alice"
    ]
    # By sender alone: every message of theirs, newest first; short terms with scopes.
    assert texts(await bob.search.messages(sender="alice")) == [
        "budget from alice",
        "lunch with alice",
    ]
    assert texts(await bob.search.messages("ol", conv=CAROL)) == ["lunch with carol"]
    assert await bob.search.messages("lunch", sender="nobody") == []
    assert await bob.search.messages("lunch", conv=ConvRef.private("stranger")) == []


async def test_files_and_places_are_found_by_their_names(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    sent = [
        await alice.send(BOB, messages.LOCATION, {"latitude": 31.2, "longitude": 121.5,
                                                  "poi": "People's Square 人民广场"}),
        await alice.send(BOB, messages.VOICE, {"remoteUrl": "x", "duration": 3}),
    ]  # fmt: skip
    await alice.wait_sent([m.id for m in sent], timeout=10)
    bob = await make_client("bob")
    await synced(bob, 2, ALICE)
    found = await bob.search.messages("广场")
    assert [h.message.object_name for h in found] == [messages.LOCATION]
    assert found[0].marked() == "[Location] People's Square 人民[广场]"
    assert await bob.search.messages("Location") == []  # the tag is not searchable text
    assert [h.message.object_name for h in await bob.search.messages(sender="alice")] == [
        messages.VOICE,
        messages.LOCATION,
    ]


async def test_pages_with_before_id_cover_every_hit_once(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    await send_all(alice, BOB, [f"page item {i}" for i in range(120)] + ["other"])
    bob = await make_client("bob")
    await bob.history.load(ALICE)
    seen: list[str] = []
    before: int | None = None
    while True:
        page = await bob.search.messages("item", limit=50, before_id=before)
        if not page:
            break
        seen += texts(page)
        before = page[-1].message.id
    assert seen == [f"page item {i}" for i in reversed(range(120))]
    assert await bob.search.messages("item", limit=0) == []


async def test_query_syntax_is_searched_literally_and_never_raises(
    make_client: ClientFactory,
) -> None:
    tricky = [
        'say "hi" (now) * AND OR NOT NEAR(a b) col:text ^start',
        "100% sure_thing \\ back",
        "100 sure thing",
        "it's {curly} [square] -minus +plus",
    ]
    alice = await make_client("alice")
    await send_all(alice, BOB, tricky)
    bob = await make_client("bob")
    await synced(bob, 4, ALICE)
    literal = ['"hi"', "(now)", "*", "AND", "OR", "NOT", "NEAR(a", "col:text", "^start", '"',
               "(", ")", "b)", "{curly}", "[square]", "-minus", "+plus", "it's", "'"]  # fmt: skip
    for query in literal:
        found = texts(await bob.search.messages(query))
        assert all(query.lower() in t.lower() for t in found), (query, found)
        assert found, query
    assert texts(await bob.search.messages("%")) == ["100% sure_thing \\ back"]
    assert texts(await bob.search.messages("_")) == ["100% sure_thing \\ back"]
    assert texts(await bob.search.messages("\\")) == ["100% sure_thing \\ back"]
    assert texts(await bob.search.messages("e_t")) == ["100% sure_thing \\ back"]
    for nasty in ['"""', "AND OR", "* *", "NEAR(", "\x00", "\ud800x", "a" * 5000, "x " * 100]:
        await bob.search.messages(nasty)  # never raises


async def test_replaced_or_deleted_content_is_not_searchable(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    path = tmp_path / "offline.db"
    client = IMClient(
        server_url="ws://127.0.0.1:9", token=issue_token(b"k" * 32, "alice"), store_path=path
    )
    await client.open()
    try:
        first = await client.send_text(BOB, "secret plan alpha")
        second = await client.send_text(BOB, "secret plan beta")
        assert len(await client.search.messages("secret")) == 2
        await client.store.outbox.update_content(first.id, {"content": "public notice"})
        assert texts(await client.search.messages("secret")) == ["secret plan beta"]
        assert texts(await client.search.messages("notice")) == ["public notice"]
    finally:
        await client.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM messages WHERE id = ?", (second.id,))
    await client.open()
    try:
        assert await client.search.messages("secret") == []
        assert await client.search.messages("beta") == []
        assert await client.search.backlog() == 0
    finally:
        await client.close()


async def test_recalled_deleted_and_cleared_messages_leave_the_index(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    sent = await send_all(alice, BOB, ["secret recipe", "secret map", "secret code"])
    bob = await make_client("bob")
    await synced(bob, 3, ALICE)
    assert len(await bob.search.messages("secret")) == 3
    with bob.subscribe() as events:
        await alice.history.recall(sent[0])
        while True:  # the recall reaches bob as a push
            await events.next(10)
            if not any(h.message.id == sent[0].id for h in await bob.search.messages("recipe")):
                break
    assert await alice.search.messages("recipe") == [] and await bob.search.messages("recipe") == []
    assert all(
        h.message.object_name == messages.TEXT for h in await bob.search.messages(sender="alice")
    )
    (map_hit,) = await bob.search.messages("map")
    await bob.history.delete([map_hit.message])
    assert await bob.search.messages("map") == []
    assert texts(await bob.search.messages("secret")) == ["secret code"]
    await bob.history.clear(ALICE)
    assert (
        await bob.search.messages("secret") == []
        and await bob.search.messages(sender="alice") == []
    )


async def test_the_migration_indexes_messages_stored_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    database = await Database.open(path, threaded=False)
    await apply_migrations(database, MIGRATIONS[:2])

    def old_rows(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO conversations(id, type, target) VALUES (1, 1, 'carol')")
        conn.executemany(
            "INSERT INTO messages(conv_id, seq, uid, cmid, sender, direction, status, counted,"
            " object_name, content, sent_at) VALUES (1, ?, ?, ?, ?, 0, 3, 1, ?, ?, ?)",
            [
                (i + 1, f"u{i}", f"c{i}", "carol", "RC:TxtMsg",
                 json.dumps({"content": f"old message {i} 旧消息"}), 1000 + i)
                for i in range(600)
            ] + [(601, "u600", "c600", "carol", "RC:FileMsg",
                  json.dumps({"name": "minutes.pdf", "size": 3}), 2000)],
        )  # fmt: skip

    await database.run(old_rows)
    await database.close()
    client = IMClient(
        server_url="ws://127.0.0.1:9", token=issue_token(b"k" * 32, "me"), store_path=path
    )
    await client.open()
    try:
        assert await client.search.backlog() == 601  # nothing was indexed at start-up
        await client.store.search_index.wait_drained()
        assert await client.search.backlog() == 0
        hits = await client.search.messages("旧消息", limit=1000)
        assert len(hits) == 600 and hits[0].message.seq == 600
        assert texts(await client.search.messages("message 599")) == ["old message 599 旧消息"]
        assert [h.message.seq for h in await client.search.messages("minutes")] == [601]
        new = await client.send_text(CAROL, "a new message")
        newest = await client.search.messages("message", limit=2)
        assert [h.message.id for h in newest] == [new.id, 600]
    finally:
        await client.close()


async def test_messages_around_a_result_and_the_snippet(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    long_text = "word " * 60 + "needle in a haystack " + "word " * 60
    await send_all(alice, BOB, [f"line {i}" for i in range(60)] + [long_text])
    bob = await make_client("bob")
    await bob.history.load(ALICE)
    (hit,) = await bob.search.messages("needle")
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    start, end = hit.spans[0]
    assert hit.snippet[start:end] == "needle" and len(hit.snippet) <= 122
    (line,) = await bob.search.messages("line 30")
    around = await bob.search.around(line.message, before=5, after=5)
    assert [m.seq for m in around] == list(range(26, 37))
    newest = await bob.search.around(hit.message, before=2, after=5)
    assert [m.seq for m in newest] == [59, 60, 61]


def test_terms_and_snippets() -> None:
    assert query_terms("  a  A b\tc\nAbc abc ") == ["a", "b", "c", "Abc"]
    assert query_terms("x\x00y") == ["x", "y"]
    snippet, spans = make_snippet("line one\nline TWO", ["two", "line"])
    assert snippet == "line one line TWO" and spans == ((0, 4), (9, 13), (14, 17))
    assert make_snippet("short", []) == ("short", ())


# ------------------------------------------------------------------ the command line


@pytest.fixture(scope="module")
def cli_server(
    tmp_path_factory: pytest.TempPathFactory, module_store: str
) -> Iterator[tuple[Path, str]]:
    data = tmp_path_factory.mktemp("search-cli") / "server"
    process, url = start_server(data)
    try:
        yield data, url
    finally:
        process.terminate()
        process.wait(10)


def test_imkit_search_prints_lines_and_json(cli_server: tuple[Path, str], tmp_path: Path) -> None:
    data, url = cli_server
    alice, bob = token(data, "s-alice"), token(data, "s-bob")
    for text in ("lunch at noon?", "你好世界", "see you at lunch"):
        sent = imkit(tmp_path / "a", "send", "--server", url, "--token", alice,
                     "--to", "s-bob", text)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
    base = ["search", "--server", url, "--token", bob]
    lines = imkit(tmp_path / "b", *base, "lunch")
    assert lines.returncode == 0, lines.stderr
    out = lines.stdout.splitlines()
    assert len(out) == 2 and "s-alice  s-alice: see you at lunch" in out[0]
    assert out[1].endswith("s-alice: lunch at noon?") and out[0][:4].isdigit()
    found = imkit(tmp_path / "b", *base, "世界", "--json", "--offline")
    assert found.returncode == 0, found.stderr
    (hit,) = [json.loads(line) for line in found.stdout.splitlines()]
    assert hit["content"] == {"content": "你好世界"} and hit["sender"] == "s-alice"
    assert hit["conversation"]["target"] == "s-alice" and hit["seq"] == 2
    assert hit["snippet"] == "你好世界" and hit["matches"] == [[2, 4]]
    by_sender = imkit(tmp_path / "b", *base, "--from", "s-alice", "--with", "s-alice",
                      "--limit", "2", "--offline")  # fmt: skip
    assert by_sender.returncode == 0 and len(by_sender.stdout.splitlines()) == 2
    none = imkit(tmp_path / "b", *base, "--offline")
    assert none.returncode == 2 and "TEXT" in none.stderr and "Traceback" not in none.stderr
