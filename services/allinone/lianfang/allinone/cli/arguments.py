"""What the command groups share: the sub-command list they add to and the argument types."""

from __future__ import annotations

import argparse
import os
from typing import TypeAlias

from lianfang.common.observability import configure_logging

__all__ = ["Commands", "log_to_console", "positive"]

# A string: argparse's class takes no type argument at run time.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def log_to_console(default_level: str) -> None:
    configure_logging(os.environ.get("LIANFANG_LOG_LEVEL", default_level))
