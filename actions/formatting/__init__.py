"""Chat-sized answers built from knowledge-store objects, one wording module per language.

`answers` assembles the messages; `vi` and `en` hold the wording; `common` holds the
language-independent rules (fees with online discounts, provenance footers, lists).
"""

from __future__ import annotations

from types import ModuleType

from actions.formatting import en, vi

LANGUAGES: dict[str, ModuleType] = {"vi": vi, "en": en}


def wording(language: str | None) -> ModuleType:
    """The wording module for a language code; Vietnamese when unknown."""
    return LANGUAGES.get(language or "vi", vi)
