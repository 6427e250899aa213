"""ISO-8601 dates read as ``datetime.fromisoformat`` reads them from Python 3.11 on.

Python 3.10's ``fromisoformat`` reads only what ``isoformat()`` writes: no ``Z``, no ``+0100``
or ``+01``, fractions of 3 or 6 digits. A date a server sends or a caller passes would be read
on one Python and refused on another; on 3.10 the backport of 3.11's parser reads it instead.

A date alone with a zone after it (``2024-06-01+05:00``) is that day's midnight in the zone
wherever a date is read (:func:`datetime_of`, :func:`day_at`): ``fromisoformat`` reads the
zone as a time of day (05:00), as a datetime may separate its time by any character.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, time, timedelta, timezone

__all__ = ["date_fromisoformat", "datetime_of", "day_at", "fromisoformat"]

if sys.version_info >= (3, 11):
    fromisoformat = datetime.fromisoformat
    date_fromisoformat = date.fromisoformat
else:
    from backports.datetime_fromisoformat import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
        date_fromisoformat,
    )
    from backports.datetime_fromisoformat import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
        datetime_fromisoformat as _backport,
    )

    _read = datetime.fromisoformat

    def fromisoformat(date_string: str, /) -> datetime:
        """``datetime.fromisoformat(date_string)`` as Python 3.11 reads it."""
        try:
            # What isoformat() writes (the legacy API's dates among it), read alike by 3.11
            # and at half the cost of the backport's with the offset below.
            return _read(date_string)
        except ValueError:
            value: datetime = _backport(date_string)
        offset = value.utcoffset()
        # The backport's own tzinfo class, where 3.11 gives a datetime.timezone (for a zero
        # offset the very timezone.utc object, which readers test with ``is``).
        return value if offset is None else value.replace(tzinfo=timezone(offset))


_ZONE = re.compile(r"(?:[Zz]|([+-])([0-9]{2})(?::?([0-9]{2}))?)$", re.ASCII)
_MIDNIGHT = time()
_LONGEST_DAY_IN_A_ZONE = len("2024-06-01+05:00")


def day_at(text: str, at: time) -> datetime | None:
    """``at`` on the day ``text`` names when it is an ISO 8601 date without a time, a zone
    after it or not (in that zone, naive without one); ``None`` for any other text."""
    # Whole first: "2024-06-01" ends as an offset would ("-01").
    try:
        return datetime.combine(date_fromisoformat(text), at)
    except ValueError:
        pass
    zone = _ZONE.search(text)
    if zone is None:
        return None
    try:
        day = date_fromisoformat(text[: zone.start()])
    except ValueError:
        return None
    sign, hours, minutes = zone.groups()
    hours, minutes = int(hours or 0), int(minutes or 0)
    if hours > 23 or minutes > 59:
        return None  # refused as any text that is no date is
    offset = timedelta(hours=hours, minutes=minutes)
    return datetime.combine(day, at, timezone(-offset if sign == "-" else offset))


def datetime_of(text: str) -> datetime:
    """:func:`fromisoformat` of ``text``, a date alone with a zone after it read as its
    midnight there (see the module).

    Raises:
        ValueError: ``text`` is no ISO 8601 date.
    """
    if len(text) <= _LONGEST_DAY_IN_A_ZONE:  # a date and a time with a zone are longer
        day = day_at(text, _MIDNIGHT)
        if day is not None:
            return day
    return fromisoformat(text)
