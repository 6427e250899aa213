"""The contenders' models, generated from omsclient's legacy models so they match field for field.

* naive: attrs classes with every field ``X | None = None`` and cattrs' default ``Converter``
  (detailed validation on), plus the one hook such code needs, ``datetime.fromisoformat``;
  unknown keys are dropped.
* pydantic v2: models with the same optional fields, lax mode (its default: numeric strings
  become numbers) and ``extra="allow"``, so unknown keys are kept as ours are.
* msgspec: ``Struct`` s with the same optional fields (default options; ``gc=False`` is an extra
  row), which ignore unknown keys.

Dates: all three read the two documented shapes; only omsclient makes them UTC-aware.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

import attrs
import cattrs
import msgspec
import pydantic
from cattrs.gen import make_dict_structure_fn, override

from omsclient._decoding._lazy import lazy_fields
from omsclient._decoding._types import is_list as _is_list
from omsclient._decoding._types import optional_inner as _optional_inner
from omsclient.legacy.models import Order

_JSON_KEY = "json_key"


def _fields(cls: type) -> list[tuple[str, str, Any, type | None, bool]]:
    """(name, JSON key, scalar type, nested model, is a list) for every field but ``extra``."""
    attrs.resolve_types(cls)
    out = []
    for a in attrs.fields(cls):
        if a.name == "extra":
            continue
        key = a.metadata.get(_JSON_KEY, a.name)
        if _is_list(a.type):
            elem = get_args(a.type)[0]
            # A list of scalars (say, list[str]) has no nested model to mirror.
            nested = elem if attrs.has(elem) else None
            out.append((a.name, key, None if nested else elem, nested, True))
        else:
            inner = _optional_inner(a.type)
            nested = inner if attrs.has(inner) else None
            out.append((a.name, key, None if nested else inner, nested, False))
    return out


# --- naive: attrs + cattrs' default Converter --------------------------------------------------


def naive_models() -> tuple[cattrs.Converter, type]:
    """A default ``cattrs.Converter`` and the all-Optional attrs mirror of ``Order``."""
    conv = cattrs.Converter()
    conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
    made: dict[type, type] = {}

    def make(cls: type) -> type:
        if cls in made:
            return made[cls]
        spec: dict[str, Any] = {}
        renames: dict[str, Any] = {}
        for name, key, scalar, nested, is_list in _fields(cls):
            tp: Any = scalar if nested is None else make(nested)
            if is_list:
                tp = list[tp]
            spec[name] = attrs.field(default=None, type=tp | None)
            if key != name:
                renames[name] = override(rename=key)
        new = attrs.make_class(f"Naive{cls.__name__}", spec, kw_only=True)
        if renames:
            conv.register_structure_hook(new, make_dict_structure_fn(new, conv, **renames))
        made[cls] = new
        return new

    return conv, make(Order)


# --- pydantic v2 ------------------------------------------------------------------------------


def pydantic_page() -> type[pydantic.BaseModel]:
    """A pydantic model of a whole ``find`` answer, its orders mirroring ``Order``."""
    made: dict[type, type[pydantic.BaseModel]] = {}
    config = pydantic.ConfigDict(extra="allow", populate_by_name=True)

    def make(cls: type) -> type[pydantic.BaseModel]:
        if cls in made:
            return made[cls]
        spec: dict[str, Any] = {}
        for name, key, scalar, nested, is_list in _fields(cls):
            tp: Any = scalar if nested is None else make(nested)
            if is_list:
                tp = list[tp]
            alias = key if key != name else None
            spec[name] = (tp | None, pydantic.Field(default=None, alias=alias))
        model: type[pydantic.BaseModel] = pydantic.create_model(
            f"P{cls.__name__}", __config__=config, **spec
        )
        made[cls] = model
        return model

    order: Any = make(Order)
    page: type[pydantic.BaseModel] = pydantic.create_model(
        "PPage",
        response_status=(dict[str, Any] | None, None),
        total=(int | None, None),
        orders=(list[order] | None, None),
    )
    return page


# --- msgspec ----------------------------------------------------------------------------------


def msgspec_page(gc: bool = True) -> type[msgspec.Struct]:
    """A msgspec ``Struct`` of a whole ``find`` answer, its orders mirroring ``Order``."""
    made: dict[type, type[msgspec.Struct]] = {}

    def make(cls: type) -> type[msgspec.Struct]:
        if cls in made:
            return made[cls]
        spec: list[tuple[str, Any, Any]] = []
        for name, key, scalar, nested, is_list in _fields(cls):
            tp: Any = scalar if nested is None else make(nested)
            if is_list:
                tp = list[tp]
            default = None if key == name else msgspec.field(default=None, name=key)
            spec.append((name, tp | None, default))
        made[cls] = msgspec.defstruct(f"M{cls.__name__}", spec, kw_only=True, gc=gc)
        return made[cls]

    order: Any = make(Order)
    return msgspec.defstruct(
        "MPage",
        [
            ("response_status", dict[str, Any] | None, None),
            ("total", int | None, None),
            ("orders", list[order] | None, None),
        ],
        gc=gc,
    )


ORDER_PARTS = tuple(lazy_fields(Order))
"""An order's nested parts, which a decoded order builds when read (the first alone, the rest
with the second)."""


def read_every_part(order: Any) -> int:
    """Read each of ``order``'s nested parts, building every one: the models' whole work, as a
    dict of the order holds everything; the number of its lines."""
    for name in ORDER_PARTS:
        getattr(order, name)
    return len(order.order_lines)
