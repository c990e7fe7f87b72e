"""fakeredis behind a TCP port, for tests without a real Redis that must run a client speaking RESP itself (the
check-in service's pipelined client): the in-process fakeredis of `memory://` URLs is reached through redis-py only.

fakeredis's own `TcpFakeServer` serves each connection in a thread of its own, so a SUBSCRIBE may be carried out after
a PUBLISH sent later on another connection (a live event lost) and a reply waits for its thread to get the GIL (past
the tests' Redis timeout, now and then); and it closes a connection after an error reply (a command it lacks, such as
INFO, would drop every batch in flight). Here the test's own event loop serves every connection in the order their
bytes arrive, as Redis does, and an error reply is answered like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fakeredis import FakeServer

# Not exported: the connection and the reply encoding fakeredis's TCP server is made of (fakeredis is pinned in uv.lock).
from fakeredis._clients._sync import FakeRedisConnection
from fakeredis._clients._tcp_server import encode_reply
from redis.exceptions import ResponseError

__all__ = ["tcp_fake_redis"]


class _Client(asyncio.Protocol):
    def __init__(self, server: FakeServer, clients: set[_Client]) -> None:
        self._server = server
        self._clients = clients
        self._transport: asyncio.Transport | None = None
        self._connection: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        # RESP2 until the client says HELLO, as a fresh connection to Redis.
        self._connection = FakeRedisConnection(server=self._server, protocol=2)
        self._clients.add(self)

    def data_received(self, data: bytes) -> None:
        self._connection.get_socket().sendall(data)
        # A PUBLISH here has given its subscribers on other connections something to read.
        for client in list(self._clients):
            client.answer()

    def answer(self) -> None:
        connection = self._connection
        while connection.can_read() and self._transport is not None and not self._transport.is_closing():
            try:
                reply = connection.read_response()
            except ResponseError as error:
                reply = error
            protocol = connection.get_socket()._client_info.protocol_version
            self._transport.write(encode_reply(reply, protocol))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._clients.discard(self)
        self._connection.disconnect()


@asynccontextmanager
async def tcp_fake_redis() -> AsyncIterator[str]:
    """A fresh, empty fakeredis on a free port of 127.0.0.1, served by the running event loop, by its `redis://` URL."""
    fake = FakeServer()
    clients: set[_Client] = set()
    server = await asyncio.get_running_loop().create_server(lambda: _Client(fake, clients), "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    finally:
        server.close()
        for client in list(clients):
            client.close()
        await server.wait_closed()
