"""Loader: good content loads, every kind of bad file is rejected with file:line and nothing is loaded,
a re-run changes nothing."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, select

import knowledge
from knowledge import loader as loader_module
from knowledge.__main__ import main as cli
from knowledge.db import create_db_engine, migrate
from knowledge.loader import CONTENT_DIR, ContentError, load, read_content, stale_reviews
from knowledge.models import Base
from tests.knowledge.conftest import FIXTURE_CONTENT


def dump_database(url: str) -> dict:
    """Every row of every knowledge table, for before/after comparisons."""
    engine = create_db_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        dump = {name: sorted(map(repr, connection.execute(select(table)).all())) for name, table in metadata.tables.items()}
    engine.dispose()
    return dump


def line_of(path: Path, needle: str, start: int = 0) -> int:
    """1-based line of the first `needle` at or after character offset `start`."""
    text = path.read_text(encoding="utf-8")
    position = text.find(needle, start)
    assert position >= 0, f"{needle!r} not in {path}"
    return text.count("\n", 0, position) + 1


def replace_in(path: Path, old: str, new: str) -> int:
    """Replaces the first `old`; returns the offset of the replacement."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text.index(old)


def test_fixture_content_reads_in_catalogue_order_with_defaults():
    content = read_content(FIXTURE_CONTENT, require_complete_catalogue=False)

    assert [p["id"] for p in content.procedures] == ["birth-registration", "birth-bundle", "id-card"]
    id_card = content.procedures[2]
    assert id_card["bundle_of"] == [] and id_card["checklist"] == []
    assert id_card["documents"][0]["when"] == {} and id_card["documents"][0]["aliases"] == {"vi": [], "en": []}
    # YAML 1.1 would turn `value: "yes"` and dates into other types; the loader keeps what was written.
    assert content.procedures[0]["checklist"][0]["answers"][0]["value"] == "yes"
    assert content.procedures[0]["deadline"]["provenance"]["reviewed"] == "2025-12-15"
    assert [u["id"] for u in content.units["units"]][:2] == ["dong-hai", "do-vinh"]


def test_complete_catalogue_is_required_unless_partial():
    with pytest.raises(ContentError) as error:
        read_content(FIXTURE_CONTENT)
    assert "missing procedure files for catalogue ids" in str(error.value)
    assert "passport" in str(error.value)


def test_load_then_reload_changes_nothing(database_url):
    first = load(FIXTURE_CONTENT, database_url, require_complete_catalogue=False)
    assert first.procedures == 3 and first.units == 5
    assert set(first.updated) == {"procedure:birth-registration", "procedure:birth-bundle", "procedure:id-card", "units", "common"}
    before = dump_database(database_url)

    second = load(FIXTURE_CONTENT, database_url, require_complete_catalogue=False)

    assert not second.changed
    assert second.summary() == "3 procedures, 5 units: unchanged"
    assert dump_database(database_url) == before


def test_changed_and_removed_files_touch_only_their_procedure(database_url, content_dir):
    load(content_dir, database_url, require_complete_catalogue=False)
    replace_in(content_dir / "procedures" / "id-card.yml", "Đổi hoặc cấp lại thẻ căn cước.", "Nội dung mới.")

    report = load(content_dir, database_url, require_complete_catalogue=False)
    assert report.updated == ("procedure:id-card",) and report.removed == ()

    (content_dir / "procedures" / "id-card.yml").unlink()
    report = load(content_dir, database_url, require_complete_catalogue=False)
    assert report.removed == ("procedure:id-card",) and report.procedures == 2
    tables = dump_database(database_url)
    assert not any("id-card" in row for name in ("procedures", "fee_items", "steps", "procedure_aliases") for row in tables[name])


# Each case: file, text to replace, replacement, the line to report (the first line holding this needle at
# or after the replacement; a leading "^" searches from the top), and what the message must say.
BAD_FILES = {
    "yaml-syntax": (
        "procedures/id-card.yml",
        "category: identity",
        "category: identity: x",
        "category:",
        "YAML error: mapping values are not allowed",
    ),
    "missing-english": (
        "procedures/id-card.yml",
        'names: {vi: "Cấp đổi, cấp lại thẻ căn cước", en: Exchanging or reissuing the identity card}',
        'names: {vi: "Cấp đổi, cấp lại thẻ căn cước"}',
        "names:",
        "names: 'en' is required",
    ),
    "empty-text": ("procedures/id-card.yml", "en: Exchange or reissue your identity card.", 'en: "  "', "^summary:", "summary.en"),
    "bad-enum": ("procedures/id-card.yml", "category: identity", "category: identiy", "category:", "category: 'identiy' is not one of"),
    "bad-date": (
        "procedures/id-card.yml",
        'source: "TT 73/2024/TT-BTC", reviewed: 2025-12-15',
        'source: "TT 73/2024/TT-BTC", reviewed: 2025-13-45',
        "TT 73/2024",
        "fee.provenance.reviewed",
    ),
    "bad-confidence": (
        "procedures/id-card.yml",
        "confidence: confirmed}\nlegal_basis",
        "confidence: sure}\nlegal_basis",
        "confidence: sure",
        "online.provenance.confidence",
    ),
    "typo-field": ("procedures/id-card.yml", "  note: {vi: Vẫn phải", "  nots: {vi: Vẫn phải", "nots:", "unknown field"),
    "id-not-file-name": ("procedures/id-card.yml", "id: id-card", "id: passport", "id: passport", "must equal the file name"),
    "unknown-related": ("procedures/id-card.yml", "related: []", "related: [no-such-procedure]", "related:", "no procedure 'no-such-procedure'"),
    "duplicate-document": ("procedures/birth-registration.yml", "- id: witness-statement", "- id: declaration", "- id: declaration", "duplicate id"),
    "unknown-question": (
        "procedures/birth-registration.yml",
        'when: {hospital_birth: ["no"]}',
        'when: {born_at_home: ["no"]}',
        "born_at_home",
        "no checklist question",
    ),
    "unknown-answer": (
        "procedures/birth-registration.yml",
        'when: {hospital_birth: ["no"]}',
        'when: {hospital_birth: ["maybe"]}',
        "maybe",
        "'maybe' is not an answer",
    ),
    "duplicate-key": ("procedures/id-card.yml", "essential: true", "essential: true\nessential: false", "essential: false", "duplicate key"),
    "free-with-items": ("procedures/id-card.yml", "  free: false", "  free: true", "  items:", "fee.items"),
    "unknown-channel": (
        "procedures/id-card.yml",
        "channels: [vneid, police-portal]",
        "channels: [vneid, evn-portal]",
        "channels: [vneid, evn-portal]",
        "not in common.yml",
    ),
    "essential-mismatch": ("procedures/id-card.yml", "essential: true", "essential: false", "essential:", "catalogue says essential=true"),
    "unit-unknown-district": ("units.yml", "district: ninh-son}", "district: ninh-sun}", "ninh-sun", "unknown former district 'ninh-sun'"),
    "office-hours-backwards": (
        "common.yml",
        '["13:30", "17:00"]',
        '["17:00", "13:30"]',
        '["17:00", "13:30"]',
        "the period ends (13:30) before it starts (17:00)",
    ),
    "office-hours-bad-time": ("common.yml", '"11:30"]', '"11:70"]', '"11:70"]', "does not match"),
    "common-missing-label": ("common.yml", "  unknown: {vi: Chưa rõ", "  unknowable: {vi: Chưa rõ", "^confidence_labels:", "'unknown' is required"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_reported_with_file_and_line(case, content_dir):
    relative, old, new, needle, expected = BAD_FILES[case]
    path = content_dir / relative
    offset = replace_in(path, old, new)
    line = line_of(path, needle[1:]) if needle.startswith("^") else line_of(path, needle, offset)

    with pytest.raises(ContentError) as error:
        read_content(content_dir, require_complete_catalogue=False)

    messages = [message for message in error.value.errors if f"{path.name}:" in message]
    assert any(f":{line}:" in message and expected in message for message in messages), error.value.errors


def test_non_catalogue_procedure_file_is_rejected(content_dir):
    source = (content_dir / "procedures" / "id-card.yml").read_text(encoding="utf-8")
    (content_dir / "procedures" / "my-procedure.yml").write_text(source.replace("id: id-card", "id: my-procedure"))

    with pytest.raises(ContentError) as error:
        read_content(content_dir, require_complete_catalogue=False)
    assert any("my-procedure.yml:" in e and "not a catalogue id" in e for e in error.value.errors)


def test_bad_file_leaves_the_database_untouched(database_url, content_dir):
    load(content_dir, database_url, require_complete_catalogue=False)
    before = dump_database(database_url)
    replace_in(content_dir / "procedures" / "id-card.yml", "Đổi hoặc cấp lại thẻ căn cước.", "Nội dung mới.")
    replace_in(content_dir / "units.yml", "district: ninh-son}", "district: nowhere}")

    with pytest.raises(ContentError):
        load(content_dir, database_url, require_complete_catalogue=False)

    assert dump_database(database_url) == before


def test_failure_while_writing_rolls_everything_back(database_url, monkeypatch):
    def broken_write(session, common):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader_module, "_write_common", broken_write)
    with pytest.raises(RuntimeError):
        load(FIXTURE_CONTENT, database_url, require_complete_catalogue=False)

    tables = dump_database(database_url)
    assert tables["procedures"] == [] and tables["administrative_units"] == [] and tables["content_versions"] == []


def test_migrations_match_the_models(database_url):
    # Import every module, so that a table declared outside knowledge.models is compared too.
    for module in pkgutil.iter_modules(knowledge.__path__):
        if module.name != "__main__":
            importlib.import_module(f"knowledge.{module.name}")
    migrate(database_url)
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_an_empty_database(database_url):
    from alembic import command
    from alembic.config import Config

    from knowledge.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    metadata = MetaData()
    metadata.reflect(engine)
    engine.dispose()
    assert set(metadata.tables) <= {"alembic_version"}


def test_cli_check_and_load(tmp_path, content_dir, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")

    assert cli(["load", "--partial", "--content", str(content_dir)]) == 0
    assert cli(["load", "--partial", "--content", str(content_dir)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("3 procedures, 5 units: unchanged")

    replace_in(content_dir / "procedures" / "id-card.yml", "category: identity", "category: nonsense")
    assert cli(["check", "--partial", "--content", str(content_dir)]) == 1
    assert f"id-card.yml:{line_of(content_dir / 'procedures' / 'id-card.yml', 'category:')}:" in capsys.readouterr().err


def test_real_units_and_common_content_are_valid():
    """units.yml and common.yml of the repository (the procedures are checked by the next test)."""
    content = read_content(CONTENT_DIR, require_complete_catalogue=False)
    unit_ids = [unit["id"] for unit in content.units["units"]]
    assert len(unit_ids) >= 24 and len(set(unit_ids)) == len(unit_ids)
    assert {"phan-rang", "dong-hai", "ninh-chu", "bao-an", "do-vinh", "bac-ai-tay"} <= set(unit_ids)
    assert content.units["province"]["unit_counts"]["total"] == 65
    assert [step["id"] for step in content.common["steps"]][0] == "login"


def test_real_content_loads_completely(tmp_path):
    """All 27 catalogue procedures, complete in vi and en, load; passes once every file exists."""
    url = f"sqlite:///{tmp_path / 'real.db'}"
    report = load(CONTENT_DIR, url)
    assert report.procedures == 27 and report.units >= 24
    assert not load(CONTENT_DIR, url).changed


def test_a_name_that_differs_from_the_catalogue_is_reported(tmp_path):
    import shutil

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    passport = content / "procedures" / "passport.yml"
    text = passport.read_text(encoding="utf-8")
    passport.write_text(text.replace("  en: Ordinary passport issuance\n", "  en: A new passport\n", 1), encoding="utf-8")
    with pytest.raises(ContentError) as rejected:
        read_content(content)
    assert any("passport.yml" in error and "the catalogue names it" in error for error in rejected.value.errors)
    read_content(content, require_complete_catalogue=False)  # working names are fine in partial content


def test_stale_reviews_counts_facts_older_than_six_months_per_file(content_dir):
    """Every fixture fact was reviewed on 2025-12-15: fine until 6 months later, stale the day after."""
    assert stale_reviews(content_dir, today=date(2026, 6, 15)) == []
    warnings = stale_reviews(content_dir, today=date(2026, 6, 16))
    files = sorted(warning.split(":")[0].rsplit("/", 1)[-1] for warning in warnings)
    assert files == ["birth-bundle.yml", "birth-registration.yml", "common.yml", "id-card.yml", "units.yml"]
    assert all("more than 6 months ago (before 2025-12-16)" in warning for warning in warnings)


def test_stale_reviews_points_at_the_oldest_fact(content_dir):
    id_card_file = content_dir / "procedures" / "id-card.yml"
    offset = replace_in(id_card_file, "reviewed: 2025-12-15, confidence: secondary}\n", "reviewed: 2024-01-31, confidence: secondary}\n")
    text = id_card_file.read_text(encoding="utf-8")
    # On 1 August 2024 only the edited fact is older than 6 months; on 31 July 2024 it is exactly 6 months old.
    warnings = stale_reviews(content_dir, today=date(2024, 8, 1))
    assert len(warnings) == 1
    line = text.count("\n", 0, offset) + 1
    assert f"id-card.yml:{line}: 1 fact(s) last reviewed more than 6 months ago (before 2024-02-01)" in warnings[0]
    assert "oldest 2024-01-31" in warnings[0]
    assert stale_reviews(content_dir, today=date(2024, 7, 31)) == []


def test_cli_check_warns_about_old_reviews_without_failing(content_dir, capsys):
    assert cli(["check", "--partial", "--content", str(content_dir), "--today", "2026-11-27"]) == 0
    output = capsys.readouterr()
    assert output.out.startswith("content OK")
    assert output.err.count("warning: ") == 5
    assert "5 file(s) with facts to review again" in output.err
    assert cli(["check", "--partial", "--content", str(content_dir), "--today", "2026-01-01"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_six_months_before_a_month_end_is_the_last_day_of_that_month(content_dir):
    assert loader_module._months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert loader_module._months_before(date(2026, 11, 27), 6) == date(2026, 5, 27)
    assert loader_module._months_before(date(2026, 3, 15), 6) == date(2025, 9, 15)
