from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lianfang.common.chinese_font import DEBIAN_CHINESE_FONT, FALLBACK_FONT, ChineseFontSettings, load_chinese_font


def test_the_debian_font_is_the_default_and_is_embedded() -> None:
    font = load_chinese_font(ChineseFontSettings().chinese_font_path)

    assert ChineseFontSettings().chinese_font_path == DEBIAN_CHINESE_FONT
    assert font.embedded
    assert font.ttf is not None
    assert font.ttf.face.name == b"WenQuanYiMicroHei"
    # Chinese characters are full-width in a CJK font.
    assert font.width("流调报告", 10) == pytest.approx(40)


def test_the_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIANFANG_CHINESE_FONT_PATH", str(tmp_path / "font.ttf"))
    monkeypatch.setenv("LIANFANG_CHINESE_FONT_INDEX", "1")

    settings = ChineseFontSettings()

    assert (settings.chinese_font_path, settings.chinese_font_index) == (tmp_path / "font.ttf", 1)


def test_a_missing_file_falls_back_to_stsong_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing = tmp_path / "wqy-microhei.ttc"

    with caplog.at_level(logging.WARNING, logger="lianfang.fonts"):
        first = load_chinese_font(missing)
        again = load_chinese_font(missing)

    assert (first.name, first.embedded) == (FALLBACK_FONT, False)
    assert again is first
    [warning] = caplog.records
    assert str(missing) in warning.getMessage()
    assert "LIANFANG_CHINESE_FONT_PATH" in warning.getMessage()
    assert "fonts-wqy-microhei" in warning.getMessage()
