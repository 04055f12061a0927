#!/usr/bin/env bash
# Trains a model only when the data, domain or config changed since the newest model in models/
# (`rasa train --dry-run` compares fingerprints, including the content files the procedure
# resolver reads). Extra arguments go to `rasa train` (e.g. --force).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
TRAIN=(.venv/bin/rasa train --domain domain --config config.yml --data data --out models)
if [ $# -eq 0 ] && ls models/*.tar.gz >/dev/null 2>&1 && "${TRAIN[@]}" --dry-run >/dev/null 2>&1; then
  echo "[train] nothing changed since $(ls -t models/*.tar.gz | head -1): no training"
  exit 0
fi
exec "${TRAIN[@]}" "$@"
