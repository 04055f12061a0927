"""The checklist form driven by the knowledge data, and "what am I missing?"."""

from __future__ import annotations

import pytest

from actions.checklist import (
    ActionAskChecklistAnswer,
    ActionCheckMissingDocuments,
    ActionShowChecklist,
    ActionStartChecklist,
    ValidateChecklistForm,
    match_answer,
)
from actions.formatting import wording
from knowledge.store import close_stores
from knowledge.types import Answer, Question, Text
from tests.actions.conftest import (
    FIXTURE_PROCEDURES,
    document,
    entity,
    load_store,
    make_tracker,
    procedure,
    run,
    slot_events,
    text,
    write_content,
)

DOMAIN = {"forms": {"checklist_form": {"required_slots": ["checklist_answer"]}}}

YES_NO = Question("q", Text("?", "?"), (Answer("yes", Text("Có", "Yes")), Answer("no", Text("Không", "No"))))
VEHICLE = Question(
    "vehicle", Text("Xe gì?", "Which vehicle?"), (Answer("car", Text("Ô tô", "Car")), Answer("motorbike", Text("Xe máy", "Motorbike")))
)


@pytest.mark.parametrize(
    "said, value",
    [
        ("yes", "yes"),
        ("no", "no"),  # button payloads
        ("có", "yes"),
        ("Có ạ", "yes"),
        ("co", "yes"),
        ("dạ có", "yes"),
        ("Yes", "yes"),
        ("yeah", "yes"),
        ("đúng rồi", "yes"),
        ("có rồi", "yes"),
        ("không", "no"),
        ("ko", "no"),
        ("k", "no"),
        ("không có", "no"),
        ("chưa", "no"),
        ("chua co", "no"),
        ("no", "no"),
        ("No, not really", "no"),
        ("không đúng", "no"),
        ("hôm nay trời đẹp", None),
        ("", None),
        ("không, nó vẫn còn", "no"),
        ("tôi có ảnh 4x6 và tờ khai rồi, còn thiếu gì", None),
    ],
)
def test_yes_no_answers_in_both_languages(said, value):
    assert match_answer(YES_NO, said) == value


@pytest.mark.parametrize(
    "said, value",
    [
        ("car", "car"),
        ("Ô tô", "car"),
        ("o to", "car"),
        ("xe máy ạ", "motorbike"),
        ("a motorbike", "motorbike"),
        ("Motorbike", "motorbike"),
        ("có", None),
        ("cả hai", None),
    ],
)
def test_other_answers_match_labels_and_values(said, value):
    assert match_answer(VEHICLE, said) == value


REASON = Question(
    "reason",
    Text("Vì sao?", "Why?"),
    (
        Answer("lost", Text("Thẻ bị mất hoặc hư hỏng (cấp lại)", "It was lost or damaged")),
        Answer("exchange", Text("Thẻ đến hạn phải đổi", "It is due for exchange")),
    ),
)


@pytest.mark.parametrize(
    "said, value",
    [
        ("bị mất", "lost"),
        ("bi mat roi", None),
        ("lost", "lost"),
        ("đến hạn", "exchange"),
        ("exchange", "exchange"),
        ("thẻ", None),  # in both labels: ask again rather than guess
    ],
)
def test_free_text_found_inside_one_long_label(said, value):
    assert match_answer(REASON, said) == value


FIRST_PASSPORT = Question(
    "first_passport",
    Text("Lần đầu làm hộ chiếu?", "First passport?"),
    (
        Answer("yes", Text("Lần đầu", "First passport")),
        Answer("no", Text("Đã từng có hộ chiếu", "Had one before")),
    ),
)


@pytest.mark.parametrize(
    "said, value",
    [
        ("có", "yes"),
        ("dạ có ạ", "yes"),
        ("không", "no"),
        ("ko", "no"),  # bare yes/no beats label words
        ("đã từng có", "no"),
        ("da tung co", "no"),
        ("had one before", "no"),
        ("lần đầu", "yes"),
        ("có, lần đầu tiên", "yes"),
    ],
)
def test_label_words_beat_a_yes_no_word_inside_a_phrase(said, value):
    assert match_answer(FIRST_PASSPORT, said) == value


class FormConversation:
    """Drives the form's actions the way Rasa does: ask, extract the text, validate, repeat."""

    def __init__(self, slots: dict):
        self.slots = dict(slots)

    async def start(self) -> list[dict]:
        messages, events = await run(ActionStartChecklist(), make_tracker(self.slots, "", "start_checklist"))
        self.slots.update(slot_events(events))
        return messages

    async def ask(self) -> list[dict]:
        messages, events = await run(ActionAskChecklistAnswer(), make_tracker(self.slots, active_loop="checklist_form"))
        self.slots.update(slot_events(events))
        return messages

    async def answer(self, said: str) -> tuple[list[dict], bool]:
        """Returns the validation's messages and whether the form is done."""
        tracker = make_tracker({**self.slots, "checklist_answer": said}, said, active_loop="checklist_form")
        tracker.events.append({"event": "slot", "name": "checklist_answer", "value": said})
        messages, events = await run(ValidateChecklistForm(), tracker, DOMAIN)
        changes = slot_events(events)
        self.slots.update(changes)
        return messages, changes.get("requested_slot", "unset") is None

    async def show(self) -> list[dict]:
        messages, events = await run(ActionShowChecklist(), make_tracker(self.slots))
        self.slots.update(slot_events(events))
        return messages


async def test_birth_checklist_asks_conditional_questions_and_filters_documents(store):
    form = FormConversation({"procedure": "birth-registration"})
    await form.start()
    assert form.slots["checklist_has_questions"] is True

    first = await form.ask()
    assert first[0]["text"] == "Bé có giấy chứng sinh không?"
    assert [b["payload"] for b in first[0]["buttons"]] == ["yes", "no"]
    assert form.slots["checklist_question"] == "hospital_birth"
    assert (await form.answer("không")) == ([], False)

    assert (await form.ask())[0]["text"] == "Bạn muốn làm liên thông không?"
    assert (await form.answer("co")) == ([], False)
    # Asked only because the bundle was wanted (ask_when).
    assert (await form.ask())[0]["text"] == "Bé ở cùng cha mẹ?"
    _, done = await form.answer("No")
    assert done
    assert form.slots["checklist_answers"] == {
        "procedure": "birth-registration",
        "answers": {"hospital_birth": "no", "want_bundle": "yes", "same_residence": "no"},
    }

    # The form's answers must not leave the procedure out of context.
    form.slots["procedure"] = None
    checklist = (await form.show())[0]["text"]
    assert "Văn bản làm chứng" in checklist
    assert "Giấy tờ chỗ ở của bé" in checklist
    assert "Giấy chứng sinh" not in checklist
    assert "Tờ khai đăng ký khai sinh" in checklist
    assert form.slots["procedure"] == "birth-registration"


async def test_activation_with_the_reset_slot_says_nothing(store):
    """At activation Rasa validates the slots just reset by action_start_checklist."""
    form = FormConversation({"procedure": "birth-registration"})
    await form.start()
    tracker = make_tracker(form.slots, "make my checklist", "start_checklist", active_loop="checklist_form")
    tracker.events.append({"event": "slot", "name": "checklist_answer", "value": None})
    messages, events = await run(ValidateChecklistForm(), tracker, DOMAIN)
    assert messages == []
    assert slot_events(events).get("checklist_answers") is None


async def test_skipped_question_is_not_asked_and_its_documents_are_left_out(store):
    form = FormConversation({"procedure": "birth-registration", "language": "en"})
    await form.start()
    await form.ask()
    await form.answer("yes")
    await form.ask()
    _, done = await form.answer("no")  # no bundle: the residence question is skipped
    assert done
    checklist = (await form.show())[0]["text"]
    assert checklist.startswith("Your checklist for Birth registration")
    assert "Hospital birth certificate" in checklist
    assert "Proof of the baby's address" not in checklist and "Witness statement" not in checklist


async def test_unclear_answer_is_asked_again(store):
    form = FormConversation({"procedure": "birth-registration"})
    await form.start()
    await form.ask()
    messages, done = await form.answer("hôm nay trời đẹp")
    assert messages[0]["text"] == wording("vi").NOT_UNDERSTOOD_ANSWER
    assert not done
    assert form.slots["checklist_answers"]["answers"] == {}
    assert (await form.ask())[0]["text"] == "Bé có giấy chứng sinh không?"


@pytest.mark.parametrize("said", ["thôi", "hủy", "stop", "cancel please"])
async def test_leaving_the_form_early_lists_every_document(store, said):
    form = FormConversation({"procedure": "birth-registration"})
    await form.start()
    await form.ask()
    await form.answer("có")
    await form.ask()
    _, done = await form.answer(said)
    assert done
    listed = (await form.show())[0]["text"]
    assert listed.startswith("Giấy tờ cần chuẩn bị")  # the overview, not a fitted checklist
    assert "Văn bản làm chứng (tùy trường hợp)" in listed


async def test_procedure_without_questions_goes_straight_to_the_list(store):
    form = FormConversation({"procedure": "permanent-residence"})
    await form.start()
    assert form.slots["checklist_has_questions"] is False


async def test_no_procedure_in_context_asks_which(store):
    form = FormConversation({})
    messages = await form.start()
    assert messages[0]["text"] == wording("vi").ASK_PROCEDURE
    assert form.slots["checklist_has_questions"] is False


async def test_a_new_procedure_with_its_own_questions_needs_no_code(tmp_path, monkeypatch):
    """A procedure file written here, with questions no code knows about, runs through the same form."""
    licence = procedure(
        "driving-licence-renewal",
        "Cấp đổi giấy phép lái xe",
        "Driving licence renewal",
        level="provincial-police",
        category="transport",
        checklist=[
            {
                "id": "reason",
                "question": text("Bạn đổi hay cấp lại do mất?", "Renewal or lost?"),
                "answers": [{"value": "lost", "label": text("Bị mất", "Lost")}, {"value": "expired", "label": text("Hết hạn", "Expired")}],
            },
            {
                "id": "vehicle",
                "question": text("Bằng lái xe gì?", "Which vehicle?"),
                "answers": [{"value": "car", "label": text("Ô tô", "Car")}, {"value": "motorbike", "label": text("Xe máy", "Motorbike")}],
                "ask_when": {"reason": "expired"},
            },
        ],
        documents=[
            document("application", "Đơn đề nghị", "Application form"),
            document("health-certificate", "Giấy khám sức khỏe", "Health certificate", when={"vehicle": "car"}),
            document("old-licence", "Bằng lái cũ", "Old licence", when={"reason": ["expired"]}),
            document("loss-report", "Đơn trình báo mất", "Loss report", when={"reason": ["lost"]}),
        ],
    )
    content = write_content(tmp_path / "content", FIXTURE_PROCEDURES + [licence])
    load_store(content, tmp_path / "extra.db", monkeypatch)
    try:
        form = FormConversation({"procedure": "driving-licence-renewal", "language": "en"})
        await form.start()
        assert (await form.ask())[0]["buttons"] == [{"title": "Lost", "payload": "lost"}, {"title": "Expired", "payload": "expired"}]
        await form.answer("hết hạn")
        assert (await form.ask())[0]["text"] == "Which vehicle?"
        _, done = await form.answer("ô tô")
        assert done
        checklist = (await form.show())[0]["text"]
        assert all(name in checklist for name in ("Application form", "Health certificate", "Old licence"))
        assert "Loss report" not in checklist
    finally:
        close_stores()


async def test_what_am_i_missing_from_entities_and_aliases(store):
    said = "tôi có giấy chứng sinh và cccd"
    tracker = make_tracker(
        {"procedure": "birth-registration"},
        said,
        "inform_have_documents",
        [entity("document", "birth-certificate-hospital", said, "giấy chứng sinh")],
    )
    messages, _ = await run(ActionCheckMissingDocuments(), tracker)
    reply = messages[0]["text"]
    have, missing = reply.split("\n\n")[:2]
    assert "Giấy chứng sinh" in have and "Giấy tờ tùy thân" in have  # "cccd" folds to the alias "căn cước"
    assert "Tờ khai đăng ký khai sinh" in missing
    assert "Giấy tờ tùy thân" not in missing
    # Without checklist answers the situational documents are not counted; the checklist is offered.
    assert "Văn bản làm chứng" not in reply
    assert wording("vi").CHECKLIST_HINT in reply
    assert "/start_checklist" in [b["payload"] for b in messages[0]["buttons"]]


async def test_what_am_i_missing_uses_the_checklist_answers(store):
    said = "I have the form"
    answers = {"procedure": "birth-registration", "answers": {"hospital_birth": "no", "want_bundle": "no"}}
    tracker = make_tracker({"procedure": "birth-registration", "language": "en", "checklist_answers": answers}, said, "inform_have_documents")
    reply = (await run(ActionCheckMissingDocuments(), tracker))[0][0]["text"]
    assert "Already have: Birth registration form" in reply
    assert "Witness statement" in reply  # needed: no hospital certificate
    assert "Hospital birth certificate" not in reply
    assert wording("en").CHECKLIST_HINT not in reply


async def test_nothing_recognised_says_so(store):
    tracker = make_tracker({"procedure": "birth-registration"}, "tôi có cái kia", "inform_have_documents")
    messages, _ = await run(ActionCheckMissingDocuments(), tracker)
    assert messages[0]["text"] == wording("vi").NOTHING_RECOGNISED
