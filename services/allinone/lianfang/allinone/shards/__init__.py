"""`lianfang shards render`: MyCat's and ShardingSphere's configuration of the records store from `deploy/shards.toml`."""

from lianfang.allinone.shards.render import render, sharded_tables

__all__ = ["render", "sharded_tables"]
