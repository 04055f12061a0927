"""Fixtures for the action tests: a real SQLite knowledge store loaded by knowledge's own loader
from content written to a temporary directory, and hand-built trackers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge.loader import CONTENT_DIR, load
from knowledge.store import open_store

REVIEWED = "2025-12-15"


def provenance(confidence: str = "secondary", source: str = "procedures-facts.md") -> dict:
    return {"source": source, "reviewed": REVIEWED, "confidence": confidence}


def text(vi: str, en: str) -> dict:
    return {"vi": vi, "en": en}


def step(step_id: str, vi: str, en: str, help_vi: str | None = None, help_en: str | None = None) -> dict:
    data = {"id": step_id, "title": text(vi, en), "detail": text(f"Chi tiết: {vi}", f"Details: {en}")}
    if help_vi:
        data["help"] = text(help_vi, help_en)
    return data


UNITS = {
    "province": {
        "name": text("Khánh Hòa", "Khanh Hoa"),
        "seat": text("phường Nha Trang", "Nha Trang Ward"),
        "effective_from": "2025-07-01",
        "unit_counts": {"total": 3},
        "provenance": provenance(),
    },
    "former_districts": [
        {"id": "ninh-phuoc", "name": "Ninh Phước", "kind": "huyen", "provenance": provenance()},
        {"id": "phan-rang-thap-cham", "name": "Phan Rang–Tháp Chàm", "kind": "thanh-pho", "provenance": provenance()},
    ],
    "units": [
        {
            "id": "xa-ninh-phuoc",
            "name": "Ninh Phước",
            "kind": "xa",
            "provenance": provenance(),
            "former_units": [
                {"name": "Phước Dân", "kind": "thi-tran", "district": "ninh-phuoc"},
                {"name": "Phước Thuận", "kind": "xa", "district": "ninh-phuoc"},
            ],
        },
        {
            "id": "xa-phuoc-huu",
            "name": "Phước Hữu",
            "kind": "xa",
            "provenance": provenance(),
            "former_units": [
                {"name": "Phước Hữu", "kind": "xa", "district": "ninh-phuoc"},
                {"name": "Phước Thái", "kind": "xa", "district": "ninh-phuoc"},
            ],
        },
        {
            "id": "phuong-do-vinh",
            "name": "Đô Vinh",
            "kind": "phuong",
            "provenance": provenance(),
            "common_names": ["Tháp Chàm"],
            "former_units": [{"name": "Đô Vinh", "kind": "phuong", "district": "phan-rang-thap-cham"}, {"name": "Nhơn Sơn", "kind": "xa"}],
        },
    ],
}

PRODUCT_COMMON = yaml.safe_load((CONTENT_DIR / "common.yml").read_text(encoding="utf-8"))

COMMON = {
    "steps": [
        {**step("login", "Đăng nhập VNeID", "Log in with VNeID", "Gọi công an xã", "Call the commune police"), "provenance": provenance()},
        {**step("submit", "Nộp hồ sơ", "Submit", "Kiểm tra mục bắt buộc", "Check required fields"), "provenance": provenance()},
    ],
    # What answers say around a fact (channel names, cautions, the support line, office hours) is the
    # product's own content, so these tests see what citizens see.
    "channels": [
        channel for channel in PRODUCT_COMMON["channels"] if channel["id"] in ("national-portal", "vneid", "police-portal", "provincial-portal")
    ],
    **{key: PRODUCT_COMMON[key] for key in ("support", "office_hours", "confidence_labels")},
}


def procedure(pid: str, name_vi: str, name_en: str, level: str = "commune-committee", **extra: Any) -> dict:
    """A valid procedure file with the required blocks; `extra` overrides or adds fields."""
    data = {
        "id": pid,
        "national_code": None,
        "category": "civil-status",
        "essential": True,
        "names": text(name_vi, name_en),
        "summary": text(f"Tóm tắt {name_vi}", f"About {name_en}"),
        "aliases": {"vi": [name_vi.lower()], "en": [name_en.lower()]},
        "life_events": [],
        "agency": {
            "level": level,
            "name": text(f"Cơ quan {name_vi}", f"Office for {name_en}"),
            "where_to_submit": text("Nộp trực tuyến hoặc tại bộ phận một cửa", "Online or at the one-stop desk"),
            "provenance": provenance(),
        },
        "processing_time": {"text": text("3 ngày làm việc", "3 working days"), "working_days": 3, "provenance": provenance("unverified")},
        "fee": {"free": True, "items": [], "provenance": provenance()},
        "online": {"availability": "full", "channels": ["national-portal", "vneid"], "provenance": provenance()},
        "legal_basis": {"items": [text("Luật mẫu", "Sample law")], "provenance": provenance()},
        "documents": [],
    }
    data.update(copy.deepcopy(extra))
    return data


def yes_no(question_id: str, vi: str, en: str, ask_when: dict | None = None) -> dict:
    data = {
        "id": question_id,
        "question": text(vi, en),
        "answers": [{"value": "yes", "label": text("Có", "Yes")}, {"value": "no", "label": text("Không", "No")}],
    }
    if ask_when:
        data["ask_when"] = ask_when
    return data


def document(doc_id: str, vi: str, en: str, aliases_vi=(), aliases_en=(), required=True, when=None) -> dict:
    data = {
        "id": doc_id,
        "name": text(vi, en),
        "aliases": {"vi": list(aliases_vi), "en": list(aliases_en)},
        "required": required,
        "provenance": provenance(),
    }
    if when:
        data["when"] = when
    return data


BIRTH_REGISTRATION = procedure(
    "birth-registration",
    "Đăng ký khai sinh",
    "Birth registration",
    life_events=["newborn"],
    documents=[
        document("declaration-form", "Tờ khai đăng ký khai sinh", "Birth registration form", ["tờ khai"], ["form"]),
        document(
            "birth-certificate-hospital",
            "Giấy chứng sinh (bản chính)",
            "Hospital birth certificate",
            ["giấy chứng sinh", "chứng sinh"],
            ["hospital birth certificate"],
            when={"hospital_birth": "yes"},
        ),
        document(
            "witness-statement", "Văn bản làm chứng", "Witness statement", ["giấy cam đoan"], ["witness statement"], when={"hospital_birth": "no"}
        ),
        document("requester-id", "Giấy tờ tùy thân", "ID of the person registering", ["căn cước", "cccd"], ["id card"]),
        document(
            "residence-proof",
            "Giấy tờ chỗ ở của bé",
            "Proof of the baby's address",
            ["giấy tờ nhà"],
            ["proof of address"],
            when={"want_bundle": "yes", "same_residence": "no"},
        ),
    ],
    checklist=[
        yes_no("hospital_birth", "Bé có giấy chứng sinh không?", "Is there a hospital birth certificate?"),
        yes_no("want_bundle", "Bạn muốn làm liên thông không?", "Do you want the bundle?"),
        yes_no("same_residence", "Bé ở cùng cha mẹ?", "Same address as the parents?", {"want_bundle": "yes"}),
    ],
    steps=[
        step("login", "Đăng nhập", "Log in", "Gọi 18001096", "Call 18001096"),
        step("fill-form", "Điền tờ khai", "Fill in the form", "Ghi đúng giấy chứng sinh", "Copy the birth certificate"),
        step("submit", "Nộp hồ sơ", "Submit"),
    ],
)

PERMANENT_RESIDENCE = procedure(
    "permanent-residence",
    "Đăng ký thường trú",
    "Permanent residence registration",
    level="commune-police",
    category="residence",
    fee={
        "free": False,
        "provenance": provenance("confirmed"),
        "items": [
            {
                "label": text("Nộp trực tiếp", "On paper"),
                "amount_vnd": 20000,
                "online": {"amount_vnd": 10000, "valid_from": "2020-01-01", "valid_until": "2099-12-31"},
            }
        ],
    },
)

BIRTH_BUNDLE = procedure(
    "birth-bundle",
    "Liên thông khai sinh",
    "Newborn bundle",
    bundle_of=["birth-registration", "permanent-residence"],
)

# Deliberately bare: no documents, checklist, steps, url, deadline; cannot be done online.
ID_NUMBER_CONFIRMATION = procedure(
    "id-number-confirmation",
    "Xác nhận số CMND",
    "Confirmation of a former ID number",
    level="provincial-police",
    category="identity",
    online={"availability": "none", "channels": [], "provenance": provenance()},
)

PASSPORT = procedure(
    "passport",
    "Cấp hộ chiếu",
    "Passport",
    level="provincial-police",
    category="travel",
    fee={"free": False, "provenance": provenance("unknown"), "items": [{"label": text("Cấp mới", "New passport"), "amount_vnd": 200000}]},
)

FIXTURE_PROCEDURES = [BIRTH_REGISTRATION, PERMANENT_RESIDENCE, BIRTH_BUNDLE, ID_NUMBER_CONFIRMATION, PASSPORT]


def write_content(directory: Path, procedures: list[dict], common: dict | None = None) -> Path:
    (directory / "procedures").mkdir(parents=True, exist_ok=True)
    (directory / "units.yml").write_text(yaml.safe_dump(UNITS, allow_unicode=True), encoding="utf-8")
    (directory / "common.yml").write_text(yaml.safe_dump(common or COMMON, allow_unicode=True), encoding="utf-8")
    for data in procedures:
        (directory / "procedures" / f"{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def load_store(content: Path, database: Path, monkeypatch):
    """Loads the content with the real loader and points the actions at that database."""
    url = f"sqlite:///{database}"
    load(content, url=url, require_complete_catalogue=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return open_store(url)


@pytest.fixture(scope="session")
def fixture_database(tmp_path_factory) -> str:
    """The fixture procedures, loaded once per run (loading runs the migrations)."""
    directory = tmp_path_factory.mktemp("knowledge")
    url = f"sqlite:///{directory / 'knowledge.db'}"
    load(write_content(directory / "content", FIXTURE_PROCEDURES), url=url, require_complete_catalogue=False)
    return url


@pytest.fixture(autouse=True)
def _answers_read_the_fixture_store(fixture_database, monkeypatch):
    """Answers read shared facts (cautions, channel names, the support line) from the process-wide store;
    `store` and `real_store` point it elsewhere."""
    monkeypatch.setenv("DATABASE_URL", fixture_database)


@pytest.fixture
def store(fixture_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fixture_database)
    return open_store(fixture_database)


@pytest.fixture
def real_store(real_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", real_database)
    return open_store(real_database)


def make_tracker(
    slots: dict | None = None, text: str = "", intent: str | None = None, entities: list[dict] | None = None, active_loop: str | None = None
) -> Tracker:
    all_slots = {"language": "vi", "procedure": None}
    all_slots.update(slots or {})
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {}, "entities": entities or []}
    return Tracker(
        sender_id="test",
        slots=all_slots,
        latest_message=message,
        events=[{"event": "user", "text": text, "parse_data": message}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def entity(name: str, value: str, message: str, said: str | None = None) -> dict:
    """An extracted entity with offsets into `message` (for `said`, default: `value`)."""
    said = said or value
    start = message.index(said)
    return {"entity": name, "value": value, "start": start, "end": start + len(said)}


async def run(action, tracker: Tracker, domain: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Runs an action; returns (bot messages, events)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events


def slot_events(events: list[dict]) -> dict:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}
