"""``resource.with_raw_response.method(...)`` and ``omsclient.raw_response(method)(...)``:
a call's typed result together with its HTTP answer (:class:`RawResponse`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from omsclient._calls import capture
from omsclient._raw_response import RawResponse

__all__ = ["RawResponseMethods", "WithRawResponse", "raw_response"]

T = TypeVar("T")
P = ParamSpec("P")


def raw_response(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """``method`` returning a :class:`RawResponse` of its HTTP answer (the last one, for a
    method that sends several), fully typed::

        raw = await omsclient.raw_response(oms.legacy.orders.search)(condition)
        raw.status_code, raw.headers, raw.elapsed, raw.attempts, raw.parse()
    """

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        with capture() as records:
            result = await method(*args, **kwargs)
        answer = records[-1].answer() if records else None
        if answer is None:
            raise TypeError(f"{getattr(method, '__qualname__', method)} sent no request")
        return RawResponse.of_answer(answer, result)

    return call


class RawResponseMethods:
    """``resource.with_raw_response``: each request method of the resource, with the same
    parameters, returning a :class:`RawResponse` whose ``.parse()`` is what the method returns.
    """

    def __init__(self, resource: object) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Awaitable[RawResponse[Any]]]:
        method = getattr(self._resource, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(method):
            raise AttributeError(
                f"{type(self._resource).__name__}.{name} is not a request method: "
                "with_raw_response has the methods that send a request and return its result"
            )
        return raw_response(method)


class WithRawResponse:
    """Gives a resource its ``with_raw_response`` view."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> RawResponseMethods:
        """This resource's request methods returning a :class:`RawResponse`, e.g.
        ``await oms.legacy.orders.with_raw_response.search(condition)``."""
        return RawResponseMethods(self)
