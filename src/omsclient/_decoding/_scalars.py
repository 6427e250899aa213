"""Tolerant scalar hooks: a fast path for the well-typed case (one ``type(v) is`` test) and a
slower coercion for everything else; and how a datetime is written back."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

from omsclient._decoding._types import show
from omsclient._isoformat import datetime_of, fromisoformat
from omsclient._json_copy import copy_json
from omsclient._validate import INT64_MAX, INT64_MIN

__all__ = [
    "INT_RANGE",
    "OPTIONAL_SCALARS",
    "REQUIRED_SCALARS",
    "StructureHook",
    "coerce_str",
    "in_utc",
    "int_or_str_or_none",
    "json_ready",
    "required",
    "unstructure_datetime",
]

StructureHook = Callable[[Any, Any], Any]

_UTC = timezone.utc

_INT_RE = re.compile(r"[+-]?[0-9]+")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = frozenset({"1", "true", "True", "TRUE"})
_EXACT_FLOATS = 2.0**53  # beyond, a float no longer holds every integer
_MAX_DIGITS = 19  # a number with more digits before its point is past 64 bits
INT_RANGE = range(INT64_MIN, 2**64)
"""The integers an integer field holds: 64 bits, signed or not, as orjson reads and writes."""
_FALSE = frozenset({"0", "false", "False", "FALSE"})


def _int64(number: int, v: Any) -> int:
    """``number``, read from ``v``, if 64 bits hold it: the API's integers are 64-bit, and
    orjson writes no larger one back."""
    if number in INT_RANGE:
        return number
    raise ValueError(f"expected an integer within 64 bits, got {show(v)}")


def _coerce_int(v: Any) -> int | None:
    if isinstance(v, str):
        if v.isdigit() and v.isascii():  # the usual "3243137811", without a regex
            return _int64(int(v), v)
        s = v.strip()
        if not s:
            return None
        if _INT_RE.fullmatch(s):
            return _int64(int(s), v)
        if _NUMBER_RE.fullmatch(s):
            # Exact, as a float is not: "9007199254740993.0" is not ...992, "1e23" not
            # 99999999999999991611392. More digits than 64 bits hold is no id or count.
            number = Decimal(s)
            if number.adjusted() < _MAX_DIGITS and number == number.to_integral_value():
                return _int64(int(number), v)
        raise ValueError(f"expected an integer, got {show(v)}")
    if isinstance(v, float) and v.is_integer():
        return int(_exact(v))
    if isinstance(v, int) and not isinstance(v, bool):
        return _int64(int(v), v)
    if isinstance(v, Decimal):  # a number the product scan read as sent: 5.0 is 5, as a float
        if v.is_finite() and v.adjusted() < _MAX_DIGITS and v == v.to_integral_value():
            return _int64(int(v), v)
        raise ValueError(f"expected an integer, got {show(v)}")
    raise TypeError(f"expected an integer, got {show(v)}")


def _number_of_int(v: int) -> float:
    """An integer read for a number field: itself, or past 64 bits a float, as orjson reads a
    page's integer there (a model from a dict then equals the page's; typed ``float``)."""
    return v if v in INT_RANGE else float(v)


def _coerce_float(v: Any) -> float | None:
    if isinstance(v, str):
        if v.isascii():  # the usual "12", "12.50", without a regex
            if v.isdigit():
                return _number_of_int(int(v))  # "5" stays an integer, as the JSON 5 would
            if v.replace(".", "", 1).isdigit():
                return float(v)
        s = v.strip()
        if not s:
            return None
        if _INT_RE.fullmatch(s):
            return _number_of_int(int(s))  # "5" stays an integer, as the JSON 5 would
        if _NUMBER_RE.fullmatch(s):
            number = float(s)
            if not math.isfinite(number):  # "1e400": as "inf", which is refused
                raise ValueError(f"expected a finite number, got {show(v)}")
            return number
        raise ValueError(f"expected a number, got {show(v)}")
    if isinstance(v, int) and not isinstance(v, bool):
        return _number_of_int(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            # The JSON number 1e400, which the standard library reads as an infinity.
            raise ValueError(f"expected a finite number, got {show(v)}")
        return v
    if isinstance(v, Decimal):  # a number the product scan read as sent: the model's float
        number = float(v)
        if not math.isfinite(number):  # 1e400: as "inf", which is refused
            raise ValueError(f"expected a finite number, got {show(v)}")
        return number
    raise TypeError(f"expected a number, got {show(v)}")


def _coerce_bool(v: Any) -> bool | None:
    if isinstance(v, str):
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
        if not v.strip():
            return None
        raise ValueError(f"expected a boolean, got {show(v)}")
    if type(v) is int and v in (0, 1):
        return v == 1
    raise TypeError(f"expected a boolean, got {show(v)}")


def coerce_str(v: Any) -> str:
    """``v`` as the text a string field holds: a string, or a number's digits as sent.

    Raises:
        TypeError: ``v`` is an object, an array or a boolean.
    """
    if isinstance(v, Enum):
        # A member given in a dict of the caller's: its value, as every request sends one
        # (str() of a (str, Enum) member is its name: "Kind.SHIP").
        v = v.value
    if isinstance(v, float):
        return str(_exact(v))
    if isinstance(v, (str, int, Decimal)) and not isinstance(v, bool):
        return str(v)  # a Decimal the product scan read: its digits as sent, 1.50 as "1.50"
    raise TypeError(f"expected a string, got {show(v)}")


def _exact(v: float) -> float:
    """``v``, if it can be an integer the server sent: a JSON integer beyond 64 bits reaches
    the tolerant path as a float (orjson reads it so), and its last digits are gone: an id
    from it would look plausible and be wrong."""
    if v.is_integer() and abs(v) >= _EXACT_FLOATS:
        raise ValueError(f"expected a number that can be read exactly, got {show(v)}")
    return v


def _parse_datetime(s: str) -> datetime | None:
    if len(s) == 19:
        # Parsing with the offset appended is several times faster than .replace(tzinfo=...).
        try:
            return datetime.fromisoformat(s + "+00:00")
        except ValueError:
            pass
    t = s.strip()
    if not t:
        return None
    try:
        dt = datetime_of(t)
    except ValueError:
        dt = _parse_datetime_lenient(s, t)
    tz = dt.tzinfo
    if tz is _UTC:
        return dt
    if tz is None:
        return dt.replace(tzinfo=_UTC)
    return in_utc(dt, s)


def in_utc(dt: datetime, given: object) -> datetime:
    """The aware ``dt`` in UTC.

    Raises:
        ValueError: it falls outside the years 1 to 9999 there (9999-12-31T23:59:59-05:00 is a
            date, but in UTC it is in the year 10000), quoting ``given``, what was read.
    """
    try:
        return dt.astimezone(_UTC)
    except OverflowError:
        what = "a date within the years 1 to 9999 in UTC"
        raise ValueError(f"expected {what}, got {show(given)}") from None


def _parse_datetime_lenient(s: str, t: str) -> datetime:
    # fromisoformat reads an uppercase "Z" after a time only; RFC 3339 allows a lowercase one,
    # and a date alone may carry one too.
    if t[-1] in "zZ":
        try:
            return fromisoformat(t[:-1] + "+00:00")
        except ValueError:
            pass
    raise ValueError(f"expected an ISO-8601 date, got {show(s)}") from None


def _int_or_none(v: Any, _: Any) -> int | None:
    if v is None:
        return v
    return _coerce_int(v)


def _float_or_none(v: Any, _: Any) -> float | None:
    t = type(v)
    if (t is float and math.isfinite(v)) or (t is int and v in INT_RANGE) or v is None:
        return v  # type: ignore[no-any-return]
    return _coerce_float(v)


def _bool_or_none(v: Any, _: Any) -> bool | None:
    if v is True or v is False or v is None:
        return v
    return _coerce_bool(v)


def _str_or_none(v: Any, _: Any) -> str | None:
    if type(v) is str or v is None:
        return v
    return coerce_str(v)


def _datetime_or_none(v: Any, _: Any) -> datetime | None:
    if isinstance(v, str):
        return _parse_datetime(v)
    if v is None:
        return None
    if isinstance(v, datetime):  # already structured, e.g. built by hand
        # Naive (no tzinfo, or one giving no offset) is UTC, never the machine's zone.
        return v.replace(tzinfo=_UTC) if v.utcoffset() is None else in_utc(v, v.isoformat())
    raise TypeError(f"expected an ISO-8601 date string, got {show(v)}")


def int_or_str_or_none(v: Any, _: Any) -> int | str | None:
    if type(v) is int or v is None:
        return v
    if isinstance(v, str):
        s = v.strip()
        if _INT_RE.fullmatch(s):
            number = int(s)
            # Only the text an integer is written as: "0042" or "+5" is another id than 42 or
            # 5, and an id past 64 bits is text (the API's integers are 64-bit).
            if str(number) == s and INT64_MIN <= number <= INT64_MAX:
                return number
        return v
    return _coerce_int(v)


def _plain(value: Any) -> Any:
    if type(value) is Decimal:
        return float(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()  # as orjson writes it, an offset kept
    return value


def json_ready(extra: dict[str, Any]) -> dict[str, Any]:
    """A copy of free-form JSON (a model's ``extra``, a REST item's ``properties``) that JSON
    writers take: each ``Decimal`` (a product scan reads numbers exactly) as the float a number
    field holds, and each date or time as the text orjson writes for it (an aware datetime
    with its offset: these are the shop's values, not the API's UTC dates)."""
    return copy_json(extra, _plain)  # type: ignore[no-any-return]


def required(hook: StructureHook, what: str) -> StructureHook:
    def structure_required(v: Any, t: Any) -> Any:
        res = hook(v, t)
        if res is None:
            raise ValueError(f"expected {what}, got {show(v)}")
        return res

    return structure_required


OPTIONAL_SCALARS: dict[Any, StructureHook] = {
    int: _int_or_none,
    float: _float_or_none,
    bool: _bool_or_none,
    str: _str_or_none,
    datetime: _datetime_or_none,
}
REQUIRED_SCALARS: dict[Any, StructureHook] = {
    int: required(_int_or_none, "an integer"),
    float: required(_float_or_none, "a number"),
    bool: required(_bool_or_none, "a boolean"),
    str: required(_str_or_none, "a string"),
    datetime: required(_datetime_or_none, "an ISO-8601 date"),
}


def unstructure_datetime(dt: datetime) -> str:
    tz = dt.tzinfo
    if tz is not _UTC:
        if tz is None or dt.utcoffset() is None:  # naive means UTC, as read
            return dt.replace(tzinfo=None).isoformat()
        dt = dt.astimezone(_UTC)
    if dt.microsecond:
        return dt.isoformat()[:-6]  # without "+00:00"
    # %-formatting the fields is twice as fast as isoformat() on an aware datetime, and faster
    # than an f-string with format specs.
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031
        dt.year,
        dt.month,
        dt.day,
        dt.hour,
        dt.minute,
        dt.second,
    )
