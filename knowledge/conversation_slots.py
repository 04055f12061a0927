"""What a message changes in the two slots every skill relies on: `language` and `procedure`.

Pure decisions on the parsed message and the conversation's current values; the NLU component
bot/nlu/conversation_slots.py calls them inside the Rasa server (it sees the live tracker) and
emits the result as entities that the domain's slot mappings read, so an ordinary message costs
no action-server call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional

from knowledge.names import Intent
from knowledge.resolution import PROCEDURE_INTENTS, Resolution
from knowledge.text import detect_language, english_words, fold

LANGUAGES = ("vi", "en")

# Asked-for language in a switch request, matched on the folded text ("tiếng Anh" -> "tieng anh").
REQUESTED_LANGUAGE = [
    ("en", re.compile(r"\b(english|tieng anh|anh ngu)\b")),
    ("vi", re.compile(r"\b(vietnamese|tieng viet|viet ngu)\b")),
]

# A detected language replaces the current one only on a message with this many words:
# "ok", "passport" or a dossier code say little about the language someone writes in. For English
# they must be English words: unaccented Vietnamese shares letters and a few words with English
# ("cam on, danh gia 5 sao" has "on"), and must not switch a Vietnamese conversation.
MIN_WORDS_TO_SWITCH = 3

# Intents that answer a question the assistant asked: a procedure word in them is never a switch.
ANSWER_INTENTS = frozenset(
    {
        Intent.INFORM_HAVE_DOCUMENTS,
        Intent.INFORM_LOCATION,
        Intent.INFORM_DOSSIER_CODE,
        Intent.INFORM_PHONE,
        Intent.CHECK_DOSSIER_STATUS,
        Intent.WALKTHROUGH_NEXT,
        Intent.WALKTHROUGH_BACK,
        Intent.WALKTHROUGH_REPEAT,
        Intent.WALKTHROUGH_STUCK,
        Intent.WALKTHROUGH_RESUME,
    }
)


def requested_language(text: str) -> Optional[str]:
    folded = fold(text)
    for language, pattern in REQUESTED_LANGUAGE:
        if pattern.search(folded):
            return language
    return None


def _clearly_written_in(text: str, language: str) -> bool:
    if language == "en":
        return english_words(text) >= MIN_WORDS_TO_SWITCH
    return len(text.split()) >= MIN_WORDS_TO_SWITCH


def choose_language(text: str, metadata: Mapping, intent: Optional[str], current: Optional[str]) -> Optional[str]:
    """The reply language after this message, or None to keep the current one.

    Widget toggle (metadata) > explicit switch request > a message clearly written in the other language.
    """
    if metadata.get("language") in LANGUAGES:
        return metadata["language"]
    if intent == Intent.SWITCH_LANGUAGE:
        return requested_language(text) or ("vi" if current == "en" else "en")
    detected = detect_language(text)
    if detected and (current not in LANGUAGES or _clearly_written_in(text, detected)):
        return detected
    return None


@dataclass(frozen=True)
class ProcedureChange:
    """`changes`: the message sets the slot (to `procedure_id`, None to empty it)."""

    changes: bool
    procedure_id: Optional[str] = None


KEEP = ProcedureChange(False)


# Follow-up questions answered within a pending choice (actions/clarification.py); a new search
# starts afresh.
FOLLOW_UP_INTENTS = PROCEDURE_INTENTS - {Intent.FIND_PROCEDURE}
# Messages after which the choice is still pending: follow-ups, and the place asked for by a
# where-to-submit answer given within the choice.
KEEPS_CHOICE_INTENTS = FOLLOW_UP_INTENTS | {Intent.INFORM_LOCATION}


def keeps_choice(intent: Optional[str], chose_procedure: bool) -> bool:
    """Whether the pending choice survives a message: a follow-up that names no procedure."""
    return intent in KEEPS_CHOICE_INTENTS and not chose_procedure


def keeps_pending_choice(intent: Optional[str], current: Optional[str], resolution: Optional[Resolution]) -> bool:
    """`keeps_choice` for a parsed message: it chose a procedure when the resolver found one."""
    search_text = intent in PROCEDURE_INTENTS
    chose = search_text and resolution is not None and resolution.decide(search_text, intent == Intent.FIND_PROCEDURE or not current).found
    return keeps_choice(intent, bool(chose))


def choose_procedure(intent: Optional[str], current: Optional[str], in_form: bool, resolution: Resolution) -> ProcedureChange:
    """The procedure in context after this message. `resolution`: the resolver's parse data
    (knowledge/resolution.py), whose procedure ids are catalogue ids."""
    if intent == Intent.OUT_OF_SCOPE:
        return ProcedureChange(True) if current else KEEP
    # In a form, a procedure word is incidental unless it comes with a procedure question.
    if intent in ANSWER_INTENTS or (in_form and intent not in PROCEDURE_INTENTS):
        return KEEP
    # A follow-up about the procedure in context switches only on a name or a confident alias.
    search_text = intent in PROCEDURE_INTENTS
    rank_keywords = intent == Intent.FIND_PROCEDURE or not current
    found = resolution.decide(search_text, rank_keywords)
    if found.found:
        return ProcedureChange(True, found.procedure_id) if found.procedure_id != current else KEEP
    # Follow-up questions ("lệ phí bao nhiêu?") keep the procedure in context; a new search
    # that cannot pin one down clears it (a clarifying question follows).
    if intent == Intent.FIND_PROCEDURE and current:
        return ProcedureChange(True)
    return KEEP
