"""A PDF written object by object as pages are drawn, so a document of thousands of pages streams out in constant
memory (reportlab's canvas holds every page until `save()`). Fonts and metrics are reportlab's: its built-in CID font
STSong-Light, which is never embedded; readers draw it with a Song face of their own (Acrobat's Chinese font pack,
a system font elsewhere)."""

from __future__ import annotations

import copy
import functools
import re
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from reportlab.pdfbase import pdfdoc, pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase._cidfontdata import CIDFontInfo  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import UnicodeCIDFont, structToPDF  # type: ignore[import-untyped]

__all__ = ["Color", "Font", "GrayImage", "PageContent", "PdfWriter"]

# UCS-2 codes only reach the Basic Multilingual Plane; for what lies beyond (and lone surrogates) the mark Chinese
# typesetting uses for a missing glyph, so a reader sees that something is missing rather than nothing.
_UNENCODABLE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")
_MISSING_GLYPH = "〓"
# The middle dot an input method types (U+00B7, as in the plate 冀A·12345) has no code in UniGB-UCS2-H; GB 2312's
# middle dot is reached as U+30FB. The ToUnicode map turns it back into U+00B7 for copying and searching.
_MIDDLE_DOT = "\u30fb"
_SUBSTITUTES = str.maketrans({"\u00b7": _MIDDLE_DOT, "\u2022": _MIDDLE_DOT})


class Font(Enum):
    song = "STSong-Light"
    latin_bold = "Helvetica-Bold"

    @property
    def resource(self) -> str:
        return "/F1" if self is Font.song else "/F2"

    def width(self, text: str, size: float) -> float:
        _register_fonts()
        return float(pdfmetrics.stringWidth(text, self.value, size))

    def encode(self, text: str) -> bytes:
        if self is Font.song:
            bmp = _UNENCODABLE.sub(_MISSING_GLYPH, text).translate(_SUBSTITUTES)
            return b"<" + bmp.encode("utf-16-be").hex().upper().encode("ascii") + b">"
        latin = text.encode("cp1252", errors="replace")
        return b"(" + latin.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


@functools.cache
def _register_fonts() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(Font.song.value))


@dataclass(frozen=True, slots=True)
class Color:
    red: float
    green: float
    blue: float

    def operands(self) -> str:
        return f"{self.red:.3f} {self.green:.3f} {self.blue:.3f}"


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True)
class GrayImage:
    """An 8-bit grayscale raster, rows top to bottom, as a page draws it (a mini-program code flattened on white)."""

    width: int
    height: int
    pixels: bytes


class PageContent:
    """The drawing operators of one page, in PDF user space (points, origin at the bottom left)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.images: dict[str, GrayImage] = {}
        # Render mode and character spacing belong to the graphics state and outlive ET, so they are set on change.
        self._bold = False
        self._spacing = 0.0
        self._saved: list[tuple[bool, float]] = []

    def data(self) -> bytes:
        return "\n".join(self._parts).encode("latin-1")

    def save(self) -> None:
        self._parts.append("q")
        self._saved.append((self._bold, self._spacing))

    def restore(self) -> None:
        self._parts.append("Q")
        self._bold, self._spacing = self._saved.pop()

    def transform(self, scale: float, x: float, y: float) -> None:
        # Four decimals: the scale is multiplied by up to a few dozen QR modules.
        factor = f"{scale:.4f}".rstrip("0").rstrip(".")
        self._parts.append(f"{factor} 0 0 {factor} {_n(x)} {_n(y)} cm")

    def image(self, image: GrayImage, x: float, y: float, size: float) -> None:
        """`image` in a `size` square whose bottom left corner is (x, y)."""
        name = f"Im{len(self.images) + 1}"
        self.images[name] = image
        self._parts.append(f"q {_n(size)} 0 0 {_n(size)} {_n(x)} {_n(y)} cm /{name} Do Q")

    def fill_color(self, color: Color) -> None:
        self._parts.append(f"{color.operands()} rg")

    def stroke_color(self, color: Color) -> None:
        self._parts.append(f"{color.operands()} RG")

    def line_width(self, width: float) -> None:
        self._parts.append(f"{_n(width)} w")

    def dash(self, on: float, off: float) -> None:
        self._parts.append(f"[{_n(on)} {_n(off)}] 0 d")

    def solid(self) -> None:
        self._parts.append("[] 0 d")

    def rect(self, x: float, y: float, width: float, height: float) -> None:
        self._parts.append(f"{_n(x)} {_n(y)} {_n(width)} {_n(height)} re")

    def rounded_rect(self, x: float, y: float, width: float, height: float, radius: float) -> None:
        r = min(radius, width / 2, height / 2)
        # Control points at 0.552 of the radius make a Bézier curve that is visually a quarter circle.
        k = r * (1 - 0.5523)
        right, top = x + width, y + height
        self._parts.append(
            f"{_n(x + r)} {_n(y)} m {_n(right - r)} {_n(y)} l "
            f"{_n(right - k)} {_n(y)} {_n(right)} {_n(y + k)} {_n(right)} {_n(y + r)} c "
            f"{_n(right)} {_n(top - r)} l {_n(right)} {_n(top - k)} {_n(right - k)} {_n(top)} {_n(right - r)} {_n(top)} c "
            f"{_n(x + r)} {_n(top)} l {_n(x + k)} {_n(top)} {_n(x)} {_n(top - k)} {_n(x)} {_n(top - r)} c "
            f"{_n(x)} {_n(y + r)} l {_n(x)} {_n(y + k)} {_n(x + k)} {_n(y)} {_n(x + r)} {_n(y)} c h"
        )

    def circle(self, cx: float, cy: float, radius: float) -> None:
        self.rounded_rect(cx - radius, cy - radius, 2 * radius, 2 * radius, radius)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._parts.append(f"{_n(x1)} {_n(y1)} m {_n(x2)} {_n(y2)} l")

    def fill(self) -> None:
        self._parts.append("f")

    def stroke(self) -> None:
        self._parts.append("S")

    def raw_path(self, operators: str) -> None:
        self._parts.append(operators)

    def text(
        self, font: Font, size: float, x: float, y: float, text: str, *, bold: bool = False, spacing: float = 0
    ) -> None:
        """Text with its baseline starting at (x, y) in the current fill colour, `spacing` points between letters."""
        # STSong-Light has no bold face; stroking the outlines as well as filling them (render mode 2) thickens
        # the strokes the way Chinese signage does when only a light face is at hand.
        mode = f"2 Tr {_n(size * 0.03)} w " if bold else ("0 Tr " if self._bold else "")
        tracking = f"{_n(spacing)} Tc " if spacing != self._spacing else ""
        self._bold, self._spacing = bold, spacing
        shown = font.encode(text).decode("latin-1")
        self._parts.append(f"BT {font.resource} {_n(size)} Tf {mode}{tracking}{_n(x)} {_n(y)} Td {shown} Tj ET")


def _text_string(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _to_unicode_cmap() -> bytes:
    # UniGB-UCS2-H codes are UCS-2, so the code of a glyph is its Unicode value. Saying so lets readers extract,
    # copy and search the text (Ctrl+F for a checkpoint in a county's thousand posters) without the GB1 tables.
    dot = ord(_MIDDLE_DOT)
    ranges = [f"<{high:02X}00> <{high:02X}FF> <{high:02X}00>" for high in range(256) if high != dot >> 8]
    ranges += [f"<{dot & 0xFF00:04X}> <{dot - 1:04X}> <{dot & 0xFF00:04X}>", f"<{dot:04X}> <{dot:04X}> <00B7>"]
    ranges += [f"<{dot + 1:04X}> <{dot | 0xFF:04X}> <{dot + 1:04X}>"]
    # A CMap section may hold at most 100 entries.
    sections = "".join(
        f"{len(ranges[start : start + 100])} beginbfrange\n" + "\n".join(ranges[start : start + 100]) + "\nendbfrange\n"
        for start in range(0, len(ranges), 100)
    )
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{sections}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


class PdfWriter:
    """Objects go to an output buffer as soon as they are complete; `take()` hands over what is buffered.

    What stays in memory grows by one cross-reference offset per object, 24 bytes a page: the page tree is written a
    branch of `_BRANCH` pages at a time and the cross-reference table in slices."""

    _CATALOG, _PAGES, _RESOURCES = 1, 2, 3
    # Pages per intermediate node of the page tree; a balanced tree is what the PDF reference recommends for large
    # documents, and it spares us holding every page's number until the end.
    _BRANCH = 64
    _XREF_ROWS = 4096

    def __init__(self, *, title: str, creator: str, page_size: tuple[float, float]) -> None:
        self._buffer = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._written = 0
        self._offsets = array("Q", [0])
        self._branches = array("Q")
        self._branch_pages = array("Q")
        self._page_count = 0
        self._page_size = page_size
        for _ in range(3):
            self._reserve()
        self._info = self._reserve()
        self._add(self._CATALOG, f"<< /Type /Catalog /Pages {self._PAGES} 0 R >>".encode("ascii"))
        self._add(self._info, f"<< /Title {_text_string(title)} /Creator {_text_string(creator)} >>".encode("ascii"))
        self._add_fonts()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def page_count(self) -> int:
        return self._page_count

    def take(self) -> bytes:
        chunk = bytes(self._buffer)
        self._written += len(chunk)
        self._buffer.clear()
        return chunk

    def add_page(self, content: PageContent) -> None:
        if not self._branches or len(self._branch_pages) == self._BRANCH:
            self._close_branch()
            self._branches.append(self._reserve())
        stream = self._reserve()
        page = self._reserve()
        self._add_stream(stream, content.data())
        resources = self._RESOURCES
        if content.images:
            # A page with images has resources of its own: the shared fonts and its images.
            named = []
            for name, image in content.images.items():
                number = self._reserve()
                self._add_stream(
                    number,
                    image.pixels,
                    f"/Type /XObject /Subtype /Image /Width {image.width} /Height {image.height} "
                    "/ColorSpace /DeviceGray /BitsPerComponent 8",
                )
                named.append(f"/{name} {number} 0 R")
            resources = self._reserve()
            self._add(resources, f"<< {self._font_resources} /XObject << {' '.join(named)} >> >>".encode("ascii"))
        width, height = self._page_size
        self._add(
            page,
            f"<< /Type /Page /Parent {self._branches[-1]} 0 R /MediaBox [0 0 {_n(width)} {_n(height)}] "
            f"/Resources {resources} 0 R /Contents {stream} 0 R >>".encode("ascii"),
        )
        self._branch_pages.append(page)
        self._page_count += 1

    def finish(self) -> Iterator[bytes]:
        """The rest of the page tree, the cross-reference table and the trailer: the last chunks of the document."""
        self._close_branch()
        kids = " ".join(f"{branch} 0 R" for branch in self._branches)
        self._add(self._PAGES, f"<< /Type /Pages /Count {self._page_count} /Kids [{kids}] >>".encode("ascii"))
        xref_at = self._written + len(self._buffer)
        self._buffer += f"xref\n0 {len(self._offsets)}\n0000000000 65535 f \n".encode("ascii")
        for start in range(1, len(self._offsets), self._XREF_ROWS):
            rows = self._offsets[start : start + self._XREF_ROWS]
            self._buffer += "".join(f"{offset:010d} 00000 n \n" for offset in rows).encode("ascii")
            yield self.take()
        self._buffer += (
            f"trailer\n<< /Size {len(self._offsets)} /Root {self._CATALOG} 0 R /Info {self._info} 0 R >>\n"
            f"startxref\n{xref_at}\n%%EOF\n"
        ).encode("ascii")
        yield self.take()

    def _close_branch(self) -> None:
        if not self._branch_pages:
            return
        kids = " ".join(f"{page} 0 R" for page in self._branch_pages)
        self._add(
            self._branches[-1],
            f"<< /Type /Pages /Parent {self._PAGES} 0 R /Count {len(self._branch_pages)} /Kids [{kids}] >>".encode(
                "ascii"
            ),
        )
        del self._branch_pages[:]

    def _reserve(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _add(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._written + len(self._buffer)
        self._buffer += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"

    def _add_stream(self, number: int, data: bytes, extra: str = "") -> None:
        packed = zlib.compress(data, 6)
        head = f"<< {extra} /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode("ascii")
        self._add(number, head + packed + b"\nendstream")

    def _add_fonts(self) -> None:
        _register_fonts()
        song, to_unicode, latin = self._reserve(), self._reserve(), self._reserve()
        # reportlab's own description of the font (widths, descriptor, CIDSystemInfo), so what readers lay out
        # matches the metrics the layout measured with.
        description = copy.deepcopy(CIDFontInfo[Font.song.value])
        description["Name"] = Font.song.resource
        description["Encoding"] = "/" + pdfmetrics.getFont(Font.song.value).encodingName
        description["ToUnicode"] = f"{to_unicode} 0 R"
        self._add(song, _format(structToPDF(description)))
        self._add_stream(to_unicode, _to_unicode_cmap())
        self._add(
            latin,
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{Font.latin_bold.value} /Encoding /WinAnsiEncoding >>".encode(
                "ascii"
            ),
        )
        self._font_resources = (
            f"/Font << {Font.song.resource} {song} 0 R {Font.latin_bold.resource} {latin} 0 R >> /ProcSet [/PDF /Text]"
        )
        self._add(self._RESOURCES, f"<< {self._font_resources} >>".encode("ascii"))


def _format(structure: object) -> bytes:
    formatted = structure.format(pdfdoc.PDFDocument())  # type: ignore[attr-defined]
    return bytes(formatted)
