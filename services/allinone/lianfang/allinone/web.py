"""The built web pages, served as nginx serves them in the cluster: the admin SPA at /admin/, the H5 pages at /c/ and /staff/.

Like nginx's `gzip_static` and `brotli_static`, an asset is sent as its `.br` or `.gz` copy made at build time when the
browser accepts it. The check-in page is filled in per request as nginx's SSI fills it (only the two commands `c.html`
uses: `block` and `include virtual`), each include answered by an in-process GET.
"""

from __future__ import annotations

import gzip
import mimetypes
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

__all__ = ["Include", "fill_includes", "web_router"]

# Vite names every asset after its content, so a browser may keep it for good; the pages themselves are asked for anew.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# What an SSI include is answered with: the body of a GET of the URI, or "" when it failed (the stub block is used).
Include = Callable[[str], Awaitable[str]]

# As nginx.conf's map: the code is the first path segment after /c/, when it looks like one.
_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
_BLOCK = re.compile(r'<!--# block name="(?P<name>\w+)" -->(?P<body>.*?)<!--# endblock -->', re.S)
_INCLUDE = re.compile(r'<!--# include virtual="(?P<uri>[^"]*)"(?: stub="(?P<stub>\w+)")? -->')
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_COMPRESS_AT = 1024


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


def _accepted(request: Request) -> set[str]:
    accepted = set()
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, parameters = part.strip().partition(";")
        if parameters.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(coding.strip().lower())
    return accepted


def _asset(request: Request, path: Path, cache: str) -> Response:
    """The file, or its precompressed copy in the best encoding the browser accepts."""
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    accepted = _accepted(request)
    for coding, suffix in _ENCODINGS:
        compressed = path.with_name(path.name + suffix)
        if coding in accepted and compressed.is_file():
            return FileResponse(
                compressed,
                media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                headers=headers | {"Content-Encoding": coding},
            )
    return FileResponse(path, headers=headers)


async def fill_includes(html: str, variables: dict[str, str], include: Include) -> str:
    """What nginx's SSI makes of `html`: blocks defined and taken out, each include replaced by its answer (or the
    stub block's content when the answer is empty)."""
    blocks = {match["name"]: match["body"] for match in _BLOCK.finditer(html)}
    html = _BLOCK.sub("", html)
    parts: list[str] = []
    position = 0
    for match in _INCLUDE.finditer(html):
        uri = _VARIABLE.sub(lambda variable: variables.get(variable[1], ""), match["uri"])
        answer = await include(uri)
        parts += [html[position : match.start()], answer or blocks.get(match["stub"] or "", "")]
        position = match.end()
    return "".join([*parts, html[position:]])


def _page(dist: Path, name: str, label: str) -> Response:
    page = dist / name
    if not page.is_file():
        return _not_built(label)
    return FileResponse(page, media_type="text/html", headers={"Cache-Control": REVALIDATE})


def _html(request: Request, html: str) -> Response:
    """A page made for this request: revalidated, and compressed when it is large and the browser takes gzip."""
    body = html.encode()
    headers = {"Cache-Control": REVALIDATE, "Vary": "Accept-Encoding"}
    if len(body) >= _COMPRESS_AT and "gzip" in _accepted(request):
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


def web_router(web_dir: Path, include: Include | None = None) -> APIRouter:
    admin = web_dir / "admin" / "dist"
    h5 = web_dir / "h5" / "dist"
    router = APIRouter(include_in_schema=False)

    async def nothing(uri: str) -> str:
        return ""

    fill = include or nothing

    @router.get("/")
    @router.get("/admin")
    async def to_admin() -> RedirectResponse:
        return RedirectResponse("/admin/")

    @router.get("/admin/{path:path}")
    async def admin_page(request: Request, path: str) -> Response:
        asset = _file(admin, path)
        if asset is None and path.startswith("assets/"):
            return Response(status_code=404)
        if asset is None:
            # History-mode routes of the SPA (/admin/records, …) are all the one page.
            return _page(admin, "index.html", "管理后台")
        return _asset(request, asset, IMMUTABLE if path.startswith("assets/") else REVALIDATE)

    @router.get("/h5/{path:path}")
    async def h5_asset(request: Request, path: str) -> Response:
        asset = _file(h5, path)
        if asset is None:
            return Response(status_code=404)
        return _asset(request, asset, IMMUTABLE if path.startswith("assets/") else REVALIDATE)

    @router.get("/c/{path:path}")
    async def checkin_page(request: Request, path: str) -> Response:
        page = h5 / "c.html"
        if not page.is_file():
            return _not_built("扫码登记页")
        segment = path.split("/", 1)[0]
        code = quote(segment) if _CODE.fullmatch(segment) else "-"
        html = await fill_includes(page.read_text(encoding="utf-8"), {"lf_checkpoint_code": code}, fill)
        return _html(request, html)

    @router.get("/staff")
    @router.get("/staff/{path:path}")
    async def staff_page(path: str = "") -> Response:
        return _page(h5, "staff.html", "执勤页")

    return router
