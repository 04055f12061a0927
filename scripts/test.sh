#!/usr/bin/env bash
# The whole test suite: lint and types, unit tests, store tests (SQLite, and PostgreSQL when
# TEST_POSTGRES_URL is set), real servers, `rasa test` stories and browser tests. Extra args go to pytest.
#
#   bash scripts/test.sh --unit [pytest args]   the inner loop: no setup, no real servers, no browser
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--unit" ]; then
  shift
  . scripts/env.sh
  .venv/bin/ruff check --quiet .
  .venv/bin/ruff format --check --quiet .
  .venv/bin/mypy
  exec .venv/bin/pytest -m "not servers and not browser" "$@"
fi
bash scripts/setup.sh
. scripts/env.sh

echo "[test] lint and format (ruff) and types (mypy)"
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy

echo "[test] checking the knowledge content and the NLU data generated from it"
.venv/bin/python -m knowledge check
.venv/bin/python -m bot.nlu.generate --check
echo "[test] validating the Rasa data"
.venv/bin/rasa data validate --domain domain --config config.yml --data data --fail-on-warnings >/dev/null 2>var/validate.log \
  || { cat var/validate.log; exit 1; }

exec .venv/bin/pytest "$@"
