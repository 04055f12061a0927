#!/usr/bin/env bash
# What the scaled-out setup needs on top of scripts/setup.sh: HAProxy and redis-server from
# Debian's packages (PostgreSQL and Redis themselves are expected to run already).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup-scale] installing ${missing[*]} (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "ERROR: run 'sudo apt-get install ${missing[*]}'" >&2; exit 1
  fi
fi
