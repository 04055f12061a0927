"""Personal data in free text: the patterns of dossier codes and phone numbers, reading them from
what a citizen typed, and masking.

One module for every place that must not keep a citizen's numbers in clear: the tracker
store, the event stream, the console and the logs. Pure standard library on purpose, so the
Rasa-side code can import it without pulling in SQLAlchemy or the one-stop client.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

# V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX, e.g. 000.00.12.H57-250714-0031, tolerant of case and spaces.
_DASH = r"\s*[-\u2010-\u2015]\s*"
_DOT = r"\s*\.\s*"
CODE_PATTERN = re.compile(
    rf"(?<![A-Za-z0-9])([A-Za-z0-9]{{3}}){_DOT}([A-Za-z0-9]{{2}}){_DOT}([A-Za-z0-9]{{2}}){_DOT}"
    rf"([A-Za-z][0-9]{{2}}){_DASH}([0-9]{{6}}){_DASH}([0-9]{{4}})(?![0-9])"
)
MAX_INPUT_LENGTH = 300  # nothing a citizen types to give a code or a phone is longer

# Vietnamese mobile numbers: 0 + 9 digits, or +84 / 84 + 9 digits, with optional separators.
PHONE_PATTERN = re.compile(r"(?<![0-9])(?:\+\s*84|84|0)(?:[\s.\-]*[0-9]){9}(?![0-9])")
DIGIT_RUN = re.compile(r"[0-9]+")


def nfkc(text: str | None) -> str:
    """NFKC folds full-width digits and letters (０９１２, Ｈ５７) into ASCII."""
    return unicodedata.normalize("NFKC", text or "")


def citizen_input(text: str | None) -> str | None:
    """`text` folded by NFKC, or None when it is empty or longer than any code or phone."""
    text = nfkc(text)
    return text if text and len(text) <= MAX_INPUT_LENGTH else None


def search_input(pattern: re.Pattern, text: str | None) -> re.Match | None:
    text = citizen_input(text)
    return pattern.search(text) if text else None


# --------------------------------------------------------------------------- masking

MASK = "[***]"
_LONG_NUMBER = re.compile(r"(?:\+\s*)?[0-9](?:[\s.\-]?[0-9]){6,}")


def mask_personal_numbers(text: str, *, all_digits: bool = False) -> str:
    """Hide phone numbers and ID-number-like digit runs (7+ digits), keeping dossier codes.

    With `all_digits`, every digit is hidden: for a message that answers "the last 4 digits
    of your phone number", where even a short number is personal.
    """
    if not text:
        return text
    pieces: list[str] = []
    position = 0
    folded = nfkc(text)
    # NFKC can change length (e.g. ligatures); work on the folded text only when it is safe.
    source = folded if len(folded) == len(text) else text
    for match in CODE_PATTERN.finditer(source):
        pieces.append(_mask_plain(text[position:match.start()], all_digits))
        pieces.append(text[match.start():match.end()])
        position = match.end()
    pieces.append(_mask_plain(text[position:], all_digits))
    return "".join(pieces)


def _mask_plain(text: str, all_digits: bool) -> str:
    if all_digits:
        return re.sub(r"\d+", MASK, text)
    return _LONG_NUMBER.sub(MASK, _nfkc_digits(text))


def _nfkc_digits(text: str) -> str:
    """Full-width digits to ASCII so the pattern sees them; other characters untouched."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)




# --------------------------------------------------------------------------- codes and phones in citizen input


def canonical_dossier_code(code: str) -> str:
    """Dossier codes are compared in upper case without spaces: ' 000.00.12.h57-250714-0031 ' ->
    '000.00.12.H57-250714-0031'."""
    return re.sub(r"\s+", "", code or "").upper()


def find_dossier_code(text: str | None) -> str | None:
    """The canonical code (upper case, no spaces) found in `text`, or None."""
    match = search_input(CODE_PATTERN, text)
    if not match:
        return None
    agency, z, y, m, received, sequence = match.groups()
    if not _is_date(received):
        return None
    return f"{agency}.{z}.{y}.{m}-{received}-{sequence}".upper()


def _is_date(yymmdd: str) -> bool:
    try:
        datetime.strptime(yymmdd, "%y%m%d")
    except ValueError:
        return False
    return True


def normalise_phone(text: str | None) -> str | None:
    """'+84 912 345 678' / '0912.345.678' -> '0912345678'; None when it is not a mobile number."""
    match = search_input(PHONE_PATTERN, text)
    if not match:
        return None
    digits = "".join(ch for ch in match.group(0) if ch.isdigit())
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) != 10 or digits[1] == "0":
        return None
    return digits


@dataclass(frozen=True)
class PhoneProof:
    """What the citizen gave to prove ownership: the full number or its last 4 digits."""

    digits: str
    is_last4: bool

    def __repr__(self) -> str:  # never print the digits, even in a traceback
        return f"PhoneProof(last4={self.is_last4}, digits=<hidden>)"


def parse_phone_proof(text: str | None) -> PhoneProof | None:
    """A full mobile number, or exactly one group of 4 digits (the last 4); None otherwise."""
    phone = normalise_phone(text)
    if phone:
        return PhoneProof(phone, is_last4=False)
    text = citizen_input(text)
    if not text:
        return None
    runs = DIGIT_RUN.findall(text)
    fours = [run for run in runs if len(run) == 4]
    # "4 số cuối là 5678": single digits around the one 4-digit group are words, not numbers.
    if len(fours) == 1 and all(len(run) in (1, 4) for run in runs):
        return PhoneProof(fours[0], is_last4=True)
    return None
