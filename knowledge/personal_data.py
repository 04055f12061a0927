"""Personal data in free text: the patterns of dossier codes and phone numbers, reading them from
what a citizen typed, and masking.

One module for every place that must not keep a citizen's numbers in clear: the tracker
store, the event stream, the console and the logs. Pure standard library on purpose, so the
Rasa-side code can import it without pulling in SQLAlchemy or the one-stop client.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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

# A digit run that may be a phone or identity number: 7+ digits, each pair of digits separated
# by nothing, one space, or a dot/dash with optional spaces ("0978 - 123 - 456", "0935.111.222",
# "+84 903 000 222", "012345678901").
_SEPARATOR = r"(?:\s*[.\-\u2010-\u2015]\s*|\s)?"
_LONG_NUMBER = re.compile(rf"(?:\+\s*)?[0-9](?:{_SEPARATOR}[0-9]){{6,}}")
# Beside a dossier code, a short number is the other half of a proof pair ("4 số cuối 0006").
_SHORT_NUMBER = re.compile(rf"[0-9](?:{_SEPARATOR}[0-9]){{2,}}")

# Numbers that are public and that replies and logs need: dossier codes (staff need them), the
# support lines (1800 1096), ISO dates, date-time stamps (Rasa's model names: 20261127-171246),
# national procedure codes (1.004222) and amounts of money.
_KEEP = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            CODE_PATTERN.pattern,
            r"(?<![0-9])1[89]00[\s.]?[0-9]{4}(?![0-9])",
            r"(?<![0-9])(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])",
            r"(?<![0-9])20[0-9]{2}[01][0-9][0-3][0-9]-[0-2][0-9][0-5][0-9][0-5][0-9](?![0-9])",
            r"(?<![0-9.])[123]\.[0-9]{6}(?![0-9])",
            r"(?<![0-9])[0-9]{1,3}(?:[.,][0-9]{3})+\s*(?:đồng|đ|dong|vnđ|vnd)\b",
        )
    ),
    re.IGNORECASE,
)


def mask_personal_numbers(text: str, *, all_digits: bool = False) -> str:
    """Hide phone numbers and ID-number-like digit runs (7+ digits), keeping public numbers.

    When the text holds a dossier code, every other number of 3+ digits is hidden too: a code and
    the last digits of the phone typed together are a complete proof. With `all_digits`, every
    digit is hidden: for a message that answers "the last 4 digits of your phone number".
    """
    if not text or not isinstance(text, str):
        return text
    # NFKC can change length (e.g. ligatures); work on the folded text only when it is safe.
    folded = nfkc(text)
    source = folded if len(folded) == len(text) else text
    has_code = CODE_PATTERN.search(source) is not None
    pieces: list[str] = []
    position = 0
    for match in _KEEP.finditer(source):
        pieces.append(_mask_plain(text[position : match.start()], all_digits, has_code))
        pieces.append(text[match.start() : match.end()])
        position = match.end()
    pieces.append(_mask_plain(text[position:], all_digits, has_code))
    return "".join(pieces)


def mask_data(value: Any, *, all_digits: bool = False) -> Any:
    """`value` with every string inside it masked (dicts, lists and tuples are walked)."""
    if isinstance(value, str):
        return mask_personal_numbers(value, all_digits=all_digits)
    if isinstance(value, (list, tuple)):
        return [mask_data(item, all_digits=all_digits) for item in value]
    if isinstance(value, dict):
        return {key: mask_data(item, all_digits=all_digits) for key, item in value.items()}
    return value


def _mask_plain(text: str, all_digits: bool, has_code: bool) -> str:
    if all_digits:
        return re.sub(r"\d+", MASK, text)
    text = _LONG_NUMBER.sub(MASK, _nfkc_digits(text))
    return _SHORT_NUMBER.sub(MASK, text) if has_code else text


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


# --------------------------------------------------------------------------- logs


class _MaskedLogRecord(logging.LogRecord):
    """A log record whose message and traceback are masked when they are rendered."""

    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        return mask_personal_numbers(super().getMessage())


def install_log_masking() -> None:
    """Mask every log record of this process, whatever logger or handler writes it.

    A record factory (not a handler filter) so that loggers configured later, such as Rasa's
    and Sanic's, are covered too; the traceback text is masked when the record is created,
    since a crashing action makes Rasa log the request it sent, citizen text included.
    """
    if getattr(logging.getLogRecordFactory(), "_masks_personal_data", False):
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.__class__ = _MaskedLogRecord if type(record) is logging.LogRecord else record.__class__
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_numbers(logging.Formatter().formatException(record.exc_info))
        return record

    factory._masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
