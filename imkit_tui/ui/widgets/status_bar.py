"""The top bar: who you are, the connection state, and the total unread count."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from imkit_tui.core import ConnectionState

_STATE_STYLE: dict[ConnectionState, tuple[str, str]] = {
    ConnectionState.OFFLINE: ("○", "offline"),
    ConnectionState.CONNECTING: ("◌", "connecting…"),
    ConnectionState.SYNCING: ("◐", "syncing…"),
    ConnectionState.CONNECTED: ("●", "connected"),
    ConnectionState.RECONNECTING: ("◌", "reconnecting…"),
    ConnectionState.REFUSED: ("✕", "refused"),
}


class StatusBar(Widget):
    """One line: `imkit · user`, the connection state in the middle, unread on the right.

    Until the first connection succeeds the state reads "never connected", with why
    ("cannot reach ws://…: connection refused"), rather than "reconnecting"; a reason
    that names the address shown says only the rest. When the line is too narrow, the
    server's address gives way (the reason names it where there is room), then the
    reason; the state and the unread count are always whole."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    state: reactive[ConnectionState] = reactive(ConnectionState.OFFLINE)
    detail: reactive[str] = reactive("")
    unread: reactive[int] = reactive(0)

    def __init__(self, user_id: str, server_label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.user_id = user_id
        self.server_label = server_label
        self.several = "," in server_label
        """Whether the label lists several nodes (then it names the one in use)."""
        self.ever_connected = False
        """Whether the connection has reached CONNECTED once."""

    def render(self) -> Text:
        """The bar's single line."""
        symbol, label = _STATE_STYLE[self.state]
        never = not self.ever_connected and self.state == ConnectionState.RECONNECTING
        if never:
            label = "never connected"
        colour = {
            ConnectionState.CONNECTED: "green",
            ConnectionState.REFUSED: "red",
            ConnectionState.OFFLINE: "red",
        }.get(self.state, "yellow")
        left = Text.assemble(
            ("imkit", "bold"), f" · {self.user_id}", (f"  {self.server_label}", "dim")
        )
        middle = Text.assemble((f"{symbol} {label}", colour))
        right = Text(f"{self.unread} unread" if self.unread else "", style="bold")
        width = self.content_region.width or 80
        room = width - middle.cell_len - right.cell_len - 2
        reason = self.detail if self.state != ConnectionState.CONNECTED else ""
        # The reason may name the address the bar shows already: then it is said once.
        short = reason.removeprefix(f"cannot reach {self.server_label}: ")
        if reason and left.cell_len + _reason_len(short, never) > room:
            # The server's address gives way first: said in the whole reason where that
            # fits, else not at all, so what went wrong and when it is tried again stay.
            left = Text.assemble(("imkit", "bold"), f" · {self.user_id}")
            left.truncate(max(room, 5), overflow="ellipsis")
            if left.cell_len + _reason_len(reason, never) <= room:
                short = reason
        spare = room - left.cell_len
        if short and spare > 4:
            detail = Text(f": {short}", colour) if never else Text(f" ({short})", "dim")
            detail.truncate(spare, overflow="ellipsis")
            middle.append_text(detail)
        gap = max(1, width - left.cell_len - middle.cell_len - right.cell_len)
        line = left.copy()
        line.append(" " * (gap // 2))
        line.append_text(middle)
        line.append(" " * (gap - gap // 2))
        line.append_text(right)
        return line

    def set_connection(
        self, state: ConnectionState, detail: str = "", server: Callable[[], str] | None = None
    ) -> None:
        """Show a new connection state; `server()`: the node in use, asked (and shown)
        only when the label lists several (so the core is not loaded for it before)."""
        if server is not None and self.several:
            self.server_label = server() or self.server_label
        if state == ConnectionState.CONNECTED:
            self.ever_connected = True
        self.state = state
        self.detail = detail


def _reason_len(reason: str, never: bool) -> int:
    """The cells `reason` takes after the state: ": REASON" or " (REASON)"."""
    return Text(reason).cell_len + (2 if never else 3) if reason else 0
