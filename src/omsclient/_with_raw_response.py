"""``omsclient.raw_response(method)``: a call's typed result together with its HTTP answer.

Each resource's ``with_raw_response`` view is built of these, one per request method.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from omsclient._calls import capture
from omsclient._raw_response import RawResponse, with_result

__all__ = ["raw_response"]

T = TypeVar("T")
P = ParamSpec("P")


def raw_response(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """``method`` returning a :class:`RawResponse` of its HTTP answer (the last one, for a
    method that sends several), fully typed::

        raw = await omsclient.raw_response(oms.legacy.orders.search)(condition)
        raw.status_code, raw.headers, raw.elapsed, raw.attempts, raw.parse()

    Raises:
        TypeError: ``method`` is no coroutine function (a blocking :class:`~omsclient.Client`'s:
            its resources' ``with_raw_response`` views are blocking).
    """
    if not inspect.iscoroutinefunction(method):
        # Wrapped, it would hand back a coroutine where the blocking call's result was meant.
        raise TypeError(
            f"raw_response() takes an AsyncClient's request method, not "
            f"{getattr(method, '__qualname__', method)!s}; a blocking Client's resources have "
            "with_raw_response (oms.legacy.orders.with_raw_response.search(...))"
        )

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        with capture() as records:
            result = await method(*args, **kwargs)
        answer = records[-1].answer() if records else None
        if answer is None:
            raise TypeError(f"{getattr(method, '__qualname__', method)} sent no request")
        return with_result(answer, result)

    return call
