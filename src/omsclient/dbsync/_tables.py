"""The tables a sync writes: one row per order or product, typed columns beside the JSON.

``data`` holds the object exactly as the server sent it; the typed columns are copies of the
fields people filter and sort on, converted from whatever shape the server used (numbers as
strings, dates with fractions and offsets), ``NULL`` when absent or unreadable.

Orders come as sent (:class:`~omsclient.legacy._sent.SentOrder`): their bytes are ``data``
as they are, and the typed columns' fields are those msgspec read with each order's id as its
page came (read again here only where it could not), so no order is built as a dict nor
written out again. Products come as dicts whose numbers were read as sent
(every integer exact, every other number as its ``Decimal``), written out by msgspec as the
same numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Literal

import attrs
import msgspec

from omsclient._compile import compile_function
from omsclient._decoding import INT_RANGE, converter
from omsclient._exact_json import dumps_exact
from omsclient._isoformat import fromisoformat
from omsclient._storable import storable
from omsclient._validate import INT64_MAX, INT64_MIN
from omsclient.legacy._scan_dates import (
    LAST_SECOND,
    epoch_second,
    model_second,
    second_of_datetime,
    wire_second,
)
from omsclient.legacy._sent import SentOrder

__all__ = [
    "KEY_BYTES",
    "ORDERS",
    "PRODUCTS",
    "STATE_KINDS",
    "STATE_TABLE",
    "Column",
    "Kind",
    "Record",
    "Table",
]

Row = dict[str, Any]
Record = tuple[Any, list[Any], bytes]
"""A row as stored: its key (None when it has none), its typed columns, its JSON (UTF-8)."""
STATE_TABLE = "omsclient_sync_state"
"""The sync-state table: one row per query (its watermark and an unfinished run's scan)."""
STATE_KINDS = {"query": "text", "kind": "text", "state": "json", "updated_at": "date"}
"""The sync-state table's columns, its key (``query``) first, and what each holds."""
KEY_BYTES = 2048
"""The longest text key (``order_id``) a row may have, in bytes of UTF-8 as stored.

PostgreSQL's btree on the key refuses an entry past 2,704 bytes, which an uncompressed text
of about 2,690 bytes fills (how far a longer one compresses depends on its characters), and
failed the whole batch naming no order. Below it with room to spare, and the same in SQLite,
which has no such limit, so that both databases hold the same rows (docs/sync.md).
"""


def _as_the_model_reads(tp: Any) -> Callable[[Any], Any]:
    """The reader of values of type ``tp`` the ``Order`` model uses: a column holds what the
    model holds ("5.0" a 5, "1_000" or "٣" nothing), None where the model refuses."""
    hook = converter.get_structure_hook(tp)

    def read(value: Any) -> Any:
        try:
            return hook(value, tp)
        except (TypeError, ValueError, OverflowError):
            return None

    return read


_model_int = _as_the_model_reads(int | None)
_model_float = _as_the_model_reads(float | None)
_model_str = _as_the_model_reads(str | None)


# What a column's reading (:data:`_INLINE`) leaves to the model's way: any value but the ones
# fields usually hold, which the reading takes in place.


def _integer(value: Any) -> int | None:
    number = _model_int(value)
    return number if number is None or INT64_MIN <= number <= INT64_MAX else None


def _number(value: Any) -> float | None:
    number = _model_float(value)
    return None if number is None else float(number) if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    # The same in both databases, so they hold the same rows (docs/sync.md).
    if type(value) is str:
        return storable(value)
    text = _model_str(value)
    return None if text is None else storable(text)


_FIRST_SECOND = second_of_datetime(datetime.min)
_UTC = timezone.utc
_SEPARATORS = ("--T::", "-- ::")


def _date_text(second: int) -> str:
    """A UTC epoch second (of years 1 to 9999) as ``YYYY-MM-DD HH:MM:SS``, the text SQLite's
    ``datetime(second, 'unixepoch')`` writes (and its date functions read)."""
    return wire_second(second).replace("T", " ")


def _date_by_second(value: Any) -> str | None:
    """A date column's value for what :data:`_INLINE`'s reading of a date leaves: the UTC
    second the model reads, as text."""
    # The model reads a date with spaces around it; so does the column.
    second = epoch_second(value.strip() if isinstance(value, str) else value)
    if second is None and value != "":
        # A shape the fast reader leaves ("20240105", which Python 3.11 reads): the model's.
        second = model_second(value)
    # An offset can carry a date past what the model holds (9999-12-31T23:59:59-01:00): it
    # refuses it, and so does the column.
    if second is None or not _FIRST_SECOND <= second <= LAST_SECOND:
        return None
    return _date_text(second)


# Each kind's reading of a field's value ``v`` into ``{c}``: the values fields usually hold
# inline, anything else by the kind's reader, the model's way. A table's row function inlines
# them for all its columns (one call a row, not one a column: 1.5-2 µs an order of a sync), and
# each column's own reader is made of the same lines.
_INLINE: dict[str, tuple[str, ...]] = {
    "integer": (
        f"{{c}} = v if type(v) is int and {INT64_MIN} <= v <= {INT64_MAX} or v is None "
        "else __integer(v)",
    ),
    # Between the infinities: a finite float (NaN is not between them either); an integer as
    # the model's hook takes it (INT_RANGE), as its float.
    "number": (
        "{c} = v if type(v) is float and -1e309 < v < 1e309 "
        f"else float(v) if type(v) is int and {INT_RANGE.start} <= v < {INT_RANGE.stop} "
        "else __number(v)",
    ),
    # ASCII without NUL is stored as it is (storable).
    "text": ("{c} = v if type(v) is str and v.isascii() and '\\x00' not in v else __text(v)",),
    # The spec's dates and the live server's (2016-02-01T00:00:00, 2024-10-09T02:24:39.000+00:00)
    # are UTC, or have no offset, which the model reads as UTC: once read as a date, their own
    # text up to the second is the column's, with no epoch second and back (about 0.7 of it).
    # The separators at 4, 7, 10, 13 and 16 are checked in one slice: Python also reads week
    # dates (2024-W01-1) and times without colons; and from 3.14 the hour 24 as the next day's
    # midnight, hour 0.
    "date": (
        "if type(v) is str and v[4:17:3] in __SEPARATORS:",
        "  try:",
        "    m = __fromisoformat(v)",
        "  except ValueError:",
        "    m = None",
        "  if m is not None and ((z := m.tzinfo) is None or z is __UTC) "
        "and (m.hour or v[11] == '0'):",
        # v[10], the separator, is "T" or a space, and no other "T" is before the seconds' end.
        "    {c} = v[:19].replace('T', ' ')",
        "  else:",
        "    {c} = __date_by_second(v)",
        "elif v is None:",
        "  {c} = None",
        "else:",
        "  {c} = __date_by_second(v)",
    ),
}
_INLINE_GLOBALS: dict[str, Any] = {
    "__integer": _integer,
    "__number": _number,
    "__text": _text,
    "__date_by_second": _date_by_second,
    "__SEPARATORS": _SEPARATORS,
    "__fromisoformat": fromisoformat,
    "__UTC": _UTC,
}


def _reading(kind: str, target: str) -> list[str]:
    """The lines reading ``v``, a value of a column of ``kind``, into ``target``."""
    return ["  " + line.format(c=target) for line in _INLINE[kind]]


def _reader(kind: str) -> Callable[[Any], Any]:
    """The reader of one value of a column of ``kind``, made of :data:`_INLINE`'s lines."""
    lines = [f"def read_{kind}(v):", *_reading(kind, "c"), "  return c"]
    return compile_function(f"read_{kind}", Column, lines, dict(_INLINE_GLOBALS))


Kind = Literal["integer", "number", "text", "date"]
"""What a column holds; each database names its own type for each kind."""


@attrs.frozen
class Column:
    """A typed column: its name, what it holds, and how to read it from a row."""

    name: str
    kind: Kind
    read: Callable[[Any], Any] = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(lambda self: _READERS[self.kind], takes_self=True),
    )


# A date's column is UTC text: SQLite's own form, which PostgreSQL reads as a timestamp at UTC.
_READERS: dict[str, Callable[[Any], Any]] = {kind: _reader(kind) for kind in _INLINE}


def _columns_function(table: Table) -> Callable[[Any], list[Any]]:
    """The function reading ``table``'s typed columns, in ``columns`` order, from the fields
    its ``fields`` decoder read of a row."""
    name = f"{table.name}_columns"
    lines = [f"def {name}(s):"]
    for n, column in enumerate(table.columns):
        lines += [f"  v = s.{column.name}", *_reading(column.kind, f"c{n}")]
    lines.append(f"  return [{', '.join(f'c{n}' for n in range(len(table.columns)))}]")
    return compile_function(name, Table, lines, dict(_INLINE_GLOBALS))


def _fields_decoder(table: Table) -> msgspec.json.Decoder[Any]:
    """Reads the key's and the columns' fields of a JSON object, skipping every other value
    unbuilt."""
    fields = [(name, Any, None) for name in table.column_names[:-1]]
    return msgspec.json.Decoder(msgspec.defstruct(f"{table.name}_fields", fields, gc=False))


@attrs.frozen
class Table:
    """A synced table: its name, its key column (named as the row field), typed columns."""

    name: str
    key: str
    key_kind: Kind
    columns: tuple[Column, ...]
    fields: msgspec.json.Decoder[Any] = attrs.field(
        init=False, repr=False, eq=False, default=attrs.Factory(_fields_decoder, takes_self=True)
    )
    """Reads the key's and the typed columns' fields of a row's JSON, skipping the rest: the
    orders' scan reads them with each order's id, in the pass that reads its page."""
    columns_of: Callable[[Any], list[Any]] = attrs.field(
        init=False, repr=False, eq=False, default=attrs.Factory(_columns_function, takes_self=True)
    )
    """The typed columns of what ``fields`` read of a row, in ``columns`` order."""

    def key_of(self, value: Any) -> Any:
        """The key a row's ``key`` field holds, or None when it holds none: read as the model
        reads it (a numeric ``order_id`` is its text, so SQLite finds it again), NUL written
        as in every text column (:func:`storable`)."""
        if value is None or value == "":
            return None
        key = _READERS[self.key_kind](value)
        return (key or None) if self.key_kind == "text" else key

    def values(self, row: Row) -> list[Any]:
        """The typed columns of ``row``, in ``columns`` order."""
        return [column.read(row.get(column.name)) for column in self.columns]

    def record(self, row: Row | SentOrder) -> Record:
        """The key, typed columns and JSON of a row: a dict (a product, read exactly by its
        scan), or an order as sent (its bytes, which SQLite takes as they are)."""
        if isinstance(row, SentOrder):
            try:
                fields = row._read
                if type(fields) is not self.fields.type:  # not read with the page
                    fields = self.fields.decode(row.json)
                values = self.columns_of(fields)
            except msgspec.MsgspecError:
                # A value msgspec refuses (a number past a double's range): Python's json
                # reads it as an infinity, which the column leaves NULL.
                values = self.values(json.loads(row.json))
            return self.key_of(row.order_id), values, row.json
        return self.key_of(row.get(self.key)), self.values(row), dumps_exact(row)

    @property
    def indexed(self) -> tuple[Column, ...]:
        """The columns each database indexes: the dates and ``order_status``."""
        return tuple(
            c for c in self.columns if c.name.startswith("date_") or c.name == "order_status"
        )

    @property
    def kinds(self) -> dict[str, str]:
        """What each column holds, the key first and ``data`` (``"json"``) last."""
        return {self.key: self.key_kind, **{c.name: c.kind for c in self.columns}, "data": "json"}

    @property
    def column_names(self) -> list[str]:
        """Every column, key first and ``data`` last."""
        return [self.key, *(c.name for c in self.columns), "data"]


ORDERS = Table(
    name="orders",
    key="order_id",
    key_kind="text",
    columns=(
        Column("order_status", "integer"),
        Column("customer_id", "integer"),
        Column("job_name", "text"),
        Column("customer_po_number", "text"),
        Column("date_ordered", "date"),
        Column("date_modified", "date"),
        Column("date_production_files_ready", "date"),
        Column("date_produced", "date"),
        Column("date_shipped", "date"),
        Column("date_invoiced", "date"),
        Column("date_due", "date"),
        Column("billable_amount", "number"),
        Column("outstanding_balance", "number"),
        Column("item_amount", "number"),
        Column("shipping_amount", "number"),
        Column("tax_amount", "number"),
    ),
)

PRODUCTS = Table(
    name="products",
    key="product_id",
    key_kind="integer",
    columns=(
        Column("product_code", "text"),
        Column("product_name", "text"),
        Column("supplier", "text"),
        Column("brand", "text"),
    ),
)
