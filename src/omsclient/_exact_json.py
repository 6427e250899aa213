"""JSON read and written with integers kept exact, for the exports and the product scan.

``orjson.loads`` turns an integer beyond 64 bits (``123456789012345678901234567891``,
``-9223372036854775809``) into a float, its last digits lost, and ``orjson.dumps`` refuses
such an integer. msgspec reads and writes every integer exactly at about orjson's cost for an
order. The product scan, an order's CSV cells, the Parquet conversion and the PostgreSQL
sync's cleaning of what jsonb refuses go further and read every decimal as its ``Decimal`` too
(:func:`loads_as_sent`): they write out again what they read, not the bytes as sent, so
``1.50`` must not become the double ``1.5``. The general
answer path (:func:`omsclient._responses.decode_json`, behind ``iterate_raw`` and ``raw=True``)
keeps orjson: msgspec costs a few per cent more CPU per order there (see docs/export.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import orjson

from omsclient._json_read import not_json

__all__ = ["dumps_exact", "loads_as_sent", "loads_exact"]

_DECODER = msgspec.json.Decoder()
_AS_SENT = msgspec.json.Decoder(float_hook=Decimal)
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def _float_or_decimal(text: str) -> float | Decimal:
    number = float(text)
    return number if math.isfinite(number) else Decimal(text)


def loads_exact(data: bytes | str) -> Any:
    """``data`` as Python values, every integer exact, a number past a double's range as its
    :class:`~decimal.Decimal`.

    Raises:
        ValueError: ``data`` is no JSON (``NaN`` neither).
        RecursionError: JSON nested too deep.
    """
    # A number past a double's range (1e400), which msgspec refuses, is read by the standard
    # library as its exact Decimal: written back as the number it is, not as orjson's null for
    # an infinity.
    return _read(_DECODER, _float_or_decimal, data)


def loads_as_sent(data: bytes | str) -> Any:
    """``data`` as Python values, every number as sent: an integer as its ``int`` (as an
    integer :class:`~decimal.Decimal` past the 4,300 digits ``int()`` reads), any other number
    as its :class:`~decimal.Decimal` (``1.50``, ``1e400`` and ``12345678901234567.89``
    alike), which :func:`dumps_exact` writes back as the same number.

    Raises:
        ValueError: ``data`` is no JSON (``NaN`` neither).
        RecursionError: JSON nested too deep.
    """
    return _read(_AS_SENT, Decimal, data, _int_as_sent)


def _int_as_sent(text: str) -> int | Decimal:
    try:
        return int(text)
    except ValueError:
        # Past the digits int() reads (4,300 by default), which msgspec refuses too: an
        # integer Decimal holds every one, and is written back as the same number.
        return Decimal(text)


def _read(
    decoder: msgspec.json.Decoder[Any],
    parse_float: Callable[[str], Any],
    data: bytes | str,
    parse_int: Callable[[str], Any] = int,
) -> Any:
    """``data`` read by ``decoder``, or else by the standard library (integers exact too), its
    decimals by ``parse_float``: msgspec refuses to read a lone surrogate (half of a UTF-16
    pair, escaped alone) and an integer of thousands of digits."""
    try:
        return decoder.decode(data)
    except msgspec.DecodeError:
        # As text: of bytes, json.loads would read UTF-16 and UTF-32 too, which every other
        # reading refuses (a UnicodeDecodeError is the ValueError of bytes that are no UTF-8).
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(
            text, parse_float=parse_float, parse_int=parse_int, parse_constant=not_json
        )


def dumps_exact(value: Any) -> bytes:
    """``value`` as compact JSON: orjson's bytes, or msgspec's for an integer beyond 64 bits
    or a ``Decimal`` (orjson refuses both; msgspec writes a ``Decimal`` as the number it
    holds, ``1.50`` as ``1.50``); a lone surrogate, which neither writes, as the escape it
    came in."""
    try:
        return orjson.dumps(value)
    except TypeError:
        try:
            return _ENCODER.encode(value)
        except (UnicodeEncodeError, RecursionError):
            # The only text UTF-8 cannot encode is a lone surrogate, which is inside a string
            # here: backslashreplace writes it as its JSON escape, \ud800. msgspec's writer
            # shares Python's stack, which a reader running higher up it did not.
            return _text_of(value).encode("utf-8", "backslashreplace")


def _text_of(value: Any) -> str:
    """``value`` as compact JSON text, each string by the standard library (which keeps a
    lone surrogate as the character), everything else by msgspec (exact numbers).

    Walked without recursion: a product nests as deep as its reader takes, past Python's
    stack.
    """
    parts: list[str] = []
    # What is left to write, last first: text as it is (True), or a value (False).
    pending: list[tuple[bool, Any]] = [(False, value)]
    while pending:
        is_text, item = pending.pop()
        if is_text:
            parts.append(item)
            continue
        if isinstance(item, dict):
            tokens: list[tuple[bool, Any]] = [(True, "{")]
            for n, (key, inner) in enumerate(item.items()):
                tokens += [(True, f"{',' if n else ''}{_scalar_text(key)}:"), (False, inner)]
            tokens.append((True, "}"))
        elif isinstance(item, list):
            tokens = [(True, "[")]
            for n, inner in enumerate(item):
                tokens += [(True, ","), (False, inner)] if n else [(False, inner)]
            tokens.append((True, "]"))
        else:
            parts.append(_scalar_text(item))
            continue
        pending += reversed(tokens)
    return "".join(parts)


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _ENCODER.encode(value).decode()
