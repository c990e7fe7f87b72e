from __future__ import annotations

import io

import segno

__all__ = ["QUIET_ZONE", "qr_matrix", "qr_png", "qr_svg"]

# The four modules of white around the symbol that ISO/IEC 18004 asks for; scanners find the finder patterns by it.
QUIET_ZONE = 4


def _symbol(url: str) -> segno.QRCode:
    # Level M survives the creases, tape and rain of a poster on a gate; segno raises it further (boost_error) whenever
    # that costs no extra modules. Never a Micro QR: WeChat does not read those.
    return segno.make_qr(url, error="m", boost_error=True)


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Rows of dark (True) and light modules, top row first, without the quiet zone."""
    return tuple(tuple(bool(module) for module in row) for row in _symbol(url).matrix)


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A black on white PNG, `scale` pixels per module, with the quiet zone."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    buffer = io.BytesIO()
    _symbol(url).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()


def qr_svg(url: str) -> bytes:
    """A standalone SVG document, 10 px per module, with the quiet zone on an opaque white background."""
    buffer = io.BytesIO()
    # A unit makes segno write a viewBox next to width and height, so the image scales when a page sizes it with CSS.
    _symbol(url).save(
        buffer,
        kind="svg",
        scale=10,
        border=QUIET_ZONE,
        unit="px",
        dark="#000",
        light="#fff",
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue()
