"""Service discovery: from what the citizen wrote to the catalogue procedure.

`identify` is the one place that turns a parsed message into a procedure id (or the
candidates to ask about); the slot mapping (actions/language.py), the discovery action, the
fallback affirmation and the evaluation all use it, so they never disagree.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KnowledgeAction
from actions.formatting import wording
from actions.formatting.answers import TOPIC_PAYLOADS
from actions.formatting.common import button
from knowledge.text import fold, fold_word, nfc, strip_diacritics

# A procedure found only by searching the message text must match this well, and beat the
# runner-up by this margin; otherwise the citizen gets a clarifying question, not a guess.
TEXT_MATCH_MIN_SCORE = 0.6
TEXT_MATCH_MARGIN = 0.15
MAX_CHOICES = 6

# Keyword ranking: the summed rarity (idf) of the words and word pairs a message shares with a
# procedure's names and aliases must reach this, and beat the runner-up by this factor.
KEYWORD_MIN_SCORE = 2.5
KEYWORD_LEAD = 1.5
# Weaker keyword matches are only offered as clarifying choices from this score on.
KEYWORD_MIN_CANDIDATE = 2.0
# Words that show the citizen wants some procedure even when none is named ("tôi muốn làm thủ tục").
PROCEDURE_WORDS = frozenset(
    "thủ tục giấy tờ hồ sơ đăng ký cấp đổi lại xin xác nhận chứng nhận phép khai báo "
    "procedure paperwork document register registration apply application certificate permit licence license "
    "renew form official".split()
)
# Function words of both languages: they say nothing about which procedure is meant.
STOPWORDS = frozenset(
    "toi minh em anh chi ban muon can lam the nao nhu gi o dau cho hoi xin va voi cua thi co khong duoc "
    "phai ve bao nhieu lau may mot cac nhung nay do a nhe di roi da se dang luc khi neu sao vay ah a "
    "i my me we our you your the a an to of for in on at and or is are do does how what where when can "
    "could would should need want get please with from after by it this that there have has just "
    # The words of the follow-up question itself say nothing about which procedure: "phí" alone
    # would otherwise point at "mai táng phí" (death bundle).
    "phi fee fees cost costs much long take takes nop submit online buoc step steps documents papers".split()
)

# Intents whose message may name the procedure the conversation is now about, and whose text is
# searched for one (the slot mapping in actions/language.py uses the same list).
PROCEDURE_INTENTS = frozenset({
    "find_procedure", "ask_documents", "ask_fee", "ask_processing_time", "ask_agency",
    "ask_where_to_submit", "ask_online", "ask_steps", "ask_legal_basis", "start_checklist",
    "walkthrough_start",
})

# Life events whose paperwork the one-stop shop chains into one application (a bundle).
BUNDLE_LIFE_EVENTS = ("newborn", "death-in-family")

# What the summary offers to ask next, in this order.
SUMMARY_TOPICS = ("documents", "fee", "processing_time", "where_to_submit", "online")

# Offered when nothing in the message points anywhere: the most asked-for procedures.
POPULAR_PROCEDURES = ("id-card", "birth-registration", "temporary-residence", "passport",
                      "driving-licence-renewal", "marriage-registration")


@dataclass
class Identification:
    """What a message points at: one procedure, or candidates for a clarifying question."""

    procedure_id: Optional[str] = None
    candidates: list[str] = field(default_factory=list)
    life_event: Optional[str] = None

    @property
    def found(self) -> bool:
        return self.procedure_id is not None


def _entities(message: dict, entity: str) -> list[dict]:
    found = [e for e in message.get("entities") or [] if e.get("entity") == entity]
    # The longest mention is the most specific ("giấy phép lái xe quốc tế" over "lái xe").
    return sorted(found, key=lambda e: (-(e.get("end", 0) - e.get("start", 0)), e.get("start", 0)))


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _confident(matches: list) -> Optional[str]:
    """The id of the best text match when it is good enough and clearly ahead."""
    good = [m for m in matches if m.score >= TEXT_MATCH_MIN_SCORE]
    if good and (len(good) == 1 or good[0].score - good[1].score >= TEXT_MATCH_MARGIN):
        return good[0].procedure_id
    return None


def _entity_procedure_ids(message: dict, store) -> tuple[list[str], list[str]]:
    """(ids of the procedures the message names, longest mention first; candidates for mentions
    that the synonyms left unmapped because several procedures share that spelling)."""
    ids, unresolved = [], []
    for entity in _entities(message, "procedure"):
        value = str(entity.get("value") or "")
        if store.get_procedure(value) is not None:
            ids.append(value)
            continue
        matches = store.find_procedures(value, limit=MAX_CHOICES)
        confident = _confident(matches)
        if confident:
            ids.append(confident)
        else:
            unresolved += [m.procedure_id for m in matches]
    return _unique(ids), _unique(unresolved)


def _life_event_choices(event: str, store) -> Identification:
    procedures = store.procedures_for_life_event(event)
    if event in BUNDLE_LIFE_EVENTS:
        bundles = [p for p in procedures if p.is_bundle]
        if bundles:
            single = bundles[0].bundle_of[0]
            return Identification(candidates=[bundles[0].id, single], life_event=event)
    if len(procedures) == 1:
        return Identification(procedure_id=procedures[0].id, life_event=event)
    return Identification(candidates=[p.id for p in procedures], life_event=event)


def _stem(word: str) -> str:
    """English plurals and -ing trimmed; Vietnamese syllables never match these patterns."""
    if re.fullmatch(r"[a-z]{4,}ies", word):
        return word[:-3] + "y"
    if re.fullmatch(r"[a-z]{3,}[^s]s", word):
        return word[:-1]
    if re.fullmatch(r"[a-z]{3,}ing", word):
        return word[:-3]
    return word


def _words(text: str, keep_marks: bool) -> list[str]:
    """Lowercase words; folded (no diacritics, abbreviations expanded) unless `keep_marks`, where
    a word written with diacritics stays as written, so "đội" does not meet "đổi" or "đời"."""
    words = []
    for word in re.findall(r"\w+", nfc(text).lower()):
        if keep_marks and strip_diacritics(word) != word:
            words.append(word)
        else:
            words += [_stem(w) for w in fold_word(word).split()]
    return [word for word in words if len(word) > 1]


def _keywords(text: str, keep_marks: bool = False) -> set[str]:
    """Content words and adjacent word pairs ("con dau": seal, though "dau" alone is "where")."""
    words = _words(text, keep_marks)
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:])
             if not (fold(a) in STOPWORDS and fold(b) in STOPWORDS)}
    return {word for word in words if fold(word) not in STOPWORDS} | pairs


def _has_marks(text: str) -> bool:
    return strip_diacritics(text) != text


_KEYWORD_INDEXES: dict[int, tuple[dict[str, set[str]], dict[str, float]]] = {}


def _keyword_index(store) -> tuple[dict[str, set[str]], dict[str, float]]:
    """Per procedure, the keywords of its names and aliases (as written and folded); their idf."""
    if id(store) not in _KEYWORD_INDEXES:
        vocabulary = {}
        for procedure in store.list_procedures():
            phrases = [procedure.names.vi, procedure.names.en, *procedure.aliases_vi, *procedure.aliases_en]
            vocabulary[procedure.id] = set().union(
                *(_keywords(phrase, keep_marks) for phrase in phrases for keep_marks in (True, False)))
        frequency = Counter(word for words in vocabulary.values() for word in words)
        idf = {word: math.log(len(vocabulary) / count) for word, count in frequency.items()}
        _KEYWORD_INDEXES[id(store)] = (vocabulary, idf)
    return _KEYWORD_INDEXES[id(store)]


def keyword_ranking(text: str, store) -> list[tuple[str, float]]:
    """Procedures by how many rare words of their names and aliases the text uses, best first."""
    vocabulary, idf = _keyword_index(store)
    query = _keywords(text, keep_marks=_has_marks(text))
    scores = {pid: sum(idf[w] for w in query & words) for pid, words in vocabulary.items()}
    # A bundle shares its parts' words: it only counts when the text says clearly more about it.
    for pid in list(scores):
        procedure = store.get_procedure(pid)
        if procedure.is_bundle and any(scores.get(part, 0) * KEYWORD_LEAD >= scores[pid] for part in procedure.bundle_of):
            del scores[pid]
    return sorted(((pid, score) for pid, score in scores.items() if score > 0), key=lambda item: -item[1])


def _keyword_choice(ranked: list[tuple[str, float]]) -> Optional[str]:
    if ranked and ranked[0][1] >= KEYWORD_MIN_SCORE and (
            len(ranked) == 1 or ranked[0][1] >= KEYWORD_LEAD * ranked[1][1]):
        return ranked[0][0]
    return None


def identify(message: dict, store, search_text: bool = True, rank_keywords: bool = True) -> Identification:
    """The procedure a parsed message (Rasa's `latest_message`) is about.

    Named procedures (entity, mapped to catalogue ids by the generated synonyms) come first;
    then, when `search_text`, a confident match of the whole text against names and aliases;
    then life events; then, when `rank_keywords`, the rare words the text shares with names
    and aliases (too loose for follow-ups: "lệ phí bao nhiêu" shares words with many names).
    """
    ids, unresolved = _entity_procedure_ids(message, store)
    if len(ids) == 1:
        return Identification(procedure_id=ids[0])
    if ids:
        # Several procedures named: prefer a bundle that chains all of them.
        for procedure in store.list_procedures():
            if procedure.is_bundle and set(ids) <= {procedure.id, *procedure.bundle_of}:
                return Identification(procedure_id=procedure.id)
        return Identification(procedure_id=ids[0], candidates=ids)

    text = message.get("text") or ""
    matches = store.find_procedures(text, limit=MAX_CHOICES) if search_text else []
    confident = _confident(matches)
    if confident:
        return Identification(procedure_id=confident)

    events = _entities(message, "life_event")
    if events:
        return _life_event_choices(str(events[0].get("value")), store)
    if not (search_text and rank_keywords):
        return Identification(candidates=unresolved)

    ranked = keyword_ranking(text, store)
    chosen = _keyword_choice(ranked)
    if chosen:
        return Identification(procedure_id=chosen)
    # Clarify with what both searches found, the likeliest first.
    likely = [pid for pid, score in ranked[:3] if score >= KEYWORD_MIN_CANDIDATE]
    return Identification(candidates=_unique(unresolved + likely + [m.procedure_id for m in matches]))


def outside_public_services(message: dict, found: Identification) -> bool:
    """Nothing in a "find" message points to any procedure, nor even to paperwork in general:
    it is treated as out of scope, not answered with a list of procedures."""
    if found.found or found.candidates or _entities(message, "life_event"):
        return False
    text = message.get("text") or ""
    # Compared as written when the text has diacritics: "đội" (team) is not "đổi" (exchange).
    known = PROCEDURE_WORDS if _has_marks(text) else {fold(word) for word in PROCEDURE_WORDS}
    return not (set(_words(text, keep_marks=_has_marks(text))) & known)


def payload(intent: str, entities: Optional[dict] = None) -> str:
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}" if entities else f"/{intent}"


def _bundles_containing(procedure_id: str, store) -> list:
    return [p for p in store.list_procedures() if procedure_id in p.bundle_of]


def summary_message(procedure, language: str, store) -> dict:
    """One paragraph about the procedure and buttons for the next questions."""
    words = wording(language)
    text = f"{procedure.names.in_(language)}: {procedure.summary.in_(language)}"
    if procedure.deadline is not None:
        text += "\n" + words.summary_deadline(procedure.deadline.text.in_(language))
    entities = {"procedure": procedure.id}
    buttons = [button(words.TOPIC_BUTTONS[topic], payload(TOPIC_PAYLOADS[topic][1:], entities))
               for topic in SUMMARY_TOPICS]
    for bundle in _bundles_containing(procedure.id, store):
        buttons.append(button(bundle.names.in_(language), payload("find_procedure", {"procedure": bundle.id})))
    return {"text": text, "buttons": buttons}


def choice_message(ids: list[str], language: str, store, life_event: Optional[str] = None) -> dict:
    """A clarifying question with one readable button per candidate procedure."""
    procedures = [p for p in (store.get_procedure(i) for i in ids[:MAX_CHOICES]) if p is not None]
    buttons = [button(p.names.in_(language), payload("find_procedure", {"procedure": p.id})) for p in procedures]
    words = wording(language)
    text = words.CHOOSE_FOR_LIFE_EVENT if life_event else words.CHOOSE_PROCEDURE
    bundles = [p for p in procedures if p.is_bundle]
    if life_event in BUNDLE_LIFE_EVENTS and bundles:
        bundle = bundles[0]
        parts = [store.get_procedure(i) for i in bundle.bundle_of]
        single = next((p for p in procedures if not p.is_bundle), None)
        if single is not None:
            text = words.bundle_offer(
                parts=", ".join(p.names.in_(language).lower() for p in parts if p is not None),
                single=single.names.in_(language).lower(),
            )
    return {"text": text, "buttons": buttons}


# Intents worth confirming even when the message names no procedure ("Did you mean: talking to a person?").
CONVERSATION_INTENTS = frozenset({"request_human", "switch_language", "bot_challenge", "check_dossier_status"})


def fallback_guess(message: dict) -> str:
    """The intent the fallback question proposes: the best guess when it is worth confirming
    (not small talk), else a search for a procedure."""
    ranking = [i.get("name") for i in message.get("intent_ranking") or []
               if i.get("name") not in ("nlu_fallback", "out_of_scope")]
    # Both languages' wording names the same intents.
    return ranking[0] if ranking and ranking[0] in wording("en").INTENT_TOPICS else "find_procedure"


def fallback_declines(message: dict, found: Identification, guess: Optional[str]) -> bool:
    """At low confidence, decline instead of asking "Did you mean …?" when that would be a blind
    guess: no procedure, life event or paperwork word, and no conversational intent in sight."""
    return guess not in CONVERSATION_INTENTS and outside_public_services(message, found)


class ActionDiscoverProcedure(KnowledgeAction):
    """Summary of the procedure the citizen means, or a clarifying question."""

    def name(self) -> str:
        return "action_discover_procedure"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store,
                      language: str) -> list[EventType]:
        found = identify(tracker.latest_message, store)
        procedure = store.get_procedure(found.procedure_id) if found.found else None

        if procedure is not None:
            dispatcher.utter_message(**summary_message(procedure, language, store))
            return [SlotSet("procedure", procedure.id)] if tracker.get_slot("procedure") != procedure.id else []

        if outside_public_services(tracker.latest_message, found):
            dispatcher.utter_message(response="utter_out_of_scope")
            return [SlotSet("procedure", None)] if tracker.get_slot("procedure") else []

        message = choice_message(found.candidates or list(POPULAR_PROCEDURES), language, store, found.life_event)
        if found.candidates:
            dispatcher.utter_message(**message)
        else:
            dispatcher.utter_message(response="utter_ask_which_procedure", buttons=message["buttons"])
        return [SlotSet("procedure", None)] if tracker.get_slot("procedure") else []


class ActionDefaultAskAffirmation(KnowledgeAction):
    """First stage of the fallback: "Did you mean …?" with readable, translated buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store,
                      language: str) -> list[EventType]:
        message = tracker.latest_message or {}
        guess = fallback_guess(message)
        found = identify(message, store, search_text=guess in PROCEDURE_INTENTS)
        procedure = store.get_procedure(found.procedure_id) if found.found else None
        if procedure is None and fallback_declines(message, found, guess):
            dispatcher.utter_message(response="utter_out_of_scope")
            return []

        words = wording(language)
        with_name, without_name = words.INTENT_TOPICS[guess]
        if procedure is not None and with_name:
            topic = with_name.format(name=procedure.names.in_(language))
        else:
            topic = without_name

        entities = {"procedure": procedure.id} if procedure is not None and with_name else None
        dispatcher.utter_message(
            text=words.did_you_mean(topic),
            buttons=[button(words.AFFIRM_YES, payload(guess, entities)), button(words.AFFIRM_NO, "/out_of_scope")],
        )
        return []
