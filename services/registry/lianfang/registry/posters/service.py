from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends
from PIL import Image
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, CurrentAdmin, ensure_in_scope
from lianfang.common.beijing import beijing_today
from lianfang.common.chinese_font import ChineseFont
from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.db import DbSession
from lianfang.registry.accounts_client import AccountsClient
from lianfang.registry.checkpoints.codes import qr_url, spaced
from lianfang.registry.checkpoints.repository import CheckpointRepository
from lianfang.registry.deps import Accounts, ConfigCache, Font, Settings
from lianfang.registry.errors import CheckpointNotFound, RegionNotFound
from lianfang.registry.models import Checkpoint
from lianfang.registry.posters.pdf import GrayImage
from lianfang.registry.posters.render import PosterInfo, poster_pdf
from lianfang.registry.regions.repository import RegionRepository
from lianfang.registry.scope import checkpoint_in_scope
from lianfang.registry.settings import RegistrySettings

__all__ = ["PosterService", "Posters"]

# Sharp at the printed size (a code of about 12 cm at 180 dpi).
_POSTER_WXACODE_WIDTH = 860


def flattened(png: bytes) -> GrayImage:
    """A mini-program code (PNG, transparent background) as grey on white, as paper shows it."""
    with Image.open(io.BytesIO(png)) as opened:
        rgba = opened.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    gray = Image.alpha_composite(paper, rgba).convert("L")
    return GrayImage(gray.width, gray.height, gray.tobytes())


class PosterService:
    """What goes on a checkpoint's poster: its name, the names of its regions from the province down, its code."""

    def __init__(
        self,
        session: AsyncSession,
        caller: AdminPrincipal,
        settings: RegistrySettings,
        cache: Redis,
        accounts: AccountsClient,
        font: ChineseFont,
    ) -> None:
        self.caller = caller
        self.font = font
        self.settings = settings
        self.cache = cache
        self.accounts = accounts
        self.checkpoints = CheckpointRepository(session)
        self.regions = RegionRepository(session)

    async def wxacode(self, checkpoint_id: int, token: str, width: int) -> bytes:
        """The checkpoint's mini-program code (scene = its code), from the cache or made by WeChat through the gateway."""
        checkpoint = await checkpoint_in_scope(self.checkpoints, self.caller, checkpoint_id)
        settings = self.settings
        key = f"lianfang:registry:wxacode:{settings.wechat_mp_env_version}:{settings.wechat_mp_page}:{width}:{checkpoint.code}"
        cached = await self.cache.get(key)
        if isinstance(cached, bytes):
            return cached
        image = await self.accounts.wxacode(
            {
                "scene": checkpoint.code,
                "page": settings.wechat_mp_page,
                "width": width,
                "env_version": settings.wechat_mp_env_version,
                # Codes for a trial or development version name a page WeChat has not released.
                "check_path": settings.wechat_mp_env_version == "release",
            },
            token,
        )
        if settings.wxacode_cache_days:
            await self.cache.set(key, image, ex=settings.wxacode_cache_days * 86400)
        return image

    async def checkpoint_qr_url(self, checkpoint_id: int) -> str:
        """What the checkpoint's QR code points to: its check-in page."""
        checkpoint = await checkpoint_in_scope(self.checkpoints, self.caller, checkpoint_id)
        return qr_url(self.settings.public_url, checkpoint.code)

    def pdf(self, posters: Iterable[PosterInfo], per_page: Literal[1, 4] = 1) -> Iterator[bytes]:
        return poster_pdf(posters, font=self.font, per_page=per_page)

    async def poster(self, checkpoint_id: int, *, wxacode_token: str | None = None) -> PosterInfo:
        """The checkpoint's poster; with `wxacode_token` (the caller's, forwarded to the gateway) its mini-program code
        stands where the QR code goes."""
        checkpoint = await checkpoint_in_scope(self.checkpoints, self.caller, checkpoint_id)
        (poster,) = await self._posters([checkpoint])
        if wxacode_token is None:
            return poster
        image = await self.wxacode(checkpoint_id, wxacode_token, _POSTER_WXACODE_WIDTH)
        return replace(poster, wxacode=flattened(image))

    async def posters_of(self, ids: list[int]) -> list[PosterInfo]:
        """The chosen checkpoints of the caller's subtree (404 for any other), in the tree's order."""
        found = await self.checkpoints.in_scope_by_ids(self.caller.region_path, ids)
        missing = sorted(set(ids) - {checkpoint.id for checkpoint in found})
        if missing:
            raise CheckpointNotFound(f"卡口 {missing[0]} 不存在，或不在您的管辖范围内")
        return await self._posters(sorted(found, key=lambda checkpoint: (checkpoint.region_path, checkpoint.id)))

    async def region_name(self, region_id: int) -> str:
        region = await self.regions.get(region_id)
        return region.name if region is not None else str(region_id)

    async def posters_under(self, region_id: int) -> list[PosterInfo]:
        """Every active checkpoint under the region, grouped by region. The rows are small (a few hundred bytes each):
        the PDF, not the list, is what must stream."""
        region = await self.regions.get(region_id)
        if region is None:
            raise RegionNotFound("地区不存在")
        ensure_in_scope(self.caller, region.path)
        return await self._posters([checkpoint async for checkpoint in self.checkpoints.stream_active_in(region.path)])

    async def _posters(self, checkpoints: list[Checkpoint]) -> list[PosterInfo]:
        region_ids = sorted({int(part) for row in checkpoints for part in row.region_path.strip("/").split("/")})
        names = {region.id: region.name for region in await self.regions.by_ids(region_ids)}
        today = beijing_today()
        return [self._poster(row, names, today) for row in checkpoints]

    def _poster(self, checkpoint: Checkpoint, names: dict[int, str], today: date) -> PosterInfo:
        chain = [names[int(part)] for part in checkpoint.region_path.strip("/").split("/") if int(part) in names]
        # The address prints after the region (the form says 印在海报上); a long line keeps its most specific end.
        place = " ".join(chain) + (f" · {checkpoint.address}" if checkpoint.address else "")
        return PosterInfo(
            name=checkpoint.name,
            region_path=place,
            kind_label=KIND_LABELS[checkpoint.kind.value],
            code=spaced(checkpoint.code),
            qr_url=qr_url(self.settings.public_url, checkpoint.code),
            made_on=today,
        )


async def poster_service(
    admin: CurrentAdmin, session: DbSession, settings: Settings, cache: ConfigCache, accounts: Accounts, font: Font
) -> PosterService:
    return PosterService(session, admin, settings, cache, accounts, font)


Posters = Annotated[PosterService, Depends(poster_service)]
