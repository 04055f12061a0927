"""The one timestamp parser of the knowledge store: every dossier time (import lines, the remote
one-stop API, records given to the dossier store) goes through `parse_timestamp`.

A timestamp without an offset is Vietnam local time: that is what the provincial one-stop
system writes. Times are kept as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# Vietnam has no daylight saving time: a fixed offset is exact.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_timestamp(value: object) -> datetime:
    """ISO 8601 text (or a datetime or date) -> aware UTC datetime. Without an offset: Vietnam time.

    Raises ValueError for anything else, including an empty string.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("expected an ISO 8601 date-time string")
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)  # also accepts a plain date: midnight
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM_TZ)
    return parsed.astimezone(timezone.utc)
