"""The facts answers show around a procedure's own facts (the cautions, the online channels' names,
the support line) come from knowledge/content/common.yml through the store: change the content, and
what the citizen reads changes with it; the product's content says what the assistant always said."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from actions import dossier_messages
from actions.formatting import answers, wording
from tests.actions.conftest import COMMON, FIXTURE_PROCEDURES, load_store, text, write_content


def test_cautions_channel_names_and_support_line_are_read_from_the_content(tmp_path, monkeypatch):
    common = copy.deepcopy(COMMON)
    common["confidence_labels"]["unverified"] = text("xem lại ở cổng nhé", "check the portal again")
    common["confidence_labels"]["secondary"] = text("nguồn phụ", "second-hand source")
    vneid = next(channel for channel in common["channels"] if channel["id"] == "vneid")
    vneid["name"] = text("ứng dụng VNeID (điện thoại)", "the VNeID phone app")
    common["support"]["phone"] = "19001234"
    common["support"]["name"] = text("Đường dây nóng", "Hotline")
    store = load_store(write_content(tmp_path / "content", FIXTURE_PROCEDURES, common), tmp_path / "k.db", monkeypatch)
    birth = store.get_procedure("birth-registration")

    assert "(check the portal again)" in answers.processing_time(birth, "en").text  # stored as unverified
    assert "(nguồn phụ)" in answers.agency(birth, "vi").text  # stored as secondary
    assert "ứng dụng VNeID (điện thoại)" in answers.online(birth, "vi").text
    assert "the VNeID phone app" in answers.online(birth, "en").text
    without_help = [step for step in birth.steps if step.help is None]
    stuck = answers.walkthrough_stuck(without_help, 0, "vi").text
    assert "Đường dây nóng: 19001234." in stuck and "18001096" not in stuck
    assert "19001234" in dossier_messages.not_verified_message("en", 0)
    now = datetime(2026, 11, 27, 3, tzinfo=timezone.utc)
    assert "19001234" in dossier_messages.locked_message("vi", now + timedelta(minutes=15), now)
    # The wording modules' names for these facts read the same content.
    assert wording("en").CAUTION == "check the portal again"
    assert wording("vi").CHANNELS["vneid"] == "ứng dụng VNeID (điện thoại)"
    assert wording("en").NO_STEP_HELP.endswith(" Hotline: 19001234.")


def test_the_product_content_says_what_the_assistant_said_before(real_store):
    """The wording of common.yml is the wording the code held until the facts moved into the content."""
    vi, en = wording("vi"), wording("en")
    assert vi.CAUTION == "cần kiểm tra lại tại cổng dịch vụ công"
    assert vi.CAUTION_SECONDARY == "theo nguồn thứ cấp, nên kiểm tra lại"
    assert en.CAUTION == "please double-check on the public service portal"
    assert en.CAUTION_SECONDARY == "from a secondary source, worth double-checking"
    assert vi.CHANNELS["national-portal"] == "Cổng Dịch vụ công quốc gia (dichvucong.gov.vn)"
    assert vi.CHANNELS["vneid"] == "ứng dụng VNeID"
    assert en.CHANNELS["vneid"] == "the VNeID app"
    assert en.CHANNELS["evn-portal"] == "the electricity company's (EVN) customer portal"
    assert vi.NO_STEP_HELP == ("Bạn thử đăng xuất, đăng nhập lại hoặc dùng trình duyệt khác. Tổng đài Cổng Dịch vụ công quốc gia: 18001096.")
    assert en.NO_STEP_HELP == ("Try logging out and in again or another browser. National Public Service Portal hotline: 18001096.")
    online = answers.online(real_store.get_procedure("birth-registration"), "vi").text
    assert "Cổng Dịch vụ công quốc gia (dichvucong.gov.vn)" in online
