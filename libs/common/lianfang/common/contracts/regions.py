"""How regions are named across services: integer ids and materialised paths of ancestor ids."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ROOT_REGION_ID", "ROOT_REGION_PATH", "region_path"]

# The registry creates the root region with this id at its first start, and the gateway binds the root admin to it, so
# neither has to ask the other at start-up.
ROOT_REGION_ID = 1


def region_path(ancestor_ids: Iterable[int]) -> str:
    """`/1/7/42/` for region 42 under 7 under the root: `startswith` on paths is the scope test, in SQL and in code."""
    return "/" + "".join(f"{region_id}/" for region_id in ancestor_ids)


ROOT_REGION_PATH = region_path([ROOT_REGION_ID])
