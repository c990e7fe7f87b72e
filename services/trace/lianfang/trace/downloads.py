"""How trace's files (exports, reports) are sent: as attachments nobody on the way may keep."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["attachment"]


def attachment(filename: str, fallback: str) -> dict[str, str]:
    """Headers of a download named `filename`; names never hold a phone or ID number (they end up in download folders
    and browser histories)."""
    # RFC 6266/5987: an ASCII fallback for old clients, the Chinese name in `filename*`.
    return {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}",
        # Personal data: no cache on the way may keep a copy.
        "Cache-Control": "no-store",
    }
