from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from lianfang.common.auth import BearerToken
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.registry.checkpoints.schemas import CheckpointSelection
from lianfang.registry.errors import (
    CheckpointNotFound,
    MiniProgramCodeFailed,
    MiniProgramCodeRateLimited,
    RegionNotFound,
)
from lianfang.registry.posters.qr import qr_png, qr_svg
from lianfang.registry.posters.service import Posters

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY, tags=["二维码与海报"])
_PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}, "description": "二维码图片"}}
_SVG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/svg+xml": {}}, "description": "二维码矢量图"}}
_WXACODE: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}, "description": "小程序码（透明底色）"}}
_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "可打印的 A4 海报"}}


class PerPage(IntEnum):
    one = 1
    four = 4


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


@router.get(
    "/checkpoints/{checkpoint_id}/qr.png",
    response_class=Response,
    responses=_PNG | error_responses(CheckpointNotFound, Forbidden),
)
async def checkpoint_qr_png(checkpoint_id: int, posters: Posters) -> Response:
    return Response(qr_png(await posters.checkpoint_qr_url(checkpoint_id)), media_type="image/png")


@router.get(
    "/checkpoints/{checkpoint_id}/qr.svg",
    response_class=Response,
    responses=_SVG | error_responses(CheckpointNotFound, Forbidden),
)
async def checkpoint_qr_svg(checkpoint_id: int, posters: Posters) -> Response:
    return Response(qr_svg(await posters.checkpoint_qr_url(checkpoint_id)), media_type="image/svg+xml")


@router.get(
    "/checkpoints/{checkpoint_id}/wxacode.png",
    response_class=Response,
    responses=_WXACODE
    | error_responses(CheckpointNotFound, Forbidden, MiniProgramCodeFailed, MiniProgramCodeRateLimited),
)
async def checkpoint_wxacode(
    checkpoint_id: int,
    posters: Posters,
    token: BearerToken,
    width: Annotated[int, Query(ge=280, le=1280, description="边长（像素）")] = 430,
) -> Response:
    """The checkpoint's mini-program code: WeChat's scan opens the mini-program's check-in page with the code as `scene`."""
    image = await posters.wxacode(checkpoint_id, token, width)
    return Response(image, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.get(
    "/checkpoints/{checkpoint_id}/poster.pdf",
    response_class=StreamingResponse,
    responses=_PDF | error_responses(CheckpointNotFound, Forbidden, MiniProgramCodeFailed, MiniProgramCodeRateLimited),
)
async def checkpoint_poster(
    checkpoint_id: int,
    posters: Posters,
    token: BearerToken,
    code: Annotated[
        Literal["qr", "wxacode"],
        Query(description="qr：二维码（微信与其他扫码工具均可）；wxacode：小程序码（仅微信，直接打开小程序）"),
    ] = "qr",
) -> StreamingResponse:
    """An A4 poster for the gate: the name large, the region, 扫码登记 and its steps, the QR code (or the mini-program
    code), the code in text."""
    poster = await posters.poster(checkpoint_id, wxacode_token=token if code == "wxacode" else None)
    return StreamingResponse(
        posters.pdf([poster]),
        media_type="application/pdf",
        headers=_download(f"{poster.name}-{poster.code}.pdf"),
    )


@router.post(
    "/regions/{region_id}/posters",
    response_class=StreamingResponse,
    # 204 was answered but not documented (found by the fuzz run): the web page tells "no checkpoint" from it.
    responses=_PDF | {204: {"description": "该地区下没有启用的卡口"}} | error_responses(RegionNotFound, Forbidden),
)
async def region_posters(
    region_id: int,
    posters: Posters,
    per_page: Annotated[PerPage, Query(description="每页 1 张 A4 海报，或 4 张小海报（带裁切线）")] = PerPage.one,
) -> Response:
    """One PDF with the poster of every active checkpoint under the region, streamed page by page."""
    under = await posters.posters_under(region_id)
    if not under:
        return Response(status_code=204)
    return StreamingResponse(
        posters.pdf(under, per_page=1 if per_page is PerPage.one else 4),
        media_type="application/pdf",
        headers=_download(f"卡口海报-{await posters.region_name(region_id)}.pdf"),
    )


@router.post(
    "/checkpoints/posters",
    response_class=StreamingResponse,
    responses=_PDF | error_responses(CheckpointNotFound, ValidationFailed),
)
async def chosen_posters(
    body: CheckpointSelection,
    posters: Posters,
    per_page: Annotated[PerPage, Query(description="每页 1 张 A4 海报，或 4 张小海报（带裁切线）")] = PerPage.one,
) -> StreamingResponse:
    """One PDF with the posters of the chosen checkpoints (批量打印海报), grouped by region."""
    chosen = await posters.posters_of(body.ids)
    return StreamingResponse(
        posters.pdf(chosen, per_page=1 if per_page is PerPage.one else 4),
        media_type="application/pdf",
        headers=_download(f"卡口海报-已选 {len(chosen)} 个.pdf"),
    )
