from __future__ import annotations

import httpx
import pytest

from .test_checkpoints import added, builtin
from .test_posters import page_count, pdftotext
from .test_regions import PROVINCE_ADMIN, Json, admin_of, created

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
async def city(client: httpx.AsyncClient) -> Json:
    return await created(client, 1, "石家庄市", "130100")


async def checkpoint(client: httpx.AsyncClient, region: Json, name: str, **extra: object) -> Json:
    gate = await builtin(client, "residential_gate")
    return await added(
        client, PROVINCE_ADMIN, region_id=region["id"], name=name, kind="community", template_id=gate["id"], **extra
    )


class TestOneCheckpoint:
    async def test_the_qr_code_comes_as_png_and_svg(self, client: httpx.AsyncClient, city: Json) -> None:
        gate = await checkpoint(client, city, "裕华小区北门")

        png = await client.get(f"/api/registry/checkpoints/{gate['id']}/qr.png", headers=admin_of(city))
        svg = await client.get(f"/api/registry/checkpoints/{gate['id']}/qr.svg", headers=admin_of(city))

        assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert svg.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in svg.content

    async def test_the_poster_names_the_checkpoint_and_downloads_as_a_file(
        self, client: httpx.AsyncClient, city: Json
    ) -> None:
        gate = await checkpoint(client, city, "裕华小区北门")

        response = await client.get(f"/api/registry/checkpoints/{gate['id']}/poster.pdf", headers=admin_of(city))

        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
        assert page_count(response.content) == 1
        text = pdftotext(response.content)
        assert "裕华小区北门" in text
        assert "河北省 石家庄市" in text

    async def test_the_poster_prints_the_checkpoints_address(self, client: httpx.AsyncClient, city: Json) -> None:
        gate = await checkpoint(client, city, "裕华小区南门", address="裕华路 8 号")

        response = await client.get(f"/api/registry/checkpoints/{gate['id']}/poster.pdf", headers=admin_of(city))

        assert "河北省 石家庄市 · 裕华路 8 号" in pdftotext(response.content)

    async def test_another_citys_checkpoint_has_no_poster_for_you(self, client: httpx.AsyncClient, city: Json) -> None:
        tangshan = await created(client, 1, "唐山市", "130200")
        theirs = await checkpoint(client, tangshan, "唐山站南口")

        for suffix in ("qr.png", "qr.svg", "poster.pdf"):
            response = await client.get(f"/api/registry/checkpoints/{theirs['id']}/{suffix}", headers=admin_of(city))
            assert response.status_code == 403
        missing = await client.get("/api/registry/checkpoints/9999/poster.pdf", headers=admin_of(city))
        assert missing.status_code == 404


class TestRegionPosters:
    async def test_one_pdf_holds_every_active_checkpoint_below_the_region(
        self, client: httpx.AsyncClient, city: Json
    ) -> None:
        county = await created(client, city, "长安区", "130102")
        for number in range(5):
            await checkpoint(client, county, f"门岗{number}")
        await checkpoint(client, county, "已停用门岗", active=False)
        await checkpoint(client, await created(client, 1, "唐山市", "130200"), "唐山站南口")

        single = await client.post(f"/api/registry/regions/{city['id']}/posters", headers=admin_of(city))
        four = await client.post(f"/api/registry/regions/{city['id']}/posters?per_page=4", headers=admin_of(city))

        assert page_count(single.content) == 5
        assert page_count(four.content) == 2
        text = pdftotext(single.content)
        assert all(f"门岗{number}" in text for number in range(5))
        assert "已停用门岗" not in text
        assert "唐山站南口" not in text

    async def test_a_region_without_checkpoints_has_no_content(self, client: httpx.AsyncClient, city: Json) -> None:
        response = await client.post(f"/api/registry/regions/{city['id']}/posters", headers=admin_of(city))
        document = (await client.get("/api/registry/openapi.json")).json()

        assert response.status_code == 204
        assert "204" in document["paths"]["/api/registry/regions/{region_id}/posters"]["post"]["responses"]

    async def test_bad_requests_are_refused(self, client: httpx.AsyncClient, city: Json) -> None:
        tangshan = await created(client, 1, "唐山市", "130200")

        beside = await client.post(f"/api/registry/regions/{tangshan['id']}/posters", headers=admin_of(city))
        unknown = await client.post("/api/registry/regions/9999/posters", headers=PROVINCE_ADMIN)
        three = await client.post(f"/api/registry/regions/{city['id']}/posters?per_page=3", headers=admin_of(city))

        assert (beside.status_code, unknown.status_code, three.status_code) == (403, 404, 422)
        assert three.json()["errors"][0]["field"] == "per_page"
