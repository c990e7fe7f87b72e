"""The built web pages, served as nginx serves them in the cluster: the admin SPA at /admin/, the H5 pages at /c/ and /staff/."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

__all__ = ["web_router"]

# Vite names every asset after its content, so a browser may keep it for good; the pages themselves are asked for anew.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def _not_built(page: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>Lianfang</title>"
        f"<p>{page}尚未构建：请先运行 <code>make web</code>（需要 Node 20），再刷新本页。</p>",
        status_code=404,
    )


def _file(dist: Path, relative: str) -> Path | None:
    """The file under `dist`, never outside it (`..` in a path is refused; a NUL names no file)."""
    if "\x00" in relative:
        return None
    candidate = (dist / relative).resolve()
    if relative and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
        return candidate
    return None


def _page(dist: Path, name: str, label: str) -> Response:
    page = dist / name
    if not page.is_file():
        return _not_built(label)
    return FileResponse(page, media_type="text/html", headers={"Cache-Control": REVALIDATE})


def web_router(web_dir: Path) -> APIRouter:
    admin = web_dir / "admin" / "dist"
    h5 = web_dir / "h5" / "dist"
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    @router.get("/admin")
    async def to_admin() -> RedirectResponse:
        return RedirectResponse("/admin/")

    @router.get("/admin/{path:path}")
    async def admin_page(path: str) -> Response:
        asset = _file(admin, path)
        if asset is None and path.startswith("assets/"):
            return Response(status_code=404)
        if asset is None:
            # History-mode routes of the SPA (/admin/records, …) are all the one page.
            return _page(admin, "index.html", "管理后台")
        cache = IMMUTABLE if path.startswith("assets/") else REVALIDATE
        return FileResponse(asset, headers={"Cache-Control": cache})

    @router.get("/h5/{path:path}")
    async def h5_asset(path: str) -> Response:
        asset = _file(h5, path)
        if asset is None:
            return Response(status_code=404)
        cache = IMMUTABLE if path.startswith("assets/") else REVALIDATE
        return FileResponse(asset, headers={"Cache-Control": cache})

    @router.get("/c/{path:path}")
    async def checkin_page(path: str) -> Response:
        return _page(h5, "c.html", "扫码登记页")

    @router.get("/staff")
    @router.get("/staff/{path:path}")
    async def staff_page(path: str = "") -> Response:
        return _page(h5, "staff.html", "执勤页")

    return router
