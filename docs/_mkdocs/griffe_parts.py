"""Griffe extension for the API reference: show a part as the attribute it is on an instance.

A client's namespaces and resources are declared ``orders = Part(Orders)`` in their class's
body (see ``omsclient._parts``: the class shows them, for ``unittest.mock.create_autospec``),
and set in ``__init__``. What a reader uses is the instance's attribute: its entry shows
``orders: Orders``, not ``orders = Part(Orders)``.
"""

from __future__ import annotations

from typing import Any

import griffe


class PartsAsAttributes(griffe.Extension):
    """Give each ``Part(X)`` attribute the type ``X`` and no value, as an instance attribute
    (griffe keeps the type when ``__init__`` assigns the attribute again)."""

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        value = attr.value
        if isinstance(value, griffe.ExprCall) and str(value.function) == "Part":
            (attr.annotation,) = value.arguments
            attr.value = None
            attr.labels.discard("class-attribute")
