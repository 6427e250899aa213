"""Decoding: answers' bytes to models, and models back to JSON.

The rest of the SDK calls only this surface:

* :class:`PageDecoder` reads a search answer into a :class:`ParsedAnswer` (``parse``: the fast
  path, msgspec mirrors; ``read_json``: the tolerant path, for what the fast one refuses) and
  builds its models (``models``: the fast path, falling back to the tolerant one by itself).
* ``structure`` / ``structure_many`` / ``unstructure`` and ``converter``: the tolerant cattrs
  converter, for single answers and for writing models back; ``register_hooks`` adds the
  hooks of a type defined elsewhere; ``php_list``, an array PHP wrote as an object of its
  indexes, as the array.
* ``show``: a value as error messages quote it (never an object's content, never part of a
  string).

Inside, one module per job: ``_types`` reads model classes and field types, ``_scalars`` holds
the tolerant scalar hooks, ``_codegen`` generates every function (the converter's and the page
decoder's), ``_converter`` configures cattrs, ``_answers`` reads search answers.
"""

from omsclient._decoding._answers import PageDecoder, ParsedAnswer
from omsclient._decoding._converter import (
    converter,
    php_list,
    register_hooks,
    structure,
    structure_many,
    unstructure,
)
from omsclient._decoding._lazy import lazy_parts
from omsclient._decoding._scalars import INT_RANGE, coerce_str
from omsclient._decoding._types import ABSENT, AbsentList, show

__all__ = [
    "ABSENT",
    "INT_RANGE",
    "AbsentList",
    "PageDecoder",
    "ParsedAnswer",
    "coerce_str",
    "converter",
    "lazy_parts",
    "php_list",
    "register_hooks",
    "show",
    "structure",
    "structure_many",
    "unstructure",
]
