"""Store queries over the fixture content, on SQLite and PostgreSQL (see conftest.database_url)."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.db import create_db_engine
from knowledge.loader import load
from knowledge.store import KnowledgeStore, StoreNotReady

# --- procedures -------------------------------------------------------------------------------


def test_get_procedure_returns_the_whole_procedure(store):
    birth = store.get_procedure("birth-registration")

    assert birth.names.in_("vi") == "Đăng ký khai sinh" and birth.names.in_("en") == "Birth registration"
    assert birth.agency.level == "commune-committee"
    assert birth.processing_time.working_days == 0
    assert birth.processing_time.provenance.needs_checking  # stored as unverified in the fixture
    assert not birth.agency.provenance.needs_checking
    assert birth.deadline.text.en == "Within 60 days of the birth"
    assert birth.related == ("birth-bundle",) and birth.life_events == ("newborn",)
    assert [d.id for d in birth.documents] == ["declaration", "hospital-certificate", "witness-statement"]
    assert birth.documents[1].aliases_vi == ("giấy chứng sinh",)
    assert [q.id for q in birth.checklist] == ["hospital_birth"]
    assert [a.value for a in birth.checklist[0].answers] == ["yes", "no"]
    assert store.get_procedure("birth-bundle").bundle_of == ("birth-registration",)
    assert store.get_procedure("no-such-procedure") is None


def test_documents_follow_the_checklist_answers(store):
    birth = store.get_procedure("birth-registration")

    assert [d.id for d in birth.documents_for({"hospital_birth": "yes"})] == ["declaration", "hospital-certificate"]
    assert [d.id for d in birth.documents_for({"hospital_birth": "no"})] == ["declaration", "witness-statement"]


def test_online_discount_applies_only_within_its_dates(store):
    reissue, exchange = store.get_procedure("id-card").fee.items

    assert reissue.amount_on(date(2025, 6, 1), online=True) == 35000
    assert reissue.amount_on(date(2025, 6, 1), online=False) == 70000
    assert reissue.amount_on(date(2026, 1, 1), online=True) == 70000
    assert exchange.online is None and exchange.amount_on(date(2025, 6, 1), online=True) == 50000


def test_procedures_without_steps_get_the_generic_walkthrough(store):
    birth, id_card = store.get_procedure("birth-registration"), store.get_procedure("id-card")

    assert birth.steps_are_generic and [s.id for s in birth.steps] == ["login", "get-code"]
    assert birth.steps == store.generic_steps()
    assert not id_card.steps_are_generic and [s.id for s in id_card.steps] == ["book", "visit"]
    assert id_card.steps[1].help.en == "Ask the officer at the desk"


def test_list_procedures_in_catalogue_order(store):
    assert [p.id for p in store.list_procedures()] == ["birth-registration", "birth-bundle", "id-card"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Đăng ký khai sinh", "birth-registration"),
        ("dang ky khai sinh", "birth-registration"),  # unaccented
        ("DK KHAI SINH", "birth-registration"),  # abbreviated, upper case
        ("tôi muốn làm giấy khai sinh cho con", "birth-registration"),
        ("register a birth", "birth-registration"),
        ("lam lai cccd", "id-card"),  # cccd -> căn cước công dân
        ("mất căn cước rồi", "id-card"),
        ("lien thong khai sinh", "birth-bundle"),
    ],
)
def test_find_procedures_matches_accented_unaccented_and_abbreviated(store, text, expected):
    matches = store.find_procedures(text)
    assert matches and matches[0].procedure_id == expected
    assert 0 < matches[0].score <= 1


def test_exact_and_longer_matches_score_higher(store):
    exact = store.find_procedures("khai sinh")[0]
    in_sentence = store.find_procedures("cho tôi hỏi về khai sinh với")[0]
    specific = store.find_procedures("cho tôi hỏi về giấy khai sinh cho con với")[0]

    assert exact.score == 1.0 and exact.procedure_id == "birth-registration"
    assert in_sentence.score < exact.score
    assert specific.matched_alias == "giấy khai sinh cho con" and specific.score > in_sentence.score
    # The bundle contains "khai sinh" too, but below the procedure it names exactly.
    scores = {match.procedure_id: match.score for match in store.find_procedures("khai sinh")}
    assert scores["birth-bundle"] < scores["birth-registration"]


def test_find_procedures_without_a_match(store):
    assert store.find_procedures("thời tiết hôm nay thế nào") == []
    assert store.find_procedures("   ") == []
    assert len(store.find_procedures("khai sinh", limit=1)) == 1


def test_procedures_for_life_event(store):
    assert [p.id for p in store.procedures_for_life_event("newborn")] == ["birth-registration", "birth-bundle"]
    assert [p.id for p in store.procedures_for_life_event("lost-documents")] == ["id-card"]
    assert store.procedures_for_life_event("marriage") == []


def test_shared_content(store):
    assert store.get_channel("national-portal").url == "https://dichvucong.gov.vn"
    assert [c.id for c in store.list_channels()] == ["national-portal", "vneid", "police-portal"]
    assert store.support_line().phone == "18001096"
    assert "cần kiểm tra lại" in store.confidence_label("unverified").in_("vi")
    assert store.province().name.vi == "Khánh Hòa" and store.province().unit_counts["total"] == 65


def test_office_hours_are_shared_content(store):
    hours = store.office_hours()
    assert hours.timezone_offset_hours == 7 and hours.days == (0, 1, 2, 3, 4)
    assert hours.periods == (("07:30", "11:30"), ("13:30", "17:00"))
    assert hours.text.in_("vi") == "thứ Hai – thứ Sáu, 7:30–11:30 và 13:30–17:00"
    assert hours.text.in_("en") == "Monday to Friday, 7:30–11:30 and 13:30–17:00"
    assert hours.provenance.confidence == "unverified"


# --- administrative units ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Tháp Chàm", "tôi ở thap cham", "THÁP CHÀM"])
def test_everyday_name_finds_the_unit(store, text):
    matches = store.find_units(text)
    assert [match.unit.id for match in matches] == ["do-vinh"]
    assert matches[0].former_name and matches[0].matched_name == "Tháp Chàm"


def test_current_name_is_not_a_former_name(store):
    match = store.find_units("phường Đô Vinh")[0]
    assert match.unit.id == "do-vinh" and not match.former_name
    assert match.unit.full_name.vi == "phường Đô Vinh" and match.unit.full_name.en == "Do Vinh Ward"


@pytest.mark.parametrize("text", ["thị trấn Phước Dân", "phuoc dan", "xã Phước Thái cũ"])
def test_former_commune_maps_to_the_new_unit(store, text):
    matches = store.find_units(text)
    assert matches[0].former_name and matches[0].unit.id in {"ninh-phuoc", "phuoc-huu"}
    assert len(matches) == 1


def test_former_district_maps_to_all_its_units_in_order(store):
    matches = store.find_units("huyện Ninh Phước cũ")

    # ninh-phuoc kept the district's name; phuoc-dinh only has one former commune from the district.
    assert [match.unit.id for match in matches] == ["ninh-phuoc", "phuoc-huu", "phuoc-dinh"]
    assert all(match.former_name for match in matches)
    assert matches[0].matched_name == "huyện Ninh Phước"


def test_bare_name_puts_the_current_unit_before_the_former_district(store):
    matches = store.find_units("Ninh Phuoc")

    assert matches[0].unit.id == "ninh-phuoc" and not matches[0].former_name
    assert {match.unit.id for match in matches[1:]} == {"phuoc-huu", "phuoc-dinh"}


def test_split_former_ward_prefers_the_unit_that_kept_its_name(store):
    assert [match.unit.id for match in store.find_units("phường Đông Hải")] == ["dong-hai", "phuoc-dinh"]


def test_unit_details_and_unknown_places(store):
    do_vinh = store.get_unit("do-vinh")
    assert [f.name for f in do_vinh.former_units] == ["Đô Vinh", "Nhơn Sơn"]
    assert [d.id for d in do_vinh.former_districts] == ["phan-rang-thap-cham", "ninh-son"]
    assert do_vinh.former_districts[0].provenance.confidence == "unverified"
    assert store.get_unit("nowhere") is None
    assert store.find_units("Hà Nội") == [] and store.find_units("") == []


# --- caching ----------------------------------------------------------------------------------


def test_catalogue_is_cached_until_reload(database_url, content_dir):
    load(content_dir, database_url, require_complete_catalogue=False)
    store = KnowledgeStore(create_db_engine(database_url))
    try:
        assert store.get_procedure("id-card").summary.vi == "Đổi hoặc cấp lại thẻ căn cước."
        path = content_dir / "procedures" / "id-card.yml"
        path.write_text(path.read_text(encoding="utf-8").replace("Đổi hoặc cấp lại thẻ căn cước.", "Mới."))
        load(content_dir, database_url, require_complete_catalogue=False)

        assert store.get_procedure("id-card").summary.vi == "Đổi hoặc cấp lại thẻ căn cước."  # from memory
        store.reload()
        assert store.get_procedure("id-card").summary.vi == "Mới."
    finally:
        store.close()


def test_empty_database_says_how_to_fix_it(tmp_path):
    store = KnowledgeStore(create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(StoreNotReady, match="python -m knowledge load"):
        store.get_procedure("birth-registration")
    store.close()
