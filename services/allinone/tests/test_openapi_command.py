"""`lianfang openapi`: the documents the web pages' types are generated from are the services' own, as committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lianfang.allinone.cli import main

COMMITTED = Path(__file__).resolve().parents[3] / "web" / "shared" / "openapi"


def test_writes_every_service_document_exactly_as_committed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["openapi", str(tmp_path)])

    written = ["gateway.json", "registry.json", "checkin.json", "trace.json"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(written)
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / name) for name in written]
    for name in written:
        # A service's API changed without `make types`: the web pages' generated types no longer describe it.
        assert (tmp_path / name).read_text(encoding="utf-8") == (COMMITTED / name).read_text(encoding="utf-8"), (
            f"web/shared/openapi/{name} is stale: run `make types` and commit the result"
        )
