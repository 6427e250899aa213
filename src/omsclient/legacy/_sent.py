"""Orders read as the bytes the server sent, for jobs that write them out as they are.

Writing an order to a JSON lines file needs no model and no dict: the order's own bytes are a
line already (compact JSON holds no line break). msgspec reads each order's id and Date
Ordered, which a stable scan needs, skipping every other value without building it
(:func:`skim_sent`, as the page comes), and splits the page into the bytes of the orders the
scan keeps (``msgspec.Raw``; :func:`sent_at`, once the scan's next request is out): a third of
what reading the page into dicts and writing each one out again costs, and nothing for the
garbage collector to walk.

An order holding a line break (a pretty-printed answer) is compacted token by token, nothing
read into Python values (numbers, integers beyond 64 bits included, keep their digits).
An answer the skim does not take is split as it comes (:func:`read_sent`: a lone surrogate, an
object of indexes, a number past a double's range in a field read); one the split does not take
either (no JSON, an error status, rows that are no list nor an object of indexes, bytes that
are no UTF-8, JSON nested too deep) goes the usual way, and each order is written out again by
the standard library's json; what is no JSON there is a :class:`~omsclient.DecodeError`.

A user's login key the server sent though it was asked to leave it out (``skip_login_token``)
is replaced by ``[REDACTED]`` (:func:`without_login_keys`): it is a credential, and these bytes
go into export files and databases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import attrs
import msgspec

from omsclient._decoding import php_list, show
from omsclient._exact_json import dumps_exact, loads_as_sent
from omsclient._json_copy import copy_texts
from omsclient._json_read import check_utf8
from omsclient._redact import without_login_key, without_login_keys_in_bytes
from omsclient._storable import holds_escape, surrogates_readable

__all__ = [
    "KEYS",
    "SentAnswer",
    "SentFields",
    "SentOrder",
    "Skimmed",
    "SkimmedAnswer",
    "read_sent",
    "sent_at",
    "sent_orders",
    "skim_sent",
    "without_login_keys",
    "written",
]

R = TypeVar("R")


class SentOrder:
    """An order as the server sent it: its id, its Date Ordered and its JSON, byte for byte.

    Attributes:
        order_id: the ``order_id`` the server sent (a string or a number; None without one).
        date_ordered: the ``date_ordered`` the server sent, unparsed.
    """

    __slots__ = ("_json", "_read", "date_ordered", "order_id")

    def __init__(self, order_id: Any, date_ordered: Any, json: bytes) -> None:
        # Whatever the server sent, typed as such rather than Any: a caller's checker then asks
        # for the case of a number, or of none, that a live order_id may be.
        self.order_id: object = order_id
        self.date_ordered: object = date_ordered
        self._json = json
        # What the page's split read of the JSON when asked for more fields than the id and
        # Date Ordered (:func:`read_sent`), for its caller; None otherwise, and once the JSON
        # changed (a login key redacted).
        self._read: Any = None

    @property
    def json(self) -> bytes:
        """The order's JSON object as the server sent it, compact, without a line break."""
        return self._json

    @json.setter
    def json(self, json: bytes) -> None:
        self._json, self._read = json, None

    def __eq__(self, other: object) -> bool:
        """Whether ``other`` is the same order sent the same way: its id, Date Ordered and
        bytes (as ``raw=True``'s dicts compare by value). Mutable, so not hashable."""
        if not isinstance(other, SentOrder):
            return NotImplemented
        return (self.order_id, self.date_ordered, self._json) == (
            other.order_id,
            other.date_ordered,
            other._json,
        )

    def __repr__(self) -> str:
        # The JSON may hold login keys in document URLs: never printed. So may the id, where a
        # server put a document link (redacted as a model's repr redacts it).
        order_id = without_login_key(repr(self.order_id))
        return f"SentOrder(order_id={order_id}, {len(self.json)} bytes)"


class _Keys(msgspec.Struct, gc=False):
    order_id: Any = None
    date_ordered: Any = None


class SentAnswer(msgspec.Struct, gc=False):
    """A search answer split by :func:`read_sent`: its status and total as JSON, its rows."""

    response_status: Any = None
    total: Any = msgspec.UNSET
    orders: list[msgspec.Raw] | dict[str, msgspec.Raw] | None = None


class SkimmedAnswer(msgspec.Struct, Generic[R], gc=False):
    """A search answer read by :func:`skim_sent`: its status and total as JSON, and of each
    order the fields a :class:`SentFields` reads, its bytes not split out yet."""

    response_status: Any = None
    total: Any = msgspec.UNSET
    orders: list[R] | None = None


_ANSWER = msgspec.json.Decoder(SentAnswer)
KEYS: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_Keys)
"""Reads an order's id and Date Ordered, every other value skipped: what a scan needs."""


class SentFields:
    """What a scan with ``raw="sent"`` reads of each order besides its bytes: ``keys`` reads
    them from one order (:func:`read_sent`), ``page`` from every order of a page at once
    (:func:`skim_sent`)."""

    __slots__ = ("keys", "page")

    def __init__(self, keys: msgspec.json.Decoder[Any] = KEYS) -> None:
        self.keys = keys
        self.page: msgspec.json.Decoder[SkimmedAnswer[Any]] = msgspec.json.Decoder(
            SkimmedAnswer[keys.type]  # type: ignore[name-defined]
        )


def skim_sent(content: bytes, fields: SentFields) -> SkimmedAnswer[Any] | None:
    """The answer ``content`` with each order's fields read and its bytes left where they are
    (:func:`sent_at` splits those kept), or None where :func:`read_sent` must read it: no JSON,
    no UTF-8, rows that are no list of objects, a lone surrogate or a number past a double's
    range in a field read.

    A scan's next request goes out before it splits the page: the split (0.54 ms of a sample
    page's 0.92 with the skim, login keys redacted) held back each window's round trip.
    """
    try:
        check_utf8(content)  # msgspec never reads the values it skips
        return fields.page.decode(content)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return None


@attrs.frozen
class Skimmed:
    """An answer :func:`skim_sent` read, its bytes, and whether the login keys its orders may
    hold are to be redacted when they are split out."""

    # The orders' ids may hold a document link's login key: neither is printed.
    answer: SkimmedAnswer[Any] = attrs.field(repr=False)
    content: bytes = attrs.field(repr=False)
    keys_left_out: bool


def sent_at(
    content: bytes, rows: list[Any], positions: Sequence[int], *, keys_left_out: bool
) -> list[SentOrder]:
    """The orders at ``positions`` of answer ``content``, whose fields :func:`skim_sent` read
    (``rows``), each as the bytes the server sent: their login keys redacted where the request
    asked for none (``keys_left_out``)."""
    split = _ANSWER.decode(content).orders
    # The bytes the skim read: the same rows, in a list.
    assert isinstance(split, list)
    assert len(split) == len(rows)
    orders = [_sent_order(bytes(split[i]), rows[i]) for i in positions]
    return without_login_keys(orders) if keys_left_out else orders


def read_sent(
    content: bytes, keys: msgspec.json.Decoder[Any] = KEYS
) -> tuple[SentAnswer, list[SentOrder]] | None:
    """The answer and its orders as sent, or None if ``content`` is no such answer.

    ``keys`` reads each order's ``order_id`` and ``date_ordered`` in the pass that splits it
    from the page: a decoder of more fields (``omsclient.dbsync``'s, its typed columns) has
    them read in the same pass, kept with the order for the caller (None where one of them
    holds a number msgspec refuses, past a double's range: read again the caller's way).
    """
    try:
        # Without this check, bytes that are no UTF-8 anywhere in an order would go into
        # SentOrder.json and on into an export.
        check_utf8(content)
        try:
            return _split(content, content, keys)
        except msgspec.DecodeError:
            # msgspec refuses a lone surrogate (\ud800 without its other half), which JSON
            # allows: split where each surrogate escape is another of the same length.
            readable = surrogates_readable(content)
            if readable == content:
                raise
            return _split(readable, content, keys)
    except (msgspec.DecodeError, ValueError, RecursionError):
        # ValueError: bytes that are no UTF-8 (UnicodeDecodeError) and orjson's JSONDecodeError;
        # msgspec raises RecursionError for JSON nested about a thousand deep. The usual way
        # then reads the answer and raises a DecodeError for any of them.
        return None


def _split(
    readable: bytes, content: bytes, keys: msgspec.json.Decoder[Any]
) -> tuple[SentAnswer, list[SentOrder]]:
    """The answer ``content`` split into its orders where ``readable``, the same JSON but for
    its surrogate escapes, is read: each order's bytes are those of ``content``."""
    answer = _ANSWER.decode(readable)
    # An array PHP wrote as an object of its indexes (orders filtered out on the server) is
    # read in the order sent. An object of other keys is no rows: the usual way refuses it.
    rows = php_list(answer.orders or [])
    if not isinstance(rows, list):
        raise ValueError("the orders are an object of other keys than indexes")
    orders = []
    end = 0
    for raw in rows:
        line = bytes(raw)
        try:
            read = keys.decode(raw)
        except msgspec.DecodeError:
            if keys is KEYS:
                raise
            read = KEYS.decode(raw)  # a field asked for holds 1e400: the caller reads it again
        if readable is not content:
            # The orders follow one another: the next copy of these bytes is this order's.
            start = readable.index(line, end)
            end = start + len(line)
            if content[start:end] != line:
                line = content[start:end]
                # The standard library reads lone surrogates, and only the id and date are kept.
                sent = json.loads(line)
                read = _Keys(sent.get("order_id"), sent.get("date_ordered"))
        orders.append(_sent_order(line, read))
    return answer, orders


# A byte looked for as its value: ``b"=" in data`` first tries the needle as an integer and
# formats the TypeError it gets before it searches (0.22 µs for a 6 KB order, against 0.06 for
# ``_EQUALS in data``, memchr alone), six times an order read as sent.
_NEWLINE, _RETURN, _EQUALS, _PERCENT, _AMPERSAND = b"\n\r=%&"
_BACKSLASH = ord("\\")


def _sent_order(line: bytes, read: Any) -> SentOrder:
    """The order sent as ``line``, of which ``read`` holds the fields read."""
    if _NEWLINE in line or _RETURN in line:
        line = _compact(line)
    order = SentOrder(read.order_id, read.date_ordered, line)
    if type(read) is not _Keys:
        order._read = read
    return order


_SPACE = re.compile(rb"[ \t\r\n]+")


def _compact(line: bytes) -> bytes:
    """A pretty-printed order's JSON without its whitespace, token by token: nothing parsed
    into Python values, where orjson would turn an integer beyond 64 bits into a float."""
    try:
        return msgspec.json.format(line, indent=-1)
    except msgspec.DecodeError:
        pass
    # A lone surrogate, which msgspec refuses: the whitespace between the strings goes, each
    # string found by its quotes (bytes.find, at C speed over a string of megabytes).
    out, start, end = [], 0, len(line)
    while start < end:
        opening = line.find(b'"', start)
        if opening < 0:
            opening = end
        out.append(_SPACE.sub(b"", line[start:opening]))
        closing = opening
        while closing < end:
            closing = line.find(b'"', closing + 1)
            if closing < 0:
                closing = end
                break
            before = closing - 1  # the backslashes right before it (the string's quote stops them)
            while line[before] == _BACKSLASH:
                before -= 1
            if (closing - 1 - before) % 2 == 0:  # not an escaped quote
                break
        out.append(line[opening : closing + 1])
        start = closing + 1
    return b"".join(out)


def without_login_keys(rows: list[Any]) -> list[Any]:
    """``rows`` with the login key of each document link in a :class:`SentOrder` replaced by
    ``[REDACTED]``, for a server that sent the keys it was asked to leave out.

    Each order on its own, wherever its links are: a page's first order with keyless PDF links
    (a CDN's) said nothing of the keys in its lines' file links, nor of the next order's. An
    order holding no ``=``, ``%`` or ``&`` holds no key, found at ``memchr``'s speed (0.06 µs
    each for the spec's 6 KB sample, where the key's pattern takes 2), unless it escapes an
    ASCII character other than ``&`` (``\\u003d`` for ``=``), which live servers do not: such
    an order is read with its escapes decoded, and written anew if it holds a key.
    """
    for row in rows:
        if isinstance(row, SentOrder):
            json = row.json
            # "=" or its escapes ("%3D", "&#61;"), each at memchr's speed.
            if _EQUALS in json or _PERCENT in json or _AMPERSAND in json:
                row.json = without_login_keys_in_bytes(json)
            if holds_escape(_ASCII_ESCAPE, row.json):
                row.json = _escaped_keys_redacted(row.json)
    return rows


# An escape of an ASCII character but "&" (which the key's pattern reads escaped): live servers
# write none, and one may hide a key from the pattern ("key\u003d..."), which the CSV and
# Parquet writers, and any reader of the file, would then decode.
_ASCII_ESCAPE = re.compile(rb"\\u00(?!26)[0-7][0-9a-fA-F]")


def _escaped_keys_redacted(data: bytes) -> bytes:
    """``data`` with each login key its text holds redacted, read with its escapes decoded:
    written anew (its other escapes decoded too) only where one was found."""
    try:
        value = loads_as_sent(data)
    except (ValueError, RecursionError):
        return data  # refused later, as it would be without keys
    redacted = copy_texts(value, without_login_key)
    return data if redacted == value else dumps_exact(redacted)


def sent_orders(rows: list[Any]) -> list[Any]:
    """The JSON objects of an answer read the usual way, as :class:`SentOrder` s.

    What is no object stays as it is, for the scan to refuse by its type.

    Raises:
        ValueError: an order holds a number past a double's range, or nests deeper than the
            standard library writes, naming its ``order_id``.
    """
    return [_sent(row) if isinstance(row, dict) else row for row in rows]


def _sent(row: dict[str, Any]) -> SentOrder:
    try:
        return SentOrder(row.get("order_id"), row.get("date_ordered"), written(row))
    except ValueError:
        problem = "holding a number past a double's range"
    except RecursionError:
        problem = "nested too deep"
    raise ValueError(
        f"an order (order_id {show(row.get('order_id'))}) {problem} on a page that could not "
        "be read as sent: it cannot be written as sent"
    )


def written(row: dict[str, Any]) -> bytes:
    """``row``, a JSON object read the usual way, as compact JSON, by the standard library:
    orjson writes an infinity (the usual way reads a number past a double's range, 1e400, as
    one) as null, and refuses a lone surrogate, which is written as the escape it came in.

    Raises:
        ValueError: ``row`` holds an infinity, which no JSON holds.
    """
    try:
        return json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except UnicodeEncodeError:
        return json.dumps(row, separators=(",", ":"), allow_nan=False).encode()
