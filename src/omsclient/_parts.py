"""``Part`` and ``View``: an instance's attribute which the class shows as its type.

``unittest.mock.create_autospec(omsclient.Client, instance=True)`` reads the class, not an
instance: an attribute set in ``__init__`` alone is missing from the mock (an annotation alone
too), and a ``property`` is specced as nothing, so every call through it is accepted. Read on
the class, a part (or a view) is its type, which the mock then specs as an instance of it,
method by method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from omsclient._with_raw_response import RawResponseView

__all__ = ["Part", "View"]

T = TypeVar("T")
V = TypeVar("V", bound=RawResponseView[Any])


class Part(Generic[T]):
    """``orders = Part(SyncOrders)`` in a class body, ``self.orders = SyncOrders(...)`` in its
    ``__init__``: read on the class, ``SyncOrders``; read on an instance, its own value, at no
    cost (having no ``__set__``, this descriptor is hidden by the instance's attribute)."""

    __slots__ = ("_kind", "_name")

    def __init__(self, kind: type[T]) -> None:
        self._kind = kind
        self._name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> type[T]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> T: ...

    def __get__(self, instance: object, owner: type[Any]) -> T | type[T]:
        if instance is None:
            return self._kind
        # Reached only before __init__ has set the instance's own.
        raise AttributeError(
            f"{type(instance).__name__!r} object has no attribute {self._name!r}",
            name=self._name,
            obj=instance,
        )


class View(Generic[V]):
    """``with_raw_response = View(lambda: OrdersWithRawResponse)`` in a resource's class body:
    read on the class, ``OrdersWithRawResponse``; read on an instance, a new
    ``OrdersWithRawResponse(instance)`` each time, as a ``property`` would make it (a view holds
    nothing but its resource). The view's class is named in a function, as it is defined after
    the resource whose methods it takes."""

    __slots__ = ("_kind",)

    def __init__(self, kind: Callable[[], type[V]]) -> None:
        self._kind = kind

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> type[V]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> V: ...

    def __get__(self, instance: object, owner: type[Any]) -> V | type[V]:
        if instance is None:
            return self._kind()
        return self._kind()(instance)
