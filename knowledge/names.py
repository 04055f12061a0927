"""The vocabulary shared by the domain, the content and the code: intent, entity and slot names,
agency levels and unit kinds. tests/test_names.py checks every name here against domain/*.yml and
knowledge/schema/, so a renamed intent or level fails a test instead of silently never matching.

Plain string constants (`Intent.FIND_PROCEDURE == "find_procedure"`), so they compare with what
Rasa sends. To add a name: add the constant here in the same group as its domain file.
"""

from __future__ import annotations


class Intent:
    # core
    GREET = "greet"
    GOODBYE = "goodbye"
    THANK = "thank"
    AFFIRM = "affirm"
    DENY = "deny"
    REQUEST_HUMAN = "request_human"
    OUT_OF_SCOPE = "out_of_scope"
    BOT_CHALLENGE = "bot_challenge"
    GIVE_FEEDBACK = "give_feedback"
    SWITCH_LANGUAGE = "switch_language"
    # discovery
    FIND_PROCEDURE = "find_procedure"
    # requirements
    ASK_DOCUMENTS = "ask_documents"
    ASK_FEE = "ask_fee"
    ASK_PROCESSING_TIME = "ask_processing_time"
    ASK_AGENCY = "ask_agency"
    ASK_WHERE_TO_SUBMIT = "ask_where_to_submit"
    ASK_ONLINE = "ask_online"
    ASK_STEPS = "ask_steps"
    ASK_LEGAL_BASIS = "ask_legal_basis"
    INFORM_LOCATION = "inform_location"
    START_CHECKLIST = "start_checklist"
    INFORM_HAVE_DOCUMENTS = "inform_have_documents"
    # guidance
    WALKTHROUGH_START = "walkthrough_start"
    WALKTHROUGH_NEXT = "walkthrough_next"
    WALKTHROUGH_BACK = "walkthrough_back"
    WALKTHROUGH_REPEAT = "walkthrough_repeat"
    WALKTHROUGH_STUCK = "walkthrough_stuck"
    WALKTHROUGH_RESUME = "walkthrough_resume"
    # dossier
    CHECK_DOSSIER_STATUS = "check_dossier_status"
    INFORM_DOSSIER_CODE = "inform_dossier_code"
    INFORM_PHONE = "inform_phone"
    # rating
    REQUEST_RATING = "request_rating"
    RATE = "rate"
    # handoff
    HANDOFF_CANCEL = "handoff_cancel"
    # Rasa's own (FallbackClassifier), not declared in the domain
    NLU_FALLBACK = "nlu_fallback"


class Entity:
    PROCEDURE = "procedure"
    LIFE_EVENT = "life_event"
    LOCATION = "location"
    DOCUMENT = "document"
    DOSSIER_CODE = "dossier_code"
    PHONE_NUMBER = "phone_number"
    RATING = "rating"
    # Set by bot/nlu/conversation_slots.py (and button payloads); read by the slot mappings only.
    LANGUAGE = "language"
    PROCEDURE_ID = "procedure_id"
    PROCEDURE_CHOICES = "procedure_choices"  # only ever None: the pending choice is over


class Slot:
    PROCEDURE = "procedure"
    PROCEDURE_CHOICES = "procedure_choices"
    LANGUAGE = "language"
    UNIT_ID = "unit_id"
    CHECKLIST_ANSWER = "checklist_answer"
    CHECKLIST_QUESTION = "checklist_question"
    CHECKLIST_ANSWERS = "checklist_answers"
    CHECKLIST_HAS_QUESTIONS = "checklist_has_questions"
    WALKTHROUGH_PROCEDURE = "walkthrough_procedure"
    WALKTHROUGH_STEP = "walkthrough_step"
    DOSSIER_CODE = "dossier_code"
    DOSSIER_PHONE = "dossier_phone"
    SATISFACTION_RATING = "satisfaction_rating"
    REQUESTED_SLOT = "requested_slot"  # Rasa's own


class AgencyLevel:
    """`agency.level` of a procedure (knowledge/schema/procedure.json)."""

    COMMUNE_COMMITTEE = "commune-committee"
    COMMUNE_POLICE = "commune-police"
    ANY_COMMUNE_POLICE = "any-commune-police"
    BUSINESS_REGISTRATION = "business-registration"
    PROVINCIAL_POLICE = "provincial-police"
    PROVINCIAL_DEPARTMENT = "provincial-department"
    LAND_REGISTRATION = "land-registration"
    SOCIAL_INSURANCE = "social-insurance"
    EMPLOYMENT_CENTRE = "employment-centre"
    POWER_COMPANY = "power-company"
    SCHOOL = "school"
    NOTARY = "notary"


# Agency levels whose office depends on the citizen's commune or ward.
COMMUNE_LEVELS = frozenset(
    {
        AgencyLevel.COMMUNE_COMMITTEE,
        AgencyLevel.COMMUNE_POLICE,
        AgencyLevel.ANY_COMMUNE_POLICE,
        AgencyLevel.BUSINESS_REGISTRATION,
    }
)


class UnitKind:
    """Kinds of administrative units, current and former (knowledge/schema/units.json)."""

    WARD = "phuong"
    COMMUNE = "xa"
    SPECIAL_ZONE = "dac-khu"
    TOWNSHIP = "thi-tran"
    CITY = "thanh-pho"
    TOWN = "thi-xa"
    DISTRICT = "huyen"


# How each kind is written before a name: Vietnamese word (and everyday abbreviations), English word.
# One table for the loader (full names), the store (names typed with their kind) and the NLU generator.
UNIT_KIND_WORDS: dict[str, tuple[tuple[str, ...], str]] = {
    UnitKind.WARD: (("phường", "p"), "Ward"),
    UnitKind.COMMUNE: (("xã",), "Commune"),
    UnitKind.SPECIAL_ZONE: (("đặc khu",), "Special Zone"),
    UnitKind.TOWNSHIP: (("thị trấn", "tt"), "Township"),
    UnitKind.CITY: (("thành phố", "tp"), "City"),
    UnitKind.TOWN: (("thị xã", "tx"), "Town"),
    UnitKind.DISTRICT: (("huyện",), "District"),
}


# How the generated NLU lookup tables write the kind before a unit name. They are matched on the raw
# text (not folded), so the dotted abbreviations are spelled out; the store folds "p." to "p" itself.
UNIT_KIND_LOOKUP_PREFIXES: dict[str, tuple[str, ...]] = {
    UnitKind.WARD: ("phường", "p."),
    UnitKind.COMMUNE: ("xã", "x."),
    UnitKind.TOWNSHIP: ("thị trấn", "tt"),
    UnitKind.SPECIAL_ZONE: ("đặc khu",),
}


def unit_kind_prefixes(kind: str) -> tuple[str, ...]:
    """'phường', 'p' for a ward: how a citizen may type the kind before the name."""
    return UNIT_KIND_WORDS[kind][0] if kind in UNIT_KIND_WORDS else ()
