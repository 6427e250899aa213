"""Export functions that take either client: awaited with an ``AsyncClient``, blocking with a
``Client`` (run on that client's event loop)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from omsclient._client import AsyncClient
from omsclient._sync import Client
from omsclient.errors import ValidationError

__all__ = ["EitherClient"]

P = ParamSpec("P")
R = TypeVar("R")


class EitherClient(Generic[P, R]):
    """``func(async_client, ...)`` as is, or ``func(client, ...)`` blocking for a ``Client``."""

    def __init__(self, func: Callable[Concatenate[AsyncClient, P], Coroutine[Any, Any, R]]) -> None:
        self._func = func
        functools.update_wrapper(self, func)
        # help() and inspect would show func's own: the client as a keyword too, and an
        # AsyncClient alone.
        signature = inspect.signature(func)
        client, *rest = signature.parameters.values()
        taken = client.replace(
            kind=inspect.Parameter.POSITIONAL_ONLY, annotation="AsyncClient | Client"
        )
        result = signature.return_annotation
        self.__signature__ = signature.replace(
            parameters=[taken, *rest], return_annotation=f"{result} | Awaitable[{result}]"
        )

    @overload
    def __call__(
        self, client: AsyncClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]: ...

    @overload
    def __call__(self, client: Client, /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(
        self, client: AsyncClient | Client | None = None, /, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R] | R:
        """Await the result with an ``AsyncClient``; with a ``Client`` it is returned."""
        operation = self._func.__name__.lstrip("_")  # export_orders, not _export_orders
        if client is None and "client" in kwargs:
            # Python's own message would name this class's __call__, not the function.
            raise TypeError(f"{operation}() takes the client as its first argument, by position")
        if isinstance(client, Client):
            return client._call(lambda oms: self._func(oms, *args, **kwargs), operation)
        if not isinstance(client, AsyncClient):
            raise ValidationError(
                f"client must be an AsyncClient or a Client, got {type(client).__name__}"
            )
        return self._func(client, *args, **kwargs)
