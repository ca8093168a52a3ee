"""File frames: announce, upload in chunks, download in chunks.

Reading a file takes more than its sha256: the user uploaded it, or a message they may
see names it (server/file_refs.py). Everyone else is told there is no such file, the
same answer as for a file that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from imkit_tui.protocol import (
    DownloadChunk,
    DownloadRequest,
    ErrorCode,
    ProtocolError,
    UploadChunk,
    UploadStart,
    UploadState,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.session import Session

FRESH_FILE_SECONDS = 60
"""Files stored this recently are never collected (their grant may not be written yet)."""


async def on_upload_start(ctx: ServerContext, session: Session, frame: UploadStart) -> None:
    """Announce an upload: where to resume, or done when the user may skip it."""
    files = ctx.require_store().files
    user = session.user_id
    try:
        state = await ctx.media.begin(
            user,
            frame.sha256,
            frame.size,
            may_skip=await files.may_read(user, frame.sha256, now_ms()),
        )
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, frame.id) from None
    await _answer_upload(ctx, session, frame.id, state)


async def on_upload_chunk(ctx: ServerContext, session: Session, frame: UploadChunk) -> None:
    """Store a chunk of an upload."""
    try:
        state = await ctx.media.write(session.user_id, frame.sha256, frame.offset, frame.data)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, frame.id) from None
    await _answer_upload(ctx, session, frame.id, state)


async def _answer_upload(
    ctx: ServerContext, session: Session, request_id: int, state: UploadState
) -> None:
    if state.done:
        await ctx.require_store().files.grant_upload(session.user_id, state.sha256, now_ms())
    state.re = request_id
    session.send(state)


async def on_download(ctx: ServerContext, session: Session, frame: DownloadRequest) -> None:
    """A chunk of a file the user may read."""
    if not await ctx.require_store().files.may_read(session.user_id, frame.sha256, now_ms()):
        raise ProtocolError(ErrorCode.MEDIA_NOT_FOUND, "no such file", frame.id)
    # Leave room for the envelope and base64 in the client's frame limit.
    length = min(frame.length, ctx.config.max_frame_bytes * 3 // 4 - 1024)
    try:
        data, total, mime = await ctx.media.read(frame.sha256, frame.offset, length)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, frame.id) from None
    session.send(
        DownloadChunk(
            re=frame.id,
            sha256=frame.sha256,
            offset=frame.offset,
            total=total,
            data=data,
            mime=mime,
        )
    )


async def check_files_named(
    ctx: ServerContext, user_id: str, named: Iterable[str], request_id: int
) -> None:
    """A message may only name files its sender may read (uploaded or was sent)."""
    files = ctx.require_store().files
    for sha256 in named:
        if not await files.may_read(user_id, sha256, now_ms()):
            raise ProtocolError(
                ErrorCode.MEDIA_NOT_FOUND,
                "the message names a file you have not uploaded or received",
                request_id,
            )


async def collect_unreferenced_files(ctx: ServerContext, now: int | None = None) -> int:
    """Delete stored files that no message names and no uploader holds (as of `now`,
    in ms); return how many. Runs with the retention pass."""
    files = ctx.require_store().files
    now = now or now_ms()
    # A file just published has its uploader's grant committed a moment later: leave
    # files younger than a minute to the next pass.
    stored = await ctx.media.stored(before=now / 1000 - FRESH_FILE_SECONDS)
    garbage = await files.unreferenced(stored, now)
    for sha256 in garbage:
        await ctx.media.remove(sha256)
    return len(garbage)
