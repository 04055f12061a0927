"""The conversation index: what the broker's events become, the review filters, the handoff queue."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from console.index import queries
from console.index.ingest import apply_event
from console.index.models import messages
from console.index.queries import ConversationFilter


def ingest(engine, events) -> None:
    with engine.begin() as connection:
        for event in events:
            apply_event(connection, event)


def temporary_residence(make_events, rating=None):
    e = make_events()
    events = [
        e.action("action_session_start"),
        e.user("đăng ký tạm trú cần gì", "ask_documents", 0.93),
        e.action("action_validate_slot_mappings"),
        e.slot("procedure", "temporary-residence"),
        e.action("action_answer_documents"),
        e.bot("Đăng ký tạm trú cần: tờ khai CT01…", buttons=[{"title": "Lệ phí", "payload": "/ask_fee"}]),
    ]
    if rating:
        events.append(e.slot("satisfaction_rating", float(rating)))
    return e.sender, events


def fallback_conversation(make_events):
    e = make_events(start=time.time() + 100)  # later than the others
    return e.sender, [
        e.user("xyz abc trời mưa", "nlu_fallback", 0.31, language="vi"),
        e.action("action_two_stage_fallback"),
        e.user("blah blah", "nlu_fallback", 0.2),
        e.action("action_default_fallback"),
    ]


def test_a_conversation_is_indexed_with_what_the_assistant_understood(index_engine, make_events):
    sender, events = temporary_residence(make_events, rating=5)
    ingest(index_engine, events)
    with index_engine.connect() as connection:
        conversation = queries.get_conversation(connection, sender)
        lines = queries.conversation_messages(connection, sender)
    assert conversation["user_messages"] == 1 and conversation["rating"] == 5
    assert conversation["procedures"].split() == ["temporary-residence"]
    assert conversation["review_state"] == "new" and conversation["channel"] == "socketio"
    user = next(line for line in lines if line["kind"] == "user")
    assert (user["intent"], user["procedure"], user["language"]) == ("ask_documents", "temporary-residence", "vi")
    assert user["confidence"] == 0.93
    bot = next(line for line in lines if line["kind"] == "bot")
    assert bot["data"]["buttons"][0]["title"] == "Lệ phí"
    assert [line["text"] for line in lines if line["kind"] == "action"] == ["action_answer_documents"]


def test_needs_review_is_filled_by_rules(index_engine, make_events):
    happy, happy_events = temporary_residence(make_events, rating=5)
    unhappy, unhappy_events = temporary_residence(make_events, rating=2)
    lost, lost_events = fallback_conversation(make_events)
    e = make_events()
    asked = e.sender
    ingest(
        index_engine,
        happy_events
        + unhappy_events
        + lost_events
        + [e.user("tôi muốn gặp cán bộ", "request_human"), e.action("action_request_human"), e.kind("pause")],
    )
    with index_engine.connect() as connection:
        rows, total = queries.list_conversations(connection, ConversationFilter(review_state="needs_review"))
        reasons = {row["id"]: set(row["review_reasons"].split()) for row in rows}
        paused = queries.get_conversation(connection, asked)["paused"]
    assert total == 3 and happy not in reasons
    assert reasons == {unhappy: {"low_rating"}, lost: {"fallback"}, asked: {"handoff"}}
    assert paused is True


def test_filters_search_without_diacritics_and_page_newest_first(index_engine, make_events):
    first, first_events = temporary_residence(make_events)
    lost, lost_events = fallback_conversation(make_events)
    ingest(index_engine, first_events + lost_events)
    with index_engine.begin() as connection:

        def ids(**filters):
            return [row["id"] for row in queries.list_conversations(connection, ConversationFilter(**filters))[0]]

        assert ids(text="tam tru") == [first]
        assert ids(text="TẠM TRÚ") == [first]
        assert ids(fallback=True) == [lost]
        assert ids(low_confidence=True) == [lost]
        assert ids(procedure="temporary-residence") == [first]
        assert ids(intent="ask_documents") == [first]
        assert ids(language="vi") == [lost, first]  # newest first
        assert queries.add_tag(connection, first, "success", "lan")
        assert not queries.add_tag(connection, first, "success", "lan")  # once per conversation
        assert not queries.add_tag(connection, first, "<script>", "lan")  # only the known tags
        assert ids(tag="success") == [first]
        queries.set_review_state(connection, lost, "reviewed", "lan")
        assert ids(review_state="reviewed") == [lost]
        page_two, total = queries.list_conversations(connection, ConversationFilter(), page=2, per_page=1)
        assert total == 2 and [row["id"] for row in page_two] == [first]
        counts = queries.facet_counts(connection, ConversationFilter())
        assert (counts["fallback"], counts["reviewed"], counts["new"]) == (1, 1, 1)


def test_the_index_never_holds_a_number_a_producer_forgot_to_mask(index_engine, make_events):
    e = make_events()
    ingest(index_engine, [e.user("sđt tôi 0978 - 123 - 456, cccd 012345678901", "inform_phone"), e.bot("Bạn nộp tại 12 Lê Lợi, gọi 0935.111.222")])
    with index_engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(select(messages)) for v in row)
    assert "123 - 456" not in stored and "012345678901" not in stored and "111.222" not in stored


def test_exactly_one_of_two_concurrent_staff_takes_a_handoff(index_engine, make_events):
    with index_engine.begin() as connection:
        assert queries.open_handoff(connection, "citizen-a", "vi") == 1
        assert queries.open_handoff(connection, "citizen-b", "en") == 2
        assert queries.open_handoff(connection, "citizen-a", "vi") == 1  # asking twice keeps the place
        handoff_id = queries.current_handoff(connection, "citizen-a")["id"]
    barrier = threading.Barrier(2)
    results = {}

    def take(name):
        barrier.wait()
        with index_engine.begin() as connection:
            results[name] = queries.take_handoff(connection, handoff_id, name)

    threads = [threading.Thread(target=take, args=(name,)) for name in ("lan", "minh")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [False, True]
    with index_engine.begin() as connection:
        taken = queries.current_handoff(connection, "citizen-a")
        assert taken["status"] == "taken" and results[taken["taken_by"]] is True
        assert queries.queue_position(connection, "citizen-b") == 1  # moved up
        assert queries.end_handoff(connection, handoff_id, "returned")["status"] == "returned"
        assert queries.end_handoff(connection, handoff_id, "closed") is None  # already over
        assert [h["conversation_id"] for h in queries.open_handoffs(connection)] == ["citizen-b"]


def test_unanswered_requests_are_reported_once(index_engine):
    with index_engine.begin() as connection:
        queries.open_handoff(connection, "citizen-c")
        assert queries.unanswered_handoffs(connection, older_than=60) == []
        overdue = queries.unanswered_handoffs(connection, older_than=0)
        assert [h["conversation_id"] for h in overdue] == ["citizen-c"]
        assert queries.mark_timeout_notified(connection, overdue[0]["id"])
        assert not queries.mark_timeout_notified(connection, overdue[0]["id"])
        assert queries.unanswered_handoffs(connection, older_than=0) == []


def test_overview_figures(index_engine, make_events):
    happy, happy_events = temporary_residence(make_events, rating=5)
    lost, lost_events = fallback_conversation(make_events)
    ingest(index_engine, happy_events + lost_events)
    with index_engine.connect() as connection:
        figures = queries.overview(connection, ConversationFilter())
    assert figures["total"] == 2
    assert figures["containment"] == 0.5 and figures["fallback_rate"] == 0.5 and figures["handoff_rate"] == 0
    assert figures["rating_average"] == 5 and dict(figures["rating_distribution"])[5] == 1
    assert figures["top_procedures"] == [("temporary-residence", 1)]
    assert [n for _, _, n in figures["not_understood"]] == [1, 1]


def test_dossier_lookup_outcomes_and_lockouts(index_engine, make_events):
    e = make_events()
    ingest(
        index_engine,
        [
            e.user("tra cứu hồ sơ 000.00.12.H57-261118-0003", "check_dossier_status"),
            e.action("action_check_dossier"),
            {**e.bot("Bạn đã nhập sai quá nhiều lần."), "metadata": {"dossier_outcome": "locked"}},
            e.bot("", buttons=None),  # a widget signal: not a transcript line
        ],
    )
    with index_engine.connect() as connection:
        rows, _ = queries.list_conversations(connection, ConversationFilter(dossier_outcome="locked"))
        lines = queries.conversation_messages(connection, e.sender)
    assert [row["id"] for row in rows] == [e.sender]
    assert rows[0]["review_state"] == "needs_review" and rows[0]["review_reasons"].split() == ["lockout"]
    assert [line["kind"] for line in lines] == ["user", "action", "bot"]
