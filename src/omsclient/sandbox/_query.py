"""Search conditions, sorting and paging of the legacy ``find`` endpoints."""

from __future__ import annotations

import itertools
import operator
import random
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any, Literal

import attrs

from . import _dates
from ._errors import BAD_CONDITION, BAD_PAGING, NO_CONDITIONS, LegacyError, invalid

Kind = Literal["date", "number", "invoice", "string"]
Predicate = Callable[[Any], bool]
SortKey = Callable[[Any], tuple[Any, ...]]

# ASCII digits only: \d also matches "²" or "٣", which int() refuses or reads as a number the
# PHP server would not; at most 18, so int() never meets the 4,300 digits it refuses either.
_MULTI = re.compile(r"conditions\[([0-9]{1,18})\]\[(\w+)\]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
INT64_MAX = 2**63 - 1
EQ, NE, LT, GT, LE, GE, BETWEEN = range(1, 8)
_OPS: dict[int, Callable[[Any, Any], bool]] = {
    EQ: operator.eq,
    NE: operator.ne,
    LT: operator.lt,
    GT: operator.gt,
    LE: operator.le,
    GE: operator.ge,
}
MAX_LIMIT = 100


@attrs.frozen
class Field:
    """A searchable/sortable field: its number, the record attribute and how to compare."""

    number: int
    name: str
    attr: str
    kind: Kind


def _order_fields(shipped: int, invoiced: int) -> dict[int, Field]:
    fields = [
        Field(1, "Date Ordered", "date_ordered", "date"),
        Field(2, "Date Production Files Ready", "date_production_files_ready", "date"),
        Field(3, "Invoice Number", "number", "invoice"),
        Field(4, "Order Status", "status", "number"),
        Field(5, "Date Due", "date_due", "date"),
        Field(shipped, "Date Shipped", "date_shipped", "date"),
        Field(invoiced, "Date Invoiced", "date_invoiced", "date"),
        Field(8, "Date Modified", "date_modified", "date"),
    ]
    return {f.number: f for f in fields}


ORDER_FIELDS = {"api": _order_fields(6, 7), "blueprint": _order_fields(7, 6)}
PRODUCT_FIELDS = {
    f.number: f
    for f in (
        # None for a product sent without product_code: the code it has no key for is hidden.
        Field(1, "Product Code", "product_code", "string"),
        Field(2, "Product Name", "name", "string"),
        Field(3, "Supplier", "supplier", "string"),
        Field(4, "Product Id", "id", "number"),
        Field(5, "Date Modified", "date_modified", "date"),
    )
}
PRODUCT_SORT_FIELDS = {**PRODUCT_FIELDS, 6: Field(6, "Sort Position", "sort_position", "number")}


@attrs.frozen
class Condition:
    """One parsed condition; ``value``/``value2`` are epoch seconds, ints or casefolded text."""

    field: Field
    op: int
    value: int | str
    value2: int | None = None

    def predicate(self) -> Predicate:
        """A function telling whether a record matches; a null date never matches."""
        get = operator.attrgetter(self.field.attr)
        value = self.value
        if self.op == BETWEEN:
            low, high = value, self.value2

            def between(record: Any) -> bool:
                v = get(record)
                return v is not None and low <= v <= high

            return between
        test = _OPS[self.op]
        if self.field.kind == "string":
            return lambda record: (v := get(record)) is not None and test(v.casefold(), value)
        return lambda record: (v := get(record)) is not None and test(v, value)


def integer(text: str) -> int | None:
    """``text`` as an integer of 64 bits (the server's), or None."""
    text = text.strip()
    # Past 19 digits no 64-bit integer: not converted, as int() refuses 4,300 digits.
    if not _INTEGER.fullmatch(text) or len(text.lstrip("+-0")) > 19:
        return None
    value = int(text)
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else None


def _parse_one(
    number: int, raw: Mapping[str, str], fields: Mapping[int, Field], zone: tzinfo | None
) -> Condition:
    field_text, op_text = raw.get("field", "").strip(), raw.get("condition", "").strip()
    if not field_text:
        raise LegacyError(BAD_CONDITION, f"Condition {number} 'field' is missing")
    if not op_text:
        raise LegacyError(BAD_CONDITION, f"Condition {number} 'condition' is missing")
    field_no, op = integer(field_text), integer(op_text)
    if field_no not in fields or field_no is None:
        raise invalid(f"condition {number} has an unknown field {field_text!r}")
    if op is None or not 1 <= op <= BETWEEN:
        raise invalid(f"condition {number} has an unknown condition {op_text!r}")
    field = fields[field_no]
    if field.kind == "date":
        date1 = _dates.parse(raw.get("date1", ""), zone)
        if date1 is None:
            raise LegacyError(BAD_CONDITION, "date1 is invalid")
        date2 = None
        if op == BETWEEN:
            date2 = _dates.parse(raw.get("date2", ""), zone)
            if date2 is None:
                raise LegacyError(BAD_CONDITION, "date2 is invalid")
        return Condition(field, op, date1, date2)
    if op == BETWEEN:
        raise invalid(f"condition {number}: Between needs a date field")
    text = raw.get("string")
    if text is None:
        raise invalid(f"condition {number}: 'string' is missing")
    if field.kind == "string":
        return Condition(field, op, text.casefold())
    if field.kind == "invoice":
        digits = _DIGITS.findall(text)
        invoice = integer(digits[-1]) if digits else None
        if invoice is None:
            raise invalid(f"condition {number}: {text!r} is not an invoice number")
        return Condition(field, op, invoice)
    value = integer(text)
    if value is None:
        raise invalid(f"condition {number}: {text!r} is not a number")
    return Condition(field, op, value)


def parse_conditions(
    params: Mapping[str, str], fields: Mapping[int, Field], zone: str | None = None
) -> list[Condition]:
    """Conditions from the single format or the ``conditions[n][...]`` format (n from 1);
    dates without an offset read as ``zone``'s local time (UTC's without one)."""
    multi: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _MULTI.fullmatch(key)
        if match:
            multi.setdefault(int(match[1]), {})[match[2]] = value
        elif key.startswith("conditions"):
            raise invalid(f"malformed parameter {key!r}")
    single = {
        k: params[k] for k in ("field", "condition", "date1", "date2", "string") if k in params
    }
    if multi:
        # Any flat parameter, not only field: a flat string or date1 beside numbered conditions
        # would otherwise be dropped without a word.
        if single:
            raise invalid("single and multi condition formats mixed")
        if 0 in multi:
            raise invalid("conditions are numbered from 1")
        # Up to the first gap, which then reports its missing field. Found among the numbers
        # sent: counting up to the highest one, any number a client writes, could take for ever.
        gap = next(n for n in range(1, len(multi) + 2) if n not in multi)
        groups: list[Mapping[str, str]] = [multi[n] for n in range(1, gap)]
        if gap < max(multi):
            groups.append({})
    elif single:
        groups = [single]
    else:
        raise LegacyError(NO_CONDITIONS)
    local = None if zone is None else zoneinfo.ZoneInfo(zone)
    return [_parse_one(n, group, fields, local) for n, group in enumerate(groups, 1)]


def parse_paging(params: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset): limit >= 0 (default 100, more is read as 100), offset >= 0 (default 0)."""
    limit_text = params.get("limit", "").strip() or str(MAX_LIMIT)
    offset_text = params.get("offset", "").strip() or "0"
    limit, offset = integer(limit_text), integer(offset_text)
    if limit is None or offset is None or limit < 0 or offset < 0:
        raise LegacyError(BAD_PAGING)
    # The live API hard-caps pages at 100 rows whatever ``limit`` asks (LIVE-SERVER.md): a
    # larger limit is served 100 rows, not refused.
    return min(limit, MAX_LIMIT), offset


def parse_sort(params: Mapping[str, str], fields: Mapping[int, Field], default: int) -> Field:
    """The sort field (``sortby``)."""
    text = params.get("sortby", "").strip()
    number = integer(text) if text else default
    if number is None or number not in fields:
        raise invalid(f"unknown sortby {text!r}")
    return fields[number]


def sort_key(field: Field) -> SortKey:
    """Ascending, nulls first, ties broken by the record index so paging is stable."""
    get = operator.attrgetter(field.attr)
    if field.kind == "string":

        def text(record: Any) -> tuple[Any, ...]:
            v = get(record)
            return (0, "", record.index) if v is None else (1, v.casefold(), record.index)

        return text

    def key(record: Any) -> tuple[Any, ...]:
        v = get(record)
        return (0, 0, record.index) if v is None else (1, v, record.index)

    return key


def page_of_unstable_ties(
    found: Sequence[Any], field: Field, offset: int, limit: int, seed: int
) -> list[Any]:
    """``found[offset : offset + limit]`` as a database may send it when rows share the sort
    field's value: each run of such ties in an order of its own for each offset and limit (as
    MySQL's ``ORDER BY ... LIMIT`` may), the same for the same page asked again."""
    end = min(offset + limit, len(found))
    if offset >= end:
        return []
    value = operator.attrgetter(field.attr)
    low, high = offset, end
    while low > 0 and value(found[low - 1]) == value(found[offset]):
        low -= 1
    while high < len(found) and value(found[high]) == value(found[end - 1]):
        high += 1
    shuffle = random.Random(f"{seed}:{offset}:{limit}").shuffle
    rows: list[Any] = []
    for _, run in itertools.groupby(found[low:high], key=value):
        tied = list(run)
        shuffle(tied)
        rows += tied
    return rows[offset - low : end - low]


def flag(params: Mapping[str, str], name: str) -> bool:
    """An include flag: ``1`` or ``true`` switch it on, like the PHP server's loose parsing."""
    text = params.get(name, "").strip().lower()
    if text == "true":
        return True
    value = integer(text) if text else 0
    return bool(value)
