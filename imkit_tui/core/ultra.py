"""`client.ultra`: ultra groups: create, join, quit, dismiss, rename, channels, the
user's notification levels and do-not-disturb, edits, deleting by time, and their sync.

Ultra groups are stored by read diffusion (protocol/ultra_frames.py): the post-connect
sync does not list them, so after it this service asks UltraSync for the user's groups,
each channel's newest seq, read position and counts, and the inbound task pulls the
channels this device lacks and merges the counts (core/ultra_inbound.py). Between syncs
pushes keep the counts. Requests need the server (raise NotConnected offline) and
return what the server answered; the store follows before they return.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.core.connection import NotConnected, RequestFailed
from imkit_tui.core.context import ClientContext
from imkit_tui.core.engine import UltraFrame, UltraStates
from imkit_tui.core.events import ConversationUpdated, MessageUpdated
from imkit_tui.core.models import Message, SendStatus
from imkit_tui.core.ultra_rows import UltraChannelRow, UltraGroupRow, ultra_row
from imkit_tui.protocol import (
    ULTRA_VERSION,
    ConversationType,
    ConvRef,
    DeleteBefore,
    EditMessage,
    SendAck,
    UltraDeleted,
    UltraInfo,
    UltraRequest,
    UltraSettings,
    UltraSync,
    UltraSynced,
    UltraUpdate,
)
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.ultra_frames import NotificationLevel, UltraOperation

LEVELS: tuple[NotificationLevel, ...] = ("default", "all", "mentions", "mentions_me", "none")
"""The notification levels, as the wire names them (``default``: not set here)."""


class Ultra:
    """Ultra group requests, settings, edits, deleting by time, and their sync."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context
        self._syncing: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ sync

    def sync_in_background(self) -> None:
        """Ask the server how the user's ultra groups stand, in the background (after
        each post-connect sync), when the server speaks ultra groups (version 3)."""
        welcome = self._context.connection.welcome
        if welcome is None or welcome.version < ULTRA_VERSION:
            return
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.create_task(self._sync_quietly(), name="client-ultra-sync")

    async def stop(self) -> None:
        """Stop a background sync (the client is closing)."""
        task, self._syncing = self._syncing, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _sync_quietly(self) -> None:
        with contextlib.suppress(NotConnected, TimeoutError, RequestFailed):
            await self.sync()

    async def sync(self, groups: Sequence[str] = ()) -> None:
        """Learn the user's ultra groups (all, or `groups`), their channels, each
        channel's read position and unread and @ counts; pull what the channels lack.
        Returns once the store holds it all."""
        context = self._context
        reply = await context.connection.request(
            UltraSync(groups=list(groups)), UltraSynced, context.timeout
        )
        await context.apply_ultra(UltraStates(tuple(reply.groups), every_group=not groups))

    def pushed(self, frame: UltraInfo | UltraUpdate | UltraDeleted) -> None:
        """A change pushed by the server: applied in order with the pushed messages."""
        if isinstance(frame, UltraUpdate):
            self._context.queue_ultra(UltraStates((frame.state,)))
        else:
            self._context.queue_ultra(UltraFrame(frame))

    # ------------------------------------------------------------------ reading

    async def groups(self) -> list[UltraGroupRow]:
        """The ultra groups this device knows (works offline)."""
        return await self._context.store.ultra.groups()

    async def group(self, group_id: str) -> UltraGroupRow | None:
        """One ultra group as this device last heard of it (works offline)."""
        return await self._context.store.ultra.group(group_id)

    async def channels(self, group_id: str) -> list[UltraChannelRow]:
        """A group's channels with their unread and @ counts (works offline)."""
        return await self._context.store.ultra.channels(group_id)

    # ------------------------------------------------------------------ managing

    async def _request(
        self,
        group_id: str,
        op: UltraOperation,
        *,
        channel: str = "",
        name: str = "",
        members: Sequence[str] = (),
        level: NotificationLevel | None = None,
        pre_join_history: bool | None = None,
    ) -> UltraInfo:
        context = self._context
        frame = UltraRequest(
            group=group_id,
            op=op,
            channel=channel,
            name=name,
            members=list(members),
            level=level,
            pre_join_history=pre_join_history,
        )
        info = await context.connection.request(frame, UltraInfo, context.timeout)
        await context.apply_ultra(UltraFrame(info))
        if op in ("create", "join"):
            await self.sync([group_id])  # the user's view: levels, counts, history
        return info

    async def create(
        self,
        group_id: str,
        name: str,
        *,
        level: NotificationLevel | None = None,
        pre_join_history: bool | None = None,
    ) -> UltraInfo:
        """Create an ultra group this user owns (and is in); 24412 past the join limit."""
        return await self._request(
            group_id, "create", name=name, level=level, pre_join_history=pre_join_history
        )

    async def join(self, group_id: str) -> UltraInfo:
        """Join an ultra group (24412 past the join limit, 24410 no such group)."""
        return await self._request(group_id, "join")

    async def quit(self, group_id: str) -> UltraInfo:
        """Leave an ultra group (its owner dismisses it instead); it leaves this device."""
        return await self._request(group_id, "quit")

    async def dismiss(self, group_id: str) -> UltraInfo:
        """End an ultra group this user owns."""
        return await self._request(group_id, "dismiss")

    async def info(self, group_id: str) -> UltraInfo:
        """An ultra group as it is now (members only)."""
        return await self._request(group_id, "info")

    async def rename(self, group_id: str, name: str) -> UltraInfo:
        """Rename an ultra group this user owns."""
        return await self._request(group_id, "rename", name=name)

    async def configure(
        self,
        group_id: str,
        *,
        level: NotificationLevel | None = None,
        pre_join_history: bool | None = None,
    ) -> UltraInfo:
        """The owner's options: the default notification level of everyone who set none,
        and whether new members read what was sent before they joined."""
        return await self._request(
            group_id, "configure", level=level, pre_join_history=pre_join_history
        )

    async def create_channel(self, group_id: str, channel: str, name: str = "") -> UltraInfo:
        """Add a channel (the owner; 24413 past the channel limit)."""
        return await self._request(group_id, "channel_create", channel=channel, name=name)

    async def rename_channel(self, group_id: str, channel: str, name: str) -> UltraInfo:
        """Rename a channel (the owner)."""
        return await self._request(group_id, "channel_rename", channel=channel, name=name)

    async def delete_channel(self, group_id: str, channel: str) -> UltraInfo:
        """Delete a channel and its messages (the owner; not the default channel)."""
        return await self._request(group_id, "channel_delete", channel=channel)

    async def mute(self, group_id: str, members: Sequence[str], *, muted: bool = True) -> UltraInfo:
        """Mute members (the owner), or unmute them; with none, everyone but the owner."""
        if members:
            return await self._request(group_id, "mute" if muted else "unmute", members=members)
        return await self._request(group_id, "mute_all" if muted else "unmute_all")

    async def allow_speaking(
        self, group_id: str, members: Sequence[str], *, allowed: bool = True
    ) -> UltraInfo:
        """Let members send while all are muted (the owner), or not."""
        op: UltraOperation = "allow_speak" if allowed else "disallow_speak"
        return await self._request(group_id, op, members=members)

    # ------------------------------------------------------------------ the user's settings

    async def set_level(
        self, group_id: str, level: NotificationLevel, channel: str | None = None
    ) -> None:
        """The user's notification level for a whole group, or one `channel` of it
        (``default`` clears it); on every device of the user."""
        await self._settings(UltraSettings(group=group_id, channel=channel, level=level))

    async def set_dnd(self, group_id: str, dnd: bool, channel: str | None = None) -> None:
        """Do not disturb for a whole group or one `channel` of it: no toasts, no
        offline pushes, counts go on; on every device of the user."""
        await self._settings(UltraSettings(group=group_id, channel=channel, dnd=dnd))

    async def _settings(self, frame: UltraSettings) -> None:
        context = self._context
        update = await context.connection.request(frame, UltraUpdate, context.timeout)
        await context.apply_ultra(UltraStates((update.state,)))

    async def pin(self, group_id: str, pinned: bool) -> None:
        """Pin the group in this device's list (the server keeps no pin of it)."""
        context = self._context
        await context.store.ultra.pin(group_id, pinned)
        row = await context.store.conversations.get(ultra_row(group_id))
        if row is not None:
            context.events.publish(ConversationUpdated(row))

    async def opened(self, conv: ConvRef) -> None:
        """The app opened this channel: the one to open next time."""
        await self._context.store.ultra.set_last_channel(conv.target, conv.channel)

    # ------------------------------------------------------------------ edits and deletes

    def _check_editable(self, message: Message) -> str:
        """The server id of `message`; ValueError unless it is an own sent content
        message of an ultra group."""
        if message.conv.type != ConversationType.ULTRA_GROUP:
            raise ValueError("only messages of ultra groups can be edited")
        if message.sender != self._context.user_id:
            raise ValueError("only your own messages can be edited")
        if message.uid is None or message.status != SendStatus.SENT:
            raise ValueError("only messages the server has can be edited")
        if catalogue.lookup(message.object_name).kind != catalogue.MessageKind.CONTENT:
            raise ValueError("this message cannot be edited")
        return message.uid

    async def edit(self, message: Message, content: dict[str, Any]) -> Message:
        """Replace the content of one of the user's own sent messages in an ultra group;
        every member and device sees the new content and an "edited" mark. Returns the
        message as it now is (with the content the server stored: the app's backend
        may replace it). Raises ValueError for a message that cannot be edited here,
        RequestFailed (20116) for one the server will not edit, (21501) for one the
        app's backend refuses."""
        context = self._context
        uid = self._check_editable(message)
        ack = await context.connection.request(
            EditMessage(conv=message.conv, uid=uid, content=content, cmid=new_uuid7()),
            SendAck,
            context.timeout,
        )
        if ack.content is not None and isinstance(ack.content.get("content"), dict):
            content = ack.content["content"]  # the app's backend replaced words of it
        edited = await context.store.ultra.edited(message, content, ack.seq, ack.sent_at)
        context.note_acked(message.conv, ack.seq)
        result = edited or message
        context.events.publish(MessageUpdated(result))
        return result

    async def edit_text(self, message: Message, text: str) -> Message:
        """Edit an own text message: its new text (its @mentions stay)."""
        self._check_editable(message)
        if message.object_name != catalogue.TEXT:
            raise ValueError("only text messages can be edited as text")
        content = {**message.content, "content": text}
        return await self.edit(message, content)

    async def delete_before(
        self,
        conv: ConvRef,
        before: int,
        *,
        all_channels: bool = False,
        for_everyone: bool = False,
    ) -> UltraDeleted:
        """Delete what was sent before `before` (ms) in `conv`'s channel, or in every
        channel of the group: for this user (every device), or with `for_everyone` (the
        owner) for every member, on the server too. Gone here before it returns."""
        context = self._context
        frame = DeleteBefore(
            conv=conv, before=before, all_channels=all_channels, for_everyone=for_everyone
        )
        deleted = await context.connection.request(frame, UltraDeleted, context.timeout)
        await context.apply_ultra(UltraFrame(deleted))
        return deleted
