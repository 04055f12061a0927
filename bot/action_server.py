"""Starts the action server (rasa_sdk) on loopback, answering only Rasa.

    python -m bot.action_server --actions actions --port 5055

rasa_sdk 3.6 has neither an interface option (it binds SANIC_HOST, default 0.0.0.0) nor an
authentication hook, and a forged `POST /webhook` runs any action in any conversation. This
entry point builds rasa_sdk's own app (`rasa_sdk.endpoint.create_app`, same routes, same
options) and adds:
- a shared secret: every request but `GET /health` must carry the header `X-Action-Secret`
  equal to ACTION_SERVER_SECRET (Rasa sends it from `endpoints.yml` `action_endpoint.headers`);
  without the secret set, the server does not start (nor without DOSSIER_HASH_KEY, unless the
  dossiers come from the remote one-stop API);
- binding to SANIC_HOST, default 127.0.0.1 (set it to a private address to reach the action
  server from Rasa servers on other hosts);
- no CORS (only Rasa calls it), a capped request size, security headers, and a crashing action
  answered with a bare 500 and one log line (rasa_sdk's own handler returns the request body,
  conversation included, which Rasa then logs).
"""

from __future__ import annotations

import hmac
import logging
import os
import traceback
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from sanic import Sanic, response
from sanic.request import Request

from bot.rasa_server import security_headers

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Action-Secret"
DEFAULT_HOST = "127.0.0.1"
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # a tracker with a long conversation; far below Sanic's 100 MB


def require_shared_secret(secret: str):
    expected = secret.encode("utf-8")

    async def check(request: Request):
        if request.path == "/health":
            return None
        supplied = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(supplied, expected):
            logger.warning("Refused an action server request without the shared secret (%s).", request.path)
            return response.json({"error": "forbidden"}, status=403)
        return None

    return check


def _where(exception: BaseException) -> str:
    frames = traceback.extract_tb(exception.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


async def action_failed(request: Request, exception: Exception):
    # One line, no message text: an exception's message may quote what the citizen wrote.
    try:
        action = (request.json or {}).get("next_action")
    except Exception:  # noqa: BLE001 - an unreadable body is itself the failure
        action = None
    logger.error("An action server request failed: %s at %s (action %s)", type(exception).__name__, _where(exception), action)
    status = getattr(exception, "status_code", 500)
    return response.json({"error": "action failed" if status >= 500 else "bad request"}, status=status)


def create_action_app(secret: str, actions_package: str = "actions", auto_reload: bool = False) -> Sanic:
    if not secret:
        raise ValueError("the action server needs a shared secret")
    app = create_app(actions_package, cors_origins=None, auto_reload=auto_reload)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.register_middleware(require_shared_secret(secret), "request")
    app.register_middleware(security_headers, "response")
    app.error_handler.add(Exception, action_failed)
    return app


def main(argv: Optional[List[str]] = None) -> None:
    args = create_argument_parser().parse_args(argv)
    secret = os.environ.get("ACTION_SERVER_SECRET")
    if not secret:
        raise SystemExit("ACTION_SERVER_SECRET is not set (see scripts/env.sh); the action server will not start.")
    if not os.environ.get("DOSSIER_HASH_KEY") and not os.environ.get("ONESTOP_API_URL"):
        # The local dossier check hashes phone numbers with it: no key, no check.
        raise SystemExit("DOSSIER_HASH_KEY is not set (see scripts/env.sh); the action server will not start.")
    # The same logging set-up as `rasa run actions`.
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()

    app = create_action_app(secret, args.actions, args.auto_reload)
    host = os.environ.get("SANIC_HOST") or DEFAULT_HOST
    logger.info("Action server on http://%s:%s (shared secret required)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
