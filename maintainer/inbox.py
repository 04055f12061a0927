"""The inbox: citizens' messages worth a maintainer's look, near-duplicates grouped, most useful first."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from maintainer.annotate import ignored_keys
from maintainer.layout import Layout
from maintainer.messages import CitizenMessage, MessageSource
from maintainer.training_data import known_examples, near_duplicate_key, training_examples

LOW_CONFIDENCE = 0.7  # above the FallbackClassifier's 0.5: shaky answers that were still given
NOT_UNDERSTOOD_TAG = "not understood"
REASONS = ("fallback", "tagged not understood", "before a handoff", "before a low rating", "low confidence")


@dataclass
class InboxGroup:
    """Messages whose texts are the same once folded, shown once with a count."""

    key: str
    messages: list[CitizenMessage] = field(default_factory=list)
    low_confidence: float = LOW_CONFIDENCE

    @property
    def id(self) -> str:
        """Stable short id of the group, for batch actions (`annotate --group`)."""
        return hashlib.sha1(self.key.encode("utf-8")).hexdigest()[:10]

    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def texts(self) -> list[str]:
        """Distinct texts, the most frequent first."""
        return [text for text, _ in Counter(m.text for m in self.messages).most_common()]

    @property
    def text(self) -> str:
        return self.texts[0]

    @property
    def lowest_confidence(self) -> float:
        return min((m.confidence for m in self.messages if m.confidence is not None), default=0.0)

    @property
    def understood(self) -> CitizenMessage:
        """What the active model made of it (the latest occurrence)."""
        return max(self.messages, key=lambda m: m.timestamp)

    @property
    def reasons(self) -> list[str]:
        found = {
            "fallback": any(m.fell_back for m in self.messages),
            "tagged not understood": any(NOT_UNDERSTOOD_TAG in m.tags for m in self.messages),
            "before a handoff": any(m.before_handoff for m in self.messages),
            "before a low rating": any(m.before_low_rating for m in self.messages),
            "low confidence": self.lowest_confidence < self.low_confidence,
        }
        return [reason for reason in REASONS if found[reason]]

    def sort_key(self) -> tuple:
        reasons = self.reasons
        rank = REASONS.index(reasons[0]) if reasons else len(REASONS)
        return (rank, self.lowest_confidence, -self.count, -self.understood.timestamp)

    def as_dict(self) -> dict:
        latest = self.understood
        return {
            "group": self.id,
            "text": self.text,
            "count": self.count,
            "variants": self.texts,
            "reasons": self.reasons,
            "intent": latest.intent,
            "confidence": round(latest.confidence, 3) if latest.confidence is not None else None,
            "procedure": latest.procedure,
            "language": latest.language,
            "conversations": sorted({m.conversation_id for m in self.messages}),
        }


def build_inbox(
    source: MessageSource,
    layout: Layout,
    limit: int = 2000,
    low_confidence: float = LOW_CONFIDENCE,
    only_problems: bool = False,
    nlu_dir: Optional[Path] = None,
) -> list[InboxGroup]:
    """Groups of recent citizen messages not yet in the training data nor ignored, most useful first."""
    known = training_examples(nlu_dir) if nlu_dir else known_examples(layout.root, layout.reviewed)
    ignored = ignored_keys(layout)
    groups: dict[str, InboxGroup] = {}
    for message in source.recent_messages(limit):
        if not message.text.strip() or message.text.startswith("/"):
            continue  # a button click (payload), not something the citizen typed
        key = near_duplicate_key(message.text)
        if not key or key in known or key in ignored:
            continue
        groups.setdefault(key, InboxGroup(key, low_confidence=low_confidence)).messages.append(message)
    ordered = sorted(groups.values(), key=InboxGroup.sort_key)
    return [g for g in ordered if g.reasons] if only_problems else ordered


def find_group(groups: list[InboxGroup], group_id: str) -> InboxGroup:
    for group in groups:
        if group.id == group_id:
            return group
    raise KeyError(f"no inbox group {group_id!r} (it may have been annotated or ignored already)")


def inbox_markdown(groups: list[InboxGroup]) -> str:
    lines = ["| group | count | message (masked) | understood | confidence | procedure | why |", "|---|---|---|---|---|---|---|"]
    for group in groups:
        row = group.as_dict()
        confidence = "-" if row["confidence"] is None else f"{row['confidence']:.2f}"
        lines.append(
            f"| {row['group']} | {row['count']} | {markdown_cell(row['text'])} | {row['intent'] or '-'} | "
            f"{confidence} | {row['procedure'] or '-'} | {', '.join(row['reasons']) or '-'} |"
        )
    return "\n".join(lines)


def markdown_cell(text: str) -> str:
    """Markdown table cell: pipes escaped, one line."""
    return " ".join(str(text).split()).replace("|", "\\|")
