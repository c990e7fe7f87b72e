"""What the check-in tests share: checkpoints as the registry configures them, callers, and the events on the broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import TypeAdapter
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message
from stdnum.cn import ric

from lianfang.common.auth import AdminPrincipal, ResidentPrincipal, StaffPrincipal
from lianfang.common.contracts.checkpoints import CheckpointConfig, RegionStep, config_key
from lianfang.common.contracts.events import CheckinCreated, CheckinDecided, CheckinEvent
from lianfang.common.forms import HOSPITAL, RESIDENTIAL_GATE
from lianfang.common.messaging import Consumer, Delivery
from lianfang.common.pii import PiiCipher
from lianfang.common.settings import DEV_PII_KEY
from lianfang.common.testing import bearer

__all__ = [
    "CHECKINS",
    "GATE",
    "HOSPITAL_GATE",
    "MARKET",
    "PII",
    "EventStream",
    "Json",
    "Published",
    "ServerSentEvent",
    "admin",
    "answers_of",
    "checkpoint_config",
    "decrypted",
    "field_errors",
    "gate_answers",
    "hospital_answers",
    "id_card",
    "resident",
    "seed",
    "staff",
]

Json = dict[str, Any]
CHECKINS = "/api/checkin/checkins"
PII = PiiCipher(DEV_PII_KEY)

_REGIONS = [
    RegionStep(id=1, name="河北省", level="province"),
    RegionStep(id=7, name="石家庄市", level="city"),
    RegionStep(id=42, name="长安区", level="county"),
    RegionStep(id=420, name="育才街道", level="township"),
]


def checkpoint_config(**overrides: Any) -> CheckpointConfig:
    values: dict[str, Any] = {
        "id": 101,
        "code": "GATE2345",
        "name": "育才小区东门",
        "kind": "community",
        "kind_label": "小区/社区",
        "address": "育才街 1 号",
        "active": True,
        "region_id": 420,
        "region_path": "/1/7/42/420/",
        "city_code": "1301",
        "regions": _REGIONS,
        "temp_valid_minutes": 240,
        "requires_audit": False,
        "fever_threshold": 37.3,
        "template_id": 1,
        "template_version": 1,
        "form": RESIDENTIAL_GATE.form,
    }
    return CheckpointConfig.model_validate(values | overrides)


GATE = checkpoint_config()
# Another city, another form, audited, and a shorter temperature validity.
HOSPITAL_GATE = checkpoint_config(
    id=202,
    code="HSPT2345",
    name="唐山市人民医院门诊",
    kind="hospital",
    kind_label="医院",
    region_id=90,
    region_path="/1/9/90/",
    city_code="1302",
    regions=[
        RegionStep(id=1, name="河北省", level="province"),
        RegionStep(id=9, name="唐山市", level="city"),
        RegionStep(id=90, name="路南区", level="county"),
    ],
    temp_valid_minutes=30,
    requires_audit=True,
    template_id=3,
    template_version=2,
    form=HOSPITAL.form,
)
# Never reuses a temperature.
MARKET = checkpoint_config(
    id=303, code="MKT23456", name="长安农贸市场", kind="market", kind_label="商超/市场", temp_valid_minutes=0
)


async def seed(cache: Redis, *configs: CheckpointConfig) -> None:
    """As the registry publishes configs after each change."""
    for config in configs:
        await cache.set(config_key(config.code), config.model_dump_json(), ex=3600)


def id_card(first17: str) -> str:
    return first17 + str(ric.calc_check_digit(first17 + "0"))


def gate_answers(name: str = "张三", phone: str = "13812345678", **more: object) -> Json:
    return {"name": name, "phone": phone, "address": "3 号楼 2 单元 501", "is_resident": True, **more}


def hospital_answers(name: str = "张三", phone: str = "13812345678", number: str | None = None) -> Json:
    return {
        "name": name,
        "phone": phone,
        "id_card": number or id_card("13010219800101123"),
        "department": "内科",
        "travel_history": "无中高风险地区旅居史",
    }


def resident(resident_id: uuid.UUID | None = None) -> dict[str, str]:
    return bearer(ResidentPrincipal(resident_id or uuid.uuid4()))


def staff(*checkpoint_ids: int, staff_id: uuid.UUID | None = None) -> dict[str, str]:
    return bearer(StaffPrincipal(staff_id or uuid.uuid4(), 7, "/1/7/", tuple(checkpoint_ids)))


def admin() -> dict[str, str]:
    return bearer(AdminPrincipal(uuid.uuid4(), 1, "/1/"))


def field_errors(response: httpx.Response) -> list[Json]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors: list[Json] = response.json()["errors"]
    return errors


_MESSAGE: TypeAdapter[CheckinCreated | CheckinDecided | list[CheckinCreated | CheckinDecided]] = TypeAdapter(
    CheckinEvent | list[CheckinEvent]
)


class Published:
    """The events that reached the broker, read from a queue of the test's own bound to `lianfang.checkins`."""

    def __init__(self, consumer: Consumer) -> None:
        self._consumer = consumer

    async def take(self, count: int) -> list[Delivery]:
        async with asyncio.timeout(5):
            deliveries = [await anext(self._consumer) for _ in range(count)]
        for delivery in deliveries:
            await delivery.ack()
        return deliveries

    async def events(self, count: int) -> list[CheckinCreated | CheckinDecided]:
        """The next `count` events, however many messages carry them: a message is one event or an array of them."""
        found: list[CheckinCreated | CheckinDecided] = []
        async with asyncio.timeout(5):
            while len(found) < count:
                delivery = await anext(self._consumer)
                await delivery.ack()
                read = _MESSAGE.validate_json(delivery.body)
                found += read if isinstance(read, list) else [read]
        assert len(found) == count, f"{len(found)} events, not {count}"
        return found

    async def created(self, count: int = 1) -> list[CheckinCreated]:
        events = await self.events(count)
        assert all(isinstance(event, CheckinCreated) for event in events)
        return [event for event in events if isinstance(event, CheckinCreated)]

    async def decided(self) -> CheckinDecided:
        (event,) = await self.events(1)
        assert isinstance(event, CheckinDecided)
        return event

    async def nothing(self, wait: float = 0.3) -> None:
        try:
            async with asyncio.timeout(wait):
                delivery = await anext(self._consumer)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event {delivery.routing_key}: {delivery.body!r}")


def decrypted(value: str | None) -> str | None:
    return None if value is None else PII.decrypt(value)


def answers_of(event: CheckinCreated) -> Mapping[str, object]:
    decoded: Mapping[str, object] = json.loads(PII.decrypt(event.answers_encrypted))
    return decoded


class EventStream:
    """A server-sent event stream read from the app in-process, event by event (httpx's ASGI transport would wait for
    the whole body, which never ends)."""

    def __init__(self, app: ASGIApp, path: str, headers: Mapping[str, str]) -> None:
        self._app = app
        self._path = path
        self._headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._buffer = b""
        self._disconnect = asyncio.Event()
        self._started = asyncio.Event()
        self._requested = False
        self._task: asyncio.Task[None] | None = None
        self.status = 0
        self.headers: dict[str, str] = {}
        self.comments: list[str] = []

    async def __aenter__(self) -> EventStream:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self._path,
            "raw_path": self._path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": self._headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }

        async def run() -> None:
            await self._app(scope, self._receive, self._send)

        self._task = asyncio.create_task(run())
        async with asyncio.timeout(5):
            await self._started.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._disconnect.set()
        assert self._task is not None
        async with asyncio.timeout(5):
            await self._task

    async def _receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {name.decode(): value.decode() for name, value in message["headers"]}
        elif message["type"] == "http.response.body":
            self._chunks.put_nowait(message.get("body", b""))
            # Open at its first bytes, not its headers: the service has subscribed to the checkpoint's events by then
            # (on a Redis over TCP, the subscription may still be on its way when the headers go out).
            self._started.set()

    async def comment(self) -> str:
        """The next comment (a heartbeat), within 5 seconds."""
        async with asyncio.timeout(5):
            while True:
                while b"\n\n" not in self._buffer:
                    self._buffer += await self._chunks.get()
                block, self._buffer = self._buffer.split(b"\n\n", 1)
                comments = [line[1:].strip() for line in block.decode().split("\n") if line.startswith(":")]
                self.comments += comments
                if comments:
                    return comments[-1]

    async def next(self) -> ServerSentEvent:
        """The next event within 5 seconds, comments (heartbeats) collected on the way."""
        async with asyncio.timeout(5):
            while True:
                while b"\n\n" not in self._buffer:
                    self._buffer += await self._chunks.get()
                block, self._buffer = self._buffer.split(b"\n\n", 1)
                fields: dict[str, str] = {}
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(": ")
                        fields[name] = value
                if "data" in fields:
                    return ServerSentEvent(
                        fields.get("id", ""), fields.get("event", "message"), json.loads(fields["data"])
                    )

    async def next_about(self, record_id: str) -> ServerSentEvent:
        """The next event about one record, past any other at the same checkpoint."""
        while (event := await self.next()).data["id"] != record_id:
            continue
        return event


@dataclass(frozen=True)
class ServerSentEvent:
    id: str
    event: str
    data: Json
