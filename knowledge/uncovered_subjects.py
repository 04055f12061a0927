"""Subjects next to the procedures that no procedure answers: taxes, inheritance, cars, visas...

A citizen asking about one of them ("bán nhà có phải đóng thuế không", "how do I register a car")
shares words with a procedure (the land title, motorbike registration), and the intent classifier
may take the message for it. `UncoveredSubjects.find` looks for the listed phrases
(bot/nlu/out_of_scope_topics.yml, `subjects`) word by word, and `declines` says whether the subject
decides the message: it does unless the message also names a procedure in words that are not just
part of the subject ("đổi bằng lái ô tô" is the driving licence; in "thẻ tạm trú" for a foreigner
"tạm trú" is part of the subject). The other way round, `kept_in_scope` says when a message the
classifier declined names a procedure and no such subject. bot/nlu/uncovered_subjects.py applies
both and puts the subject in the parse data: deterministic and explainable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from knowledge.names import Entity
from knowledge.procedure_index import has_marks
from knowledge.text import fold_word, nfc, strip_diacritics

PARSE_KEY = "uncovered_subject"


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def _words(text: str, keep_marks: bool) -> list[Word]:
    """Lowercase words with their offsets, one-letter ones kept ("ô tô"); folded (an abbreviation
    expanded into its words) unless `keep_marks`, where a word written with diacritics stays as written."""
    words = []
    for match in re.finditer(r"\w+", nfc(text).lower()):
        word = match.group()
        forms = [word] if keep_marks and strip_diacritics(word) != word else fold_word(word).split()
        words += [Word(form, match.start(), match.end()) for form in forms]
    return words


@dataclass(frozen=True)
class SubjectFound:
    phrase: str
    start: int  # character offsets of the subject in the message
    end: int

    def to_dict(self) -> dict:
        return {"phrase": self.phrase, "start": self.start, "end": self.end}


class UncoveredSubjects:
    def __init__(self, phrases: Sequence[str], written_only: Sequence[str] = ()) -> None:
        self.phrases = sorted(set(phrases))
        self.written_only = sorted(set(written_only))  # ambiguous without diacritics
        # Each phrase's words as `find` compares them, by their first word, worked out once (splitting
        # every phrase again for every message was most of this component's time): for text with
        # diacritics (as written, the written-only phrases too) and for text without (folded).
        self._by_first_word: dict[bool, dict[str, list[tuple[str, tuple[str, ...]]]]] = {}
        for marks in (True, False):
            index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
            for phrase in self.phrases + (self.written_only if marks else []):
                wanted = tuple(w.text for w in _words(phrase, marks))
                if wanted:
                    index.setdefault(wanted[0], []).append((phrase, wanted))
            self._by_first_word[marks] = index

    @classmethod
    def from_topics(cls, topics: Mapping[str, Any]) -> "UncoveredSubjects":
        subjects = topics.get("subjects") or {}
        phrases = [str(p) for language in ("vi", "en") for p in subjects.get(language) or []]
        return cls(phrases, [str(p) for p in subjects.get("vi_written") or []])

    def to_dict(self) -> dict:
        return {"phrases": self.phrases, "written_only": self.written_only}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "UncoveredSubjects":
        return cls(data["phrases"], data.get("written_only") or ())

    def find(self, text: str) -> Optional[SubjectFound]:
        """The first listed subject in the text (the longest at that place; the first listed among equals):
        compared as written when the text has diacritics ("thuế" is not "thuê"), folded otherwise."""
        marks = has_marks(text)
        words = _words(text, marks)
        texts = [w.text for w in words]
        index = self._by_first_word[marks]
        for first, word in enumerate(texts):
            matches = [(phrase, len(wanted)) for phrase, wanted in index.get(word, ()) if tuple(texts[first : first + len(wanted)]) == wanted]
            if matches:
                phrase, length = max(matches, key=lambda match: words[first + match[1] - 1].end)
                return SubjectFound(phrase, words[first].start, words[first + length - 1].end)
        return None


def names_procedure(subject: SubjectFound, entities: Sequence[Mapping[str, Any]]) -> bool:
    """A procedure mention that is not part of the subject's own words: "đổi bằng lái ô tô" names the
    driving licence (its mention holds the subject), "thẻ tạm trú" does not name temporary residence."""
    return any(e.get("entity") == Entity.PROCEDURE and not (subject.start <= e.get("start", 0) and e.get("end", 0) <= subject.end) for e in entities)


def kept_in_scope(subjects: UncoveredSubjects, text: str, named: Sequence[str]) -> bool:
    """A message the intent classifier declined that names a procedure and no uncovered subject is
    about that procedure: long stories told to a lawyer ("Chào Luật sư, ... nhập hộ khẩu về nhà
    chồng") read like the legal questions the classifier learned to decline."""
    return bool(named) and subjects.find(text) is None


def declining_subject(subjects: UncoveredSubjects, text: str, entities: Sequence[Mapping[str, Any]]) -> Optional[SubjectFound]:
    """The uncovered subject that makes this message out of scope, or None."""
    subject = subjects.find(text)
    if subject is None or names_procedure(subject, entities):
        return None
    return subject
