#!/usr/bin/env bash
# Idempotent project setup: finds Python 3.10, creates .venv, installs the pinned
# dependencies, Debian's Chromium for the browser tests, and builds the web widget.
# Each step is skipped when its inputs have not changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STAMPS=.venv/.stamps

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

find_python() {
  local want="3.10" candidate
  if command -v pyenv >/dev/null 2>&1 && [ -f .python-version ]; then
    candidate=$(pyenv which "python$want" 2>/dev/null || true)
    [ -n "$candidate" ] && { echo "$candidate"; return; }
  fi
  for candidate in "python$want" "$HOME/.pyenv/versions/$(cat .python-version 2>/dev/null)/bin/python$want" python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != (3, 10))" 2>/dev/null; then
      command -v "$candidate"; return
    fi
  done
  echo "ERROR: Rasa 3.6 needs Python 3.10. Install it (e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv') and re-run." >&2
  exit 1
}

changed() {  # changed NAME FILE... -> true when the files' hash differs from the stamp
  local name=$1; shift
  local sum; sum=$(cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$(cat "$STAMPS/$name" 2>/dev/null)" != "$sum" ] && { echo "$sum" > "$STAMPS/$name.new"; return 0; }
  return 1
}
mark() { mv "$STAMPS/$1.new" "$STAMPS/$1"; }

# Prerequisites first, so a missing tool is reported before anything is half-installed.
missing=()
command -v node >/dev/null 2>&1 || missing+=("Node.js (e.g. 'apt-get install nodejs')")
command -v npm >/dev/null 2>&1 || missing+=("npm (e.g. 'apt-get install npm')")
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
  missing+=("Chromium for the browser tests ('sudo apt-get install chromium')")
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'ERROR: missing prerequisites; install them and re-run:\n' >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  PY=$(find_python)
  log "creating .venv with $PY"
  "$PY" -m venv .venv
  # Only in a new environment: later, an upgrade here would lift setuptools and packaging past Rasa's
  # pins until the project install below puts them back (pip prints a conflict ERROR meanwhile).
  .venv/bin/python -m pip install --quiet --upgrade "pip<24.1" setuptools wheel
fi
mkdir -p "$STAMPS"

if changed python pyproject.toml; then
  log "installing Python dependencies (first time takes a few minutes)"
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  mark python
fi

# The web apps' environment: the web server (and the staff console) on a current aiohttp, apart
# from Rasa's pinned stack. Its packages are the `web-apps` list in pyproject.toml.
if [ ! -x .venv-web/bin/python ]; then
  log "creating .venv-web (web apps' environment)"
  "$(find_python)" -m venv .venv-web
fi
if changed web-apps pyproject.toml || [ ! -f .venv-web/.installed ]; then
  log "installing the web apps' dependencies into .venv-web"
  mapfile -t WEB_APPS_REQUIREMENTS < <(.venv/bin/python - <<'PY'
try:
    import tomllib
except ImportError:  # Python 3.10: pytest's tomli, else the copy inside pip
    try:
        import tomli as tomllib
    except ImportError:
        from pip._vendor import tomli as tomllib
with open("pyproject.toml", "rb") as handle:
    print("\n".join(tomllib.load(handle)["project"]["optional-dependencies"]["web-apps"]))
PY
)
  .venv-web/bin/python -m pip install --quiet --upgrade "pip<24.1"
  .venv-web/bin/python -m pip install --quiet "${WEB_APPS_REQUIREMENTS[@]}"
  touch .venv-web/.installed
  mark web-apps
fi

if ! command -v chromium >/dev/null 2>&1; then  # as root (CI): installed here; otherwise checked above
  log "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [ -f web/widget/package.json ]; then
  if changed npm web/widget/package.json web/widget/package-lock.json; then
    log "installing widget build tools (npm)"
    (cd web/widget && npm ci --no-audit --no-fund --loglevel=error)
    mark npm
  fi
  if changed widget web/widget/src/* web/widget/package-lock.json || [ ! -f web/static/widget.js ]; then
    log "building the widget bundle"
    (cd web/widget && npm run --silent build)
    mark widget
  fi
fi
log "ready"
