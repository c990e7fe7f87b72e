"""A PDF written object by object as pages are drawn, so a document of thousands of pages streams out in constant
memory (reportlab's canvas holds every page until `save()`). Metrics are reportlab's. The Chinese font
(`lianfang.common.chinese_font`) is embedded as TrueType subsets of the glyphs the pages used, written after the last
page; without its file, reportlab's built-in CID font STSong-Light, which readers draw with a Song face of their own."""

from __future__ import annotations

import copy
import re
import zlib
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reportlab.pdfbase import pdfdoc, pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase._cidfontdata import CIDFontInfo  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import structToPDF  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import (  # type: ignore[import-untyped]
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)

from lianfang.common.chinese_font import ChineseFont

__all__ = ["Color", "Font", "GrayImage", "PageContent", "PdfWriter"]

# Characters the font cannot show (outside UCS-2 for STSong-Light, missing glyphs in the embedded font) are drawn as
# the mark Chinese typesetting uses for a missing glyph, so a reader sees that something is missing rather than nothing.
_UNENCODABLE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")
_MISSING_GLYPH = "〓"
# The middle dot an input method types (U+00B7, as in the plate 冀A·12345) has no code in UniGB-UCS2-H; GB 2312's
# middle dot is reached as U+30FB. The ToUnicode map turns it back into U+00B7 for copying and searching.
_MIDDLE_DOT = "\u30fb"
_SUBSTITUTES = str.maketrans({"\u00b7": _MIDDLE_DOT, "\u2022": _MIDDLE_DOT})

# Writes an object and answers its number: `add(body)`, `add_stream(data, extra dictionary entries)`.
AddObject = Callable[[bytes], int]
AddStream = Callable[[bytes, str], int]


def _hex(data: bytes) -> str:
    return "<" + data.hex().upper() + ">"


class Font(ABC):
    """A font of one document: how wide text is, the operators that show it, and its objects, written at the end."""

    name: str

    def width(self, text: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(text, self.name, size))

    @abstractmethod
    def show(self, text: str, size: float) -> str:
        """`Tf` and `Tj` operators drawing `text` at `size` from the current text position."""

    @abstractmethod
    def objects(self, add: AddObject, add_stream: AddStream) -> dict[str, int]:
        """Writes the font's objects; answers the number of each font resource its `show` named."""


class LatinBold(Font):
    """Helvetica-Bold, one of the standard fonts every reader has: the code under the QR code, step numbers."""

    name = "Helvetica-Bold"
    _RESOURCE = "/L1"

    def show(self, text: str, size: float) -> str:
        latin = text.encode("cp1252", errors="replace")
        escaped = latin.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").decode("latin-1")
        return f"{self._RESOURCE} {_n(size)} Tf ({escaped}) Tj"

    def objects(self, add: AddObject, add_stream: AddStream) -> dict[str, int]:
        body = f"<< /Type /Font /Subtype /Type1 /BaseFont /{self.name} /Encoding /WinAnsiEncoding >>"
        return {self._RESOURCE: add(body.encode("ascii"))}


class BuiltinSong(Font):
    """reportlab's STSong-Light, not embedded: the fallback when the Chinese font's file is missing."""

    _RESOURCE = "/C1"

    def __init__(self, font: ChineseFont) -> None:
        self.name = font.name

    def show(self, text: str, size: float) -> str:
        bmp = _UNENCODABLE.sub(_MISSING_GLYPH, text).translate(_SUBSTITUTES)
        return f"{self._RESOURCE} {_n(size)} Tf {_hex(bmp.encode('utf-16-be'))} Tj"

    def objects(self, add: AddObject, add_stream: AddStream) -> dict[str, int]:
        to_unicode = add_stream(_to_unicode_cmap(), "")
        # reportlab's own description of the font (widths, descriptor, CIDSystemInfo), so what readers lay out
        # matches the metrics the layout measured with.
        description = copy.deepcopy(CIDFontInfo[self.name])
        description["Name"] = self._RESOURCE
        description["Encoding"] = "/" + pdfmetrics.getFont(self.name).encodingName
        description["ToUnicode"] = f"{to_unicode} 0 R"
        return {self._RESOURCE: add(_format(structToPDF(description)))}


class EmbeddedChinese(Font):
    """A TrueType font embedded as subsets of at most 256 glyphs (simple fonts, one byte a character), each with its
    ToUnicode map so text can be copied and searched. Which characters each subset holds grows as pages are drawn
    (reportlab's own bookkeeping, kept per document), so the subsets are written after the last page."""

    def __init__(self, font: ChineseFont) -> None:
        assert font.ttf is not None
        self.name = font.name
        self._ttf: TTFont = font.ttf
        self._glyphs = font.ttf.face.charToGlyph

    def show(self, text: str, size: float) -> str:
        shown = "".join(char if ord(char) in self._glyphs or char.isspace() else _MISSING_GLYPH for char in text)
        return " ".join(
            f"/C1s{subset} {_n(size)} Tf {_hex(codes)} Tj" for subset, codes in self._ttf.splitString(shown, self)
        )

    def objects(self, add: AddObject, add_stream: AddStream) -> dict[str, int]:
        face = self._ttf.face
        state = self._ttf.state.pop(self, None)
        resources: dict[str, int] = {}
        for number, subset in enumerate(state.subsets if state else []):
            base = (SUBSETN(number) + b"+" + face.name + face.subfontNameX).decode("ascii")
            data = face.makeSubset(subset)
            font_file = add_stream(data, f"/Length1 {len(data)}")
            flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
            bbox = " ".join(str(value) for value in face.bbox)
            descriptor = add(
                f"<< /Type /FontDescriptor /FontName /{base} /Flags {flags} /FontBBox [{bbox}] "
                f"/ItalicAngle {face.italicAngle} /Ascent {face.ascent} /Descent {face.descent} "
                f"/CapHeight {face.capHeight} /StemV {face.stemV} /MissingWidth {face.defaultWidth} "
                f"/FontFile2 {font_file} 0 R >>".encode("ascii")
            )
            to_unicode = add_stream(makeToUnicodeCMap(base, subset).encode("ascii"), "")
            widths = " ".join(str(round(face.getCharWidth(code))) for code in subset)
            resources[f"/C1s{number}"] = add(
                f"<< /Type /Font /Subtype /TrueType /BaseFont /{base} /FirstChar 0 /LastChar {len(subset) - 1} "
                f"/Widths [{widths}] /FontDescriptor {descriptor} 0 R /ToUnicode {to_unicode} 0 R >>".encode("ascii")
            )
        return resources


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
        # The Chinese font has no bold face; stroking the outlines as well as filling them (render mode 2) thickens
        # the strokes the way Chinese signage does when only a light face is at hand.
        mode = f"2 Tr {_n(size * 0.03)} w " if bold else ("0 Tr " if self._bold else "")
        tracking = f"{_n(spacing)} Tc " if spacing != self._spacing else ""
        self._bold, self._spacing = bold, spacing
        self._parts.append(f"BT {mode}{tracking}{_n(x)} {_n(y)} Td {font.show(text, size)} ET")


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

    _CATALOG, _PAGES, _RESOURCES, _FONTS = 1, 2, 3, 4
    # Pages per intermediate node of the page tree; a balanced tree is what the PDF reference recommends for large
    # documents, and it spares us holding every page's number until the end.
    _BRANCH = 64
    _XREF_ROWS = 4096

    def __init__(self, *, title: str, creator: str, page_size: tuple[float, float], chinese: ChineseFont) -> None:
        self._buffer = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._written = 0
        self._offsets = array("Q", [0])
        self._branches = array("Q")
        self._branch_pages = array("Q")
        self._page_count = 0
        self._page_size = page_size
        for _ in range(4):
            self._reserve()
        self._info = self._reserve()
        self.song: Font = EmbeddedChinese(chinese) if chinese.embedded else BuiltinSong(chinese)
        self.latin: Font = LatinBold()
        self._add(self._CATALOG, f"<< /Type /Catalog /Pages {self._PAGES} 0 R >>".encode("ascii"))
        self._add(self._info, f"<< /Title {_text_string(title)} /Creator {_text_string(creator)} >>".encode("ascii"))
        # Every page names the fonts' dictionary, written at the end with the subsets the pages used.
        self._font_resources = f"/Font {self._FONTS} 0 R /ProcSet [/PDF /Text]"
        self._add(self._RESOURCES, f"<< {self._font_resources} >>".encode("ascii"))

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
        fonts = self.song.objects(self._new, self._new_stream) | self.latin.objects(self._new, self._new_stream)
        self._add(
            self._FONTS,
            ("<< " + " ".join(f"{name} {number} 0 R" for name, number in fonts.items()) + " >>").encode("ascii"),
        )
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

    def _new(self, body: bytes) -> int:
        number = self._reserve()
        self._add(number, body)
        return number

    def _new_stream(self, data: bytes, extra: str) -> int:
        number = self._reserve()
        self._add_stream(number, data, extra)
        return number


def _format(structure: object) -> bytes:
    formatted = structure.format(pdfdoc.PDFDocument())  # type: ignore[attr-defined]
    return bytes(formatted)
