"""The dates of a stable order scan: API date strings and model dates as UTC epoch seconds."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from omsclient._decoding import converter
from omsclient._isoformat import datetime_of, fromisoformat
from omsclient._validate import shown
from omsclient.legacy._conditions import DateLike, format_datetime

__all__ = [
    "FIRST_SECOND",
    "LAST_SECOND",
    "epoch_second",
    "model_second",
    "second_of",
    "second_of_datetime",
    "to_epoch_second",
    "wire_second",
]

_EPOCH = datetime(1970, 1, 1)
FIRST_SECOND = int((datetime(1000, 1, 1) - _EPOCH).total_seconds())
"""The first second the API's dates can name (1000-01-01T00:00:00 UTC), as an epoch second:
where a scan without ``since`` starts (orders before 1970 are orders too)."""
LAST_SECOND = int((datetime(9999, 12, 31, 23, 59, 59) - _EPOCH).total_seconds())
"""The last second the API's dates can name (9999-12-31T23:59:59 UTC), as an epoch second."""
_PAST_LAST = "10000-01-01T00:00:00"
"""The second after the last, where a window that read the last second has its cursor: no
datetime holds it, and no request names it."""
_EPOCH_UTC = _EPOCH.replace(tzinfo=timezone.utc)
_FRACTION = re.compile(r"\.\d*")
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")


def epoch_second(value: Any) -> int | None:
    """The UTC second (epoch) of an API date string, fractions dropped; None if not a date.

    Accepts ``2016-02-01T00:00:00``, ``2025-03-26T14:35:00.000+00:00``, a trailing ``Z`` or
    another offset.
    """
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        # One call reads every shape the servers send, at half the cost of the reading by
        # parts (which is left a lowercase "z").
        moment = datetime_of(value)
    except ValueError:
        return _epoch_second_by_parts(value)
    delta = moment - (_EPOCH if moment.tzinfo is None else _EPOCH_UTC)
    return delta.days * 86400 + delta.seconds


def _epoch_second_by_parts(value: str) -> int | None:
    try:
        base = fromisoformat(value[:19])
    except ValueError:
        return None
    if base.tzinfo is not None:
        return None
    rest = value[19:]
    fraction = _FRACTION.match(rest)
    if fraction:
        rest = rest[fraction.end() :]
        if rest == "" and fraction.end() == 1:
            return None  # a point ending the text, which Python's reading (the models') refuses
    offset = 0
    if rest and rest not in ("Z", "z"):
        match = _OFFSET.fullmatch(rest)
        if match is None:
            return None
        offset = int(match[2]) * 3600 + int(match[3]) * 60
        if offset >= 86400:
            # Python's dates, and so the models, refuse an offset of a day or more: a date
            # read here only would key a scan's row, or move a sync's watermark, by hours
            # that no model holds.
            return None
        offset = -offset if match[1] == "-" else offset
    return second_of_datetime(base) - offset


def to_epoch_second(value: DateLike, name: str) -> int:
    """A user's date (datetime, date or ISO string) as a UTC epoch second."""
    second = epoch_second(format_datetime(value, name))
    assert second is not None  # format_datetime always gives YYYY-MM-DDTHH:MM:SS
    return second


def wire_second(second: int) -> str:
    """The API's ``YYYY-MM-DDTHH:MM:SS`` form of a UTC epoch second (``10000-01-01T00:00:00``
    for the one after the last, which only a scan's state holds)."""
    if second == LAST_SECOND + 1:
        return _PAST_LAST
    # isoformat pads a year before 1000 ("0999"), where strftime("%Y") may not (glibc's).
    return (_EPOCH + timedelta(seconds=second)).isoformat(timespec="seconds")


def second_of_datetime(value: datetime) -> int:
    """The UTC second (epoch) of a model's date, fractions dropped, as :func:`epoch_second`."""
    offset = value.utcoffset()  # None for a naive one, or one whose tzinfo gives no offset
    if offset is not None and not value.microsecond:
        # A whole second is exact as a float; with a fraction, rounding could pass the second.
        return int(value.timestamp())
    value = value.replace(tzinfo=None) - (offset or timedelta(0))
    delta = value - _EPOCH
    return delta.days * 86400 + delta.seconds


_MODEL_DATE = converter.get_structure_hook(datetime | None)


def model_second(value: Any) -> int | None:
    """The UTC second of a date as the models read it (with spaces around it, ``20240105``...),
    fractions dropped; None where a model holds none or refuses the value."""
    try:
        moment = _MODEL_DATE(value, datetime | None)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if moment is None else second_of_datetime(moment)


def second_of(text: Any, what: str) -> int:
    """The UTC second of ``text``, an API date string (or :func:`wire_second`'s text of the
    second after the last); ValueError naming ``what`` if not one."""
    second = LAST_SECOND + 1 if text == _PAST_LAST else epoch_second(text)
    if second is None:
        raise ValueError(f"{what} must be a date like 2024-01-31T00:00:00, got {shown(text)}")
    return second
