#!/usr/bin/env bash
# What `make cluster` needs beyond Python: nginx, Redis, Prometheus, and for SHARDS=2 MariaDB with the Spider engine, from the
# distribution's packages (Debian and Ubuntu; apt-get as root, or through sudo). The system's own services are left
# alone: the cluster runs its own nginx, Redis and MariaDB servers with their own files and ports.
set -euo pipefail

packages=()
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  packages+=(nginx)
fi
if ! command -v redis-server >/dev/null 2>&1; then
  packages+=(redis-server)
fi
# Prometheus scrapes every process with the alert rules of deploy/prometheus/; CI checks those rules with its promtool.
# Installed without its recommends (node_exporter and the web console libraries), which the cluster does not use.
lean=()
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  lean+=(prometheus)
fi
if [ "${SHARDS:-0}" != "0" ] && [ ! -e /usr/lib/mysql/plugin/ha_spider.so ]; then
  packages+=(mariadb-server mariadb-plugin-spider)
fi
if [ ${#packages[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cluster: ${packages[*]} ${lean[*]} missing; install them with your system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "cluster: installing ${packages[*]} ${lean[*]} (apt-get install)"
$sudo apt-get update -qq
# With systemd, the packages also start the system's own nginx (port 80), Redis (6379), MariaDB (3306) and Prometheus (9090): they do not
# get in the way, the cluster's servers have their own ports and files.
if [ ${#packages[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if [ ${#lean[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
fi
