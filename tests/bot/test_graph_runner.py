"""The model's prediction graph run without dask (bot/graph_runner.py) gives Rasa's results, and
the patch that installs it (bot/patches.py) refuses Rasa code it was not written for."""

from __future__ import annotations

import asyncio
import types

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import patches
from bot.graph_runner import SequentialGraphRunner
from bot.patches import RasaPatchError

CONVERSATIONS = [
    ["con tôi mới sinh được 1 tuần", "cần giấy tờ gì", "lệ phí bao nhiêu"],
    ["mat cccd lam lai the nao", "nop o dau", "cam on"],
    ["my passport expired", "how long does it take", "I want to talk to a person"],
    ["tra cứu hồ sơ", "xin chào", "<script>alert(1)</script>", ""],
]


@pytest.fixture(scope="module")
def processors(trained_model):
    """A processor of the trained model on Rasa's dask runner, and one on the sequential runner."""
    loaded = {}
    for runner in (DaskGraphRunner, SequentialGraphRunner):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rasa.core.processor, "DaskGraphRunner", runner)
            agent = Agent.load(model_path=str(trained_model))
        assert isinstance(agent.processor.graph_runner, runner)
        loaded[runner] = agent.processor
    return loaded[DaskGraphRunner], loaded[SequentialGraphRunner]


def _new_tracker() -> DialogueStateTracker:
    session_start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    return DialogueStateTracker.from_events("graph-runner", session_start)


def _next_actions(processor, tracker: DialogueStateTracker) -> list:
    """The actions the policies predict until they listen (at most 5), with their predictions."""
    predictions = []
    for _ in range(5):
        prediction = processor._predict_next_with_tracker(tracker)
        action = processor.domain.action_names_or_texts[prediction.max_confidence_index]
        predictions.append((action, prediction))
        tracker.update(ActionExecuted(action, policy=prediction.policy_name, confidence=prediction.max_confidence))
        if action == "action_listen":
            break
    return predictions


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda texts: texts[0][:20] or "empty")
def test_parses_and_predictions_are_rasa_s(processors, conversation):
    with_dask, sequential = processors
    trackers = [_new_tracker() for _ in processors]
    for text in conversation:
        parses = [asyncio.run(processor.parse_message(UserMessage(text), tracker)) for processor, tracker in zip(processors, trackers)]
        assert parses[0] == parses[1]
        for tracker in trackers:
            tracker.update(UserUttered(text, parses[0]["intent"], parses[0]["entities"], parses[0]))
        predicted = [_next_actions(processor, tracker) for processor, tracker in zip(processors, trackers)]
        assert predicted[0] == predicted[1]
        assert predicted[0][0][1].policy_name  # a policy decided (rules or memorised stories)
    assert with_dask.graph_runner is not sequential.graph_runner


def test_plans_are_computed_once_per_targets(processors):
    _, sequential = processors
    runner = sequential.graph_runner
    targets = (sequential.model_metadata.nlu_target,)
    assert runner.plan(targets) is runner.plan(targets)
    names = [name for name, _ in runner.plan(targets)]
    assert names[-1] == targets[0]
    for position, (_name, needs) in enumerate(runner.plan(targets)):  # each after what it needs
        assert all(need not in names[position:] for need in needs)


def test_an_input_named_like_a_node_is_refused_as_dask_does(processors):
    _, sequential = processors
    target = sequential.model_metadata.nlu_target
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        sequential.graph_runner.run(inputs={"__message__": target}, targets=[target])


def test_the_patch_installs_the_runner_once(monkeypatch):
    monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", DaskGraphRunner)
    assert patches.apply_graph_runner_patch() is True
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
    assert patches.apply_graph_runner_patch() is False


def test_a_changed_dask_runner_is_refused_loudly(monkeypatch):
    monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", DaskGraphRunner)

    class ChangedRunner(DaskGraphRunner):
        def run(self, inputs=None, targets=None):  # e.g. upstream runs nodes in parallel
            return {}

    with pytest.raises(RasaPatchError, match="DaskGraphRunner.run changed"):
        patches.apply_graph_runner_patch(dask_runner_class=ChangedRunner)
    assert rasa.core.processor.DaskGraphRunner is DaskGraphRunner


def test_a_processor_that_no_longer_names_the_runner_is_refused_loudly():
    class MessageProcessor:
        def _load_model(self, model_path):
            return model_path  # e.g. upstream picks the runner from the model's metadata

    processor_module = types.SimpleNamespace(MessageProcessor=MessageProcessor, DaskGraphRunner=DaskGraphRunner)
    with pytest.raises(RasaPatchError, match="no longer passes"):
        patches.apply_graph_runner_patch(processor_module=processor_module)
    assert processor_module.DaskGraphRunner is DaskGraphRunner
