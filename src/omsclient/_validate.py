"""Checks of the plain values a caller hands in: numbers, dates and JSON bodies.

Every argument check of the SDK that is about a value's kind or range goes through here, so a
bool is never taken for a number, NaN never for a length of time, and a value the API cannot
hold is refused with a :class:`~omsclient.ValidationError` before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from omsclient.errors import OmsError, ValidationError

__all__ = [
    "API_YEARS",
    "INT64_MAX",
    "INT64_MIN",
    "api_datetime",
    "check_int",
    "json_problems",
    "positive_int",
    "positive_seconds",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
API_YEARS = range(1000, 10000)
"""Years the servers store (a MySQL ``DATETIME``: 1000-01-01 to 9999-12-31)."""


def positive_seconds(value: object, name: str, error: type[OmsError] = ValidationError) -> float:
    """``value`` as a finite number of seconds above zero; NaN, infinity and bools are refused."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise error(f"{name} must be a finite number of seconds above 0, got {value!r}")
    return float(value)


def positive_int(value: object, name: str, error: type[OmsError] = ValidationError) -> int:
    """``value`` as an integer >= 1; bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise error(f"{name} must be an integer >= 1, got {value!r}")
    return value


def check_int(value: object, name: str) -> int:
    """``value`` as an integer the API can hold (a signed 64-bit one); bools are refused.

    The range is checked before the number is ever printed, so an integer of thousands of
    digits gets this error rather than Python's limit on converting it to text.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer, got {type(value).__name__}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValidationError(f"{name} is out of range: the API takes 64-bit integers")
    return value


def api_datetime(value: datetime | date, name: str) -> datetime:
    """``value`` as a naive UTC datetime in the years the API stores.

    Aware datetimes are converted to UTC; a naive one is taken to be UTC already; a ``date``
    means its midnight.
    """
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValidationError(f"{name} {value.isoformat()} is out of range in UTC") from None
    if value.year not in API_YEARS:
        raise ValidationError(
            f"{name} {value.isoformat()} is outside the years the API stores "
            f"({API_YEARS.start}..{API_YEARS.stop - 1})"
        )
    return value


def json_problems(value: Any, where: str = "") -> list[str]:
    """What in a JSON-ready value cannot be sent as is: NaN or infinity (JSON has no such
    number, and encoders quietly send ``null``) and integers beyond 64 bits."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, float):
        return [] if math.isfinite(value) else [f"{where or 'value'} must be finite, got {value}"]
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return []
        return [f"{where or 'value'} is out of range: the API takes 64-bit integers"]
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, item in value.items():
            out.extend(json_problems(item, f"{where}.{key}" if where else str(key)))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            out.extend(json_problems(item, f"{where}[{i}]"))
        return out
    return []
