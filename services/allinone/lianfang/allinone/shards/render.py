"""Every engine's configuration from the one shard map; `deploy/mycat/` and `deploy/shardingsphere/` are its output."""

from __future__ import annotations

from pathlib import Path

from lianfang.allinone.shards.mycat import mycat_files
from lianfang.allinone.shards.shardingsphere import shardingsphere_files
from lianfang.common.contracts.records import RecordsBase
from lianfang.common.shards import ShardMap

__all__ = ["render", "rendered", "sharded_tables"]


def sharded_tables() -> list[str]:
    """Every table of the records store: each carries `city_code` in every unique key."""
    return sorted(RecordsBase.metadata.tables)


def rendered(shard_map: ShardMap) -> dict[Path, str]:
    """The files by their path under `deploy/`."""
    tables = sharded_tables()
    return {
        **{Path("mycat") / name: text for name, text in mycat_files(shard_map, tables).items()},
        **{Path("shardingsphere") / name: text for name, text in shardingsphere_files(shard_map, tables).items()},
    }


def render(map_path: Path, deploy: Path) -> list[Path]:
    """Write the files under `deploy`; answers the paths written."""
    written = []
    for path, text in rendered(ShardMap.load(map_path)).items():
        target = deploy / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written
