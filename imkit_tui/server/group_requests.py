"""The server's group requests: create, invite, kick, quit, dismiss, rename, info.

Who may do what follows the service: any member invites, the owner kicks, renames and
dismisses, any member but the owner quits (the owner dismisses instead). Every change
leaves a group notification (RC:GrpNtf) in the chat, so members see "alice added bob".
Those who leave get the notice before they go; those who join, after they joined.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imkit_tui import messages
from imkit_tui.protocol import (
    SYSTEM_ACCOUNT,
    ConversationType,
    ConvRef,
    ErrorCode,
    GroupInfo,
    GroupRequest,
    ProtocolError,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.group_store import GroupFull, GroupRecord
from imkit_tui.server.routing import Route, route_send
from imkit_tui.server.session import Session
from imkit_tui.server.store import ServerStore

_VOICE_OPS: dict[str, tuple[str, bool]] = {
    "mute": ("muted", True),
    "unmute": ("muted", False),
    "allow_speak": ("speaker", True),
    "disallow_speak": ("speaker", False),
    "mute_all": ("all", True),
    "unmute_all": ("all", False),
}
"""Group operations on who may speak: (what changes, on or off)."""

# RongCloud's operation names, as the catalogue reads them (case-insensitive).
_OPERATIONS = {"invite": "Add", "kick": "Kicked", "quit": "Quit", "dismiss": "Dismiss"}


def _refuse(code: ErrorCode, why: str, request_id: int) -> ProtocolError:
    return ProtocolError(code, why, request_id)


class GroupRequests:
    """Answers GroupRequest. Mixed into IMServer."""

    config: ServerConfig

    if TYPE_CHECKING:  # provided by the class this is mixed into

        def _require_store(self) -> ServerStore: ...

        async def _post(
            self, route: Route, sender: str, object_name: str, content: dict[str, Any]
        ) -> int: ...

        async def create_group(
            self, group_id: str, name: str, owner: str, member_ids: list[str]
        ) -> bool: ...

        async def send_system(
            self, user_id: str, object_name: str, content: dict[str, Any]
        ) -> int: ...

    async def _on_group(self, session: Session, frame: GroupRequest) -> None:
        store = self._require_store()
        me, rid = session.user_id, frame.id
        if frame.op == "sync":
            await self._sync_member(session, store, frame)
            return
        if frame.op == "create":
            name = frame.name.strip() or frame.group
            wanted = [m for m in dict.fromkeys(frame.members) if m != me]
            self._check_size(1 + len(wanted), rid)
            members, asked = await self._consenting(store, me, wanted)
            if not await self.create_group(frame.group, name, me, members):
                raise _refuse(ErrorCode.INVALID_PARAMETER, "that group exists already", rid)
            await self._send_invitations(store, frame.group, name, me, asked)
            await self._answer(session, store, frame.group, rid, asked)
            return
        group = await store.group(frame.group)
        if frame.op == "accept":
            await self._accept(store, group, me, rid)
            await self._answer(session, store, frame.group, rid)
            return
        if group is None or me not in group.members:
            raise _refuse(ErrorCode.NOT_IN_GROUP, "you are not in this group", rid)
        invited: list[str] = []
        if frame.op == "invite":
            new = [m for m in dict.fromkeys(frame.members) if m not in group.members]
            members, invited = await self._consenting(store, me, new)
            await self._invite(store, group, me, members, rid)
            await self._send_invitations(store, group.group_id, group.name, me, invited)
        elif frame.op == "kick":
            self._owner_only(group, me, "kick members", rid)
            targets = [m for m in frame.members if m in group.members and m != group.owner]
            await self._leave(store, group, me, targets, "kick")
        elif frame.op == "quit":
            if me == group.owner:
                raise _refuse(ErrorCode.INVALID_PARAMETER, "the owner dismisses instead", rid)
            await self._leave(store, group, me, [me], "quit")
        elif frame.op == "dismiss":
            self._owner_only(group, me, "dismiss the group", rid)
            await self._leave(store, group, me, group.members, "dismiss")
        elif frame.op in _VOICE_OPS:
            self._owner_only(group, me, "decide who may speak", rid)
            kind, on = _VOICE_OPS[frame.op]
            targets = [m for m in frame.members if m in group.members]
            if kind == "all":
                await store.set_all_muted(group.group_id, on)
            else:
                await store.set_voices(group.group_id, kind, targets, on)
        elif frame.op == "rename":
            self._owner_only(group, me, "rename the group", rid)
            name = frame.name.strip()
            if not name:
                raise _refuse(ErrorCode.INVALID_PARAMETER, "a group needs a name", rid)
            await store.rename_group(group.group_id, name)
            await self._notice(store, group, me, "Rename", [], name)
        await self._answer(session, store, frame.group, rid, invited)

    async def _consenting(
        self, store: ServerStore, inviter: str, users: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """Split `users` into those who may be added by `inviter` and those who do not
        accept messages from them (blocked, or whitelist mode): those are invited."""
        added: list[str] = []
        invited: list[str] = []
        for user in users:
            rules = await store.privacy_rules(user)
            (invited if rules.refuses(inviter) else added).append(user)
        return added, invited

    async def _send_invitations(
        self, store: ServerStore, group_id: str, name: str, inviter: str, invited: list[str]
    ) -> None:
        """Keep each invitation and tell the invited in their system conversation."""
        if not invited:
            return
        for user in await store.add_invitations(group_id, invited, inviter, now_ms()):
            await self.send_system(
                user,
                messages.TEXT,
                {
                    "content": f"{inviter} invited you to the group {name}. To join: "
                    f"imkit group accept {group_id}, or the palette's Accept invitation.",
                    "extra": json.dumps(
                        {"groupInvitation": {"group": group_id, "name": name, "inviter": inviter}}
                    ),
                },
            )

    async def _accept(
        self, store: ServerStore, group: GroupRecord | None, me: str, request_id: int
    ) -> None:
        """Join a group one was invited to."""
        if group is None:
            raise _refuse(ErrorCode.NOT_IN_GROUP, "no such group", request_id)
        if me in group.members:
            return
        inviter = await store.take_invitation(group.group_id, me)
        if inviter is None:
            raise _refuse(ErrorCode.NOT_IN_GROUP, "you were not invited to this group", request_id)
        operator = inviter if inviter in group.members else group.owner
        await self._invite(store, group, operator, [me], request_id)

    async def _sync_member(self, session: Session, store: ServerStore, frame: GroupRequest) -> None:
        """The app server says that a user is in a group (from the app's own data):
        create the group (the user owns it) when the server has none, add the user,
        and take the app's name for it. Only the app's own account may."""
        rid = frame.id
        if session.user_id != SYSTEM_ACCOUNT:
            raise _refuse(ErrorCode.INVALID_PARAMETER, "only the app server syncs groups", rid)
        if len(frame.members) != 1:
            raise _refuse(ErrorCode.INVALID_PARAMETER, "sync one member at a time", rid)
        (user,) = frame.members
        name = frame.name.strip()
        group = await store.group(frame.group)
        if group is None:
            if not await self.create_group(frame.group, name or frame.group, user, []):
                raise _refuse(ErrorCode.INTERNAL_ERROR, "the group appeared meanwhile", rid)
        else:
            if user not in group.members:
                await self._invite(store, group, user, [user], rid)
            if name and name != group.name:
                await store.rename_group(group.group_id, name)
                await self._notice(store, group, group.owner, "Rename", [], name)
        await self._answer(session, store, frame.group, rid)

    def _owner_only(self, group: GroupRecord, me: str, what: str, request_id: int) -> None:
        if me != group.owner:
            raise _refuse(ErrorCode.INVALID_PARAMETER, f"only the owner may {what}", request_id)

    def _check_size(self, size: int, request_id: int) -> None:
        if size > self.config.max_group_members:
            raise _refuse(
                ErrorCode.INVALID_PARAMETER,
                f"a group has at most {self.config.max_group_members} members",
                request_id,
            )

    async def _invite(
        self,
        store: ServerStore,
        group: GroupRecord,
        me: str,
        invited: Sequence[str],
        request_id: int,
    ) -> None:
        new = [m for m in dict.fromkeys(invited) if m not in group.members]
        self._check_size(len(group.members) + len(new), request_id)
        try:
            added = await store.add_members(
                group.group_id,
                new,
                now_ms(),
                with_history=self.config.new_members_see_history,
                limit=self.config.max_group_members,
            )
        except GroupFull as full:
            raise _refuse(ErrorCode.INVALID_PARAMETER, str(full), request_id) from None
        if added:
            await self._notice(store, group, me, "Add", added, group.name)

    async def _leave(
        self, store: ServerStore, group: GroupRecord, me: str, leaving: list[str], op: str
    ) -> None:
        """Post the notice while those leaving are still members, then remove them."""
        if not leaving:
            return
        await self._notice(store, group, me, _OPERATIONS[op], leaving, group.name)
        await store.remove_members(group.group_id, leaving)

    async def _notice(
        self,
        store: ServerStore,
        group: GroupRecord,
        operator: str,
        operation: str,
        targets: list[str],
        name: str,
    ) -> None:
        content = {
            "operatorUserId": operator,
            "operation": operation,
            "data": {
                "operatorNickname": operator,
                "targetUserIds": targets,
                "targetUserDisplayNames": targets,
                "targetGroupName": name,
            },
        }
        content["message"] = messages.summarize(messages.GROUP_NTF, content)
        conv = ConvRef(type=ConversationType.GROUP, target=group.group_id)
        route = await route_send(store, operator, conv, 0)
        await self._post(route, operator, messages.GROUP_NTF, content)

    async def _answer(
        self,
        session: Session,
        store: ServerStore,
        group_id: str,
        request_id: int,
        invited: Sequence[str] = (),
    ) -> None:
        group = await store.group(group_id)
        if group is None:
            raise _refuse(ErrorCode.NOT_IN_GROUP, "no such group", request_id)
        session.send(
            GroupInfo(
                re=request_id,
                group=group.group_id,
                name=group.name,
                owner=group.owner,
                members=group.members,
                muted=sorted(group.voices.muted),
                all_muted=group.voices.all_muted,
                speakers=sorted(group.voices.speakers),
                invited=list(invited),
            )
        )
