"""Checkpoint codes: short, unguessable, and easy to read aloud over a phone or type from a poster."""

from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "CODE_LENGTH", "new_code", "qr_url", "spaced"]

# Digits and capitals without 0/O, 1/I/L and U (Crockford's reasons): nothing a gate keeper can misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 30**8 ≈ 6.6e11 codes: guessing one is hopeless behind nginx's rate limits


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def spaced(code: str) -> str:
    """`K7M3QF9X` → `K7M3 QF9X`, as posters print it."""
    return f"{code[:4]} {code[4:]}"


def qr_url(public_url: str, code: str) -> str:
    """What the checkpoint's QR code points to: its check-in page."""
    return f"{public_url.rstrip('/')}/c/{code}"
