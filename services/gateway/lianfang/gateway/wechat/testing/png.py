"""A real PNG that looks enough like a mini-program code for a person to tell them apart: a round badge of modules
drawn from the scene, so each checkpoint's stand-in differs. Only the fake WeChat server draws it."""

from __future__ import annotations

import hashlib
import struct
import zlib

__all__ = ["PNG_SIGNATURE", "badge_png", "png_size"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GRID = 29


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def badge_png(seed: str, width: int, *, transparent: bool) -> bytes:
    """A `width`-pixel square RGBA PNG: dark modules on a disc, the background transparent or white."""
    bits = "".join(f"{byte:08b}" for byte in hashlib.sha256(seed.encode()).digest() * 4)
    centre = (_GRID - 1) / 2
    modules = [
        [
            (row - centre) ** 2 + (column - centre) ** 2 <= centre**2
            and (bits[(row * _GRID + column) % len(bits)] == "1" or abs(row - centre) + abs(column - centre) < 4)
            for column in range(_GRID)
        ]
        for row in range(_GRID)
    ]
    ink = b"\x1f\x1f\x1f\xff"
    paper = b"\x00\x00\x00\x00" if transparent else b"\xff\xff\xff\xff"
    rows = []
    for y in range(width):
        module_row = modules[y * _GRID // width]
        pixels = b"".join(ink if module_row[x * _GRID // width] else paper for x in range(width))
        rows.append(b"\x00" + pixels)
    header = struct.pack(">IIBBBBB", width, width, 8, 6, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
