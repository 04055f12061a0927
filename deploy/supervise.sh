#!/usr/bin/env bash
# A minimal supervisor: runs the command, and starts it again whenever it exits (crash, kill),
# after a short pause. SIGTERM/SIGINT stop the command and the supervisor.
#   deploy/supervise.sh NAME COMMAND...
set -uo pipefail
name=$1; shift
child=
stop() { [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0; }
trap stop TERM INT
while true; do
  "$@" &
  child=$!
  wait "$child"
  code=$?
  echo "[supervise] $name exited with $code; restarting in 1 s" >&2
  sleep 1
done
