"""Facts that the domain's responses repeat must be the content's.

Rasa sends most domain responses on its own (rules, forms), and it fills a response's {variables}
only from slots or from the custom action that sends it: giving every response the support line as a
slot would need the number in the domain again (a slot's initial value) or an extra event in every
conversation. So the responses keep the number as written text, and this test holds it to
knowledge/content/common.yml.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Vietnamese hotline numbers (1800 toll-free, 1900 paid), however a response spaces them.
HOTLINE = re.compile(r"\b(1[89]00(?:[ .]?\d){4})\b")


def _response_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted((ROOT / "domain").glob("*.yml")):
        responses = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}
        for name, variants in responses.items():
            texts += [(f"{path.name}: {name}", variant["text"]) for variant in variants if "text" in variant]
    return texts


def test_every_support_line_in_the_domain_is_the_content_s():
    common = yaml.safe_load((ROOT / "knowledge" / "content" / "common.yml").read_text(encoding="utf-8"))
    phone = common["support"]["phone"]
    found = [(where, number) for where, text in _response_texts() for number in HOTLINE.findall(text)]
    assert len(found) >= 10, found  # the fallbacks, the handoff, the rating, the dossier lookup, in vi and en
    wrong = [(where, number) for where, number in found if re.sub(r"\D", "", number) != phone]
    assert not wrong, f"support line in the domain differs from common.yml's {phone}: {wrong}"
