"""spaCy's PhraseMatcher as the procedure resolver's phrase matcher, with sentence weighting.

A drop-in for `knowledge.procedure_index.AliasMatcher` (same constructor, same `find`), chosen
with the resolver's `matcher:` option in config.yml. It matches every name and alias of every
procedure in one pass over a `Doc` built from the message's own words - the `\\w+` words that
`knowledge.text.fold` and the pipeline's whitespace tokenizer see, plus punctuation for the
sentencizer - so no spaCy word segmentation (pyvi) and no model download is involved. The tokens
are the folded forms of those words (`fold_word`: no diacritics, abbreviation expanded, so "cccd"
gives the four tokens of "can cuoc cong dan"), each keeping the position of the word written, and
the patterns are the folded aliases: one pattern per alias matches its accented, unaccented and
abbreviated spellings alike (attr NORM, which is the token itself here), except that a word the
citizen wrote with diacritics must carry the alias word's tone ("báo tư vấn" is not "báo tử").
Overlapping matches: the longest span wins (`spacy.util.filter_spans`), so "giấy phép lái xe quốc
tế" is not also read as "giấy phép lái xe".

Long questions tell a story first and ask last: spaCy's rule-based sentencizer splits the message,
and a span in the question sentence (the last one ending in "?" or holding a question word) is
scored against that sentence, while a span in the story is scored against the whole message and
weighed down. A one-sentence message scores exactly as with `AliasMatcher`. The partial matches a
span cannot express (the message is part of an alias, or shares most of its words) come from
`AliasMatcher`, so there is one definition of those scores.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Optional, Sequence

from knowledge.procedure_index import AliasMatcher, contains_words
from knowledge.text import fold, fold_word, nfc, strip_diacritics
from knowledge.types import ProcedureMatch

# Words and single punctuation marks; a line break ends a sentence too.
_TOKEN = re.compile(r"\w+|\n|[^\w\s]")
_SENTENCE_END = ["?", "!", ".", ";", "\n", "…"]
# Folded phrases that make a sentence a question even without "?" (Vietnamese, then English).
QUESTION_MARKERS = (
    "khong",
    "the nao",
    "o dau",
    "bao nhieu",
    "gi",
    "bao lau",
    "lam sao",
    "ra sao",
    "tai sao",
    "cach nao",
    "how",
    "what",
    "where",
    "which",
    "when",
    "can i",
    "do i",
    "should i",
    "is it",
    "could i",
    "may i",
)
# A procedure named only in the story counts this much of what it would in the question.
STORY_WEIGHT = 0.6


@dataclass(frozen=True)
class Sentence:
    start: int  # character offsets in the message
    end: int
    question: bool


@dataclass(frozen=True)
class Span:
    procedure_id: str
    alias: str
    start: int
    end: int
    sentence: int  # index into the message's sentences
    score: float


@dataclass(frozen=True)
class Analysis:
    sentences: tuple[Sentence, ...] = ()
    question: Optional[int] = None  # index of the question sentence when the message also tells a story
    spans: tuple[Span, ...] = ()
    # Procedures found only inside a longer span of another one: not offered through partial matches.
    shadowed: tuple[str, ...] = ()


def _bracketed_repeat(words: list[str], found: list[re.Match]) -> int:
    """How many tokens to drop when the tokens so far end with "(" and one written abbreviation whose
    words repeat the words just before the bracket ("bảo hiểm y tế (BHYT", "giấy phép lái xe (GPLX"):
    the abbreviation's tokens and the "(". 0 when they do not."""
    if not found:
        return 0
    abbreviation = found[-1]
    size = 0
    while size < len(found) and found[-1 - size] is abbreviation:
        size += 1
    bracket = len(words) - size - 1
    repeats = size > 1 and bracket >= size and words[bracket] == "(" and words[bracket - size : bracket] == words[bracket + 1 :]
    return size + 1 if repeats else 0


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def _tone(word: str) -> str:
    """The tone marks of a word, wherever they sit ("hoà" and "hòa" are one spelling)."""
    return "".join(sorted(ch for ch in unicodedata.normalize("NFD", word) if ch in _TONE_MARKS))


def _tones_agree(written: Sequence[re.Match], alias: str) -> bool:
    """Folded words match whatever their diacritics; a word the citizen wrote with them must also
    carry the alias word's tone: "báo tư vấn" is not "báo tử" (the death notice), though both fold
    to "bao tu". A word written without diacritics, an alias word without them, and a stretch where
    an abbreviation stands for several words ("cccd") are not compared."""
    words = list(dict.fromkeys(written))  # one written word may give several tokens
    alias_words = nfc(alias).lower().split()
    if len(words) != len(alias_words):
        return True
    for match, alias_word in zip(words, alias_words):
        word = nfc(match.group()).lower()
        if strip_diacritics(word) != word and strip_diacritics(alias_word) != alias_word and _tone(word) != _tone(alias_word):
            return False
    return True


def is_question(folded_sentence: str, raw_sentence: str) -> bool:
    return "?" in raw_sentence or any(contains_words(folded_sentence, marker) for marker in QUESTION_MARKERS)


class SpacyPhraseMatcher:
    """spaCy PhraseMatcher over folded norms, weighted by sentence (see module docstring)."""

    def __init__(self, aliases: Iterable[tuple[str, str, str]], order: Sequence[str]) -> None:
        import spacy  # only where this matcher is chosen: knowledge.procedure_index stays light
        from spacy.matcher import PhraseMatcher

        aliases = list(aliases)
        self.partial = AliasMatcher(aliases, order)
        self.order = {pid: index for index, pid in enumerate(order)}
        self.nlp = spacy.blank("xx")
        self.sentencizer = self.nlp.add_pipe("sentencizer", config={"punct_chars": _SENTENCE_END})
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.entries: list[tuple[str, str, str]] = []
        self._last: Optional[tuple[str, Analysis]] = None
        for procedure_id, alias, folded in aliases:
            key = str(len(self.entries))
            self.entries.append((procedure_id, alias, folded))
            self.matcher.add(key, [self._doc(folded.split())])

    def _doc(self, words: list[str]) -> Any:
        from spacy.tokens import Doc

        return Doc(self.nlp.vocab, words=words)

    def analyse(self, text: str) -> Analysis:
        """The message's sentences and every procedure span in it (longest of overlapping ones)."""
        last = self._last  # find() and explain() of one message share one analysis
        if last is None or last[0] != text:
            last = self._last = (text, self._analyse(nfc(text)))
        return last[1]

    def _analyse(self, text: str) -> Analysis:
        from spacy.util import filter_spans

        # One token per folded word, each pointing back at the written word it comes from ("cccd"
        # gives the four tokens of "can cuoc cong dan", all pointing at "cccd").
        words: list[str] = []
        found: list[re.Match] = []
        for match in _TOKEN.finditer(text):
            written = match.group()
            parts = fold_word(written).split() if re.match(r"\w", written) else []
            repeated = _bracketed_repeat(words, found) if written == ")" else 0
            if repeated:
                # "thẻ bảo hiểm y tế (BHYT) tự nguyện": the abbreviation in brackets repeats the
                # words before it; dropped with its "(", the name reads on ("bảo hiểm y tế tự nguyện").
                del words[-repeated:], found[-repeated:]
                continue
            for word in parts or [written]:
                words.append(word)
                found.append(match)
        if not found:
            return Analysis()
        doc = self.sentencizer(self._doc(words))
        sentences, sentence_of = [], {}
        for number, sent in enumerate(doc.sents):
            start, end = found[sent.start].start(), found[sent.end - 1].end()
            sentences.append(Sentence(start, end, is_question(fold(text[start:end]), text[start:end])))
            sentence_of.update({i: number for i in range(sent.start, sent.end)})
        # The question sentence is the last one asking; without one, every sentence counts alike.
        asking = [i for i, s in enumerate(sentences) if s.question]
        question = asking[-1] if asking and len(sentences) > 1 else None
        whole = fold(text)
        # Several aliases of one stretch of text: the first written (names before aliases).
        keys: dict[tuple[int, int], int] = {}
        for match_id, start, end in self.matcher(doc):
            entry = int(self.nlp.vocab.strings[match_id])
            if _tones_agree(found[start:end], self.entries[entry][1]):
                keys[(start, end)] = min(entry, keys.get((start, end), entry))
        spans = []
        for span in filter_spans([doc[start:end] for start, end in keys]):
            key = keys[(span.start, span.end)]
            procedure_id, alias, folded = self.entries[key]
            number = sentence_of[span.start]
            sentence = sentences[number]
            if folded == whole:
                score = 1.0
            elif question is None or number == question:
                context = whole if question is None else fold(text[sentence.start : sentence.end])
                score = 0.5 + 0.45 * len(folded) / len(context)
            else:
                score = STORY_WEIGHT * (0.5 + 0.45 * len(folded) / len(whole))
            spans.append(Span(procedure_id, alias, found[span.start].start(), found[span.end - 1].end(), number, round(min(score, 1.0), 4)))
        kept = {span.procedure_id for span in spans}
        shadowed = {self.entries[key][0] for key in keys.values()} - kept
        return Analysis(tuple(sentences), question, tuple(spans), tuple(sorted(shadowed)))

    def find(self, text: str, limit: int = 5) -> list[ProcedureMatch]:
        """Procedures best first: the best span of each, or a partial match where it has no span."""
        analysis = self.analyse(text)
        best = {m.procedure_id: m for m in self.partial.find(text, len(self.order), contained=False) if m.procedure_id not in analysis.shadowed}
        for span in analysis.spans:
            if span.procedure_id not in best or span.score > best[span.procedure_id].score:
                best[span.procedure_id] = ProcedureMatch(span.procedure_id, span.score, span.alias)
        ranked = sorted(best.values(), key=lambda match: (-match.score, self.order.get(match.procedure_id, 0)))
        return ranked[:limit]

    def explain(self, text: str) -> dict:
        """Sentences and spans as plain JSON, for the resolver's explanation in the parse data."""
        analysis = self.analyse(text)
        return {
            "sentences": [asdict(s) for s in analysis.sentences],
            "question": analysis.question,
            "spans": [asdict(s) for s in analysis.spans],
            "shadowed": list(analysis.shadowed),
        }
