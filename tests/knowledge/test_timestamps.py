"""The one timestamp parser: every dossier time, from an import line, the remote API or a record
given to the dossier store, means the same instant."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from knowledge.timestamps import parse_timestamp

NINE_IN_VIETNAM = datetime(2025, 7, 14, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value",
    [
        "2025-07-14T09:00:00",
        "2025-07-14T09:00:00+07:00",
        "2025-07-14T02:00:00Z",
        "2025-07-14 02:00:00+00:00",
        datetime(2025, 7, 14, 9, 0),
        datetime(2025, 7, 14, 2, 0, tzinfo=timezone.utc),
    ],
)
def test_without_an_offset_is_vietnam_time(value):
    parsed = parse_timestamp(value)
    assert parsed == NINE_IN_VIETNAM and parsed.utcoffset().total_seconds() == 0


def test_a_date_is_midnight_in_vietnam():
    assert parse_timestamp(date(2025, 7, 14)) == parse_timestamp("2025-07-14") == datetime(2025, 7, 13, 17, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", ["", "  ", None, 20250714, "14/07/2025"])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)
