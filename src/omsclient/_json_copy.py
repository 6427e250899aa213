"""A copy of JSON's objects and arrays, each key and other value mapped on the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["copy_json", "copy_texts"]

Json = dict[Any, Any] | list[Any]
_DEEPEST = 10_000
"""Far past the 1,024 levels orjson reads, and the 254 it writes."""


def copy_json(
    value: Any, scalar: Callable[[Any], Any], key: Callable[[Any], Any] | None = None
) -> Any:
    """A copy of ``value``'s objects and arrays, every other value passed through ``scalar``
    and, with ``key``, every object's key through it (a value that is neither, ``scalar`` of
    it).

    Walked without recursion: a hostile answer nests them up to the 1,024 levels orjson reads,
    past Python's stack.

    Raises:
        ValueError: ``value`` nests deeper than any JSON reader or writer goes: it holds itself
            (an object of a model's ``extra`` set by hand), where the walk would never end.
    """
    if not isinstance(value, (dict, list)):
        return scalar(value)
    copy: Json = {} if isinstance(value, dict) else []
    pending: list[tuple[Json, Json, int]] = [(value, copy, 1)]
    while pending:
        source, target, depth = pending.pop()
        if depth > _DEEPEST:
            raise ValueError(
                f"a JSON value that holds itself, or nests deeper than {_DEEPEST:,} levels"
            )
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for name, item in items:
            inner: Any
            if isinstance(item, (dict, list)):
                inner = {} if isinstance(item, dict) else []
                pending.append((item, inner, depth + 1))
            else:
                inner = scalar(item)
            if isinstance(target, dict):
                target[name if key is None else key(name)] = inner
            else:
                target.append(inner)
    return copy


def copy_texts(value: Any, text: Callable[[str], str]) -> Any:
    """A copy of ``value`` (as :func:`copy_json`) with each string and key passed through
    ``text``, every other value as it is."""
    return copy_json(value, lambda item: text(item) if isinstance(item, str) else item, text)
