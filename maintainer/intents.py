"""Create a new intent from the inbox: its name, Vietnamese and English examples, and either the response
it gives (in vi and en, as the domain does for languages) or the procedure it belongs to.

Written where a reviewer reads it as a diff:
  domain/reviewed.yml             the intent, and its response `utter_<name>` (vi; en on `language: en`)
  data/nlu/reviewed/rules.yml     the rule: intent -> its response, or -> action_discover_procedure
  data/nlu/reviewed/<name>.yml    the examples (`maintainer.annotate`, with their provenance sidecar)
  data/nlu/reviewed/intents.provenance.csv   who created which intent, when
These intents are data only: no code refers to them, so knowledge/names.py (the code's vocabulary) does
not list them; tests/test_names.py checks that the two never overlap. An intent that code starts to use
moves to a skill's domain file and into knowledge/names.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping, Optional

import yaml

from knowledge.loader import ContentError, read_content
from knowledge.names import Intent
from knowledge.procedure_index import ProcedureIndex
from knowledge.resolution import resolve
from maintainer.annotate import INTENT_NAME, AnnotationRefused, annotate, append_csv, clean_example, domain_intents, domain_names, one_writer
from maintainer.layout import Layout

DISCOVER_ACTION = "action_discover_procedure"  # presents the procedure the message is about
MAX_NAME_LENGTH = 40
# Rasa's own intents, and names the code already gives a meaning to.
RESERVED = {"restart", "back", "session_start", "out_of_scope", "nlu_fallback"}
INTENT_PROVENANCE_FIELDS = ("intent", "answer", "added_at", "added_by", "source")
DOMAIN_HEADER = (
    "# Intents created from the maintainers' inbox (`python -m maintainer new-intent` or the console),\n"
    "# written by the tool: who and when in data/nlu/reviewed/intents.provenance.csv.\n"
)
RULES_HEADER = "# Rules of the intents created from the maintainers' inbox (domain/reviewed.yml).\n"


@dataclass
class NewIntent:
    name: str
    response: Optional[str]  # utter_<name>, or None when it belongs to a procedure
    procedure: Optional[str]
    examples: list[str]


def code_intents() -> set[str]:
    return {value for key, value in vars(Intent).items() if key.isupper() and isinstance(value, str)}


def check_new_name(name: str, layout: Layout) -> None:
    if not INTENT_NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise AnnotationRefused(
            f"intent name {name!r}: lowercase letters, digits and _, starting with a letter, at most {MAX_NAME_LENGTH} characters"
        )
    if name in RESERVED or name in code_intents() or name in domain_intents(layout.domain):
        raise AnnotationRefused(f"intent {name!r} already exists")
    if f"utter_{name}" in domain_names(layout.domain, "responses"):
        raise AnnotationRefused(f"a response utter_{name} already exists")


@one_writer
def create_intent(
    name: str,
    examples: Mapping[str, Iterable[str]],
    by: str,
    layout: Layout,
    response: Optional[dict[str, str]] = None,
    procedure: Optional[str] = None,
    source: str = "inbox",
) -> NewIntent:
    """`examples` by language ({"vi": [...], "en": [...]}, both needed); exactly one of `response`
    ({"vi": text, "en": text}) and `procedure`. All or nothing."""
    if not by.strip():
        raise AnnotationRefused("say who creates the intent (--by)")
    name = name.strip()
    check_new_name(name, layout)
    cleaned = {lang: list(dict.fromkeys(clean_example(t) for t in examples.get(lang) or [] if t.strip())) for lang in ("vi", "en")}
    missing = [lang for lang, texts in cleaned.items() if not texts]
    if missing:
        raise AnnotationRefused(f"a new intent needs Vietnamese and English examples (missing: {', '.join(missing)})")
    texts = cleaned["vi"] + cleaned["en"]
    if (response is None) == (procedure is None):
        raise AnnotationRefused("give either the response the intent should give (vi and en) or its procedure")
    answer: dict
    if response is not None:
        reply = {lang: " ".join(str(response.get(lang) or "").split()) for lang in ("vi", "en")}
        if not all(reply.values()):
            raise AnnotationRefused("the response needs a Vietnamese and an English text")
        answer = {"response": f"utter_{name}", "texts": reply}
    else:
        _check_belongs_to(str(procedure), texts, layout)
        answer = {"procedure": procedure}

    rules = layout.reviewed / "rules.yml"
    backup = {path: path.read_text(encoding="utf-8") if path.exists() else None for path in (layout.reviewed_domain, rules)}
    try:
        _write_domain(layout, name, answer.get("texts"))
        _write_rule(rules, name, answer.get("response") or DISCOVER_ACTION)
        annotate(texts, name, by, layout, source=source)
    except AnnotationRefused:
        for path, text in backup.items():
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(text, encoding="utf-8")
        raise
    described = answer.get("response") or f"procedure {procedure}"
    append_csv(
        layout.reviewed / "intents.provenance.csv",
        INTENT_PROVENANCE_FIELDS,
        [
            {
                "intent": name,
                "answer": described,
                "added_by": by.strip(),
                "source": source,
                "added_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        ],
    )
    return NewIntent(name, answer.get("response"), procedure, texts)


def _check_belongs_to(procedure: str, texts: list[str], layout: Layout) -> None:
    """Each example must lead the resolver to the procedure (action_discover_procedure answers from it)."""
    try:
        procedures = read_content(layout.content, require_complete_catalogue=False).procedures
    except ContentError as error:
        raise AnnotationRefused("the knowledge content does not validate: " + "; ".join(error.errors)) from None
    if procedure not in {p["id"] for p in procedures}:
        raise AnnotationRefused(f"unknown procedure {procedure!r}")
    index = ProcedureIndex.from_content(procedures)
    for text in texts:
        found = resolve({"text": text, "entities": []}, index).decide().procedure_id
        if found != procedure:
            raise AnnotationRefused(
                f"{text!r} does not lead to {procedure} (it leads to {found or 'nothing'}): "
                "set the procedure of such messages first, so its alias is known"
            )


def _write_domain(layout: Layout, name: str, reply: Optional[dict[str, str]]) -> None:
    path = layout.reviewed_domain
    document = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    document = {"version": "3.1", "intents": [*(document.get("intents") or []), name], "responses": dict(document.get("responses") or {})}
    if reply:
        document["responses"][f"utter_{name}"] = [
            {"text": reply["vi"]},
            {"condition": [{"type": "slot", "name": "language", "value": "en"}], "text": reply["en"]},
        ]
    if not document["responses"]:
        del document["responses"]
    _dump(path, DOMAIN_HEADER, document)


def _write_rule(path: Path, name: str, action: str) -> None:
    document = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    rules = [*(document.get("rules") or []), {"rule": f"reviewed intent {name}", "steps": [{"intent": name}, {"action": action}]}]
    path.parent.mkdir(parents=True, exist_ok=True)
    _dump(path, RULES_HEADER, {"version": "3.1", "rules": rules})


def _dump(path: Path, header: str, document: dict) -> None:
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    path.write_text(header + text, encoding="utf-8")
