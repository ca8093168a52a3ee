"""The search screen (ctrl+f): find messages by words or by sender, in one chat or all.

Typing searches (debounced); ``from:alice`` in the query keeps to alice's messages. The
scope starts at the open conversation when there is one; ctrl+t (or the checkbox)
widens it to every conversation. up/down move through the results, Enter opens the
highlighted one in its conversation, scrolled to it and selected; Esc closes. More
results load as the highlight reaches the end of the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option

from imkit_tui.core import IMClient, Message
from imkit_tui.core.search import SearchHit
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import conversation_time, display_name
from imkit_tui.ui.names import person
from imkit_tui.ui.palette import ScreenCommands

DEBOUNCE = 0.25
"""Seconds of no typing before a search runs."""

PAGE = 50
"""Results fetched at a time."""

PLACEHOLDER = "Search messages… (from:alice for one sender's)"

MATCH_STYLE = Style(bold=True, reverse=True)
"""How a match shows in a result's snippet."""

_SENDER_PREFIX = "from:"


@dataclass(frozen=True, slots=True)
class Query:
    """What the user typed, split: the words to find and the sender to keep to."""

    text: str
    sender: str | None

    @classmethod
    def parse(cls, typed: str) -> Query:
        """Take ``from:USER`` tokens out of the words (the last one wins)."""
        words: list[str] = []
        sender: str | None = None
        for word in typed.split():
            if word.lower().startswith(_SENDER_PREFIX) and len(word) > len(_SENDER_PREFIX):
                sender = word[len(_SENDER_PREFIX) :]
            else:
                words.append(word)
        return cls(" ".join(words), sender)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to search for."""
        return not self.text and not self.sender


Naming = Callable[[ConvRef], str]
"""How a conversation is named for people (ui/format.display_name, with what is known)."""


def result_prompt(
    hit: SearchHit, me: str, *, with_conversation: bool, names: Naming = display_name
) -> Text:
    """Two lines for a result: where (named by `names`), who and when; then the
    snippet, matches marked."""
    message = hit.message
    who = "You" if message.sender == me else person(message.sender)
    head = Text(no_wrap=True, overflow="ellipsis")
    if with_conversation:
        head.append(names(message.conv), style="bold")
        head.append(" · ")
    head.append(who, style="bold" if not with_conversation else "")
    head.append(f" · {conversation_time(message.sent_at)}", style="dim")
    body = Text(hit.snippet, no_wrap=True, overflow="ellipsis")
    for start, end in hit.spans:
        body.stylize(MATCH_STYLE, start, end)
    return Text("\n").join([head, body])


class SearchScreen(ModalScreen[Message | None]):
    """Search the local store; dismisses with the chosen message, or None."""

    CSS_PATH = "search.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+t", "toggle_scope", "This chat / all", priority=True),
        Binding("down", "move(1)", "Next result", show=False),
        Binding("up", "move(-1)", "Previous result", show=False),
    ]

    def __init__(
        self, client: IMClient, *, current: ConvRef | None = None, names: Naming = display_name
    ) -> None:
        """`current` is the open conversation: the first scope, when given. `names` names
        conversations (as the list does: a group by its name where it is known)."""
        super().__init__()
        self._client = client
        self._current = current
        self._names = names
        self._hits: list[SearchHit] = []
        self._query = Query("", None)
        self._more = False
        self._loading_more = False
        self._timer: Timer | None = None

    @property
    def hits(self) -> list[SearchHit]:
        """The results shown, newest first."""
        return list(self._hits)

    @property
    def scope(self) -> ConvRef | None:
        """The conversation searched, or None for all of them."""
        if self._current is None or not self.query_one("#search-scope", Checkbox).value:
            return None
        return self._current

    def compose(self) -> ComposeResult:
        """Title, query, scope, status line and results."""
        with Vertical(id="search-box"):
            yield Label("Search messages", id="search-title")
            yield Input(placeholder=PLACEHOLDER, id="search-input")
            name = self._names(self._current) if self._current is not None else ""
            scope = Checkbox(f"Only in {name} (ctrl+t)", value=True, id="search-scope")
            scope.display = self._current is not None
            yield scope
            yield Label("Type words to find, or from:USER.", id="search-status")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        """Ready for typing."""
        self.query_one("#search-input", Input).focus()

    # ------------------------------------------------------------------ searching

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._search_now)

    @on(Checkbox.Changed, "#search-scope")
    def _scope_changed(self, event: Checkbox.Changed) -> None:
        self._search_now()

    def action_toggle_scope(self) -> None:
        """Between the open conversation and all of them."""
        if self._current is not None:
            box = self.query_one("#search-scope", Checkbox)
            box.value = not box.value

    def _search_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._search(Query.parse(self.query_one("#search-input", Input).value), self.scope)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def _search(self, query: Query, scope: ConvRef | None) -> None:
        """Run a query (a newer one cancels this one) and show its first page."""
        self._query = query
        results = self.query_one("#search-results", OptionList)
        if query.empty:
            self._hits, self._more = [], False
            results.clear_options()
            self._status("Type words to find, or from:USER.")
            return
        try:
            hits = await self._client.search.messages(
                query.text, conv=scope, sender=query.sender, limit=PAGE
            )
            if not hits and (named := await self._by_name(query)) is not None:
                query = named
                hits = await self._client.search.messages(
                    query.text, conv=scope, sender=query.sender, limit=PAGE
                )
        except Exception as error:  # a closed store, a full disk: say so, keep the app
            self._status(f"Search failed: {error}")
            raise
        self._hits, self._more = hits, len(hits) == PAGE
        results.clear_options()
        self._add_options(hits, scope)
        if hits:
            results.highlighted = 0
        await self._describe(scope)

    async def _by_name(self, query: Query) -> Query | None:
        """`from:NAME` as `from:ID` of the person whose display name holds NAME (asked
        when nothing was found from NAME as an id); None when nobody's does."""
        if not query.sender:
            return None
        named = await self._client.store.profiles.named(query.sender, limit=1)
        return Query(query.text, named[0]) if named and named[0] != query.sender else None

    async def _describe(self, scope: ConvRef | None) -> None:
        count = len(self._hits)
        where = f"in {self._names(scope)}" if scope is not None else "in all conversations"
        if count:
            shown = f"{count}+" if self._more else str(count)
            text = f"{shown} message{'s' if count != 1 else ''} {where} · Enter opens"
        else:
            text = f"No messages found {where}."
        backlog = await self._client.search.backlog()
        if backlog:
            text += f" (still indexing {backlog:,} older messages)"
        self._status(text)

    def _status(self, text: str) -> None:
        self.query_one("#search-status", Label).update(Text(text))

    def _add_options(self, hits: list[SearchHit], scope: ConvRef | None) -> None:
        me = self._client.user_id
        options = [
            Option(result_prompt(hit, me, with_conversation=scope is None, names=self._names))
            for hit in hits
        ]
        self.query_one("#search-results", OptionList).add_options(options)

    @on(OptionList.OptionHighlighted, "#search-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self._more and not self._loading_more and event.option_index >= len(self._hits) - 1:
            self._loading_more = True
            self._load_more(self._query, self.scope, self._hits[-1].message.id)

    @work(group="search-more", exit_on_error=False)
    async def _load_more(self, query: Query, scope: ConvRef | None, before_id: int) -> None:
        """The next page of the same query, added below."""
        try:
            hits = await self._client.search.messages(
                query.text, conv=scope, sender=query.sender, limit=PAGE, before_id=before_id
            )
            if query != self._query or not self._hits or self._hits[-1].message.id != before_id:
                return  # the query changed meanwhile
            self._hits += hits
            self._more = len(hits) == PAGE
            self._add_options(hits, scope)
            await self._describe(scope)
        finally:
            self._loading_more = False

    # ------------------------------------------------------------------ choosing

    def action_move(self, delta: int) -> None:
        """Move the highlight through the results (from the query field too)."""
        results = self.query_one("#search-results", OptionList)
        if results.option_count:
            if delta > 0:
                results.action_cursor_down()
            else:
                results.action_cursor_up()

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        results = self.query_one("#search-results", OptionList)
        if results.highlighted is not None:
            self._open(results.highlighted)
        else:
            self._search_now()

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_index)

    def _open(self, index: int) -> None:
        if 0 <= index < len(self._hits):
            self.dismiss(self._hits[index].message)

    def action_cancel(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)


class SearchCommands(ScreenCommands):
    """The command palette's "Search messages" (on a screen with ``action_search``)."""

    TITLE = "Search messages"
    HELP = "Find messages by words or sender, in this chat or all (ctrl+f)"

    def commands(self) -> Iterable[SystemCommand]:
        """The one entry, where the screen can search."""
        action = getattr(self.screen, "action_search", None)
        if action is not None:
            yield SystemCommand(self.TITLE, self.HELP, partial(action))
