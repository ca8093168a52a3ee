"""The registry: object name → :class:`MessageType`, with built-ins and plugins.

Unknown object names are never rejected: :func:`lookup` returns a generic type
that is stored, counted and pushed, so a message from a newer client or an
uninstalled plugin is kept and delivered, and shows as "[Unsupported: name]".
"""

from __future__ import annotations

from ._content import CONTENT_TYPES
from ._notifications import NOTIFICATION_TYPES
from ._signalling import SIGNALLING_TYPES
from ._status import STATUS_TYPES
from ._types import MessageKind, MessageType

UNSUPPORTED_LABEL = "Unsupported message"

_BUILTIN_TYPES: tuple[MessageType, ...] = (
    *CONTENT_TYPES,
    *NOTIFICATION_TYPES,
    *STATUS_TYPES,
    *SIGNALLING_TYPES,
)

# Insertion order is kept: built-ins in catalogue order, then plugins.
_REGISTRY: dict[str, MessageType] = {}


def _check(message_type: MessageType) -> None:
    """Raise when ``message_type`` is not a well-formed :class:`MessageType`."""
    if not isinstance(message_type, MessageType):
        raise TypeError(f"expected a MessageType, not {type(message_type).__name__}")
    name = message_type.object_name
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"invalid object name {name!r}")
    if not isinstance(message_type.kind, MessageKind):
        raise TypeError(f"{name}: kind must be a MessageKind")
    for flag in (message_type.stored, message_type.counted, message_type.pushed):
        if not isinstance(flag, bool):
            raise TypeError(f"{name}: stored, counted and pushed must be bools")
    if not isinstance(message_type.label, str) or not message_type.label.strip():
        raise ValueError(f"{name}: label must be a non-empty string")
    fields = message_type.fields
    if not isinstance(fields, tuple) or not all(isinstance(f, str) for f in fields):
        raise TypeError(f"{name}: fields must be a tuple of strings")
    if message_type.summarizer is not None and not callable(message_type.summarizer):
        raise TypeError(f"{name}: summarizer must be callable or None")


def register(message_type: MessageType, *, replace: bool = False) -> None:
    """Add ``message_type`` to the catalogue (for plugins).

    Registering an object name that is already known raises :class:`ValueError`
    unless ``replace`` is true, in which case the new type takes the old one's
    place (built-ins included). Raises :class:`TypeError` or :class:`ValueError`
    for a malformed type (empty or padded object name, non-bool flags, …).
    """
    _check(message_type)
    name = message_type.object_name
    if name in _REGISTRY and not replace:
        raise ValueError(f"message type {name!r} is already registered")
    _REGISTRY[name] = message_type


def _unsupported(object_name: str) -> MessageType:
    """Build the generic type of an unknown object name."""

    def summarize_unsupported(content: object) -> str:
        return f"[Unsupported: {object_name}]"

    return MessageType(
        object_name=object_name,
        kind=MessageKind.CONTENT,
        stored=True,
        counted=True,
        pushed=True,
        label=UNSUPPORTED_LABEL,
        fields=(),
        summarizer=summarize_unsupported,
    )


def lookup(object_name: str) -> MessageType:
    """Return the type registered under ``object_name``; never raises for a string.

    An unknown name gets a generic type (kind CONTENT; stored, counted and
    pushed; label "Unsupported message"; summary ``[Unsupported: <name>]``): an
    unknown type is kept and delivered, never rejected. Names are case-sensitive.
    """
    found = _REGISTRY.get(object_name)
    return found if found is not None else _unsupported(object_name)


def is_known(object_name: str) -> bool:
    """Whether ``object_name`` is a built-in or registered type."""
    return object_name in _REGISTRY


def summarize(object_name: str, content: object, viewer: str | None = None) -> str:
    """Return the one-line summary of a message; never raises.

    Shorthand for ``lookup(object_name).summary(content, viewer)``: with ``viewer``, the
    user who reads it, notices about that user say "You" ("You created the group").
    """
    return lookup(object_name).summary(content, viewer)


def all_types() -> list[MessageType]:
    """Return every known type: built-ins in catalogue order, then registered ones."""
    return list(_REGISTRY.values())


def _install_builtins() -> None:
    """Fill the registry with the built-in catalogue (once, at import)."""
    for message_type in _BUILTIN_TYPES:
        register(message_type)


_install_builtins()
