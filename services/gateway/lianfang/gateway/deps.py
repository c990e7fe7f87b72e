"""What the gateway's routes get injected: the request's session and the process-wide parts built at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from lianfang.common.auth import TokenSigner
from lianfang.common.pii import PiiCipher
from lianfang.gateway.registry_client import RegistryClient
from lianfang.gateway.settings import GatewaySettings
from lianfang.gateway.wechat import WeChatClient

__all__ = ["Gateway", "GatewayParts"]


@dataclass(frozen=True)
class GatewayParts:
    settings: GatewaySettings
    signer: TokenSigner
    pii: PiiCipher
    registry: RegistryClient
    wechat: WeChatClient


async def _parts(request: Request) -> GatewayParts:
    parts: GatewayParts = request.app.state.parts
    return parts


Gateway = Annotated[GatewayParts, Depends(_parts)]
