"""What the decoding package reads of a model class and of a field's type."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import attrs
import msgspec

__all__ = [
    "ABSENT",
    "EXTRA",
    "JSON_KEY",
    "AbsentList",
    "display",
    "fast_path_fits",
    "has_extra",
    "is_int_or_str",
    "is_list",
    "is_optional",
    "json_keys",
    "list_item",
    "optional_inner",
    "show",
    "union_args",
]

EXTRA = "extra"
"""The field of a model that keeps the keys it does not know."""
JSON_KEY = "json_key"
"""The metadata key naming a field's JSON key when it is not the attribute's name."""

ABSENT: Any = msgspec.UNSET
"""The ``total`` (or another value) of an answer that had none."""


class AbsentList(list[Any]):
    """An empty list standing for an array the server did not send (or sent as ``null``).

    It behaves as a plain list and compares equal to one. Unstructuring omits it while it is
    empty, so an export does not invent keys; once items are added it is written like any list.
    List fields of models use it as their default: ``attrs.field(factory=AbsentList)``.
    """

    __slots__ = ()


def display(tp: Any) -> str:
    """A type as an error message names it: ``list[int]``."""
    args = get_args(tp)
    name = getattr(get_origin(tp) or tp, "__name__", repr(tp))
    return f"{name}[{', '.join(display(a) for a in args)}]" if args else name


def show(v: Any) -> str:
    """A value for an error message.

    Short, and never the content of an object or array: those may hold download URLs that carry
    login tokens. Never part of a string either: a secret cut short is no longer recognisable.
    """
    if isinstance(v, Mapping):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, tuple):
        # No JSON reads as one: "expected a JSON array, got an array" said nothing.
        return "a tuple"
    if isinstance(v, str):
        # Quoted as it came (no repr() escapes) and never cut, so that the redactor still
        # recognises a secret in it: a long or unprintable string is only described.
        if len(v) <= 38 and v.isprintable():
            return f"'{v}'"
        return f"a string of {len(v)} characters"
    if isinstance(v, (int, float, Decimal)) or v is None:
        r = str(v) if isinstance(v, Decimal) else repr(v)  # 1.50 as the server wrote it
        return r if len(r) <= 40 else f"a number of {len(r)} digits"
    return type(v).__name__


def union_args(t: Any) -> tuple[Any, ...]:
    """The members of a union type, or ``()``."""
    if isinstance(t, UnionType) or get_origin(t) is Union:
        return get_args(t)
    return ()


def optional_inner(t: Any) -> Any:
    """The X of ``X | None``, or None when ``t`` is not such a union."""
    args = union_args(t)
    if len(args) == 2 and NoneType in args:
        return args[0] if args[1] is NoneType else args[1]
    return None


def is_optional(t: Any) -> bool:
    """Whether ``t`` is ``X | None``."""
    return optional_inner(t) is not None


def is_int_or_str(t: Any) -> bool:
    """Whether ``t`` is ``int | str`` (or ``int | str | None``)."""
    return set(union_args(t)) in ({int, str}, {int, str, NoneType})


def is_list(t: Any) -> bool:
    """Whether ``t`` is ``list`` or ``list[X]``."""
    return t is list or get_origin(t) is list


def is_dict(t: Any) -> bool:
    """Whether ``t`` is ``dict`` or ``dict[K, V]``."""
    return t is dict or get_origin(t) is dict


def list_item(t: Any) -> Any:
    """The X of ``list[X]``, or None when ``t`` is not a parametrised list."""
    return get_args(t)[0] if is_list(t) and get_args(t) else None


def has_extra(t: Any) -> bool:
    """Whether ``t`` is a model keeping its unknown keys (an attrs class with ``extra``)."""
    return isinstance(t, type) and attrs.has(t) and EXTRA in attrs.fields_dict(t)


def json_keys(cls: type) -> dict[str, str]:
    """Attribute name to JSON key, for every field but ``extra``."""
    return {a.name: a.metadata.get(JSON_KEY, a.name) for a in attrs.fields(cls) if a.name != EXTRA}


def fast_path_fits(cls: type) -> bool:
    """Whether instances can skip ``__init__`` and every missing key means None (or [])."""
    setattr_, new = getattr(cls, "__setattr__", None), getattr(cls, "__new__", None)
    if setattr_ is not object.__setattr__ or new is not object.__new__:
        return False  # frozen, attrs on_setattr hooks, or a custom constructor
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return False
    for a in attrs.fields(cls):
        if a.validator is not None or a.converter is not None or not a.init:
            return False
        default = a.default
        factory = default.factory if isinstance(default, attrs.Factory) else None  # type: ignore[arg-type]
        if a.name == EXTRA:
            if factory is not dict:
                return False
        elif factory is not None:
            if not (is_list(a.type) and factory in (list, AbsentList)):
                return False
        elif default is not None or optional_inner(a.type) is None:
            return False
    return True
