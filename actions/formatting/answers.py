"""Answers about a procedure, assembled from knowledge-store objects for a chat window.

Every function returns a `Reply` in the citizen's language: a few short paragraphs,
bullet lists, a provenance footer and buttons for the next natural questions.
Missing optional data (no fee block, no steps, ...) gives a plain "no information yet".
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from actions.formatting import wording
from actions.formatting.common import (
    Reply,
    bullets,
    button,
    caution,
    clause,
    flagged,
    footer,
    online_discount_today,
    paragraphs,
)
from actions.formatting.shared import channel_name, no_step_help

# Intent payloads for the follow-up buttons; the procedure in context stays in the slot.
TOPIC_PAYLOADS = {
    "documents": "/ask_documents",
    "fee": "/ask_fee",
    "processing_time": "/ask_processing_time",
    "where_to_submit": "/ask_where_to_submit",
    "online": "/ask_online",
    "legal_basis": "/ask_legal_basis",
    "steps": "/ask_steps",
    "checklist": "/start_checklist",
    "walkthrough": "/walkthrough_start",
    "human": "/request_human",
    "dossier_status": "/check_dossier_status",
}
WALKTHROUGH_PAYLOADS = {
    "next": "/walkthrough_next",
    "back": "/walkthrough_back",
    "repeat": "/walkthrough_repeat",
    "stuck": "/walkthrough_stuck",
    "resume": "/walkthrough_resume",
}


def topic_buttons(topics: Sequence[str], language: str) -> list[dict]:
    words = wording(language)
    return [button(words.TOPIC_BUTTONS[topic], TOPIC_PAYLOADS[topic]) for topic in topics]


def can_apply_online(procedure) -> bool:
    return procedure.online is not None and procedure.online.availability in ("full", "partial")


def _name(procedure, language: str) -> str:
    return procedure.names.in_(language)


def _document_line(document, language: str, answered: bool, with_note: bool = True, flag: bool = True) -> str:
    words = wording(language)
    line = document.name.in_(language)
    if with_note and document.note:
        line += f" — {document.note.in_(language)}"
    if not document.required:
        line += f" ({words.OPTIONAL})"
    elif document.when and not answered:
        line += f" ({words.DEPENDS})"
    return flagged(line, document.provenance, words) if flag else line


def _document_list(documents: Sequence, language: str, answered: bool, with_note: bool = True) -> str:
    """A bullet per document; when every document carries the same caution it is said once, below the list."""
    words = wording(language)
    warnings = {caution(document.provenance, words) for document in documents}
    shared = warnings.pop() if len(warnings) == 1 and len(documents) > 1 else None
    lines = bullets(_document_line(document, language, answered, with_note, flag=not shared) for document in documents)
    return f"{lines}\n({shared})" if shared else lines


def documents(procedure, language: str) -> Reply:
    """All documents; situational ones marked 'depending on your case' with an offer of the checklist."""
    words = wording(language)
    if not procedure.documents:
        return Reply(words.NO_DOCUMENTS, topic_buttons(["where_to_submit", "fee"], language))
    # The overview stays short: notes come with the personalised checklist.
    has_questions = bool(procedure.checklist)
    text = paragraphs(
        words.documents_title(_name(procedure, language)),
        _document_list(procedure.documents, language, answered=False, with_note=False),
        words.CHECKLIST_HINT if has_questions else None,
        footer((d.provenance for d in procedure.documents), words),
    )
    topics = (["checklist"] if has_questions else []) + ["fee", "processing_time", "where_to_submit"]
    return Reply(text, topic_buttons(topics, language))


def checklist(procedure, language: str, fitting_documents: Sequence) -> Reply:
    """The documents that fit the citizen's answers."""
    words = wording(language)
    if not fitting_documents:
        return Reply(words.NO_DOCUMENTS, topic_buttons(["where_to_submit", "fee"], language))
    text = paragraphs(
        words.checklist_title(_name(procedure, language)),
        _document_list(fitting_documents, language, answered=True),
        footer((d.provenance for d in fitting_documents), words),
    )
    topics = (["walkthrough"] if can_apply_online(procedure) else ["where_to_submit"]) + ["fee", "processing_time"]
    return Reply(text, topic_buttons(topics, language))


def missing(procedure, language: str, have: Sequence, still_missing: Sequence, situation_unknown: bool = False) -> Reply:
    """What is still missing after the citizen listed what they have.

    `situation_unknown`: the checklist questions were not answered, so documents that depend on
    the situation are left out and the checklist is offered.
    """
    words = wording(language)
    name = _name(procedure, language)
    if not have:
        return Reply(
            words.NOTHING_RECOGNISED,
            topic_buttons(["documents", "checklist"], language) if procedure.checklist else topic_buttons(["documents"], language),
        )
    have_line = words.already_have(", ".join(d.name.in_(language) for d in have))
    if still_missing:
        body = words.missing_title(name) + "\n" + _document_list(still_missing, language, answered=True, with_note=False)
    else:
        body = words.have_all(name)
    text = paragraphs(
        have_line, body, words.CHECKLIST_HINT if situation_unknown else None, footer((d.provenance for d in [*have, *still_missing]), words)
    )
    topics = (["checklist"] if situation_unknown else []) + (["walkthrough"] if can_apply_online(procedure) else ["where_to_submit"]) + ["fee"]
    return Reply(text, topic_buttons(topics, language))


def fee(procedure, language: str, today: date) -> Reply:
    """Fee items, with an online discount only when today is inside its validity dates."""
    words = wording(language)
    fee_block = procedure.fee
    follow_ups = topic_buttons(["documents", "processing_time", "online"], language)
    if fee_block is None:
        return Reply(words.NO_FEE_DATA, follow_ups)
    lines = []
    for item in fee_block.items or []:
        line = f"{item.label.in_(language)}: {words.money(item.amount_vnd)}"
        discount = online_discount_today(item, today)
        if discount is not None:
            line += f"; {words.online_price(words.money(discount.amount_vnd), discount.valid_until)}"
        lines.append(line)
    if fee_block.free or not lines:
        summary = words.FREE if fee_block.free else words.NO_FEE_DATA
    else:
        summary = bullets(lines)
    warning = caution(fee_block.provenance, words)
    if warning:
        summary = f"{summary}\n({warning})"
    exemptions = None
    if fee_block.exemptions:
        exemptions = words.EXEMPTIONS + "\n" + bullets(e.in_(language) for e in fee_block.exemptions)
    note = fee_block.note.in_(language) if fee_block.note else None
    text = paragraphs(words.fee_title(_name(procedure, language)), summary, exemptions, note, footer([fee_block.provenance], words))
    return Reply(text, follow_ups)


def processing_time(procedure, language: str) -> Reply:
    words = wording(language)
    follow_ups = topic_buttons(["where_to_submit", "documents", "online"], language)
    time_block = procedure.processing_time
    deadline = procedure.deadline
    if time_block is None and deadline is None:
        return Reply(words.NO_TIME_DATA, follow_ups)
    time_line = (
        flagged(words.processing_time(_name(procedure, language), clause(time_block.text.in_(language))), time_block.provenance, words)
        if time_block
        else words.NO_TIME_DATA
    )
    deadline_line = flagged(words.deadline(clause(deadline.text.in_(language))), deadline.provenance, words) if deadline else None
    provenances = [block.provenance for block in (time_block, deadline) if block]
    return Reply(paragraphs(time_line, deadline_line, footer(provenances, words)), follow_ups)


def agency(procedure, language: str) -> Reply:
    """Who handles the procedure and how to submit, without knowing where the citizen lives."""
    words = wording(language)
    follow_ups = topic_buttons(["documents", "fee", "online"], language)
    agency_block = procedure.agency
    if agency_block is None:
        return Reply(words.NO_AGENCY_DATA, follow_ups)
    text = paragraphs(
        flagged(words.agency(_name(procedure, language), clause(agency_block.name.in_(language))), agency_block.provenance, words),
        agency_block.where_to_submit.in_(language) if agency_block.where_to_submit else None,
        words.procedure_page(procedure.url) if procedure.url else None,
        footer([agency_block.provenance], words),
    )
    return Reply(text, follow_ups)


def ask_location(procedure, language: str) -> Reply:
    """Who handles it in general, and a question about where the citizen lives (commune-level bodies)."""
    words = wording(language)
    agency_block = procedure.agency
    text = paragraphs(
        flagged(words.agency(_name(procedure, language), clause(agency_block.name.in_(language))), agency_block.provenance, words),
        words.ASK_LOCATION,
        footer([agency_block.provenance], words),
    )
    return Reply(text, topic_buttons(["documents", "fee", "online"], language))


def where_to_submit(procedure, language: str, body: str, unit_name: str, spoken: str | None = None, former: bool = False) -> Reply:
    """The body that handles this procedure in the citizen's commune-level unit."""
    words = wording(language)
    agency_block = procedure.agency
    text = paragraphs(
        words.former_name(spoken, unit_name) if former and spoken else None,
        flagged(words.where_in_unit(body, unit_name), agency_block.provenance, words),
        agency_block.where_to_submit.in_(language) if agency_block.where_to_submit else None,
        footer([agency_block.provenance], words),
    )
    topics = ["documents", "fee"] + (["walkthrough"] if can_apply_online(procedure) else ["processing_time"])
    return Reply(text, topic_buttons(topics, language))


def fixed_office(procedure, language: str, spoken: str | None = None, unit_name: str | None = None) -> Reply:
    """Procedures whose office does not depend on the commune (provincial police, power company, ...).

    A pre-2025 place name the citizen gave is still resolved for them ("Tháp Chàm" is now ...).
    """
    words = wording(language)
    agency_block = procedure.agency
    text = paragraphs(
        words.former_name(spoken, unit_name) if spoken and unit_name else None,
        flagged(words.fixed_office(clause(agency_block.name.in_(language))), agency_block.provenance, words),
        agency_block.where_to_submit.in_(language) if agency_block.where_to_submit else None,
        words.procedure_page(procedure.url) if procedure.url else None,
        footer([agency_block.provenance], words),
    )
    return Reply(text, topic_buttons(["documents", "fee", "online"], language))


def which_unit(language: str, spoken: str, unit_names: Sequence[str]) -> Reply:
    """Several current units match a former district name: ask which, one button each."""
    buttons = [button(name, f'/inform_location{{"location": "{name}"}}') for name in unit_names]
    return Reply(wording(language).which_unit(spoken), buttons)


def place_only(language: str, spoken: str, unit_name: str) -> Reply:
    """A former place name resolved while no procedure is in context."""
    words = wording(language)
    return Reply(paragraphs(words.former_name(spoken, unit_name), words.ASK_PROCEDURE))


def unknown_unit(language: str, spoken: str) -> Reply:
    return Reply(wording(language).unknown_unit(spoken))


def online(procedure, language: str) -> Reply:
    words = wording(language)
    online_block = procedure.online
    if online_block is None:
        return Reply(words.NO_ONLINE_DATA, topic_buttons(["where_to_submit", "documents"], language))
    channel_names = [channel_name(channel, language) for channel in online_block.channels or []]
    text = paragraphs(
        words.online_title(_name(procedure, language)),
        flagged(words.ONLINE_AVAILABILITY.get(online_block.availability, words.NO_ONLINE_DATA), online_block.provenance, words),
        words.channels(", ".join(channel_names)) if channel_names and can_apply_online(procedure) else None,
        online_block.note.in_(language) if online_block.note else None,
        words.procedure_page(procedure.url) if procedure.url else None,
        footer([online_block.provenance], words),
    )
    topics = ["walkthrough", "documents", "fee"] if can_apply_online(procedure) else ["where_to_submit", "documents", "fee"]
    return Reply(text, topic_buttons(topics, language))


def legal_basis(procedure, language: str) -> Reply:
    words = wording(language)
    follow_ups = topic_buttons(["documents", "fee"], language)
    legal_block = procedure.legal_basis
    if legal_block is None or not legal_block.items:
        return Reply(words.NO_LEGAL_DATA, follow_ups)
    text = paragraphs(
        words.legal_title(_name(procedure, language)),
        bullets(item.in_(language) for item in legal_block.items),
        f"({warning})" if (warning := caution(legal_block.provenance, words)) else None,
        footer([legal_block.provenance], words),
    )
    return Reply(text, follow_ups)


def steps_overview(procedure, steps: Sequence, language: str) -> Reply:
    """The submission steps as one numbered list, with an offer to go through them one by one."""
    words = wording(language)
    if not steps:
        return Reply(words.NO_STEPS, topic_buttons(["where_to_submit", "documents"], language))
    numbered = "\n".join(f"{number}. {step.title.in_(language)}" for number, step in enumerate(steps, 1))
    text = paragraphs(words.steps_title(_name(procedure, language)), numbered)
    return Reply(text, topic_buttons(["walkthrough", "documents", "fee"], language))


def walkthrough_buttons(index: int, language: str) -> list[dict]:
    words = wording(language)
    keys = ["next", "back", "repeat", "stuck"] if index > 0 else ["next", "repeat", "stuck"]
    return [button(words.WALKTHROUGH_BUTTONS[key], WALKTHROUGH_PAYLOADS[key]) for key in keys]


def walkthrough_step(procedure, steps: Sequence, index: int, language: str, intro: str | None = None) -> Reply:
    """One step of the walkthrough; `intro` is said before the first step."""
    words = wording(language)
    step = steps[index]
    text = paragraphs(
        intro,
        words.step_heading(index + 1, len(steps), step.title.in_(language)),
        step.detail.in_(language) if step.detail else None,
    )
    return Reply(text, walkthrough_buttons(index, language))


def walkthrough_intro(procedure, steps: Sequence, language: str) -> str:
    """What the walkthrough covers; for a bundle, which agencies take part (its agency block names them)."""
    words = wording(language)
    return paragraphs(
        words.walkthrough_intro(_name(procedure, language), len(steps)),
        f"{words.BUNDLE_AGENCIES} {procedure.agency.name.in_(language)}" if procedure.is_bundle else None,
    )


def walkthrough_stuck(steps: Sequence, index: int, language: str) -> Reply:
    words = wording(language)
    step = steps[index]
    help_text = step.help.in_(language) if step.help else no_step_help(words)
    text = paragraphs(words.stuck(step.title.in_(language)), help_text, words.OFFER_HUMAN)
    buttons = walkthrough_buttons(index, language)[:1] + [
        button(words.WALKTHROUGH_BUTTONS["repeat"], WALKTHROUGH_PAYLOADS["repeat"]),
        button(words.TOPIC_BUTTONS["human"], TOPIC_PAYLOADS["human"]),
    ]
    return Reply(text, buttons)


def walkthrough_done(procedure, language: str) -> Reply:
    """After the last step: what happens next, how long, how to check the dossier here."""
    words = wording(language)
    time_block = procedure.processing_time
    time_line = flagged(words.expected_time(clause(time_block.text.in_(language))), time_block.provenance, words) if time_block else None
    text = paragraphs(words.DONE, words.NEXT, time_line, words.CHECK_STATUS, footer([time_block.provenance] if time_block else [], words))
    return Reply(text, topic_buttons(["dossier_status", "human"], language))


def checklist_question(question, language: str) -> Reply:
    """One situational question; each button sends the answer's value as plain text."""
    buttons = [button(answer.label.in_(language), answer.value) for answer in question.answers]
    return Reply(question.question.in_(language), buttons)


def ask_procedure(language: str) -> Reply:
    return Reply(wording(language).ASK_PROCEDURE)
