from __future__ import annotations

import math
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import segno

from lianfang.common.chinese_font import DEBIAN_CHINESE_FONT, ChineseFont, load_chinese_font
from lianfang.registry.posters import PosterInfo, poster_pdf, qr_png, qr_svg
from lianfang.registry.posters.pdf import EmbeddedChinese
from lianfang.registry.posters.qr import QUIET_ZONE, qr_matrix
from lianfang.registry.posters.textfit import ELLIPSIS, fit_line, fit_title

URL = "https://lianfang.example.cn/c/K7M3QF"
# The Chinese font `deploy/install-packages.sh test` installs, and what a machine without it falls back to.
FONT = load_chinese_font(DEBIAN_CHINESE_FONT)
FALLBACK = load_chinese_font(Path("/nonexistent/no-such-font.ttc"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Error correction levels as the two top bits of a QR code's format information (ISO/IEC 18004, table 12).
_LEVELS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}

Modules = tuple[tuple[bool, ...], ...]


def poster(number: int = 1, **changes: object) -> PosterInfo:
    fields: dict[str, object] = {
        "name": f"幸福里小区{number}号门",
        "region_path": "河北省 石家庄市 长安区 育才街道",
        "kind_label": "小区门岗",
        "code": f"K7M-{number:03d}",
        "qr_url": f"https://lianfang.example.cn/c/K7M{number:03d}",
        "made_on": date(2024, 3, 5),
    }
    fields.update(changes)
    return PosterInfo(**fields)  # type: ignore[arg-type]


def render(posters: list[PosterInfo], per_page: int = 1, font: ChineseFont = FONT) -> bytes:
    return b"".join(poster_pdf(posters, font=font, per_page=1 if per_page == 1 else 4))


def png_modules(png: bytes, scale: int) -> Modules:
    """The module grid of a 1-bit greyscale PNG, quiet zone included, read at the centre of each module."""
    assert png.startswith(PNG_SIGNATURE)
    position, header, data = len(PNG_SIGNATURE), b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        header = body if kind == b"IHDR" else header
        data += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">2I5B", header)
    assert (depth, color, interlace) == (1, 0, 0)
    stride = math.ceil(width / 8)
    raw = zlib.decompress(data)
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        row_filter, scanline = line[0], line[1:]
        assert row_filter in (0, 2), "segno writes rows unfiltered or as the row above"
        row = (
            bytes(scanline)
            if row_filter == 0
            else bytes((a + b) & 0xFF for a, b in zip(scanline, previous, strict=True))
        )
        rows.append(row)
        previous = row

    def dark(x: int, y: int) -> bool:
        return not rows[y][x // 8] >> (7 - x % 8) & 1

    size = width // scale
    return tuple(tuple(dark(x * scale + scale // 2, y * scale + scale // 2) for x in range(size)) for y in range(size))


def svg_modules(svg: str) -> set[tuple[int, int]]:
    """(row, column) of every dark module in segno's path of horizontal strokes, quiet zone included."""
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg)
    assert path is not None
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for move, dx, dy, length in re.findall(r"([Mm])(-?[\d.]+) (-?[\d.]+)h(\d+)", path.group(1)):
        x, y = (float(dx), float(dy)) if move == "M" else (x + float(dx), y + float(dy))
        dark.update((int(y), int(x) + step) for step in range(int(length)))
        x += int(length)
    return dark


def with_quiet_zone(matrix: Modules) -> Modules:
    light = (False,) * QUIET_ZONE
    blank = ((False,) * (len(matrix) + 2 * QUIET_ZONE),) * QUIET_ZONE
    return blank + tuple(light + row + light for row in matrix) + blank


def error_level(matrix: Modules) -> str:
    # The first copy of the format information: row 8 left of the timing column, then column 8 upwards.
    bits = [matrix[8][column] for column in (0, 1, 2, 3, 4, 5, 7, 8)] + [
        matrix[row][8] for row in (7, 5, 4, 3, 2, 1, 0)
    ]
    value = int("".join("1" if bit else "0" for bit in bits), 2) ^ 0b101010000010010
    return _LEVELS[value >> 13]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def content_streams(pdf: bytes) -> bytes:
    decoded = b""
    for match in re.finditer(rb"/FlateDecode /Length (\d+) >>\nstream\n", pdf):
        start = match.end()
        decoded += zlib.decompress(pdf[start : start + int(match.group(1))]) + b"\n"
    return decoded


def pdftotext(pdf: bytes) -> str:
    """The text a reader copies or searches, as poppler extracts it."""
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return subprocess.run([binary, file.name, "-"], check=True, capture_output=True, text=True).stdout


class TestQrPng:
    def test_is_a_png_of_the_url_with_a_quiet_zone(self) -> None:
        png = qr_png(URL, scale=6)
        assert png.startswith(PNG_SIGNATURE)
        assert png_modules(png, 6) == with_quiet_zone(qr_matrix(URL))

    def test_encodes_the_url_at_error_correction_m_or_better(self) -> None:
        matrix = qr_matrix(URL)
        expected = segno.make(URL, error="m", micro=False)
        assert matrix == tuple(tuple(bool(module) for module in row) for row in expected.matrix)
        assert expected.mode == "byte"
        assert error_level(matrix) in ("M", "Q", "H")
        assert (len(matrix) - 17) % 4 == 0, "a regular QR code, never a Micro QR that WeChat cannot read"

    def test_scans_back_to_the_url(self, tmp_path: Path) -> None:
        binary = shutil.which("zbarimg")
        if binary is None:
            pytest.skip("zbarimg (zbar-tools) is not installed")
        path = tmp_path / "qr.png"
        path.write_bytes(qr_png(URL))
        scanned = subprocess.run([binary, "--raw", "-q", str(path)], check=True, capture_output=True, text=True)
        assert scanned.stdout.strip() == URL

    def test_scale_sets_the_pixels_per_module(self) -> None:
        width = struct.unpack(">I", qr_png(URL, scale=3)[16:20])[0]
        assert width == (len(qr_matrix(URL)) + 2 * QUIET_ZONE) * 3

    def test_refuses_a_scale_below_one(self) -> None:
        with pytest.raises(ValueError, match="scale"):
            qr_png(URL, scale=0)


class TestQrSvg:
    def test_is_an_svg_of_the_url_with_a_quiet_zone(self) -> None:
        svg = qr_svg(URL).decode("utf-8")
        assert svg.startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
        size = (len(qr_matrix(URL)) + 2 * QUIET_ZONE) * 10
        assert f'width="{size}px" height="{size}px" viewBox="0 0 {size} {size}"' in svg
        modules = with_quiet_zone(qr_matrix(URL))
        expected = {(row, column) for row, line in enumerate(modules) for column, dark in enumerate(line) if dark}
        assert svg_modules(svg) == expected

    def test_has_an_opaque_white_background(self) -> None:
        assert b'<path fill="#fff"' in qr_svg(URL)


class TestPosterPdf:
    def test_is_one_page_per_poster(self) -> None:
        pdf = render([poster(number) for number in range(3)])
        assert pdf.startswith(b"%PDF-1.4\n")
        assert pdf.endswith(b"%%EOF\n")
        assert page_count(pdf) == 3
        assert b"/Type /Pages /Count 3 " in pdf

    @pytest.mark.parametrize(("posters", "pages"), [(1, 1), (4, 1), (5, 2), (9, 3)])
    def test_four_per_page_fills_a_page_of_four(self, posters: int, pages: int) -> None:
        pdf = render([poster(number) for number in range(posters)], per_page=4)
        assert page_count(pdf) == pages == math.ceil(posters / 4)
        assert f"/Type /Pages /Count {pages} ".encode() in pdf

    def test_cross_references_point_at_their_objects(self) -> None:
        pdf = render([poster(number) for number in range(70)], per_page=1)
        startxref = re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf)
        assert startxref is not None
        xref_at = int(startxref.group(1))
        assert pdf[xref_at:].startswith(b"xref\n0 ")
        count = int(pdf[xref_at:].split(b"\n")[1].split()[1])
        rows = pdf[xref_at:].split(b"\n")[3 : 3 + count - 1]
        for number, row in enumerate(rows, start=1):
            offset = int(row[:10])
            assert pdf[offset:].startswith(f"{number} 0 obj\n".encode()), number
        assert f"/Size {count} ".encode() in pdf

    def test_embeds_a_subset_of_the_chinese_font(self) -> None:
        pdf = render([poster(number) for number in range(3)])
        assert b"/FontFile2 " in pdf
        assert re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYiMicroHei", pdf), "a subset, tagged as PDF asks"
        assert b"STSong-Light" not in pdf
        # Only the glyphs drawn: the font file itself is 5 MB.
        assert len(pdf) < 250_000

    def test_without_the_font_file_uses_the_builtin_song_face(self) -> None:
        pdf = render([poster(1), poster(2, name="K7路公交车 冀A·12345")], font=FALLBACK)
        assert b"/BaseFont /STSong-Light" in pdf
        assert b"/Encoding /UniGB-UCS2-H" in pdf
        assert b"/FontFile" not in pdf, "nothing embedded: readers supply STSong-Light"
        text = pdftotext(pdf)
        assert "幸福里小区1号门" in text
        assert "K7路公交车 冀A·12345" in text

    def test_shows_name_region_code_date_and_instructions(self) -> None:
        text = pdftotext(render([poster(7, notice="外来人员请出示登记结果")]))
        for shown in (
            "幸福里小区7号门",
            "河北省 石家庄市 长安区 育才街道",
            "小区门岗",
            "扫码登记",
            "微信扫一扫上方二维码",
            "填写信息与体温",
            "出示登记结果给工作人员",
            "外来人员请出示登记结果",
            "制作日期：2024年3月5日",
            "联防联控服务与管理系统",
        ):
            assert shown in text, shown
        assert "K7M-007" in text

    def test_text_can_be_extracted_and_searched(self) -> None:
        posters = [poster(1), poster(2, name="长安区人民医院发热门诊"), poster(3, name="K7路公交车 冀A·12345")]
        text = pdftotext(render(posters, per_page=4))
        for shown in (
            "幸福里小区1号门",
            "长安区人民医院发热门诊",
            "K7路公交车 冀A·12345",
            "K7M-001",
            "K7M-002",
            "扫码登记",
            "制作日期：2024年3月5日",
        ):
            assert shown in text

    def test_long_and_unusual_names_render(self) -> None:
        long_name = "河北省石家庄市长安区育才街道建设北大街与和平东路交叉口东南角农贸市场西门临时卡口点位（夜间通道）"
        posters = [
            poster(1, name=long_name, region_path="河北省 石家庄市 长安区 育才街道 幸福里社区 第三网格 " * 3),
            poster(2, name="𠮷野家\n快餐店\t北门", notice="请" * 200),
            poster(3, name="A" * 80, kind_label="其他", code="K7M-3QF-" * 12),
            poster(4, name="K7路公交车 冀A·12345"),
        ]
        for per_page in (1, 4):
            pdf = render(posters, per_page=per_page)
            assert page_count(pdf) == (4 if per_page == 1 else 1)
        text = pdftotext(render(posters))
        assert "〓野家 快餐店 北门" in text, "a character the font lacks shows the missing-glyph mark"
        assert "K7路公交车 冀A·12345" in text

    def test_a_qr_code_is_drawn_for_each_poster(self) -> None:
        # The symbol is one path of rectangles in module units under a `cm` that scales it into place.
        text = content_streams(render([poster(number) for number in range(5)], per_page=4))
        assert len(re.findall(rb" 0 0 [\d.]+ [\d.]+ [\d.]+ cm\n", text)) == 5

    def test_streams_in_chunks_while_reading_the_posters(self) -> None:
        read = 0

        def posters() -> Iterator[PosterInfo]:
            nonlocal read
            for number in range(400):
                read += 1
                yield poster(number)

        chunks = poster_pdf(posters(), font=FONT)
        first = next(chunks)
        assert first.startswith(b"%PDF-1.4")
        assert read < 400
        rest = b"".join(chunks)
        assert read == 400
        assert page_count(first + rest) == 400

    def test_refuses_an_empty_set_before_streaming(self) -> None:
        with pytest.raises(ValueError, match="no posters"):
            poster_pdf([], font=FONT)

    def test_refuses_other_layouts(self) -> None:
        with pytest.raises(ValueError, match="per_page"):
            poster_pdf([poster()], font=FONT, per_page=2)  # type: ignore[arg-type]


SONG = EmbeddedChinese(FONT)


class TestFitting:
    def test_a_short_name_stays_on_one_line_at_full_size(self) -> None:
        fitted = fit_title("幸福里小区北门", SONG, width=511, size=46, two_line_size=40, min_size=24)
        assert fitted.lines == ("幸福里小区北门",)
        assert fitted.size == 46

    def test_a_longer_name_breaks_between_words(self) -> None:
        fitted = fit_title(
            "长安区人民医院门诊楼东侧发热门诊预检分诊处（临时通道）",
            SONG,
            width=511,
            size=46,
            two_line_size=40,
            min_size=24,
        )
        assert fitted.lines == ("长安区人民医院门诊楼东侧", "发热门诊预检分诊处（临时通道）")
        assert all(SONG.width(line, fitted.size) <= 511 for line in fitted.lines)

    def test_a_name_too_long_for_two_lines_ends_in_an_ellipsis(self) -> None:
        fitted = fit_title("很长的卡口名称" * 12, SONG, width=511, size=46, two_line_size=40, min_size=24)
        assert fitted.size == 24
        assert len(fitted.lines) == 2
        assert fitted.lines[1].endswith(ELLIPSIS)
        assert all(SONG.width(line, 24) <= 511 for line in fitted.lines)

    def test_a_long_region_path_keeps_its_most_specific_end(self) -> None:
        fitted = fit_line(
            "河北省 石家庄市 长安区 育才街道 幸福里社区 第三网格",
            SONG,
            width=150,
            size=15,
            min_size=12,
            keep_end=True,
        )
        assert fitted.lines[0].startswith(ELLIPSIS)
        assert fitted.lines[0].endswith("第三网格")
        assert SONG.width(fitted.lines[0], fitted.size) <= 150
