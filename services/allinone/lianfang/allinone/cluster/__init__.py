"""`lianfang cluster up|down|status`: the cluster on one machine, without Docker.

One module per concern: `settings` (where it lives, what it talks to), `procfile` (process types and instances),
`nginx` and `certificates` (the front's configuration), `environment` and `databases` (what every process is given),
`daemon` (up and down), `supervisor` (running and restarting the processes), `processes` and `status` (finding and
showing them).
"""

from lianfang.allinone.cluster.daemon import cluster_down, cluster_up
from lianfang.allinone.cluster.nginx import nginx_values, render_template
from lianfang.allinone.cluster.procfile import Instance, instances, parse_procfile
from lianfang.allinone.cluster.settings import ClusterSettings
from lianfang.allinone.cluster.status import print_state
from lianfang.allinone.cluster.supervisor import supervise

__all__ = [
    "ClusterSettings",
    "Instance",
    "cluster_down",
    "cluster_up",
    "instances",
    "nginx_values",
    "parse_procfile",
    "print_state",
    "render_template",
    "supervise",
]
