#!/usr/bin/env bash
# The assistant scaled out on one machine: 2 Rasa processes sharing a PostgreSQL tracker store
# and a Redis lock store, 2 action servers, HAProxy in front (deploy/Procfile.scaled).
# Settings (defaults below; override in .env or the shell):
#   SCALE_PG_URL     PostgreSQL server (databases <prefix>_tracker and <prefix>_knowledge are created)
#   SCALE_DB_PREFIX  database name prefix; REDIS_HOST/REDIS_PORT/REDIS_DB/REDIS_KEY_PREFIX the lock store
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-scale.sh
. scripts/env.sh

export SCALE_PORT=${SCALE_PORT:-19005}                 # citizens (REST + socket.io) via HAProxy
export SCALE_ACTIONS_PORT=${SCALE_ACTIONS_PORT:-19055}   # Rasa -> action servers via HAProxy
export SCALE_RASA1_PORT=${SCALE_RASA1_PORT:-19011} SCALE_RASA2_PORT=${SCALE_RASA2_PORT:-19012}
export SCALE_ACTIONS1_PORT=${SCALE_ACTIONS1_PORT:-19061} SCALE_ACTIONS2_PORT=${SCALE_ACTIONS2_PORT:-19062}
SCALE_PG_URL=${SCALE_PG_URL:-postgresql://postgres@127.0.0.1:5432}
SCALE_DB_PREFIX=${SCALE_DB_PREFIX:-citizen_scale}
export TRACKER_STORE_URL=$SCALE_PG_URL/${SCALE_DB_PREFIX}_tracker
export DATABASE_URL=$SCALE_PG_URL/${SCALE_DB_PREFIX}_knowledge
export REDIS_HOST=${REDIS_HOST:-127.0.0.1} REDIS_PORT=${REDIS_PORT:-6379} REDIS_DB=${REDIS_DB:-1}
export REDIS_KEY_PREFIX=${REDIS_KEY_PREFIX:-citizenscale}
export ACTION_ENDPOINT_URL=http://$HOST:$SCALE_ACTIONS_PORT/webhook
export RASA_URL=http://$HOST:$SCALE_PORT
export SANIC_HOST=$HOST   # action servers on loopback only

for db in "${SCALE_DB_PREFIX}_tracker" "${SCALE_DB_PREFIX}_knowledge"; do
  psql "$SCALE_PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
    || psql "$SCALE_PG_URL/postgres" -qc "CREATE DATABASE $db"
done
echo "[run-scaled] loading the knowledge store ($DATABASE_URL)"
.venv/bin/python -m knowledge load
.venv/bin/python -m knowledge.dossiers seed-demo
bash scripts/train.sh
mkdir -p var/scale
.venv/bin/python -m deploy.haproxy --listen "$SCALE_PORT" --rasa "$SCALE_RASA1_PORT" "$SCALE_RASA2_PORT" \
  --actions-listen "$SCALE_ACTIONS_PORT" --actions "$SCALE_ACTIONS1_PORT" "$SCALE_ACTIONS2_PORT" > var/scale/haproxy.cfg

cat <<MSG

  Citizen widget:            http://$HOST:$WEB_PORT/
  REST + socket.io (HAProxy): $RASA_URL/webhooks/rest/webhook
  Rasa processes:            http://$HOST:$SCALE_RASA1_PORT  http://$HOST:$SCALE_RASA2_PORT
  Tracker store:             $TRACKER_STORE_URL    lock store: redis://$REDIS_HOST:$REDIS_PORT/$REDIS_DB ($REDIS_KEY_PREFIX)

MSG
exec .venv/bin/honcho start -f deploy/Procfile.scaled
