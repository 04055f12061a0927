"""English wording for answers built from the knowledge store."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from actions.formatting.shared import wording_fact

CODE = "en"

SOURCE = "Source"
UPDATED = "updated"

TOPIC_BUTTONS = {
    "documents": "What documents?",
    "fee": "How much is the fee?",
    "processing_time": "How long does it take?",
    "where_to_submit": "Where do I submit?",
    "online": "Can I do it online?",
    "legal_basis": "Legal basis",
    "steps": "Steps",
    "checklist": "Make my document checklist",
    "walkthrough": "Guide me through applying online",
    "human": "Talk to a person",
    "dossier_status": "Check a dossier",
}

WALKTHROUGH_BUTTONS = {
    "next": "Next",
    "back": "Back",
    "repeat": "Repeat",
    "stuck": "I'm stuck on this step",
    "resume": "Continue the guide",
}

ONLINE_AVAILABILITY = {
    "full": "You can do the whole procedure online.",
    "partial": "Part of this procedure can be done online.",
    "none": "This procedure cannot be done online yet; you need to apply in person.",
}

UNIT_BODIES = {
    "commune-committee": "the People's Committee of {unit}",
    "commune-police": "the police of {unit}",
    "any-commune-police": "the police of {unit} (or any other commune or ward police you find convenient)",
    "business-registration": "the commune-level business registration office at the People's Committee of {unit}",
}


def money(amount_vnd: int) -> str:
    return f"{amount_vnd:,} VND"


def day(value: date) -> str:
    return value.strftime("%d %b %Y").lstrip("0")


def documents_title(procedure_name: str) -> str:
    return f"Documents to prepare for {procedure_name}:"


def checklist_title(procedure_name: str) -> str:
    return f"Your checklist for {procedure_name}:"


OPTIONAL = "if you have it"
DEPENDS = "depending on your case"
NO_DOCUMENTS = "There is no document list for this procedure yet."
CHECKLIST_HINT = "Answer a few questions and I will list exactly the documents for your case."


def missing_title(procedure_name: str) -> str:
    return f"For {procedure_name}, you still need:"


def have_all(procedure_name: str) -> str:
    return f"You have all the main documents for {procedure_name}."


def already_have(names: str) -> str:
    return f"Already have: {names}."


NOTHING_RECOGNISED = "I could not tell which documents you have. Name them, for example: “I have the hospital birth certificate and my ID card”."


def fee_title(procedure_name: str) -> str:
    return f"Fees for {procedure_name}:"


FREE = "Free of charge."
EXEMPTIONS = "Exempt from the fee:"


def online_price(amount: str, until: date | None) -> str:
    if until:
        return f"online: {amount} (until {day(until)})"
    return f"online: {amount}"


NO_FEE_DATA = "There is no fee information for this procedure yet."


def processing_time(procedure_name: str, text: str) -> str:
    return f"Processing time for {procedure_name}: {text}."


def deadline(text: str) -> str:
    return f"Your deadline: {text}."


NO_TIME_DATA = "There is no processing-time information for this procedure yet."


def agency(procedure_name: str, name: str) -> str:
    return f"{procedure_name} is handled by: {name}."


NO_AGENCY_DATA = "There is no information on the handling agency for this procedure yet."


def procedure_page(url: str) -> str:
    return f"Procedure page: {url}"


def where_in_unit(body: str, unit: str) -> str:
    return f"In {unit}, submit your dossier to {body}."


def former_name(spoken: str, unit: str) -> str:
    return f"“{spoken}” is now part of {unit} (after the administrative reorganisation of 1 July 2025)."


def fixed_office(body: str) -> str:
    return f"Handled by: {body}. This does not depend on your commune or ward."


ASK_LOCATION = "Tell me which commune or ward you live in and I will name the right office."


def which_unit(spoken: str) -> str:
    return f"“{spoken}” now covers several communes and wards. Which one do you live in?"


def unknown_unit(spoken: str) -> str:
    return f"I could not find “{spoken}” among Khánh Hòa's communes and wards. Could you write its name again?"


def online_title(procedure_name: str) -> str:
    return f"Doing {procedure_name} online:"


def channels(names: str) -> str:
    return f"Apply through {names}."


NO_ONLINE_DATA = "There is no information on online submission for this procedure yet."


def legal_title(procedure_name: str) -> str:
    return f"Legal basis of {procedure_name}:"


NO_LEGAL_DATA = "There is no legal-basis information for this procedure yet."


def steps_title(procedure_name: str) -> str:
    return f"Steps to apply online for {procedure_name}:"


NO_STEPS = "This procedure cannot be done online, so there is no step-by-step guide. You can ask where to submit it."

ASK_PROCEDURE = "Which procedure are you asking about? For example: birth registration, ID card reissue, passport."


def walkthrough_intro(procedure_name: str, count: int) -> str:
    return f"I will guide you through applying for {procedure_name} online in {count} steps. Press “Next” when a step is done."


BUNDLE_AGENCIES = "This is a linked (bundle) procedure; the agencies taking part:"


def step_heading(number: int, total: int, title: str) -> str:
    return f"Step {number}/{total}: {title}"


def stuck(title: str) -> str:
    return f"Tips if you are stuck at “{title}”:"


def no_step_help(support_name: str, phone: str) -> str:
    return f"Try logging out and in again or another browser. {support_name}: {phone}."


OFFER_HUMAN = "If it still does not work, I can put you in touch with a support officer."
AT_FIRST_STEP = "This is already the first step."
NO_WALKTHROUGH = "You have not started a guide yet. Which procedure would you like me to guide you through?"
DONE = "You have completed all the submission steps."
NEXT = "Next: the receiving office checks your dossier; if something is missing you will be asked to add it through the portal, VNeID or SMS."


def expected_time(text: str) -> str:
    return f"Expected processing time: {text}."


CHECK_STATUS = "Once you have your dossier code, send it to me (for example “check dossier 000.00.12.H43-250714-0031”) to see its status."
NOT_UNDERSTOOD_ANSWER = "I did not understand the answer. Please pick one of the buttons below."


# Service discovery: the summary, the clarifying question and the fallback's "Did you mean …?".
def summary_deadline(text: str) -> str:
    return f"Deadline: {text}"


CHOOSE_PROCEDURE = "Which of these procedures do you need?"
CHOOSE_FOR_LIFE_EVENT = "In your situation one of these procedures is usually needed. Which one would you like to see?"


def bundle_offer(parts: str, single: str) -> str:
    return f"You can use the combined procedure (one application for {parts}) or only do the {single}. Which would you like?"


CHOOSE_FOR_QUESTION = "Which of these procedures are you asking about? Tap one to see the answer."


def bundle_differs(single: str, parts: str) -> str:
    return (
        f"The answer above is for the {single}. If you use the combined procedure (one application for "
        f"{parts}), the documents, fee and time are those of the whole bundle: tap below to see them."
    )


def did_you_mean(topic: str) -> str:
    return f"Did you mean: {topic}?"


def offer_after_decline(names: str) -> str:
    """Below the decline: the procedures the declined message names."""
    return f"If you need the procedure itself ({names}), I can guide you:"


def also_asked(names: str) -> str:
    """Two questions in one message: the first is answered above, the other is offered."""
    return f"You also asked about {names}: see it next?"


AFFIRM_YES = "Yes"
AFFIRM_NO = "No"

# How the fallback question names what the citizen probably asked ({name}: the procedure).
INTENT_TOPICS = {
    "find_procedure": ("the procedure: {name}", "finding the right procedure"),
    "ask_documents": ("the documents needed for {name}", "the documents needed for a procedure"),
    "ask_fee": ("the fee for {name}", "the fee for a procedure"),
    "ask_processing_time": ("how long {name} takes", "how long a procedure takes"),
    "ask_agency": ("which agency handles {name}", "which agency handles a procedure"),
    "ask_where_to_submit": ("where to apply for {name}", "where to apply"),
    "ask_online": ("doing {name} online", "applying online"),
    "ask_steps": ("the steps of {name}", "the steps of a procedure"),
    "ask_legal_basis": ("the legal basis of {name}", "the legal basis of a procedure"),
    "start_checklist": ("a document checklist for {name}", "a document checklist"),
    "walkthrough_start": ("a step-by-step online guide to {name}", "a step-by-step online guide"),
    "check_dossier_status": (None, "checking an application's status"),
    "request_human": (None, "talking to a person"),
    "switch_language": (None, "changing the reply language"),
    "give_feedback": (None, "giving feedback"),
    "bot_challenge": (None, "who you are talking to"),
}


# --- dossier status (actions/dossier_messages.py lays these out) -------------------------------

DOSSIER_STATUS_LABELS = {
    "received": "Received",
    "processing": "Being processed",
    "additional_documents_required": "More documents needed",
    "result_ready": "Result ready",
    "completed": "Completed",
    "refused": "Refused",
    "withdrawn": "Withdrawn",
}

DOSSIER_STATUS_MEANINGS = {
    "received": ("Your dossier was accepted as complete and is waiting to go to the office that handles it. You don't need to do anything yet."),
    "processing": "The agency is working on your dossier. You don't need to do anything; just wait for the due date.",
    "additional_documents_required": (
        "Your dossier is on hold because some documents are missing. The agency continues once you add "
        "them; the processing time starts again when the file is complete."
    ),
    "result_ready": "Your dossier has been decided and the result is ready for you.",
    "completed": "Your dossier is finished and the result has been handed over.",
    "refused": "The agency has refused this dossier.",
    "withdrawn": "Processing stopped because the dossier was withdrawn at the applicant's request.",
}

HOW_TO_ADD_DOCUMENTS = (
    "How to add them online: log in to the National Public Service Portal (dichvucong.gov.vn) or the "
    "provincial portal with your VNeID account → Submitted dossiers → find this code → Add documents → "
    "upload what is missing → Send. You can also bring the papers to where you submitted the dossier."
)
HOW_TO_COLLECT_DEFAULT = (
    "Bring your receipt and your ID card to where you submitted the dossier; if you chose delivery by "
    "post or an electronic result, it will be sent to you that way."
)
DOSSIER = "Dossier "
DOSSIER_AGENCY = "Agency: "
DOSSIER_RECEIVED_ON = "Received on: "
DOCUMENTS_TO_ADD = "Documents to add:"
HOW_TO_COLLECT = "How to collect: "
REFUSAL_REASON = "Reason: "
REFUSAL_REASON_MISSING = "not given"
DOSSIER_NOTE = "Note: "
QUOTED_FROM_RECORD = "(Agency names, notes and document names are quoted from the agency's record, in Vietnamese.)"
CHECK_ANOTHER_DOSSIER = "Check another dossier"
ASK_ABOUT_PROCEDURE = "Ask about this procedure"
TALK_TO_PERSON = "Talk to a person"
TRY_AGAIN = "Try again"


def refused_help(support: str) -> str:
    return f"If you disagree, you can ask the agency to explain or call {support}."


def due_line(due: str, days: int, support: str) -> str:
    """Due date with days left (`days` > 0), today, or days overdue (`days` < 0)."""
    if days > 1:
        return f"Due date: {due} ({days} days left)."
    if days == 1:
        return f"Due date: {due} (tomorrow)."
    if days == 0:
        return f"Due date: {due} (today)."
    late = -days
    return (
        f"Due date: {due}. It is {late} day{'s' if late > 1 else ''} overdue. The agency must apologise "
        f"and give you a new date; you can also call {support} or talk to an official."
    )


def dossier_not_verified(attempts_left: int | None, support: str) -> str:
    text = (
        "I couldn't find a dossier matching this code and phone number. Please check the code on your "
        "receipt and use the phone number you registered on the dossier."
    )
    if attempts_left == 0:
        text += (
            " For your security, checks with the last 4 digits are now paused for 15 minutes; the full registered "
            f"phone number still works. If it is urgent, call {support}."
        )
    elif attempts_left is not None and attempts_left <= 2:
        text += f" For your security, checks pause after {attempts_left} more failed attempt(s)."
    return text


def dossier_locked(at: str, minutes: int, support: str) -> str:
    return (
        f"There have been too many failed checks, so to protect this information checks with the last 4 "
        f"digits are paused until {at} (about {minutes} minutes). You can still check with the full phone "
        f"number registered on the dossier. If it is urgent, call {support}."
    )


def dossier_full_number_only(at: str, minutes: int) -> str:
    return (
        f"Checks with the last 4 digits are paused until {at} (about {minutes} minutes) after too many failed "
        "attempts. Please enter the full phone number registered on the dossier."
    )


def __getattr__(name: str) -> Any:
    """CAUTION, CAUTION_SECONDARY, CHANNELS and NO_STEP_HELP: facts of knowledge/content/common.yml, from the
    knowledge store (actions/formatting/shared.py); this module holds only the sentences around them."""
    return wording_fact(sys.modules[__name__], name)
