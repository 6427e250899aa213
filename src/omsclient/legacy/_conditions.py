"""Search conditions of the legacy API and their form encoding."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo

import attrs

from omsclient._isoformat import day_at, fromisoformat
from omsclient._settings import OrderFieldNumbering
from omsclient._validate import (
    api_datetime,
    check_int,
    check_text,
    shown,
    stray_problem,
    unpadded,
)
from omsclient.errors import ValidationError

__all__ = [
    "Condition",
    "DateLike",
    "Op",
    "OrderField",
    "ProductField",
    "ProductSort",
    "bound",
    "encode_conditions",
    "format_datetime",
    "format_since",
    "format_until",
    "order_field_code",
    "wall_time",
]

DateLike = datetime | date | str
"""A date a condition or a scan takes: an aware ``datetime`` (converted to UTC), a naive one
(taken to be UTC, as the API's own dates are), a ``date`` (midnight UTC) or an ISO-8601 string
(``2024-01-31T00:00:00``, a trailing ``Z`` or offset converted; a date alone is that day's
midnight, in the zone written after it if any). See :func:`format_datetime`."""


class Op(enum.IntEnum):
    """The logical test of a condition (its wire value is the number)."""

    EQ = 1
    """``==``"""
    NE = 2
    """``!=``"""
    LT = 3
    """``<``"""
    GT = 4
    """``>``"""
    LE = 5
    """``<=``"""
    GE = 6
    """``>=``"""
    BETWEEN = 7
    """Between ``date1`` and ``date2`` (date fields only)."""


# ASCII digits only: \d alone also matches other scripts' digits, which the API cannot read.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class OrderField(enum.Enum):
    """Order fields to filter or sort on.

    Members are named, not numbered, because the two order documents number Date Shipped and
    Date Invoiced differently (6/7 in the API reference, 7/6 in the older blueprint). The wire
    number comes from the client's ``order_field_numbering`` setting: ``"api"`` (default) or
    ``"blueprint"``.
    """

    DATE_ORDERED = "date_ordered"
    """When the order was placed; kept once placed, the key of stable scans."""
    DATE_PRODUCTION_FILES_READY = "date_production_files_ready"
    """When its production files were ready (the search's default sort)."""
    INVOICE_NUMBER = "invoice_number"
    """The invoice number, the order's ``order_id`` (conditions take ``string``)."""
    ORDER_STATUS = "order_status"
    """The order's status number (``string``, a whole number)."""
    DATE_DUE = "date_due"
    """When the order is due."""
    DATE_SHIPPED = "date_shipped"
    """When it was shipped (wire number 6, or 7 with ``"blueprint"`` numbering)."""
    DATE_INVOICED = "date_invoiced"
    """When it was invoiced (wire number 7, or 6 with ``"blueprint"`` numbering)."""
    DATE_MODIFIED = "date_modified"
    """When it last changed: what an incremental sync reads from."""

    @property
    def is_date(self) -> bool:
        """Whether the field holds a date (conditions on it take ``date1``/``date2``)."""
        return self.value.startswith("date_")

    @property
    def is_number(self) -> bool:
        """Whether the field holds a whole number (its ``string`` must be one)."""
        return self is OrderField.ORDER_STATUS


_ORDER_CODES: Mapping[OrderFieldNumbering, Mapping[OrderField, int]] = {
    "api": {
        OrderField.DATE_ORDERED: 1,
        OrderField.DATE_PRODUCTION_FILES_READY: 2,
        OrderField.INVOICE_NUMBER: 3,
        OrderField.ORDER_STATUS: 4,
        OrderField.DATE_DUE: 5,
        OrderField.DATE_SHIPPED: 6,
        OrderField.DATE_INVOICED: 7,
        OrderField.DATE_MODIFIED: 8,
    },
    "blueprint": {
        OrderField.DATE_ORDERED: 1,
        OrderField.DATE_PRODUCTION_FILES_READY: 2,
        OrderField.INVOICE_NUMBER: 3,
        OrderField.ORDER_STATUS: 4,
        OrderField.DATE_DUE: 5,
        OrderField.DATE_INVOICED: 6,
        OrderField.DATE_SHIPPED: 7,
        OrderField.DATE_MODIFIED: 8,
    },
}


def order_field_code(field: OrderField, numbering: OrderFieldNumbering) -> int:
    """The wire number of ``field`` under ``numbering``."""
    return _ORDER_CODES[numbering][field]


class ProductField(enum.IntEnum):
    """Product fields to filter on (the number is the wire value)."""

    CODE = 1
    """The product code."""
    NAME = 2
    """The product name."""
    SUPPLIER = 3
    """The supplier's name."""
    PRODUCT_ID = 4
    """The product id (``string``, a whole number); what product scans walk."""
    DATE_MODIFIED = 5
    """When the product last changed."""

    @property
    def is_date(self) -> bool:
        """Whether the field holds a date."""
        return self is ProductField.DATE_MODIFIED

    @property
    def is_number(self) -> bool:
        """Whether the field holds a whole number (its ``string`` must be one)."""
        return self is ProductField.PRODUCT_ID


class ProductSort(enum.IntEnum):
    """Product fields to sort by (the number is the wire value)."""

    CODE = 1
    """By product code."""
    NAME = 2
    """By product name."""
    SUPPLIER = 3
    """By supplier."""
    PRODUCT_ID = 4
    """By product id."""
    DATE_MODIFIED = 5
    """By when the product last changed."""
    SORT_POSITION = 6
    """By the shop's sort position (the server's default)."""


_LAST_SECOND = datetime(9999, 12, 31, 23, 59, 59)

# The API's dates are whole seconds, so a date with a fraction is sent as the second that
# selects the same orders: ">= 12:00:00.5" and "< 12:00:00.5" as 12:00:01 (truncated, "<"
# would leave out the orders of 12:00:00, which are before it), the others truncated.
_ROUNDED_UP = frozenset({Op.GE, Op.LT, Op.BETWEEN})
# The operators whose date1 is where a range begins: read earlier, they select more.
_LOWER_BOUNDS = frozenset({Op.GE, Op.GT, Op.BETWEEN})
_FIRST_WALL = datetime(1000, 1, 1)
_LAST_WALL = datetime(9999, 12, 31, 23, 59, 59)


def format_datetime(value: DateLike, name: str = "date", *, up: bool = False) -> str:
    """Format a date for the API: ``YYYY-MM-DDTHH:MM:SS`` in UTC.

    Aware datetimes are converted to UTC. Naive datetimes are taken to be UTC already, as the
    API's own dates are. A ``date`` means midnight UTC. A string must already be in the API's
    format (a trailing ``Z`` or offset is accepted and converted); a date alone, with a zone
    after it or not, means that day's midnight in that zone (UTC without one). A date outside
    the years the API stores (1000..9999 in UTC) is refused. The API's dates are whole seconds:
    a fraction of a second is dropped, or with ``up`` makes the next second.
    """
    if isinstance(value, str):
        value = day_at(value, _MIDNIGHT) or _parsed(value, name)
    if isinstance(value, date):
        moment = api_datetime(value, name)
        if up and moment.microsecond:
            if moment.replace(microsecond=0) == _LAST_SECOND:
                raise ValidationError(
                    f"{name} {moment.isoformat()} rounds up past the years the API stores"
                )
            moment += timedelta(seconds=1)
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    raise ValidationError(f"{name} must be a datetime, date or string, got {type(value).__name__}")


def format_since(value: DateLike) -> str:
    """:func:`format_datetime` of a range's inclusive start: a fraction of a second makes the
    next second, as ``Op.GE`` sends it (the orders of the second before are before it)."""
    return format_datetime(value, "since", up=True)


def format_until(value: DateLike) -> str:
    """:func:`format_datetime` of a range's inclusive end: a date alone (``date(2024, 6, 1)``,
    ``"2024-06-01"``, or any ISO spelling of a date without a time, ``"20240601"``, a zone after
    it or not) stands for the whole of that day, up to its last second, as the command's
    ``--until`` takes it. Its midnight would leave the day out."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, _LAST_OF_DAY)
    elif isinstance(value, str):
        value = day_at(value, _LAST_OF_DAY) or value
    return format_datetime(value, "until")


_MIDNIGHT = time()
_LAST_OF_DAY = time(23, 59, 59)


def _parsed(text: str, name: str) -> datetime:
    if text[-1:] in ("Z", "z"):
        # RFC 3339 takes either case, and so do the models: a date copied from an order.
        text = text[:-1] + "+00:00"
    try:
        return fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{name} must be a datetime or an ISO-8601 string like 2024-01-31T00:00:00, "
            f"got {shown(text)}"
        ) from None


def _op(value: Op | int) -> Op:
    # Typed as documented, which is what type checkers hold a Condition's op to (the attrs
    # plugin reads a converter's argument); any value is checked here all the same.
    # Op(True) and Op(6.0) would pass as 1 and 6, and a member of another enum
    # (ProductSort.PRODUCT_ID, NewStatus.SHIPPED) as the Op of its number: a search of other rows.
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or (isinstance(value, enum.Enum) and not isinstance(value, Op))
    ):
        raise ValidationError(f"op must be an Op (1..7), got {shown(value)}")
    try:
        return Op(value)
    except ValueError:
        raise ValidationError(f"op must be an Op (1..7), got {shown(value)}") from None


@attrs.frozen
class Condition:
    """One test on one field; a search ANDs all of its conditions.

    Date fields take ``date1`` (and ``date2`` with ``Op.BETWEEN``); other fields take ``string``
    (invoice numbers, product codes, and numbers such as an order status or a product id)::

        Condition(OrderField.DATE_ORDERED, Op.BETWEEN, date1=start, date2=end)
        Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
        Condition(ProductField.PRODUCT_ID, Op.GT, string=0)

    Invalid combinations raise :class:`~omsclient.ValidationError` here, before any request.
    """

    field: OrderField | ProductField
    op: Op = attrs.field(converter=_op)
    date1: DateLike | None = None
    date2: DateLike | None = None
    string: str | int | None = None

    def __attrs_post_init__(self) -> None:
        f = self.field
        if not isinstance(f, (OrderField, ProductField)):
            raise ValidationError(f"field must be an OrderField or ProductField, got {shown(f)}")
        label = f"{type(f).__name__}.{f.name}"
        if f.is_date:
            if self.string is not None:
                # Checked first: a date given as string= left date1 unset, and "date1 is
                # required" did not say where the date had gone.
                raise ValidationError(
                    f"{label} is a date field: give its date as date1= (and date2=), not "
                    f"string=, got string={shown(self.string)}"
                )
            if self.date1 is None:
                raise ValidationError(f"{label} is a date field: date1 is required")
            d1 = format_datetime(self.date1, "date1")
            if self.op is Op.BETWEEN:
                if self.date2 is None:
                    raise ValidationError(f"{label} with Op.BETWEEN needs date2")
                d2 = format_datetime(self.date2, "date2")
                if d2 < d1:
                    raise ValidationError(f"{label} BETWEEN: date2 is before date1")
                if d2 < format_datetime(self.date1, "date1", up=True):
                    raise ValidationError(
                        f"{label} BETWEEN: no whole second lies from date1 to date2, and the "
                        "API's dates are whole seconds"
                    )
            elif self.date2 is not None:
                raise ValidationError(f"date2 is only used with Op.BETWEEN, not {self.op.name}")
            else:
                # Rounded up, the last second the API stores has no next one.
                format_datetime(self.date1, "date1", up=self.op in _ROUNDED_UP)
        else:
            if self.op is Op.BETWEEN:
                raise ValidationError(f"Op.BETWEEN works on date fields only, not {label}")
            if self.string is None and (self.date1 is not None or self.date2 is not None):
                # Condition(OrderField.INVOICE_NUMBER, Op.EQ, "INV10001"): the third argument
                # is date1 (the fourth date2).
                given = "date1" if self.date1 is not None else "date2"
                raise ValidationError(
                    f"{label} is no date field: give its value as string=, not {given}= (the "
                    f"{'third' if given == 'date1' else 'fourth'} argument), got "
                    f"{given}={shown(getattr(self, given))}"
                )
            if self.string is None or (isinstance(self.string, str) and not self.string.strip()):
                raise ValidationError(
                    f"{label} needs string= (the value to compare with), got {shown(self.string)}"
                )
            if isinstance(self.string, int) and not isinstance(self.string, bool):
                # A plain int: an IntEnum member (NewStatus.SHIPPED for status 3) prints as
                # its name on Python 3.10, and the form would send that name.
                object.__setattr__(self, "string", check_int(self.string, f"{label} string"))
            elif not isinstance(self.string, str):
                raise ValidationError(f"string must be a str or int, got {shown(self.string)}")
            elif f.is_number:
                digits = self.string.strip()
                if not _WHOLE_NUMBER.fullmatch(digits):
                    raise ValidationError(
                        f"{label} holds whole numbers: string must be one (ASCII digits), "
                        f"got {self.string[:40]!r}"
                    )
                # The same range as the int form (counted first: int() refuses thousands of
                # digits); the text checked is the text sent.
                significant = digits.lstrip("+-").lstrip("0") or "0"
                if len(significant) > len(str(2**63)):
                    raise ValidationError(
                        f"{label} string is out of range: the API takes 64-bit integers"
                    )
                number = check_int(
                    -int(significant) if digits.startswith("-") else int(significant),
                    f"{label} string",
                )
                # The number as the int form sends it: no "+", no leading zeros.
                object.__setattr__(self, "string", str(number))
            else:
                # The text itself: str() of a (str, Enum) member, which the form would send,
                # is its name.
                text = check_text(self.string, f"{label} string")
                # A code or invoice number read from a file with its line break, or a byte
                # order mark, matched nothing: an empty search, with no error to say why.
                unpadded(text, f"{label} string")
                if problem := stray_problem(text, f"{label} string"):
                    raise ValidationError(problem)
                object.__setattr__(self, "string", text)
            if self.date1 is not None or self.date2 is not None:
                raise ValidationError(f"{label} is not a date field: use string, not date1/date2")

    def _params(
        self, numbering: OrderFieldNumbering, zone: tzinfo | None = None
    ) -> list[tuple[str, str]]:
        """The parameters of this condition by their plain names: ``field``, ``condition``,
        then ``date1``, ``date2`` or ``string`` as it has them (the single-condition form);
        dates as ``zone``'s wall time, UTC's without one."""
        f = self.field
        code = order_field_code(f, numbering) if isinstance(f, OrderField) else int(f)
        op, date1 = self.op, None
        if self.date1 is not None:
            utc = format_datetime(self.date1, "date1", up=op in _ROUNDED_UP)
            op, date1 = bound(op, utc, zone, "date1")
        pairs = [("field", str(code)), ("condition", str(int(op)))]
        if date1 is not None:
            pairs.append(("date1", date1))
        if self.date2 is not None:
            utc = format_datetime(self.date2, "date2")
            pairs.append(("date2", wall_time(utc, zone, "date2", lower=False)))
        if self.string is not None:
            pairs.append(("string", str(self.string)))
        return pairs

    def encode(
        self, n: int, numbering: OrderFieldNumbering, zone: tzinfo | None = None
    ) -> list[tuple[str, str]]:
        """The form fields ``conditions[n][...]`` of this condition (the multi-condition form)."""
        params = self._params(numbering, zone)
        return [(f"conditions[{n}][{name}]", value) for name, value in params]


def wall_time(utc: str, zone: tzinfo | None, name: str, *, lower: bool) -> str:
    """A date as :func:`format_datetime` writes it (UTC), as the wall time of ``zone`` at that
    moment: what a server comparing its local times reads as that moment.

    In the hour a zone's clocks go back, a wall time names two moments, and the server reads
    the earlier (as PHP's DateTime does): a moment of the first pass is read as meant. One of
    the second pass is read an hour early: as a ``lower`` bound it selects more, which a scan
    checks; any other (an end, an equality) would select an hour too few, unseen: refused,
    naming the hour.
    """
    if zone is None:
        return utc
    moment = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    try:
        local = moment.astimezone(zone)
    except OverflowError:
        # 9999-12-31T23:59:59 UTC is in the year 10000 east of Greenwich: past every order
        # (an end there bounds nothing, as the command's --until 9999-12-31 does not).
        return _LAST_WALL.isoformat()
    wall = local.replace(tzinfo=None)
    if not lower and second_pass(local):
        raise ValidationError(
            f"{name} {utc} (UTC) is {wall.isoformat(timespec='seconds')} in {zone} the second "
            "time its clocks show it (they go back): a server comparing its local times reads "
            "the first, an hour earlier, and would select other orders than meant; choose a "
            "date outside that hour"
        )
    if wall < _FIRST_WALL:
        if lower:
            return _FIRST_WALL.isoformat()  # the API's first second: the oldest order is after it
        # A year-999 wall time, which the API's dates cannot hold: refused, not sent.
        raise ValidationError(
            f"{name} {utc} (UTC) is {wall.isoformat(timespec='seconds')} in {zone}, before the "
            "first second the API stores (1000-01-01T00:00:00 in the server's time): no order "
            "is that old; choose a later date"
        )
    return wall.isoformat(timespec="seconds")


# Operators selecting from, or before, the first second a zone's clocks show again (they went
# back), and what selects the same from the last second of the first pass, which a server
# comparing its local times reads as meant (dates are whole seconds).
_PAST_A_FIRST_PASS = {Op.LT: Op.LE, Op.GE: Op.GT}


def bound(op: Op, utc: str, zone: tzinfo | None, name: str) -> tuple[Op, str]:
    """The operator and wall time of ``zone`` that send ``op`` of ``utc`` (a date as
    :func:`format_datetime` writes it): ``utc``'s wall time (:func:`wall_time`), but for
    "before" (``LT``) or "from" (``GE``) the first second the clocks show again, sent as
    ``LE`` or ``GT`` the second before it. Any later second of the repeated hour is refused as
    an end, and read an hour early as a start, as :func:`wall_time` says."""
    lower = op in _LOWER_BOUNDS
    if op in _PAST_A_FIRST_PASS:
        last = _last_of_a_first_pass(utc, zone)
        if last is not None:
            return _PAST_A_FIRST_PASS[op], wall_time(last, zone, name, lower=lower)
    return op, wall_time(utc, zone, name, lower=lower)


def _last_of_a_first_pass(utc: str, zone: tzinfo | None) -> str | None:
    """The second before ``utc`` where ``utc`` is the first second ``zone``'s clocks show a
    second time (they went back), else None."""
    if zone is None:
        return None
    moment = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    last = moment - timedelta(seconds=1)
    try:
        if second_pass(moment.astimezone(zone)) and not second_pass(last.astimezone(zone)):
            return format_datetime(last)
    except OverflowError:  # past year 9999 there: wall_time says what it sends
        pass
    return None


def second_pass(local: datetime) -> bool:
    """Whether the aware ``local`` is the later of two moments its wall time names (its
    zone's clocks went back over it): one a server reading the earlier misreads."""
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def clear_of_repeats(second: int, zone: tzinfo | None, *, back: bool = False) -> int:
    """``second`` (epoch), or the first minute after it (``back``: before it) that is no
    :func:`second_pass` in ``zone``: where a scan may split its windows, each split being one
    window's end, or where a search for the latest change may end."""
    if zone is None:
        return second
    moment = datetime.fromtimestamp(second, timezone.utc)
    step = timedelta(minutes=-1 if back else 1)
    while second_pass(moment.astimezone(zone)):
        moment += step  # an hour at most (half of one on Lord Howe Island)
    return int(moment.timestamp())


def encode_conditions(
    conditions: Sequence[Condition],
    kind: type[OrderField] | type[ProductField],
    numbering: OrderFieldNumbering,
    zone: tzinfo | None = None,
) -> list[tuple[str, str]]:
    """Validate that every condition is on a ``kind`` field and encode them all, dates as
    ``zone``'s wall time (the client's ``legacy_timezone``), UTC's without one.

    One condition is sent in the flat form (``field=4&condition=4&string=0``): the form of the
    docs' request examples and the one public clients send to the live server. Two or more
    take the multi-condition form ``conditions[n][...]``, n from 1, the only one the docs give
    for several.
    """
    if not conditions:
        raise ValidationError(
            "at least one Condition is required, as the API refuses a search without one; "
            "scan() reads every row and needs none"
        )
    for n, condition in enumerate(conditions, start=1):
        if not isinstance(condition, Condition):
            raise ValidationError(f"condition {n} must be a Condition, got {shown(condition)}")
        if not isinstance(condition.field, kind):
            raise ValidationError(
                f"condition {n} is on {condition.field!r}; this search takes {kind.__name__}"
            )
    if len(conditions) == 1:
        return conditions[0]._params(numbering, zone)
    return [
        pair
        for n, condition in enumerate(conditions, start=1)
        for pair in condition.encode(n, numbering, zone)
    ]
