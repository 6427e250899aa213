"""``Part``: an attribute each instance sets in ``__init__``, which the class shows as its type.

``unittest.mock.create_autospec(omsclient.Client, instance=True)`` reads the class, not an
instance: an attribute set in ``__init__`` alone is missing from the mock (an annotation alone
too), and a ``property`` is specced as nothing, so every call through it is accepted. Read on
the class, a part is its type, which the mock then specs as an instance of it, method by method.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

__all__ = ["Part"]

T = TypeVar("T")


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
