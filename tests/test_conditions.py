from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone, tzinfo

import pytest

import omsclient
from omsclient import ValidationError
from omsclient.legacy import (
    Condition,
    NewStatus,
    Op,
    OrderField,
    ProductField,
    ProductSort,
    format_datetime,
)
from omsclient.legacy._conditions import encode_conditions
from omsclient.legacy.models import Order


def test_two_conditions_encode_the_multi_format_from_one() -> None:
    pairs = encode_conditions(
        [
            Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2024, 1, 2, 3, 4, 5)),
            Condition(OrderField.INVOICE_NUMBER, Op.NE, string="INV9"),
        ],
        OrderField,
        "api",
    )
    assert pairs == [
        ("conditions[1][field]", "1"),
        ("conditions[1][condition]", "6"),
        ("conditions[1][date1]", "2024-01-02T03:04:05"),
        ("conditions[2][field]", "3"),
        ("conditions[2][condition]", "2"),
        ("conditions[2][string]", "INV9"),
    ]


def test_one_condition_encodes_the_flat_single_format() -> None:
    # The form the docs' examples show and public clients send to the live server.
    pairs = encode_conditions(
        [Condition(OrderField.DATE_DUE, Op.BETWEEN, date1=date(2024, 1, 1), date2="2024-02-01")],
        OrderField,
        "api",
    )
    assert pairs == [
        ("field", "5"),
        ("condition", "7"),
        ("date1", "2024-01-01T00:00:00"),
        ("date2", "2024-02-01T00:00:00"),
    ]
    product = [Condition(ProductField.PRODUCT_ID, Op.GT, string=0)]
    assert encode_conditions(product, ProductField, "api") == [
        ("field", "4"),
        ("condition", "4"),
        ("string", "0"),
    ]


@pytest.mark.parametrize(
    ("numbering", "shipped", "invoiced"), [("api", "6", "7"), ("blueprint", "7", "6")]
)
def test_fields_six_and_seven_follow_the_chosen_numbering(
    numbering: str, shipped: str, invoiced: str
) -> None:
    d = datetime(2024, 1, 1)
    s = encode_conditions(
        [Condition(OrderField.DATE_SHIPPED, Op.GT, date1=d)], OrderField, numbering
    )  # type: ignore[arg-type]
    i = encode_conditions(
        [Condition(OrderField.DATE_INVOICED, Op.GT, date1=d)], OrderField, numbering
    )  # type: ignore[arg-type]
    assert s == [("field", shipped), ("condition", "4"), ("date1", "2024-01-01T00:00:00")]
    assert i == [("field", invoiced), ("condition", "4"), ("date1", "2024-01-01T00:00:00")]


def test_aware_datetimes_are_sent_in_utc_and_naive_ones_as_given() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2024, 5, 1, 12, 0, tzinfo=plus2)) == "2024-05-01T10:00:00"
    assert format_datetime(datetime(2024, 5, 1, 12, 0)) == "2024-05-01T12:00:00"
    assert format_datetime(date(2024, 5, 1)) == "2024-05-01T00:00:00"
    assert format_datetime("2024-05-01T12:00:00Z") == "2024-05-01T12:00:00"
    # RFC 3339's lowercase z, which the models read: it was refused after a time.
    assert format_datetime("2024-05-01t12:00:00z") == "2024-05-01T12:00:00"
    assert format_datetime("2024-05-01T12:00:00.5z") == "2024-05-01T12:00:00"
    assert format_datetime("2024-05-01T12:00:00+01:00") == "2024-05-01T11:00:00"
    # A date alone with a zone is that day's midnight there, not a time of day.
    assert format_datetime("2024-05-01+05:00") == "2024-04-30T19:00:00"
    assert format_datetime("2024-05-01Z") == "2024-05-01T00:00:00"


class _NoOffset(tzinfo):
    """A tzinfo giving no offset: Python counts such a datetime as naive."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None


def test_a_datetime_whose_tzinfo_gives_no_offset_is_naive_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # astimezone() reads such a datetime in the machine's zone; naive ones are taken as UTC.
    monkeypatch.setenv("TZ", "NPT-5:45")  # Kathmandu's offset: a local reading moves it
    time.tzset()
    try:
        when = datetime(2024, 3, 10, 12, 0, tzinfo=_NoOffset())
        assert format_datetime(when) == "2024-03-10T12:00:00"
        built = omsclient.from_dict({"order_id": "INV1", "date_ordered": when}, Order)
        assert built.date_ordered == datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_between_sends_both_dates() -> None:
    c = Condition(OrderField.DATE_DUE, Op.BETWEEN, date1=date(2024, 1, 1), date2=date(2024, 2, 1))
    assert ("conditions[3][date2]", "2024-02-01T00:00:00") in c.encode(3, "api")


# The API's dates are whole seconds: each bound is sent as the second that selects the orders
# its instant does ("> 12:00:00.5" keeps 12:00:01, "< 12:00:00.5" keeps 12:00:00).
@pytest.mark.parametrize(
    ("op", "date1", "date2"),
    [
        (Op.GE, "2024-05-01T12:00:01", None),
        (Op.LT, "2024-05-01T12:00:01", None),
        (Op.GT, "2024-05-01T12:00:00", None),
        (Op.LE, "2024-05-01T12:00:00", None),
        (Op.BETWEEN, "2024-05-01T12:00:01", "2024-05-02T12:00:00"),
    ],
    ids=["GE", "LT", "GT", "LE", "BETWEEN"],
)
def test_a_date_with_a_fraction_is_sent_as_the_second_that_selects_the_same_orders(
    op: Op, date1: str, date2: str | None
) -> None:
    fraction = {"date2": "2024-05-02T12:00:00.5"} if date2 else {}
    c = Condition(OrderField.DATE_DUE, op, date1="2024-05-01T12:00:00.5", **fraction)
    sent = [("field", "5"), ("condition", str(int(op))), ("date1", date1)]
    sent += [("date2", date2)] if date2 else []
    assert encode_conditions([c], OrderField, "api") == sent


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"field": OrderField.DATE_ORDERED, "op": Op.GT}, "date1 is required"),
        # The date given where a value of another field goes: said so, not "date1 is required".
        (
            {"field": OrderField.DATE_ORDERED, "op": Op.GE, "string": "2024-01-01"},
            "is a date field: give its date as date1= .and date2=., not string=, "
            "got string='2024-01-01'",
        ),
        (
            {"field": OrderField.DATE_ORDERED, "op": Op.BETWEEN, "date1": date(2024, 1, 1)},
            "needs date2",
        ),
        (
            {
                "field": OrderField.DATE_ORDERED,
                "op": Op.BETWEEN,
                "date1": date(2024, 2, 1),
                "date2": date(2024, 1, 1),
            },
            "date2 is before date1",
        ),
        (
            {
                "field": OrderField.DATE_ORDERED,
                "op": Op.BETWEEN,
                "date1": "2024-01-01T00:00:00.2",
                "date2": "2024-01-01T00:00:00.7",
            },
            "no whole second lies from date1 to date2",
        ),
        (
            {"field": OrderField.DATE_ORDERED, "op": Op.GE, "date1": "9999-12-31T23:59:59.5"},
            "rounds up past the years the API stores",
        ),
        ({"field": OrderField.DATE_ORDERED, "op": Op.GT, "date1": "yesterday"}, "ISO-8601"),
        (
            {
                "field": OrderField.DATE_ORDERED,
                "op": Op.GT,
                "date1": date(2024, 1, 1),
                "string": "x",
            },
            "not string",
        ),
        ({"field": OrderField.INVOICE_NUMBER, "op": Op.EQ}, "needs string="),
        ({"field": OrderField.INVOICE_NUMBER, "op": Op.EQ, "string": ""}, "needs string="),
        # Condition(OrderField.INVOICE_NUMBER, Op.EQ, "INV10001"), the value taken for date1:
        # it said "needs string=, got None".
        (
            {"field": OrderField.INVOICE_NUMBER, "op": Op.EQ, "date1": "INV10001"},
            r"no date field: give its value as string=, not date1= \(the third argument\), "
            "got date1='INV10001'",
        ),
        (
            {"field": OrderField.ORDER_STATUS, "op": Op.EQ, "date2": 5},
            r"give its value as string=, not date2= \(the fourth argument\), got date2=5",
        ),
        # Condition(OrderField.ORDER_STATUS, Op.BETWEEN, 1, 5): BETWEEN is what is wrong.
        (
            {"field": OrderField.ORDER_STATUS, "op": Op.BETWEEN, "date1": 1, "date2": 5},
            "Op.BETWEEN works on date fields only, not OrderField.ORDER_STATUS",
        ),
        ({"field": OrderField.ORDER_STATUS, "op": Op.BETWEEN, "string": 1}, "date fields only"),
        (
            {"field": ProductField.CODE, "op": Op.EQ, "string": "G", "date1": date(2024, 1, 1)},
            "not a date field",
        ),
        ({"field": OrderField.INVOICE_NUMBER, "op": 9, "string": "x"}, "op must be an Op"),
        # A member of another IntEnum was taken as the Op of its number (Op.GT, Op.LT).
        (
            {"field": OrderField.INVOICE_NUMBER, "op": ProductSort.PRODUCT_ID, "string": "x"},
            r"op must be an Op \(1..7\), got <ProductSort.PRODUCT_ID: ",
        ),
        (
            {"field": OrderField.ORDER_STATUS, "op": NewStatus.SHIPPED, "string": 1},
            "op must be an Op",
        ),
        ({"field": 3, "op": Op.EQ, "string": "x"}, "OrderField or ProductField"),
    ],
)
def test_bad_conditions_are_rejected_with_a_named_problem(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Condition(**kwargs)  # type: ignore[arg-type]


def test_searches_need_conditions_of_their_own_kind() -> None:
    with pytest.raises(ValidationError, match=r"at least one Condition .*scan\(\) reads every row"):
        encode_conditions([], OrderField, "api")
    with pytest.raises(ValidationError, match="this search takes OrderField"):
        encode_conditions([Condition(ProductField.CODE, Op.EQ, string="G")], OrderField, "api")


@pytest.mark.parametrize(
    ("field", "text"),
    [(OrderField.INVOICE_NUMBER, "INV\udce9"), (ProductField.NAME, "T-shirt \ud83d!")],
)
def test_text_that_cannot_be_sent_is_refused_when_the_condition_is_made(
    field: OrderField | ProductField, text: str
) -> None:
    # A lone surrogate (bytes that were no UTF-8, read with surrogateescape, or a JSON "\udce9")
    # has no UTF-8 form: the form could not be encoded, and the request would fail later with a
    # UnicodeEncodeError that names no field.
    with pytest.raises(ValidationError, match=r"string holds a lone surrogate \(U\+D[0-9A-F]{3}\)"):
        Condition(field, Op.EQ, string=text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("INV10001\n", "must not begin or end with white space"),
        (" INV10001", "must not begin or end with white space"),
        ("\ufeffINV10001", r"holds an invisible character \('\\ufeff'\) at position 0"),
        ("INV10001\u200b", r"holds an invisible character \('\\u200b'\) at position 8"),
        ("\u200b", r"holds an invisible character \('\\u200b'\) at position 0"),
        ("INV\x0010001", r"holds an invisible character \('\\x00'\) at position 3"),
    ],
)
def test_a_string_padded_or_holding_an_invisible_character_is_refused(
    text: str, problem: str
) -> None:
    # An invoice number read from a file with its line break, or a byte order mark, was sent
    # as it was and matched nothing: an empty search or export, with no error to say why.
    for field, label in [
        (OrderField.INVOICE_NUMBER, "OrderField.INVOICE_NUMBER"),
        (ProductField.CODE, "ProductField.CODE"),
    ]:
        with pytest.raises(ValidationError, match=rf"^{label} string {problem}$"):
            Condition(field, Op.EQ, string=text)


@pytest.mark.parametrize(
    "text",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645",  # a joiner, as Persian writes
        "\U0001f468\u200d\U0001f373",  # an emoji sequence
        "Super\u00admarket",  # a soft hyphen
        "\u05d7\u05d5\u05dc\u05e6\u05d4\u200f 2",  # a right-to-left mark
        "Scotland \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    ],
)
def test_a_string_keeps_the_format_characters_a_name_holds(text: str) -> None:
    # Refused as an id refuses them, such product names could no longer be searched for.
    assert Condition(ProductField.NAME, Op.EQ, string=text).string == text


@pytest.mark.parametrize(
    "field", [OrderField.ORDER_STATUS, OrderField.INVOICE_NUMBER, ProductField.PRODUCT_ID]
)
def test_an_int_enum_value_is_sent_as_its_number_on_every_python(
    field: OrderField | ProductField,
) -> None:
    # str() of an IntEnum member is its number from Python 3.11 on, "NewStatus.SHIPPED" on 3.10.
    c = Condition(field, Op.EQ, string=NewStatus.SHIPPED)
    assert c.encode(1, "api")[-1] == ("conditions[1][string]", "3")
    assert type(c.string) is int
    assert c == Condition(field, Op.EQ, string=3)
