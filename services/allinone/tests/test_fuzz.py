"""Schemathesis over the four OpenAPI documents, in-process against the all-in-one server (issue 14): no answer is a 5xx,
none has a status its operation does not document, none breaks its own schema or content type.

Each service is fuzzed on a system of its own, seeded with one of everything a path names (a region, a checkpoint, its
template, a gate keeper, check-in records), and its operations run in the documents' order on one xdist worker (an
`xdist_group` per service): what one operation changes (a disabled account, a deleted region) is seen by the next ones
the same way on every run. Hypothesis is derandomized and keeps no database, so a run is reproducible.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lianfang.allinone.app import AllInOne
from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Servers

from .conftest import System, system_settings
from .test_pipeline import ANSWERS, resident, setup_gate, stored

T = TypeVar("T")
# A generated request to one operation of an OpenAPI document.
Case = schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]]

# The documents as committed, which `test_openapi_command` holds equal to the services' own: loading them costs nothing
# at collection, on every xdist worker.
DOCUMENTS = Path(__file__).resolve().parents[3] / "web" / "shared" / "openapi"
EXAMPLES = 25


def no_server_error_but_wechat(ctx: CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    """`not_a_server_error`, but for the 502 an operation documents: WeChat refusing a call (the fake WeChat of the
    development mode refuses a code for a page the mini-program has not released, as WeChat does)."""
    if response.status_code == 502 and "502" in case.operation.definition.raw["responses"]:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_error_but_wechat, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZING = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # The system is built once per service (a class fixture): function-scoped fixtures (the plugin's environment guard)
    # are not reset between examples, and nothing here needs them to be. Large bodies are slow to generate on a busy
    # machine: the run is bounded by `max_examples`, not by Hypothesis's sense of its pace.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _schema(service: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(json.loads((DOCUMENTS / f"{service}.json").read_text(encoding="utf-8")))


gateway = _schema("gateway")
registry = _schema("registry")
checkin = _schema("checkin")
trace = _schema("trace")

# Who calls an operation, by its path: gate keepers under /staff/ and at a fever's gate report, residents where they
# check in and read their own; the root admin anywhere else that takes a token.
STAFF_PATHS = ("/api/checkin/staff/", "/gate-report")
RESIDENT_PATHS = (
    "/api/checkin/checkins",
    "/api/checkin/checkouts",
    "/api/checkin/me/",
    "/api/checkin/checkpoints/",
    "/api/auth/me/privacy-consent",
    "/api/auth/wechat/phone",
    "/api/auth/dev/phone",
)
INTERNAL = "/internal/"


@dataclass
class Seeded:
    """A system with one of each object a path names, and the tokens of its three kinds of caller."""

    system: System
    loop: asyncio.AbstractEventLoop
    admin: dict[str, str]
    staff: dict[str, str]
    resident: dict[str, str]
    service: dict[str, str]
    targets: dict[str, list[Any]]

    def headers(self, path: str, secured: bool) -> dict[str, str]:
        if any(part in path for part in STAFF_PATHS):
            return self.staff
        if path.startswith(RESIDENT_PATHS):
            return self.resident
        if INTERNAL in path:
            return self.admin | self.service
        return self.admin if secured else {}

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """A sync test's way into the event loop the system was started in (it is idle between tests)."""
        return self.loop.run_until_complete(coroutine)


async def _seed(system: System) -> Seeded:
    root, gate, guard = await setup_gate(system)
    person = await resident(system, "o-fuzz")
    receipts = [
        await system.client.post(
            "/api/checkin/checkins",
            json={
                "checkpoint_code": gate["code"],
                "client_id": str(uuid.uuid4()),
                "answers": ANSWERS,
                "temperature": temperature,
            },
            headers=person,
        )
        for temperature in (36.5, 38.2)
    ]
    records = [receipt.json()["id"] for receipt in receipts]
    await stored(system, root, len(records))
    staff = (await system.client.get("/api/auth/admins", params={"role": "staff"}, headers=root)).json()["items"]
    return Seeded(
        system=system,
        loop=asyncio.get_running_loop(),
        admin=root,
        staff=guard,
        resident=person,
        service={SERVICE_HEADER: service_credential(system.app.settings.gateway.pii_keys)},
        targets={
            "region_id": [gate["region_id"]],
            "checkpoint_id": [gate["id"]],
            "code": [gate["code"]],
            "template_id": [gate["template_id"]],
            "version": [1],
            "account_id": [account["id"] for account in staff],
            "record_id": records,
        },
    )


def _ending_streams(app: ASGIApp) -> ASGIApp:
    """The app, with an event stream ended after its first chunk: httpx's in-process transport waits for the whole body,
    and a stream's never ends. The app sees its client go away, as when a gate keeper closes the page."""

    async def ending(scope: Scope, receive: Receive, send: Send) -> None:
        streaming = ended = False

        async def cut(message: Message) -> None:
            nonlocal streaming, ended
            if ended:
                return
            if message["type"] == "http.response.start":
                streaming = dict(message["headers"]).get(b"content-type", b"").startswith(b"text/event-stream")
            elif streaming:
                message = {**message, "more_body": False}
                ended = True
            await send(message)

        await app(scope, receive, cut)

    return ending


@pytest.fixture(scope="class")
async def seeded(class_servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    settings_ = await system_settings(
        class_servers.stores, class_servers.redis_url, class_servers.broker_url, tmp_path_factory.mktemp("fuzz")
    )
    app = AllInOne(settings_)
    async with serve(app.root, asgi=_ending_streams(app.asgi)) as client:
        yield await _seed(System(client, app))


def _fuzz(seeded: Seeded, case: Case, data: st.DataObject) -> None:
    """Send the case as its caller would, aimed half the time at the seeded objects, and check the answer."""
    for name in case.path_parameters or {}:
        if name in seeded.targets and data.draw(st.booleans(), label=f"seeded {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(seeded.targets[name]), label=name)
    headers = seeded.headers(case.operation.path, bool(case.operation.definition.raw.get("security")))
    # Encoded as schemathesis encodes it for the network (JSON, multipart, cookies), then sent in-process.
    sent = requests.Request(**case.as_transport_kwargs(base_url="http://testserver", headers=headers)).prepare()
    assert sent.method is not None
    assert sent.url is not None
    assert sent.body is None or isinstance(sent.body, bytes | str)
    headers = {name: value if isinstance(value, str) else value.decode() for name, value in sent.headers.items()}
    request = seeded.system.client.request(sent.method, sent.url, headers=headers, content=sent.body)
    case.validate_response(seeded.run(request), checks=CHECKS, headers=headers)


@pytest.mark.usefixtures("backend")
@pytest.mark.xdist_group("fuzz-gateway")
class TestGateway:
    @gateway.parametrize()
    @gateway.given(data=st.data())
    @FUZZING
    def test_operation(self, case: Case, data: st.DataObject, seeded: Seeded) -> None:
        _fuzz(seeded, case, data)


@pytest.mark.usefixtures("backend")
@pytest.mark.xdist_group("fuzz-registry")
class TestRegistry:
    @registry.parametrize()
    @registry.given(data=st.data())
    @FUZZING
    def test_operation(self, case: Case, data: st.DataObject, seeded: Seeded) -> None:
        _fuzz(seeded, case, data)


@pytest.mark.usefixtures("backend")
@pytest.mark.xdist_group("fuzz-checkin")
class TestCheckin:
    @checkin.parametrize()
    @checkin.given(data=st.data())
    @FUZZING
    def test_operation(self, case: Case, data: st.DataObject, seeded: Seeded) -> None:
        _fuzz(seeded, case, data)


@pytest.mark.usefixtures("backend")
@pytest.mark.xdist_group("fuzz-trace")
class TestTrace:
    @trace.parametrize()
    @trace.given(data=st.data())
    @FUZZING
    def test_operation(self, case: Case, data: st.DataObject, seeded: Seeded) -> None:
        _fuzz(seeded, case, data)
