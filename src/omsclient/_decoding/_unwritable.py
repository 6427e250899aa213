"""Which value of a model its writer cannot write, found only once writing it has failed.

The generated writers trust each field to hold its declared type, as the readers leave it; a
value set by hand to another (a string in a date field, a dict where a nested model belongs)
fails deep inside them, as an ``AttributeError`` naming no field, and so does a date set by
hand that UTC puts past the year 9999 (an ``OverflowError``). This walk names it.
"""

from datetime import datetime
from typing import Any

import attrs

from omsclient._decoding._scalars import in_utc
from omsclient._decoding._types import EXTRA, display, has_extra, list_item, optional_inner, show

__all__ = ["unwritable"]


def unwritable(obj: Any, path: str = "") -> str | None:
    """``path.field: expected X, got Y`` for the first value of ``obj`` that is not of its
    field's type (a model, a list of them, a date), or None if there is none."""
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            found = unwritable(item, f"{path}[{i}]")
            if found:
                return found
        return None
    if not attrs.has(type(obj)):
        return None
    where = path or type(obj).__name__
    for field in attrs.fields(type(obj)):
        if field.name == EXTRA:
            continue
        found = _wrong_value(getattr(obj, field.name), field.type, f"{where}.{field.name}")
        if found:
            return found
    return None


def _wrong_value(value: Any, tp: Any, path: str) -> str | None:
    if value is None:
        # Written as absent, but for a list, which its writer reads through.
        return None if list_item(tp) is None else f"{path}: expected {display(tp)}, got None"
    tp = optional_inner(tp) or tp
    item = list_item(tp)
    if item is not None:
        if not isinstance(value, (list, tuple)):  # the writers take a tuple as a list
            return f"{path}: expected {display(tp)}, got {show(value)}"
        for i, element in enumerate(value):
            if element is None and _checked(item):
                return f"{path}[{i}]: expected {display(item)}, got None"
            found = _wrong_value(element, item, f"{path}[{i}]")
            if found:
                return found
        return None
    if _checked(tp) and not isinstance(value, tp):
        return f"{path}: expected {display(tp)}, got {show(value)}"
    if tp is datetime and value.utcoffset() is not None:
        try:
            in_utc(value, value.isoformat())
        except ValueError as exc:
            return f"{path}: {exc}"
    return unwritable(value, path)


def _checked(tp: Any) -> bool:
    """Whether the writers rely on a value of ``tp`` being one: scalars are written as held."""
    return tp is datetime or has_extra(tp)
