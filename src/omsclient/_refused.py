"""Arguments a method refuses: its :class:`~omsclient.ValidationError` names the operation, as
the errors of its requests do (``legacy.orders.search: limit must be ...``), and holds none of
the client's secrets."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from omsclient._redact import Redactor
from omsclient.errors import ValidationError

__all__ = ["refused_as", "refused_as_async", "secrets_kept_out"]

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)


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


def secrets_kept_out(redactor: Callable[[Any], Redactor]) -> Callable[[C], C]:
    """A class whose public methods' refusals are redacted by ``redactor(self)``, the client's:
    a password or API token passed where another value belongs
    (``get(os.environ["OMS_API_TOKEN"])``) was quoted back as the value refused."""

    def decorate(cls: C) -> C:
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(member):
                setattr(cls, name, _redacting(member, redactor))
        return cls

    return decorate


def _redacting(function: Callable[..., Any], redactor: Callable[[Any], Redactor]) -> Any:
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def checked_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await function(self, *args, **kwargs)
            except ValidationError as exc:
                redactor(self).error(exc)
                raise

        return checked_async

    @functools.wraps(function)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(self, *args, **kwargs)
        except ValidationError as exc:
            redactor(self).error(exc)
            raise

    return checked
