"""Starts the Rasa server (`rasa run`) with its secrets from the environment and a hardened app.

    python -m bot.rasa_server --model models --endpoints endpoints.yml --credentials credentials.yml \
        --interface 127.0.0.1 --port 5005 --enable-api

Takes every `rasa run` option except the ones that would put a secret or a wildcard on the
command line, where any local user reads it from the process list:
- the HTTP API's JWT key comes from JWT_SECRET (`--jwt-secret` is refused here); Rasa receives
  it in this process's own argument list, which the process list never shows;
- CORS allows only PORTAL_ORIGINS (comma-separated; none: no cross-origin access at all).
The app Rasa builds is then hardened (`harden`): API tokens must be valid HS256 JWTs with an
expiry (a token without `exp`, with `alg: none` or malformed gets 401, never a 500), request
bodies and WebSocket frames are capped, and every response carries the security headers.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import List, Optional

import jwt
from sanic import Sanic, response
from sanic.request import Request

from bot.channels.origins import portal_origins

logger = logging.getLogger(__name__)

# Largest request body Rasa reads (Sanic's default is 100 MB). The API's biggest legitimate
# bodies (tracker events, a story test) are far smaller; the public webhook caps itself at 16 KB.
MAX_REQUEST_BYTES = 1024 * 1024
MAX_WEBSOCKET_FRAME_BYTES = 64 * 1024
JWT_METHOD = "HS256"
# Paths of the public channels: they do not use the API's JWT (socket.io checks its own).
CHANNEL_PATHS = ("/webhooks/", "/socket.io")
SECRET_OPTIONS = ("--jwt-secret", "--auth-token", "--jwt-private-key")


def security_headers(request: Request, resp) -> None:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.scheme in ("https", "wss"):
        resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def refuse_weak_tokens(secret: str):
    """A request middleware: an API request that brings a bearer token must bring a valid one
    with an expiry; otherwise 401 here, before sanic-jwt (which accepts tokens without `exp`)."""

    async def check(request: Request):
        if request.path.startswith(CHANNEL_PATHS):
            return None
        header = request.headers.get("Authorization")
        if header is None:
            return None  # Rasa's own check answers 401 where a token is needed
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise jwt.InvalidTokenError("not a bearer token")
            jwt.decode(token.strip(), secret, algorithms=[JWT_METHOD], options={"require": ["exp"]})
        except jwt.PyJWTError as error:
            logger.info("Refused an API token: %s.", type(error).__name__)
            return response.json(
                {"status": "failure", "reason": "NotAuthenticated", "message": "A valid HS256 token with an expiry (exp) is required.", "code": 401},
                status=401,
            )
        return None

    return check


def freeze_loaded_objects(app: Sanic, _loop) -> None:
    """Moves everything alive once the model is loaded (Rasa, TensorFlow, the model) out of the
    garbage collector's reach: they live as long as the process, and every full collection
    walked them again (about 2 % of the server's CPU under load, benchmarks/REPORT.md)."""
    gc.collect()
    gc.freeze()
    logger.info("Froze %d objects loaded at start-up out of the garbage collector's scans.", gc.get_freeze_count())


def harden(app: Sanic, jwt_secret: str) -> Sanic:
    app.register_listener(freeze_loaded_objects, "after_server_start")
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.WEBSOCKET_MAX_SIZE = MAX_WEBSOCKET_FRAME_BYTES
    app.register_middleware(refuse_weak_tokens(jwt_secret), "request")
    app.register_middleware(security_headers, "response")
    return app


def rasa_arguments(argv: List[str], environ=os.environ) -> List[str]:
    """The `rasa run` arguments, with the secrets and CORS origins from the environment."""
    for option in SECRET_OPTIONS:
        if any(arg == option or arg.startswith(option + "=") for arg in argv):
            raise SystemExit(f"{option} is not accepted on the command line: set it in the environment.")
    if "--cors" in argv:
        raise SystemExit("--cors is not accepted: set PORTAL_ORIGINS (comma-separated origins).")
    secret = environ.get("JWT_SECRET")
    if not secret:
        raise SystemExit("JWT_SECRET is not set: the HTTP API needs it (see scripts/env.sh).")
    arguments = ["run", *argv, "--jwt-secret", secret, "--jwt-method", JWT_METHOD]
    origins = portal_origins(environ.get("PORTAL_ORIGINS", ""))
    if origins:
        arguments += ["--cors", *origins]
    return arguments


def main(argv: Optional[List[str]] = None) -> None:
    import rasa.__main__
    import rasa.core.run

    arguments = rasa_arguments(sys.argv[1:] if argv is None else argv)
    configure_app = rasa.core.run.configure_app

    def configure_hardened_app(*args, **kwargs) -> Sanic:
        return harden(configure_app(*args, **kwargs), os.environ["JWT_SECRET"])

    # serve_application calls the module's configure_app: this is the one place to reach the app.
    rasa.core.run.configure_app = configure_hardened_app
    # Rasa reads sys.argv; changing it here does not change what the process list shows.
    sys.argv = ["rasa", *arguments]
    rasa.__main__.main()


if __name__ == "__main__":
    main()
