"""Structure hooks of the REST models that cattrs' defaults do not give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_origin

from cattrs import Converter
from cattrs.gen import make_mapping_structure_fn

from omsclient._decoding import converter

__all__: list[str] = []


def _is_plain_dict(t: Any) -> bool:
    return t is dict or get_origin(t) is dict


def _structure_dict_factory(t: Any, conv: Converter) -> Callable[[Any, Any], Any]:
    base = make_mapping_structure_fn(t, conv)

    def structure_dict(value: Any, _: Any) -> Any:
        # PHP's json_encode writes an empty array as [], also where the field is an object
        # (an order item's ``properties``): read it as an empty dict, as model fields read it
        # as an empty object, instead of making the whole answer unreadable.
        if type(value) is list and not value:
            return {}
        return base(value, t)

    return structure_dict


# Registered like the enum and template_config hooks: on the converter of the decoding
# package's surface (the detailed twin that explains failed reads is private to it).
converter.register_structure_hook_factory(_is_plain_dict, _structure_dict_factory)
