"""The short ``repr`` of models: identifying fields only, as API client objects print."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from omsclient._redact import without_login_key

__all__ = ["MORE", "Verbatim", "short_repr"]


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
        # A server may put a document link where an identifying field should be.
        shown = ", ".join(
            f"{name}={without_login_key(repr(getattr(self, name)))}" for name in names
        )
        return f"{type(self).__name__}({shown}, ...)"

    def __rich_repr__(self: Any) -> Iterator[Any]:
        for name in names:
            value = getattr(self, name)
            text = repr(value)
            redacted = without_login_key(text)
            yield name, value if redacted == text else Verbatim(redacted)
        yield MORE

    def decorate(cls: C) -> C:
        __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
        __rich_repr__.__qualname__ = f"{cls.__qualname__}.__rich_repr__"
        cls.__repr__ = __repr__  # type: ignore[assignment]
        cls.__rich_repr__ = __rich_repr__  # type: ignore[attr-defined]
        return cls

    return decorate
