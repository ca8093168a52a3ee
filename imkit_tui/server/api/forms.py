"""A request's parameters, read as the service reads them: no I/O.

Form bodies (`application/x-www-form-urlencoded`, UTF-8) repeat a key for a list
(`blackUserId=a&blackUserId=b`); JSON bodies give lists as arrays. Either way a handler
asks for one value, all values, a number or a 0/1 flag, and a missing or bad one is
refused with 1002 naming the parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from imkit_tui.server.api.errors import TOO_LONG, ApiError, bad_parameter

MAX_ID_CHARS = 64
"""The longest user, group or target id (the service allows 64 characters)."""


class Params:
    """The parameters of one request, by name, each with its values in order."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in pairs:
            self._values.setdefault(key, []).append(value)

    @classmethod
    def from_json(cls, body: Any) -> Params:
        """The parameters of a JSON object body (arrays give lists; other values their
        text; nested objects their JSON)."""
        if not isinstance(body, dict):
            raise bad_parameter("the body must be a JSON object")
        pairs: list[tuple[str, str]] = []
        for key, value in body.items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((str(key), _text(item)))
        return cls(pairs)

    def pairs(self) -> list[tuple[str, str]]:
        """Every (name, value), names in first-seen order."""
        return [(key, value) for key, values in self._values.items() for value in values]

    def names(self) -> set[str]:
        """The parameter names given."""
        return set(self._values)

    def one(self, name: str, default: str | None = None) -> str:
        """The (first) value of `name`; 1002 when absent and there is no `default`."""
        values = self._values.get(name)
        if values:
            return values[0]
        if default is None:
            raise bad_parameter(f"{name} is required")
        return default

    def all(self, name: str, *, required: bool = True, limit: int = 1000) -> list[str]:
        """Every value of `name` (a comma in a value does not split it), in order and
        without repeats; 1002 when none and `required`, or more than `limit`. An empty
        value is kept (the caller refuses it)."""
        values = list(dict.fromkeys(self._values.get(name, [])))
        if required and not values:
            raise bad_parameter(f"{name} is required")
        if len(values) > limit:
            raise bad_parameter(f"{name} takes at most {limit} values")
        return values

    def ident(self, name: str) -> str:
        """An id (user, group, target): 1 to 64 characters."""
        value = self.one(name)
        check_id(name, value)
        return value

    def idents(self, name: str, *, required: bool = True, limit: int = 1000) -> list[str]:
        """Every id given as `name`, each checked as :meth:`ident`."""
        values = self.all(name, required=required, limit=limit)
        for value in values:
            check_id(name, value)
        return values

    def integer(
        self, name: str, default: int | None = None, *, low: int = 0, high: int = 2**53
    ) -> int:
        """A whole number between `low` and `high`."""
        text = self.one(name, None if default is None else str(default))
        try:
            value = int(text)
        except ValueError:
            raise bad_parameter(f"{name} must be a whole number") from None
        if not low <= value <= high:
            raise bad_parameter(f"{name} must be between {low} and {high}")
        return value

    def flag(self, name: str, default: bool | None = False) -> bool:
        """A 0/1 switch (also true/false, as some SDKs send); required when `default`
        is None."""
        text = self.one(name, None if default is None else str(int(default))).strip().lower()
        if text in ("1", "true"):
            return True
        if text in ("0", "false", ""):
            return False
        raise bad_parameter(f"{name} must be 0 or 1")

    def text(self, name: str, default: str | None = None, *, limit: int = 65536) -> str:
        """A free text of at most `limit` characters (1005 past it)."""
        value = self.one(name, default)
        if len(value) > limit:
            raise ApiError(TOO_LONG, f"{name} is longer than {limit} characters")
        return value


def check_id(name: str, value: str) -> None:
    """Refuse an id that is empty or longer than :data:`MAX_ID_CHARS` (1002)."""
    if not value or len(value) > MAX_ID_CHARS:
        raise bad_parameter(f"{name} must have 1 to {MAX_ID_CHARS} characters")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
