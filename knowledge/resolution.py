"""Which procedure a parsed message is about: decided once per message.

`resolve(message, index)` runs every step on a parsed message (Rasa's parse data: text and
entities) and keeps what each step found, as a `Resolution`; `Resolution.decide(...)` then
gives the answer for a context (is the text searched? are loose keyword matches allowed?)
without searching again. The NLU component (bot/nlu/procedure_resolver.py) resolves every
message inside the Rasa server and puts the resolution in the parse data under
`PARSE_KEY`; the slot mapping, the discovery and fallback actions and the evaluation read it
from there (`resolution_of`), and resolve themselves only for messages that did not go
through the NLU pipeline (button payloads such as `/find_procedure{"procedure":"passport"}`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

from knowledge.names import Entity, Intent
from knowledge.phrase_finder import PhraseFinder, words
from knowledge.procedure_index import has_marks, keywords, words_of
from knowledge.text import fold, nfc
from knowledge.types import ProcedureMatch

PARSE_KEY = "procedure_resolution"

# A procedure found only by searching the message text must match this well, and beat the
# runner-up by this margin; otherwise the citizen gets a clarifying question, not a guess.
TEXT_MATCH_MIN_SCORE = 0.6
TEXT_MATCH_MARGIN = 0.15
MAX_CHOICES = 6

# Keyword ranking: the summed rarity (idf) of the words and word pairs a message shares with a
# procedure's names and aliases must reach this, and beat the runner-up by this factor.
KEYWORD_MIN_SCORE = 3.5
KEYWORD_CHOICE_LEAD = 1.25
# A bundle's own words must outweigh its parts' by this factor for the bundle to be ranked at all.
KEYWORD_LEAD = 1.5
# Keyword matches are offered as clarifying choices from this score on. One rare word alone (about
# 3.3) is too thin to ask about: "bài tập hóa" (homework) is not about the unemployment benefit.
KEYWORD_MIN_CANDIDATE = 3.5
# A procedure named by a short mention yields to the keyword choice when the rest of the message
# says this much more about that one (at least this score, and this many times the named one's).
NAMED_OVERRIDE_MIN_SCORE = 5.0
NAMED_OVERRIDE_LEAD = 2.0
# Words that show the citizen wants some procedure even when none is named ("tôi muốn làm thủ tục").
PROCEDURE_WORDS = frozenset(
    "thủ tục giấy tờ hồ sơ đăng ký cấp đổi lại xin xác nhận chứng nhận phép khai báo "
    "procedure paperwork document register registration apply application certificate permit licence license "
    "renew form official".split()
)

# Words just before a procedure's name that put it aside when the message names others: a paper the
# citizen lacks ("không có giấy khai sinh làm căn cước thế nào"), a purpose ("để được đăng ký kết hôn,
# cần giấy xác nhận độc thân"; not a bare "để": "cần gì để làm hộ chiếu" asks for the passport), what
# has already happened ("do I need a new ID card after changing the household registration").
# `ASIDE_AFTER_ANOTHER` ones only when another procedure is named before it in the same clause ("a
# certificate of single status for marriage registration").
ASIDE_WORDS = PhraseFinder(
    ["không có", "chưa có", "để được", "nhằm", "sau khi", "without", "don't have", "do not have", "in order to", "so that", "after"]
)
ASIDE_AFTER_ANOTHER = PhraseFinder(["cho", "for"])
ASIDE_WINDOW = 4  # words before the name looked at ("don't have a" is four)
# A declined message that still names procedures offers at most this many below the decline.
MAX_DECLINE_OFFERS = 3
_CLAUSE_END = re.compile(r"[.?!;:,\n]")

# Intents whose message may name the procedure the conversation is now about, and whose text is
# searched for one.
PROCEDURE_INTENTS = frozenset(
    {
        Intent.FIND_PROCEDURE,
        Intent.ASK_DOCUMENTS,
        Intent.ASK_FEE,
        Intent.ASK_PROCESSING_TIME,
        Intent.ASK_AGENCY,
        Intent.ASK_WHERE_TO_SUBMIT,
        Intent.ASK_ONLINE,
        Intent.ASK_STEPS,
        Intent.ASK_LEGAL_BASIS,
        Intent.START_CHECKLIST,
        Intent.WALKTHROUGH_START,
    }
)

# Life events whose paperwork the one-stop shop chains into one application (a bundle).
BUNDLE_LIFE_EVENTS = ("newborn", "death-in-family")


class CatalogueView(Protocol):
    """What the resolver reads: a `ProcedureIndex` or a `KnowledgeStore` both answer these.
    A `ProcedureIndex` also has `explain_phrases(text)`, read when present (sentences and spans)."""

    def get_procedure(self, procedure_id: str) -> Any: ...

    def list_procedures(self) -> Sequence[Any]: ...

    def find_procedures(self, text: str, limit: int = 5) -> list[ProcedureMatch]: ...

    def procedures_for_life_event(self, event: str) -> Sequence[Any]: ...

    def keyword_index(self) -> tuple[dict[str, set[str]], dict[str, float]]: ...


@dataclass
class Identification:
    """What a message points at: one procedure, or candidates for a clarifying question."""

    procedure_id: Optional[str] = None
    candidates: list[str] = field(default_factory=list)
    life_event: Optional[str] = None

    @property
    def found(self) -> bool:
        return self.procedure_id is not None


@dataclass
class Resolution:
    """What each step found in one message, in the order `decide` consults them."""

    named: list[str] = field(default_factory=list)  # procedures named by entities, longest mention first
    unresolved: list[str] = field(default_factory=list)  # candidates for mentions several procedures share
    bundle: Optional[str] = None  # the bundle chaining every named procedure
    text_match: Optional[str] = None  # a confident match of the whole text against names and aliases
    text_candidates: list[str] = field(default_factory=list)
    life_event: Optional[str] = None
    life_event_choice: Optional[Identification] = None
    keyword_choice: Optional[str] = None  # rare words shared with one procedure's names and aliases
    keyword_candidates: list[str] = field(default_factory=list)
    keyword_scores: dict[str, float] = field(default_factory=dict)  # every procedure with a shared rare word
    paperwork_words: bool = False  # "thủ tục", "giấy tờ", "apply": some procedure is wanted
    # The phrase matcher's sentences, question sentence and spans, when it explains them (spaCy's).
    phrases: dict = field(default_factory=dict)
    asked: Optional[str] = None  # of several named procedures, the only one named in the question sentence
    aside: list[str] = field(default_factory=list)  # named only as a missing paper, a purpose, a past step

    def decide(self, search_text: bool = True, rank_keywords: bool = True) -> Identification:
        """Named procedures first (unless, when `rank_keywords`, the message says much more about
        another); then, when `search_text`, a confident match of the whole text; then life events
        (narrowed to one procedure when the words single it out); then, when `rank_keywords`, the
        rare words the text shares with names and aliases (too loose for follow-ups: "lệ phí bao
        nhiêu" shares words with many names)."""
        if len(self.named) == 1:
            wanted = [pid for pid in self.mentioned() if pid not in self.aside] if self.named[0] in self.aside else []
            if len(wanted) == 1:
                # The one name the entities found is a paper the citizen lacks; the phrase matcher found
                # what is asked ("không có giấy khai sinh thì làm cccd thế nào").
                return Identification(procedure_id=wanted[0])
            return Identification(procedure_id=self._said_more_about(self.named[0]) if rank_keywords else self.named[0])
        if self.named:
            if self.bundle:
                return Identification(procedure_id=self.bundle)
            if self.asked:
                return Identification(procedure_id=self.asked)
            wanted = [pid for pid in self.named if pid not in self.aside]
            if len(wanted) == 1:
                return Identification(procedure_id=wanted[0])
            return Identification(procedure_id=self.named[0], candidates=list(self.named))
        if search_text and self.text_match:
            return Identification(procedure_id=self.text_match)
        if self.life_event_choice is not None:
            choice = self.life_event_choice
            narrowed = self._within_life_event(choice) if rank_keywords else None
            if narrowed is not None:
                return Identification(procedure_id=narrowed, life_event=choice.life_event)
            return Identification(choice.procedure_id, list(choice.candidates), choice.life_event)
        if not (search_text and rank_keywords):
            return Identification(candidates=list(self.unresolved))
        if self.keyword_choice:
            return Identification(procedure_id=self.keyword_choice)
        # Clarify with what both searches found, the likeliest first.
        return Identification(candidates=_unique(self.unresolved + self.keyword_candidates + self.text_candidates))

    def _said_more_about(self, named: str) -> str:
        """The procedure named, unless the message's other words say much more about one that contains
        the name: "căn cước" named in "sổ đỏ ghi số căn cước cũ, cập nhật thế nào" (the land title
        change), "khai sinh" in "khai sinh kèm thẻ bảo hiểm y tế một lần" (the newborn bundle)."""
        other = self.keyword_choice
        # A named bundle that its parts' words outweigh has no score of its own: it stays named.
        if (
            other
            and other != named
            and self.keyword_scores.get(named, 0.0) > 0
            and self.keyword_scores.get(other, 0.0) >= max(NAMED_OVERRIDE_MIN_SCORE, NAMED_OVERRIDE_LEAD * self.keyword_scores.get(named, 0.0))
        ):
            return other
        return named

    def _within_life_event(self, choice: Identification) -> Optional[str]:
        """The one procedure of a life event that the message's own words single out ("sang tên hợp
        đồng điện": the contract change, not a new connection), or None to ask. For the life events
        of a bundle (a newborn, a death) the question stays unless the words name the bundle itself:
        the bundle or the single procedure is the citizen's choice."""
        if choice.procedure_id is not None or not choice.candidates:
            return None
        other = self.keyword_choice
        if (
            other
            and other not in choice.candidates
            and self.keyword_scores.get(other, 0.0)
            >= max(NAMED_OVERRIDE_MIN_SCORE, NAMED_OVERRIDE_LEAD * max(self.keyword_scores.get(pid, 0.0) for pid in choice.candidates))
        ):
            # The words point clearly elsewhere: "bố mất rồi, chuyển hóa đơn tiền điện sang tên mẹ".
            return other
        if choice.life_event in BUNDLE_LIFE_EVENTS:
            bundle = choice.candidates[0]  # _life_event_choices offers [bundle, single]
            return bundle if self.keyword_choice == bundle else None
        ranked = sorted(((self.keyword_scores.get(pid, 0.0), pid) for pid in choice.candidates), reverse=True)
        best_score, best = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if best_score >= KEYWORD_MIN_CANDIDATE and best_score >= KEYWORD_CHOICE_LEAD * runner_up:
            return best
        return None

    def mentioned(self) -> list[str]:
        """The procedures the message names: by entity (the lookup tables, on the text as written) or by
        a span of the phrase matcher (on folded words: "thẻ CCCD" is "thẻ căn cước công dân")."""
        spans = self.phrases.get("spans") or []
        return _unique([*self.named, *(span["procedure_id"] for span in spans)])

    def offered_on_decline(self) -> list[str]:
        """The procedures a declined message names, not put aside: offered below the polite decline, so
        a citizen whose story was taken for out of scope reaches the procedure with one tap, and one
        asking about the law around it sees where the procedure itself is."""
        return [pid for pid in self.mentioned() if pid not in self.aside][:MAX_DECLINE_OFFERS]

    def outside_public_services(self, found: Identification) -> bool:
        """Nothing in a "find" message points to any procedure, nor even to paperwork in general:
        it is treated as out of scope, not answered with a list of procedures."""
        return not (found.found or found.candidates or self.life_event or self.paperwork_words)

    # -- parse data --

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "Resolution":
        values = dict(data)
        choice = values.get("life_event_choice")
        values["life_event_choice"] = Identification(**choice) if choice else None
        return cls(**values)


def _entities(message: Mapping, entity: str) -> list[dict]:
    found = [e for e in message.get("entities") or [] if e.get("entity") == entity]
    # The longest mention is the most specific ("giấy phép lái xe quốc tế" over "lái xe").
    return sorted(found, key=lambda e: (-(e.get("end", 0) - e.get("start", 0)), e.get("start", 0)))


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _confident(matches: list[ProcedureMatch]) -> Optional[str]:
    """The id of the best text match when it is good enough and clearly ahead."""
    good = [m for m in matches if m.score >= TEXT_MATCH_MIN_SCORE]
    if good and (len(good) == 1 or good[0].score - good[1].score >= TEXT_MATCH_MARGIN):
        return good[0].procedure_id
    return None


def _entity_procedure_ids(message: Mapping, catalogue: CatalogueView) -> tuple[list[str], list[str]]:
    """(ids of the procedures the message names, longest mention first; candidates for mentions
    that the synonyms left unmapped because several procedures share that spelling)."""
    ids: list[str] = []
    unresolved: list[str] = []
    for entity in _entities(message, Entity.PROCEDURE):
        value = str(entity.get("value") or "")
        if catalogue.get_procedure(value) is not None:
            ids.append(value)
            continue
        matches = catalogue.find_procedures(value, limit=MAX_CHOICES)
        confident = _confident(matches)
        if confident:
            ids.append(confident)
        else:
            unresolved += [m.procedure_id for m in matches]
    return _unique(ids), _unique(unresolved)


def _mentions(message: Mapping, phrases: Mapping) -> list[dict]:
    """Where the message names procedures: the procedure entities, and the phrase matcher's spans
    that no entity covers (it reads folded words and abbreviations the lookup tables keep as
    documents: "cccd"), as entities of their procedure."""
    entities = _entities(message, Entity.PROCEDURE)
    spans = [
        {"entity": Entity.PROCEDURE, "value": span["procedure_id"], "start": span["start"], "end": span["end"]}
        for span in phrases.get("spans") or []
        if not any(e.get("start", 0) < span["end"] and span["start"] < e.get("end", 0) for e in entities)
    ]
    return entities + spans


def _in_question_sentence(mentions: list[dict], phrases: Mapping) -> Optional[list[dict]]:
    """The mentions inside the question sentence, or None when the message has no question sentence
    apart from a story (one sentence, or none that asks)."""
    if phrases.get("question") is None:
        return None
    sentence = phrases["sentences"][phrases["question"]]
    return [e for e in mentions if sentence["start"] <= e.get("start", -1) < sentence["end"]]


def _asked(message: Mapping, phrases: Mapping, catalogue: CatalogueView, aside: Sequence[str] = ()) -> Optional[str]:
    """The one procedure the entities name in the question sentence (of those not put aside), when
    the message has one."""
    inside = _in_question_sentence(_entities(message, Entity.PROCEDURE), phrases)
    if inside is None:
        return None
    ids = [pid for pid in _entity_procedure_ids({"entities": inside}, catalogue)[0] if pid not in aside]
    return ids[0] if len(ids) == 1 else None


def _aside(message: Mapping, phrases: Mapping, catalogue: CatalogueView) -> list[str]:
    """The procedures (named by entities or by the phrase matcher) every mention of which is put aside
    by the words just before it (`ASIDE_WORDS`): not what the citizen asks to do. In a message that
    tells a story and then asks, the mentions in the question sentence decide when it has some (the
    story names what happened before)."""
    text = nfc(message.get("text") or "")
    marks = has_marks(text)
    mentions = sorted(_mentions(message, phrases), key=lambda e: e.get("start", 0))
    mentions = _in_question_sentence(mentions, phrases) or mentions
    aside: list[str] = []
    wanted: list[str] = []
    for number, mention in enumerate(mentions):
        ids = _entity_procedure_ids({"entities": [mention]}, catalogue)[0]
        start = mention.get("start", 0)
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
        # The words since the clause began or the name before this one ended, whichever is later.
        before = [other.get("end", 0) for other in mentions[:number] if clause_start <= other.get("end", 0) <= start]
        lead = text[max([clause_start, *before]) : start]
        lead_words = words(lead, marks)[-ASIDE_WINDOW:]
        lead = lead[lead_words[0].start :] if lead_words else ""
        another_before = bool(before)
        put_aside = ASIDE_WORDS.find(lead, marks) is not None or (another_before and ASIDE_AFTER_ANOTHER.find(lead, marks) is not None)
        (aside if put_aside else wanted).extend(ids)
    return _unique(pid for pid in aside if pid not in wanted)


def _life_event_choices(event: str, catalogue: CatalogueView) -> Identification:
    procedures = catalogue.procedures_for_life_event(event)
    if event in BUNDLE_LIFE_EVENTS:
        bundles = [p for p in procedures if p.is_bundle]
        if bundles:
            single = bundles[0].bundle_of[0]
            return Identification(candidates=[bundles[0].id, single], life_event=event)
    if len(procedures) == 1:
        return Identification(procedure_id=procedures[0].id, life_event=event)
    return Identification(candidates=[p.id for p in procedures], life_event=event)


def keyword_ranking(text: str, catalogue: CatalogueView) -> list[tuple[str, float]]:
    """Procedures by how many rare words of their names and aliases the text uses, best first."""
    vocabulary, idf = catalogue.keyword_index()
    query = keywords(text, keep_marks=has_marks(text))
    scores = {pid: sum(idf[w] for w in query & words) for pid, words in vocabulary.items()}
    # A bundle's long name shares words with its parts and their neighbours (the newborn's health
    # insurance card, the household renewal): it only counts when the text says clearly more about it.
    for pid in list(scores):
        procedure = catalogue.get_procedure(pid)
        if procedure.is_bundle and any(score * KEYWORD_LEAD >= scores[pid] for other, score in scores.items() if other != pid):
            del scores[pid]
    return sorted(((pid, score) for pid, score in scores.items() if score > 0), key=lambda item: -item[1])


def _keyword_choice(ranked: list[tuple[str, float]]) -> Optional[str]:
    if ranked and ranked[0][1] >= KEYWORD_MIN_SCORE and (len(ranked) == 1 or ranked[0][1] >= KEYWORD_CHOICE_LEAD * ranked[1][1]):
        return ranked[0][0]
    return None


def _mentions_paperwork(text: str) -> bool:
    # Compared as written when the text has diacritics: "đội" (team) is not "đổi" (exchange).
    known = PROCEDURE_WORDS if has_marks(text) else {fold(word) for word in PROCEDURE_WORDS}
    return bool(set(words_of(text, keep_marks=has_marks(text))) & known)


def resolve(message: Mapping, catalogue: CatalogueView, search_text: bool = True, rank_keywords: bool = True) -> Resolution:
    """Every step of the decision on one parsed message (text and entities); the NLU component runs
    them all, a caller that knows its context may skip the text search or the keyword ranking."""
    resolution = Resolution()
    resolution.named, resolution.unresolved = _entity_procedure_ids(message, catalogue)
    if len(resolution.named) > 1:
        # Several procedures named: prefer a bundle that chains all of them.
        resolution.bundle = next((p.id for p in catalogue.list_procedures() if p.is_bundle and set(resolution.named) <= {p.id, *p.bundle_of}), None)
    text = message.get("text") or ""
    explain = getattr(catalogue, "explain_phrases", None)
    if explain is not None:
        resolution.phrases = explain(text)
    if not resolution.bundle and len(resolution.mentioned()) > 1:
        resolution.aside = _aside(message, resolution.phrases, catalogue)
        if len(resolution.named) > 1:
            resolution.asked = _asked(message, resolution.phrases, catalogue, resolution.aside)
    if search_text:
        matches = catalogue.find_procedures(text, limit=MAX_CHOICES)
        resolution.text_match = _confident(matches)
        resolution.text_candidates = [m.procedure_id for m in matches]
    events = _entities(message, Entity.LIFE_EVENT)
    if events:
        resolution.life_event = str(events[0].get("value"))
        resolution.life_event_choice = _life_event_choices(resolution.life_event, catalogue)
    if search_text and rank_keywords:
        ranked = keyword_ranking(text, catalogue)
        resolution.keyword_choice = _keyword_choice(ranked)
        resolution.keyword_candidates = [pid for pid, score in ranked[:3] if score >= KEYWORD_MIN_CANDIDATE]
        resolution.keyword_scores = {pid: round(score, 3) for pid, score in ranked}
    resolution.paperwork_words = _mentions_paperwork(text)
    return resolution


def resolution_of(message: Mapping, catalogue: CatalogueView, search_text: bool = True, rank_keywords: bool = True) -> Resolution:
    """The resolution the NLU component put in the parse data; resolved here (only the steps the
    caller's context needs) for a message that skipped the NLU pipeline (a button payload) or was
    built by hand."""
    stored = message.get(PARSE_KEY)
    if stored:
        return Resolution.from_dict(stored)
    return resolve(message, catalogue, search_text, rank_keywords)


def outside_public_services(message: Mapping, found: Identification) -> bool:
    """Nothing in a "find" message points to any procedure, nor even to paperwork in general."""
    stored = message.get(PARSE_KEY)
    if stored:
        return Resolution.from_dict(stored).outside_public_services(found)
    text = message.get("text") or ""
    return not (found.found or found.candidates or _entities(message, Entity.LIFE_EVENT) or _mentions_paperwork(text))


def identify(message: Mapping, catalogue: CatalogueView, search_text: bool = True, rank_keywords: bool = True) -> Identification:
    """The procedure a parsed message is about (see `Resolution.decide`)."""
    return resolution_of(message, catalogue, search_text, rank_keywords).decide(search_text, rank_keywords)


def fallback_guess(message: Mapping, topics: Iterable[str]) -> str:
    """The intent the fallback question proposes: the best guess when it is one of `topics` (worth
    confirming, not small talk), else a search for a procedure."""
    ranking = [i.get("name") for i in message.get("intent_ranking") or [] if i.get("name") not in (Intent.NLU_FALLBACK, Intent.OUT_OF_SCOPE)]
    return ranking[0] if ranking and ranking[0] in set(topics) else Intent.FIND_PROCEDURE
