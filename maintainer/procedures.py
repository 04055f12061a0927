"""Set or correct the procedure of citizens' messages: the words naming it become an alias in that
procedure's knowledge file (knowledge/content/procedures/<id>.yml), the NLU data is regenerated from the
content (`bot.nlu.generate`, the existing step), and the messages become examples of their intent in
data/nlu/reviewed/ (`maintainer.annotate`). After the next training the intent is trained on the
citizen's words and the procedure resolver, which indexes the content's aliases, finds the procedure.

Who added which alias and when: data/nlu/reviewed/aliases.provenance.csv (never the citizen).
All or nothing: a refusal at any step puts the knowledge file and the generated data back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import yaml

from bot.nlu.generate import MIN_VARIANT_LENGTH, generate
from knowledge.loader import ContentError, read_content
from knowledge.procedure_index import alias_phrases, contains_words
from knowledge.text import fold
from maintainer.annotate import AnnotationRefused, AnnotationResult, annotate, append_csv, check_intent, clean_example, one_writer
from maintainer.layout import Layout

FIND_PROCEDURE = "find_procedure"  # the intent whose examples are the procedure's names on their own
ALIAS_PROVENANCE_FIELDS = ("procedure", "language", "alias", "intent", "added_at", "added_by", "source")
LANGUAGES = ("vi", "en")


@dataclass
class ProcedureResult:
    procedure: str
    alias: str
    language: str
    alias_added: bool  # False: the procedure already had it (the examples are still written)
    content_file: Path
    examples: AnnotationResult


def procedure_ids(layout: Layout) -> list[str]:
    """Ids of the procedures in the content, for the console's list."""
    return sorted(path.stem for path in (layout.content / "procedures").glob("*.yml"))


@one_writer
def set_procedure(
    texts: Iterable[str], procedure: str, intent: str, by: str, layout: Layout, alias: str | None = None, language: str = "vi", source: str = "inbox"
) -> ProcedureResult:
    """`texts` are about `procedure`, and examples of `intent`; `alias` (default: the whole text) is the
    part of every text that names the procedure."""
    if not by.strip():
        raise AnnotationRefused("say who annotates (--by)")
    check_intent(intent, layout)
    if language not in LANGUAGES:
        raise AnnotationRefused(f"alias language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    cleaned = list(dict.fromkeys(clean_example(text) for text in texts))
    if not cleaned:
        raise AnnotationRefused("no text to annotate")
    phrase = clean_example(alias or cleaned[0]).lower()
    if len(phrase) < MIN_VARIANT_LENGTH:
        raise AnnotationRefused(f"the alias {phrase!r} is too short: the generator drops names under {MIN_VARIANT_LENGTH} characters")
    for text in cleaned:
        if not contains_words(fold(text), fold(phrase)):
            raise AnnotationRefused(f"the alias {phrase!r} is not in the message {text!r}: give the words of the message that name the procedure")
        if fold(text) == fold(phrase) and intent != FIND_PROCEDURE:
            raise AnnotationRefused(
                f"a whole message can only be an alias for intent {FIND_PROCEDURE}: for "
                f"{intent}, give the words of the message that name the procedure (alias)"
            )

    content_file = layout.content / "procedures" / f"{procedure}.yml"
    procedures = {p["id"]: p for p in _content(layout).procedures}
    if procedure not in procedures or not content_file.exists():
        raise AnnotationRefused(f"unknown procedure {procedure!r}")
    owners = {p["id"] for p in procedures.values() if any(entry["folded"] == fold(phrase) for entry in alias_phrases(p["names"], p["aliases"]))}
    if owners - {procedure}:
        raise AnnotationRefused(f"{phrase!r} already names {', '.join(sorted(owners - {procedure}))}: one alias cannot lead to two procedures")
    add_alias = procedure not in owners

    backup = {path: path.read_text(encoding="utf-8") for path in [content_file, *layout.generated.glob("*.yml")]}
    try:
        if add_alias:
            content_file.write_text(with_alias(backup[content_file], language, phrase), encoding="utf-8")
            _content(layout)  # `python -m knowledge check`: a file that no longer validates is put back
            regenerate(layout)
        examples = annotate(cleaned, intent, by, layout, source=source)
    except (AnnotationRefused, ContentError) as problem:
        for path, text in backup.items():
            path.write_text(text, encoding="utf-8")
        if isinstance(problem, ContentError):
            raise AnnotationRefused("the knowledge file would not validate: " + "; ".join(problem.errors)) from None
        raise
    if add_alias:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        append_csv(
            layout.reviewed / "aliases.provenance.csv",
            ALIAS_PROVENANCE_FIELDS,
            [
                {
                    "procedure": procedure,
                    "language": language,
                    "alias": phrase,
                    "intent": intent,
                    "added_at": now,
                    "added_by": by.strip(),
                    "source": source,
                }
            ],
        )
    return ProcedureResult(procedure, phrase, language, add_alias, content_file, examples)


def _content(layout: Layout):
    try:
        return read_content(layout.content, require_complete_catalogue=False)
    except ContentError as error:
        raise AnnotationRefused("the knowledge content does not validate: " + "; ".join(error.errors)) from None


def regenerate(layout: Layout) -> list[str]:
    """`python -m bot.nlu.generate` for this layout: rewrites the generated files that changed."""
    written = []
    layout.generated.mkdir(parents=True, exist_ok=True)
    for name, text in generate(layout.content, layout.root).items():
        path = layout.generated / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(name)
    return written


def with_alias(document: str, language: str, alias: str) -> str:
    """The procedure file's text with `alias` appended to `aliases.<language>`; every other line as it was,
    so the reviewer's diff is one line."""
    lines = document.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "aliases:"), None)
    if start is None:
        raise AnnotationRefused("the procedure file has no `aliases:` block")
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^\S", lines[i])), len(lines))
    block = next((i for i in range(start + 1, end) if lines[i].rstrip() == f"  {language}:"), None)
    if block is None:
        raise AnnotationRefused(f"the procedure file has no `aliases: {language}:` list")
    last = block
    for i in range(block + 1, end):
        if re.match(r"^ {4}- ", lines[i]):
            last = i
        elif lines[i].strip() and not lines[i].lstrip().startswith("#"):
            break
    lines.insert(last + 1, f"    - {_yaml_scalar(alias)}\n")
    return "".join(lines)


def _yaml_scalar(text: str) -> str:
    """Plain when YAML reads it back unchanged, else double-quoted (JSON is valid YAML)."""
    try:
        if yaml.safe_load(f"- {text}") == [text]:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)
