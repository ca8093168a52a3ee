"""Every frame type, sent by every role, gets the answer that role deserves.

The roles, around one group that olga owns: olga the owner, mia a member, mute a muted
member, bo a member olga blocked, rex a member who was removed, sam a stranger, and the
app's own account. Every answer is asserted: a frame type added to the protocol is added
here (a test below checks that none is missing).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from imkit_tui import messages
from imkit_tui.protocol import (
    SYSTEM_ACCOUNT,
    AttrSet,
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomDirectory,
    ChatroomInfo,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomLeave,
    ChatroomList,
    ChatroomQuery,
    ClearHistory,
    ClientFrame,
    ConversationType,
    ConversationUpdate,
    ConvRef,
    CsAgentRequest,
    CsAgentState,
    DeleteBefore,
    DeleteMessages,
    DownloadChunk,
    DownloadRequest,
    EditMessage,
    ErrorCode,
    ErrorFrame,
    Frame,
    GroupInfo,
    GroupRequest,
    Hello,
    MarkRead,
    Ping,
    Pong,
    PrivacyState,
    PullMany,
    PullPages,
    PullReply,
    PullRequest,
    PullSpec,
    PushUrlState,
    ReadReceipt,
    Recall,
    ReceiptQuery,
    ReceiptState,
    SendAck,
    SendMessage,
    ServerFrame,
    SetPushUrl,
    SyncReply,
    SyncRequest,
    UltraDeleted,
    UltraInfo,
    UltraRequest,
    UltraSettings,
    UltraSync,
    UltraSynced,
    UltraUpdate,
    UpdateConversation,
    UpdatePrivacy,
    UploadChunk,
    UploadStart,
    UploadState,
    media_url,
)
from imkit_tui.protocol.profile_frames import ProfileList, ProfileQuery, UpdateProfile
from imkit_tui.protocol.public_frames import (
    MenuItem,
    PublicAccountInfo,
    PublicAccounts,
    PublicFollow,
    PublicQuery,
    PublicSearch,
)
from imkit_tui.server.budgets import Budget, FrameBudgets
from imkit_tui.server.customer_service.settings import CustomerServiceSettings
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.public_service.service import save_account
from imkit_tui.server.ultra.config import UltraPolicy
from tests.conftest import ServerHandle, running_server
from tests.wire import WireClient

ROLES = ("olga", "mia", "mute", "bo", "rex", "sam", SYSTEM_ACCOUNT)
MEMBERS = ("olga", "mia", "mute", "bo")
FILE = b"the team's plan, as a file"
FILE_SHA = hashlib.sha256(FILE).hexdigest()


@dataclass
class World:
    """One group and its people, as each role sees it."""

    group: str
    clients: dict[str, WireClient]
    hello_uid: str
    ultra_hello_uid: str = ""

    @property
    def conv(self) -> ConvRef:
        return ConvRef.group(self.group)

    @property
    def room(self) -> str:
        """The world's chatroom: olga and mia are in it."""
        return f"room-{self.group}"

    @property
    def ultra(self) -> ConvRef:
        """The default channel of the world's ultra group (of the same id)."""
        return ConvRef(type=10, target=self.group)


_counter = itertools.count()


async def _world(handle: ServerHandle, clients: dict[str, WireClient]) -> World:
    group = f"team{next(_counter)}"
    olga = clients["olga"]
    made = await olga.request(
        GroupRequest(group=group, op="create", members=["mia", "mute", "bo", "rex"])
    )
    assert isinstance(made, GroupInfo) and len(made.members) == 5, made
    assert isinstance(
        await olga.request(GroupRequest(group=group, op="mute", members=["mute"])), GroupInfo
    )
    assert isinstance(
        await olga.request(GroupRequest(group=group, op="kick", members=["rex"])), GroupInfo
    )
    hello = await olga.request(
        SendMessage(
            conv=ConvRef.group(group),
            object_name=messages.TEXT,
            content={"content": "hello team"},
            cmid=f"hello-{group}",
        )
    )
    assert isinstance(hello, SendAck), hello
    asked = await olga.request(
        SendMessage(
            conv=ConvRef.group(group),
            object_name=messages.READ_RECEIPT_REQUEST,
            content={"messageUId": hello.uid},
            cmid=f"ask-{group}",
        )
    )
    assert isinstance(asked, SendAck), asked
    state = await olga.request(UploadStart(sha256=FILE_SHA, size=len(FILE)))
    if isinstance(state, UploadState) and not state.done:
        state = await olga.request(UploadChunk(sha256=FILE_SHA, offset=0, data=FILE))
    assert isinstance(state, UploadState) and state.done, state
    shared = await olga.request(
        SendMessage(
            conv=ConvRef.group(group),
            object_name=messages.FILE,
            content={"name": "plan.txt", "size": len(FILE), "fileUrl": media_url(FILE_SHA)},
            cmid=f"file-{group}",
        )
    )
    assert isinstance(shared, SendAck), shared
    for member in ("olga", "mia"):
        joined = await clients[member].request(ChatroomJoin(room=f"room-{group}", history=-1))
        assert isinstance(joined, ChatroomJoined), joined
        followed = await clients[member].request(PublicFollow(account="news", type=7))
        assert isinstance(followed, PublicAccountInfo) and followed.account.followed, followed
    return World(group, clients, hello.uid, await _ultra_world(group, clients))


async def _ultra_world(group: str, clients: dict[str, WireClient]) -> str:
    """An ultra group of the same id: olga owns it, mia, mute and bo are in it (mute
    muted), rex joined and quit, sam never came. The uid of olga's first message."""
    olga = clients["olga"]
    assert isinstance(await olga.request(UltraRequest(group=group, op="create")), UltraInfo)
    for role in ("mia", "mute", "bo", "rex"):
        joined = await clients[role].request(UltraRequest(group=group, op="join"))
        assert isinstance(joined, UltraInfo), joined
    assert isinstance(await clients["rex"].request(UltraRequest(group=group, op="quit")), UltraInfo)
    muted = await olga.request(UltraRequest(group=group, op="mute", members=["mute"]))
    assert isinstance(muted, UltraInfo), muted
    hello = await olga.request(
        SendMessage(
            conv=ConvRef(type=10, target=group),
            object_name=messages.TEXT,
            content={"content": "hello guild"},
            cmid=f"ultra-hello-{group}",
        )
    )
    assert isinstance(hello, SendAck), hello
    return hello.uid


Expect = type[ServerFrame] | int
"""An answer: a frame type, or an error code."""

Case = tuple[str, Callable[[World, str], Frame], dict[str, Expect], bool]
"""(name, the frame a role sends, the answer per role, whether it changes the group)."""


def _each(default: Expect, **roles: Expect) -> dict[str, Expect]:
    answers = {role: default for role in ROLES}
    answers.update({role: value for role, value in roles.items() if role != "app"})
    if "app" in roles:
        answers[SYSTEM_ACCOUNT] = roles["app"]
    return answers


NOT_IN_GROUP = ErrorCode.NOT_IN_GROUP
INVALID = ErrorCode.INVALID_PARAMETER
NOT_IN_ULTRA = ErrorCode.NOT_IN_ULTRA_GROUP
ULTRA_OUTSIDERS = {"rex": NOT_IN_ULTRA, "sam": NOT_IN_ULTRA, "app": NOT_IN_ULTRA}
OUTSIDERS = {"rex": NOT_IN_GROUP, "sam": NOT_IN_GROUP, "app": NOT_IN_GROUP}
# Someone who left reads what came before their leaving and keeps their own view of it.
READERS = {"sam": NOT_IN_GROUP, "app": NOT_IN_GROUP}


def _text(world: World, role: str) -> Frame:
    return SendMessage(
        conv=world.conv,
        object_name=messages.TEXT,
        content={"content": f"hi from {role}"},
        cmid=f"{world.group}-{role}",
    )


def _private(world: World, role: str) -> Frame:
    return SendMessage(
        conv=ConvRef.private("olga"),
        object_name=messages.TEXT,
        content={"content": "psst"},
        cmid=f"private-{world.group}-{role}",
    )


def _ultra_op(op: str, **fields: object) -> Callable[..., Frame]:
    def make(world: World, role: str) -> Frame:
        group = f"{world.group}-{role}" if op == "create" else world.group
        return UltraRequest(group=group, op=op, **fields)  # type: ignore[arg-type]

    return make


def _group_op(op: str, members: tuple[str, ...] = (), name: str = "") -> Callable[..., Frame]:
    def make(world: World, role: str) -> Frame:
        group = f"{world.group}-{role}" if op == "create" else world.group
        return GroupRequest(group=group, op=op, members=list(members), name=name)  # type: ignore[arg-type]

    return make


CASES: list[Case] = [
    ("send to the group", _text, _each(SendAck, mute=ErrorCode.MUTED_IN_GROUP, **OUTSIDERS), False),
    ("send privately to olga", _private, _each(SendAck, bo=ErrorCode.REJECTED_BY_BLACKLIST), False),
    (
        "pull the group",
        lambda w, r: PullRequest(conv=w.conv, limit=50),
        _each(PullReply, **READERS),
        False,
    ),
    (
        "pull the group among others",
        lambda w, r: PullMany(pulls=[PullSpec(conv=w.conv, limit=50)]),
        _each(PullPages, **READERS),
        False,
    ),
    ("sync", lambda w, r: SyncRequest(since=0), _each(SyncReply), False),
    (
        "mark read",
        lambda w, r: MarkRead(conv=w.conv, seq=1),
        _each(ConversationUpdate, **READERS),
        False,
    ),
    (
        "settings",
        lambda w, r: UpdateConversation(conv=w.conv, pinned=True),
        _each(ConversationUpdate, **READERS),
        False,
    ),
    (
        "delete for me",
        lambda w, r: DeleteMessages(conv=w.conv, seqs=[1]),
        _each(ConversationUpdate, **READERS),
        False,
    ),
    (
        "clear for me",
        lambda w, r: ClearHistory(conv=w.conv, seq=1),
        _each(ConversationUpdate, **READERS),
        False,
    ),
    (
        "recall olga's message",
        lambda w, r: Recall(conv=w.conv, uid=w.hello_uid),
        _each(INVALID, olga=SendAck, **OUTSIDERS),
        True,
    ),
    ("privacy", lambda w, r: UpdatePrivacy(), _each(PrivacyState), False),
    ("push url", lambda w, r: SetPushUrl(), _each(PushUrlState), False),
    ("group info", _group_op("info"), _each(GroupInfo, **OUTSIDERS), False),
    ("invite", _group_op("invite", ("newbie",)), _each(GroupInfo, **OUTSIDERS), True),
    ("kick", _group_op("kick", ("mia",)), _each(INVALID, olga=GroupInfo, **OUTSIDERS), True),
    ("rename", _group_op("rename", name="Crew"), _each(INVALID, olga=GroupInfo, **OUTSIDERS), True),
    ("mute", _group_op("mute", ("mia",)), _each(INVALID, olga=GroupInfo, **OUTSIDERS), True),
    ("mute all", _group_op("mute_all"), _each(INVALID, olga=GroupInfo, **OUTSIDERS), True),
    (
        "allow to speak",
        _group_op("allow_speak", ("mia",)),
        _each(INVALID, olga=GroupInfo, **OUTSIDERS),
        True,
    ),
    ("dismiss", _group_op("dismiss"), _each(INVALID, olga=GroupInfo, **OUTSIDERS), True),
    (
        "quit",
        _group_op("quit"),
        _each(GroupInfo, olga=INVALID, **OUTSIDERS),
        True,
    ),
    ("sync a member", _group_op("sync", ("sam",)), _each(INVALID, app=GroupInfo), True),
    (
        "accept without an invitation",
        _group_op("accept"),
        _each(GroupInfo, rex=NOT_IN_GROUP, sam=NOT_IN_GROUP, app=NOT_IN_GROUP),
        False,
    ),
    ("create a group", _group_op("create"), _each(GroupInfo), False),
    (
        "read receipt",
        lambda w, r: ReadReceipt(conv=w.conv, uids=[w.hello_uid]),
        _each(ReceiptState, **OUTSIDERS),
        False,
    ),
    (
        "ask who read",
        lambda w, r: ReceiptQuery(conv=w.conv, uids=[w.hello_uid]),
        _each(ReceiptState, **OUTSIDERS),
        False,
    ),
    (
        "announce an upload",
        lambda w, r: UploadStart(sha256=hashlib.sha256(r.encode()).hexdigest(), size=10),
        _each(UploadState),
        False,
    ),
    (
        "a chunk never announced",
        lambda w, r: UploadChunk(sha256="e" * 64, offset=0, data=b"x"),
        _each(INVALID),
        False,
    ),
    (
        "download the group's file",
        lambda w, r: DownloadRequest(sha256=FILE_SHA, offset=0, length=100),
        _each(
            DownloadChunk,
            rex=ErrorCode.MEDIA_NOT_FOUND,
            sam=ErrorCode.MEDIA_NOT_FOUND,
            app=ErrorCode.MEDIA_NOT_FOUND,
        ),
        False,
    ),
    ("ping", lambda w, r: Ping(), _each(Pong), False),
    # Anyone's name and portrait may be read; only one's own may be set.
    (
        "read profiles",
        lambda w, r: ProfileQuery(users=["olga", "rex", "nobody"]),
        _each(ProfileList),
        False,
    ),
    ("set one's own profile", lambda w, r: UpdateProfile(name=f"{r}!"), _each(ProfileList), False),
    # Chatrooms: olga and mia are in the world's room; everyone else is not.
    (
        "send into the chatroom",
        lambda w, r: SendMessage(
            conv=ConvRef(type=4, target=w.room),
            object_name=messages.TEXT,
            content={"content": "hi room"},
            cmid=f"room-{w.group}-{r}",
        ),
        _each(ErrorCode.NOT_IN_CHATROOM, olga=SendAck, mia=SendAck),
        False,
    ),
    (
        "pull the chatroom's history (none is kept)",
        lambda w, r: PullRequest(conv=ConvRef(type=4, target=w.room), before_seq=10),
        _each(ErrorCode.CHATROOM_HISTORY_OFF),
        False,
    ),
    (
        "join a chatroom, made if missing",
        lambda w, r: ChatroomJoin(room=f"{w.room}-{r}"),
        _each(ChatroomJoined),
        False,
    ),
    (
        "join a chatroom that does not exist, existing only",
        lambda w, r: ChatroomJoin(room=f"{w.room}-none", create=False),
        _each(ErrorCode.CHATROOM_NOT_FOUND),
        False,
    ),
    (
        "query the chatroom with its members",
        lambda w, r: ChatroomQuery(room=w.room, members=10),
        _each(ChatroomInfo),
        False,
    ),
    (
        "set a chatroom attribute",
        lambda w, r: ChatroomAttrs(room=w.room, op="set", set=[AttrSet(key=f"k{r}", value="v")]),
        _each(ErrorCode.NOT_IN_CHATROOM, olga=ChatroomAttrState, mia=ChatroomAttrState),
        False,
    ),
    (
        "list the chatroom's attributes",
        lambda w, r: ChatroomAttrs(room=w.room, op="list"),
        _each(ChatroomAttrState),
        False,
    ),
    (
        "leave the chatroom",
        lambda w, r: ChatroomLeave(room=w.room),
        _each(ChatroomInfo),
        True,
    ),
    ("list the public chatrooms", lambda w, r: ChatroomList(), _each(ChatroomDirectory), False),
    # Public service accounts: olga and mia follow "news" (type 7); "desk" (type 8) is
    # followed by whoever asks.
    (
        "send a menu command to an account",
        lambda w, r: SendMessage(
            conv=ConvRef(type=7, target="news"),
            object_name=messages.PS_CMD,
            content={"cmd": "click", "data": "latest"},
            cmid=f"ps-{w.group}-{r}",
        ),
        _each(ErrorCode.NOT_FOLLOWING, olga=SendAck, mia=SendAck),
        False,
    ),
    (
        "send text to an account that takes menu commands only",
        lambda w, r: SendMessage(
            conv=ConvRef(type=7, target="news"),
            object_name=messages.TEXT,
            content={"content": "hello news"},
            cmid=f"ps-text-{w.group}-{r}",
        ),
        _each(ErrorCode.NOT_FOLLOWING, olga=INVALID, mia=INVALID),
        False,
    ),
    (
        "pull an account's conversation",
        lambda w, r: PullRequest(conv=ConvRef(type=7, target="news"), limit=10),
        _each(ErrorCode.NOT_FOLLOWING, olga=PullReply, mia=PullReply),
        False,
    ),
    (
        "search the public accounts",
        lambda w, r: PublicSearch(keyword="new"),
        _each(PublicAccounts),
        False,
    ),
    (
        "read an account's profile",
        lambda w, r: PublicQuery(account="news", type=7),
        _each(PublicAccountInfo),
        False,
    ),
    (
        "read an account that does not exist",
        lambda w, r: PublicQuery(account="nobody", type=8),
        _each(ErrorCode.PUBLIC_ACCOUNT_NOT_FOUND),
        False,
    ),
    (
        "follow the platform's account",
        lambda w, r: PublicFollow(account="desk", type=8),
        _each(PublicAccountInfo),
        False,
    ),
    (
        "send to the ultra group",
        lambda w, r: SendMessage(
            conv=w.ultra, object_name=messages.TEXT, content={}, cmid=f"u-{w.group}-{r}"
        ),
        _each(SendAck, mute=ErrorCode.MUTED_IN_ULTRA_GROUP, **ULTRA_OUTSIDERS),
        False,
    ),
    (
        "pull the ultra group",
        lambda w, r: PullRequest(conv=w.ultra, limit=50),
        _each(PullReply, **ULTRA_OUTSIDERS),
        False,
    ),
    (
        "read in the ultra group",
        lambda w, r: MarkRead(conv=w.ultra, seq=1),
        _each(UltraUpdate, **ULTRA_OUTSIDERS),
        False,
    ),
    (
        "recall olga's ultra message",
        lambda w, r: Recall(conv=w.ultra, uid=w.ultra_hello_uid),
        _each(INVALID, olga=SendAck, **ULTRA_OUTSIDERS),
        True,
    ),
    ("ultra info", _ultra_op("info"), _each(UltraInfo, **ULTRA_OUTSIDERS), False),
    ("ultra join", _ultra_op("join"), _each(UltraInfo), True),
    ("ultra create", _ultra_op("create"), _each(UltraInfo), False),
    ("ultra rename", _ultra_op("rename", name="Guild"), _each(INVALID, olga=UltraInfo), True),
    (
        "ultra channel",
        _ultra_op("channel_create", channel="news"),
        _each(INVALID, olga=UltraInfo),
        True,
    ),
    ("ultra mute", _ultra_op("mute", members=["mia"]), _each(INVALID, olga=UltraInfo), True),
    ("ultra dismiss", _ultra_op("dismiss"), _each(INVALID, olga=UltraInfo), True),
    (
        "ultra quit",
        _ultra_op("quit"),
        _each(UltraInfo, olga=INVALID, **ULTRA_OUTSIDERS),
        True,
    ),
    (
        "ultra level",
        lambda w, r: UltraSettings(group=w.group, level="mentions"),
        _each(UltraUpdate, **ULTRA_OUTSIDERS),
        False,
    ),
    ("ultra sync", lambda w, r: UltraSync(), _each(UltraSynced), False),
    (
        "edit olga's ultra message",
        lambda w, r: EditMessage(
            conv=w.ultra, uid=w.ultra_hello_uid, content={"content": "hi"}, cmid=f"e-{w.group}-{r}"
        ),
        _each(
            ErrorCode.MESSAGE_NOT_MODIFIABLE,
            olga=SendAck,
            mute=ErrorCode.MUTED_IN_ULTRA_GROUP,
            **ULTRA_OUTSIDERS,
        ),
        False,
    ),
    (
        "delete the ultra group's past for everyone",
        lambda w, r: DeleteBefore(conv=w.ultra, before=1, for_everyone=True),
        _each(INVALID, olga=UltraDeleted, **ULTRA_OUTSIDERS),
        True,
    ),
    # Customer service "kefu", whose one agent is mia: customers open it, mia serves.
    (
        "open customer service",
        lambda w, r: SendMessage(
            conv=ConvRef(type=ConversationType.CUSTOMER_SERVICE, target="kefu"),
            object_name=messages.CS_HANDSHAKE,
            content={},
            cmid=f"cs-{w.group}-{r}",
        ),
        _each(SendAck, mia=INVALID),
        False,
    ),
    (
        "look at the customer-service desk",
        lambda w, r: CsAgentRequest(op="view"),
        _each(INVALID, mia=CsAgentState),
        False,
    ),
]


def _seen(answer: ServerFrame) -> Expect:
    if isinstance(answer, PullPages) and answer.pages and answer.pages[0].code:
        return answer.pages[0].code  # each conversation of a PullMany is judged alone
    return answer.code if isinstance(answer, ErrorFrame) else type(answer)


def _name(expected: Expect) -> str:
    return expected.__name__ if isinstance(expected, type) else str(expected)


async def test_every_frame_type_by_every_role(tmp_path: Path) -> None:
    # Olga makes a group per case: budgets out of the way (tests/test_budgets.py has them).
    roomy = FrameBudgets(**{f.name: Budget(1e9, 10**9) for f in dataclasses.fields(FrameBudgets)})
    # And the cap of ultra groups: olga owns one per world.
    many = UltraPolicy(max_joined=100_000)
    desk = CustomerServiceSettings(account="kefu", agents=("mia",))
    async with running_server(
        tmp_path / "server", budgets=roomy, ultra=many, customer_service=desk
    ) as server_handle:
        clients = {role: await server_handle.login(role) for role in ROLES}
        store = server_handle.server.require_store() if server_handle.server else None
        assert store is not None
        menu = (MenuItem(id="latest", name="Latest"),)
        await save_account(store, AccountSpec(type=7, id="news", name="News", menu=menu))
        await save_account(store, AccountSpec(type=8, id="desk", name="Help desk"))
        try:
            await clients["olga"].request(UpdatePrivacy(block=["bo"]))
            shared = await _world(server_handle, clients)
            wrong: list[str] = []
            for name, make, answers, changes in CASES:
                for role in ROLES:
                    world = await _world(server_handle, clients) if changes else shared
                    answer = await clients[role].request(make(world, role))
                    if _seen(answer) != answers[role]:
                        detail = answer.message if isinstance(answer, ErrorFrame) else ""
                        wrong.append(
                            f"{name} by {role}: wanted {_name(answers[role])},"
                            f" got {_name(_seen(answer))} {detail}"
                        )
            assert wrong == [], "\n".join(wrong)
        finally:
            for client in clients.values():
                await client.close()


def test_every_client_frame_type_is_covered() -> None:
    after_login = set(typing.get_args(ClientFrame)) - {Hello}  # hello is the login itself
    covered = {type(make(World("g", {}, "u"), "olga")) for _, make, _, _ in CASES}
    assert after_login - covered == set()


async def test_a_revoked_users_frames_get_no_answer(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "server", revocation_check_seconds=0.05)
    server = await handle.start()
    old = handle.token("mia")
    mia, olga = await WireClient.login(handle.url, old), await handle.login("olga")
    try:
        assert server.store is not None
        await server.store.tokens.revoke("mia")
        told = await mia.recv()
        assert isinstance(told, ErrorFrame) and told.re == 0
        assert told.code == ErrorCode.TOKEN_INCORRECT and told.message == "this token was revoked"
        # And the connection is closed: nothing mia sends reaches the server any more.
        await mia.ws.wait_closed()
        assert mia.ws.close_code == 1008 and mia.ws.close_reason == "this token was revoked"
        with pytest.raises(ConnectionClosed):
            await mia.request(Ping(), timeout=2)
        with pytest.raises(AssertionError, match="this token was revoked"):
            await WireClient.login(handle.url, old)
        assert isinstance(await olga.request(Ping()), Pong)  # everyone else is served
        again = await WireClient.login(handle.url, handle.token("mia"))
        await again.close()
    finally:
        await mia.close()
        await olga.close()
        await handle.stop()
