"""The facts of knowledge/content/common.yml that answers show, read through the knowledge store:
the caution a fact carries, the online channels' names and the support line (name and number).

The wording modules (vi.py, en.py) hold the sentences around them; they also offer these facts under
the names CAUTION, CAUTION_SECONDARY, CHANNELS and NO_STEP_HELP (`wording_fact`).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from knowledge.store import KnowledgeStore, open_store
from knowledge.types import SupportLine


def _store() -> KnowledgeStore:
    """The process-wide store the actions answer from (DATABASE_URL)."""
    return open_store()


def caution_label(confidence: str, language: str) -> str | None:
    """The caution after a fact of this confidence; none for a confirmed fact."""
    if confidence == "confirmed":
        return None
    label = _store().confidence_label(confidence)
    return label.in_(language) if label else None


def channel_name(channel_id: str, language: str) -> str:
    """An online channel's name as said in a sentence (its id when the content does not know it)."""
    channel = _store().get_channel(channel_id)
    return channel.name.in_(language) if channel else channel_id


def support_line() -> SupportLine:
    support = _store().support_line()
    if support is None:
        raise LookupError("the knowledge store has no support line (knowledge/content/common.yml)")
    return support


def support_phone() -> str:
    return support_line().phone


def no_step_help(words: ModuleType) -> str:
    """A wording module's advice for a step without help of its own, naming the support line."""
    support = support_line()
    return words.no_step_help(support.name.in_(words.CODE), support.phone)


def wording_fact(words: ModuleType, name: str) -> Any:
    """What a wording module's CAUTION, CAUTION_SECONDARY, CHANNELS and NO_STEP_HELP name, from the store."""
    if name == "CAUTION":
        return caution_label("unverified", words.CODE)
    if name == "CAUTION_SECONDARY":
        return caution_label("secondary", words.CODE)
    if name == "CHANNELS":
        return {channel.id: channel.name.in_(words.CODE) for channel in _store().list_channels()}
    if name == "NO_STEP_HELP":
        return no_step_help(words)
    raise AttributeError(f"module {words.__name__!r} has no attribute {name!r}")
