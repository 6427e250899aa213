"""Retry policy: which failures are worth another attempt, and how long to wait first."""

from __future__ import annotations

import datetime
import email.utils
import random
import re
import time
from collections.abc import Iterable
from typing import Any

import attrs

from omsclient._validate import INT64_MAX, finite, shown
from omsclient.errors import ConfigurationError, ValidationError

__all__ = ["RetryPolicy", "longest_retry_after", "parse_retry_after", "retry_count_problem"]

# delay-seconds are ASCII digits (RFC 9110, 10.2.3); a sign and a fraction are read too. Python's
# float() would also take "nan", "inf", "1e3", "1_0" and other scripts' digits, and the client
# would then retry at once or wait the longest Retry-After it honours.
_DELAY_SECONDS = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def retry_count_problem(value: object, name: str) -> str | None:
    """What keeps ``value`` from being a number of retries, or None: an integer >= 0 within
    64 bits (``10**5000`` would make the policy's repr, and a log line of it, fail)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        return f"{name} must be an integer >= 0 within 64 bits, got {shown(value)}"
    return None


def _count(policy: Any, attribute: attrs.Attribute[int], value: object) -> None:
    problem = retry_count_problem(value, f"RetryPolicy.{attribute.name}")
    if problem is not None:
        raise ConfigurationError(problem)


def _seconds(policy: Any, attribute: attrs.Attribute[float], value: object) -> None:
    # NaN would pass a ">= 0" test by failing it silently, and make every wait NaN.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not finite(value)
        or value < 0
    ):
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be a finite number of seconds >= 0, "
            f"got {shown(value)}"
        )


@attrs.frozen
class RetryPolicy:
    """How a client retries.

    Waits grow exponentially with full jitter (``uniform(0, min(max_delay, initial_delay *
    2**retry))``), the AWS-recommended shape that keeps many clients from retrying in lockstep.
    A server's ``Retry-After`` is honoured up to ``max_retry_after`` seconds.

    Attributes:
        max_retries: retries after the first attempt; 0 turns retrying off.
        initial_delay: upper bound of the first wait, in seconds.
        max_delay: cap of any computed wait, in seconds.
        max_retry_after: the longest ``Retry-After`` the client will wait; a longer one is
            capped to this value.

    A bad value (a negative count, a bool, NaN or infinity for a delay) raises
    :class:`~omsclient.ConfigurationError`.
    """

    max_retries: int = attrs.field(default=3, validator=_count)
    initial_delay: float = attrs.field(default=0.5, validator=_seconds)
    max_delay: float = attrs.field(default=8.0, validator=_seconds)
    max_retry_after: float = attrs.field(default=60.0, validator=_seconds)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry): a server's
        ``retry_after`` (seconds), capped at :attr:`max_retry_after`, or a jittered wait.

        Raises:
            ValidationError: ``retry`` is no integer >= 0, or ``retry_after`` no number of
                seconds >= 0 (NaN and a negative one would reach ``sleep`` as they are).
        """
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValidationError(
                f"RetryPolicy.delay: retry must be an integer >= 0, got {shown(retry)}"
            )
        if retry_after is not None:
            if (
                isinstance(retry_after, bool)
                or not isinstance(retry_after, (int, float))
                or not retry_after >= 0  # NaN too
            ):
                raise ValidationError(
                    "RetryPolicy.delay: retry_after must be a number of seconds >= 0, "
                    f"got {shown(retry_after)}"
                )
            return min(retry_after, self.max_retry_after)
        # The exponent capped: 2**1024 is no float, and max_delay is reached long before.
        return random.uniform(0, min(self.max_delay, self.initial_delay * 2.0 ** min(retry, 64)))


LONGEST_RETRY_AFTER = 1e9
"""The longest ``Retry-After`` read, in seconds (31 years, "never" to any client): what
``time.sleep`` and ``asyncio.sleep`` still take."""


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header: delay-seconds or an HTTP date. ``None`` if unusable.

    A negative delay or a date in the past is no wait (0), a longer one than
    :data:`LONGEST_RETRY_AFTER` that long (an error's ``retry_after`` is slept on: 400 digits
    were infinity, and ``time.sleep`` of 10**20 s an ``OverflowError``). Anything else
    (``nan``, ``1e3``, a date no clock can hold) is ``None``: the policy's backoff applies
    instead.
    """
    if not value:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return min(max(0.0, float(value)), LONGEST_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    # A year or zone offset too large for the C types behind datetime is an OverflowError.
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # An HTTP date is always GMT, also in the asctime form or with "-0000", which Python
        # reads as naive: taken as local time, the wait would be off by the local offset.
        when = when.replace(tzinfo=datetime.timezone.utc)
    return min(max(0.0, when.timestamp() - time.time()), LONGEST_RETRY_AFTER)


def longest_retry_after(values: Iterable[str]) -> float | None:
    """The longest wait of an answer's ``Retry-After`` headers (see :func:`parse_retry_after`),
    ``None`` if none reads.

    A proxy or CDN may add its own beside the server's: joined into one line (``"3, 3"``),
    they read as neither a delay nor a date, and the wait asked for would be lost. Each is read
    alone, and the longest kept, which waits for every one of them.
    """
    return max((w for w in map(parse_retry_after, values) if w is not None), default=None)
