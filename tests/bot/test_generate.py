"""The NLU data generator: variants, conflicts between ids, and the staleness check."""

from __future__ import annotations

import yaml

from bot.nlu import generate
from bot.nlu.generate import EntityTable, english_variants, phrase_variants, vietnamese_variants
from tests.actions.conftest import BIRTH_REGISTRATION, PASSPORT, procedure, write_content


def texts(variants) -> set[str]:
    return {v.text for v in variants}


def test_vietnamese_variants_are_accented_plain_and_abbreviated():
    found = texts(vietnamese_variants("Đăng ký tạm trú"))
    assert {"đăng ký tạm trú", "dang ky tam tru", "dk tạm trú", "đk tạm trú", "dk tam tru", "dky tam tru"} <= found


def test_abbreviation_of_a_longer_phrase():
    assert "mat cccd" in texts(vietnamese_variants("mất căn cước công dân"))
    assert "cap doi gplx" in texts(vietnamese_variants("Cấp đổi giấy phép lái xe"))


def test_brackets_and_punctuation_are_dropped():
    found = texts(vietnamese_variants("Nộp phạt vi phạm giao thông (phạt nguội)"))
    assert "nộp phạt vi phạm giao thông" in found
    assert "nop phat vi pham giao thong phat nguoi" in found
    assert not any("(" in text or "," in text for text in found)


def test_english_spellings():
    found = texts(english_variants("Driving licence renewal"))
    assert {"driving licence renewal", "driving license renewal", "driver's license renewal"} <= found


def test_short_variants_are_left_out():
    assert texts(phrase_variants({"vi": ["hc"], "en": ["id"]})) == set()


def test_a_name_beats_an_alias_and_ties_are_left_unmapped():
    table = EntityTable("procedure")
    table.add("birth-registration", phrase_variants({"vi": ["khai sinh"]}), (0, 1))
    table.add("birth-bundle", phrase_variants({"vi": ["khai sinh"]}), (1, 1))
    table.add("id-card", phrase_variants({"vi": ["làm lại giấy tờ"]}), (0, 1))
    table.add("passport", phrase_variants({"vi": ["làm lại giấy tờ"]}), (0, 1))
    synonyms, ambiguous = table.resolved()
    assert synonyms["khai sinh"] == "birth-registration" and synonyms["khai sinh"] != "birth-bundle"
    assert "làm lại giấy tờ" in ambiguous and "làm lại giấy tờ" not in synonyms


def test_rendered_lookup_lists_longest_first_and_maps_every_variant():
    table = EntityTable("procedure")
    table.add("driving-licence-renewal", phrase_variants({"vi": ["giấy phép lái xe", "giấy phép lái xe quốc tế"]}))
    data = yaml.safe_load(table.render("test"))["nlu"]
    lookup = [line[2:] for line in next(block for block in data if "lookup" in block)["examples"].splitlines()]
    assert lookup[0] == "giay phep lai xe quoc te"
    assert [len(entry) for entry in lookup] == sorted((len(entry) for entry in lookup), reverse=True)
    synonym = next(block for block in data if "synonym" in block)
    assert synonym["synonym"] == "driving-licence-renewal"
    assert "gplx" in synonym["examples"]


def test_taken_texts_get_no_second_synonym():
    table = EntityTable("life_event")
    table.add("newborn", phrase_variants({"vi": ["con mới sinh", "sinh em bé"]}))
    data = yaml.safe_load(table.render("test", taken=frozenset({"con mới sinh", "con moi sinh"}), drop_taken=True))
    rendered = yaml.safe_dump(data, allow_unicode=True)
    assert "sinh em bé" in rendered and "con mới sinh" not in rendered


def test_generated_files_and_check(tmp_path, monkeypatch):
    content = write_content(
        tmp_path / "content",
        [
            {**BIRTH_REGISTRATION, "aliases": {"vi": ["làm giấy khai sinh"], "en": ["birth certificate"]}},
            {**PASSPORT, "aliases": {"vi": ["hộ chiếu"], "en": ["passport"]}},
            procedure(
                "birth-bundle",
                "Liên thông khai sinh",
                "Newborn bundle",
                bundle_of=["birth-registration"],
                aliases={"vi": ["làm giấy khai sinh"], "en": []},
            ),
        ],
    )
    out = tmp_path / "generated"
    monkeypatch.setattr(generate, "HAND_WRITTEN_NLU", [])
    assert generate.main(["--content", str(content), "--out", str(out), "--check"]) == 1
    assert generate.main(["--content", str(content), "--out", str(out)]) == 0
    assert generate.main(["--content", str(content), "--out", str(out), "--check"]) == 0

    procedures = yaml.safe_load((out / "procedures.yml").read_text(encoding="utf-8"))["nlu"]
    synonyms = {block["synonym"]: block["examples"] for block in procedures if "synonym" in block}
    assert "lam giay khai sinh" in synonyms["birth-registration"]
    assert "lam giay khai sinh" not in synonyms.get("birth-bundle", "")
    examples = next(block for block in procedures if block.get("intent") == "find_procedure")["examples"]
    assert "](procedure)" in examples
    locations = (out / "locations.yml").read_text(encoding="utf-8")
    assert "phuoc dan" in locations and "- synonym: xa-ninh-phuoc" in locations

    (out / "procedures.yml").write_text("stale", encoding="utf-8")
    assert generate.main(["--content", str(content), "--out", str(out), "--check"]) == 1


def test_repository_generated_data_is_current():
    """CI: data/nlu/generated/ matches knowledge/content (re-run `python -m bot.nlu.generate`)."""
    assert generate.main(["--check"]) == 0
