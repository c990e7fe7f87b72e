"""What the WeChat mini-program needs of the whole server, in one process in dev mode (WeChat's fake in-process)."""

from __future__ import annotations

import struct

import pytest

from .conftest import System
from .test_pipeline import setup_gate

pytestmark = pytest.mark.usefixtures("backend")


async def test_a_checkpoints_mini_program_code_is_a_real_png(system: System) -> None:
    root, gate, _ = await setup_gate(system)

    response = await system.client.get(f"/api/registry/checkpoints/{gate['id']}/wxacode.png", headers=root)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", response.content[16:24]) == (430, 430)


async def test_a_poster_can_carry_the_mini_program_code_instead_of_the_qr_code(system: System) -> None:
    root, gate, _ = await setup_gate(system)

    with_code = await system.client.get(
        f"/api/registry/checkpoints/{gate['id']}/poster.pdf", params={"code": "wxacode"}, headers=root
    )
    with_qr = await system.client.get(f"/api/registry/checkpoints/{gate['id']}/poster.pdf", headers=root)

    assert with_code.status_code == 200
    assert b"/Subtype /Image /Width 860 /Height 860 /ColorSpace /DeviceGray" in with_code.content
    assert b"/Subtype /Image" not in with_qr.content
