"""Dates as integer UTC epoch seconds: compact to store, fast to compare, easy to render."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, tzinfo

from omsclient._isoformat import datetime_of

_EPOCH = datetime(1970, 1, 1)


def to_epoch(value: datetime) -> int:
    """Seconds since the epoch of a naive-UTC or aware datetime."""
    # The offset is taken off the difference, not the datetime: 9999-12-31T23:59:59-01:00 is
    # an instant past datetime's range once moved to UTC (astimezone raises OverflowError).
    offset = value.utcoffset() or timedelta(0)
    return int((value.replace(tzinfo=None) - _EPOCH - offset).total_seconds())


@functools.lru_cache(maxsize=4096)
def _day(days: int) -> str:
    # isoformat pads a year before 1000 ("0999"), where strftime("%Y") may not (glibc's).
    return (_EPOCH + timedelta(days=days)).date().isoformat()


def plain(ts: int) -> str:
    """``2016-02-01T00:00:00``: the shape the vendor docs use."""
    # Every answer formats thousands of dates over a few hundred days: strftime once a day.
    days, second = divmod(ts, 86400)
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    return f"{_day(days)}T{hour:02d}:{minute:02d}:{second:02d}"


def with_offset(ts: int) -> str:
    """``2016-02-01T00:00:00.000+00:00``: the shape some live servers send."""
    return plain(ts) + ".000+00:00"


def laravel(ts: int) -> str:
    """``2016-02-01T00:00:00.000000Z``: the shape of REST API timestamps."""
    return plain(ts) + ".000000Z"


def parse(text: str, zone: tzinfo | None = None) -> int | None:
    """Parse a request date (ISO-8601, UTC unless an offset says otherwise, or ``zone``'s
    local time: the earlier of a repeated hour's two); None if invalid."""
    text = text.strip()
    if not text or not text[0].isdigit():
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime_of(text)
    except ValueError:
        return None
    if value.tzinfo is None and zone is not None:
        value = value.replace(tzinfo=zone)
    return to_epoch(value)


def hour_ceiling(ts: int) -> int:
    """The next full hour at or after ``ts`` (production files are released in batches)."""
    return -(-ts // 3600) * 3600
