#!/usr/bin/env bash
# What `make cluster` needs beyond Python: nginx, from the distribution's packages (Debian and Ubuntu; apt-get as root,
# or through sudo). The system's own nginx service is left alone: the cluster runs its own nginx with its own files.
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cluster: nginx is missing; install it with your system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "cluster: installing nginx (apt-get install nginx)"
$sudo apt-get update -qq
# With systemd, the package also starts the system's own nginx on port 80: it does not get in the way, the cluster's
# nginx has its own ports and files.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx >/dev/null
