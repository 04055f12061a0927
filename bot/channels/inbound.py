"""What every public channel (REST and socket.io) checks before a message reaches Rasa.

One message-size limit for all channels, NFC text, button payloads whose entities are plain
values, metadata reduced to the keys we use, and conversation ids that one channel cannot
reach on the other: socket.io conversations are named `socketio:<32 hex>` by the server, and
REST sender ids may not contain a colon.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, Optional, Text

from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from bot.channels.conversation_ids import SOCKETIO_CONVERSATION_ID, SOCKETIO_CONVERSATION_PREFIX  # noqa: F401
from bot.channels.limits import DEFAULT_MAX_MESSAGE_LENGTH, max_message_length  # noqa: F401 - re-exported
from knowledge.text import nfc

logger = logging.getLogger(__name__)

# Bytes of one REST request: a message at the limit, JSON-escaped (up to 12 bytes a character
# for emoji), plus metadata.
MAX_REST_BODY_BYTES = 16 * 1024

LANGUAGES = ("vi", "en")
REST_SENDER_ID = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
# "/intent@0.9{...json...}" (button payloads), split exactly as Rasa's message handler splits it.
INTENT_PAYLOAD = YAMLStoryReader._regex_message_pattern()


def valid_rest_sender(candidate: Any) -> Optional[Text]:
    """The REST sender id if it is a short plain id (never a socket.io conversation), else None."""
    if isinstance(candidate, str) and REST_SENDER_ID.match(candidate):
        return candidate
    return None


def _as_entity_text(value: Any) -> Optional[Text]:
    """An entity value as the actions expect it: text (numbers as their digits), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and len(value) <= 200:
        return value
    return None


def clean_payload(text: Text) -> Text:
    """A button payload whose entity values are all text: `/inform_location{"location": {...}}`
    or `{"location": 5}` would reach the actions as a dict or a number where they read text.
    Values that cannot be text are dropped. Other messages are returned as they are."""
    match = INTENT_PAYLOAD.match(text)
    if not match or not match.group("entities"):
        return text
    try:
        entities = json.loads(match.group("entities"))
    except ValueError:
        entities = None
    kept: Dict[Text, Any] = {}
    if isinstance(entities, dict):
        for name, value in entities.items():
            if isinstance(value, list):
                values = [_as_entity_text(item) for item in value]
                if values and None not in values:
                    kept[name] = values
            elif (value_text := _as_entity_text(value)) is not None:
                kept[name] = value_text
    if isinstance(entities, dict) and kept == entities:
        return text
    intent = match.group("name") + (match.group("confidence") or "")
    return f"/{intent}{json.dumps(kept, ensure_ascii=False)}" if kept else f"/{intent}"


def clean_text(raw: Any) -> Optional[Text]:
    """The message text as Rasa should see it (NFC, trimmed, payload entities plain), or None
    when there is no text at all."""
    if not isinstance(raw, str):
        return None
    text = nfc(raw).strip()
    if not text:
        return None
    return clean_payload(text) if text.startswith("/") else text


def clean_metadata(raw: Any) -> Dict[Text, Any]:
    """Client metadata reduced to what the assistant uses: `language` (vi | en)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    language = str(raw.get("language", "")).lower()
    return {"language": language} if language in LANGUAGES else {}
