"""A service credential for the internal endpoints (`/api/*/internal/`) that act for no user.

Every process holds the personal-data key, and no client does: the credential is a tag made with it (`PiiCipher.seal`),
sent as `X-Lianfang-Service`. Whoever holds the key can read every person's data anyway, so it grants nothing new; on
the all-in-one server, which has no nginx to keep internal paths off the internet, it is what keeps them closed.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from lianfang.common.errors import Unauthorized
from lianfang.common.pii import PiiCipher

__all__ = ["SERVICE_HEADER", "require_service", "service_credential"]

SERVICE_HEADER = "X-Lianfang-Service"


def service_credential(pii_keys: str) -> str:
    return PiiCipher(pii_keys).seal(b"lianfang-internal-service")


async def require_service(request: Request) -> None:
    """A dependency of internal routers: 401 unless the request carries this deployment's service credential."""
    expected: str | None = getattr(request.app.state, "service_credential", None)
    if expected is None:
        expected = request.app.state.service_credential = service_credential(request.app.state.settings.pii_keys)
    given = request.headers.get(SERVICE_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("内部接口仅供服务之间调用")
