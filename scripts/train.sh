#!/usr/bin/env bash
# Trains a model when none matches the current data, domain and config (Rasa compares
# fingerprints and reuses the newest model in models/ when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
exec .venv/bin/rasa train --domain domain --config config.yml --data data --out models "$@"
