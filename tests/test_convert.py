"""The converter: tolerant types, missing and unknown keys, write-back and clear errors."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import orjson
import pytest

from omsclient._decoding import (
    AbsentList,
    PageDecoder,
    converter,
    structure,
    structure_many,
    unstructure,
)
from omsclient._decoding._converter import detailed_converter
from omsclient.errors import StructureError
from omsclient.legacy.models import Note, Order, OrderLine

UTC = timezone.utc
SAMPLE_ORDER: dict[str, Any] = orjson.loads(
    (Path(__file__).parent / "data" / "sample_order.json").read_bytes()
)


@attrs.define(kw_only=True)
class Item:
    """A model using every tolerant type."""

    id: int | None = None
    ref: int | str | None = None
    price: float | None = None
    when: datetime | None = None
    flag: bool | None = None
    name: str | None = None
    tags: list[str] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Checked:
    """A model with a validator, so it cannot skip ``__init__``."""

    qty: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
    )
    item: Item | None = None
    items: list[Item] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Frozen:
    """A frozen model: its unknown keys cannot be set after ``__init__`` the usual way."""

    at: datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Plain:
    """A model without ``extra`` and with a required field."""

    count: int
    when: datetime | None = None


def item(**data: Any) -> Item:
    return structure(data, Item)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-02-01T00:00:00", datetime(2016, 2, 1, tzinfo=UTC)),
        ("2025-03-26T14:35:00.000+00:00", datetime(2025, 3, 26, 14, 35, tzinfo=UTC)),
        ("2025-03-26T16:35:00+02:00", datetime(2025, 3, 26, 14, 35, tzinfo=UTC)),
        ("2025-03-26T14:35:00Z", datetime(2025, 3, 26, 14, 35, tzinfo=UTC)),
        ("2025-03-26 14:35:00", datetime(2025, 3, 26, 14, 35, tzinfo=UTC)),
        ("2025-03-26T14:35:00.1234567+00:00", datetime(2025, 3, 26, 14, 35, 0, 123456, UTC)),
        ("2016-02-01", datetime(2016, 2, 1, tzinfo=UTC)),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_dates_become_utc_aware_datetimes(raw: str | None, expected: datetime | None) -> None:
    fast = structure({"when": raw}, Item)  # the generated fast path
    checked = structure({"item": {"when": raw}}, Checked)  # cattrs' generated hook
    assert checked.item is not None
    for when in (fast.when, checked.item.when):
        assert when == expected
        if when is not None:
            assert when.utcoffset() == timedelta(0)


def test_a_nineteen_character_date_the_quick_form_misreads_is_read_as_the_hook_reads_it() -> None:
    # Hour precision with an offset is ISO-8601 that fromisoformat reads, and 19 characters
    # long with a colon where the seconds' would be: the generated functions' quick form for
    # "YYYY-MM-DDTHH:MM:SS" must hand it to the hook rather than fail the whole page.
    raw = "2025-03-26T14+01:00"
    expected = datetime(2025, 3, 26, 13, tzinfo=UTC)
    assert structure({"when": raw}, Item).when == expected
    assert structure({"date_due": raw}, Order).date_due == expected
    content = orjson.dumps({"orders": [{"date_due": raw, "order_lines": [{"shipped_date": raw}]}]})
    assert structure_many(orjson.loads(content)["orders"], Order)[0].date_due == expected
    page = PageDecoder("orders", Order, "order_id").decode(content)
    assert page is not None, "the page went to the converter"
    (order,) = page.items
    assert (order.date_due, order.order_lines[0].shipped_date) == (expected, expected)


@pytest.fixture
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-02-01", datetime(2016, 2, 1, tzinfo=UTC)),
        ("2016-02-01T10:00:00.5", datetime(2016, 2, 1, 10, 0, 0, 500000, UTC)),
        (datetime(2016, 2, 1, 10), datetime(2016, 2, 1, 10, tzinfo=UTC)),  # built by hand
    ],
)
@pytest.mark.usefixtures("machine_in_new_york")
def test_a_date_without_an_offset_is_utc_whatever_the_machines_zone(
    raw: Any, expected: datetime
) -> None:
    assert item(when=raw).when == expected


def test_missing_date_is_none() -> None:
    assert item().when is None
    assert structure({}, Order).date_ordered is None


def test_datetimes_are_written_in_utc_with_a_fraction_only_when_not_zero() -> None:
    plus_two = timezone(timedelta(hours=2))
    cases = {
        datetime(2016, 2, 1, tzinfo=UTC): "2016-02-01T00:00:00",
        datetime(2016, 2, 1, 2, 30, tzinfo=plus_two): "2016-02-01T00:30:00",
        datetime(2016, 2, 1, 0, 0, 0, 250000, UTC): "2016-02-01T00:00:00.250000",
        datetime(2016, 2, 1, 9, 5, 7): "2016-02-01T09:05:07",  # naive means UTC
    }
    for value, text in cases.items():
        assert unstructure(Item(when=value)) == {"when": text}


def test_date_normalisation_on_round_trip() -> None:
    # The documented normalisation: one UTC form out, whatever form came in.
    raw = {"date_ordered": "2025-03-26T16:35:00.000+02:00", "date_due": ""}
    assert unstructure(structure(raw, Order)) == {"date_ordered": "2025-03-26T14:35:00"}


# --- numbers, ids, booleans, strings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5, 5),
        ("3243137811", 3243137811),
        (" 42 ", 42),
        ("7.0", 7),
        (7.0, 7),
        (Decimal("7.0"), 7),  # as the product scan reads 7.0
        ("", None),
    ],
)
def test_int_fields_take_numbers_and_numeric_strings(raw: Any, expected: int | None) -> None:
    value = item(id=raw).id
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (2.2, 2.2),
        (5, 5),
        ("12.50", 12.5),
        ("5", 5),
        ("-1e3", -1000.0),
        (Decimal("12.50"), 12.5),
        ("", None),
    ],
)
def test_amounts_take_numbers_and_numeric_strings(raw: Any, expected: float | None) -> None:
    value = item(price=raw).price
    assert value == expected
    assert type(value) is type(expected)  # integers stay integers, as JSON wrote them


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("TRUE", True),
        ("False", False),
        ("FALSE", False),
        ("", None),
        (None, None),
    ],
)
def test_booleans_take_the_usual_encodings(raw: Any, expected: bool | None) -> None:
    assert item(flag=raw).flag is expected


def test_string_fields_take_numbers() -> None:
    assert item(name=123).name == "123"
    assert item(name=1.5).name == "1.5"
    assert item(name=Decimal("1.50")).name == "1.50"
    assert structure({"order_id": 27524}, Order).order_id == "27524"


def test_int_or_str_fields_keep_non_numeric_strings() -> None:
    assert item(ref="123").ref == 123
    assert item(ref="INV1234").ref == "INV1234"
    assert item(ref=7).ref == 7
    assert item(ref="-7").ref == -7


@pytest.mark.parametrize(
    "text", ["0042", "+5", "-0", "123456789012345678901234", "9223372036854775808"]
)
def test_int_or_str_fields_keep_text_that_is_another_id_than_its_number(text: str) -> None:
    # "0042" read as 42 would name another object; past 64 bits no request could send it.
    assert item(ref=text).ref == text
    assert item(ref="9223372036854775807").ref == 2**63 - 1


def test_live_server_shapes_of_an_order() -> None:
    raw = {
        "order_id": "Order-27524",
        "total_weight": "2.80",
        "customer_id": "2678321",
        "is_priority": "0",
        "order_lines": [{"id": "3243137811", "qty": "5", "unit_price": "30.10"}],
    }
    order = structure(raw, Order)
    assert order.order_id == "Order-27524"
    assert (order.total_weight, order.customer_id, order.is_priority) == (2.8, 2678321, False)
    line = order.order_lines[0]
    assert (line.id, line.qty, line.unit_price) == (3243137811, 5, 30.1)


# --- missing, null and empty values ----------------------------------------------------------


def test_missing_keys_give_defaults_and_are_not_written() -> None:
    order = structure({}, Order)
    assert order == Order()
    assert order.order_id is None
    assert order.store is None
    assert order.order_lines == []
    assert unstructure(order) == {}


def test_null_and_absent_are_the_same_on_the_model() -> None:
    assert structure({"job_name": None, "store": None}, Order) == structure({}, Order)
    assert unstructure(structure({"job_name": None, "store": None}, Order)) == {}


def test_absent_and_null_arrays_are_omitted_but_empty_arrays_are_written_back() -> None:
    order = structure({"taxes": None, "payments": []}, Order)
    assert order.taxes == []
    assert type(order.taxes) is AbsentList
    assert order.shipments == []
    assert type(order.shipments) is AbsentList
    assert type(order.payments) is list
    assert unstructure(order) == {"payments": []}


def test_an_absent_array_that_gets_items_is_written() -> None:
    order = Order()
    order.notes.append(Note(content="hi"))
    assert unstructure(order) == {"notes": [{"content": "hi"}]}


def test_an_empty_array_for_an_object_means_no_object() -> None:
    # PHP's json_encode writes an empty associative array as [].
    assert structure({"shipping_details": []}, Order).shipping_details is None


# --- unknown keys ----------------------------------------------------------------------------


def test_unknown_keys_are_kept_at_every_level_and_written_back() -> None:
    raw = orjson.loads(orjson.dumps(SAMPLE_ORDER))
    raw["loyalty_points"] = 12
    raw["order_lines"][0]["embroidery"] = {"threads": ["red", "blue"]}
    raw["order_lines"][0]["views"][0]["areas"][0]["ink_ml"] = 1.5
    raw["notes"][0]["from"]["pronouns"] = "he/him"
    raw["store"]["owner"]["custom_fields"][0]["required"] = True

    order = structure(raw, Order)
    assert order.extra == {"loyalty_points": 12}
    assert order.order_lines[0].extra == {"embroidery": {"threads": ["red", "blue"]}}
    assert order.order_lines[0].views[0].areas[0].extra == {"ink_ml": 1.5}
    assert order.notes[0].from_ is not None
    assert order.notes[0].from_.extra == {"pronouns": "he/him"}
    assert order.store is not None
    assert order.store.owner is not None
    assert order.store.owner.custom_fields[0].extra == {"required": True}
    assert unstructure(order) == raw


def test_unknown_keys_are_part_of_equality() -> None:
    assert structure({"a": 1}, Order) != structure({"a": 2}, Order)
    assert structure({"a": 1}, Order) == structure({"a": 1}, Order)


def test_a_mapping_that_is_not_a_dict_is_read_as_one() -> None:
    row = MappingProxyType({"order_id": "INV1", "store": MappingProxyType({"id": "5", "odd": 1})})
    order = structure(row, Order)
    assert order.order_id == "INV1"
    assert order.store is not None
    assert (order.store.id, order.store.extra) == (5, {"odd": 1})


def test_renamed_key_reads_and_writes_its_json_name() -> None:
    note = structure({"from": {"user_id": "5"}}, Note)
    assert note.from_ is not None
    assert note.from_.user_id == 5
    assert note.extra == {}
    assert unstructure(note) == {"from": {"user_id": 5}}


def test_models_the_fast_path_cannot_build_keep_the_same_tolerance() -> None:
    raw = {"qty": "3", "item": {"id": "9", "odd": 1}, "items": [{"flag": "1"}], "new": "x"}
    checked = structure(raw, Checked)
    assert checked.qty == 3
    assert checked.item == Item(id=9, extra={"odd": 1})
    assert checked.items == [Item(flag=True)]
    assert checked.extra == {"new": "x"}
    assert unstructure(checked) == {
        "qty": 3,
        "item": {"id": 9, "odd": 1},
        "items": [{"flag": True}],
        "new": "x",
    }


def test_frozen_models_keep_unknown_keys() -> None:
    frozen = structure({"at": "2016-02-01T00:00:00", "odd": [1]}, Frozen)
    assert frozen == Frozen(at=datetime(2016, 2, 1, tzinfo=UTC), extra={"odd": [1]})
    assert unstructure(frozen) == {"at": "2016-02-01T00:00:00", "odd": [1]}


def test_models_without_extra_still_get_tolerant_types() -> None:
    plain = structure({"count": "3", "when": "2016-02-01T00:00:00"}, Plain)
    assert plain == Plain(count=3, when=datetime(2016, 2, 1, tzinfo=UTC))


def test_the_fast_and_the_detailed_converters_agree() -> None:
    raw = {
        "order_id": 1,
        "item_amount": "1.5",
        "date_due": "",
        "order_lines": [{"id": "2", "views": [{"production_files_ready": "1"}], "x": 1}],
        "notes": None,
        "shipping_details": [],
        "y": [1],
    }
    fast = converter.structure(raw, Order)
    assert fast == detailed_converter().structure(raw, Order)
    assert fast.order_lines[0].extra == {"x": 1}


def test_unstructure_a_page_of_models() -> None:
    page = structure_many([{"order_id": "A"}, {"order_id": "B", "z": 0}], Order)
    assert unstructure(page) == [{"order_id": "A"}, {"order_id": "B", "z": 0}]


# --- errors ----------------------------------------------------------------------------------


def error_of(data: Any, cls: Any = Order) -> StructureError:
    with pytest.raises(StructureError) as info:
        structure(data, cls)
    assert isinstance(info.value, ValueError)
    return info.value


def test_a_date_that_is_not_a_date_names_the_field() -> None:
    error = error_of({"date_ordered": "yesterday"})
    assert error.errors == ["expected an ISO-8601 date, got 'yesterday' @ $.date_ordered"]
    assert str(error).startswith("cannot read Order: ")


@pytest.mark.parametrize("raw", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_a_date_past_what_a_utc_datetime_holds_names_the_value(raw: str) -> None:
    # A far-future "never" in a zone west of UTC is a real date; in UTC it is in year 10000.
    error = error_of({"date_due": raw})
    assert error.errors == [
        f"expected a date within the years 1 to 9999 in UTC, got '{raw}' @ $.date_due"
    ]


def test_an_object_where_an_array_belongs_is_an_error() -> None:
    error = error_of({"order_lines": {"id": 1}})
    assert error.errors == ["expected a JSON array of OrderLine, got an object @ $.order_lines"]


def test_an_array_where_an_object_belongs_is_an_error() -> None:
    error = error_of({"store": [{"id": 1}]})
    assert error.errors == ["expected a JSON object for Store, got an array @ $.store"]


def test_nested_errors_give_their_full_path() -> None:
    raw = {"order_lines": [{}, {"views": [{"areas": [{"area_id": "body", "processes": 3}]}]}]}
    error = error_of(raw)
    assert set(error.errors) == {
        "expected an integer, got 'body' @ $.order_lines[1].views[0].areas[0].area_id",
        "expected a JSON array of Process, got 3 @ $.order_lines[1].views[0].areas[0].processes",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"customer_id": True}, "expected an integer, got True @ $.customer_id"),
        ({"customer_id": 1.5}, "expected an integer, got 1.5 @ $.customer_id"),
        # Digits of another script are no JSON number, whatever str.isdigit says.
        (
            {"customer_id": "\u0661\u0662"},
            "expected an integer, got '\u0661\u0662' @ $.customer_id",
        ),
        ({"item_amount": "\u0661\u0662"}, "expected a number, got '\u0661\u0662' @ $.item_amount"),
        ({"item_amount": "12,50"}, "expected a number, got '12,50' @ $.item_amount"),
        ({"is_priority": "maybe"}, "expected a boolean, got 'maybe' @ $.is_priority"),
        ({"is_priority": 2}, "expected a boolean, got 2 @ $.is_priority"),
        ({"job_name": {"a": 1}}, "expected a string, got an object @ $.job_name"),
        ({"date_due": 20160201}, "expected an ISO-8601 date string, got 20160201 @ $.date_due"),
        # "1e400" is infinity spelled otherwise; the floats below are what orjson makes of a
        # JSON integer beyond 64 bits: an id from one would be plausible and wrong.
        ({"item_amount": "1e400"}, "expected a finite number, got '1e400' @ $.item_amount"),
        # The JSON number 1e400 as the standard library reads it (orjson refuses it).
        ({"item_amount": math.inf}, "expected a finite number, got inf @ $.item_amount"),
        ({"item_amount": -math.inf}, "expected a finite number, got -inf @ $.item_amount"),
        ({"item_amount": math.nan}, "expected a finite number, got nan @ $.item_amount"),
        # Numbers as the product scan reads them.
        ({"customer_id": Decimal("1.50")}, "expected an integer, got 1.50 @ $.customer_id"),
        ({"customer_id": Decimal("1e19")}, "expected an integer, got 1E+19 @ $.customer_id"),
        (
            {"item_amount": Decimal("-1e400")},
            "expected a finite number, got -1E+400 @ $.item_amount",
        ),
        # 2**53, which the float of 9007199254740993 is too: from here a double's integers
        # are not exact.
        (
            {"customer_id": 9007199254740992.0},
            "expected a number that can be read exactly, got 9007199254740992.0 @ $.customer_id",
        ),
        (
            {"customer_id": float(123456789012345678901)},
            "expected a number that can be read exactly, got 1.2345678901234568e+20 @ $.customer_id",
        ),
        (
            {"order_id": float(123456789012345678901)},
            "expected a number that can be read exactly, got 1.2345678901234568e+20 @ $.order_id",
        ),
    ],
)
def test_values_of_the_wrong_kind_are_errors(data: dict[str, Any], message: str) -> None:
    assert error_of(data).errors == [message]


def test_a_page_error_names_the_row() -> None:
    with pytest.raises(StructureError) as info:
        structure_many([SAMPLE_ORDER, {"date_due": "soon"}], Order)
    assert info.value.errors == ["expected an ISO-8601 date, got 'soon' @ $[1].date_due"]
    assert str(info.value).startswith("cannot read list[Order]: ")


def test_a_page_of_many_bad_rows_names_the_first_few_and_counts_the_rest() -> None:
    with pytest.raises(StructureError) as info:
        structure_many([{"date_due": "soon"}] * 5000, Order)
    assert len(info.value.errors) == 5000  # every one kept on the error
    message = str(info.value)
    assert message.count("@ $[") == 10
    assert "@ $[9].date_due" in message
    assert message.endswith("; and 4,990 more (see .errors)")
    assert len(message) < 1500


def test_a_page_that_is_not_an_array_is_an_error() -> None:
    with pytest.raises(StructureError, match=r"expected a JSON array of Order, got an object @ \$"):
        structure_many({"orders": []}, Order)  # type: ignore[arg-type]


def test_errors_never_show_the_content_of_objects() -> None:
    # Download URLs carry login tokens; an error message must not repeat them.
    url = "https://shop.test/orders/get_design/1?login_token=s3cr3t"
    error = error_of({"order_lines": {"views": [{"thumbnail": url}]}})
    assert "s3cr3t" not in str(error)


@pytest.mark.parametrize(
    "text",
    [
        # A document URL carries the user's login key: never shown, not even in part.
        "https://shop.test/orders/get_design/1?user[id]=5521&key=3f2a9c41d07be8a5c6f1e2d3b4a5968778695a4b",
        "12\nERROR forged log line",
    ],
)
def test_errors_describe_a_long_or_unprintable_string_without_showing_it(text: str) -> None:
    error = error_of({"order_lines": [{"qty": text}]})
    assert error.errors == [
        f"expected an integer, got a string of {len(text)} characters @ $.order_lines[0].qty"
    ]


def test_validator_and_required_field_errors_name_the_field() -> None:
    # Validators run in __init__, so the path is the object's and attrs' message names the field.
    error = error_of({"qty": -1}, Checked)
    assert error.errors == ["'qty' must be >= 0: -1 @ $"]
    assert str(error).startswith("cannot read Checked: ")
    assert error_of({}, Plain).errors == ["required field missing @ $.count"]


def test_a_list_element_of_the_wrong_kind_names_its_index() -> None:
    error = error_of({"order_lines": [{"qty": 1}, None]})
    assert error.errors == ["expected a JSON object for OrderLine, got None @ $.order_lines[1]"]
    assert structure({"order_lines": [{"qty": 1}]}, Order).order_lines == [OrderLine(qty=1)]


@pytest.mark.parametrize(
    ("sent", "exact"),
    [
        ("9007199254740993.0", 9007199254740993),
        ("-3.0", -3),
        ("1.5e1", 15),
        ("1e23", None),
        ("3180941337.0000001", None),
        # Its digits alone: read whole, an int no JSON writer of the SDK's writes back.
        ("100000000000000000000000", None),
        ("18446744073709551616", None),
        ("18446744073709551615", 18446744073709551615),
        ("-9223372036854775809", None),
    ],
)
def test_a_numeric_string_id_is_read_exactly_or_refused(sent: str, exact: int | None) -> None:
    # Read through a float, "9007199254740993.0" became ...992 and "1e23" 99999999999999991611392,
    # and a fraction past a float's precision was dropped: plausible, wrong ids.
    content = orjson.dumps(
        {
            "response_status": {"code": 10001},
            "orders": [{"order_id": "INV1", "order_lines": [{"id": sent}]}],
        }
    )
    decoder = PageDecoder("orders", Order, "order_id")

    def fast(content: bytes) -> list[Order]:
        answer = decoder.parse(content)
        if answer is None:
            answer = decoder.read_json(orjson.loads(content), content)
        return decoder.models(answer)

    def tolerant(content: bytes) -> list[Order]:
        return structure_many(orjson.loads(content)["orders"], Order)

    for read in (fast, tolerant):
        if exact is None:
            with pytest.raises(StructureError, match="expected an integer"):
                read(content)
        else:
            (order,) = read(content)
            assert order.order_lines[0].id == exact


_INT_TEXT = [
    ("0", 0),
    ("007", 7),
    ("999999999999999999", 999999999999999999),  # 18 digits: read inline
    ("9223372036854775807", 9223372036854775807),  # 19: by the hook
    ("18446744073709551616", "expected an integer within 64 bits"),
    ("\u00b2", "expected an integer"),  # a digit to str.isdigit, not to int()
    ("\u0661\u0662", "expected an integer"),  # Arabic-Indic digits, which int() reads
    ("12.50", "expected an integer"),
]
_NUMBER_TEXT = [
    ("12", 12),  # an integer stays one, as the JSON 12 would
    ("12.50", 12.5),
    (".5", 0.5),
    ("5.", 5.0),
    ("18446744073709551616", 18446744073709551616.0),  # past 64 bits: a float, as orjson reads it
    ("1.2.3", "expected a number"),
    ("\u0661.5", "expected a number"),
]
_FLAG_TEXT = [("1", True), ("0", False), ("true", True), ("01", "expected a boolean")]


@pytest.mark.parametrize(
    ("where", "sent", "expected"),
    [("line id", *case) for case in _INT_TEXT]
    + [("unit price", *case) for case in _NUMBER_TEXT]
    + [("priority", *case) for case in _FLAG_TEXT],
)
def test_text_sent_for_a_number_or_flag_is_read_alike_on_every_path(
    where: str, sent: str, expected: Any
) -> None:
    # The usual text ("3243137811", "12.50", "0") is read inline by the generated functions,
    # anything else by the field's hook: at the edges both give what the hook alone gives.
    def page(value: Any) -> bytes:
        line = {"id": value if where == "line id" else 1}
        if where == "unit price":
            line["unit_price"] = value
        order = {"order_id": "INV1", "order_lines": [line]}
        if where == "priority":
            order["is_priority"] = value
        return orjson.dumps({"response_status": {"code": 10001}, "orders": [order]})

    def read(order: Order) -> Any:
        line = order.order_lines[0]
        return {"line id": line.id, "unit price": line.unit_price, "priority": order.is_priority}[
            where
        ]

    decoder = PageDecoder("orders", Order, "order_id")

    def fast() -> Order:
        answer = decoder.parse(page(sent))
        assert answer is not None
        (order,) = decoder.models(answer)
        return order

    def tolerant() -> Order:
        (order,) = structure_many(orjson.loads(page(sent))["orders"], Order)
        return order

    # The first page makes the field loose; the second is read by the tier reading it so.
    decoder.models(decoder.parse(page("1")))  # type: ignore[arg-type]
    decoder.models(decoder.parse(page("1")))  # type: ignore[arg-type]
    for how in (fast, tolerant):
        if isinstance(expected, str):
            with pytest.raises(StructureError, match=expected):
                read(how())
        else:
            value = read(how())
            assert value == expected
            assert type(value) is type(expected)


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**23])
def test_an_int_past_64_bits_given_to_from_dict_is_refused_as_on_a_page(number: int) -> None:
    # json.loads reads any integer; from_dict kept it, where a page refuses it, and to_dict's
    # output then failed orjson ("Integer exceeds 64-bit range").
    with pytest.raises(StructureError, match="expected an integer within 64 bits"):
        structure({"order_id": "INV1", "customer_id": number}, Order)
    assert structure({"order_id": "INV1", "customer_id": 2**64 - 1}, Order).customer_id == 2**64 - 1


@pytest.mark.parametrize(
    "sent", ["18446744073709551617", "-9223372036854775809", '"18446744073709551617"']
)
def test_an_amount_past_64_bits_is_the_same_float_from_a_dict_as_from_a_page(sent: str) -> None:
    # A page reads the JSON integer as a float (orjson does); from_dict kept the int, so one
    # answer made two unequal orders, and a float field held an int.
    content = b'{"response_status": {"code": 10001}, "orders": [{"order_id": "INV1", '
    content += b'"billable_amount": %b}]}' % sent.encode()
    decoder = PageDecoder("orders", Order, "order_id")
    answer = decoder.parse(content) or decoder.read_json(orjson.loads(content), content)
    (paged,) = decoder.models(answer)
    given = structure(json.loads(content)["orders"][0], Order)
    assert type(given.billable_amount) is float
    assert given == paged
    assert given.billable_amount == float(sent.strip('"'))


def test_a_bad_value_under_a_renamed_field_is_reported_at_its_json_key() -> None:
    # Note.from_ reads the JSON key "from": the path names the JSON, not the attribute.
    rows = [{"order_id": "INV1", "notes": [{"from": {"user_id": "abc"}}]}]
    with pytest.raises(StructureError) as caught:
        structure_many(rows, Order)
    assert caught.value.errors == ["expected an integer, got 'abc' @ $[0].notes[0].from.user_id"]


def test_to_dict_of_a_product_scan_row_is_json_ready() -> None:
    # The scan reads numbers exactly: its unknown keys kept their Decimals through from_dict,
    # and to_dict's "JSON-ready dict" failed json.dumps and orjson.
    from omsclient.legacy.models import Product

    row = {
        "product_id": 288447781,
        "price_from": Decimal("12.50"),
        "skus": [{"sku": "A", "price": Decimal("12.50"), "weight_kg": Decimal("0.25")}],
        "tags": [{"rate": Decimal("1e3")}, [Decimal("2.5")]],
    }
    product = structure(row, Product)
    data = unstructure(product)
    assert data["price_from"] == 12.5
    assert data["skus"] == [{"sku": "A", "price": 12.5, "weight_kg": 0.25}]
    assert data["tags"] == [{"rate": 1000.0}, [2.5]]
    assert orjson.loads(orjson.dumps(data)) == data
    # A copy: changing what to_dict gave changes nothing of the model.
    data["tags"][0]["rate"] = 0
    assert product.extra["tags"][0]["rate"] == Decimal("1e3")


def test_to_dict_of_a_page_writes_its_models_as_dicts() -> None:
    # A page's items are a list[T]: to_dict left the models in it, and json.dumps failed.
    import omsclient
    from omsclient.legacy import ScanPage

    order = structure({"order_id": "INV1", "order_status": 1, "customer_id": "7"}, Order)
    page = omsclient.Page(items=[order], total=1, offset=0, limit=100)
    expected = {"order_id": "INV1", "order_status": 1, "customer_id": 7}
    data = unstructure(page)
    assert data == {"items": [expected], "total": 1, "offset": 0, "limit": 100, "total_known": True}
    assert orjson.loads(orjson.dumps(data)) == data
    assert unstructure(ScanPage(window=2, items=[order])) == {"window": 2, "items": [expected]}
    raw = omsclient.Page(items=[{"order_id": "INV1"}], total=1, offset=0, limit=100)
    assert unstructure(raw)["items"] == [{"order_id": "INV1"}]


def test_to_dict_of_a_model_with_deeply_nested_unknown_keys() -> None:
    nested: Any = Decimal("0.5")
    for _ in range(1020):  # as deep as orjson reads: past Python's recursion limit
        nested = [nested]
    order = structure({"order_id": "INV1", "odd": nested}, Order)
    value = unstructure(order)["odd"]
    for _ in range(1020):
        (value,) = value
    assert value == 0.5


def test_to_dict_of_a_model_whose_unknown_keys_hold_themselves_says_so() -> None:
    # Copied level after level, the copy never ended: all of the machine's memory, then a
    # MemoryError (json.dumps says "Circular reference detected").
    held: dict[str, Any] = {"a": 1}
    held["me"] = held
    order = Order(order_id="INV1", extra={"gift": [held]})
    with pytest.raises(ValueError, match="holds itself, or nests deeper than 10,000 levels"):
        unstructure(order)


def test_an_array_php_wrote_as_an_object_of_its_indexes_is_read_in_its_order() -> None:
    # PHP's json_encode writes an array whose keys are no longer 0, 1, 2... (a line filtered
    # out) as an object: the whole order was unreadable ("expected a JSON array of OrderLine").
    line = SAMPLE_ORDER["order_lines"][0]
    lines = {"2": {**line, "id": 2}, "0": {**line, "id": 1}}
    order = {**SAMPLE_ORDER, "order_lines": lines, "notes": {}}
    for read in (structure(order, Order), structure_many([order], Order)[0]):
        assert [ln.id for ln in read.order_lines] == [2, 1]  # as sent, as PHP keeps them
        assert read.notes == []
    # An object of other keys is no array.
    with pytest.raises(StructureError, match="expected a JSON array of OrderLine, got an object"):
        structure({**SAMPLE_ORDER, "order_lines": {"0": line, "x": line}}, Order)
    with pytest.raises(StructureError, match="expected a JSON array of OrderLine"):
        structure({**SAMPLE_ORDER, "order_lines": {"-1": line}}, Order)
