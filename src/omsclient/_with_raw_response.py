"""``omsclient.raw_response(method)``: a call's typed result together with its HTTP answer.

Each resource's ``with_raw_response`` view is a :class:`RawResponseView` whose methods are
made of these (``get = raw_method(Orders.get)``), one per request method.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from omsclient._calls import capture
from omsclient._operations import operation_of
from omsclient._process_bound import OfThisProcess
from omsclient._raw_response import RawResponse, with_result
from omsclient.errors import ValidationError

__all__ = ["RawResponseView", "raw_method", "raw_response"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


def raw_response(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Coroutine[Any, Any, RawResponse[T]]]:
    """``method`` returning a :class:`RawResponse` of its HTTP answer (the last one, for a
    method that sends several), fully typed::

        raw = await omsclient.raw_response(oms.legacy.orders.search)(condition)
        raw.status_code, raw.headers, raw.elapsed, raw.attempts, raw.parse()

    Raises:
        TypeError: ``method`` is no coroutine function: an iterator or a scan (which have no
            raw twin), or a blocking :class:`~omsclient.Client`'s method (its resources'
            ``with_raw_response`` views are blocking).
        ValidationError: the call asked for nothing (``get_many([])``), so it sent no request
            and there is no answer to return.
    """
    if not inspect.iscoroutinefunction(method):
        # Wrapped, it would hand back a coroutine where the blocking call's result was meant.
        # An AsyncClient's iterate() or scan() is no coroutine function either.
        raise TypeError(
            f"raw_response() takes an AsyncClient's request method, not "
            f"{getattr(method, '__qualname__', method)!s}: iterators and scans have no raw "
            "twin, and a blocking Client's resources have with_raw_response "
            "(oms.legacy.orders.with_raw_response.search(...))"
        )

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        with capture() as records:
            result = await method(*args, **kwargs)
        answer = records[-1].answer() if records else None
        if answer is None:
            # Not a TypeError: the arguments were fine for the method itself, which returned
            # its empty result; only its twin has nothing to describe.
            raise ValidationError(
                f"{operation_of(method)}: given nothing to ask for, it sent no request, so there "
                "is no HTTP answer to return"
            )
        return with_result(answer, result)

    # help() and inspect.signature() show what it returns, not the method's own result (of
    # a method or function: a functools.partial has no name to give).
    function = getattr(method, "__func__", None)
    if function is not None:
        call.__signature__, call.__doc__ = _method_face(function, bound=True)  # type: ignore[attr-defined]
    elif hasattr(method, "__name__"):
        call.__signature__, call.__doc__ = _face(method, bound=False)  # type: ignore[attr-defined]
    return call


class RawResponseView(OfThisProcess, Generic[R]):
    """A resource's ``with_raw_response``: the resource, whose request methods it runs.

    Its methods are made in its class body (``get = raw_method(Orders.get)``), so that the
    class has them: ``help()``, the reference and ``unittest.mock.create_autospec`` read them
    there.
    """

    __slots__ = ("_resource",)

    def __init__(self, resource: R) -> None:
        self._resource = resource


def raw_method(
    method: Callable[Concatenate[R, P], Awaitable[T]],
) -> Callable[Concatenate[RawResponseView[R], P], Coroutine[Any, Any, RawResponse[T]]]:
    """The resource's ``method`` (``Orders.get``) as a method of its
    :class:`RawResponseView`, returning a :class:`RawResponse`: the view's resource calls it."""
    raw = raw_response(method)

    # A coroutine function, as the method is: create_autospec makes its mock awaitable.
    @functools.wraps(raw)
    async def call(
        self: RawResponseView[R], /, *args: P.args, **kwargs: P.kwargs
    ) -> RawResponse[T]:
        return await raw(self._resource, *args, **kwargs)

    return call


def _face(function: Callable[..., object], *, bound: bool) -> tuple[inspect.Signature, str]:
    """The signature and docstring of ``function`` returning a RawResponse."""
    signature = inspect.signature(function)
    returned = signature.return_annotation
    doc = (
        f"The client's ``{operation_of(function)}``, with the same arguments, returning a "
        f"``RawResponse`` of its HTTP answer (``.parse()`` gives its result). The method's "
        f"documentation:\n\n{inspect.cleandoc(function.__doc__ or '')}"
    )
    parameters = list(signature.parameters.values())
    return signature.replace(
        parameters=parameters[1:] if bound else parameters,  # a bound method's: without self
        return_annotation=f"RawResponse[{returned}]"
        if isinstance(returned, str)
        else "RawResponse",
    ), doc


# Once a resource's method, not once a client: each client wraps its own methods, and a
# signature took 8 ms a client.
_method_face = functools.cache(_face)
