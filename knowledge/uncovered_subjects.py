"""Subjects next to the procedures that no procedure answers: taxes, inheritance, cars, visas...

A citizen asking about one of them ("bán nhà có phải đóng thuế không", "how do I register a car")
shares words with a procedure (the land title, motorbike registration), and the intent classifier
may take the message for it. `UncoveredSubjects.find` looks for the listed phrases
(bot/nlu/out_of_scope_topics.yml, `subjects`) word by word, and `declines` says whether the subject
decides the message: it does unless the message also names a procedure in words that are not just
part of the subject ("đổi bằng lái ô tô" is the driving licence; in "thẻ tạm trú" for a foreigner
"tạm trú" is part of the subject). The other way round, `kept_in_scope` says when a message the
classifier declined names a procedure and no such subject. A question about the law around a procedure
(a penalty, whether something is legal) names the procedure and no subject: `LawQuestions` finds it in
the sentences that ask (`law_questions` in the same file). bot/nlu/uncovered_subjects.py applies all
three and puts what decided in the parse data: deterministic and explainable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from knowledge.names import Entity
from knowledge.phrase_finder import PhraseFinder, PhraseFound
from knowledge.procedure_index import has_marks
from knowledge.resolution import PARSE_KEY as RESOLUTION_KEY
from knowledge.resolution import Resolution

PARSE_KEY = "uncovered_subject"
LAW_QUESTION_KEY = "law_question"


class UncoveredSubjects(PhraseFinder):
    @classmethod
    def from_topics(cls, topics: Mapping[str, Any]) -> "UncoveredSubjects":
        return cls.from_lists(topics.get("subjects") or {})


def asking_sentences(text: str, sentences: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Where the message asks: its question sentences (the phrase matcher's sentences, in the
    resolver's parse data), else its last sentence, else the whole text."""
    asking = [(s["start"], s["end"]) for s in sentences if s.get("question")]
    if asking:
        return asking
    return [(sentences[-1]["start"], sentences[-1]["end"])] if sentences else [(0, len(text))]


@dataclass(frozen=True)
class LawQuestions:
    """Questions about the law around a procedure rather than the procedure: "đăng ký khai sinh quá hạn
    bị xử phạt như thế nào?", "is it a violation of the law?". Such a question names the procedure,
    so neither the classifier nor the subjects decline it. It is one when a sentence that asks holds
    a cue of `about_law` (penalties, legality) and no other sentence that asks is about the procedure:
    holds a cue of `about_procedure` (papers, where, how long, the fee, how to do it, paying a fine) or,
    without a law cue, names a procedure. "có bị phạt không? cần giấy tờ gì?" and "tôi có phải thông
    báo lưu trú? không thông báo thì có bị phạt không?" still ask for the procedure."""

    about_law: PhraseFinder
    about_procedure: PhraseFinder

    @classmethod
    def from_topics(cls, topics: Mapping[str, Any]) -> "LawQuestions":
        lists = topics.get("law_questions") or {}
        return cls(PhraseFinder.from_lists(lists.get("law") or {}), PhraseFinder.from_lists(lists.get("procedure") or {}))

    def to_dict(self) -> dict:
        return {"law": self.about_law.to_dict(), "procedure": self.about_procedure.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "LawQuestions":
        return cls(PhraseFinder.from_dict(data["law"]), PhraseFinder.from_dict(data["procedure"]))

    def find(self, text: str, sentences: Sequence[Mapping[str, Any]] = (), entities: Sequence[Mapping[str, Any]] = ()) -> Optional[PhraseFound]:
        """The law cue that makes this message a question about the law, or None."""
        marks = has_marks(text)
        named_at = [e.get("start", -1) for e in entities if e.get("entity") == Entity.PROCEDURE]
        law = None
        for start, end in asking_sentences(text, sentences):
            part = text[start:end]
            if self.about_procedure.find(part, marks) is not None:
                return None
            found = self.about_law.find(part, marks)
            if found is None:
                if any(start <= at < end for at in named_at):
                    return None
            elif law is None:
                law = PhraseFound(found.phrase, start + found.start, start + found.end)
        return law


def names_procedure(subjects: Sequence[PhraseFound], entities: Sequence[Mapping[str, Any]]) -> bool:
    """A procedure mention that is not part of a subject's own words (anywhere the message names
    one): "đổi bằng lái ô tô" names the driving licence (its mention holds the subject), "thẻ tạm trú"
    does not name temporary residence, however many times it is said."""

    def inside_a_subject(mention: Mapping[str, Any]) -> bool:
        return any(s.start <= mention.get("start", 0) and mention.get("end", 0) <= s.end for s in subjects)

    return any(e.get("entity") == Entity.PROCEDURE and not inside_a_subject(e) for e in entities)


def kept_in_scope(subjects: UncoveredSubjects, text: str, named: Sequence[str], law_question: Optional[PhraseFound] = None) -> bool:
    """A message the intent classifier declined that names a procedure, no uncovered subject and asks
    no question about the law is about that procedure: long stories told to a lawyer ("Chào Luật sư,
    ... nhập hộ khẩu về nhà chồng") read like the legal questions the classifier learned to decline.
    (Keeping also a message whose procedure is named beside its subject declined 3 fewer real
    out-of-scope questions for 2 in-scope ones: the subject stays decisive here.)"""
    return bool(named) and law_question is None and subjects.find(text) is None


def declining_subject(subjects: UncoveredSubjects, text: str, entities: Sequence[Mapping[str, Any]]) -> Optional[PhraseFound]:
    """The uncovered subject that makes this message out of scope, or None."""
    found = list(subjects.find_all(text))
    if not found or names_procedure(found, entities):
        return None
    return found[0]


def offered_on_decline(message: Mapping[str, Any]) -> list[str]:
    """The procedures offered below the decline of a parsed message (`Resolution.offered_on_decline`),
    none when a subject declined it: its procedure words are then part of the subject ("thẻ tạm trú"
    for a foreigner is not temporary residence), and none for a message that skipped the NLU pipeline
    (a button payload such as the "no" of "did you mean …?")."""
    resolution = message.get(RESOLUTION_KEY)
    if not resolution or message.get(PARSE_KEY):
        return []
    return Resolution.from_dict(resolution).offered_on_decline()
