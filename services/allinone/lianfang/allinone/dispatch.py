from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PrefixDispatcher"]


class PrefixDispatcher:
    """Routes by path prefix to each service's own app without rewriting the path — what nginx does in the cluster, so
    every service sees the same paths in both ways of running. Anything else, and the lifespan, goes to `fallback`."""

    def __init__(self, routes: dict[str, ASGIApp], fallback: ASGIApp) -> None:
        self.routes = sorted(routes.items(), key=lambda route: len(route[0]), reverse=True)
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, app in self.routes:
                if path == prefix or path.startswith(prefix + "/"):
                    await app(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)
