"""The real citizen questions: labels, intents, personal data, and a split by site that never leaks."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from evaluation.real_questions import (
    FRESH,
    MAX_TRAINING_WORDS,
    QUESTIONS,
    TRAINING,
    Question,
    asking_part,
    held_out_sites,
    read_questions,
    site_of,
    split,
    training_yaml,
)
from knowledge.resolution import PROCEDURE_INTENTS
from knowledge.text import nfc

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "knowledge" / "content" / "catalogue.csv"


def _catalogue_ids() -> set[str]:
    with CATALOGUE.open(encoding="utf-8", newline="") as file:
        return {row["id"] for row in csv.DictReader(file)}


def _domain_intents() -> set[str]:
    intents: set[str] = set()
    for path in (ROOT / "domain").rglob("*.yml"):
        for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents", []) or []:
            intents.add(intent if isinstance(intent, str) else next(iter(intent)))
    return intents


def _question(site: str, label: str, n: int, intent: str = "") -> Question:
    intent = intent or ("out_of_scope" if label == "out_of_scope" else "find_procedure")
    return Question(f"q{site}{n}", "vi", (label,), intent, site, f"https://{site}/{n}", "", f"câu hỏi {site} {n}")


# Both files of real questions: questions.csv (split into training and held-out) and fresh.csv (a second
# check set from other sites, never trained on). The minimum guards against an empty or truncated file.
QUESTION_FILES = pytest.mark.parametrize("path, minimum", [(QUESTIONS, 50), (FRESH, 10)], ids=["questions", "fresh"])


def _trained_texts() -> set[str]:
    """Every NLU example under data/, entity annotations stripped, normalised for comparison."""
    trained = set()
    for path in (ROOT / "data").rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            for line in str(block.get("examples", "")).splitlines():
                trained.add(nfc(re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line.lstrip("- ").strip())).lower())
    return trained


@QUESTION_FILES
def test_every_question_has_a_known_label_a_source_and_no_personal_number(path, minimum):
    questions = read_questions(path)
    assert len(questions) >= minimum
    known = _catalogue_ids() | {"out_of_scope"}
    for q in questions:
        assert set(q.labels) <= known, q.id
        assert q.url.startswith("http") and q.host and q.language in {"vi", "en"}, q.id
        assert not re.search(r"\d{9,}", q.text), f"{q.id} keeps an ID or phone number"
        assert "@" not in q.text, f"{q.id} keeps an e-mail address"


@QUESTION_FILES
def test_every_question_has_an_intent_of_the_domain_that_matches_its_scope(path, minimum):
    """In scope: what the citizen asks (ask_documents, ask_fee... or find_procedure), an intent of the
    domain whose messages get a procedure from the resolver; out of scope: out_of_scope."""
    domain = _domain_intents()
    asked = {str(intent) for intent in PROCEDURE_INTENTS} - {"start_checklist", "walkthrough_start"}
    assert "find_procedure" in asked and "ask_documents" in asked
    for q in read_questions(path):
        if q.in_scope:
            assert q.intent in domain and q.intent in asked, f"{q.id}: {q.intent}"
        else:
            assert q.intent == "out_of_scope", f"{q.id}: {q.intent}"


def test_training_file_puts_every_question_under_its_intent():
    questions = [
        _question("a.vn", "passport", 1, "ask_fee"),
        _question("a.vn", "passport", 2),
        _question("a.vn", "id-card", 3, "ask_documents"),
        _question("a.vn", "out_of_scope", 4),
    ]
    blocks = yaml.safe_load(training_yaml(questions))["nlu"]
    examples = {block["intent"]: [line[2:] for line in block["examples"].splitlines()] for block in blocks}
    assert examples == {
        "ask_documents": ["câu hỏi a.vn 3"],
        "ask_fee": ["câu hỏi a.vn 1"],
        "find_procedure": ["câu hỏi a.vn 2"],
        "out_of_scope": ["câu hỏi a.vn 4"],
    }
    assert [block["intent"] for block in blocks][-1] == "out_of_scope"


def test_a_long_story_trains_only_its_asking_part():
    story = "Con tôi năm nay 8 tuổi, cả nhà sắp đi du lịch. " * 6
    text = story + "Xin hỏi con tôi có được cấp hộ chiếu riêng không? Cần giấy tờ gì?"
    kept = asking_part(text)
    assert kept.endswith("Cần giấy tờ gì?") and "hộ chiếu riêng" in kept
    assert len(kept.split()) <= MAX_TRAINING_WORDS < len(text.split())
    assert asking_part("mất cccd làm lại thế nào") == "mất cccd làm lại thế nào"
    assert len(asking_part("tôi " * 60 + "hỏi gì?").split()) == MAX_TRAINING_WORDS


def test_site_groups_hosts_of_one_site_and_thuvienphapluat_mirrors():
    assert site_of("m.xosobinhdinh.org") == "xosobinhdinh.org"
    assert site_of("amp.laodong.vn") == site_of("laodong.vn") == "laodong.vn"
    assert site_of("sotuphap.haugiang.gov.vn") == "haugiang.gov.vn"
    assert site_of("118.69.84.240") == "thuvienphapluat.vn"
    assert site_of("203.0.113.7") == "203.0.113.7"


def test_split_is_by_site_deterministic_and_near_forty_percent():
    questions = read_questions()
    training, held = split(questions)
    assert {q.site for q in training}.isdisjoint({q.site for q in held})
    assert 0.35 <= len(held) / len(questions) <= 0.46
    assert held_out_sites(questions) == held_out_sites(list(reversed(questions)))


def test_a_label_found_on_two_sites_is_held_out_on_one_of_them():
    questions = [_question("a.vn", "passport", 1), _question("b.vn", "passport", 1)]
    questions += [_question(f"s{i}.vn", "out_of_scope", i) for i in range(8)]
    _, held = split(questions)
    assert any(q.labels == ("passport",) for q in held)


def test_training_file_is_generated_from_training_sites_only():
    """data/nlu/real_questions.yml is exactly what the split writes (re-run the split after editing the data)."""
    training, held = split(read_questions())
    assert TRAINING.read_text(encoding="utf-8") == training_yaml(training)
    held_sites = {q.site for q in held}
    written = {nfc(line[6:]) for line in TRAINING.read_text(encoding="utf-8").splitlines() if line.startswith("    - ")}
    by_text = {nfc(asking_part(q.text)): q for q in read_questions()}
    assert written and all(by_text[text].site not in held_sites for text in written)


def test_no_held_out_question_is_in_any_training_data():
    _, held = split(read_questions())
    trained = _trained_texts()
    leaked = [q.id for q in held if nfc(q.text).lower() in trained]
    assert not leaked, f"held-out questions in data/: {leaked}"


def test_fresh_questions_come_from_other_sites_and_are_never_trained_on():
    """fresh.csv is an independent check set: none of its sites is in questions.csv (so none is in the training
    part), none of its texts repeats a question of questions.csv, and none is anywhere in data/."""
    fresh = read_questions(FRESH)
    known = read_questions()
    shared = {q.site for q in fresh} & {q.site for q in known}
    assert not shared, f"fresh sites already in questions.csv: {sorted(shared)}"
    known_texts = {nfc(q.text).lower() for q in known}
    assert not [q.id for q in fresh if nfc(q.text).lower() in known_texts]
    trained = _trained_texts()
    leaked = [q.id for q in fresh if nfc(q.text).lower() in trained or nfc(asking_part(q.text)).lower() in trained]
    assert not leaked, f"fresh questions in data/: {leaked}"
    assert [q.id for q in fresh] == [f"rf{i:03d}" for i in range(1, len(fresh) + 1)]


@pytest.mark.parametrize("path", [QUESTIONS, FRESH], ids=["questions", "fresh"])
def test_questions_file_is_the_one_the_readme_describes(path):
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "id,language,label,intent,host,url,note,text"
