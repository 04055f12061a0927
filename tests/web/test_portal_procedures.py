"""The portal's procedure list is the knowledge store's (DATABASE_URL), not a second reading of
knowledge/content/catalogue.csv."""

from __future__ import annotations

from knowledge.loader import load
from tests.knowledge.conftest import FIXTURE_CONTENT
from tests.web.test_server import UNUSED_PORT_URL, _client
from web.settings import WebSettings


async def test_the_procedures_page_lists_the_store_s_procedures(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    load(FIXTURE_CONTENT, url=url, require_complete_catalogue=False)  # three procedures
    monkeypatch.setenv("DATABASE_URL", url)
    client = await _client(WebSettings(rasa_url=UNUSED_PORT_URL))
    try:
        page = await (await client.get("/thu-tuc-hanh-chinh")).text()
    finally:
        await client.close()
    assert page.count("<tr>") == 3 + 1  # header row + the store's three procedures
    assert "Đăng ký khai sinh" in page and "Cấp Phiếu lý lịch tư pháp" not in page
