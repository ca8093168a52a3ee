"""The main screen's command palette entries: new chats, moving about, the settings of
the conversation at hand, blocking, sending files and acting on the selected message.

Loaded when the palette first opens (the main screen lists it lazily in ``COMMANDS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.app import SystemCommand

from imkit_tui.protocol import ConversationType
from imkit_tui.ui.format import display_name
from imkit_tui.ui.palette import ScreenCommands
from imkit_tui.ui.screens.push_url_actions import push_url_commands

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main import MainScreen

_SEND_ENTRIES = (
    ("image", "Send an image…"),
    ("file", "Send a file…"),
    ("voice", "Send a voice message…"),
    ("video", "Send a video…"),
    ("location", "Send a location…"),
)

_ACTION_KEYS = {"copy": "c", "save": "s", "play": "p"}


class MainCommands(ScreenCommands):
    """The palette's entries on the main screen."""

    def commands(self) -> Iterable[SystemCommand]:
        """What can be done now: more entries while a conversation is open."""
        screen = cast("MainScreen", self.screen)
        yield SystemCommand(
            "New chat with…", "Open a private chat by user id (ctrl+n)", screen.action_new_chat
        )
        yield SystemCommand(
            "New group…",
            "Create a group you own, with its first members and a name",
            screen.action_new_group,
        )
        yield SystemCommand(
            "Accept invitation to a group…",
            "Join a group you were invited to (the System chat names it)",
            screen.action_accept_invitation,
        )
        yield SystemCommand(
            "Conversations", "Move to the conversation list (escape)", screen.action_focus_list
        )
        yield SystemCommand(
            "Chatrooms…",
            "The live rooms the server offers; join one, or any by id (ctrl+r)",
            partial(screen.run_action, "app.chatrooms"),
        )
        if screen.current is not None:
            yield SystemCommand(
                "Write a message", "Move to the composer", screen.action_focus_composer
            )
            yield SystemCommand(
                "Jump to latest", "Show the newest messages (end)", screen.action_jump_latest
            )
        if screen.mentions.can_jump:
            yield SystemCommand(
                "Jump to the @mention",
                "The oldest unread message that mentions you, in context (alt+m)",
                screen.action_jump_to_mention,
            )
        yield from _settings_commands(screen)
        yield from _channel_commands(screen)
        yield from screen.privacy.commands()
        yield from screen.public.commands()
        yield from screen.profiles.commands()
        yield from push_url_commands(screen)
        yield from screen.service.commands()
        if screen.current is not None:
            yield from _sending_commands(screen)
            yield from _message_commands(screen)
        yield SystemCommand(
            "GIF animations: stop or start",
            "Stop every animated GIF, or start them again (ctrl+g)",
            screen.action_toggle_animations,
        )


def _settings_commands(screen: MainScreen) -> Iterable[SystemCommand]:
    """The settings of the conversation at hand (highlighted in the list, or open)."""
    settings = screen.settings
    target = settings.target()
    if target is None:
        return
    name = display_name(target.ref, target.title)
    yield SystemCommand(
        f"{'Unpin' if target.pinned else 'Pin'} {name}",
        "Keep it at the top of the list, on every device (p in the list)",
        settings.toggle_pin,
    )
    yield SystemCommand(
        f"{'Notifications on for' if target.muted else 'Do not disturb:'} {name}",
        "Muted chats never notify and stay out of the unread total (m in the list)",
        settings.toggle_mute,
    )
    unread = target.unread or target.marked_unread
    yield SystemCommand(
        f"Mark {name} as {'read' if unread else 'unread'}",
        "On every device (u in the list)",
        settings.toggle_unread,
    )
    helps: dict[int, str] = {
        ConversationType.GROUP: "Members, name, who may speak, do not disturb, pin, clear, quit",
        ConversationType.ULTRA_GROUP: "Notification levels, do not disturb, channels, quit",
    }
    what = helps.get(target.ref.type, "Do not disturb, pin, block, search, clear history")
    yield SystemCommand(f"Settings of {name}", f"{what} (ctrl+o)", settings.open_settings)
    yield SystemCommand(
        f"Clear history with {name}", "For you only, on every device", settings.clear_history
    )
    yield SystemCommand(
        f"Remove {name} from the list",
        "Until its next message; the history stays",
        settings.remove,
    )


def _channel_commands(screen: MainScreen) -> Iterable[SystemCommand]:
    """The other channels of the open ultra group."""
    sidebar = screen.ultra.sidebar
    if sidebar.group is None or screen.current is None:
        return
    for channel in sidebar.channels:
        if channel.ref != screen.current:
            yield SystemCommand(
                f"Channel # {channel.label}",
                f"Open it ({channel.unread} unread)",
                partial(screen.open_conversation, channel.ref),
            )


def _sending_commands(screen: MainScreen) -> Iterable[SystemCommand]:
    """The attachment board and each of its entries."""
    yield SystemCommand(
        "Attach…",
        "The attachment board: image, file, voice, video, location (ctrl+a)",
        screen.action_attach,
    )
    sending = screen.sending
    if sending is not None:
        for entry, title in _SEND_ENTRIES:
            yield SystemCommand(
                title, "From the attachment board", partial(sending.open_form, entry)
            )


def _message_commands(screen: MainScreen) -> Iterable[SystemCommand]:
    """The entries for the selected message and the marked ones."""
    chat, actions, menu = screen.chat_view, screen.actions, screen.menu
    if chat is None or actions is None or menu is None:
        return
    marked = chat.marked
    if marked:
        yield SystemCommand(
            f"Forward {len(marked)} marked message{'s' if len(marked) > 1 else ''}…",
            "Choose conversations, one by one or merged (f)",
            partial(menu.forward, marked),
        )
        yield SystemCommand("Unmark all messages", "Clear the forwarding marks", chat.clear_marks)
    bubble = chat.selected_bubble
    if bubble is None:
        return
    message = bubble.message
    entries = list(bubble.actions())
    if all(action != "copy" for action, _ in entries):
        entries.append(("copy", "Copy text"))
    for action, label in entries:
        key = _ACTION_KEYS.get(action, "")
        yield SystemCommand(
            f"Message: {label}",
            f"On the selected message{f' ({key})' if key else ''}",
            partial(actions.handle, bubble, action, bubble.url_for(action)),
        )
    if screen.ultra.can_edit(message):
        yield SystemCommand(
            "Message: Edit",
            "Put it in the composer; enter saves the edit (e)",
            partial(actions.handle, bubble, "edit"),
        )
    yield SystemCommand(
        "Message: Forward…", "Forward the selected message (f)", partial(menu.forward, [message])
    )
    mark = "Unmark" if chat.is_marked(message.id) else "Mark for forwarding"
    yield SystemCommand(
        f"Message: {mark}",
        "Forward several messages at once (space)",
        partial(chat.toggle_mark, message),
    )
    yield SystemCommand(
        "Message: Actions…", "Every action on the selected message (m)", chat.action_menu
    )
