"""The region tree and the checkpoints the generated records happen at, made in the registry through its own API (the
app in-process, as the root admin): cities with their real codes, then one spreadsheet import per city that creates the
counties, streets and communities below with their checkpoints. The registry's rules (paths, shard keys, codes,
templates) apply as they do to an operator's import. A city already there is kept as it is."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from lianfang.common.auth import AdminPrincipal, TokenSigner
from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.contracts.regions import ROOT_REGION_ID
from lianfang.common.settings import SigningSettings
from lianfang.registry.main import create_app
from lianfang.registry.settings import RegistrySettings

__all__ = ["CITIES", "Site", "Tree", "build_tree"]

# Cities of 河北省 that the all-in-one demo does not make, with their codes: the shard key is the code's first four digits.
CITIES = (
    ("保定市", "130600"),
    ("邢台市", "130500"),
    ("邯郸市", "130400"),
    ("沧州市", "130900"),
    ("廊坊市", "131000"),
    ("衡水市", "131100"),
    ("张家口市", "130700"),
    ("承德市", "130800"),
    ("秦皇岛市", "130300"),
)
COUNTIES = ("城东区", "城西区", "城南区", "城北区", "高新区", "经开区")
STREETS = ("和平", "建设", "解放", "胜利", "新华", "人民", "光明", "东风", "红旗", "友谊")
COMMUNITIES = (
    "幸福家园",
    "阳光花园",
    "锦绣华庭",
    "翠湖苑",
    "金色港湾",
    "春华里",
    "桂园",
    "书香苑",
    "东方明珠",
    "康乐小区",
)
COUNTIES_PER_CITY = 4
STREETS_PER_COUNTY = 5
COMMUNITIES_PER_STREET = 8

# (name suffix, kind, requires audit, temperature valid minutes) at each level below the city.
_AT_COMMUNITY = (
    ("北门", "community", False, 240),
    ("南门", "community", False, 240),
    ("便民超市", "market", False, 240),
    ("幼儿园", "school", True, 0),
    ("物业办公楼", "office", True, 120),
)
_AT_STREET = (("农贸市场", "market", False, 240), ("社区卫生服务中心", "hospital", True, 0))
_AT_COUNTY = (
    ("人民医院", "hospital", True, 0),
    ("1 路公交", "vehicle", False, 480),
    ("2 路公交", "vehicle", False, 480),
    ("汽车站", "station", False, 240),
)
_PAGE = 200


@dataclass(frozen=True, slots=True)
class Site:
    """A checkpoint as records name it."""

    id: int
    name: str
    kind: str
    city_code: str
    # province, city, county, township, unit ids; None below the checkpoint's own region.
    ancestry: tuple[int | None, ...]
    region_id: int
    template_id: int
    template_version: int
    requires_audit: bool
    temp_valid_minutes: int
    fever_threshold: float


@dataclass(frozen=True)
class Tree:
    sites: list[Site]

    @property
    def counties(self) -> dict[int, list[int]]:
        """Indexes into `sites` by county id."""
        by_county: dict[int, list[int]] = {}
        for index, site in enumerate(self.sites):
            county = site.ancestry[2]
            if county is not None:
                by_county.setdefault(county, []).append(index)
        return by_county


def _rows(city: str) -> list[list[str]]:
    """The import rows of one city: every checkpoint with the name path of its region."""
    rows = []

    def add(path: list[str], place: str, suffix: str, kind: str, audit: bool, minutes: int) -> None:
        rows.append(["/".join(path), f"{place}{suffix}", KIND_LABELS[kind], "是" if audit else "否", str(minutes)])

    for county in COUNTIES[:COUNTIES_PER_CITY]:
        for definition in _AT_COUNTY:
            add([city, county], county, *definition)
        for street_index in range(STREETS_PER_COUNTY):
            street = f"{STREETS[street_index]}街道"
            for definition in _AT_STREET:
                add([city, county, street], street, *definition)
            for community_index in range(COMMUNITIES_PER_STREET):
                community = f"{COMMUNITIES[community_index]}社区"
                for definition in _AT_COMMUNITY:
                    add([city, county, street, community], community, *definition)
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["地区", "卡口名称", "类型", "需要审核", "体温有效期（分钟）"])
    writer.writerows(rows)
    return out.getvalue().encode()


@asynccontextmanager
async def _registry(settings: RegistrySettings, signing: SigningSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    root = AdminPrincipal(uuid.uuid4(), ROOT_REGION_ID, f"/{ROOT_REGION_ID}/")
    token = TokenSigner(signing.jwt_private_key, issuer=signing.jwt_issuer, lifetime=timedelta(hours=1)).sign(root)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://registry.internal",
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        ) as client,
    ):
        yield client


async def _json(response: httpx.Response) -> Any:
    if response.is_error:
        raise RuntimeError(f"the registry answered {response.status_code}: {response.text[:2000]}")
    return response.json()


async def _city(client: httpx.AsyncClient, name: str, code: str, existing: dict[str, int]) -> int:
    if name in existing:
        return existing[name]
    created = await _json(
        await client.post("/api/registry/regions", json={"parent_id": ROOT_REGION_ID, "name": name, "code": code})
    )
    return int(created["id"])


async def _checkpoints(client: httpx.AsyncClient, region_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"region_id": region_id, "limit": _PAGE} | ({"cursor": cursor} if cursor else {})
        page = await _json(await client.get("/api/registry/checkpoints", params=params))
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def _site(item: dict[str, Any]) -> Site:
    ids: list[int | None] = [int(part) for part in item["region_path"].strip("/").split("/")]
    return Site(
        id=item["id"],
        name=item["name"],
        kind=item["kind"],
        city_code=item["city_code"],
        ancestry=tuple(ids + [None] * (5 - len(ids))),
        region_id=item["region_id"],
        template_id=item["template_id"],
        template_version=item["template_version"],
        requires_audit=item["requires_audit"],
        temp_valid_minutes=item["temp_valid_minutes"],
        fever_threshold=item["fever_threshold"],
    )


async def build_tree(settings: RegistrySettings, signing: SigningSettings, *, cities: int) -> Tree:
    """Make (or find) `cities` cities with their checkpoints; answers every checkpoint below them."""
    if not 1 <= cities <= len(CITIES):
        raise ValueError(f"cities must lie between 1 and {len(CITIES)}")
    sites: list[Site] = []
    async with _registry(settings, signing) as client:
        tree = await _json(await client.get("/api/registry/regions/tree", params={"depth": 1}))
        existing = {child["name"]: int(child["id"]) for child in tree["children"]}
        for name, code in CITIES[:cities]:
            city_id = await _city(client, name, code, existing)
            found = await _checkpoints(client, city_id)
            if not found:
                await _json(
                    await client.post(
                        "/api/registry/checkpoints/import",
                        params={"create_regions": "true"},
                        files={"file": (f"{name}.csv", _csv(_rows(name)), "text/csv")},
                    )
                )
                found = await _checkpoints(client, city_id)
            sites.extend(_site(item) for item in found)
    sites.sort(key=lambda site: site.id)
    return Tree(sites)
