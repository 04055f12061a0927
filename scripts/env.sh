# The one place where every process gets its settings: environment variables with defaults.
# Sourced by run.sh, test.sh and train.sh; override any of them in your shell or in a .env file.
# shellcheck disable=SC2034
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
[ -f "$ROOT/.env" ] && set -a && . "$ROOT/.env" && set +a

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$ROOT/var"

export HOST=${HOST:-127.0.0.1}
export RASA_PORT=${RASA_PORT:-5005}
export ACTION_PORT=${ACTION_PORT:-5055}
export WEB_PORT=${WEB_PORT:-8080}
export RASA_URL=${RASA_URL:-http://$HOST:$RASA_PORT}
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://$HOST:$ACTION_PORT/webhook}

# Knowledge store and tracker store: embedded SQLite unless a URL says otherwise.
export DATABASE_URL=${DATABASE_URL:-sqlite:///$ROOT/var/knowledge.db}
export TRACKER_STORE_URL=${TRACKER_STORE_URL:-sqlite:///$ROOT/var/tracker.db}
# Rasa's event stream (SQL table, or amqp://guest:guest@127.0.0.1:5672/%2F?queue=NAME for RabbitMQ)
# and the support staff console that reads it (its own tables, loopback only by default).
export EVENT_BROKER_URL=${EVENT_BROKER_URL:-sqlite:///$ROOT/var/events.db}
export CONSOLE_DATABASE_URL=${CONSOLE_DATABASE_URL:-sqlite:///$ROOT/var/console.db}
export CONSOLE_HOST=${CONSOLE_HOST:-127.0.0.1}
export CONSOLE_PORT=${CONSOLE_PORT:-8090}

# Secrets: generated once per machine into var/secrets.env (never committed) unless given;
# a secret added later is appended to an existing file. Processes get them from the
# environment, never on their command line (the process list is readable by every local user).
umask_before=$(umask); umask 077
touch "$ROOT/var/secrets.env"
for key in JWT_SECRET DOSSIER_HASH_KEY ACTION_SERVER_SECRET SOCKETIO_SESSION_SECRET CLIENT_ADDRESS_SECRET CONSOLE_SECRET_KEY; do
  grep -q "^$key=" "$ROOT/var/secrets.env" ||
    echo "$key=$(head -c 32 /dev/urandom | base64 | tr -d '\n=')" >> "$ROOT/var/secrets.env"
done
umask "$umask_before"
while IFS='=' read -r key value; do
  [ -z "${!key:-}" ] && export "$key=$value"
done < "$ROOT/var/secrets.env"
export JWT_SECRET DOSSIER_HASH_KEY ACTION_SERVER_SECRET SOCKETIO_SESSION_SECRET CLIENT_ADDRESS_SECRET CONSOLE_SECRET_KEY

# Browser origins of the pages that embed the widget (comma-separated): the only ones Rasa's
# CORS, its socket.io channel and the web server's socket.io proxy accept.
export PORTAL_ORIGINS=${PORTAL_ORIGINS:-http://$HOST:$WEB_PORT}
