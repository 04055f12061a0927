"""Short listed phrases found word by word in a message, as written or folded.

Used for the cue lists the understanding rules read: the uncovered subjects and the questions about the
law around a procedure (knowledge/uncovered_subjects.py), the words that put a procedure aside in a story
(knowledge/resolution.py). A phrase is compared as written (with its diacritics) in a message written
with them, so "thuế" (tax) is not "thuê" (rent); folded (no diacritics, abbreviations expanded) in a
message written without them. `written_only` phrases are looked for only in a message with diacritics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional, Sequence, TypeVar

from knowledge.procedure_index import has_marks
from knowledge.text import fold_word, nfc, strip_diacritics


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def words(text: str, keep_marks: bool) -> list[Word]:
    """Lowercase words with their offsets, one-letter ones kept ("ô tô"); folded (an abbreviation
    expanded into its words) unless `keep_marks`, where a word written with diacritics stays as written."""
    found = []
    for match in re.finditer(r"\w+", nfc(text).lower()):
        word = match.group()
        forms = [word] if keep_marks and strip_diacritics(word) != word else fold_word(word).split()
        found += [Word(form, match.start(), match.end()) for form in forms]
    return found


@dataclass(frozen=True)
class PhraseFound:
    phrase: str
    start: int  # character offsets of the phrase in the text searched
    end: int

    def to_dict(self) -> dict:
        return {"phrase": self.phrase, "start": self.start, "end": self.end}


Finder = TypeVar("Finder", bound="PhraseFinder")


class PhraseFinder:
    def __init__(self, phrases: Sequence[str], written_only: Sequence[str] = ()) -> None:
        self.phrases = sorted(set(phrases))
        self.written_only = sorted(set(written_only))  # ambiguous without diacritics
        # Each phrase's words as `find` compares them, by their first word, worked out once (splitting
        # every phrase again for every message cost 3 ms a message): for text with diacritics (as
        # written, the written-only phrases too) and for text without (folded).
        self._by_first_word: dict[bool, dict[str, list[tuple[str, tuple[str, ...]]]]] = {}
        for marks in (True, False):
            index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
            for phrase in self.phrases + (self.written_only if marks else []):
                wanted = tuple(w.text for w in words(phrase, marks))
                if wanted:
                    index.setdefault(wanted[0], []).append((phrase, wanted))
            self._by_first_word[marks] = index

    @classmethod
    def from_lists(cls: type[Finder], lists: Mapping[str, Any]) -> Finder:
        """From `{vi: [...], en: [...], vi_written: [...]}` as the topics file writes them."""
        phrases = [str(p) for language in ("vi", "en") for p in lists.get(language) or []]
        return cls(phrases, [str(p) for p in lists.get("vi_written") or []])

    def to_dict(self) -> dict:
        return {"phrases": self.phrases, "written_only": self.written_only}

    @classmethod
    def from_dict(cls: type[Finder], data: Mapping[str, Any]) -> Finder:
        return cls(data["phrases"], data.get("written_only") or ())

    def find(self, text: str, marks: Optional[bool] = None) -> Optional[PhraseFound]:
        """The first listed phrase in the text (the longest at that place; the first listed among
        equals). `marks` says how to compare when the text is part of a message: as the whole message
        is written, not as this part happens to be."""
        return next(self.find_all(text, marks), None)

    def find_all(self, text: str, marks: Optional[bool] = None) -> Iterator[PhraseFound]:
        """Every listed phrase in the text, in order, as `find` picks them (one per place)."""
        marks = has_marks(text) if marks is None else marks
        found = words(text, marks)
        texts = [w.text for w in found]
        index = self._by_first_word[marks]
        for first, word in enumerate(texts):
            matches = [(phrase, len(wanted)) for phrase, wanted in index.get(word, ()) if tuple(texts[first : first + len(wanted)]) == wanted]
            if matches:
                phrase, length = max(matches, key=lambda match: found[first + match[1] - 1].end)
                yield PhraseFound(phrase, found[first].start, found[first + length - 1].end)
