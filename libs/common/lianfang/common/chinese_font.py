"""The Chinese font every PDF (posters, 流调报告) is drawn in.

A TrueType-outline font, embedded as a subset of the glyphs used, so a PDF looks the same in every reader and on every
printer. reportlab reads TrueType outlines only (Noto CJK is CFF), hence Debian's `fonts-wqy-microhei`
(`deploy/install-packages.sh` and the Dockerfile install it). Where the file is missing (a fresh `make run` machine),
PDFs fall back to reportlab's built-in STSong-Light, which is not embedded: readers substitute a Song face of their own.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

from lianfang.common.settings import ServiceSettings

__all__ = ["DEBIAN_CHINESE_FONT", "FALLBACK_FONT", "ChineseFont", "ChineseFontSettings", "load_chinese_font"]

DEBIAN_CHINESE_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FALLBACK_FONT = "STSong-Light"

log = logging.getLogger("lianfang.fonts")


class ChineseFontSettings(ServiceSettings):
    """Settings of a service that writes PDFs."""

    # A TrueType font (.ttf, or a .ttc collection with `chinese_font_index`) with Chinese glyphs; CFF/OpenType outlines
    # (.otf, Noto CJK) cannot be embedded by reportlab.
    chinese_font_path: Path = DEBIAN_CHINESE_FONT
    chinese_font_index: int = Field(default=0, ge=0, le=31)


@dataclass(frozen=True, slots=True)
class ChineseFont:
    """A font registered with reportlab under `name`; `ttf` is the TrueType font to embed, None for STSong-Light."""

    name: str
    ttf: TTFont | None

    @property
    def embedded(self) -> bool:
        return self.ttf is not None

    def width(self, text: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(text, self.name, size))


@functools.cache
def load_chinese_font(path: Path, index: int = 0) -> ChineseFont:
    """The font at `path`, registered once per process; a missing file falls back to STSong-Light with one warning.
    Services call this at start-up, so the warning comes then rather than with the first PDF."""
    if not path.is_file():
        log.warning(
            "Chinese font %s not found: PDFs use STSong-Light, which is not embedded (readers substitute a font of "
            "their own). Install Debian's fonts-wqy-microhei or set LIANFANG_CHINESE_FONT_PATH to a TrueType font.",
            path,
        )
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return ChineseFont(FALLBACK_FONT, None)
    ttf = TTFont(f"{path.stem}-{index}", str(path), subfontIndex=index)
    pdfmetrics.registerFont(ttf)
    return ChineseFont(ttf.fontName, ttf)
