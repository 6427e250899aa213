"""A copy of JSON's objects and arrays, each key and other value mapped on the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["copy_json"]

Json = dict[Any, Any] | list[Any]


def copy_json(
    value: Json, scalar: Callable[[Any], Any], key: Callable[[Any], Any] | None = None
) -> Json:
    """A copy of ``value``'s objects and arrays, every other value passed through ``scalar``
    and, with ``key``, every object's key through it.

    Walked without recursion: a hostile answer nests them up to the 1,024 levels orjson reads,
    past Python's stack.
    """
    copy: Json = {} if isinstance(value, dict) else []
    pending: list[tuple[Json, Json]] = [(value, copy)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for name, item in items:
            inner: Any
            if isinstance(item, (dict, list)):
                inner = {} if isinstance(item, dict) else []
                pending.append((item, inner))
            else:
                inner = scalar(item)
            if isinstance(target, dict):
                target[name if key is None else key(name)] = inner
            else:
                target.append(inner)
    return copy
