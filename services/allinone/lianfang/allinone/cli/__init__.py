"""`lianfang`: the all-in-one server, each service on its own, migrations and keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from lianfang.allinone.cli import backups, processes, stores, tools
from lianfang.common.settings import SettingsError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lianfang", description="Lianfang 联防联控服务与管理系统")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    processes.add_commands(commands)
    stores.add_commands(commands)
    tools.add_commands(commands)
    backups.add_commands(commands)
    return parser


def _reason(problem: Mapping[str, Any]) -> str:
    """Our own setting checks (`SettingsError`) already say what to fix; pydantic's own problems get the variable named."""
    cause = problem.get("ctx", {}).get("error")
    if isinstance(cause, SettingsError):
        return str(cause)
    return f"LIANFANG_{'_'.join(map(str, problem['loc'])).upper()}: {problem['msg']}"


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except ValidationError as error:
        sys.exit("lianfang: " + "\n".join(_reason(problem) for problem in error.errors()))
    except SettingsError as error:
        sys.exit(f"lianfang: {error}")
    except KeyboardInterrupt:
        pass
