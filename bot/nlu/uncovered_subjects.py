"""NLU component: near misses decided by the subjects no procedure answers, both ways.

Runs after the FallbackClassifier (config.yml). Taxes, inheritance, cars, visas, power cuts... share
words with procedures (the land title, motorbike registration, a new electricity connection), and
the intent classifier alone took such near misses for those procedures. When the message names an
uncovered subject (bot/nlu/out_of_scope_topics.yml, `subjects`; rules in knowledge/uncovered_subjects.py)
and no procedure beside it, the intent becomes out_of_scope with the subject in the parse data
(`uncovered_subject`), so the assistant declines politely with its pointer, the same as for any
out-of-scope message. The other way round, a message the classifier declined that names a procedure
(an entity, or a span of the resolver's phrase matcher) and no uncovered subject gets its best
procedure intent back: the classifier learned to decline long legal-sounding stories, and some of
them ask for a procedure by its name.
A question about the law around a procedure (a penalty, whether something is legal: `law_questions`)
is declined too, with its cue in the parse data (`law_question`), and is never kept in scope.
Like the procedure resolver, the list is read at training time and kept in
the model; the topics file is part of the fingerprint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.model_files import files_digest, load_json, save_json
from knowledge.names import Intent
from knowledge.resolution import PARSE_KEY as RESOLUTION_KEY
from knowledge.resolution import PROCEDURE_INTENTS, Resolution
from knowledge.uncovered_subjects import LAW_QUESTION_KEY, PARSE_KEY, LawQuestions, UncoveredSubjects, declining_subject, kept_in_scope

# Answers to the assistant's own questions and moves in the conversation: a subject word in them
# ("cảm ơn, thời tiết đẹp quá") is incidental. Any other message is a question, and one about an
# uncovered subject is declined (near misses were also taken for a handoff request: "báo cho ai").
CONVERSATION_MOVES = frozenset(
    {
        Intent.GREET,
        Intent.GOODBYE,
        Intent.THANK,
        Intent.AFFIRM,
        Intent.DENY,
        Intent.GIVE_FEEDBACK,
        Intent.RATE,
        Intent.REQUEST_RATING,
        Intent.HANDOFF_CANCEL,
        Intent.INFORM_LOCATION,
        Intent.INFORM_HAVE_DOCUMENTS,
        Intent.INFORM_DOSSIER_CODE,
        Intent.INFORM_PHONE,
        Intent.WALKTHROUGH_NEXT,
        Intent.WALKTHROUGH_BACK,
        Intent.WALKTHROUGH_REPEAT,
        Intent.WALKTHROUGH_STUCK,
        Intent.WALKTHROUGH_RESUME,
    }
)
TOPICS_FILE = Path(__file__).with_name("out_of_scope_topics.yml")
SUBJECTS_FILE = "uncovered_subjects.json"
_CODE_FILES = [Path(__file__), *(Path(__file__).parents[2] / "knowledge" / name for name in ("uncovered_subjects.py", "phrase_finder.py"))]


def decline(message: Message, key: str, found: dict) -> None:
    """out_of_scope first, the classifier's ranking kept below it (it still explains the message);
    what decided under `key`."""
    ranking = [i for i in message.get("intent_ranking") or [] if i.get("name") != Intent.OUT_OF_SCOPE]
    out_of_scope = {"name": Intent.OUT_OF_SCOPE, "confidence": 1.0}
    message.set("intent", out_of_scope, add_to_output=True)
    message.set("intent_ranking", [out_of_scope, *ranking], add_to_output=True)
    message.set(key, found, add_to_output=True)


def keep(message: Message) -> None:
    """The best procedure intent of the classifier's ranking (a search when it has none)."""
    ranking = [i for i in message.get("intent_ranking") or [] if i.get("name") in PROCEDURE_INTENTS]
    message.set("intent", ranking[0] if ranking else {"name": Intent.FIND_PROCEDURE, "confidence": 0.0}, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UncoveredSubjectClassifier(GraphComponent):
    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """The topics file and the rules' code: Rasa cannot see them in the training data."""
        return files_digest((path.name, path) for path in [TOPICS_FILE, *_CODE_FILES])

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        subjects: Optional[UncoveredSubjects] = None,
        law_questions: Optional[LawQuestions] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._subjects = subjects
        self._law_questions = law_questions

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "UncoveredSubjectClassifier":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        topics = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
        self._subjects = UncoveredSubjects.from_topics(topics)
        self._law_questions = LawQuestions.from_topics(topics)
        saved = {"subjects": self._subjects.to_dict(), "law_questions": self._law_questions.to_dict()}
        save_json(self._model_storage, self._resource, SUBJECTS_FILE, saved)
        return self._resource

    @classmethod
    def load(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext, **kwargs: Any
    ) -> "UncoveredSubjectClassifier":
        saved = load_json(model_storage, resource, SUBJECTS_FILE)
        return cls(model_storage, resource, UncoveredSubjects.from_dict(saved["subjects"]), LawQuestions.from_dict(saved["law_questions"]))

    def process(self, messages: List[Message]) -> List[Message]:
        if self._subjects is None or self._law_questions is None:
            return messages
        for message in messages:
            text = message.get("text") or ""
            intent = (message.get("intent") or {}).get("name")
            if intent in CONVERSATION_MOVES:
                continue
            resolution = message.get(RESOLUTION_KEY) or {}
            entities = message.get("entities") or []
            law_question = self._law_questions.find(text, (resolution.get("phrases") or {}).get("sentences") or [], entities)
            subject = declining_subject(self._subjects, text, entities)
            if intent == Intent.OUT_OF_SCOPE:
                if kept_in_scope(self._subjects, text, Resolution.from_dict(resolution).mentioned(), law_question):
                    keep(message)
                elif subject is not None:
                    # Recorded like a decline of the rule's own, so the reply offers no procedure inside it.
                    message.set(PARSE_KEY, subject.to_dict(), add_to_output=True)
                continue
            if subject is not None:
                decline(message, PARSE_KEY, subject.to_dict())
            elif law_question is not None:
                decline(message, LAW_QUESTION_KEY, law_question.to_dict())
        return messages
