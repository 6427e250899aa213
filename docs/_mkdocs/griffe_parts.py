"""Griffe extension for the API reference: show a part as the attribute it is on an instance.

A client's namespaces and resources are declared ``orders = Part(Orders)`` in their class's
body (see ``omsclient._parts``: the class shows them, for ``unittest.mock.create_autospec``),
and set in ``__init__``; a resource's ``with_raw_response`` is declared
``with_raw_response = View(lambda: OrdersWithRawResponse)``, made at each read. What a reader
uses is the instance's attribute: its entry shows ``orders: Orders`` and
``with_raw_response: OrdersWithRawResponse``, not the declaration.
"""

from __future__ import annotations

from typing import Any

import griffe


class PartsAsAttributes(griffe.Extension):
    """Give each ``Part(X)`` and ``View(lambda: X)`` attribute the type ``X`` and no value, as
    an instance attribute (griffe keeps the type when ``__init__`` assigns the attribute
    again)."""

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        value = attr.value
        if not isinstance(value, griffe.ExprCall):
            return
        function = str(value.function)
        if function == "Part":
            (attr.annotation,) = value.arguments
        elif function == "View":
            (made,) = value.arguments
            assert isinstance(made, griffe.ExprLambda), f"{attr.path}: View takes a lambda"
            attr.annotation = made.body
        else:
            return
        attr.value = None
        attr.labels.discard("class-attribute")
