"""Connections from this process's own clients, without any network.

An embedded server's app, demo users and echo-bot live in the server's process. Each of
their connections is one end of a socket pair; the server takes the other end as an
accepted connection. The websocket on it, and every line of the server's per-connection
code, are the same as over TCP; only the listening socket is missing. So an embedded
server works in a namespace without loopback, and its own clients never depend on a
port being free.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any, cast

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.server import ServerProtocol

from imkit_tui.server.config import ServerConfig

Handler = Callable[[ServerConnection], Awaitable[None]]


def websocket_options(config: ServerConfig) -> dict[str, Any]:
    """The websocket settings of every connection of the server, over TCP or in-process."""
    return {
        "max_size": config.hard_frame_bytes,
        "ping_interval": config.heartbeat_seconds,
        "ping_timeout": config.heartbeat_seconds,
        "close_timeout": 2,
        "compression": None,
    }


class InProcessDoor:
    """Accepts websockets on socket pairs for clients in this process."""

    def __init__(self, handler: Handler, options: dict[str, Any]) -> None:
        """Serve `handler` with the websocket `options` of the listening server."""
        # A websockets server that never listens: it runs the same handshake and
        # handler for every connection given to it, and tracks them for closing.
        self._server: Server = serve(handler, **options)
        self._options = options
        self._closed = False

    async def connect(self) -> socket.socket:
        """A new connection: returns the client's end; the server serves the other."""
        if self._closed:
            raise ConnectionRefusedError("the in-process server is stopped")
        ours, theirs = socket.socketpair()
        try:
            loop = asyncio.get_running_loop()
            await loop.connect_accepted_socket(self._connection, ours)
        except BaseException:
            ours.close()
            theirs.close()
            raise
        return theirs

    # What a ServerConnection asks of its server: whether it still serves, the handler
    # (websockets' own: handshake, then ours) and the set its handler task joins.

    def is_serving(self) -> bool:
        """False once closed: a handshake then gets 503, as from a closing server."""
        return not self._closed

    @property
    def handler(self) -> Callable[[ServerConnection], Awaitable[None]]:
        """websockets' connection handler (the handshake, then the server's own)."""
        return self._server.handler

    @property
    def handler_tasks(self) -> set[asyncio.Task[None]]:
        """The running connection handlers."""
        return self._server.handler_tasks

    def _connection(self) -> ServerConnection:
        """The server side of one connection, as websockets' own server makes it."""
        protocol = ServerProtocol(max_size=self._options.get("max_size"))
        return ServerConnection(
            protocol,
            # The door stands in for the listening server it never has (duck-typed).
            cast(Server, self),
            ping_interval=self._options.get("ping_interval"),
            ping_timeout=self._options.get("ping_timeout"),
            close_timeout=self._options.get("close_timeout"),
        )

    async def close(self) -> None:
        """Refuse new connections; close the open ones (1001, going away) and wait
        for their handlers to end."""
        self._closed = True
        for connection in list(self._server.all_connections):
            with contextlib.suppress(Exception):
                await connection.close(1001)
        tasks = list(self._server.handler_tasks)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
