"""Facts of the product's own content (knowledge/content), read through the knowledge store as the
actions read them. Each test pins a fact corrected in the fact sheet's "Corrections log" (issue 12)."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.db import create_db_engine
from knowledge.loader import CONTENT_DIR, load
from knowledge.store import KnowledgeStore

TODAY = date(2026, 11, 27)
FOREIGN_ELEMENT_PROCEDURES = ["birth-registration", "death-registration", "marriage-registration", "marital-status-certificate"]


@pytest.fixture(scope="module")
def content_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('content-facts') / 'knowledge.db'}"
    load(CONTENT_DIR, url)
    store = KnowledgeStore(create_db_engine(url))
    yield store
    store.close()


def fee_items(procedure) -> dict[str, object]:
    return {item.label.en: item for item in procedure.fee.items}


def test_passport_reissue_after_loss_costs_400000_and_a_new_one_200000(content_store):
    passport = content_store.get_procedure("passport")
    items = passport.fee.items
    lost = [item for item in items if "lost" in item.label.en.lower()]
    assert len(lost) == 1 and "mất" in lost[0].label.vi
    assert lost[0].amount_on(TODAY) == 400000
    assert lost[0].amount_on(TODAY, online=True) == 400000  # the reduced online rate ended on 31/12/2025
    new = [item for item in items if item is not lost[0]]
    assert [item.amount_on(TODAY) for item in new] == [200000]
    assert "160" not in passport.fee.note.vi + passport.fee.note.en  # the unexplained figure is gone
    assert passport.fee.provenance.confidence == "secondary"


def test_temporary_residence_extension_costs_the_same_as_registration(content_store):
    items = fee_items(content_store.get_procedure("temporary-residence"))
    registration = next(item for label, item in items.items() if label.startswith("Temporary residence registration"))
    extension = next(item for label, item in items.items() if label.startswith("Extending"))
    for item in (registration, extension):
        assert (item.amount_on(TODAY), item.amount_on(TODAY, online=True)) == (15000, 7000)
    group = [item for label, item in items.items() if "group" in label]
    assert [(item.amount_vnd, item.online.amount_vnd) for item in group] == [(10000, 5000)]


def test_judicial_record_moved_to_the_police_on_1_march_2025(content_store):
    agency = content_store.get_procedure("judicial-record").agency
    assert "01/03/2025" in agency.name.vi and "1 March 2025" in agency.name.en
    for text in (agency.name.vi, agency.name.en, agency.where_to_submit.vi, agency.where_to_submit.en):
        assert "31/7" not in text and "31 July" not in text
    assert agency.provenance.confidence == "secondary"


def test_driving_licence_agency_names_the_police_handover_date(content_store):
    agency = content_store.get_procedure("driving-licence-renewal").agency
    assert "01/03/2025" in agency.name.vi and "1 March 2025" in agency.name.en


@pytest.mark.parametrize("procedure_id", FOREIGN_ELEMENT_PROCEDURES)
def test_foreign_element_civil_status_is_at_the_commune_since_july_2025(content_store, procedure_id):
    procedure = content_store.get_procedure(procedure_id)
    agency = procedure.agency
    assert agency.level == "commune-committee"
    assert "120/2025" in agency.where_to_submit.vi and "120/2025" in agency.where_to_submit.en
    # The "not confirmed, call 18001096" placeholder is gone.
    assert "18001096" not in agency.where_to_submit.vi + agency.where_to_submit.en
    assert "not confirmed" not in agency.where_to_submit.en
    if procedure_id != "marital-status-certificate":
        assert any("120/2025" in item.vi and "120/2025" in item.en for item in procedure.legal_basis.items)


def test_motorbike_registration_fee_rate_is_uncertain_and_circular_51_is_cited(content_store):
    motorbike = content_store.get_procedure("motorbike-registration")
    assert "5%" in motorbike.fee.note.vi and "5%" in motorbike.fee.note.en
    assert "uncertain" in motorbike.fee.note.en and "chưa chắc chắn" in motorbike.fee.note.vi
    assert motorbike.fee.provenance.confidence in ("unverified", "unknown")
    assert any("51/2025/TT-BCA" in item.vi and "51/2025/TT-BCA" in item.en for item in motorbike.legal_basis.items)


@pytest.mark.parametrize(
    "procedure_id, in_person_en, in_person_vi",
    [
        ("motorbike-registration", ["inspect", "plate"], ["kiểm tra xe", "biển số"]),
        ("id-card", ["fingerprints", "photo", "iris"], ["vân tay", "ảnh mặt", "mống mắt"]),
    ],
)
def test_online_procedures_that_need_a_visit_say_what_is_done_in_person(content_store, procedure_id, in_person_en, in_person_vi):
    online = content_store.get_procedure(procedure_id).online
    assert online.availability == "partial"
    for word in in_person_en:
        assert word in online.note.en
    for word in in_person_vi:
        assert word in online.note.vi


# Sources that are second-hand, background knowledge or missing: a block citing only such sources
# cannot be `confirmed` (the fact sheet tags them [S-2nd], [K] or gap).
NOT_PRIMARY = ("thuvienphapluat", "hỏi đáp", "q&a", "kiến thức nền", "chưa có nguồn", "không có trong nguồn", "nhật ký sửa")


def test_confirmed_blocks_do_not_rest_on_secondary_or_missing_sources(content_store):
    wrong = []
    for procedure in content_store.list_procedures():
        blocks = {
            "agency": procedure.agency,
            "processing_time": procedure.processing_time,
            "fee": procedure.fee,
            "online": procedure.online,
            "legal_basis": procedure.legal_basis,
            "deadline": procedure.deadline,
        }
        blocks.update({f"documents.{document.id}": document for document in procedure.documents})
        for name, block in blocks.items():
            if block is None or block.provenance.confidence != "confirmed":
                continue
            source = block.provenance.source.lower()
            if any(marker in source for marker in NOT_PRIMARY):
                wrong.append((procedure.id, name, block.provenance.source))
    assert not wrong
