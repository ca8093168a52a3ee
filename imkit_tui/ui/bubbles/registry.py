"""The bubble registry: object name → bubble class, for built-ins and plugins.

The built-in bubbles are a plugin like any other (:mod:`imkit_tui.ui.bubbles.builtin`,
entry point ``builtin``): the first lookup loads the plugins, so they are there even
for code that never calls :func:`imkit_tui.plugins.load_plugins`.

:func:`bubble_for` never raises: an unknown object name gets the
:class:`~imkit_tui.ui.bubbles.unsupported.UnsupportedBubble`, a known type without a
bubble of its own gets the summary (content) or notice (anything else) bubble, and a
bubble class whose constructor raises (malformed content) falls back to the unsupported
bubble too.
"""

from __future__ import annotations

from imkit_tui import messages, plugins
from imkit_tui.core import Message
from imkit_tui.ui.bubbles.base import Bubble
from imkit_tui.ui.bubbles.notice import NoticeBubble
from imkit_tui.ui.bubbles.summary import SummaryBubble
from imkit_tui.ui.bubbles.unsupported import UnsupportedBubble

_BUBBLES: dict[str, type[Bubble]] = {}
_loading = False


def _ensure_plugins() -> None:
    """Load the plugins (built-in bubbles first) once, on the first lookup.

    :func:`imkit_tui.plugins.load_plugins` is idempotent and cached; a lookup made by a
    plugin's own ``setup`` while loading does not load again. When the loader ran
    before with chosen entries only (tests), the built-in entry point is loaded too.
    """
    global _loading
    if _loading:
        return
    _loading = True
    try:
        report = plugins.load_plugins()
        tried = set(report.loaded) | {failure.name for failure in report.failures}
        if plugins.BUILTIN not in tried:
            plugins.load_plugins([e for e in plugins.discover() if e.name == plugins.BUILTIN])
    finally:
        _loading = False


def register(object_name: str, bubble_class: type[Bubble], *, replace: bool = False) -> None:
    """Show messages of ``object_name`` with ``bubble_class`` (built-ins and plugins).

    Args:
        object_name: The message type, for example ``"RC:TxtMsg"``.
        bubble_class: A subclass of :class:`~imkit_tui.ui.bubbles.base.Bubble`. Its
            constructor takes ``(message, *, me, show_sender)``.
        replace: Replace a bubble already registered for ``object_name``.

    Raises:
        ValueError: The name is empty or padded, or already registered without
            ``replace``.
        TypeError: ``bubble_class`` is not a Bubble subclass.
    """
    if not isinstance(object_name, str) or not object_name or object_name != object_name.strip():
        raise ValueError(f"invalid object name {object_name!r}")
    if not (isinstance(bubble_class, type) and issubclass(bubble_class, Bubble)):
        raise TypeError(f"{object_name}: expected a Bubble subclass, not {bubble_class!r}")
    if object_name in _BUBBLES and not replace:
        raise ValueError(f"a bubble for {object_name!r} is already registered")
    _BUBBLES[object_name] = bubble_class


def bubble_class_for(object_name: str) -> type[Bubble]:
    """Return the class that shows ``object_name``; never raises.

    Registered first; then, for a type the message catalogue knows, the summary bubble
    (content) or the notice bubble (notification, signalling, status); else the
    unsupported bubble.
    """
    if not isinstance(object_name, str):
        return UnsupportedBubble
    _ensure_plugins()
    found = _BUBBLES.get(object_name)
    if found is not None:
        return found
    if messages.is_known(object_name):
        if messages.lookup(object_name).kind == messages.MessageKind.CONTENT:
            return SummaryBubble
        return NoticeBubble
    return UnsupportedBubble


def bubble_for(message: Message, *, me: str, show_sender: bool = False) -> Bubble:
    """Create the bubble of ``message``; never raises.

    Args:
        message: The message to show.
        me: The user id of this client's user (decides the side).
        show_sender: Show the sender's name above others' messages (groups).

    Returns:
        An instance of the registered class, or an
        :class:`~imkit_tui.ui.bubbles.unsupported.UnsupportedBubble` when the name is
        unknown or the class refused the content.
    """
    bubble_class = bubble_class_for(message.object_name)
    try:
        return bubble_class(message, me=me, show_sender=show_sender)
    except Exception:
        return UnsupportedBubble(
            message,
            me=me,
            show_sender=show_sender,
            malformed=bubble_class is not UnsupportedBubble,
        )


def registered(*, load: bool = True) -> dict[str, type[Bubble]]:
    """Return a copy of the registry: object name → bubble class.

    Args:
        load: Load the plugins first (as a lookup would); False shows the registry as
            it is now.
    """
    if load:
        _ensure_plugins()
    return dict(_BUBBLES)


plugins.use_bubble_table(register)
