"""The two slots on button payloads, which skip the NLU pipeline: the widget's greeting and language
toggle take the language from the message's metadata, the "no" of "did you mean …?" (/out_of_scope)
empties the procedure. Typed messages are decided in the Rasa server (tests/bot/test_conversation_slots.py)."""

from actions.language import ActionSlotsOfPayload
from tests.actions.conftest import make_tracker, run, slot_events


def payload_tracker(text: str, intent: str, language: str, metadata: dict):
    tracker = make_tracker(slots={"language": language}, text=text, intent=intent)
    tracker.events[-1]["metadata"] = metadata
    return tracker


async def test_the_language_toggle_payload_follows_the_widget():
    _, events = await run(ActionSlotsOfPayload(), payload_tracker("/switch_language", "switch_language", "vi", {"language": "en"}))
    assert slot_events(events) == {"language": "en"}


async def test_the_greeting_payload_of_an_english_page_answers_in_english():
    _, events = await run(ActionSlotsOfPayload(), payload_tracker("/greet", "greet", "vi", {"language": "en"}))
    assert slot_events(events) == {"language": "en"}


async def test_a_toggle_without_metadata_flips_and_an_unchanged_language_sets_nothing():
    _, events = await run(ActionSlotsOfPayload(), payload_tracker("/switch_language", "switch_language", "en", {}))
    assert slot_events(events) == {"language": "vi"}
    _, events = await run(ActionSlotsOfPayload(), payload_tracker("/greet", "greet", "vi", {"language": "vi"}))
    assert slot_events(events) == {}


async def test_the_no_button_empties_the_procedure_and_other_payloads_set_nothing():
    _, events = await run(ActionSlotsOfPayload(), make_tracker({"procedure": "passport"}, "/out_of_scope", "out_of_scope"))
    assert slot_events(events) == {"procedure": None}
    _, events = await run(ActionSlotsOfPayload(), make_tracker({"procedure": "passport"}, "/ask_fee", "ask_fee"))
    assert slot_events(events) == {}
