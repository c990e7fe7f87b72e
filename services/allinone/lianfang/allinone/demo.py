"""The demo a first start loads: a province with two cities, their counties and streets, an admin per level.

It is built through the public API as the root admin, exactly as an operator would build it, so it also proves the
services answer in-process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

__all__ = ["DEMO_PASSWORD", "DemoLogin", "load_demo"]

DEMO_PASSWORD = "Demo-2026"  # noqa: S105 (printed at every start: the demo is for trying Lianfang)


@dataclass(frozen=True)
class DemoRegion:
    name: str
    code: str
    admin: str | None = None
    children: tuple[DemoRegion, ...] = ()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    region: str


@dataclass
class _Loader:
    client: httpx.AsyncClient
    headers: dict[str, str]
    logins: list[DemoLogin] = field(default_factory=list)

    async def post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        response = await self.client.post(path, json=body, headers=self.headers)
        response.raise_for_status()
        answer: dict[str, object] = response.json()
        return answer

    async def region(self, parent_id: int, region: DemoRegion) -> None:
        created = await self.post(
            "/api/registry/regions", {"parent_id": parent_id, "name": region.name, "code": region.code}
        )
        region_id = int(str(created["id"]))
        if region.admin:
            await self.admin(region.admin, region_id, region.name)
        for child in region.children:
            await self.region(region_id, child)

    async def admin(self, username: str, region_id: int, region_name: str) -> None:
        await self.post(
            "/api/auth/admins",
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "name": f"{region_name}管理员",
                "region_id": region_id,
                "role": "admin",
            },
        )
        self.logins.append(DemoLogin(username, "admin", region_name))


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
                    DemoRegion("育才街道", "130102001", "yucai", (DemoRegion("育才小区", "130102001001", "yucai_xq"),)),
                    DemoRegion("建北街道", "130102002"),
                ),
            ),
            DemoRegion("桥西区", "130104", "qiaoxi", (DemoRegion("东里街道", "130104001"),)),
        ),
    ),
    DemoRegion(
        "唐山市",
        "130200",
        "tangshan",
        (
            DemoRegion("路北区", "130203", "lubei", (DemoRegion("乔屯街道", "130203001", "qiaotun"),)),
            DemoRegion("路南区", "130202", None, (DemoRegion("学院南路街道", "130202001"),)),
        ),
    ),
)


async def load_demo(
    client: httpx.AsyncClient, root_username: str, root_password: str, root_region_id: int
) -> list[DemoLogin]:
    login = await client.post("/api/auth/admin/login", json={"username": root_username, "password": root_password})
    login.raise_for_status()
    loader = _Loader(client, {"Authorization": f"Bearer {login.json()['access_token']}"})
    for city in DEMO_TREE:
        await loader.region(root_region_id, city)
    return loader.logins
