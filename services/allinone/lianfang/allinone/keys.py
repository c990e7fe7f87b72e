"""The secrets a start requires: the token signing key pair, the personal-data key and the root admin's password.

The all-in-one server and the local cluster make them once and keep them in their data directory (`keys.env`, mode
0600, the lines `lianfang keygen` prints), so no running server signs with the development keys committed for tests.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["KEY_VARIABLES", "generate_keys", "key_settings", "read_env_file", "stored_keys", "stored_root_password"]

KEY_VARIABLES = ("LIANFANG_JWT_PRIVATE_KEY", "LIANFANG_JWT_PUBLIC_KEY", "LIANFANG_PII_KEY")


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


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _write_private(path: Path, text: str) -> None:
    """Created with mode 0600 from the start: the secret is never readable by others, not even for a moment."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def stored_keys(directory: Path) -> dict[str, str]:
    """The keys kept in `directory/keys.env`, made on first use."""
    stored = directory / "keys.env"
    if not stored.exists():
        _write_private(stored, "".join(f"{name}={value}\n" for name, value in generate_keys().items()))
    return read_env_file(stored)


def key_settings(directory: Path, environment: Mapping[str, str]) -> dict[str, Any]:
    """The stored keys the environment does not set itself, as settings fields."""
    fields = {"LIANFANG_JWT_PRIVATE_KEY": "jwt_private_key", "LIANFANG_JWT_PUBLIC_KEY": "jwt_public_key"}
    keys = stored_keys(directory)
    chosen = {name: value for name, value in keys.items() if name in KEY_VARIABLES and not environment.get(name)}
    # `pii_keys` is read from LIANFANG_PII_KEY (its alias), under which it is also given.
    return {fields.get(name, name): value for name, value in chosen.items()}


def stored_root_password(directory: Path) -> str:
    """The root admin's password kept in `directory`, made on first use."""
    stored = directory / "root-password.txt"
    if not stored.exists():
        _write_private(stored, f"Lf-{secrets.token_urlsafe(9)}\n")
    return stored.read_text().strip()
