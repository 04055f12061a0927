"""The one message-size limit of every channel, readable without Rasa (the web server shows it
in the widget, from its own environment)."""

from __future__ import annotations

import os

# MAX_MESSAGE_LENGTH (characters): NLU time grows faster than linearly with the length of a
# message and runs on Rasa's event loop, so one long message would stall every citizen.
DEFAULT_MAX_MESSAGE_LENGTH = 1000


def max_message_length() -> int:
    """The limit of every channel (env MAX_MESSAGE_LENGTH, default 1000 characters)."""
    try:
        return max(1, int(os.environ.get("MAX_MESSAGE_LENGTH") or DEFAULT_MAX_MESSAGE_LENGTH))
    except ValueError:
        return DEFAULT_MAX_MESSAGE_LENGTH
