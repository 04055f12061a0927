"""Setting the procedure of citizens' messages (an alias in its knowledge file, regenerated NLU data, examples)
and creating a new intent (domain/reviewed.yml, a rule, examples): valid for `knowledge check`, the generator's
`--check` and `rasa data validate --fail-on-warnings`, traceable, all or nothing. Each test works on a copy
of the repository's training inputs (`copied`), never on the repository itself."""

from __future__ import annotations

import csv
import os
import subprocess

import pytest
import yaml

from knowledge.loader import read_content
from knowledge.procedure_index import ProcedureIndex
from knowledge.resolution import resolve
from maintainer.annotate import AnnotationRefused
from maintainer.intents import create_intent
from maintainer.procedures import set_procedure
from maintainer.training_data import examples_in
from tests.conftest import ROOT, VENV_BIN

# Colloquial name of the land title that no alias of the content has (checked below, before the change).
CITIZEN_NAME = "giấy chủ quyền nhà"
CITIZEN_TEXT = "làm lại giấy chủ quyền nhà"


def resolved(layout, text: str):
    index = ProcedureIndex.from_content(read_content(layout.content, require_complete_catalogue=False).procedures)
    return resolve({"text": text, "entities": []}, index).decide().procedure_id


def rasa_validate(layout) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--domain", "domain", "--config", "config.yml", "--data", "data", "--fail-on-warnings"],
        cwd=layout.root,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_setting_the_procedure_adds_an_alias_the_resolver_and_the_intent_learn(copied):
    content_file = copied.content / "procedures" / "land-title-change.yml"
    before = content_file.read_text(encoding="utf-8")
    assert resolved(copied, CITIZEN_TEXT) != "land-title-change"

    result = set_procedure([CITIZEN_TEXT], "land-title-change", "find_procedure", "lan", copied, alias=CITIZEN_NAME)

    assert result.alias_added and result.alias == CITIZEN_NAME
    after = content_file.read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == [f"    - {CITIZEN_NAME}"] and len(after.splitlines()) == len(before.splitlines()) + 1
    aliases = yaml.safe_load(after)["aliases"]["vi"]
    assert aliases[-1] == CITIZEN_NAME  # in the Vietnamese list, not elsewhere
    # The resolver, built from the content as at training time, now finds the procedure for that text.
    assert resolved(copied, CITIZEN_TEXT) == "land-title-change"
    # The generated data was regenerated through the existing step: --check finds nothing stale, and the
    # lookup table knows the unaccented variant.
    check = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "bot.nlu.generate", "--check", "--content", str(copied.content), "--out", str(copied.generated)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "giay chu quyen nha" in (copied.generated / "procedures.yml").read_text(encoding="utf-8")
    knowledge_check = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "knowledge", "check", "--partial", "--content", str(copied.content)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert knowledge_check.returncode == 0, knowledge_check.stderr
    # The message trains its intent, and who added the alias is recorded (never the citizen).
    assert ("find_procedure", CITIZEN_TEXT) in list(examples_in(copied.reviewed / "find_procedure.yml"))
    with (copied.reviewed / "aliases.provenance.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["procedure"], r["alias"], r["language"], r["added_by"]) for r in rows] == [("land-title-change", CITIZEN_NAME, "vi", "lan")]

    again = set_procedure(["xin cấp lại giấy chủ quyền nhà"], "land-title-change", "find_procedure", "minh", copied, alias=CITIZEN_NAME)
    assert not again.alias_added and content_file.read_text(encoding="utf-8") == after


@pytest.mark.parametrize(
    "texts, procedure, intent, alias, reason",
    [
        ([CITIZEN_TEXT], "land-title-change", "find_procedure", "sổ hồng cũ", "not in the message"),
        ([CITIZEN_TEXT], "land-title-change", "find_procedure", "là", "too short"),
        (["phí làm giấy chủ quyền nhà"], "land-title-change", "ask_fee", None, "whole message"),
        (["làm hộ chiếu"], "id-card", "find_procedure", "hộ chiếu", "already names passport"),
        (["giấy chủ quyền nhà số [***]"], "land-title-change", "find_procedure", CITIZEN_NAME, "placeholder"),
        ([CITIZEN_TEXT], "no-such-procedure", "find_procedure", CITIZEN_NAME, "unknown procedure"),
        ([CITIZEN_TEXT], "land-title-change", "no_such_intent", CITIZEN_NAME, "unknown intent"),
        # "xin chào" trains greet: the alias would be written, then the example refused; both are undone.
        (["xin chào"], "land-title-change", "find_procedure", None, "greet"),
    ],
)
def test_a_refused_procedure_changes_nothing(copied, texts, procedure, intent, alias, reason):
    files = [*copied.content.rglob("*.yml"), *copied.generated.glob("*.yml")]
    before = {path: path.read_text(encoding="utf-8") for path in files}
    with pytest.raises(AnnotationRefused, match=reason):
        set_procedure(texts, procedure, intent, "lan", copied, alias=alias)
    assert {path: path.read_text(encoding="utf-8") for path in files} == before
    assert not list(copied.reviewed.glob("*.provenance.csv"))


def test_a_new_intent_with_its_response_is_valid_rasa_data_and_kept_apart_from_the_code_s_names(copied):
    created = create_intent(
        "ask_office_hours",
        {
            "vi": ["trung tâm hành chính công mấy giờ mở cửa", "bộ phận một cửa làm việc giờ nào"],
            "en": ["what are the office hours of the service centre"],
        },
        "lan",
        copied,
        response={"vi": "Trung tâm làm việc giờ hành chính, thứ Hai đến thứ Sáu.", "en": "The centre is open during office hours, Monday to Friday."},
    )
    domain = yaml.safe_load(copied.reviewed_domain.read_text(encoding="utf-8"))
    assert domain["intents"] == ["ask_office_hours"]
    variants = domain["responses"]["utter_ask_office_hours"]
    assert variants[0] == {"text": "Trung tâm làm việc giờ hành chính, thứ Hai đến thứ Sáu."}
    assert variants[1]["condition"] == [{"type": "slot", "name": "language", "value": "en"}]
    rules = yaml.safe_load((copied.reviewed / "rules.yml").read_text(encoding="utf-8"))["rules"]
    assert rules == [{"rule": "reviewed intent ask_office_hours", "steps": [{"intent": "ask_office_hours"}, {"action": "utter_ask_office_hours"}]}]
    assert [text for _, text in examples_in(copied.reviewed / "ask_office_hours.yml")] == created.examples
    assert len(created.examples) == 3

    belongs = create_intent(
        "ask_passport_photo", {"vi": ["ảnh làm hộ chiếu cỡ bao nhiêu"], "en": ["passport photo size"]}, "minh", copied, procedure="passport"
    )
    assert belongs.response is None
    rules = yaml.safe_load((copied.reviewed / "rules.yml").read_text(encoding="utf-8"))["rules"]
    assert rules[-1]["steps"] == [{"intent": "ask_passport_photo"}, {"action": "action_discover_procedure"}]
    with (copied.reviewed / "intents.provenance.csv").open(encoding="utf-8", newline="") as file:
        assert [(r["intent"], r["added_by"]) for r in csv.DictReader(file)] == [("ask_office_hours", "lan"), ("ask_passport_photo", "minh")]

    # An alias set on the same copy too: Rasa's strict validation of everything the loop wrote.
    set_procedure([CITIZEN_TEXT], "land-title-change", "find_procedure", "lan", copied, alias=CITIZEN_NAME)
    result = rasa_validate(copied)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(
    "name, examples, answer, reason",
    [
        ("greet", {"vi": ["chào"], "en": ["hi"]}, {"response": {"vi": "a", "en": "b"}}, "already exists"),
        ("nlu_fallback", {"vi": ["a b"], "en": ["c d"]}, {"response": {"vi": "a", "en": "b"}}, "already exists"),
        ("Ask-Hours", {"vi": ["a b"], "en": ["c d"]}, {"response": {"vi": "a", "en": "b"}}, "lowercase"),
        ("ask_hours", {"vi": ["mấy giờ mở cửa"]}, {"response": {"vi": "a", "en": "b"}}, "missing: en"),
        ("ask_hours", {"vi": ["mấy giờ mở cửa"], "en": ["opening hours"]}, {"response": {"vi": "a", "en": " "}}, "English"),
        ("ask_hours", {"vi": ["mấy giờ mở cửa"], "en": ["opening hours"]}, {"response": {"vi": "a", "en": "b"}, "procedure": "passport"}, "either"),
        ("ask_hours", {"vi": ["mấy giờ mở cửa"], "en": ["opening hours"]}, {"procedure": "passport"}, "does not lead"),
        ("ask_hours", {"vi": ["xin chào"], "en": ["opening hours"]}, {"response": {"vi": "a", "en": "b"}}, "greet"),
        ("ask_hours", {"vi": ["gọi 0912345678"], "en": ["opening hours"]}, {"response": {"vi": "a", "en": "b"}}, "phone or ID"),
    ],
)
def test_a_refused_new_intent_writes_nothing(copied, name, examples, answer, reason):
    domain_files = {path: path.read_text(encoding="utf-8") for path in copied.domain.glob("*.yml")}
    with pytest.raises(AnnotationRefused, match=reason):
        create_intent(name, examples, "lan", copied, **answer)
    assert {path: path.read_text(encoding="utf-8") for path in copied.domain.glob("*.yml")} == domain_files
    assert not copied.reviewed_domain.exists()
    assert not (copied.reviewed / "rules.yml").exists() and not list(copied.reviewed.glob("*.csv"))


def test_the_commands_set_a_procedure_and_create_an_intent(copied):
    env = {**os.environ, "MAINTAINER_ROOT": str(copied.root), "MAINTAINER_AUDIT_LOG": str(copied.audit_log)}

    def maintainer(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_BIN / "python"), "-m", "maintainer", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    done = maintainer(
        "annotate", "--intent", "find_procedure", "--procedure", "land-title-change", "--alias", CITIZEN_NAME, "--by", "lan", CITIZEN_TEXT
    )
    assert done.returncode == 0, done.stderr
    assert "added: alias" in done.stdout and CITIZEN_NAME in done.stdout
    assert resolved(copied, CITIZEN_TEXT) == "land-title-change"
    refused = maintainer("annotate", "--intent", "find_procedure", "--procedure", "id-card", "--by", "lan", "làm hộ chiếu")
    assert refused.returncode == 2 and "already names passport" in refused.stderr

    created = maintainer(
        "new-intent",
        "ask_office_hours",
        "--vi",
        "trung tâm mấy giờ mở cửa",
        "--en",
        "office hours",
        "--response-vi",
        "Giờ hành chính.",
        "--response-en",
        "Office hours.",
        "--by",
        "lan",
    )
    assert created.returncode == 0, created.stderr
    assert "ask_office_hours" in yaml.safe_load(copied.reviewed_domain.read_text(encoding="utf-8"))["intents"]
    again = maintainer("new-intent", "ask_office_hours", "--vi", "a b c", "--en", "d e f", "--response-vi", "x", "--response-en", "y", "--by", "lan")
    assert again.returncode == 2 and "already exists" in again.stderr
