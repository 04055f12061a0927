"""Personal data in free text: the patterns of dossier codes and phone numbers, and masking.

One module for every place that must not keep a citizen's numbers in clear: the tracker
store, the event stream, the console and the logs. Pure standard library on purpose, so the
Rasa-side code can import it without pulling in SQLAlchemy or the one-stop client.
"""
from __future__ import annotations

import re
import unicodedata


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


