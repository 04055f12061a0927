"""A conversation from the tracker store as a `rasa test` story, so a fixed problem stays fixed.

The story is written from the masked events: user messages with their intent (and entities as
inline annotations where the text still holds them), the assistant's actions, slots and forms.
The file is named after a hash of the conversation id: the citizen's session id is never written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from knowledge.personal_data import MASK
from maintainer.messages import MessageSource

SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start"})


@dataclass
class ExportedStory:
    path: Path
    name: str
    steps: int
    masked_steps: int  # user messages whose text was masked: NLU may read them differently


def conversation_label(conversation_id: str) -> str:
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:10]


def _annotated(text: str, entities: list[dict]) -> str:
    """The user text with Rasa's inline entity annotations, for entities whose span is still intact."""
    spans = []
    for entity in entities:
        start, end, value = entity.get("start"), entity.get("end"), entity.get("value")
        if not isinstance(start, int) or not isinstance(end, int) or not (0 <= start < end <= len(text)):
            continue
        surface = text[start:end]
        if MASK in surface or (isinstance(value, str) and MASK in value) or any(s < end and start < e for s, e, _ in spans):
            continue
        if value == surface:
            annotation = f"[{surface}]({entity['entity']})"
        else:
            annotation = f"[{surface}]" + json.dumps({"entity": entity["entity"], "value": value}, ensure_ascii=False)
        spans.append((start, end, annotation))
    for start, end, annotation in sorted(spans, reverse=True):
        text = text[:start] + annotation + text[end:]
    return text


def story_steps(events: list[dict]) -> tuple[list[str], int]:
    """YAML lines of the steps (indented for `steps:`) and the number of masked user messages."""
    lines: list[str] = []
    masked = 0
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse_data = event.get("parse_data") or {}
            intent = (parse_data.get("intent") or {}).get("name") or "nlu_fallback"
            text = " ".join((event.get("text") or "").split())
            entities = parse_data.get("entities") or []
            if text.startswith("/"):  # a button: the intent and entities, no words
                lines.append(f"  - intent: {intent}")
                if entities:
                    lines.append("    entities:")
                    lines += [f"    - {e['entity']}: {json.dumps(e.get('value'), ensure_ascii=False)}" for e in entities]
                continue
            masked += MASK in text
            lines += ["  - user: |", f"      {_annotated(text, entities)}", f"    intent: {intent}"]
        elif kind == "action" and event.get("name") and event["name"] not in SKIPPED_ACTIONS:
            lines.append(f"  - action: {event['name']}")
        elif kind == "slot" and event.get("name"):
            lines += ["  - slot_was_set:", f"    - {event['name']}: {json.dumps(event.get('value'), ensure_ascii=False)}"]
        elif kind in ("active_loop", "loop"):
            lines.append(f"  - active_loop: {event.get('name') or 'null'}")
    return lines, masked


def export_story(source: MessageSource, conversation_id: str, out_dir: Path, name: Optional[str] = None) -> ExportedStory:
    events = source.conversation_events(conversation_id)
    if not any(e.get("event") == "user" for e in events):
        raise LookupError(f"no conversation with messages for id {conversation_id!r} in the tracker store")
    label = conversation_label(conversation_id)
    story_name = name or f"exported conversation {label}"
    steps, masked = story_steps(events)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"test_exported_{label}.yml"
    header = [
        'version: "3.1"',
        "# Exported from a real conversation (masked) with `python -m maintainer export-story`.",
        "stories:",
        f"- story: {json.dumps(story_name, ensure_ascii=False)}",
        "  steps:",
    ]
    path.write_text("\n".join(header + steps) + "\n", encoding="utf-8")
    return ExportedStory(path, story_name, sum(1 for s in steps if s.startswith("  - ")), masked)
