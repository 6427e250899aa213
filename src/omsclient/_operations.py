"""The operation a resource's method stands for, as its errors name it."""

from __future__ import annotations

import functools
from collections.abc import Callable

__all__ = ["operation_of"]


def operation_of(method: Callable[..., object]) -> str:
    """The resource's module and the method's name (``"legacy.orders.search"``,
    ``"rest.order_items.print_file"``; a ``with_raw_response`` method is wrapped with its
    method's names; a ``functools.partial`` named by the method it calls)."""
    while isinstance(method, functools.partial):
        method = method.func
    return f"{method.__module__.removeprefix('omsclient.')}.{method.__name__}"
