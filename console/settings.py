"""Settings of the console, from environment variables with defaults (see scripts/env.sh)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

CONSOLE_DIR = Path(__file__).resolve().parent
REPO_ROOT = CONSOLE_DIR.parent


@dataclass(frozen=True)
class ConsoleSettings:
    host: str = "127.0.0.1"  # CONSOLE_HOST: loopback by default, never the citizens' public port
    port: int = 8090  # CONSOLE_PORT
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'console.db'}"  # CONSOLE_DATABASE_URL
    event_broker_url: str | None = None  # EVENT_BROKER_URL: where Rasa streams its events
    rasa_url: str = "http://127.0.0.1:5005"  # RASA_URL: the HTTP API (pause, resume, staff replies)
    jwt_secret: str = ""  # JWT_SECRET: the Rasa server's --jwt-secret
    secret_key: str = ""  # CONSOLE_SECRET_KEY: encrypts the session cookie
    handoff_timeout_seconds: float = 180  # CONSOLE_HANDOFF_TIMEOUT: nobody took it -> tell the citizen
    secure_cookies: bool = False  # CONSOLE_SECURE_COOKIES=1 behind HTTPS

    @classmethod
    def from_env(cls, **overrides) -> "ConsoleSettings":
        env = os.environ
        settings = cls(
            host=env.get("CONSOLE_HOST") or cls.host,
            port=int(env.get("CONSOLE_PORT") or cls.port),
            database_url=env.get("CONSOLE_DATABASE_URL") or cls.database_url,
            event_broker_url=env.get("EVENT_BROKER_URL") or None,
            rasa_url=env.get("RASA_URL") or cls.rasa_url,
            jwt_secret=env.get("JWT_SECRET") or "",
            secret_key=env.get("CONSOLE_SECRET_KEY") or "",
            handoff_timeout_seconds=float(env.get("CONSOLE_HANDOFF_TIMEOUT") or cls.handoff_timeout_seconds),
            secure_cookies=env.get("CONSOLE_SECURE_COOKIES") == "1",
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def cookie_key(self) -> bytes:
        """32 bytes for the encrypted cookie, derived from CONSOLE_SECRET_KEY (any length)."""
        if not self.secret_key:
            raise SystemExit("CONSOLE_SECRET_KEY is not set (scripts/env.sh generates one into var/secrets.env)")
        return hashlib.sha256(self.secret_key.encode()).digest()
