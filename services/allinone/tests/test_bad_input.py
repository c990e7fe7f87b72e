"""Every bad input is a 4xx: ids no table holds, cursors nobody made, JSON nested past reason, odd static paths."""

from __future__ import annotations

import base64
import json
import re
from functools import partial
from typing import Any

import pytest

from .conftest import System
from .test_pipeline import resident, setup_gate

pytestmark = pytest.mark.usefixtures("backend")

HUGE_ID = str(2**64)
SERVICES = ("auth", "registry", "checkin", "trace")
METHODS = ("get", "post", "patch", "put", "delete")


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = [
    "not base64 at all",
    "%%%",
    "ÿ" * 40,
    _cursor({"a": 1}),
    _cursor([1, 2, 3]),
    _cursor([[[]]]),
    _cursor([2**70]),
    _cursor([-1]),
    _cursor(["x"]),
    _cursor([None]),
    base64.urlsafe_b64encode(b"[" * 3000).decode(),
    "A" * 10_000,
]


async def operations(system: System) -> list[tuple[str, str, list[str]]]:
    """(method, path template, integer path parameters) of every operation in the four OpenAPI documents."""
    found = []
    for service in SERVICES:
        document = (await system.client.get(f"/api/{service}/openapi.json")).json()
        for path, item in document["paths"].items():
            for method in METHODS:
                if method not in item:
                    continue
                integers = [
                    parameter["name"]
                    for parameter in item[method].get("parameters", [])
                    if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
                ]
                found.append((method, path, integers))
    return found


def _path_value(integers: list[str], match: re.Match[str]) -> str:
    return HUGE_ID if match[1] in integers else "x"


async def test_ids_above_what_a_column_holds_are_a_4xx_on_every_operation(system: System) -> None:
    root, _, guard = await setup_gate(system)
    tried = []
    for method, path, integers in await operations(system):
        if not integers:
            continue
        url = re.sub(r"\{([^}]+)\}", partial(_path_value, integers), path)
        for headers in (root, guard):
            body: dict[str, object] | None = {} if method in ("post", "patch", "put") else None
            response = await system.client.request(method.upper(), url, headers=headers, json=body)
            tried.append((method, url, response.status_code))
    assert len({(method, url) for method, url, _ in tried}) >= 11
    assert [attempt for attempt in tried if attempt[2] >= 500] == []


async def test_a_cursor_nobody_made_is_a_422_on_every_list(system: System) -> None:
    root, _, _ = await setup_gate(system)
    person = await resident(system, "o-cursor")
    lists = [
        ("/api/auth/admins", root),
        ("/api/registry/regions", root),
        ("/api/registry/checkpoints", root),
        ("/api/registry/templates", root),
        ("/api/trace/records", root),
        ("/api/trace/alerts", root),
        ("/api/trace/audit-log", root),
        ("/api/checkin/me/checkins", person),
    ]
    answers = {
        (path, cursor[:20]): await system.client.get(path, params={"cursor": cursor}, headers=headers)
        for cursor in BAD_CURSORS
        for path, headers in lists
    }
    assert {asked: response.status_code for asked, response in answers.items()} == {asked: 422 for asked in answers}
    for response in answers.values():
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == ["cursor"]


async def test_json_nested_past_reason_is_a_400(system: System) -> None:
    _, gate, _ = await setup_gate(system)
    person = await resident(system, "o-nested")
    nested = (
        '{"checkpoint_code": "'
        + gate["code"]
        + '", "client_id": "x", "answers": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )

    response = await system.client.post(
        "/api/checkin/checkins", content=nested, headers=person | {"content-type": "application/json"}
    )

    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_nul_in_a_static_path_is_no_file(system: System) -> None:
    assets = [await system.client.get(path) for path in ("/admin/assets/%00", "/h5/assets/%00", "/h5/%00.js")]
    pages = [await system.client.get(path) for path in ("/admin/%00", "/c/%00", "/staff/%00x")]

    assert [response.status_code for response in assets] == [404, 404, 404]
    assert [response.status_code < 500 for response in pages] == [True, True, True]


# NUL, a vertical tab, U+202E (reverses what follows it), a zero-width space, a line separator.
INVISIBLE = ["\x00", "\x0b", "\u202e", "\u200b", "\u2028"]


@pytest.mark.parametrize("char", INVISIBLE)
async def test_control_and_invisible_characters_in_a_typed_name_are_a_422_naming_the_field(
    system: System, char: str
) -> None:
    root, gate, _ = await setup_gate(system)
    template = {"name": "门岗", "fields": [{"key": "name", "label": "姓名", "type": "name", "required": True}]}
    bad_field = {"key": "pick", "label": "选项", "type": "select", "options": ["甲", "乙"]}
    attempts = {
        "region": ("POST", "/api/registry/regions", {"parent_id": 1, "name": f"长安{char}区"}),
        "region rename": ("PATCH", f"/api/registry/regions/{gate['region_id']}", {"name": f"长安{char}区"}),
        "checkpoint": ("PATCH", f"/api/registry/checkpoints/{gate['id']}", {"name": f"东门{char}"}),
        "address": ("PATCH", f"/api/registry/checkpoints/{gate['id']}", {"address": f"育才路{char}1号"}),
        "template": ("POST", "/api/registry/templates", template | {"name": f"门岗{char}"}),
        "label": ("POST", "/api/registry/templates", template | {"fields": [bad_field | {"label": f"选{char}项"}]}),
        "option": (
            "POST",
            "/api/registry/templates",
            template | {"fields": [bad_field | {"options": ["甲", f"乙{char}丙"]}]},
        ),
        "account": (
            "POST",
            "/api/auth/admins",
            {"username": "wang", "password": "Wang-pass-1", "name": f"王{char}", "region_id": gate["region_id"]},
        ),
    }
    answers = {
        what: await system.client.request(method, path, json=body, headers=root)
        for what, (method, path, body) in attempts.items()
    }

    assert {
        what: (response.status_code, response.json().get("errors", [{"field": response.text}])[0]["field"])
        for what, response in answers.items()
    } == {
        "region": (422, "name"),
        "region rename": (422, "name"),
        "checkpoint": (422, "name"),
        "address": (422, "address"),
        "template": (422, "name"),
        "label": (422, "fields.0.label"),
        "option": (422, "fields.0.options"),
        "account": (422, "name"),
    }
    assert f"U+{ord(char):04X}" in answers["region"].json()["errors"][0]["message"]


async def test_control_characters_in_a_check_in_answer_are_a_422_naming_the_answer(system: System) -> None:
    _, gate, _ = await setup_gate(system)
    person = await resident(system, "o-invisible")
    form = (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=person)).json()["form"]
    text_field = next(field["key"] for field in form["fields"] if field["type"] in ("name", "text", "address"))

    response = await system.client.post(
        "/api/checkin/checkins",
        json={
            "checkpoint_code": gate["code"],
            "client_id": "0190a000-0000-7000-8000-000000000001",
            "answers": {text_field: "张\u202e三"},
            "temperature": 36.5,
        },
        headers=person,
    )

    assert response.status_code == 422
    assert f"answers.{text_field}" in [error["field"] for error in response.json()["errors"]]


async def test_the_openapi_documents_describe_errors_as_they_are_served(system: System) -> None:
    wrong = []
    for service in SERVICES:
        document = (await system.client.get(f"/api/{service}/openapi.json")).json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                responses = operation["responses"]
                errors = {status: response for status, response in responses.items() if int(status) >= 400}
                if any(
                    list(response.get("content", {})) != ["application/problem+json"] for response in errors.values()
                ):
                    wrong.append((method, path, "not problem+json"))
                if operation.get("security") and "401" not in responses:
                    wrong.append((method, path, "no 401"))
                if "requestBody" in operation and "400" not in responses:
                    wrong.append((method, path, "no 400"))
    assert wrong == []
    refused = await system.client.get("/api/trace/records")
    assert (refused.status_code, refused.headers["content-type"]) == (401, "application/problem+json")


async def test_a_query_id_above_what_a_column_holds_is_a_422_naming_it(system: System) -> None:
    # Found by the fuzz run (test_fuzz.py): `GET /api/registry/checkpoints/names?id=2**64` answered 404, which the
    # operation does not document; an id in a query is the caller's input, not a path to something.
    root, _, _ = await setup_gate(system)
    answers = {}
    for service in SERVICES:
        document = (await system.client.get(f"/api/{service}/openapi.json")).json()
        for path, item in document["paths"].items():
            for parameter in item.get("get", {}).get("parameters", []):
                name, schema = parameter["name"], parameter["schema"]
                options = [schema, schema.get("items", {}), *schema.get("anyOf", [])]
                is_id = name == "id" or name.endswith("_id")
                if parameter["in"] == "query" and is_id and any(option.get("type") == "integer" for option in options):
                    response = await system.client.get(path, params={name: HUGE_ID}, headers=root)
                    fields = [error["field"].split(".")[0] for error in response.json().get("errors", [])]
                    answers[(path, name)] = (response.status_code, name in fields)

    assert len(answers) >= 12
    assert answers == {asked: (422, True) for asked in answers}


async def test_an_id_above_what_a_column_holds_in_a_body_is_a_422_naming_it(system: System) -> None:
    # Found by the fuzz run: `POST /api/registry/templates` with such a `region_id` answered 404, which it does not
    # document (nor do the other creations below).
    root, gate, _ = await setup_gate(system)
    template = {"name": "门岗", "fields": [{"key": "name", "label": "姓名", "type": "name", "required": True}]}
    checkpoint = {
        "name": "西门",
        "kind": "community",
        "region_id": gate["region_id"],
        "template_id": gate["template_id"],
    }
    account = {"username": "wang", "password": "Wang-pass-1", "name": "王", "region_id": gate["region_id"]}
    attempts = {
        "template": ("POST", "/api/registry/templates", template | {"region_id": 2**64}, "region_id"),
        "region": ("POST", "/api/registry/regions", {"parent_id": 2**64, "name": "长安区"}, "parent_id"),
        "checkpoint": ("POST", "/api/registry/checkpoints", checkpoint | {"region_id": 2**64}, "region_id"),
        "its template": ("POST", "/api/registry/checkpoints", checkpoint | {"template_id": 2**64}, "template_id"),
        "new template": ("PATCH", f"/api/registry/checkpoints/{gate['id']}", {"template_id": 2**64}, "template_id"),
        "account": ("POST", "/api/auth/admins", account | {"region_id": 2**64}, "region_id"),
        "duty": ("POST", "/api/auth/admins", account | {"role": "staff", "checkpoint_ids": [2**64]}, "checkpoint_ids"),
    }
    answers = {}
    for what, (method, path, body, field) in attempts.items():
        response = await system.client.request(method, path, json=body, headers=root)
        fields = [error["field"].split(".")[0] for error in response.json().get("errors", [])]
        answers[what] = (response.status_code, field in fields)

    assert answers == {what: (422, True) for what in attempts}
