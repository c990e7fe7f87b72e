#!/usr/bin/env bash
# The distribution packages Lianfang's commands need beyond Python and Node, installed when missing (Debian and Ubuntu;
# apt-get as root, or through sudo). The one place that knows them: `make test` and `.ci/run` ask for `test`,
# `make cluster` for `cluster`, and `shards` comes with a sharded records store. The machine's own services are left as
# they are: the cluster and the tests run their own nginx, Redis and MariaDB servers with their own files and ports.
#
#   test     Chromium's headless shell and a CJK font (the browser tests), the TrueType Chinese font PDFs embed
#            (posters, 流调报告), poppler and zbar (posters read back), nginx (the suites that go through it),
#            Prometheus (promtool checks the alert rules and the cluster's configuration), RabbitMQ (the fault suite
#            restarts a node of its own), MariaDB and mariadb-backup (the backup drills start servers of their own and
#            restore a physical backup into one)
#   cluster  nginx, Redis, Prometheus (it scrapes every process) and its node exporter (the host's disks, memory, CPU),
#            the Chinese font PDFs embed
#   shards   MariaDB with the Spider engine
#
# Usage: deploy/install-packages.sh GROUP...
set -euo pipefail

# package, then the check that tells it is already there
wanted() {
  case "$1" in
    test)
      echo "chromium-headless-shell [ -x /usr/bin/chromium-headless-shell ]"
      echo "fonts-noto-cjk fc-list :lang=zh | grep -q ."
      echo "fonts-wqy-microhei [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]"
      echo "poppler-utils command -v pdftotext"
      echo "zbar-tools command -v zbarimg"
      echo "nginx command -v nginx || [ -x /usr/sbin/nginx ]"
      echo "prometheus command -v promtool"
      echo "rabbitmq-server [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]"
      echo "mariadb-server command -v mariadbd || [ -x /usr/sbin/mariadbd ]"
      echo "mariadb-backup command -v mariadb-backup"
      ;;
    cluster)
      echo "nginx command -v nginx || [ -x /usr/sbin/nginx ]"
      echo "libnginx-mod-http-brotli-static [ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]"
      echo "redis-server command -v redis-server"
      echo "prometheus command -v prometheus"
      echo "prometheus-node-exporter command -v prometheus-node-exporter"
      echo "fonts-wqy-microhei [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]"
      ;;
    shards)
      echo "mariadb-server command -v mariadbd || [ -x /usr/sbin/mariadbd ]"
      echo "mariadb-plugin-spider [ -e /usr/lib/mysql/plugin/ha_spider.so ]"
      ;;
    *)
      echo "install-packages: unknown group '$1' (test, cluster, shards)" >&2
      exit 2
      ;;
  esac
}

for group in "$@"; do
  wanted "$group" >/dev/null
done
missing=()
for group in "$@"; do
  while read -r package check; do
    if ! bash -c "$check" >/dev/null 2>&1 && [[ " ${missing[*]} " != *" $package "* ]]; then
      missing+=("$package")
    fi
  done < <(wanted "$group")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-packages: ${missing[*]} missing; install them with your system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "installing ${missing[*]} (apt-get install)"
# Another apt-get at work (a second checkout's tests, say) is waited for rather than failed on.
apt=(apt-get -o DPkg::Lock::Timeout=300)
$sudo "${apt[@]}" update -qq
# With systemd, the packages also start the system's own nginx (port 80), Redis (6379), MariaDB (3306) and Prometheus
# (9090): they do not get in the way.
DEBIAN_FRONTEND=noninteractive $sudo "${apt[@]}" install -y -qq "${missing[@]}" >/dev/null
