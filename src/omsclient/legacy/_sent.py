"""Orders read as the bytes the server sent, for jobs that write them out as they are.

Writing an order to a JSON lines file needs no model and no dict: the order's own bytes are a
line already (compact JSON holds no line break). msgspec splits a page into each order's bytes
(``msgspec.Raw``, no copy) and reads each order's id and Date Ordered, which a stable scan
needs, skipping every other value without building it: a third of what reading the page into
dicts and writing each one out again costs, and nothing for the garbage collector to walk.

An order holding a line break (a pretty-printed answer) is compacted by msgspec, token by token
(numbers, integers beyond 64 bits included, keep their digits).
An answer the split does not take (no JSON, an error status, rows that are no list, bytes that
are no UTF-8, JSON nested too deep) goes the usual way, and each order is written out by orjson;
what is no JSON there is a :class:`~omsclient.DecodeError`.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

__all__ = ["SentAnswer", "SentOrder", "read_sent", "sent_orders"]


class SentOrder:
    """An order as the server sent it: its id, its Date Ordered and its JSON, byte for byte.

    Attributes:
        order_id: the ``order_id`` the server sent (a string or a number; None without one).
        date_ordered: the ``date_ordered`` the server sent, unparsed.
        json: the order's JSON object as the server sent it, compact, without a line break.
    """

    __slots__ = ("date_ordered", "json", "order_id")

    def __init__(self, order_id: Any, date_ordered: Any, json: bytes) -> None:
        self.order_id = order_id
        self.date_ordered = date_ordered
        self.json = json

    def __repr__(self) -> str:
        # The JSON may hold login keys in document URLs: never printed.
        return f"SentOrder(order_id={self.order_id!r}, {len(self.json)} bytes)"


class _Keys(msgspec.Struct, gc=False):
    order_id: Any = None
    date_ordered: Any = None


class SentAnswer(msgspec.Struct, gc=False):
    """A search answer split by :func:`read_sent`: its status and total as JSON, its rows."""

    response_status: Any = None
    total: Any = msgspec.UNSET
    orders: list[msgspec.Raw] | None = None


_ANSWER = msgspec.json.Decoder(SentAnswer)
_KEYS = msgspec.json.Decoder(_Keys)


def read_sent(content: bytes) -> tuple[SentAnswer, list[SentOrder]] | None:
    """The answer and its orders as sent, or None if ``content`` is no such answer."""
    try:
        # msgspec never reads the bytes of a Raw row: without this check, bytes that are no
        # UTF-8 anywhere in an order would go into SentOrder.json and on into an export. One
        # pass over the page (isascii is a fast scan; only other text is decoded) finds them.
        if not content.isascii():
            content.decode()
        answer = _ANSWER.decode(content)
        rows = answer.orders or []
        orders = []
        for raw in rows:
            keys = _KEYS.decode(raw)
            line = bytes(raw)
            if b"\n" in line or b"\r" in line:
                # Compacted token by token, nothing parsed into Python values: orjson.loads
                # would turn an integer beyond 64 bits into a float, its last digits lost.
                line = msgspec.json.format(line, indent=-1)
            orders.append(SentOrder(keys.order_id, keys.date_ordered, line))
    except (msgspec.DecodeError, ValueError, RecursionError):
        # ValueError: bytes that are no UTF-8 (UnicodeDecodeError) and orjson's JSONDecodeError;
        # msgspec raises RecursionError for JSON nested about a thousand deep. The usual way
        # then reads the answer and raises a DecodeError for any of them.
        return None
    return answer, orders


def sent_orders(rows: list[Any]) -> list[Any]:
    """The JSON objects of an answer read the usual way, as :class:`SentOrder` s.

    What is no object stays as it is, for the scan to refuse by its type.
    """
    return [
        SentOrder(row.get("order_id"), row.get("date_ordered"), orjson.dumps(row))
        if isinstance(row, dict)
        else row
        for row in rows
    ]
