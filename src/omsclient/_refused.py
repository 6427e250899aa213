"""Arguments a method refuses: its :class:`~omsclient.ValidationError` names the operation, as
the errors of its requests do (``legacy.orders.search: limit must be ...``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from omsclient.errors import ValidationError

__all__ = ["refused_as", "refused_as_async"]

P = ParamSpec("P")
R = TypeVar("R")


def _named(error: ValidationError, operation: str) -> None:
    message = error.args[0] if error.args else ""
    if isinstance(message, str) and not message.startswith(f"{operation}: "):
        error.args = (f"{operation}: {message}", *error.args[1:])


def refused_as(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A method whose refusals (checked when it is called) name ``operation``."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except ValidationError as exc:
                _named(exc, operation)
                raise

        return checked

    return decorate


def refused_as_async(
    operation: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """:func:`refused_as` of a coroutine function."""

    def decorate(
        function: Callable[P, Coroutine[Any, Any, R]],
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(function)
        async def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await function(*args, **kwargs)
            except ValidationError as exc:
                _named(exc, operation)
                raise

        return checked

    return decorate
