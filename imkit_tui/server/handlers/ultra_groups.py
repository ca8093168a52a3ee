"""Ultra group frames about groups and the user's view of them: UltraRequest (manage a
group and its channels), UltraSettings (the user's levels and DND), UltraSync (the
user's groups and each channel's counts, by read diffusion).

The operations are server/ultra/operations.py's, shared with the Server API; this
module only reads the frame, checks who asks, and answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from imkit_tui.protocol import (
    ErrorCode,
    ProtocolError,
    UltraInfo,
    UltraRequest,
    UltraSettings,
    UltraState,
    UltraSync,
    UltraSynced,
    UltraUpdate,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.session import Session
from imkit_tui.server.ultra.operations import MUTED, SPEAKER, UltraOps, check_level, info_of
from imkit_tui.server.ultra.records import UltraGroup, UltraRefused


def ops_of(ctx: ServerContext) -> UltraOps:
    """The ultra group operations over this server's parts."""
    return UltraOps(ctx.require_store().ultra, ctx.ultra_online, ctx.fanout, ctx.config.ultra)


@contextmanager
def refusals(request_id: int) -> Iterator[None]:
    """Turn an UltraRefused into the ProtocolError answering `request_id`."""
    try:
        yield
    except UltraRefused as exc:
        raise ProtocolError(exc.code, exc.message, request_id) from None


async def on_ultra(ctx: ServerContext, session: Session, frame: UltraRequest) -> None:
    """Manage an ultra group; answered by an UltraInfo."""
    with refusals(frame.id):
        session.send(await _operate(ops_of(ctx), session.user_id, frame))


async def _operate(ops: UltraOps, user: str, frame: UltraRequest) -> UltraInfo:
    """Carry out one UltraRequest for `user`; the answer."""
    gid, op = frame.group, frame.op
    group: UltraGroup
    if op == "create":
        group = await ops.create(
            gid, frame.name, user, level=frame.level, pre_join_history=frame.pre_join_history
        )
    elif op == "join":
        group = await ops.join(gid, user)
    elif op == "quit":
        group = await ops.quit(gid, user)
        return info_of(group, member=False, request_id=frame.id)
    elif op == "dismiss":
        gone = await ops.dismiss(gid, user)
        return UltraInfo(re=frame.id, group=gid, name=gone.name, owner=user, dismissed=True)
    elif op == "info":
        group = await ops.member_group(gid, user)
    elif op == "rename":
        if not frame.name.strip():
            raise UltraRefused(ErrorCode.INVALID_PARAMETER, "a group needs a name")
        group = await ops.update(gid, user, name=frame.name.strip())
    elif op == "configure":
        group = await ops.update(
            gid, user, level=frame.level, pre_join_history=frame.pre_join_history
        )
    elif op in ("mute_all", "unmute_all"):
        group = await ops.update(gid, user, all_muted=op == "mute_all")
    elif op in ("mute", "unmute"):
        group = await ops.voices(gid, user, MUTED, frame.members, op == "mute")
    elif op in ("allow_speak", "disallow_speak"):
        group = await ops.voices(gid, user, SPEAKER, frame.members, op == "allow_speak")
    elif op == "channel_create":
        group = await ops.add_channel(gid, user, frame.channel, frame.name)
    elif op == "channel_rename":
        group = await ops.rename_channel(gid, user, frame.channel, frame.name)
    else:  # channel_delete
        group = await ops.delete_channel(gid, user, frame.channel)
    return info_of(group, member=True, request_id=frame.id)


async def on_ultra_settings(ctx: ServerContext, session: Session, frame: UltraSettings) -> None:
    """Change the user's level or DND for a group or one channel; answered by an
    UltraUpdate, pushed to the user's other devices."""
    user = session.user_id
    with refusals(frame.id):
        ops = ops_of(ctx)
        group = await ops.member_group(frame.group, user)
        if frame.channel is not None:
            ops.channel(group, frame.channel)
        if frame.level is not None:
            check_level(frame.level)
        await ops.store.set_member(
            frame.group, user, frame.channel, level=frame.level, dnd=frame.dnd
        )
        channels = None if frame.channel is None else [frame.channel]
        state = await ultra_state(ctx, user, group, channels)
    answer_and_tell(ctx, session, frame.id, state)


async def on_ultra_sync(ctx: ServerContext, session: Session, frame: UltraSync) -> None:
    """The user's ultra groups (those asked for) and each channel's state."""
    user = session.user_id
    store = ctx.require_store().ultra
    wanted = frame.groups or await store.groups_of(user)
    states: list[UltraState] = []
    for group_id in wanted:
        group = await store.group(group_id)
        if group is None:
            continue
        state = await ultra_state(ctx, user, group, None)
        if state is not None:
            states.append(state)
    session.send(UltraSynced(re=frame.id, groups=states))


async def ultra_state(
    ctx: ServerContext, user: str, group: UltraGroup, channels: list[str] | None
) -> UltraState | None:
    """`user`'s state of `group` (of `channels` only, if given); None: not a member."""
    store = ctx.require_store().ultra
    member = await store.member(group.group_id, user)
    if member is None:
        return None
    retention_from = now_ms() - ctx.config.ultra.history_ms
    states = await store.states(user, group, member, channels, retention_from)
    return UltraState(
        group=group.group_id,
        name=group.name,
        owner=group.owner,
        level=member.level,  # type: ignore[arg-type]
        default_level=group.default_level,  # type: ignore[arg-type]
        dnd=member.dnd,
        joined_at=member.joined_at,
        channels=states,
        unread=sum(s.unread for s in states),
        mentions=sum(s.mentions for s in states),
    )


def answer_and_tell(
    ctx: ServerContext, session: Session, request_id: int, state: UltraState | None
) -> None:
    """Answer with an UltraUpdate; push the same to the user's other devices."""
    if state is None:
        raise ProtocolError(ErrorCode.NOT_IN_ULTRA_GROUP, "not in this ultra group", request_id)
    session.send(UltraUpdate(re=request_id, state=state))
    ctx.fanout.tell(session.user_id, UltraUpdate(state=state), skip=session)
