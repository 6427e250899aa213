"""Async methods and iterators made blocking, run on an anyio blocking portal's event loop.

Shared by the blocking legacy surface (``_sync``) and the blocking REST surface (``_sync_rest``,
``rest/_blocking_resources``).
Each blocking method (bound to its resource) and iterator holds the client's
:class:`~omsclient._loop_thread.LoopHandle`, so ``search = Client(...).legacy.orders.search``
keeps its client open while it is kept.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from omsclient._loop_thread import LoopHandle
from omsclient._operations import operation_of
from omsclient._page import handed_out
from omsclient._pagination import Page, PageIterator
from omsclient._process_bound import OfThisProcess
from omsclient._repr import Described

__all__ = [
    "BlockingResource",
    "SyncPageIterator",
    "blocking",
    "blocking_doc",
    "blocking_iterator",
]

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")
P = ParamSpec("P")


class SyncPageIterator(Described, OfThisProcess, Generic[T]):
    """A :class:`~omsclient.PageIterator` driven from a blocking caller.

    ``for item in it`` yields rows, ``for page in it.pages()`` yields pages, ``it.total`` is the
    number of matching rows. Leaving the loop early (``break``, an exception) stops the fetches
    in flight. Its repr is the async iterator's, from any thread.
    """

    def __init__(self, iterator: Any, portal: LoopHandle, operation: str) -> None:
        self._iterator = iterator
        self._portal = portal
        self._operation = operation

    @property
    def total(self) -> int | None:
        """The number of matching rows, once the first page has arrived."""
        return getattr(self._iterator, "total", None)

    def _repr_fields(self) -> Iterable[tuple[str, Any]]:
        fields: Iterable[tuple[str, Any]] = self._iterator._repr_fields()
        return fields

    def __iter__(self) -> Generator[T, None, None]:
        # Closed, not dropped: what its close raises (a Ctrl-C while it waits for the loop)
        # comes out of this generator's close(), where Python drops an exception raised as
        # it finalizes a generator.
        with contextlib.closing(self.pages()) as pages:
            for page in pages:
                yield from handed_out(page.items)

    def pages(self) -> Generator[Page[T], None, None]:
        """Iterate page by page, in offset order."""
        return self._portal.iterate(self._iterator.pages(), self._operation)


class BlockingResource(OfThisProcess, Generic[A]):
    """A blocking resource: the async one whose methods it runs, and the client's loop handle.

    Its methods are made in its class body (``search = blocking(Orders.search)``), so that the
    class has them: ``help()``, the reference and ``unittest.mock.create_autospec`` read them
    there, and a method pickled is refused as its resource is.
    """

    def __init__(self, resource: A, portal: LoopHandle) -> None:
        self._async = resource
        self._loop = portal


def blocking(
    method: Callable[Concatenate[Any, P], Awaitable[R]],
) -> Callable[Concatenate[BlockingResource[Any], P], R]:
    """The async resource's ``method`` (``Orders.search``) as a method of a
    :class:`BlockingResource`, with its exact parameters for type checkers; its operation
    (see :func:`~omsclient._operations.operation_of`) names it when the client is closed."""
    named = operation_of(method)

    @functools.wraps(method)
    def call(self: BlockingResource[Any], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._loop.call(functools.partial(method, self._async, *args, **kwargs), named)

    call.__doc__ = blocking_doc(method, "its result")
    return call


def blocking_doc(method: Callable[..., object], result: str) -> str:
    """``help()``'s text of ``method`` made blocking: what differs, then the method's own."""
    return (
        f"Blocking: the client's ``{operation_of(method)}``, with the same arguments; "
        f"returns {result}, no awaitable. The async method's documentation:\n\n"
        f"{inspect.cleandoc(method.__doc__ or '')}"
    )


def blocking_iterator(
    method: Callable[Concatenate[Any, P], PageIterator[T]],
) -> Callable[Concatenate[BlockingResource[Any], P], SyncPageIterator[T]]:
    """``method`` returning a blocking iterator over what its async iterator yields."""
    operation = operation_of(method)

    @functools.wraps(method)
    def call(
        self: BlockingResource[Any], /, *args: P.args, **kwargs: P.kwargs
    ) -> SyncPageIterator[T]:
        return SyncPageIterator(method(self._async, *args, **kwargs), self._loop, operation)

    call.__doc__ = blocking_doc(method, "a ``SyncPageIterator`` to read with ``for``")
    # Its own return type, where the async method's signature (which wraps() points
    # help() at) names the async iterator.
    returned = inspect.signature(method).return_annotation
    call.__signature__ = inspect.signature(method).replace(  # type: ignore[attr-defined]
        return_annotation=f"Sync{returned}"
        if isinstance(returned, str) and returned.startswith("PageIterator[")
        else "SyncPageIterator"
    )
    return call
