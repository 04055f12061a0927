#!/usr/bin/env bash
# The whole assistant in one command: installs what is missing, fills the knowledge store,
# trains when needed, then starts the Rasa server, the action server and the web server.
# Ctrl-C stops them all (honcho forwards the signal to every process).
#
#   bash scripts/run.sh --demo-dossiers   also loads the fictional demo dossiers (README, Dossier status lookup)
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DOSSIERS=false
for arg in "$@"; do
  case $arg in
    --demo-dossiers) DEMO_DOSSIERS=true ;;
    *) echo "usage: bash scripts/run.sh [--demo-dossiers]" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
. scripts/env.sh

echo "[run] loading the knowledge store ($DATABASE_URL)"
.venv/bin/python -m knowledge load
if $DEMO_DOSSIERS; then
  .venv/bin/python -m knowledge.dossiers seed-demo
fi
echo "[run] preparing the console's tables ($CONSOLE_DATABASE_URL)"
.venv/bin/python -m console migrate
echo "[run] training if the data changed since the last model"
bash scripts/train.sh

cat <<MSG

  Citizen widget (demo portal page): http://$HOST:$WEB_PORT/
  Rasa server (REST webhook):         $RASA_URL/webhooks/rest/webhook
  Rasa HTTP API (JWT, internal):      $RASA_URL/conversations/<id>/tracker
  Action server:                      http://$HOST:$ACTION_PORT/health
  Support staff console:              http://$CONSOLE_HOST:$CONSOLE_PORT/  (first start prints a one-time password;
                                      more accounts: .venv/bin/python -m console users add NAME --role staff)

  Stop everything with Ctrl-C.

MSG
exec .venv/bin/honcho start -f Procfile
