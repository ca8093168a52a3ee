"""The server's file requests: announce, upload in chunks, download in chunks."""

from __future__ import annotations

from imkit_tui.protocol import (
    DownloadChunk,
    DownloadRequest,
    ProtocolError,
    UploadChunk,
    UploadStart,
)
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.media import MediaStore
from imkit_tui.server.session import Session


class FileRequests:
    """Answers the file frames of a session. Mixed into IMServer."""

    config: ServerConfig
    media: MediaStore

    async def _on_upload_start(self, session: Session, frame: UploadStart) -> None:
        try:
            state = await self.media.begin(frame.sha256, frame.size)
        except ProtocolError as exc:
            raise ProtocolError(exc.code, exc.message, frame.id) from None
        state.re = frame.id
        session.send(state)

    async def _on_upload_chunk(self, session: Session, frame: UploadChunk) -> None:
        try:
            state = await self.media.write(frame.sha256, frame.offset, frame.data)
        except ProtocolError as exc:
            raise ProtocolError(exc.code, exc.message, frame.id) from None
        state.re = frame.id
        session.send(state)

    async def _on_download(self, session: Session, frame: DownloadRequest) -> None:
        # Leave room for the envelope and base64 in the client's frame limit.
        length = min(frame.length, self.config.max_frame_bytes * 3 // 4 - 1024)
        try:
            data, total, mime = await self.media.read(frame.sha256, frame.offset, length)
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
