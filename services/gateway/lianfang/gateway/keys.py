from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Request
from jwt.algorithms import OKPAlgorithm

from lianfang.common.contracts.paths import AUTH

__all__ = ["router"]

router = APIRouter(prefix=AUTH, tags=["登录"])


@router.get("/keys")
async def public_keys(request: Request) -> dict[str, Any]:
    """The public key that verifies access tokens, as a JWK set and as PEM."""
    pem: str = request.app.state.settings.jwt_public_key
    key = load_pem_public_key(pem.encode())
    jwk = json.loads(OKPAlgorithm.to_jwk(key)) | {"use": "sig", "alg": "EdDSA"}  # type: ignore[arg-type]
    return {"keys": [jwk], "public_key_pem": pem, "issuer": request.app.state.settings.jwt_issuer}
