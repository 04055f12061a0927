"""The reply language on button payloads (the widget's greeting and language toggle), which skip
the NLU pipeline: the language comes from the message's metadata. Typed messages are decided in
the Rasa server (tests/bot/test_conversation_slots.py)."""

from actions.language import ActionLanguageOfPayload
from tests.actions.conftest import make_tracker, run, slot_events


def payload_tracker(text: str, intent: str, language: str, metadata: dict):
    tracker = make_tracker(slots={"language": language}, text=text, intent=intent)
    tracker.events[-1]["metadata"] = metadata
    return tracker


async def test_the_language_toggle_payload_follows_the_widget():
    _, events = await run(ActionLanguageOfPayload(), payload_tracker("/switch_language", "switch_language", "vi", {"language": "en"}))
    assert slot_events(events) == {"language": "en"}


async def test_the_greeting_payload_of_an_english_page_answers_in_english():
    _, events = await run(ActionLanguageOfPayload(), payload_tracker("/greet", "greet", "vi", {"language": "en"}))
    assert slot_events(events) == {"language": "en"}


async def test_a_toggle_without_metadata_flips_and_an_unchanged_language_sets_nothing():
    _, events = await run(ActionLanguageOfPayload(), payload_tracker("/switch_language", "switch_language", "en", {}))
    assert slot_events(events) == {"language": "vi"}
    _, events = await run(ActionLanguageOfPayload(), payload_tracker("/greet", "greet", "vi", {"language": "vi"}))
    assert slot_events(events) == {}
