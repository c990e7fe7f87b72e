"""The demo a first start loads: a province with two cities, their counties and streets, an admin per level, about twenty
checkpoints of every kind and two gate keepers.

It is built through the public API as the root admin, exactly as an operator would build it, so it also proves the
services answer in-process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

__all__ = ["DEMO_PASSWORD", "DemoLogin", "load_demo"]

DEMO_PASSWORD = "Demo-2026"  # noqa: S105 (printed at every start: the demo is for trying Lianfang)
_FIRST_PASSWORD = "Demo-first-2026"  # noqa: S105 (what the demo's maker sets; each account changes it at once)
GENERAL = "通用登记"  # a template the demo makes at the province, for places no built-in fits


@dataclass(frozen=True)
class DemoCheckpoint:
    name: str
    kind: str
    template: str
    temp_valid_minutes: int = 0
    requires_audit: bool = False
    staff: str | None = None


@dataclass(frozen=True)
class DemoRegion:
    name: str
    code: str
    admin: str | None = None
    children: tuple[DemoRegion, ...] = ()
    checkpoints: tuple[DemoCheckpoint, ...] = ()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    region: str


@dataclass
class _Loader:
    client: httpx.AsyncClient
    headers: dict[str, str]
    templates: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)

    async def post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        response = await self.client.post(path, json=body, headers=self.headers)
        response.raise_for_status()
        answer: dict[str, object] = response.json()
        return answer

    async def load_templates(self) -> None:
        await self.post(
            "/api/registry/templates",
            {
                "name": GENERAL,
                "fields": [
                    {"key": "name", "label": "姓名", "type": "name", "required": True},
                    {"key": "phone", "label": "手机号", "type": "phone", "required": True},
                    {"key": "purpose", "label": "来访事由", "type": "text", "max_length": 50},
                ],
            },
        )
        listing = await self.client.get("/api/registry/templates", params={"limit": 200}, headers=self.headers)
        self.templates = {item["name"]: item["id"] for item in listing.json()["items"]}

    async def region(self, parent_id: int, region: DemoRegion) -> None:
        created = await self.post(
            "/api/registry/regions", {"parent_id": parent_id, "name": region.name, "code": region.code}
        )
        region_id = int(str(created["id"]))
        if region.admin:
            await self.account(region.admin, region_id, region.name, "admin", [])
        await self.checkpoints(region_id, region.name, region.checkpoints)
        for child in region.children:
            await self.region(region_id, child)

    async def checkpoints(self, region_id: int, region_name: str, checkpoints: tuple[DemoCheckpoint, ...]) -> None:
        staffed: dict[str, list[int]] = {}
        for checkpoint in checkpoints:
            created = await self.post(
                "/api/registry/checkpoints",
                {
                    "region_id": region_id,
                    "name": checkpoint.name,
                    "kind": checkpoint.kind,
                    "template_id": self.templates[checkpoint.template],
                    "temp_valid_minutes": checkpoint.temp_valid_minutes,
                    "requires_audit": checkpoint.requires_audit,
                },
            )
            if checkpoint.staff:
                staffed.setdefault(checkpoint.staff, []).append(int(str(created["id"])))
        for username, checkpoint_ids in staffed.items():
            await self.account(username, region_id, region_name, "staff", checkpoint_ids)

    async def account(
        self, username: str, region_id: int, region_name: str, role: str, checkpoint_ids: list[int]
    ) -> None:
        title = "管理员" if role == "admin" else "执勤人员"
        await self.post(
            "/api/auth/admins",
            {
                "username": username,
                "password": _FIRST_PASSWORD,
                "name": f"{region_name}{title}",
                "region_id": region_id,
                "role": role,
                "checkpoint_ids": checkpoint_ids,
            },
        )
        self.logins.append(DemoLogin(username, role, region_name))

    async def change_first_passwords(self) -> None:
        """A new account must change the password its maker set before anything else; the demo's accounts are ready to
        try, so each does that here, to the password the banner prints (together: the hashing runs in a pool)."""
        await asyncio.gather(*(self.change_first_password(login.username) for login in self.logins))

    async def change_first_password(self, username: str) -> None:
        login = await self.client.post(
            "/api/auth/admin/login", json={"username": username, "password": _FIRST_PASSWORD}
        )
        login.raise_for_status()
        change = await self.client.post(
            "/api/auth/me/password",
            json={"old_password": _FIRST_PASSWORD, "new_password": DEMO_PASSWORD},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        change.raise_for_status()


GATE, BUS, HOSPITAL, OFFICE = "小区门岗", "通勤班车", "医院", "办公楼访客"

DEMO_TREE = (
    DemoRegion(
        "石家庄市",
        "130100",
        "sjz",
        (
            DemoRegion(
                "长安区",
                "130102",
                "changan",
                (
                    DemoRegion(
                        "育才街道",
                        "130102001",
                        "yucai",
                        (
                            DemoRegion(
                                "育才小区",
                                "130102001001",
                                "yucai_xq",
                                checkpoints=(
                                    DemoCheckpoint("育才小区东门", "community", GATE, 240, staff="yucai_gate"),
                                    DemoCheckpoint("育才小区西门", "community", GATE, 240, staff="yucai_gate"),
                                ),
                            ),
                        ),
                        (DemoCheckpoint("育才街道办事处", "office", OFFICE, requires_audit=True),),
                    ),
                    DemoRegion(
                        "建北街道",
                        "130102002",
                        checkpoints=(
                            DemoCheckpoint("建北农贸市场", "market", GENERAL, 120),
                            DemoCheckpoint("建北小学", "school", GENERAL, requires_audit=True),
                        ),
                    ),
                ),
                (
                    DemoCheckpoint("河北省人民医院门诊楼", "hospital", HOSPITAL),
                    DemoCheckpoint("长安区机关通勤班车", "vehicle", BUS, 720),
                    DemoCheckpoint("长安区第一中学", "school", GENERAL, requires_audit=True),
                ),
            ),
            DemoRegion(
                "桥西区",
                "130104",
                "qiaoxi",
                (
                    DemoRegion(
                        "东里街道",
                        "130104001",
                        checkpoints=(
                            DemoCheckpoint("东里社区北门", "community", GATE, 240),
                            DemoCheckpoint("东里菜市场", "market", GENERAL, 120),
                        ),
                    ),
                ),
                (
                    DemoCheckpoint("桥西区政务服务中心", "office", OFFICE),
                    DemoCheckpoint("桥西万达广场", "market", GENERAL, 120),
                ),
            ),
        ),
        (
            DemoCheckpoint("石家庄站北广场", "station", GENERAL),
            DemoCheckpoint("石家庄公交1路", "vehicle", BUS, 720),
        ),
    ),
    DemoRegion(
        "唐山市",
        "130200",
        "tangshan",
        (
            DemoRegion(
                "路北区",
                "130203",
                "lubei",
                (
                    DemoRegion(
                        "乔屯街道",
                        "130203001",
                        "qiaotun",
                        checkpoints=(
                            DemoCheckpoint(
                                "乔屯小区南门", "community", GATE, 240, requires_audit=True, staff="qiaotun_gate"
                            ),
                            DemoCheckpoint("乔屯社区卫生服务站", "hospital", HOSPITAL),
                        ),
                    ),
                ),
                (DemoCheckpoint("唐山市工人医院", "hospital", HOSPITAL),),
            ),
            DemoRegion(
                "路南区",
                "130202",
                None,
                (
                    DemoRegion(
                        "学院南路街道",
                        "130202001",
                        checkpoints=(
                            DemoCheckpoint("学院南路小学", "school", GENERAL, requires_audit=True),
                            DemoCheckpoint("南湖村村口", "village", GATE, 480),
                        ),
                    ),
                ),
            ),
        ),
        (DemoCheckpoint("唐山站", "station", GENERAL),),
    ),
)


async def load_demo(
    client: httpx.AsyncClient, root_username: str, root_password: str, root_region_id: int
) -> list[DemoLogin]:
    login = await client.post("/api/auth/admin/login", json={"username": root_username, "password": root_password})
    login.raise_for_status()
    loader = _Loader(client, {"Authorization": f"Bearer {login.json()['access_token']}"})
    await loader.load_templates()
    for city in DEMO_TREE:
        await loader.region(root_region_id, city)
    await loader.change_first_passwords()
    return loader.logins
