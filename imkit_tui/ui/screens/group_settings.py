"""The settings of a group: its name and members, add and remove members, rename, who may
speak, do not disturb, pin, search in the chat, clear its history, quit or dismiss it.

Opened with ctrl+o (or "Settings of # group" in the palette) when the conversation at hand
is a group. Any member adds members and quits; the owner removes, renames, mutes and
unmutes members or everyone, keeps the speak whitelist and dismisses the group: the
owner's actions are not offered to others. Each request to the server runs in a worker;
the screen then shows the group as the server answered, and a refusal is said in a
notification. Offline, the screen shows what the device knows (the conversation's own
switches, which sync later), says the server cannot be reached, and asks again once
connected. Changes made by others (their notices arrive as messages) are fetched too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static, Switch

from imkit_tui import messages as catalogue
from imkit_tui.core import (
    ConnectionChanged,
    ConnectionState,
    Event,
    MessagesReceived,
    NotConnected,
    RequestFailed,
)
from imkit_tui.core.groups import Group
from imkit_tui.protocol import ErrorCode
from imkit_tui.ui.format import display_name, is_user_id, split_user_ids
from imkit_tui.ui.palette import ScreenCommands
from imkit_tui.ui.screens.chat_settings import SettingsScreen
from imkit_tui.ui.screens.prompts import ConfirmScreen, TextPromptScreen
from imkit_tui.ui.widgets.key_footer import KeyFooter
from imkit_tui.ui.widgets.member_list import MemberList

OWNER_ACTIONS = frozenset({"remove_member", "mute_member", "toggle_speaker", "mute_all", "rename"})
"""What only the group's owner may do (hidden from everyone else)."""

MEMBER_ACTIONS = frozenset({"add_members", "leave"})
"""What any member may do (hidden once this user is no longer a member)."""

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("add_members", "Add members…", "Invite users by id (any member may)"),
    ("remove_member", "Remove the selected member", "The owner removes members"),
    ("mute_member", "Mute or unmute the selected member", "A muted member reads, cannot send"),
    ("toggle_speaker", "Speak whitelist: the selected member", "May send while all are muted"),
    ("mute_all", "Mute all, or unmute all", "Only the owner and the speak whitelist send"),
    ("rename", "Rename the group…", "The owner renames the group"),
    ("toggle_dnd", "Do not disturb on or off", "No notifications, out of the unread total"),
    ("toggle_pin", "Pin or unpin", "Keep it at the top of the list, on every device"),
    ("search_chat", "Search in the chat", "Close the settings and search this chat"),
    ("clear_history", "Clear history…", "For you only, on every device"),
    ("leave", "Quit the group…", "Stop receiving its messages (the owner dismisses it)"),
)
"""The screen's palette entries: (action, title, help)."""

OFFLINE = (
    "Cannot reach the server: the members and group changes need it. "
    "Do not disturb and pin work offline and sync later."
)
"""Said while offline before the group was known."""

OFFLINE_KNOWN = "Offline: the members as last seen; group changes need the server."
"""Said when the connection dropped after the group was shown."""

GONE = "You are not a member of this group any more (you left, were removed, or it ended)."
"""Said when the server answers 22406 (not in the group)."""


def _check_user_ids(text: str) -> str | None:
    ids = split_user_ids(text)
    if not ids:
        return "Type at least one user id."
    wrong = next((user for user in ids if not is_user_id(user)), None)
    return None if wrong is None else f"Not a user id (1 to 64 characters): {wrong[:20]}…"


class GroupSettingsCommands(ScreenCommands):
    """The palette's entries while a group's settings are open."""

    def commands(self) -> Iterable[SystemCommand]:
        """What this user may do in the group now."""
        return cast("GroupSettingsScreen", self.screen).commands()


class GroupSettingsScreen(SettingsScreen):
    """A group's settings; closes with "search", "clear" (for the main screen) or None."""

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {GroupSettingsCommands}

    DEFAULT_CSS = """
    GroupSettingsScreen > Vertical {
        width: 90;
        max-width: 100%;
        height: 90%;
    }
    GroupSettingsScreen #settings-title {
        margin-bottom: 0;
    }
    GroupSettingsScreen #settings-info {
        color: $text-muted;
    }
    GroupSettingsScreen #group-status {
        color: $warning;
        height: auto;
    }
    GroupSettingsScreen MemberList {
        margin-top: 1;
    }
    GroupSettingsScreen .setting {
        height: 3;
        width: auto;
        margin-right: 2;
    }
    GroupSettingsScreen .setting Label {
        width: auto;
        margin-right: 1;
    }
    GroupSettingsScreen #settings-switches {
        height: 3;
    }
    GroupSettingsScreen .settings-row {
        height: 1;
        margin-top: 1;
    }
    GroupSettingsScreen .settings-row Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search_members", "Find", key_display="/"),
        Binding("a", "add_members", "Add"),
        Binding("x,delete", "remove_member", "Remove"),
        Binding("m", "mute_member", "Mute"),
        Binding("s", "toggle_speaker", "Speak"),
        Binding("M", "mute_all", "Mute all"),
        Binding("r", "rename", "Rename"),
        Binding("d", "toggle_dnd", "DND"),
        Binding("p", "toggle_pin", "Pin"),
        Binding("c", "clear_history", "Clear"),
        Binding("q", "leave", "Leave"),
    ]

    _group: Group | None = None
    _gone = False
    """The server said this user is not a member (22406)."""
    _asked = 0
    _applied = 0

    @property
    def group_id(self) -> str:
        """The group's id."""
        return self._row.ref.target

    @property
    def group(self) -> Group | None:
        """The group as the server last answered (None while not known)."""
        return self._group

    @property
    def status(self) -> str:
        """What the screen says about the server: offline, no longer a member, or ""."""
        return str(self.query_one("#group-status", Static).render())

    @property
    def _me(self) -> str:
        return self._client.user_id

    def _is_owner(self) -> bool:
        return self._group is not None and self._group.owner == self._me

    def compose(self) -> ComposeResult:
        """Name and count, members, the switches, the buttons, the keys."""
        row = self._row
        with Vertical():
            yield Static(display_name(row.ref, row.title), id="settings-title")
            yield Static(f"Group {self.group_id}", id="settings-info")
            yield Static("", id="group-status")
            yield MemberList(self._me, id="member-list")
            with Horizontal(id="settings-switches"):
                yield self._setting("Do not disturb", "muted", row.muted)
                yield self._setting("Pin", "pinned", row.pinned)
                mute_all = self._setting("Mute all", "all-muted", False)
                mute_all.id = "mute-all-setting"
                yield mute_all
            with Horizontal(classes="settings-row"):
                for action, label in (
                    ("add_members", "Add members…"),
                    ("remove_member", "Remove"),
                    ("mute_member", "Mute"),
                    ("toggle_speaker", "May speak"),
                    ("rename", "Rename…"),
                ):
                    yield Button(label, id=action, action=f"screen.{action}", compact=True)
            with Horizontal(classes="settings-row"):
                yield Button("Search in chat", id="search", compact=True)
                yield Button("Clear history…", id="clear", variant="warning", compact=True)
                yield Button(
                    "Quit group…", id="leave", variant="error", compact=True, action="screen.leave"
                )
        yield KeyFooter()

    def on_mount(self) -> None:
        """Start on the member list, and ask the server for the group."""
        self.query_one(MemberList).options.focus()
        self._show_group()
        self._fetch()

    # ------------------------------------------------------------------ showing

    def _show_group(self) -> None:
        """Show the group as last known, and only what this user may do with it."""
        group = self._group
        title, info = display_name(self._row.ref, self._row.title), f"Group {self.group_id}"
        if group is not None:
            title = group.name or title
            info = f"{self.group_id} · {len(group.members)} members · owner {group.owner}"
            if group.all_muted:
                info += " · everyone muted"
        self.query_one("#settings-title", Static).update(Text(title))
        self.query_one("#settings-info", Static).update(Text(info))
        self.query_one(MemberList).show(group)
        status, said = self.query_one("#group-status", Static), self._status_text()
        status.update(said)
        status.display = bool(said)
        all_muted = self.query_one("#all-muted", Switch)
        if all_muted.value != (group is not None and group.all_muted):
            with all_muted.prevent(Switch.Changed):
                all_muted.value = group is not None and group.all_muted
        for action in OWNER_ACTIONS | MEMBER_ACTIONS:
            for widget in self.query(f"#{action}"):
                widget.display = self.check_action(action, ()) is True
        setting = self.query_one("#mute-all-setting")
        setting.display = group is not None and self.check_action("mute_all", ()) is True
        leave = "Dismiss group…" if self._is_owner() else "Quit group…"
        self._relabel("leave", leave)
        self._label_buttons()
        self.refresh_bindings()

    def _relabel(self, button_id: str, label: str) -> None:
        """Give a button a new label and the width it needs."""
        button = self.query_one(f"#{button_id}", Button)
        if str(button.label) != label:
            button.label = label
            button.refresh(layout=True)

    def _status_text(self) -> str:
        if self._gone:
            return GONE
        state = self._client.state
        if state in (ConnectionState.CONNECTING, ConnectionState.SYNCING) and not self._group:
            return "Connecting to the server…"
        if state != ConnectionState.CONNECTED:
            return OFFLINE if self._group is None else OFFLINE_KNOWN
        return "Asking the server for the members…" if self._group is None else ""

    @on(OptionList.OptionHighlighted)
    def _label_buttons(self) -> None:
        member, group = self.query_one(MemberList).selected, self._group
        if group is None or member is None:
            return
        self._relabel("mute_member", "Unmute" if member in group.muted else "Mute")
        speaker = "May not speak" if member in group.speakers else "May speak"
        self._relabel("toggle_speaker", speaker)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Owner actions only for the owner (or while that is not known yet); member
        actions not once this user is out of the group."""
        if action in OWNER_ACTIONS:
            return not self._gone and (self._group is None or self._is_owner())
        if action in MEMBER_ACTIONS:
            return not self._gone
        return True

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's entries while the screen is open: what this user may do."""
        for action, title, helptext in COMMANDS:
            if self.check_action(action, ()) is not True:
                continue
            if action == "leave" and self._is_owner():
                title, helptext = "Dismiss the group…", "End it for everyone"
            yield SystemCommand(title, helptext, partial(self.run_action, action))

    # ------------------------------------------------------------------ the server

    def followed(self, event: Event) -> None:
        """Ask again once connected, and when a group notice says something changed."""
        if isinstance(event, ConnectionChanged):
            if event.state == ConnectionState.CONNECTED:
                self._fetch()
            else:
                self._show_group()
        elif (
            isinstance(event, MessagesReceived)
            and event.conv == self._row.ref
            and any(m.object_name == catalogue.GROUP_NTF for m in event.messages)
        ):
            self._fetch()

    def _fetch(self) -> None:
        if self._client.state == ConnectionState.CONNECTED:
            info = self._client.groups.info(self.group_id)
            self._request("load the members", info, quiet=True)

    def _request(
        self,
        what: str,
        call: Awaitable[Group],
        *,
        done: str = "",
        quiet: bool = False,
        then: Callable[[Group], None] | None = None,
    ) -> None:
        """Send a request in a worker; ``what`` names it in a refusal ("rename the group")."""
        self._asked += 1
        work = self._ask(self._asked, what, call, done, quiet, then)
        self.run_worker(work, group="group-request", exit_on_error=False)

    async def _ask(
        self,
        ticket: int,
        what: str,
        call: Awaitable[Group],
        done: str,
        quiet: bool,
        then: Callable[[Group], None] | None,
    ) -> None:
        try:
            group = await call
        except (NotConnected, TimeoutError):
            if not quiet:
                self.notify(f"Not connected: cannot {what} now.", severity="warning", markup=False)
        except RequestFailed as failure:
            if failure.code == ErrorCode.NOT_IN_GROUP:
                self._group, self._gone = None, True
                if not quiet:
                    self.notify(GONE, severity="warning", markup=False)
            elif not quiet:
                reason = failure.message or str(failure)
                self.notify(f"Could not {what}: {reason}", severity="error", markup=False)
        else:
            if ticket >= self._applied:  # answers come in order; never show an older one
                self._applied, self._group, self._gone = ticket, group, False
            self._show_group()
            if done:
                self.notify(done, markup=False)
            if then is not None:
                then(group)
            return
        self._show_group()

    # ------------------------------------------------------------------ what may be done

    def _known(self, what: str) -> Group | None:
        """The group, or None after saying why nothing can be done with it now."""
        if self._group is None:
            why = GONE if self._gone else f"Not connected: cannot {what} now."
            self.notify(why, severity="warning", markup=False)
        return self._group

    def _owned(self, what: str) -> Group | None:
        """The group if this user owns it, else None after saying so."""
        group = self._known(what)
        if group is not None and group.owner != self._me:
            self.notify(f"Only the owner can {what}", severity="warning", markup=False)
            return None
        return group

    def _member(self, group: Group | None, what: str, not_owner: str) -> str | None:
        """The selected member of a known group, else None after saying why (``not_owner``
        when it is the owner)."""
        if group is None:
            return None
        member = self.query_one(MemberList).selected
        if member is None:
            self.notify(f"Select a member to {what}", severity="warning", markup=False)
        elif member == group.owner:
            self.notify(not_owner, severity="warning", markup=False)
            return None
        return member

    # ------------------------------------------------------------------ actions

    def action_search_members(self) -> None:
        """To the search box above the members."""
        self.query_one(MemberList).search.focus()

    def action_add_members(self) -> None:
        """Ask for user ids (separated by spaces or commas) and add them."""
        group = self._known("add members")
        if group is None:
            return

        def answered(text: str | None) -> None:
            new = [user for user in split_user_ids(text or "") if user not in group.members]
            if text and not new:
                self.notify("They are members already.", markup=False)
            elif new:
                added = self._client.groups.invite(self.group_id, new)
                self._request("add members", added, done=f"Added {', '.join(new)}")

        question = "Add members: user ids, separated by spaces or commas"
        prompt = TextPromptScreen(question, placeholder="e.g. carol, dave", check=_check_user_ids)
        self.app.push_screen(prompt, answered)

    def action_remove_member(self) -> None:
        """Ask, then remove the selected member from the group (the owner)."""
        group = self._owned("remove members")
        member = self._member(
            group, "remove", "The owner cannot be removed: dismiss the group instead"
        )
        if group is None or member is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                kicked = self._client.groups.kick(self.group_id, [member])
                self._request("remove members", kicked, done=f"Removed {member}")

        question = f"Remove {member} from {group.name}?"
        self.app.push_screen(ConfirmScreen(question), answered)

    def action_mute_member(self) -> None:
        """Mute the selected member (reads, cannot send), or unmute (the owner)."""
        group = self._owned("mute members")
        member = self._member(group, "mute", "The owner cannot be muted")
        if group is None or member is None:
            return
        muted = member not in group.muted
        done = f"{member} is muted: reads, cannot send" if muted else f"{member} may send again"
        call = self._client.groups.mute(self.group_id, [member], muted=muted)
        self._request("mute members", call, done=done)

    def action_toggle_speaker(self) -> None:
        """Put the selected member on the speak whitelist, or take them off (the owner)."""
        group = self._owned("change who may speak")
        member = self._member(group, "put on the speak whitelist", "The owner may always speak")
        if group is None or member is None:
            return
        allowed = member not in group.speakers
        done = f"{member} {'may' if allowed else 'may no longer'} speak while all are muted"
        call = self._client.groups.allow_speaking(self.group_id, [member], allowed=allowed)
        self._request("change who may speak", call, done=done)

    def action_mute_all(self, muted: bool | None = None) -> None:
        """Mute everyone but the owner and the speak whitelist, or lift it (the owner)."""
        group = self._owned("mute all")
        if group is None:
            self._show_group()  # the switch shows the truth again
            return
        muted = not group.all_muted if muted is None else muted
        if muted:
            done = "Everyone is muted but the owner and the speak whitelist"
        else:
            done = "Everyone may send again"
        call = self._client.groups.mute(self.group_id, [], muted=muted)
        self._request("mute all", call, done=done)

    async def switched(self, event: Switch.Changed) -> None:
        """The mute-all switch."""
        if event.switch.id == "all-muted":
            self.action_mute_all(event.value)

    def action_rename(self) -> None:
        """Ask for a new name and rename the group (the owner)."""
        group = self._owned("rename the group")
        if group is None:
            return

        def answered(name: str | None) -> None:
            if name and name != group.name:
                call = self._client.groups.rename(self.group_id, name)
                self._request("rename the group", call, done=f"Renamed to {name}")

        self.app.push_screen(TextPromptScreen("Rename the group", value=group.name), answered)

    def action_toggle_dnd(self) -> None:
        """Do not disturb on or off (works offline, syncs later)."""
        self.query_one("#muted", Switch).toggle()

    def action_toggle_pin(self) -> None:
        """Pin to the top of the list, or unpin (works offline, syncs later)."""
        self.query_one("#pinned", Switch).toggle()

    def _close(self, group: Group) -> None:
        self.dismiss(None)

    def action_search_chat(self) -> None:
        """Close and search in this chat."""
        self.dismiss("search")

    def action_clear_history(self) -> None:
        """Close; the main screen asks, then clears the history for this user."""
        self.dismiss("clear")

    def action_leave(self) -> None:
        """Ask, then quit the group (a member) or dismiss it (the owner)."""
        group = self._known("leave the group")
        if group is None:
            return
        owner = self._is_owner()

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            client, gid = self._client, self.group_id
            if owner:
                what, call = "dismiss the group", client.groups.dismiss(gid)
                done = f"{group.name} is dismissed: nobody can send to it any more"
            else:
                what, call = "quit the group", client.groups.quit(gid)
                done = f"You left {group.name}"
            self._request(what, call, done=done, then=self._close)

        if owner:
            question = f"Dismiss {group.name}? Nobody can send to it or read it any more."
        else:
            question = f"Quit {group.name}? Its messages stop coming to you."
        self.app.push_screen(ConfirmScreen(question), answered)
