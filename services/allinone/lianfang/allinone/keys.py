"""The secrets a production start requires: the token signing key pair and the personal-data key."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["generate_keys", "stored_root_password"]


def generate_keys() -> dict[str, str]:
    """`LIANFANG_*` variables with new keys, one line each (line breaks as `\\n`, as `.env` files want)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    pii = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return {
        "LIANFANG_JWT_PRIVATE_KEY": private.strip().replace("\n", "\\n"),
        "LIANFANG_JWT_PUBLIC_KEY": public.strip().replace("\n", "\\n"),
        "LIANFANG_PII_KEY": f"k1:{pii}",
    }


def stored_root_password(directory: Path) -> str:
    """The root admin's password kept in `directory`, made on first use."""
    stored = directory / "root-password.txt"
    if not stored.exists():
        stored.write_text(f"Lf-{secrets.token_urlsafe(9)}\n")
        stored.chmod(0o600)
    return stored.read_text().strip()
