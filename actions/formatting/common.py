"""Language-independent rules for presenting knowledge facts in a chat window."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType
from typing import Iterable, Optional

from actions.formatting.shared import caution_label
from knowledge.names import Entity

# A footer names at most this many sources; the rest are in the knowledge files.
MAX_SOURCES = 2
# Reviewers' remarks in brackets ("(bản lưu GitHub)") stay in the knowledge files, not in the chat.
_REMARK = re.compile(r"\s*\([^)]*\)")


@dataclass
class Reply:
    """One bot message: text plus quick-reply buttons."""

    text: str
    buttons: list[dict] = field(default_factory=list)


def button(title: str, payload: str) -> dict:
    return {"title": title, "payload": payload}


def caution(provenance, words: ModuleType) -> str | None:
    """The warning a fact carries (knowledge/content/common.yml `confidence_labels`): none when confirmed,
    a milder one for a secondary source, the full one for unverified and unknown facts."""
    if provenance is None:
        return None
    return caution_label(provenance.confidence, words.CODE)


def flagged(text: str, provenance, words: ModuleType) -> str:
    """The text, with the warning appended when the fact is not confirmed (see `caution`)."""
    warning = caution(provenance, words)
    return f"{text} ({warning})" if warning else text


def clause(text: str) -> str:
    """Content text to be embedded in a sentence: without its own final full stop."""
    return text.strip().rstrip(".").rstrip()


def bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def paragraphs(*blocks: str | None) -> str:
    """Short blocks separated by a blank line; empty blocks are skipped."""
    return "\n\n".join(block for block in blocks if block)


def footer(provenances: Iterable, words: ModuleType) -> str:
    """'Nguồn: … · cập nhật …' for the facts used; the oldest review date is the honest one."""
    known = [p for p in provenances if p is not None]
    if not known:
        return ""
    sources: list[str] = []
    for provenance in known:
        for source in (provenance.source or "").split(";"):
            source = _REMARK.sub("", source).strip()
            if source and source not in sources:
                sources.append(source)
    reviewed = [p.reviewed for p in known if p.reviewed]
    parts = []
    if sources:
        shown = "; ".join(sources[:MAX_SOURCES]) + ("; …" if len(sources) > MAX_SOURCES else "")
        parts.append(f"{words.SOURCE}: {shown}")
    if reviewed:
        parts.append(f"{words.UPDATED} {words.day(min(reviewed))}")
    return " · ".join(parts)


def online_discount_today(fee_item, today: date):
    """The item's online discount when `today` lies inside its validity dates, else None."""
    discount = fee_item.online
    if discount is not None and discount.valid_on(today):
        return discount
    return None


def naming(procedure_id: str) -> dict[str, str]:
    """The entities of a button payload about a procedure: payloads skip the NLU pipeline, so they
    carry what it would decide (`procedure_id`, read by the slot mapping) besides the name the
    resolver reads (`procedure`)."""
    return {Entity.PROCEDURE: procedure_id, Entity.PROCEDURE_ID: procedure_id}


def payload(intent: str, entities: Optional[dict] = None) -> str:
    """A button payload: the intent, and the entities as compact JSON."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}" if entities else f"/{intent}"
