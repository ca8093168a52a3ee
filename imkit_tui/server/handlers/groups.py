"""Group frames: create, invite, kick, quit, dismiss, rename, info.

Who may do what follows the service: any member invites, the owner kicks, renames and
dismisses, any member but the owner quits (the owner dismisses instead). Every change
leaves a group notification (RC:GrpNtf) in the chat, so members see "alice added bob".
Those who leave get the notice before they go; those who join, after they joined.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

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
from imkit_tui.server.group_store import GroupFull, GroupRecord
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.handlers.posting import post, send_system
from imkit_tui.server.handlers.profiles import display_names
from imkit_tui.server.routing import route_send
from imkit_tui.server.session import Session

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


async def on_group(ctx: ServerContext, session: Session, frame: GroupRequest) -> None:
    """Answer a GroupRequest with the group as it now is (GroupInfo)."""
    me, rid = session.user_id, frame.id
    if frame.op == "sync":
        await _sync_member(ctx, session, frame)
        return
    if frame.op == "create":
        asked = await _create(ctx, me, frame)
        await _answer(ctx, session, frame.group, rid, asked)
        return
    group = await ctx.require_store().groups.get(frame.group)
    if frame.op == "accept":
        await _accept(ctx, group, me, rid)
        await _answer(ctx, session, frame.group, rid)
        return
    if group is None or me not in group.members:
        raise _refuse(ErrorCode.NOT_IN_GROUP, "you are not in this group", rid)
    operation = _MEMBER_OPS.get(frame.op)
    if operation is None and frame.op in _VOICE_OPS:
        operation = _voices
    invited = await operation(ctx, group, me, frame) if operation is not None else []
    await _answer(ctx, session, frame.group, rid, invited)


async def create_group(
    ctx: ServerContext, group_id: str, name: str, owner: str, member_ids: list[str]
) -> bool:
    """Create a group (the owner and the members) and post its "created" notice; False
    if the group exists."""
    store = ctx.require_store()
    if not await store.create_group(group_id, name, owner, member_ids, now_ms()):
        return False
    (nickname,) = await display_names(store, [owner])
    notice = {
        "operatorUserId": owner,
        "operation": "Create",
        "data": {"operatorNickname": nickname, "targetGroupName": name},
        "message": f"{nickname} created the group",
    }
    conv = ConvRef(type=ConversationType.GROUP, target=group_id)
    await post(ctx, await route_send(store, owner, conv, 0), owner, messages.GROUP_NTF, notice)
    return True


async def _create(ctx: ServerContext, me: str, frame: GroupRequest) -> list[str]:
    """Create the group asked for; those who do not accept `me` are invited instead."""
    name = frame.name.strip() or frame.group
    wanted = [m for m in dict.fromkeys(frame.members) if m != me]
    _check_size(ctx, 1 + len(wanted), frame.id)
    members, asked = await _consenting(ctx, me, wanted)
    if not await create_group(ctx, frame.group, name, me, members):
        raise _refuse(ErrorCode.INVALID_PARAMETER, "that group exists already", frame.id)
    await _send_invitations(ctx, frame.group, name, me, asked)
    return asked


GroupOp = Callable[[ServerContext, GroupRecord, str, GroupRequest], Awaitable[list[str]]]
"""An operation a member runs on their group: (context, group, member, frame) → the
users invited rather than added."""


async def _add(ctx: ServerContext, group: GroupRecord, me: str, frame: GroupRequest) -> list[str]:
    new = [m for m in dict.fromkeys(frame.members) if m not in group.members]
    members, invited = await _consenting(ctx, me, new)
    await invite(ctx, group, me, members, frame.id)
    await _send_invitations(ctx, group.group_id, group.name, me, invited)
    return invited


async def _kick(ctx: ServerContext, group: GroupRecord, me: str, frame: GroupRequest) -> list[str]:
    _owner_only(group, me, "kick members", frame.id)
    targets = [m for m in frame.members if m in group.members and m != group.owner]
    await leave(ctx, group, me, targets, "kick")
    return []


async def _quit(ctx: ServerContext, group: GroupRecord, me: str, frame: GroupRequest) -> list[str]:
    if me == group.owner:
        raise _refuse(ErrorCode.INVALID_PARAMETER, "the owner dismisses instead", frame.id)
    await leave(ctx, group, me, [me], "quit")
    return []


async def _dismiss(
    ctx: ServerContext, group: GroupRecord, me: str, frame: GroupRequest
) -> list[str]:
    _owner_only(group, me, "dismiss the group", frame.id)
    await leave(ctx, group, me, group.members, "dismiss")
    return []


async def _voices(
    ctx: ServerContext, group: GroupRecord, me: str, frame: GroupRequest
) -> list[str]:
    _owner_only(group, me, "decide who may speak", frame.id)
    store = ctx.require_store()
    kind, on = _VOICE_OPS[frame.op]
    targets = [m for m in frame.members if m in group.members]
    if kind == "all":
        await store.groups.set_all_muted(group.group_id, on)
    else:
        await store.groups.set_voices(group.group_id, kind, targets, on)
    return []


async def _rename(
    ctx: ServerContext, group: GroupRecord, me: str, frame: GroupRequest
) -> list[str]:
    _owner_only(group, me, "rename the group", frame.id)
    name = frame.name.strip()
    if not name:
        raise _refuse(ErrorCode.INVALID_PARAMETER, "a group needs a name", frame.id)
    await rename(ctx, group, me, name)
    return []


_MEMBER_OPS: dict[str, GroupOp] = {
    "invite": _add,
    "kick": _kick,
    "quit": _quit,
    "dismiss": _dismiss,
    "rename": _rename,
}
"""The member operations but those on voices (any other op only reads the group)."""


async def _consenting(
    ctx: ServerContext, inviter: str, users: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Split `users` into those who may be added by `inviter` and those who do not
    accept messages from them (blocked, or whitelist mode): those are invited."""
    store = ctx.require_store()
    added: list[str] = []
    invited: list[str] = []
    for user in users:
        rules = await store.privacy.rules(user)
        (invited if rules.refuses(inviter) else added).append(user)
    return added, invited


async def _send_invitations(
    ctx: ServerContext, group_id: str, name: str, inviter: str, invited: list[str]
) -> None:
    """Keep each invitation and tell the invited in their system conversation."""
    if not invited:
        return
    store = ctx.require_store()
    for user in await store.groups.add_invitations(group_id, invited, inviter, now_ms()):
        await send_system(
            ctx,
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


async def _accept(ctx: ServerContext, group: GroupRecord | None, me: str, request_id: int) -> None:
    """Join a group one was invited to."""
    if group is None:
        raise _refuse(ErrorCode.NOT_IN_GROUP, "no such group", request_id)
    if me in group.members:
        return
    inviter = await ctx.require_store().groups.take_invitation(group.group_id, me)
    if inviter is None:
        raise _refuse(ErrorCode.NOT_IN_GROUP, "you were not invited to this group", request_id)
    operator = inviter if inviter in group.members else group.owner
    await invite(ctx, group, operator, [me], request_id)


async def _sync_member(ctx: ServerContext, session: Session, frame: GroupRequest) -> None:
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
    group = await ctx.require_store().groups.get(frame.group)
    if group is None:
        if not await create_group(ctx, frame.group, name or frame.group, user, []):
            raise _refuse(ErrorCode.INTERNAL_ERROR, "the group appeared meanwhile", rid)
    else:
        if user not in group.members:
            await invite(ctx, group, user, [user], rid)
        if name and name != group.name:
            await rename(ctx, group, group.owner, name)
    await _answer(ctx, session, frame.group, rid)


def _owner_only(group: GroupRecord, me: str, what: str, request_id: int) -> None:
    if me != group.owner:
        raise _refuse(ErrorCode.INVALID_PARAMETER, f"only the owner may {what}", request_id)


def _check_size(ctx: ServerContext, size: int, request_id: int) -> None:
    cap = ctx.config.max_group_members
    if size > cap:
        raise _refuse(ErrorCode.INVALID_PARAMETER, f"a group has at most {cap} members", request_id)


async def invite(
    ctx: ServerContext, group: GroupRecord, me: str, invited: Sequence[str], request_id: int
) -> None:
    """Add `invited` to `group` (the "added" notice, from `me`); past the member cap
    nobody is added: ProtocolError 33003."""
    new = [m for m in dict.fromkeys(invited) if m not in group.members]
    _check_size(ctx, len(group.members) + len(new), request_id)
    try:
        added = await ctx.require_store().groups.add_members(
            group.group_id,
            new,
            now_ms(),
            with_history=ctx.config.new_members_see_history,
            limit=ctx.config.max_group_members,
        )
    except GroupFull as full:
        raise _refuse(ErrorCode.INVALID_PARAMETER, str(full), request_id) from None
    if added:
        await _notice(ctx, group, me, "Add", added, group.name)


async def leave(
    ctx: ServerContext, group: GroupRecord, me: str, leaving: list[str], op: str
) -> None:
    """Remove `leaving` from `group`, `op` being "quit", "kick" or "dismiss": the
    notice is posted while they are still members, then they are removed."""
    if not leaving:
        return
    await _notice(ctx, group, me, _OPERATIONS[op], leaving, group.name)
    await ctx.require_store().groups.remove_members(group.group_id, leaving)


async def rename(ctx: ServerContext, group: GroupRecord, operator: str, name: str) -> None:
    """Rename `group` (the "renamed" notice, from `operator`)."""
    await ctx.require_store().groups.rename(group.group_id, name)
    await _notice(ctx, group, operator, "Rename", [], name)


async def _notice(
    ctx: ServerContext,
    group: GroupRecord,
    operator: str,
    operation: str,
    targets: list[str],
    name: str,
) -> None:
    nickname, *shown = await display_names(ctx.require_store(), [operator, *targets])
    content = {
        "operatorUserId": operator,
        "operation": operation,
        "data": {
            "operatorNickname": nickname,
            "targetUserIds": targets,
            "targetUserDisplayNames": shown,
            "targetGroupName": name,
        },
    }
    content["message"] = messages.summarize(messages.GROUP_NTF, content)
    conv = ConvRef(type=ConversationType.GROUP, target=group.group_id)
    route = await route_send(ctx.require_store(), operator, conv, 0)
    await post(ctx, route, operator, messages.GROUP_NTF, content)


async def _answer(
    ctx: ServerContext,
    session: Session,
    group_id: str,
    request_id: int,
    invited: Sequence[str] = (),
) -> None:
    group = await ctx.require_store().groups.get(group_id)
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
