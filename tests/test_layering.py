"""The import direction of STYLE.md, checked on every module of the workspace.

`common` imports only third-party packages; a service imports `common` and itself; only `allinone` imports services; inside a
service, router → service → repository → models and never back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {path.parent.name: path.parent for path in ROOT.glob("*/*/lianfang/*/__init__.py")}
# Layers inside a service, lowest first: a module may import its own layer or lower ones.
LAYERS = ["models", "repository", "service", "router"]


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def sources(package: str) -> list[Path]:
    return sorted(PACKAGES[package].rglob("*.py"))


def layer(module: str) -> int | None:
    name = module.rsplit(".", 1)[-1]
    return LAYERS.index(name) if name in LAYERS else None


def test_every_member_is_found() -> None:
    assert set(PACKAGES) == {"common", "gateway", "registry", "checkin", "trace", "ingest", "allinone"}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_packages_import_only_what_they_may(package: str) -> None:
    allowed = {"common", package} | (set(PACKAGES) if package == "allinone" else set())
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module in imported_modules(path)
        if module.startswith("lianfang.") and module.split(".")[1] not in allowed
    ]
    assert offences == []


@pytest.mark.parametrize("package", sorted(set(PACKAGES) - {"common", "allinone"}))
def test_layers_point_downwards(package: str) -> None:
    offences = []
    for path in sources(package):
        own = layer(path.stem)
        if own is None:
            continue
        for module in imported_modules(path):
            other = layer(module) if module.startswith(f"lianfang.{package}.") else None
            if other is not None and other > own:
                offences.append(f"{path.relative_to(ROOT)} ({LAYERS[own]}) imports {module} ({LAYERS[other]})")
    assert offences == []
