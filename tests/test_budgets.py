"""What one user may do to others: a budget per kind of frame (20604 past it), and no
group membership forced on someone who blocked them."""

from __future__ import annotations

import json
import typing
from pathlib import Path

from imkit_tui.protocol import (
    ClientFrame,
    ConversationType,
    ConvRef,
    EditMessage,
    ErrorCode,
    ErrorFrame,
    GroupInfo,
    GroupRequest,
    Hello,
    PullMany,
    PullPages,
    PullReply,
    PullRequest,
    PullSpec,
    SendAck,
    SendMessage,
    ServerFrame,
    SyncReply,
    SyncRequest,
    UpdatePrivacy,
)
from imkit_tui.protocol.profile_frames import ProfileList, ProfileQuery, UpdateProfile
from imkit_tui.protocol.public_frames import PublicAccounts, PublicSearch
from imkit_tui.server.budgets import _KINDS, Budget, FrameBudgets
from tests.conftest import ServerHandle, running_server


def _limited(answers: list[ServerFrame]) -> int:
    refused = [a for a in answers if isinstance(a, ErrorFrame)]
    assert all(a.code == ErrorCode.RATE_LIMITED for a in refused), refused
    return len(refused)


async def test_group_operations_pulls_and_syncs_have_budgets(tmp_path: Path) -> None:
    budgets = FrameBudgets(group=Budget(1.0, 10), pull=Budget(10.0, 1000), sync=Budget(1.0, 5))
    async with running_server(tmp_path / "server", budgets=budgets) as handle:
        mallory, bob = await handle.login("mallory"), await handle.login("bob")
        try:
            made = await mallory.request(GroupRequest(group="spam", op="create"))
            assert isinstance(made, GroupInfo)
            renames = [
                await mallory.request(GroupRequest(group="spam", op="rename", name=f"name {n}"))
                for n in range(30)
            ]
            assert _limited(renames) >= 15
            # Refused renames left no notice behind.
            page = await mallory.request(PullRequest(conv=ConvRef.group("spam"), limit=100))
            assert isinstance(page, PullReply)
            assert len(page.messages) <= 12

            pulls = [
                await mallory.request(PullRequest(conv=ConvRef.private("bob"), limit=500))
                for _ in range(10)
            ]
            assert _limited(pulls) >= 7
            syncs = [await mallory.request(SyncRequest(since=0)) for _ in range(20)]
            assert _limited(syncs) >= 10

            # Bob's budgets are his own.
            mine = await bob.request(GroupRequest(group="bobs", op="create"))
            assert isinstance(mine, GroupInfo)
            assert isinstance(await bob.request(SyncRequest(since=0)), SyncReply)
            assert isinstance(
                await bob.request(PullRequest(conv=ConvRef.private("mallory"), limit=500)),
                PullReply,
            )
        finally:
            await mallory.close()
            await bob.close()


async def test_a_pull_of_many_conversations_costs_every_message_it_asks_for(
    tmp_path: Path,
) -> None:
    budgets = FrameBudgets(pull=Budget(1.0, 1000))
    async with running_server(tmp_path / "server", budgets=budgets) as handle:
        mallory = await handle.login("mallory")
        try:
            friends = [PullSpec(conv=ConvRef.private(f"f{n}"), limit=300) for n in range(3)]
            first = await mallory.request(PullMany(pulls=friends))
            assert isinstance(first, PullPages) and len(first.pages) == 3
            # 900 of the burst of 1,000 are spent: another 300 is over it.
            again = await mallory.request(PullMany(pulls=friends[:1]))
            assert isinstance(again, ErrorFrame) and again.code == ErrorCode.RATE_LIMITED
            one = await mallory.request(PullRequest(conv=ConvRef.private("f0"), limit=300))
            assert isinstance(one, ErrorFrame) and one.code == ErrorCode.RATE_LIMITED
        finally:
            await mallory.close()
    roomy = FrameBudgets(pull=Budget(1e9, 10**9))
    async with running_server(tmp_path / "roomy", budgets=roomy) as handle:
        mallory = await handle.login("mallory")
        try:
            # More than 5,000 messages in one request is refused whole, budget or not.
            many = [PullSpec(conv=ConvRef.private(f"f{n}"), limit=500) for n in range(11)]
            refused = await mallory.request(PullMany(pulls=many))
            assert isinstance(refused, ErrorFrame)
            assert refused.code == ErrorCode.INVALID_PARAMETER
        finally:
            await mallory.close()


async def test_who_blocked_you_is_invited_to_your_group_not_added(
    server_handle: ServerHandle,
) -> None:
    bob, mallory, carol = [await server_handle.login(u) for u in ("bob", "mallory", "carol")]
    try:
        await bob.request(UpdatePrivacy(block=["mallory"]))
        made = await mallory.request(
            GroupRequest(group="spam", op="create", members=["bob", "carol"])
        )
        assert isinstance(made, GroupInfo)
        assert made.members == ["mallory", "carol"] and made.invited == ["bob"]
        invitation = await bob.next_push()
        assert invitation.message.conv.type == ConversationType.SYSTEM
        assert "mallory invited you" in invitation.message.content["content"]
        assert json.loads(invitation.message.content["extra"])["groupInvitation"] == {
            "group": "spam",
            "name": "spam",
            "inviter": "mallory",
        }
        said = await mallory.send_text("", "buy now", "m1", conv=ConvRef.group("spam"))
        assert isinstance(said, SendAck)
        nothing = await bob.request(PullRequest(conv=ConvRef.group("spam"), limit=10))
        assert isinstance(nothing, ErrorFrame) and nothing.code == ErrorCode.NOT_IN_GROUP
        # Carol, who blocked nobody, invites bob: he is added.
        again = await carol.request(GroupRequest(group="spam", op="invite", members=["bob"]))
        assert isinstance(again, GroupInfo) and "bob" in again.members and again.invited == []

        # A second group: bob accepts mallory's invitation himself.
        await mallory.request(GroupRequest(group="other", op="create", members=["bob"]))
        stranger = await carol.request(GroupRequest(group="other", op="accept"))
        assert isinstance(stranger, ErrorFrame) and stranger.code == ErrorCode.NOT_IN_GROUP
        joined = await bob.request(GroupRequest(group="other", op="accept"))
        assert isinstance(joined, GroupInfo) and "bob" in joined.members
        used = await bob.request(GroupRequest(group="other", op="quit"))
        assert isinstance(used, GroupInfo)
        twice = await bob.request(GroupRequest(group="other", op="accept"))
        assert isinstance(twice, ErrorFrame)
    finally:
        for client in (bob, mallory, carol):
            await client.close()


async def test_profile_queries_and_changes_have_a_budget(tmp_path: Path) -> None:
    budgets = FrameBudgets(profile=Budget(1.0, 10))
    async with running_server(tmp_path / "server", budgets=budgets) as handle:
        mallory, bob = await handle.login("mallory"), await handle.login("bob")
        try:
            asks = [await mallory.request(ProfileQuery(users=["bob"])) for _ in range(20)]
            changes = [await mallory.request(UpdateProfile(name=f"m{n}")) for n in range(10)]
            assert _limited(asks) + _limited(changes) >= 15
            # Bob's budget is his own.
            assert isinstance(await bob.request(ProfileQuery(users=["mallory"])), ProfileList)
        finally:
            await mallory.close()
            await bob.close()


async def test_public_service_requests_have_a_budget(tmp_path: Path) -> None:
    budgets = FrameBudgets(public=Budget(1.0, 5))
    async with running_server(tmp_path / "server", budgets=budgets) as h:
        mallory, bob = await h.login("mallory"), await h.login("bob")
        try:
            searches = [await mallory.request(PublicSearch(keyword=f"k{n}")) for n in range(20)]
            assert _limited(searches) >= 10
            assert isinstance(await bob.request(PublicSearch()), PublicAccounts)
        finally:
            await mallory.close()
            await bob.close()


def test_every_client_frame_type_has_a_budget() -> None:
    """A frame type added without a budget would let one user make the server work
    without bound: each is charged to a kind of budget, or (a send, an edit) to the
    per-user send limit, or is the login itself."""
    by_send_limit = {SendMessage, EditMessage}
    unbudgeted = set(typing.get_args(ClientFrame)) - set(_KINDS) - by_send_limit - {Hello}
    assert unbudgeted == set()
