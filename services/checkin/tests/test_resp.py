"""The pipelined Redis client of the check-in path, against the real Redis or fakeredis over TCP."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Iterator

import fakeredis
import pytest
import uvloop

from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.resp import ConnectionLost, PipelinedRedis, RedisReplyError, ReplyParser, encode_command
from lianfang.checkin.state import RedisState
from lianfang.common.testing.plugin import Backend


@pytest.fixture
def tcp_redis_url(backend: Backend) -> Iterator[str]:
    if backend.real:
        yield backend.redis_url
        return
    server = fakeredis.TcpFakeServer(("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def redis(tcp_redis_url: str) -> AsyncIterator[PipelinedRedis]:
    client = PipelinedRedis(tcp_redis_url, timeout=2)
    yield client
    await client.close()


async def silent_server() -> tuple[asyncio.Server, int]:
    """Accepts connections and never answers, like a Redis stuck in a long command."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


class TestParsing:
    REPLIES = (
        b"+OK\r\n-ERR wrong\r\n:42\r\n:-1\r\n$-1\r\n$0\r\n\r\n$5\r\nhe\r\no\r\n*-1\r\n*0\r\n"
        b"*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+b\r\n"
    )

    def expected(self) -> list[object]:
        return [b"OK", "ERR wrong", 42, -1, None, b"", b"he\r\no", None, [], [b"a", [1, None], b"b"]]

    def shown(self, replies: list[object]) -> list[object]:
        return [str(reply) if isinstance(reply, RedisReplyError) else reply for reply in replies]

    def test_every_reply_type(self) -> None:
        assert self.shown(list(ReplyParser().feed(self.REPLIES))) == self.expected()

    def test_replies_split_anywhere_come_out_whole(self) -> None:
        parser = ReplyParser()
        replies: list[object] = []
        for index in range(len(self.REPLIES)):
            replies += parser.feed(self.REPLIES[index : index + 1])
        assert self.shown(replies) == self.expected()

    def test_commands_are_bulk_strings(self) -> None:
        assert encode_command(("SET", "键", b"v", 10, 1.5)) == (
            b"*5\r\n$3\r\nSET\r\n$3\r\n\xe9\x94\xae\r\n$1\r\nv\r\n$2\r\n10\r\n$3\r\n1.5\r\n"
        )
        with pytest.raises(TypeError):
            encode_command(("SET", "k", True))

    def test_arguments_seen_before_encode_the_same(self) -> None:
        """Short strings and integers are remembered once encoded; booleans and floats, equal to some integers, are not."""
        first = [encode_command(("EXPIRE", "k", 1)), encode_command(("SET", "k", 36.0))]
        again = [encode_command(("EXPIRE", "k", 1)), encode_command(("SET", "k", 36.0))]

        assert (
            first
            == again
            == [b"*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$1\r\n1\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n36.0\r\n"]
        )
        assert encode_command(("SET", "k", 36)).endswith(b"$2\r\n36\r\n")
        with pytest.raises(TypeError):
            encode_command(("SET", "k", True))


@pytest.mark.usefixtures("backend")
class TestPipelinedRedis:
    async def test_concurrent_batches_each_get_their_own_replies(self, redis: PipelinedRedis) -> None:
        prefix = f"test:resp:{uuid.uuid4().hex}"

        async def round_trip(number: int) -> list[object]:
            key = f"{prefix}:{number}"
            return list(await redis.execute([("SET", key, number, "EX", 60), ("GET", key), ("DEL", key)]))

        results = await asyncio.gather(*(round_trip(number) for number in range(300)))

        assert results == [[b"OK", str(number).encode(), 1] for number in range(300)]

    async def test_an_error_reply_takes_its_commands_place(self, redis: PipelinedRedis, backend: Backend) -> None:
        if not backend.real:
            pytest.skip("fakeredis's TCP server drops the connection after an error reply; the parser test covers it")
        key = f"test:resp:{uuid.uuid4().hex}"

        replies = await redis.execute([("SET", key, "text", "EX", 60), ("INCR", key), ("GET", key)])

        assert isinstance(replies[1], RedisReplyError)
        assert (replies[0], replies[2]) == (b"OK", b"text")

    async def test_the_database_of_the_url_is_selected(self, tcp_redis_url: str) -> None:
        key = f"test:resp:{uuid.uuid4().hex}"
        base = tcp_redis_url.rsplit("/", 1)[0]
        other = PipelinedRedis(f"{base}/14", timeout=2)
        default = PipelinedRedis(tcp_redis_url, timeout=2)
        try:
            await other.execute([("SET", key, "in 14", "EX", 60)])
            seen = await default.execute([("GET", key)]), await other.execute([("GET", key), ("DEL", key)])
        finally:
            await other.close()
            await default.close()

        assert seen == ([None], [b"in 14", 1])

    async def test_a_refused_connection_is_a_connection_error(self) -> None:
        client = PipelinedRedis("redis://127.0.0.1:1/0", timeout=1)

        with pytest.raises(ConnectionError):
            await client.execute([("PING",)])

    async def test_a_silent_redis_times_out_and_is_dropped(self) -> None:
        server, port = await silent_server()
        client = PipelinedRedis(f"redis://127.0.0.1:{port}/0", timeout=0.2)
        try:
            with pytest.raises(TimeoutError):
                await client.execute([("PING",)])
            # The connection that never answered is gone; the next batch connects anew and waits its own time.
            with pytest.raises(TimeoutError):
                await client.execute([("PING",)])
        finally:
            await client.close()
            server.close()
            await server.wait_closed()

    async def test_a_lost_connection_fails_its_batches_and_the_next_one_reconnects(self, redis: PipelinedRedis) -> None:
        await redis.execute([("PING",)])
        connection = redis._slots[0]
        assert connection is not None
        connection.close()

        with pytest.raises(ConnectionLost):
            connection.send(encode_command(("PING",)), 1)
        assert await redis.execute([("PING",)]) == [b"PONG"]


def test_the_event_loop_of_production_works_too(tcp_redis_url: str) -> None:
    """uvicorn runs uvloop, whose transports are not `asyncio.Transport` subclasses."""

    async def round_trip() -> list[object]:
        client = PipelinedRedis(tcp_redis_url, timeout=2)
        try:
            return list(await client.execute([("PING",), ("ECHO", "uvloop")]))
        finally:
            await client.close()

    loop = uvloop.new_event_loop()
    try:
        assert loop.run_until_complete(round_trip()) == [b"PONG", b"uvloop"]
    finally:
        loop.close()


class TestBreaker:
    async def test_after_a_failure_redis_is_left_alone_for_a_while(self) -> None:
        state = RedisState(PipelinedRedis("redis://127.0.0.1:1/0", timeout=1), retry_seconds=0.2)

        with pytest.raises(StateUnavailable):
            await state.execute([("PING",)])
        right_after = state.available
        await asyncio.sleep(0.25)
        later = state.available
        await state.close()

        assert (right_after, later) == (False, True)

    async def test_a_write_not_waited_for_that_fails_is_logged_and_trips_the_breaker(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        state = RedisState(PipelinedRedis("redis://127.0.0.1:1/0", timeout=1), retry_seconds=5)

        with caplog.at_level(logging.WARNING, logger="lianfang.checkin.redis"):
            state.send([("SET", "k", "v")], unsent="check-in 7 is not in Redis")
            await state.close()  # waits for what is still being sent

        assert not state.available
        assert "check-in 7 is not in Redis" in caplog.messages


async def test_writes_not_waited_for_come_before_what_is_asked_after_them(tcp_redis_url: str) -> None:
    state = RedisState(PipelinedRedis(tcp_redis_url, timeout=2), retry_seconds=1)
    key = f"test:resp:{uuid.uuid4().hex}"
    try:
        await state.execute([("PING",)])  # connected
        state.send([("SET", key, "written", "EX", 60)], unsent="lost")
        (seen,) = await state.execute([("GET", key)])
        await state.execute([("DEL", key)])
    finally:
        await state.close()

    assert seen == b"written"
