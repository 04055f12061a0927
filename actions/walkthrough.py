"""Step-by-step walkthrough of submitting a procedure online.

The position lives in two slots, `walkthrough_procedure` and `walkthrough_step` (0-based), so
the citizen can leave for a question and come back to the same step with "tiếp tục".
Steps are the procedure's own or the generic ones from common.yml (the store decides).
"""

from __future__ import annotations

from abc import abstractmethod

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Answered, KnowledgeAction, ProcedureAnswerAction, send
from actions.formatting import answers, wording
from actions.formatting.common import Reply
from knowledge.names import Slot
from knowledge.store import KnowledgeStore
from knowledge.types import Procedure


def position_events(procedure, index: int | None) -> list[EventType]:
    return [
        SlotSet(Slot.WALKTHROUGH_PROCEDURE, procedure.id if index is not None else None),
        SlotSet(Slot.WALKTHROUGH_STEP, float(index) if index is not None else None),
    ]


class ActionWalkthroughStart(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_walkthrough_start"

    answers_for_simpler_option = False

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        if not procedure.steps:
            return [answers.steps_overview(procedure, (), language)], position_events(procedure, None)
        intro = answers.walkthrough_intro(procedure, procedure.steps, language)
        return ([answers.walkthrough_step(procedure, procedure.steps, 0, language, intro)], position_events(procedure, 0))


class WalkthroughMoveAction(KnowledgeAction):
    """Moves within the walkthrough in progress; subclasses say where to."""

    @abstractmethod
    def move(self, index: int, steps, procedure, language: str) -> tuple[int | None, list[Reply]]:
        """The new step index (None when finished) and the replies."""

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        procedure_id = tracker.get_slot(Slot.WALKTHROUGH_PROCEDURE)
        index = tracker.get_slot(Slot.WALKTHROUGH_STEP)
        procedure = store.get_procedure(procedure_id) if procedure_id else None
        if procedure is None or index is None or not procedure.steps:
            send(dispatcher, [Reply(wording(language).NO_WALKTHROUGH, answers.topic_buttons(["walkthrough"], language))])
            return []
        index = min(int(index), len(procedure.steps) - 1)
        new_index, replies = self.move(index, procedure.steps, procedure, language)
        send(dispatcher, replies)
        # Coming back to the walkthrough brings its procedure back into context.
        context = [SlotSet(Slot.PROCEDURE, procedure.id)] if tracker.get_slot(Slot.PROCEDURE) != procedure.id else []
        return context + position_events(procedure, new_index)


class ActionWalkthroughNext(WalkthroughMoveAction):
    def name(self) -> str:
        return "action_walkthrough_next"

    def move(self, index, steps, procedure, language):
        if index + 1 >= len(steps):
            return None, [answers.walkthrough_done(procedure, language)]
        return index + 1, [answers.walkthrough_step(procedure, steps, index + 1, language)]


class ActionWalkthroughBack(WalkthroughMoveAction):
    def name(self) -> str:
        return "action_walkthrough_back"

    def move(self, index, steps, procedure, language):
        if index == 0:
            note = wording(language).AT_FIRST_STEP
            return 0, [answers.walkthrough_step(procedure, steps, 0, language, intro=note)]
        return index - 1, [answers.walkthrough_step(procedure, steps, index - 1, language)]


class ActionWalkthroughRepeat(WalkthroughMoveAction):
    """Repeats the current step; also used by "tiếp tục" to resume after a digression."""

    def name(self) -> str:
        return "action_walkthrough_repeat"

    def move(self, index, steps, procedure, language):
        return index, [answers.walkthrough_step(procedure, steps, index, language)]


class ActionWalkthroughStuck(WalkthroughMoveAction):
    def name(self) -> str:
        return "action_walkthrough_stuck"

    def move(self, index, steps, procedure, language):
        return index, [answers.walkthrough_stuck(steps, index, language)]
