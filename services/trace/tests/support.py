"""A small region tree, its checkpoints, people, and records stored the way the ingest worker stores them."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from stdnum.cn import ric

from lianfang.common.auth import AdminPrincipal, TokenVerifier, in_scope
from lianfang.common.auth.devkeys import DEV_JWT_PUBLIC_KEY
from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.contracts.records import Record
from lianfang.common.errors import Unauthorized
from lianfang.common.ids import new_id
from lianfang.common.pii import PiiCipher, mask_id_card, mask_name, mask_phone
from lianfang.common.settings import DEV_PII_KEY
from lianfang.common.testing import bearer

__all__ = [
    "CHECKPOINTS",
    "FORMS",
    "PII",
    "REGIONS",
    "FakeRegistry",
    "Json",
    "Person",
    "admin",
    "field_errors",
    "id_card",
    "principal",
    "record",
    "since",
]

Json = dict[str, Any]
PII = PiiCipher(DEV_PII_KEY)
LEVELS = ("province", "city", "county", "township", "unit")
CITY_CODES = {7: "1301", 8: "1302"}


@dataclass(frozen=True)
class Region:
    id: int
    name: str
    path: str

    @property
    def ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")]

    @property
    def level(self) -> str:
        return LEVELS[len(self.ids) - 1]

    @property
    def city_code(self) -> str:
        return CITY_CODES.get(self.ids[1], "1300") if len(self.ids) > 1 else "1300"


REGIONS = {
    region.id: region
    for region in (
        Region(1, "河北省", "/1/"),
        Region(7, "石家庄市", "/1/7/"),
        Region(8, "唐山市", "/1/8/"),
        Region(42, "长安区", "/1/7/42/"),
        Region(43, "桥西区", "/1/7/43/"),
        Region(80, "路北区", "/1/8/80/"),
        Region(88, "建北街道", "/1/7/42/88/"),
        Region(89, "育才街道", "/1/7/42/89/"),
        Region(91, "建明社区", "/1/7/42/88/91/"),
        Region(92, "谈固社区", "/1/7/42/88/92/"),
    )
}


@dataclass(frozen=True)
class Checkpoint:
    id: int
    name: str
    kind: str
    region_id: int

    @property
    def region(self) -> Region:
        return REGIONS[self.region_id]


CHECKPOINTS = {
    checkpoint.id: checkpoint
    for checkpoint in (
        Checkpoint(4201, "建明社区北门", "community", 91),
        Checkpoint(4202, "谈固社区东门", "community", 92),
        Checkpoint(4203, "育才菜市场", "market", 89),
        Checkpoint(4301, "桥西区人民医院", "hospital", 43),
        Checkpoint(4302, "桥西 3 路公交", "vehicle", 43),
        Checkpoint(8001, "路北万达广场", "market", 80),
    )
}


def _field(key: str, label: str, type: str, **extra: object) -> Json:
    return {"key": key, "label": label, "type": type, **extra}


_GATE = [_field("name", "姓名", "name"), _field("phone", "手机号", "phone"), _field("id_card", "身份证号", "id_card")]
# (template id, version) → (name, fields): a gate's form, the same form with a visit's purpose added in version 2, and
# a hospital's with a second phone, a plate and a department.
FORMS: dict[tuple[int, int], tuple[str, list[Json]]] = {
    (1, 1): ("小区门岗", _GATE),
    (1, 2): ("小区门岗", [*_GATE, _field("purpose", "来访事由", "text"), _field("resident", "是否本小区居民", "bool")]),
    (2, 1): (
        "医院",
        [
            _field("patient", "姓名", "name"),
            _field("mobile", "手机号", "phone"),
            _field("contact_phone", "紧急联系人电话", "phone"),
            _field("department", "就诊科室", "select", options=["发热门诊", "内科"]),
            _field("plate", "车牌号", "plate"),
            _field("purpose", "来访事由", "text"),
        ],
    ),
}


def principal(region_id: int) -> AdminPrincipal:
    return AdminPrincipal(uuid.uuid4(), region_id, REGIONS[region_id].path)


def admin(region_id: int) -> dict[str, str]:
    return bearer(principal(region_id))


def id_card(serial: int, birth: str = "19900307") -> str:
    body = f"130102{birth}{serial:03d}"
    # stdnum reads the check digit's place but not its value.
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class Person:
    name: str
    phone: str | None = None
    id_card: str | None = None
    resident_id: uuid.UUID | None = None


def since(base: datetime, minutes: float) -> datetime:
    return base + timedelta(minutes=minutes)


def record(
    person: Person,
    checkpoint_id: int,
    at: datetime,
    *,
    direction: str = "in",
    status: str = "passed",
    temperature: float | None = 36.5,
    companion_of: uuid.UUID | None = None,
    resident_id: uuid.UUID | None = None,
    form: tuple[int, int] = (1, 1),
    answers: Json | None = None,
) -> Record:
    """A record as the worker stores a check-in: PII encrypted, keyed hashes, masked forms, the region ancestry. The
    answers default to the person's own data under the gate form's keys."""
    checkpoint = CHECKPOINTS[checkpoint_id]
    ids = checkpoint.region.ids + [None] * (5 - len(checkpoint.region.ids))
    if answers is None:
        answers = {"name": person.name, "phone": person.phone, "id_card": person.id_card}
        answers = {key: value for key, value in answers.items() if value is not None}
    return Record(
        id=new_id(),
        city_code=checkpoint.region.city_code,
        checked_at=at,
        client_key=uuid.uuid4(),
        province_id=ids[0],
        city_id=ids[1],
        county_id=ids[2],
        township_id=ids[3],
        unit_id=ids[4],
        region_id=checkpoint.region_id,
        checkpoint_id=checkpoint.id,
        checkpoint_kind=checkpoint.kind,
        resident_id=resident_id or person.resident_id,
        companion_of=companion_of,
        entered_by=None,
        name_encrypted=PII.encrypt(person.name),
        name_hash=PII.search_hash(person.name),
        name_masked=mask_name(person.name),
        phone_encrypted=PII.encrypt(person.phone) if person.phone else None,
        phone_hash=PII.search_hash(person.phone) if person.phone else None,
        phone_masked=mask_phone(person.phone) if person.phone else None,
        id_card_encrypted=PII.encrypt(person.id_card) if person.id_card else None,
        id_card_hash=PII.search_hash(person.id_card) if person.id_card else None,
        id_card_masked=mask_id_card(person.id_card) if person.id_card else None,
        answers_encrypted=PII.encrypt(json.dumps(answers, ensure_ascii=False)),
        template_id=form[0],
        template_version=form[1],
        temperature=temperature,
        temperature_source="measured" if temperature is not None else None,
        temperature_measured_at=at if temperature is not None else None,
        direction=direction,
        status=status,
        stored_at=datetime.now(UTC),
    )


def field_errors(response: httpx.Response) -> list[tuple[str, str]]:
    """`(field, code)` of each field problem of a 422."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


_REGION = re.compile(r"/api/registry/regions/(\d+)")
_CHECKPOINT = re.compile(r"/api/registry/checkpoints/(\d+)")
_FORM = re.compile(r"/api/registry/templates/(\d+)/versions/(\d+)")
_CREATED = "2026-11-01T08:00:00Z"


@dataclass
class FakeRegistry:
    """The registry's `GET /regions/{id}`, `GET /checkpoints/{id}` and `GET /checkpoints?id=…` in their documented
    shapes, with its scope rule applied to the forwarded token; `asked` keeps each path, with the ids asked for."""

    asked: list[str] = field(default_factory=list)
    down: bool = False
    _verifier: TokenVerifier = field(default_factory=lambda: TokenVerifier(DEV_JWT_PUBLIC_KEY, issuer="lianfang"))

    def handle(self, request: httpx.Request) -> httpx.Response:
        listed_ids = ",".join(request.url.params.get_list("id"))
        self.asked.append(f"{request.url.path}?id={listed_ids}" if listed_ids else request.url.path)
        if self.down:
            raise httpx.ConnectError("registry unreachable", request=request)
        try:
            caller = self._verifier.verify(request.headers["authorization"].removeprefix("Bearer "))
        except (KeyError, Unauthorized):
            return httpx.Response(401, json={"code": "unauthorized"})
        assert isinstance(caller, AdminPrincipal)
        if found := _REGION.fullmatch(request.url.path):
            region = REGIONS.get(int(found[1]))
            if region is None:
                return httpx.Response(404, json={"code": "region_not_found"})
            if not in_scope(caller.region_path, region.path):
                return httpx.Response(403, json={"code": "forbidden"})
            return httpx.Response(200, json=self.region_detail(region))
        if request.url.path == "/api/registry/checkpoints/names":
            ids = [int(value) for value in request.url.params.get_list("id")]
            listed = [
                self.checkpoint_name(CHECKPOINTS[checkpoint_id])
                for checkpoint_id in ids
                if checkpoint_id in CHECKPOINTS and in_scope(caller.region_path, CHECKPOINTS[checkpoint_id].region.path)
            ]
            return httpx.Response(200, json={"items": listed})
        if found := _FORM.fullmatch(request.url.path):
            key = (int(found[1]), int(found[2]))
            if key not in FORMS:
                return httpx.Response(404, json={"code": "template_not_found"})
            name, fields = FORMS[key]
            return httpx.Response(200, json={"id": key[0], "name": name, "version": key[1], "fields": fields})
        if found := _CHECKPOINT.fullmatch(request.url.path):
            checkpoint = CHECKPOINTS.get(int(found[1]))
            if checkpoint is None:
                return httpx.Response(404, json={"code": "checkpoint_not_found"})
            if not in_scope(caller.region_path, checkpoint.region.path):
                return httpx.Response(403, json={"code": "forbidden"})
            return httpx.Response(200, json=self.checkpoint_out(checkpoint))
        return httpx.Response(404, json={"code": "not_found"})

    @staticmethod
    def region_detail(region: Region) -> Json:
        ancestors = [REGIONS[ancestor] for ancestor in region.ids[:-1]]
        return {
            "id": region.id,
            "parent_id": ancestors[-1].id if ancestors else None,
            "name": region.name,
            "code": None,
            "level": region.level,
            "path": region.path,
            "city_code": region.city_code,
            "created_at": _CREATED,
            "child_count": 0,
            "ancestors": [{"id": item.id, "name": item.name, "level": item.level} for item in ancestors],
        }

    @staticmethod
    def checkpoint_name(checkpoint: Checkpoint) -> Json:
        return {
            "id": checkpoint.id,
            "name": checkpoint.name,
            "kind": checkpoint.kind,
            "kind_label": KIND_LABELS[checkpoint.kind],
            "region_id": checkpoint.region_id,
            "region_name": checkpoint.region.name,
            "removed": False,
        }

    @staticmethod
    def checkpoint_out(checkpoint: Checkpoint) -> Json:
        return {
            "id": checkpoint.id,
            "code": f"CP{checkpoint.id:06d}",
            "qr_url": f"http://localhost:8000/c/CP{checkpoint.id:06d}",
            "region_id": checkpoint.region_id,
            "region_path": checkpoint.region.path,
            "region_name": checkpoint.region.name,
            "city_code": checkpoint.region.city_code,
            "name": checkpoint.name,
            "kind": checkpoint.kind,
            "kind_label": KIND_LABELS[checkpoint.kind],
            "address": None,
            "template_id": 1,
            "template_name": "小区门岗",
            "template_version": 1,
            "template_latest_version": 1,
            "temp_valid_minutes": 0,
            "requires_audit": False,
            "fever_threshold": 37.3,
            "active": True,
            "created_at": _CREATED,
            "updated_at": _CREATED,
        }


@dataclass
class FakeGateway:
    """The gateway's internal risk-notice call: the residents in `subscribed` are sent it, `accounts` are the others
    it knows; `asked` keeps each body with its Authorization header; `down` answers 503."""

    subscribed: set[uuid.UUID] = field(default_factory=set)
    accounts: set[uuid.UUID] = field(default_factory=set)
    asked: list[tuple[Json, str]] = field(default_factory=list)
    down: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/auth/internal/notifications/risk"
        if self.down:
            return httpx.Response(503, json={"code": "wechat_unavailable"})
        body: Json = json.loads(request.content)
        self.asked.append((body, request.headers["Authorization"]))
        residents = [uuid.UUID(value) for value in body["resident_ids"]]
        sent = sum(1 for resident in residents if resident in self.subscribed)
        known = sum(1 for resident in residents if resident in self.accounts)
        counts = {"sent": sent, "not_subscribed": known, "no_account": len(residents) - sent - known, "failed": 0}
        return httpx.Response(200, json=counts)
