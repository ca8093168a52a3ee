"""Builders for the content of common messages."""

from __future__ import annotations


def text_content(text: str, extra: str | None = None) -> dict[str, object]:
    """Return the content of an ``RC:TxtMsg``: ``{"content": text}`` plus ``extra`` if given.

    Raises :class:`TypeError` when ``text`` or ``extra`` is not a string: that is
    a bug in the caller, not bad input from the network.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    content: dict[str, object] = {"content": text}
    if extra is not None:
        if not isinstance(extra, str):
            raise TypeError(f"extra must be a str or None, not {type(extra).__name__}")
        content["extra"] = extra
    return content
