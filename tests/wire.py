"""A bare protocol client for server tests: raw frames over a real websocket."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from imkit_tui.protocol import (
    ConvRef,
    ErrorFrame,
    Frame,
    Hello,
    Push,
    SendMessage,
    ServerFrame,
    Welcome,
    decode_server_frame,
    encode,
)


class WireClient:
    """Speaks frames directly, so tests see exactly what the server sends."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next = 100

    @classmethod
    async def login(cls, url: str, token: str, device: str = "wire") -> WireClient:
        ws = await connect(url, max_size=None)
        client = cls(ws)
        await client.send_frame(Hello(id=1, versions=[1], token=token, device=device))
        welcome = await client.recv()
        assert isinstance(welcome, Welcome), welcome
        return client

    async def send_frame(self, frame: Frame) -> None:
        await self.ws.send(encode(frame), text=True)

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def recv(self, timeout: float = 5.0) -> ServerFrame:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        return decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())

    async def request(self, frame: Frame, timeout: float = 5.0) -> ServerFrame:
        """Send `frame` with a fresh id and return its answer, skipping pushes."""
        self._next += 1
        frame.id = self._next
        await self.send_frame(frame)
        while True:
            answer = await self.recv(timeout)
            if not isinstance(answer, Push) and answer.re == frame.id:
                return answer

    async def send_text(self, to: str, text: str, cmid: str, **extra: Any) -> ServerFrame:
        return await self.request(
            SendMessage(
                conv=extra.get("conv", ConvRef.private(to)),
                object_name=extra.get("object_name", "RC:TxtMsg"),
                content=extra.get("content", {"content": text}),
                cmid=cmid,
            )
        )

    async def next_push(self, timeout: float = 5.0) -> Push:
        while True:
            frame = await self.recv(timeout)
            if isinstance(frame, Push):
                return frame
            assert not isinstance(frame, ErrorFrame), frame

    async def close(self) -> None:
        await self.ws.close()
