"""The tables a sync writes: one row per order or product, typed columns beside the JSON.

``data`` holds the object exactly as the server sent it; the typed columns are copies of the
fields people filter and sort on, converted from whatever shape the server used (numbers as
strings, dates with fractions and offsets), ``NULL`` when absent or unreadable.

Orders come as sent (:class:`~omsclient.legacy._sent.SentOrder`): their bytes are ``data``
as they are, and msgspec reads only the typed columns' fields out of them, so no order is
built as a dict nor written out again. Products come as dicts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs
import msgspec
import orjson

from omsclient.legacy._scan_dates import epoch_second
from omsclient.legacy._sent import SentOrder

__all__ = ["ORDERS", "PRODUCTS", "STATE_TABLE", "Column", "Record", "Table"]

Row = dict[str, Any]
Record = tuple[Any, list[Any], str]
"""A row as stored: its key (None when it has none), its typed columns, its JSON text."""
STATE_TABLE = "omsclient_sync_state"
"""The sync-state table: one row per query (its watermark and an unfinished run's scan)."""


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, str):
        try:
            return _integer(int(value.strip()))
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return _integer(int(value))
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def _date(value: Any) -> datetime | None:
    second = epoch_second(value)
    if second is None:
        return None
    try:
        return datetime.fromtimestamp(second, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


@attrs.frozen
class Column:
    """A typed column: its name, its SQL types and how to read it from a row."""

    name: str
    sqlite_type: str
    postgres_type: str
    read: Callable[[Any], Any]


def _field(name: str, kind: str) -> Column:
    types = {
        "integer": ("INTEGER", "bigint", _integer),
        "number": ("REAL", "numeric", _number),
        "text": ("TEXT", "text", _text),
        "date": ("TEXT", "timestamptz", _date),
    }
    sqlite_type, postgres_type, read = types[kind]
    return Column(name, sqlite_type, postgres_type, read)


def _fields_decoder(table: Table) -> msgspec.json.Decoder[Any]:
    """Reads the columns' fields of a JSON object, skipping every other value unbuilt."""
    fields = [(column.name, Any, None) for column in table.columns]
    return msgspec.json.Decoder(msgspec.defstruct(f"{table.name}_fields", fields, gc=False))


@attrs.frozen
class Table:
    """A synced table: its name, its key column (named as the row field), typed columns."""

    name: str
    key: str
    key_sqlite_type: str
    key_postgres_type: str
    columns: tuple[Column, ...]
    _fields: msgspec.json.Decoder[Any] = attrs.field(
        init=False, repr=False, eq=False, default=attrs.Factory(_fields_decoder, takes_self=True)
    )

    def key_of(self, value: Any) -> Any:
        """The key a row's ``key`` field holds, or None when it holds none."""
        if value is None or value == "":
            return None
        return value if self.key_sqlite_type == "TEXT" else _integer(value)

    def values(self, row: Row) -> list[Any]:
        """The typed columns of ``row``, in ``columns`` order."""
        return [column.read(row.get(column.name)) for column in self.columns]

    def record(self, row: Row | SentOrder) -> Record:
        """The key, typed columns and JSON text of a row: a dict, or an order as sent."""
        if isinstance(row, SentOrder):
            try:
                fields = self._fields.decode(row.json)
                values = [column.read(getattr(fields, column.name)) for column in self.columns]
            except msgspec.MsgspecError:
                # A value msgspec refuses (a number past a double's range): Python's json
                # reads it as an infinity, which the column leaves NULL.
                values = self.values(json.loads(row.json))
            return self.key_of(row.order_id), values, row.json.decode()
        return self.key_of(row.get(self.key)), self.values(row), orjson.dumps(row).decode()

    @property
    def column_names(self) -> list[str]:
        """Every column, key first and ``data`` last."""
        return [self.key, *(c.name for c in self.columns), "data"]


ORDERS = Table(
    name="orders",
    key="order_id",
    key_sqlite_type="TEXT",
    key_postgres_type="text",
    columns=(
        _field("order_status", "integer"),
        _field("customer_id", "integer"),
        _field("job_name", "text"),
        _field("customer_po_number", "text"),
        _field("date_ordered", "date"),
        _field("date_modified", "date"),
        _field("date_production_files_ready", "date"),
        _field("date_produced", "date"),
        _field("date_shipped", "date"),
        _field("date_invoiced", "date"),
        _field("date_due", "date"),
        _field("billable_amount", "number"),
        _field("outstanding_balance", "number"),
        _field("item_amount", "number"),
        _field("shipping_amount", "number"),
        _field("tax_amount", "number"),
    ),
)

PRODUCTS = Table(
    name="products",
    key="product_id",
    key_sqlite_type="INTEGER",
    key_postgres_type="bigint",
    columns=(
        _field("product_code", "text"),
        _field("product_name", "text"),
        _field("supplier", "text"),
        _field("brand", "text"),
    ),
)
