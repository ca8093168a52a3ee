"""People's names and portraits: set through the Server API or by the user, read in
batches, cached in the client store, carried to other devices by RC:UIUMsg."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from imkit_tui.core import IMClient, ProfilesChanged
from imkit_tui.core.connection import RequestFailed
from imkit_tui.protocol import ConvRef, ErrorCode, ErrorFrame
from imkit_tui.protocol.profile_frames import ProfileList, ProfileQuery, UpdateProfile
from tests.api_client import ApiHandle, running_api
from tests.conftest import FAST_BACKOFF, ClientFactory, ServerHandle, until_client


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


def _client(handle: ServerHandle, tmp_path: Path, user: str, device: str) -> IMClient:
    return IMClient(
        server_url=handle.url,
        token=handle.token(user),
        store_path=tmp_path / "clients" / user / device / "store.db",
        device=device,
        backoff=FAST_BACKOFF,
        request_timeout=5.0,
    )


async def test_a_name_set_through_the_server_api_reaches_a_device_showing_the_user(
    api: ApiHandle, tmp_path: Path
) -> None:
    await api.client.ok("/user/getToken.json", {"userId": "alice", "name": "Alice A."})
    bob_phone = _client(api.handle, tmp_path, "bob", "phone")
    bob_laptop = _client(api.handle, tmp_path, "bob", "laptop")
    alice = _client(api.handle, tmp_path, "alice", "main")
    try:
        for client in (alice, bob_phone, bob_laptop):
            await client.start()
            await client.wait_synced(timeout=10)
        sent = await alice.send_text(ConvRef.private("bob"), "hi")
        await alice.wait_sent([sent.id], timeout=5)
        # The second device reads the name the backend gave, in one batch.
        assert bob_laptop.profiles.name("alice") == "alice"  # not known yet: the id
        await until_client(bob_laptop, _named(bob_laptop, "alice", "Alice A."))
        assert bob_laptop.profiles.queries == 1
        # The backend renames her: an RC:UIUMsg push reaches both of bob's devices.
        await api.client.ok(
            "/user/refresh.json",
            {"userId": "alice", "name": "Alice B.", "portraitUri": "https://p.example/a.png"},
        )
        for device in (bob_laptop, bob_phone):
            await until_client(device, _named(device, "alice", "Alice B."))
        known = bob_laptop.profiles.known("alice")
        assert known is not None and known.portrait == "https://p.example/a.png"
        # It is in the store: a restart shows it without asking the server.
        await bob_laptop.close()
        again = _client(api.handle, tmp_path, "bob", "laptop")
        await again.open()
        try:
            found = await again.profiles.get(["alice"])
            assert found["alice"].name == "Alice B."
            assert again.profiles.queries == 0
        finally:
            await again.close()
        info = await api.client.ok("/user/info/get.json", {"userId": "alice"})
        assert info["userName"] == "Alice B."
    finally:
        for client in (alice, bob_phone, bob_laptop):
            await client.close()


def _named(client: IMClient, user: str, name: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        client.profiles.want([user])
        known = client.profiles.known(user)
        return known is not None and known.name == name

    return check


async def test_the_user_sets_their_own_name_and_their_other_device_follows(
    make_client: ClientFactory,
) -> None:
    alice, alice_two = await make_client("alice"), await make_client("alice", "two")
    with alice_two.subscribe() as events:
        profile = await alice.profiles.set_own(name="Alice", portrait="")
        assert profile.name == "Alice"
        async with asyncio.timeout(5):
            while True:
                event = await events.next()
                if isinstance(event, ProfilesChanged):
                    break
    assert [p.name for p in event.profiles] == ["Alice"]
    assert alice_two.profiles.name("alice") == "Alice"
    with pytest.raises(RequestFailed) as refused:
        await alice.profiles.set_own(portrait="javascript:alert(1)")
    assert refused.value.code == ErrorCode.INVALID_PARAMETER
    with pytest.raises(ValueError):
        await alice.profiles.set_own(name="x" * 500)
    assert alice.profiles.name("alice") == "Alice"  # nothing lost


async def test_many_unknown_people_are_read_in_batches_not_one_request_each(
    api: ApiHandle,
) -> None:
    for n in range(250):
        await api.handle.server.require_store().users.set_profile(  # type: ignore[union-attr]
            f"u{n}", f"User {n}", None, 1
        )
    carol = _client(api.handle, api.handle.data_dir.parent, "carol", "main")
    await carol.start()
    try:
        await carol.wait_synced(timeout=10)
        ids = [f"u{n}" for n in range(250)]
        assert [carol.profiles.name(u) for u in ids] == ids  # drawn at once, as ids
        await until_client(carol, _named(carol, "u249", "User 249"))
        assert carol.profiles.queries == 3  # 100 + 100 + 50, never 250
        assert carol.profiles.name("u7") == "User 7"
        assert sorted(carol.profiles.matching("user 24"))[:2] == ["u24", "u240"]
    finally:
        await carol.close()


async def test_profile_frames_answer_and_refuse_clearly(server_handle: ServerHandle) -> None:
    wire = await server_handle.login("dora")
    try:
        answer = await wire.request(UpdateProfile(name="Dora\nX"))
        assert isinstance(answer, ErrorFrame) and answer.code == ErrorCode.INVALID_PARAMETER
        answer = await wire.request(UpdateProfile(name=" Dora ", portrait="https://x/d.png"))
        assert isinstance(answer, ProfileList) and answer.profiles[0].name == "Dora"
        answer = await wire.request(ProfileQuery(users=["dora", "nobody"]))
        assert isinstance(answer, ProfileList)
        assert [(p.user_id, p.name) for p in answer.profiles] == [("dora", "Dora"), ("nobody", "")]
    finally:
        await wire.close()


async def test_a_stored_file_becomes_a_portrait_only_for_one_who_may_read_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, mallory, carol = [await make_client(u) for u in ("bob", "mallory", "carol")]
    picture = tmp_path / "bob.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"bob's face" * 10)
    uploaded = await bob.transfers.upload(picture)
    # Knowing the URL is not enough to make the file one's own portrait (and so public).
    with pytest.raises(RequestFailed) as refused:
        await mallory.profiles.set_own(portrait=uploaded.url)
    assert refused.value.code == ErrorCode.MEDIA_NOT_FOUND
    await bob.profiles.set_own(portrait=uploaded.url)
    # A portrait is shown to everyone: carol, who shares nothing with bob, fetches it.
    fetched = await carol.transfers.download(uploaded.url)
    assert fetched.read_bytes() == picture.read_bytes()


async def test_offline_the_store_names_people_and_stale_ones_are_asked_once_back(
    tmp_path: Path,
) -> None:
    from imkit_tui.core.profile_store import Profile
    from tests.conftest import running_server

    async with running_server(tmp_path / "server") as handle:
        assert handle.server is not None
        await handle.server.require_store().users.set_profile("bob", "Bob New", None, 5)
        carol = _client(handle, tmp_path, "carol", "main")
        await carol.open()  # not connected
        # What an earlier run kept, read long ago: shown offline, stale.
        await carol.store.profiles.save([Profile("bob", "Bob Old", "", 1, fetched_at=1)])
        assert (await carol.profiles.get(["bob"]))["bob"].name == "Bob Old"
        assert carol.profiles.name("bob") == "Bob Old" and carol.profiles.queries == 0
        try:
            await carol.start()
            await carol.wait_synced(timeout=10)
            await until_client(carol, _named(carol, "bob", "Bob New"))
            assert carol.profiles.queries == 1
        finally:
            await carol.close()


async def test_group_notices_carry_display_names_and_ids(make_client: ClientFactory) -> None:
    from imkit_tui import messages

    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.profiles.set_own(name="Alice A.")
    await bob.profiles.set_own(name="Bob B.")
    await alice.groups.create("crew", "Crew", [])
    await alice.groups.invite("crew", ["bob"])
    crew = ConvRef.group("crew")

    async def notices() -> list[str]:
        page = await alice.messages(crew)
        return [
            messages.summarize(m.object_name, m.content)
            for m in page
            if m.object_name == messages.GROUP_NTF
        ]

    async def both() -> bool:
        return len(await notices()) >= 2

    await until_client(alice, both)
    assert await notices() == ["Alice A. created the group", "Alice A. added Bob B."]
    (added,) = [m for m in await alice.messages(crew) if m.content.get("operation") == "Add"]
    assert added.content["data"]["targetUserIds"] == ["bob"]  # the ids stay


async def test_a_users_own_user_info_message_is_not_taken_for_their_name(
    make_client: ClientFactory,
) -> None:
    from imkit_tui import messages

    alice, bob = await make_client("alice"), await make_client("bob")
    await bob.profiles.set_own(name="Bob")
    await until_client(alice, _named(alice, "bob", "Bob"))
    asked = alice.profiles.queries
    claim = {"userInfo": {"id": "bob", "name": "The Admin", "portrait": ""}, "updatedAt": 2**62}
    assert await bob.send_status(ConvRef.private("alice"), messages.USER_INFO_UPDATE, claim)
    # alice asks the server instead of believing it: the name stays the server's.
    for _ in range(500):  # nothing changes, so there is no event to wait on
        if alice.profiles.queries > asked:
            break
        await asyncio.sleep(0.01)
    assert alice.profiles.queries == asked + 1
    assert alice.profiles.name("bob") == "Bob"
