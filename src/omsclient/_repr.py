"""The short ``repr`` of models (identifying fields only, as API client objects print), and of
what a search returns to read (:class:`Described`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from omsclient._redact import without_login_key

__all__ = ["MORE", "Described", "Verbatim", "short_repr"]


class Verbatim:
    """Text a ``__rich_repr__`` yields for rich to print as it is, not quoted."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


MORE = Verbatim("...")
"""Stands for the fields a short ``repr`` leaves out, as it ends: ``...``."""


C = TypeVar("C", bound=type)


def short_repr(*names: str) -> Callable[[C], C]:
    """A class decorator giving the class a ``__repr__`` naming only the identifying
    attributes, as API client objects print, and the ``__rich_repr__`` that makes rich print
    the same::

        @short_repr("order_id", "order_status")
        @attrs.define
        class Order: ...

    Above attrs' decorator, whose generated ``__repr__`` it replaces. A whole order prints as
    kilobytes, and its URLs may carry a credential (the legacy documents' login keys, a print
    file's signed download link); the full data stays available through the attributes and
    ``to_dict``. rich (``rich.print``, ``pretty.install``, tracebacks with ``show_locals``)
    ignores ``__repr__`` on an attrs class and prints every field, unless the class has a
    ``__rich_repr__``. Set on the class, not assigned in its body: a type checker then reads
    the ``__repr__`` it inherits, declared, where an assigned one is a variable of no declared
    type overriding a method.
    """

    def __repr__(self: Any) -> str:
        return _text(self, [(name, getattr(self, name)) for name in names], more=True)

    def __rich_repr__(self: Any) -> Iterator[Any]:
        yield from _rich([(name, getattr(self, name)) for name in names])
        yield MORE

    def decorate(cls: C) -> C:
        __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
        __rich_repr__.__qualname__ = f"{cls.__qualname__}.__rich_repr__"
        cls.__repr__ = __repr__  # type: ignore[assignment]
        cls.__rich_repr__ = __rich_repr__  # type: ignore[attr-defined]
        return cls

    return decorate


class Described:
    """A base giving a class the ``repr`` (and rich's) of the fields :meth:`_repr_fields`
    names: ``PageIterator(operation='legacy.orders.iterate', concurrency=2, ...)``."""

    __slots__ = ()

    def _repr_fields(self) -> Iterable[tuple[str, Any]]:
        """Each field's name and value, in the order printed."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return _text(self, self._repr_fields())

    def __rich_repr__(self) -> Iterator[Any]:
        return _rich(self._repr_fields())


def _text(obj: object, fields: Iterable[tuple[str, Any]], *, more: bool = False) -> str:
    # A field may hold a document link: one a server put where an id should be, a search's
    # condition on one.
    shown = [f"{name}={without_login_key(repr(value))}" for name, value in fields]
    return f"{type(obj).__name__}({', '.join([*shown, '...'] if more else shown)})"


def _rich(fields: Iterable[tuple[str, Any]]) -> Iterator[Any]:
    for name, value in fields:
        text = repr(value)
        redacted = without_login_key(text)
        yield name, value if redacted == text else Verbatim(redacted)
