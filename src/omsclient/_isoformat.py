"""ISO-8601 dates read as ``datetime.fromisoformat`` reads them from Python 3.11 on.

Python 3.10's ``fromisoformat`` reads only what ``isoformat()`` writes: no ``Z``, no ``+0100``
or ``+01``, fractions of 3 or 6 digits. A date a server sends or a caller passes would be read
on one Python and refused on another; on 3.10 the backport of 3.11's parser reads it instead.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone

__all__ = ["date_fromisoformat", "fromisoformat"]

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
