"""How socket.io conversations are named (no Rasa import: the web server verifies sessions too)."""

from __future__ import annotations

import re

SOCKETIO_CONVERSATION_PREFIX = "socketio:"
SOCKETIO_CONVERSATION_ID = re.compile(r"^socketio:[0-9a-f]{32}$")
