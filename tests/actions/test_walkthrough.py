"""The submission walkthrough: one step at a time, back/repeat/stuck, leaving and resuming,
generic steps, bundles and the closing message."""

from __future__ import annotations

from actions.formatting import wording
from actions.requirements import ActionAnswerFee
from actions.walkthrough import (
    ActionWalkthroughBack,
    ActionWalkthroughNext,
    ActionWalkthroughRepeat,
    ActionWalkthroughStart,
    ActionWalkthroughStuck,
)
from tests.actions.conftest import make_tracker, run, slot_events


class Walkthrough:
    def __init__(self, slots: dict):
        self.slots = dict(slots)

    async def do(self, action) -> dict:
        messages, events = await run(action(), make_tracker(self.slots))
        self.slots.update(slot_events(events))
        assert len(messages) == 1
        return messages[0]


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message.get("buttons") or []]


async def test_steps_one_at_a_time_with_back_repeat_and_the_end(store):
    guide = Walkthrough({"procedure": "birth-registration"})
    first = await guide.do(ActionWalkthroughStart)
    assert "Đăng ký khai sinh" in first["text"] and "3 bước" in first["text"]
    assert "Bước 1/3: Đăng nhập" in first["text"]
    assert payloads(first) == ["/walkthrough_next", "/walkthrough_repeat", "/walkthrough_stuck"]
    assert guide.slots == {"procedure": "birth-registration", "walkthrough_procedure": "birth-registration", "walkthrough_step": 0.0}

    second = await guide.do(ActionWalkthroughNext)
    assert second["text"].startswith("Bước 2/3: Điền tờ khai")
    assert "/walkthrough_back" in payloads(second)
    assert (await guide.do(ActionWalkthroughRepeat))["text"] == second["text"]
    assert (await guide.do(ActionWalkthroughBack))["text"].startswith("Bước 1/3")
    back_at_first = await guide.do(ActionWalkthroughBack)
    assert back_at_first["text"].startswith(wording("vi").AT_FIRST_STEP)

    await guide.do(ActionWalkthroughNext)
    await guide.do(ActionWalkthroughNext)
    done = await guide.do(ActionWalkthroughNext)
    assert wording("vi").DONE in done["text"]
    assert "3 ngày làm việc" in done["text"]  # how long
    assert wording("vi").CHECK_STATUS in done["text"]  # how to check status here
    assert "/check_dossier_status" in payloads(done)
    assert guide.slots["walkthrough_step"] is None


async def test_stuck_gives_the_steps_help_and_offers_a_person(store):
    guide = Walkthrough({"procedure": "birth-registration", "language": "en"})
    await guide.do(ActionWalkthroughStart)
    await guide.do(ActionWalkthroughNext)
    stuck = await guide.do(ActionWalkthroughStuck)
    assert "Copy the birth certificate" in stuck["text"]
    assert wording("en").OFFER_HUMAN in stuck["text"]
    assert "/request_human" in payloads(stuck)
    assert guide.slots["walkthrough_step"] == 1.0


async def test_leaving_for_a_question_and_resuming_returns_to_the_same_step(store):
    guide = Walkthrough({"procedure": "birth-registration"})
    await guide.do(ActionWalkthroughStart)
    step_two = await guide.do(ActionWalkthroughNext)
    # A question about another procedure moves the context away...
    guide.slots["procedure"] = "permanent-residence"
    fee = await guide.do(ActionAnswerFee)
    assert "Đăng ký thường trú" in fee["text"]
    # ... "tiếp tục" comes back to the same step of the same procedure.
    resumed = await guide.do(ActionWalkthroughRepeat)
    assert resumed["text"] == step_two["text"]
    assert guide.slots["procedure"] == "birth-registration"


async def test_procedure_without_own_steps_uses_the_generic_ones(store):
    guide = Walkthrough({"procedure": "permanent-residence", "language": "en"})
    first = await guide.do(ActionWalkthroughStart)
    assert "Step 1/2: Log in with VNeID" in first["text"]
    stuck = await guide.do(ActionWalkthroughStuck)
    assert "Call the commune police" in stuck["text"]


async def test_bundle_says_which_agencies_take_part(store):
    first = await Walkthrough({"procedure": "birth-bundle"}).do(ActionWalkthroughStart)
    assert f"{wording('vi').BUNDLE_AGENCIES} Cơ quan Liên thông khai sinh" in first["text"]
    single = await Walkthrough({"procedure": "birth-registration"}).do(ActionWalkthroughStart)
    assert wording("vi").BUNDLE_AGENCIES not in single["text"]


async def test_offline_procedure_has_no_walkthrough(store):
    guide = Walkthrough({"procedure": "id-number-confirmation"})
    reply = await guide.do(ActionWalkthroughStart)
    assert reply["text"] == wording("vi").NO_STEPS
    assert guide.slots["walkthrough_step"] is None


async def test_moving_without_a_walkthrough_says_so(store):
    for action in (ActionWalkthroughNext, ActionWalkthroughBack, ActionWalkthroughRepeat, ActionWalkthroughStuck):
        reply = await Walkthrough({"procedure": "birth-registration", "language": "en"}).do(action)
        assert reply["text"] == wording("en").NO_WALKTHROUGH
        assert payloads(reply) == ["/walkthrough_start"]
