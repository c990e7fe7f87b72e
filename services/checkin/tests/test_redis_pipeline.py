"""The pipelined Redis client of the check-in path, against the real Redis or fakeredis over TCP."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack

import pytest
import uvloop
from prometheus_client import REGISTRY

from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.redis_pipeline import (
    Command,
    ConnectionLost,
    PipelinedRedis,
    RedisReplyError,
    Reply,
    ReplyParser,
    encode_commands,
)
from lianfang.checkin.state import CommandRunner, RedisPyRunner, RedisState, delete_if_held
from lianfang.common.cache import connect_cache
from lianfang.common.testing.fake_redis import tcp_fake_redis
from lianfang.common.testing.plugin import Backend


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[PipelinedRedis]:
    client = PipelinedRedis(redis_url, timeout=2)
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

    def test_bytes_that_are_no_reply_lose_the_connection(self) -> None:
        with pytest.raises(ConnectionLost, match="unreadable"):
            ReplyParser().feed(b"+OK\r\n?what\r\n")

    def test_commands_are_bulk_strings(self) -> None:
        assert encode_commands([("SET", "键", b"v", 10, 1.5), ("SET", "k", 36.0), ("EXPIRE", "k", 36)]) == (
            b"*5\r\n$3\r\nSET\r\n$3\r\n\xe9\x94\xae\r\n$1\r\nv\r\n$2\r\n10\r\n$3\r\n1.5\r\n"
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n36.0\r\n"
            b"*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n36\r\n"
        )
        with pytest.raises(TypeError):
            encode_commands([("SET", "k", True)])


@pytest.mark.usefixtures("backend")
class TestPipelinedRedis:
    async def test_concurrent_batches_each_get_their_own_replies(self, redis: PipelinedRedis) -> None:
        prefix = f"test:resp:{uuid.uuid4().hex}"

        async def round_trip(number: int) -> list[object]:
            key = f"{prefix}:{number}"
            return list(await redis.execute([("SET", key, number, "EX", 60), ("GET", key), ("DEL", key)]))

        results = await asyncio.gather(*(round_trip(number) for number in range(300)))

        assert results == [[b"OK", str(number).encode(), 1] for number in range(300)]

    async def test_an_error_reply_takes_its_commands_place(self, redis: PipelinedRedis) -> None:
        key = f"test:resp:{uuid.uuid4().hex}"

        replies = await redis.execute([("SET", key, "text", "EX", 60), ("INCR", key), ("GET", key)])

        assert isinstance(replies[1], RedisReplyError)
        assert (replies[0], replies[2]) == (b"OK", b"text")

    async def test_the_database_of_the_url_is_selected(self, redis_url: str) -> None:
        key = f"test:resp:{uuid.uuid4().hex}"
        base, _, database = redis_url.rpartition("/")
        # Eight away: the suite's parallel workers each flush a database of their own, numbered one after another.
        other = PipelinedRedis(f"{base}/{(int(database or 0) + 8) % 16}", timeout=2)
        default = PipelinedRedis(redis_url, timeout=2)
        try:
            await other.execute([("SET", key, "elsewhere", "EX", 60)])
            seen = await default.execute([("GET", key)]), await other.execute([("GET", key), ("DEL", key)])
        finally:
            await other.close()
            await default.close()

        assert seen == ([None], [b"elsewhere", 1])

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
            connection.send(encode_commands([("PING",)]), 1)
        assert await redis.execute([("PING",)]) == [b"PONG"]


class TestUrl:
    @pytest.mark.parametrize(
        ("query", "named"),
        [
            ("ssl_cert_reqs=none", "ssl_cert_reqs"),
            ("socket_timeout=1&db=3&socket_timeout=2", "socket_timeout, db"),
            ("protocol", "protocol"),
        ],
    )
    def test_options_the_client_would_ignore_are_refused(self, query: str, named: str) -> None:
        with pytest.raises(ValueError, match=f"not supported by the pipelined client, remove: {named}$"):
            PipelinedRedis(f"rediss://:secret@redis:6380/2?{query}", timeout=1)

    def test_a_path_that_is_no_database_number_is_refused(self) -> None:
        with pytest.raises(ValueError, match="must be a database number, got /cache"):
            PipelinedRedis("redis://redis:6379/cache", timeout=1)

    def test_another_scheme_is_refused_without_showing_the_password(self) -> None:
        with pytest.raises(ValueError, match=r"^expected a redis:// or rediss:// URL, got unix://$"):
            PipelinedRedis("unix://:secret@/run/redis.sock", timeout=1)


def test_the_event_loop_of_production_works_too(backend: Backend) -> None:
    """uvicorn runs uvloop, whose transports are not `asyncio.Transport` subclasses."""

    async def round_trip() -> list[object]:
        async with AsyncExitStack() as stack:
            # The embedded Redis is served by the loop it was made in: this one, here.
            url = backend.redis_url if backend.real else await stack.enter_async_context(tcp_fake_redis())
            client = PipelinedRedis(url, timeout=2)
            stack.push_async_callback(client.close)
            return list(await client.execute([("PING",), ("ECHO", "uvloop")]))

    loop = uvloop.new_event_loop()
    try:
        assert loop.run_until_complete(round_trip()) == [b"PONG", b"uvloop"]
    finally:
        loop.close()


class SwitchedOff:
    """A runner whose Redis is switched off until told: meanwhile every batch meets a refused connection."""

    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner
        self.off = True

    @property
    def database(self) -> int:
        return self.runner.database

    async def execute(self, commands: Sequence[Command]) -> list[Reply]:
        if self.off:
            raise ConnectionRefusedError("switched off")
        return await self.runner.execute(commands)

    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Reply]]:
        return self.runner.send(commands)

    async def close(self) -> None:
        await self.runner.close()


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

    async def test_redis_shows_unavailable_until_it_answers_again(self, redis_url: str) -> None:
        redis = SwitchedOff(PipelinedRedis(redis_url, timeout=1))
        state = RedisState(redis, retry_seconds=0.05)

        with pytest.raises(StateUnavailable):
            await state.execute([("PING",)])
        await asyncio.sleep(0.1)  # the pause is over, but nothing has reached Redis since
        after_the_pause = (state.available, REGISTRY.get_sample_value("lianfang_redis_available"))
        redis.off = False
        await state.execute([("PING",)])
        answered = REGISTRY.get_sample_value("lianfang_redis_available")
        await state.close()

        assert (after_the_pause, answered) == ((True, 0.0), 1.0)

    async def test_a_write_not_waited_for_that_fails_is_logged_and_trips_the_breaker(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        state = RedisState(PipelinedRedis("redis://127.0.0.1:1/0", timeout=1), retry_seconds=5)

        with caplog.at_level(logging.WARNING, logger="lianfang.checkin.redis"):
            state.send([("SET", "k", "v")], unsent="check-in 7 is not in Redis")
            await state.close()  # waits for what is still being sent

        assert not state.available
        assert "check-in 7 is not in Redis" in caplog.messages


@pytest.fixture(params=["pipelined", "redis-py"])
async def runner(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[CommandRunner]:
    """Both ways the service sends its batches: its own client, and redis-py where the URL is `memory://`."""
    if request.param == "pipelined":
        yield PipelinedRedis(redis_url, timeout=2)
        return
    client = connect_cache(redis_url)
    yield RedisPyRunner(client)
    await client.aclose()


async def test_writes_not_waited_for_come_before_what_is_asked_after_them(runner: CommandRunner) -> None:
    state = RedisState(runner, retry_seconds=1)
    key = f"test:resp:{uuid.uuid4().hex}"
    try:
        await state.execute([("PING",)])  # connected
        state.send([("SET", key, "written", "EX", 60)], unsent="lost")
        (seen,) = await state.execute([("GET", key)])
        await state.execute([("DEL", key)])
    finally:
        await state.close()

    assert seen == b"written"


async def test_a_claim_is_given_back_only_while_it_is_held(runner: CommandRunner) -> None:
    """A rebuild may write a receipt over a claim whose request is giving it back: the receipt stays."""
    state = RedisState(runner, retry_seconds=1)
    held, overwritten = (f"test:claim:{uuid.uuid4().hex}" for _ in range(2))
    try:
        await state.execute([("SET", held, b"claim:1", "EX", 60), ("SET", overwritten, b"claim:2", "EX", 60)])
        await state.execute([("SET", overwritten, b"receipt", "EX", 60)])
        given_back = await state.execute([delete_if_held(held, b"claim:1"), delete_if_held(overwritten, b"claim:2")])
        left = await state.execute([("EXISTS", held), ("GET", overwritten)])
        await state.execute([("DEL", overwritten)])
    finally:
        await state.close()

    assert list(given_back) == [1, 0]
    assert list(left) == [0, b"receipt"]
