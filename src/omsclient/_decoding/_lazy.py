"""Nested parts of a row model built when one of them is first read.

Most bulk jobs read an order's own fields and few of its nested parts, yet building every
line, shipment and contact of every order costs more than reading the page. On a model class
marked with :func:`lazy_parts`, the page decoder leaves the nested parts (each field holding a
model, or a list of models) as the mirrors it decoded: each of their slots holds the same
:class:`Deferred`. The first read of one builds that part alone and stores it in its slot
(reading an order's lines builds neither its shipments nor its contacts); the first read of
another builds all the rest, as a job reading two parts reads more. From then on reading a part
is a slot read through a property.

Nothing else changes: the page decoder runs every conversion that can fail (dates, loose values,
learned keys) before it hands out a page, storing the results in the mirrors, so building the
parts later only copies values and cannot fail; they are the same models, value for value, that
the page would have built at once. Equality, ``attrs.asdict``, ``evolve``, pickling and
unstructuring all read attributes, so they build the parts before they use them. A part set
before any was read is kept.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from types import MemberDescriptorType
from typing import Any, TypeVar

import attrs
import msgspec

from omsclient._compile import compile_function
from omsclient._decoding._types import has_extra, list_item, optional_inner
from omsclient._repr import MORE

__all__ = ["Deferred", "lazy_fields", "lazy_parts", "slot_alias"]

C = TypeVar("C", bound=type)

# Two threads reading a part of the same model for the first time must get the same object.
_BUILDING = threading.RLock()


def _unlock_in_child() -> None:
    # fork() copies only the thread calling it: a lock another thread held while building some
    # model's parts stays held in the child, whose first read of a part would wait for ever.
    # The parts that build had not stored yet are built by the child's first read of one.
    global _BUILDING
    _BUILDING = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_unlock_in_child)


class Deferred(msgspec.Struct, gc=False):
    """The nested parts of one model, not built yet: its prepared mirror; by the slot of each
    part, the function building that part into its slot if it still waits for this object;
    the function building every part still waiting; whether a part was built."""

    mirror: Any
    each: Mapping[Any, Callable[[Any, Deferred], None]]
    rest: Callable[[Any, Deferred], None]
    begun: bool = False

    def __repr__(self) -> str:
        # Not the mirror: its document URLs may carry the user's login key.
        return "Deferred(...)"

    def __rich_repr__(self) -> Iterator[Any]:  # type: ignore[override]  # rich takes any arg
        # Not msgspec's, which rich would print the mirror with.
        yield MORE


def slot_alias(name: str) -> str:
    """The class attribute under which :func:`lazy_parts` keeps the slot of part ``name``."""
    return f"_slot_{name}"


def _built(obj: Any, deferred: Deferred, slot: Any, alias: str) -> Any:
    """The part in ``slot`` of ``obj`` once ``deferred``'s build has stored it."""
    with _BUILDING:
        if getattr(obj, alias) is deferred:
            # A job reading an order's lines needs that part alone; one reading a second part
            # reads more, and building each part apart would cost a call and the lock for
            # every one.
            if deferred.begun:
                deferred.rest(obj, deferred)
            else:
                deferred.begun = True
                deferred.each[slot](obj, deferred)
    return getattr(obj, alias)


def _part_property(cls: type, name: str, slot: Any, alias: str) -> property:
    """The property of part ``name``: its getter, generated for the field, reads the slot by
    its name (``alias``) as any attribute, and builds the parts if it finds them waiting.

    A plain property, whose read Python runs in C (and from 3.12 inlines), where a descriptor
    class has its ``__get__`` looked up and called with three arguments: a built part costs
    0.6 of that to read.
    """
    get = f"get_{name}"
    getter = compile_function(
        get,
        cls,
        [
            f"def {get}(obj):",
            f"  value = obj.{alias}",
            "  if type(value) is not Deferred:",
            "    return value",
            f"  return built(obj, value, slot, {alias!r})",
        ],
        {"Deferred": Deferred, "built": _built, "slot": slot},
    )

    # A build in another thread stores each part it found unbuilt: a part set or deleted
    # meanwhile would be overwritten by it, so both wait for the build to end.
    def set_part(obj: Any, value: Any) -> None:
        with _BUILDING:
            slot.__set__(obj, value)

    def delete_part(obj: Any) -> None:
        with _BUILDING:
            slot.__delete__(obj)

    return property(getter, set_part, delete_part)


def lazy_parts(cls: C) -> C:
    """Let the page decoder build the nested parts of slotted attrs model ``cls`` when read.

    A nested part is a field holding a model that keeps its unknown keys, or a list of them.
    Its slot stays on the class under :func:`slot_alias` of its name too: the generated code
    reads and writes it there as any slot, which costs a fifth of calling the slot's own
    ``__get__`` or ``__set__``.
    """
    attrs.resolve_types(cls)
    for a in attrs.fields(cls):
        if has_extra(optional_inner(a.type)) or has_extra(list_item(a.type)):
            slot, alias = cls.__dict__.get(a.name), slot_alias(a.name)
            if not isinstance(slot, MemberDescriptorType):
                raise TypeError(f"{cls.__name__} is not a slotted class")
            if hasattr(cls, alias):
                raise TypeError(f"{cls.__name__} already has an attribute {alias!r}")
            setattr(cls, alias, slot)
            setattr(cls, a.name, _part_property(cls, a.name, slot, alias))
    return cls


def lazy_fields(cls: type) -> dict[str, Any]:
    """The fields of ``cls`` that :func:`lazy_parts` made lazy, and the slot of each."""
    names = vars(cls)
    return {
        name: names[slot_alias(name)]
        for name, v in names.items()
        if isinstance(v, property) and slot_alias(name) in names
    }
