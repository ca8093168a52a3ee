"""The base of every frame and the bounded field types frames share.

Apart from :mod:`imkit_tui.protocol.frames` so that families of frames in modules of their
own (:mod:`imkit_tui.protocol.ultra_frames`) subclass the same :class:`Frame` without
importing the module that gathers every frame into the unions.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ClientMessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ObjectName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PageSize = Annotated[int, msgspec.Meta(ge=1, le=500)]
#: The largest integer a frame may carry (a seq, an offset, a cursor, an id): SQLite's.
MAX_INT = 2**63 - 1
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
FileName = Annotated[str, msgspec.Meta(max_length=255)]
MimeType = Annotated[str, msgspec.Meta(max_length=127)]

MAX_TARGETED = 300
"""The most members one targeted message may name."""
ChunkSize = Annotated[int, msgspec.Meta(ge=1, le=1024 * 1024)]


class Frame(msgspec.Struct, tag_field="t", omit_defaults=True, kw_only=True):
    """Base of every frame: the request id and the id of the request it answers."""

    id: NonNegative = 0
    re: NonNegative = 0
