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
