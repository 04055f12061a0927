"""Server-issued socket.io sessions: the conversation id and the token that reopens it.

A new widget session gets a random conversation id `socketio:<32 hex>` and a token
`<conversation id>.<timestamp>.<signature>` signed with SOCKETIO_SESSION_SECRET
(itsdangerous, HMAC-SHA256 with a salt of its own). The widget keeps the token and presents it on
every reconnect; whoever only knows the conversation id cannot make one. Several Rasa instances
must share the secret. Tokens older than SOCKETIO_SESSION_MAX_AGE seconds (default one day) start
a new conversation. The web server verifies the same tokens (web/missed_replies.py), so this
module imports nothing of Rasa.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from itsdangerous import BadSignature, TimestampSigner

from bot.channels.conversation_ids import SOCKETIO_CONVERSATION_ID, SOCKETIO_CONVERSATION_PREFIX

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE_SECONDS = 24 * 3600
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class SessionSigner:
    secret: str
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS

    @classmethod
    def from_env(cls) -> "SessionSigner":
        secret = os.environ.get("SOCKETIO_SESSION_SECRET")
        if not secret:
            # Sessions then last as long as this process: fine on a laptop, not behind a balancer.
            logger.warning("SOCKETIO_SESSION_SECRET is not set: socket.io sessions end when Rasa restarts.")
            secret = secrets.token_urlsafe(32)
        max_age = int(os.environ.get("SOCKETIO_SESSION_MAX_AGE") or DEFAULT_MAX_AGE_SECONDS)
        return cls(secret, max_age)

    @property
    def _signer(self) -> TimestampSigner:
        return TimestampSigner(self.secret, salt="citizen-assistant.socketio-session", digest_method=hashlib.sha256)

    def new_session(self) -> Tuple[str, str]:
        """(conversation id, token) of a fresh conversation."""
        conversation = SOCKETIO_CONVERSATION_PREFIX + secrets.token_hex(16)
        return conversation, self._signer.sign(conversation).decode("ascii")

    def conversation_of(self, token: Any) -> Optional[str]:
        """The conversation a token reopens, or None for anything not signed by us (or too old)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            conversation = self._signer.unsign(token, max_age=self.max_age_seconds).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        return conversation if SOCKETIO_CONVERSATION_ID.match(conversation) else None
