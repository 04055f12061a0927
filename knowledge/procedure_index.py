"""What the procedure resolver needs to know about the catalogue: ids, names, aliases, life events,
bundles, and the phrase matcher that finds names and aliases in a message.

Pure standard library (no SQLAlchemy, no Rasa), so the same index serves the knowledge store
(`KnowledgeStore.find_procedures`), the NLU component (bot/nlu/procedure_resolver.py, which builds
it from knowledge/content at training time and keeps it in the model as JSON) and the actions.

The phrase matcher is one replaceable piece: anything with `find(text, limit)` returning
`ProcedureMatch`es best first (see `PhraseMatcher`) can stand in for `AliasMatcher`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Protocol, Sequence

from knowledge.text import fold, fold_word, nfc, strip_diacritics
from knowledge.types import ProcedureMatch


def alias_phrases(names: Mapping[str, str], aliases: Mapping[str, Sequence[str]]) -> list[dict]:
    """Names first, then aliases, per language; a phrase that folds to an earlier one adds nothing.

    One definition for the loader (ProcedureAliasRow) and the resolver's index.
    """
    phrases, seen = [], set()
    candidates = [(True, lang, text) for lang, text in names.items()]
    candidates += [(False, lang, alias) for lang in ("vi", "en") for alias in aliases.get(lang, ())]
    for is_name, lang, phrase in candidates:
        folded = fold(phrase)
        if (lang, folded) not in seen:
            seen.add((lang, folded))
            phrases.append({"lang": lang, "alias": phrase, "folded": folded, "is_name": is_name})
    return phrases


# --------------------------------------------------------------------------- the phrase matcher


class PhraseMatcher(Protocol):
    def find(self, text: str, limit: int = 5) -> list[ProcedureMatch]:
        """Procedures whose names or aliases match `text`, best first."""


@dataclass(frozen=True)
class AliasEntry:
    folded: str
    procedure_id: str
    alias: str
    words: frozenset


def contains_words(haystack: str, needle: str) -> bool:
    """Whole-word containment of fold()-ed strings."""
    return f" {needle} " in f" {haystack} "


def _alias_score(query: str, query_words: set, entry: AliasEntry, contained: bool = True) -> float:
    """1.0 for an exact match; longer aliases found in the question score higher than short ones;
    a question that is only part of an alias, or shares most of its words, scores lower.
    `contained=False` leaves out the aliases found whole in the question (a span matcher scores those)."""
    if contains_words(query, entry.folded):
        if not contained:
            return 0.0
        return 1.0 if entry.folded == query else 0.5 + 0.45 * len(entry.folded) / len(query)
    if contains_words(entry.folded, query):
        return 0.3 + 0.4 * len(query) / len(entry.folded)
    shared = entry.words & query_words
    if len(shared) >= 2 and len(shared) / len(entry.words) >= 0.6:
        return 0.4 * len(shared) / len(entry.words) * (0.5 + 0.5 * len(shared) / len(query_words))
    return 0.0


class AliasMatcher:
    """Scores folded names and aliases against the folded text (accents, case, abbreviations ignored)."""

    def __init__(self, aliases: Iterable[tuple[str, str, str]], order: Sequence[str]) -> None:
        """`aliases`: (procedure id, alias as written, folded alias); `order`: procedure ids, catalogue order."""
        self.entries: list[AliasEntry] = []
        self.by_word: dict[str, list[int]] = {}  # folded word -> entry positions
        self.order = {pid: index for index, pid in enumerate(order)}
        for procedure_id, alias, folded in aliases:
            entry = AliasEntry(folded, procedure_id, alias, frozenset(folded.split()))
            for word in entry.words:
                self.by_word.setdefault(word, []).append(len(self.entries))
            self.entries.append(entry)

    def find(self, text: str, limit: int = 5, contained: bool = True) -> list[ProcedureMatch]:
        query = fold(text)
        if not query:
            return []
        query_words = set(query.split())
        # Every way of matching shares at least one word, so only those aliases are scored.
        candidates = sorted({i for word in query_words for i in self.by_word.get(word, ())})
        best: dict[str, ProcedureMatch] = {}
        for entry in (self.entries[i] for i in candidates):
            score = _alias_score(query, query_words, entry, contained)
            if score > 0 and (entry.procedure_id not in best or score > best[entry.procedure_id].score):
                best[entry.procedure_id] = ProcedureMatch(entry.procedure_id, round(min(score, 1.0), 4), entry.alias)
        ranked = sorted(best.values(), key=lambda match: (-match.score, self.order.get(match.procedure_id, 0)))
        return ranked[:limit]


# --------------------------------------------------------------------------- keywords

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


def _stem(word: str) -> str:
    """English plurals and -ing trimmed, and the nouns and participles of a few verbs brought back to the
    verb ("certification", "certified": certify; "registration": register); Vietnamese syllables never
    match these patterns."""
    if re.fullmatch(r"[a-z]{3,}ifi(cation|ed)", word):
        return word[: word.rindex("ifi")] + "ify"
    if re.fullmatch(r"[a-z]{2,}istration", word):
        return word[: -len("istration")] + "ister"
    if re.fullmatch(r"[a-z]{4,}ies", word):
        return word[:-3] + "y"
    if re.fullmatch(r"[a-z]{3,}[^s]s", word):
        return word[:-1]
    if re.fullmatch(r"[a-z]{3,}ing", word):
        return word[:-3]
    return word


def words_of(text: str, keep_marks: bool) -> list[str]:
    """Lowercase words; folded (no diacritics, abbreviations expanded) unless `keep_marks`, where
    a word written with diacritics stays as written, so "đội" does not meet "đổi" or "đời"."""
    words = []
    for word in re.findall(r"\w+", nfc(text).lower()):
        if keep_marks and strip_diacritics(word) != word:
            words.append(word)
        else:
            words += [_stem(w) for w in fold_word(word).split()]
    return [word for word in words if len(word) > 1]


def keywords(text: str, keep_marks: bool = False) -> set[str]:
    """Content words and adjacent word pairs ("con dau": seal, though "dau" alone is "where")."""
    words = words_of(text, keep_marks)
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:]) if not (fold(a) in STOPWORDS and fold(b) in STOPWORDS)}
    return {word for word in words if fold(word) not in STOPWORDS} | pairs


def has_marks(text: str) -> bool:
    return strip_diacritics(text) != text


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class IndexedProcedure:
    """The part of a procedure the resolver reads (a `knowledge.types.Procedure` has the same fields)."""

    id: str
    names: Mapping[str, str]  # {"vi": ..., "en": ...}
    aliases_vi: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()
    life_events: tuple[str, ...] = ()
    bundle_of: tuple[str, ...] = ()

    @property
    def is_bundle(self) -> bool:
        return bool(self.bundle_of)


MatcherFactory = Callable[[Iterable[tuple[str, str, str]], Sequence[str]], PhraseMatcher]


@dataclass
class ProcedureIndex:
    """Procedures in catalogue order with their phrase matcher and keyword vocabulary."""

    procedures: dict[str, IndexedProcedure]
    aliases: list[tuple[str, str, str]]  # (procedure id, alias, folded)
    matcher_factory: MatcherFactory = AliasMatcher
    matcher: PhraseMatcher = field(init=False)
    _keywords: Optional[tuple[dict[str, set[str]], dict[str, float]]] = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.matcher = self.matcher_factory(self.aliases, list(self.procedures))

    # -- builders --

    @classmethod
    def from_content(cls, procedures: Iterable[Mapping], matcher_factory: MatcherFactory = AliasMatcher) -> "ProcedureIndex":
        """From validated content dicts (`knowledge.loader.read_content(...).procedures`)."""
        indexed, aliases = {}, []
        for data in procedures:
            pid = data["id"]
            indexed[pid] = IndexedProcedure(
                id=pid,
                names=dict(data["names"]),
                aliases_vi=tuple(data["aliases"].get("vi", ())),
                aliases_en=tuple(data["aliases"].get("en", ())),
                life_events=tuple(data.get("life_events", ())),
                bundle_of=tuple(data.get("bundle_of", ())),
            )
            aliases += [(pid, phrase["alias"], phrase["folded"]) for phrase in alias_phrases(data["names"], data["aliases"])]
        return cls(indexed, aliases, matcher_factory)

    def to_dict(self) -> dict:
        """Plain JSON (the NLU component persists it in the model; never pickle)."""
        return {
            "procedures": [
                {
                    "id": p.id,
                    "names": dict(p.names),
                    "aliases_vi": list(p.aliases_vi),
                    "aliases_en": list(p.aliases_en),
                    "life_events": list(p.life_events),
                    "bundle_of": list(p.bundle_of),
                }
                for p in self.procedures.values()
            ],
            "aliases": [list(alias) for alias in self.aliases],
        }

    @classmethod
    def from_dict(cls, data: Mapping, matcher_factory: MatcherFactory = AliasMatcher) -> "ProcedureIndex":
        procedures = {
            p["id"]: IndexedProcedure(
                id=p["id"],
                names=p["names"],
                aliases_vi=tuple(p["aliases_vi"]),
                aliases_en=tuple(p["aliases_en"]),
                life_events=tuple(p["life_events"]),
                bundle_of=tuple(p["bundle_of"]),
            )
            for p in data["procedures"]
        }
        return cls(procedures, [(a[0], a[1], a[2]) for a in data["aliases"]], matcher_factory)

    # -- the questions the resolver asks --

    def get_procedure(self, procedure_id: str) -> Optional[IndexedProcedure]:
        return self.procedures.get(procedure_id)

    def list_procedures(self) -> list[IndexedProcedure]:
        return list(self.procedures.values())

    def find_procedures(self, text: str, limit: int = 5) -> list[ProcedureMatch]:
        return self.matcher.find(text, limit)

    def explain_phrases(self, text: str) -> dict:
        """Where the matcher found procedures (sentences, spans), when it says; {} otherwise."""
        explain = getattr(self.matcher, "explain", None)
        return explain(text) if explain is not None else {}

    def procedures_for_life_event(self, event: str) -> list[IndexedProcedure]:
        return [p for p in self.procedures.values() if event in p.life_events]

    def keyword_index(self) -> tuple[dict[str, set[str]], dict[str, float]]:
        """Per procedure, the keywords of its names and aliases (as written and folded); their idf."""
        if self._keywords is None:
            vocabulary = {}
            for procedure in self.procedures.values():
                phrases = [procedure.names["vi"], procedure.names["en"], *procedure.aliases_vi, *procedure.aliases_en]
                vocabulary[procedure.id] = set().union(*(keywords(phrase, keep_marks) for phrase in phrases for keep_marks in (True, False)))
            frequency = Counter(word for words in vocabulary.values() for word in words)
            idf = {word: math.log(len(vocabulary) / count) for word, count in frequency.items()}
            self._keywords = (vocabulary, idf)
        return self._keywords
