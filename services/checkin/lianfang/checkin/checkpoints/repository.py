from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Final

import httpx
from pydantic import ValidationError

from lianfang.checkin.errors import CheckpointNotFound, RegistryUnavailable, StateUnavailable
from lianfang.checkin.keys import CODE_SECONDS, checkpoint_code_key
from lianfang.checkin.state import RedisState, stored
from lianfang.common.contracts.checkpoints import CheckpointConfig, config_key
from lianfang.common.contracts.paths import REGISTRY

__all__ = ["CheckpointConfigs"]

log = logging.getLogger("lianfang.checkin.checkpoints")

# Codes are 8 characters of the registry's alphabet; anything far from that shape is not looked up anywhere.
_CODE: Final = re.compile(r"[0-9A-Z]{4,16}")
# An unknown code is remembered for at most this long, so that a checkpoint created a moment ago is found soon.
_UNKNOWN_SECONDS: Final = 1.0
# How long a config fetched from the registry stays in Redis when the registry's own write is missing there; the
# registry's next write replaces it.
_WRITE_BACK_SECONDS: Final = 300


@dataclass(frozen=True, slots=True)
class _Entry:
    config: CheckpointConfig | None
    until: float


class CheckpointConfigs:
    """Checkpoint configs by code: parsed ones from this process for a few seconds, then Redis (where the registry writes
    every change), then the registry's internal endpoint.

    Concurrent requests for a code that is not at hand share one lookup, so a cold start under load asks Redis once.
    """

    def __init__(self, state: RedisState, registry: httpx.AsyncClient, *, cache_seconds: float) -> None:
        self._state = state
        self._registry = registry
        self._cache_seconds = cache_seconds
        self._entries: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Future[CheckpointConfig | None]] = {}
        self._codes: dict[int, str] = {}

    async def by_code(self, code: str) -> CheckpointConfig:
        code = code.strip().upper()
        entry = self._entries.get(code)
        if entry is None or entry.until <= time.monotonic():
            if not _CODE.fullmatch(code):
                raise CheckpointNotFound("卡口不存在，请确认二维码是否正确")
            entry = await self._load_shared(code)
        if entry.config is None:
            raise CheckpointNotFound("卡口不存在，请确认二维码是否正确")
        return entry.config

    async def by_id(self, checkpoint_id: int) -> CheckpointConfig:
        code = self._codes.get(checkpoint_id)
        if code is None and self._state.available:
            try:
                (stored,) = await self._state.execute([("GET", checkpoint_code_key(checkpoint_id))])
            except StateUnavailable:
                stored = None
            code = stored.decode() if isinstance(stored, bytes) else None
        if code is not None:
            known = await self.by_code(code)
            if known.id == checkpoint_id:
                return known
        config = await self._fetch(f"{REGISTRY}/internal/checkpoints/by-id/{checkpoint_id}/config")
        if config is None:
            raise CheckpointNotFound("卡口不存在")
        await self._remember(config, write_back=True)
        self._entries[config.code] = _Entry(config, time.monotonic() + self._cache_seconds)
        return config

    async def _load_shared(self, code: str) -> _Entry:
        loading = self._loading.get(code)
        if loading is None:
            loading = self._loading[code] = asyncio.ensure_future(self._load(code))
            loading.add_done_callback(lambda _: self._loading.pop(code, None))
        config = await asyncio.shield(loading)
        ttl = self._cache_seconds if config is not None else min(self._cache_seconds, _UNKNOWN_SECONDS)
        entry = _Entry(config, time.monotonic() + ttl)
        self._entries[code] = entry
        return entry

    async def _load(self, code: str) -> CheckpointConfig | None:
        config = await self._from_redis(code)
        if config is not None:
            await self._remember(config, write_back=False)
            return config
        config = await self._fetch(f"{REGISTRY}/internal/checkpoints/{code}/config")
        if config is not None:
            await self._remember(config, write_back=True)
        return config

    async def _from_redis(self, code: str) -> CheckpointConfig | None:
        if not self._state.available:
            return None
        try:
            (raw,) = await self._state.execute([("GET", config_key(code))])
        except StateUnavailable:
            return None
        # An unreadable one is asked of the registry again, as a missing one is.
        return stored(CheckpointConfig, raw, f"config of checkpoint {code}")

    async def _fetch(self, path: str) -> CheckpointConfig | None:
        try:
            response = await self._registry.get(path)
        except httpx.HTTPError as error:
            log.warning("the registry cannot be reached: %s", error)
            raise RegistryUnavailable() from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("the registry answered %s for %s", response.status_code, path)
            raise RegistryUnavailable()
        try:
            return CheckpointConfig.model_validate_json(response.content)
        except ValidationError as error:
            log.exception("the registry sent an unreadable config for %s", path)
            raise RegistryUnavailable() from error

    async def _remember(self, config: CheckpointConfig, *, write_back: bool) -> None:
        """Keeps the code of the checkpoint's id where every instance finds it; with `write_back`, also the config the
        registry's own write did not leave in Redis (NX: a newer write of the registry wins)."""
        known = self._codes.get(config.id) == config.code
        self._codes[config.id] = config.code
        if (known and not write_back) or not self._state.available:
            return
        commands: list[tuple[str | int, ...]] = [
            ("SET", checkpoint_code_key(config.id), config.code, "EX", CODE_SECONDS)
        ]
        if write_back:
            commands.append(("SET", config_key(config.code), config.model_dump_json(), "NX", "EX", _WRITE_BACK_SECONDS))
        with suppress(StateUnavailable):
            await self._state.execute(commands)
