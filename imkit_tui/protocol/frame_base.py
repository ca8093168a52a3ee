"""The base every frame is built on, and the field types frames share.

Kept apart from :mod:`~imkit_tui.protocol.frames` so that frames of a feature can live
in a module of their own (``profile_frames``, …) that :mod:`frames` gathers into the
unions the codec decodes, without the two modules importing each other.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
#: The largest integer a frame may carry (a seq, an offset, a cursor, an id): SQLite's.
MAX_INT = 2**63 - 1
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]


class Frame(msgspec.Struct, tag_field="t", omit_defaults=True, kw_only=True):
    """Base of every frame: the request id and the id of the request it answers."""

    id: NonNegative = 0
    re: NonNegative = 0
