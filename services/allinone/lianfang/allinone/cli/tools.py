"""Commands for operators and developers: OpenAPI documents, login locks, production keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from lianfang.allinone.cli.arguments import Commands

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    openapi = commands.add_parser(
        "openapi", help="write each service's OpenAPI document (what `make types` generates the web pages' types from)"
    )
    openapi.add_argument("directory", nargs="?", default="web/shared/openapi", help="default web/shared/openapi")
    openapi.set_defaults(handler=_openapi)

    unlock = commands.add_parser(
        "unlock", help="lift the login lock of an admin or gate keeper from every address (LIANFANG_REDIS_URL)"
    )
    unlock.add_argument("username")
    unlock.set_defaults(handler=_unlock)

    keygen = commands.add_parser("keygen", help="print a new token signing key pair and a PII key for production")
    keygen.set_defaults(handler=_keygen)


def _openapi(args: argparse.Namespace) -> None:
    from lianfang.allinone.openapi import write_documents

    for path in write_documents(Path(args.directory)):
        print(path)


def _unlock(args: argparse.Namespace) -> None:
    from lianfang.common.cache import connect_cache
    from lianfang.gateway.sessions.lockout import unlock
    from lianfang.gateway.settings import GatewaySettings

    redis_url = GatewaySettings().redis_url
    if redis_url.startswith("memory:"):
        sys.exit(
            "lianfang: LIANFANG_REDIS_URL is memory://: the all-in-one server keeps login locks in its own memory, "
            "where they end with its restart (or after LIANFANG_LOGIN_LOCK_MINUTES); a superior's password reset "
            "lifts one too"
        )

    async def run() -> int:
        cache = connect_cache(redis_url)
        try:
            return await unlock(cache, args.username)
        finally:
            await cache.aclose()

    print(f"unlocked {args.username!r} ({asyncio.run(run())} addresses were locked or counting)")


def _keygen(args: argparse.Namespace) -> None:
    from lianfang.allinone.keys import generate_keys

    for name, value in generate_keys().items():
        print(f"{name}={value}")
