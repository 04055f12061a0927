"""The Rasa patch of bot/patches.py: same checks as Rasa's, applied in the Rasa process, and
refused loudly when Rasa's code is not the code it was written for."""

from __future__ import annotations

import copy
import textwrap

import pytest
from jsonschema import ValidationError

from bot import patches
from bot.patches import RasaPatchError

RemoteAction = pytest.importorskip("rasa.core.actions.action").RemoteAction

VALID_RESPONSES = [
    {"events": [], "responses": []},
    {},
    {
        "events": [{"event": "slot", "name": "procedure", "value": "khai-sinh", "timestamp": None}],
        "responses": [{"text": "Xin chào", "buttons": [{"title": "Có", "payload": "/affirm"}]}],
    },
    {"events": [{"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0}], "responses": [{"response": "utter_greet"}]},
]
INVALID_RESPONSES = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without a name
    {"events": [], "responses": ["a string, not an object"]},
    {"events": [{"event": "no_such_event"}]},
    [],
]


@pytest.fixture(scope="module")
def patched_and_original():
    patches.apply()
    patched = RemoteAction.__dict__["_validate_action_result"]
    return patched, patched.original


def _outcome(validate, response):
    try:
        return validate(RemoteAction("action_x", None), copy.deepcopy(response))
    except ValidationError as error:
        return ("ValidationError", error.message, list(error.path), error.validator)


def test_the_patch_is_applied_and_idempotent(patched_and_original):
    patched, original = patched_and_original
    assert patched is not original
    assert patches.apply_action_response_validator_patch() is False  # already applied
    assert RemoteAction.__dict__["_validate_action_result"] is patched


@pytest.mark.parametrize("response", VALID_RESPONSES + INVALID_RESPONSES)
def test_patched_validation_gives_rasa_s_result_and_error(patched_and_original, response):
    patched, original = patched_and_original
    assert _outcome(patched, response) == _outcome(original, response)


@pytest.mark.parametrize("response", INVALID_RESPONSES)
def test_an_invalid_response_is_still_rejected_with_rasa_s_hint(patched_and_original, response):
    patched, _ = patched_and_original
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        patched(RemoteAction("action_x", None), response)


def test_the_validator_is_not_rebuilt_per_call(patched_and_original, monkeypatch):
    patched, original = patched_and_original
    from jsonschema.validators import validator_for

    validator_class = validator_for(RemoteAction.action_response_format_spec())
    calls = []
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, s: calls.append(s)))
    for response in VALID_RESPONSES:
        patched(RemoteAction("action_x", None), response)
    assert calls == []
    original(RemoteAction("action_x", None), VALID_RESPONSES[0])
    assert len(calls) == 1  # Rasa's own method checks the schema on every call


def _class_with(tmp_path, validate_source: str | None = None, run_source: str | None = None) -> type:
    """A RemoteAction subclass whose methods are the given source (as a Rasa upgrade might ship)."""
    import importlib.util

    body = ""
    if validate_source:
        body += textwrap.indent(textwrap.dedent(validate_source), "    ") + "\n"
    if run_source:
        body += textwrap.indent(textwrap.dedent(run_source), "    ") + "\n"
    path = tmp_path / "upgraded_rasa_action.py"
    path.write_text(
        "from __future__ import annotations\nfrom rasa.core.actions.action import RemoteAction\n\n"
        f"class Changed(RemoteAction):\n{body or '    pass'}\n"
    )
    spec = importlib.util.spec_from_file_location("upgraded_rasa_action", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Changed


def test_a_changed_validation_method_is_refused_loudly(tmp_path):
    changed = _class_with(
        tmp_path,
        validate_source="""
        def _validate_action_result(self, result):
            return True  # e.g. upstream made validation optional
    """,
    )
    with pytest.raises(RasaPatchError, match="_validate_action_result changed"):
        patches.apply_action_response_validator_patch(changed)
    assert "_citizen_assistant_patched" not in dir(changed.__dict__["_validate_action_result"])


def test_a_removed_validation_method_is_refused_loudly():
    class Removed:  # RemoteAction without the method (moved or renamed upstream)
        run = RemoteAction.run

    with pytest.raises(RasaPatchError, match="no longer exists"):
        patches.apply_action_response_validator_patch(Removed)


def test_a_run_that_no_longer_calls_it_is_refused_loudly(tmp_path):
    import inspect

    original = RemoteAction.__dict__["_validate_action_result"]
    original = getattr(original, "original", original)
    changed = _class_with(
        tmp_path,
        validate_source=inspect.getsource(original),
        run_source="""
        async def run(self, output_channel, nlg, tracker, domain):
            return []
        """,
    )
    # The copied method has Rasa's exact source, so only the call site differs.
    with pytest.raises(RasaPatchError, match="no longer calls"):
        patches.check_validator_patch_applies(changed)


def test_the_error_is_not_an_import_error():
    # Rasa swallows ImportError from a custom tracker store and silently uses memory instead.
    assert not issubclass(RasaPatchError, (ImportError, AttributeError))


def test_importing_the_tracker_store_applies_it():
    import bot.tracker_store  # noqa: F401  (what Rasa imports from endpoints.yml)

    assert getattr(RemoteAction.__dict__["_validate_action_result"], "_citizen_assistant_patched", False)


def test_the_switch_leaves_rasa_unpatched(monkeypatch, tmp_path):
    changed = _class_with(
        tmp_path,
        validate_source="""
        def _validate_action_result(self, result):
            return True
    """,
    )
    monkeypatch.setattr("rasa.core.actions.action.RemoteAction", changed)
    monkeypatch.setenv("RASA_PATCHES", "off")
    patches.apply()  # would raise RasaPatchError on `changed` without the switch
    monkeypatch.setenv("RASA_PATCHES", "on")
    with pytest.raises(RasaPatchError):
        patches.apply()


def test_rasa_does_not_start_with_a_patch_that_no_longer_applies(monkeypatch, tmp_path):
    """What Rasa does with endpoints.yml: import the tracker store module and build it. A patch
    that no longer applies must stop it, not be swallowed into an in-memory tracker store."""
    import sys

    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    def upgraded(self, result):  # a Rasa release whose validation code differs
        return True

    monkeypatch.setattr(RemoteAction, "_validate_action_result", upgraded)
    monkeypatch.delitem(sys.modules, "bot.tracker_store", raising=False)
    endpoint = EndpointConfig(type="bot.tracker_store.MaskingSQLTrackerStore", url=f"sqlite:///{tmp_path}/t.db")
    with pytest.raises(RasaPatchError, match="cannot patch Rasa"):
        TrackerStore.create(endpoint)
