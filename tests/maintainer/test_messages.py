"""Reading the tracker store: what each message led to, masked, and the inbox's order."""

from __future__ import annotations

import asyncio

from rasa.shared.core.events import ActionExecuted, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import MaskingSQLTrackerStore
from maintainer.inbox import build_inbox
from maintainer.messages import TrackerStoreMessages


def _user(text: str, intent: str, confidence: float, timestamp: float) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": confidence},
        parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text},
        timestamp=timestamp,
    )


def _store(url: str, conversations: dict[str, list]) -> None:
    store = MaskingSQLTrackerStore(host=url)
    for sender, events in conversations.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def test_messages_carry_what_followed_them_and_the_inbox_puts_problems_first(tmp_path, layout):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    _store(
        url,
        {
            "handoff": [
                _user("lam ho chieu o dau the", "ask_where_to_submit", 0.95, 10),
                SlotSet("procedure", "passport", timestamp=10.1),
                _user("cho toi gap nhan vien", "request_human", 0.99, 11),
                ConversationPaused(timestamp=11.1),
            ],
            "rated": [
                _user("doi ten tren so do can gi vay", "ask_documents", 0.93, 20),
                _user("1", "rate", 0.99, 21),
                SlotSet("satisfaction_rating", 1.0, timestamp=21.1),
            ],
            "fallback": [
                _user("alo alo 0912345678 co ai ko", "nlu_fallback", 0.41, 30),
                ActionExecuted("action_default_ask_affirmation", timestamp=30.1),
            ],
            "shaky": [_user("Làm hộ chiếu ở đâu thế", "ask_where_to_submit", 0.55, 40)],
            "fine": [_user("thủ tục nhận trợ cấp thất nghiệp cần gì", "ask_documents", 0.99, 50)],
        },
    )
    source = TrackerStoreMessages(url)
    messages = {m.text: m for m in source.recent_messages(100)}
    assert [m.timestamp for m in source.recent_messages(2)] == [50, 40]  # newest first, limited

    assert messages["lam ho chieu o dau the"].before_handoff and messages["lam ho chieu o dau the"].procedure == "passport"
    assert not messages["cho toi gap nhan vien"].before_handoff
    assert messages["doi ten tren so do can gi vay"].before_low_rating
    fallback = messages["alo alo [***] co ai ko"]  # masked by the store, and again on the way out
    assert fallback.fell_back and fallback.language == "vi"

    groups = build_inbox(source, layout)
    assert [(g.reasons[:1], g.count) for g in groups] == [
        (["fallback"], 1),
        (["before a handoff"], 2),
        (["before a low rating"], 1),
        ([], 1),
        ([], 1),
    ]
    # "lam ho chieu o dau the" and "Làm hộ chiếu ở đâu thế" are one group, shaky and before a handoff.
    assert set(groups[1].texts) == {"lam ho chieu o dau the", "Làm hộ chiếu ở đâu thế"}
    assert groups[1].reasons == ["before a handoff", "low confidence"]
    assert groups[1].understood.confidence == 0.55  # the latest occurrence
    problems = build_inbox(source, layout, only_problems=True)
    assert [g.text for g in problems] == [g.text for g in groups[:3]]
