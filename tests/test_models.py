"""The legacy models against the vendor samples: coverage, round trips, documentation."""

from __future__ import annotations

import inspect
import re
import time
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

from omsclient import StructureError, from_dict, to_dict
from omsclient._decoding import AbsentList, structure, structure_many, unstructure
from omsclient.legacy import models
from omsclient.legacy.models import Order, Product, ProductDetailed
from omsclient.rest import Address, BatchOrder, BatchOrderStatus, PrintFile, PrintFileStatus

DATA = Path(__file__).parent / "data"
SAMPLE_ORDER: dict[str, Any] = orjson.loads((DATA / "sample_order.json").read_bytes())
SAMPLE_PRODUCT: dict[str, Any] = orjson.loads((DATA / "sample_product.json").read_bytes())
UTC = timezone.utc

MODEL_CLASSES: list[Any] = [
    obj
    for name, obj in vars(models).items()
    if inspect.isclass(obj) and attrs.has(obj) and obj.__module__ == models.__name__
]


def walk_models(obj: Any) -> list[Any]:
    """Every model instance reachable from ``obj``."""
    found = []
    if attrs.has(type(obj)):
        found.append(obj)
        for field in attrs.fields(type(obj)):
            found += walk_models(getattr(obj, field.name))
    elif isinstance(obj, list):
        for item in obj:
            found += walk_models(item)
    return found


def test_every_model_is_exported_documented_and_optional() -> None:
    assert len(MODEL_CLASSES) == len(models.__all__)
    for cls in MODEL_CLASSES:
        assert cls.__name__ in models.__all__
        doc = inspect.getdoc(cls) or ""
        inherited = doc + "".join(inspect.getdoc(base) or "" for base in cls.__mro__[1:])
        for field in attrs.fields(cls):
            assert f"{field.name}:" in inherited, f"{cls.__name__}.{field.name} is undocumented"
        instance = cls()  # every field has a default
        assert instance.extra == {}
        assert not hasattr(instance, "__dict__"), f"{cls.__name__} is not slotted"
        with pytest.raises(TypeError):
            cls(None)  # keyword-only


def test_sample_order_round_trips_byte_for_byte() -> None:
    order = structure(SAMPLE_ORDER, Order)
    # Every sample date is already in the YYYY-MM-DDTHH:MM:SS form unstructuring writes, and the
    # model fields follow the sample's key order, so even the bytes come back unchanged.
    assert orjson.dumps(unstructure(order)) == orjson.dumps(SAMPLE_ORDER)


def test_models_cover_every_key_of_the_sample() -> None:
    order = structure(SAMPLE_ORDER, Order)
    instances = walk_models(order)
    assert len(instances) == 39  # every object of the sample became a model
    assert all(instance.extra == {} for instance in instances)


def test_sample_order_values_are_typed() -> None:
    order = structure(SAMPLE_ORDER, Order)
    assert order.order_id == "INV1234"
    assert order.date_ordered == datetime(2016, 2, 1, tzinfo=UTC)
    assert order.date_due == datetime(2016, 2, 15, tzinfo=UTC)
    assert order.tax_amount_before_discounts == 6.5
    assert order.coupon_code == "ABC123"
    assert order.is_priority is False
    assert order.shipments[0].packages[0].height == 0.6
    assert order.shipments[0].workflow_items[0].workflow_item_id == 5463456
    assert order.billing_details is not None
    assert order.billing_details.company_id == 5423
    assert order.billing_details.custom_fields[0].caption == "Student Name"
    assert order.payments[0].payment_id == 234234
    assert order.refunds[0].date_refunded == datetime(2016, 2, 3, tzinfo=UTC)
    assert order.notes[0].from_ is not None
    assert order.notes[0].from_.firstname == "Fred"
    assert order.store is not None
    assert order.store.owner is not None
    assert order.store.owner.email == "fred@acme.co"
    assert order.assigned_to is not None
    assert order.assigned_to.login == "Bob123"

    line = order.order_lines[0]
    assert line.id == 345554635463
    assert line.product_color is not None
    assert line.product_color.colors[0].type == "rgb"
    option = line.fields[0].options[0]
    assert option.sub_options[0].price == 20
    assert option.sub_options[0].dn_sku_id == "123234-423513"
    area = line.views[0].areas[0]
    assert area.proof_url == "https://abc.secure-decoration.com/orders/get_area_proof/12321"
    process = area.processes[0]
    assert (process.process, process.stitch_count, process.cropped) == ("DTG", 999, False)
    assert process.production_file_url is not None
    assert line.teamnames[1].fields[0].text == "John"
    assert line.decoration_unit_price == 5.15
    assert line.processed_by is not None
    assert line.processed_by.id == 35345
    assert line.workflow_items[0].purchase_order_lines[0].po_number == "PO-3452"


def test_garbled_blueprint_keys_are_kept_as_unknown_keys() -> None:
    line = {"po_line_id": 1, "po_number PO": "Hello, world!"}
    order = structure(
        {"order_lines": [{"workflow_items": [{"purchase_order_lines": [line]}]}]}, Order
    )
    po_line = order.order_lines[0].workflow_items[0].purchase_order_lines[0]
    assert po_line.po_number is None
    assert po_line.extra == {"po_number PO": "Hello, world!"}
    assert unstructure(po_line) == line


def test_a_page_of_orders_structures_like_single_orders() -> None:
    rows = orjson.loads(orjson.dumps([SAMPLE_ORDER] * 3))
    page = structure_many(rows, Order)
    assert page == [structure(SAMPLE_ORDER, Order)] * 3
    assert page[0] is not page[1]


def test_product_round_trips() -> None:
    product = structure(SAMPLE_PRODUCT, ProductDetailed)
    assert isinstance(product, Product)
    assert (product.product_id, product.product_code) == (288447781, "J317")
    assert product.categories[0].name == "Jackets"
    assert product.colors[0].name == "Black"
    assert product.sizes[1].code == "2XL"
    assert product.skus[0].dn_sku_id == "288447781_360396096"
    assert product.extra == {}
    assert orjson.dumps(unstructure(product)) == orjson.dumps(SAMPLE_PRODUCT)


def test_a_product_keeps_keys_it_does_not_model() -> None:
    row = {**SAMPLE_PRODUCT, "image_url": "https://img.test/1.png"}
    product = structure(row, Product)
    assert product.extra == {"image_url": "https://img.test/1.png"}
    assert unstructure(product) == row


def test_a_product_without_colours_or_sizes_writes_none_back() -> None:
    row = {"product_id": 7, "product_code": "X1"}
    product = structure(row, ProductDetailed)
    assert product.colors == []
    assert type(product.colors) is AbsentList
    assert unstructure(product) == row


class _NoOffset(tzinfo):
    """A time zone that tells no offset: its datetimes are naive, so UTC."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_a_datetime_whose_zone_tells_no_offset_is_written_as_utc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It was read as UTC, and written out in the machine's zone: 09:00 became 13:00 in New
    # York.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        order = Order(order_id="INV1", date_due=datetime(2024, 5, 1, 9, tzinfo=_NoOffset()))
        assert unstructure(order)["date_due"] == "2024-05-01T09:00:00"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        ({"code": "ready"}, "expected a string, got an object @ $.status"),
        (["ready"], "expected a string, got an array @ $.status"),
        (True, "expected a string, got True @ $.status"),
    ],
)
def test_a_rest_status_that_is_no_text_is_refused_naming_its_path(
    status: object, problem: str
) -> None:
    # Kept as its Python repr, to_dict wrote back "{'code': 'ready'}", a string no server sent.
    with pytest.raises(StructureError, match=re.escape(problem)):
        from_dict({"ecommerce_order_item_id": "A", "status": status}, PrintFile)
    number = from_dict({"ecommerce_order_item_id": "A", "status": 3}, PrintFile)
    assert to_dict(number)["status"] == "3"  # a number's digits, as a string field takes it


@pytest.mark.parametrize("status", [True, {"c": 1}, ["billing"]])
def test_a_hand_built_model_takes_no_status_that_is_no_text(status: object) -> None:
    # Address(type_id=True) kept 'True', which to_dict wrote back.
    with pytest.raises(ValueError, match="is not a valid AddressType"):
        Address(type_id=status)  # type: ignore[arg-type]
    assert Address(type_id=3).type_id == "3"  # a number's digits, as read from an answer


@pytest.mark.parametrize("status", ["ready", "READY", PrintFileStatus.READY])
def test_a_hand_built_print_file_or_batch_takes_its_status_as_text(status: Any) -> None:
    # PrintFile(status="ready") kept the string: .ready compared by identity and said False,
    # and to_dict raised "'str' object has no attribute 'value'".
    made = PrintFile(ecommerce_order_item_id="A", status=status, url="https://f.test/a.pdf")
    assert made.status is PrintFileStatus.READY
    assert (made.ready, made.done) == (True, True)
    assert to_dict(made)["status"] == "ready"
    batch = BatchOrder(uid="B", status="batching")
    assert batch.status is BatchOrderStatus.BATCHING
    assert to_dict(batch) == {"uid": "B", "status": "Batching"}
    assert PrintFile(status="on_hold").status == "on_hold"  # kept, as read from an answer


def test_a_tuple_where_an_array_belongs_is_named_a_tuple() -> None:
    # "expected a JSON array of Tax, got an array": the message contradicted itself.
    with pytest.raises(StructureError, match=re.escape("a JSON array of Tax, got a tuple")):
        from_dict({**SAMPLE_ORDER, "taxes": ({"name": "VAT"},)}, Order)


def _sample_order() -> Order:
    return from_dict(SAMPLE_ORDER, Order)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"date_ordered": "2016-02-01"}, "Order.date_ordered: expected datetime, got '2016-02-01'"),
        ({"taxes": [{"name": "VAT"}]}, "Order.taxes[0]: expected Tax, got an object"),
        ({"taxes": [None]}, "Order.taxes[0]: expected Tax, got None"),
        ({"taxes": "VAT"}, "Order.taxes: expected list[Tax], got 'VAT'"),
        # "'NoneType' object is not iterable", naming no field.
        ({"taxes": None}, "Order.taxes: expected list[Tax], got None"),
        # A list of scalars wrote a string's characters and a dict's keys, with no error.
        ({"attachment_urls": "https://x/a.pdf"}, "expected list[str], got 'https://x/a.pdf'"),
        ({"attachment_urls": {"a": 1}}, "expected list[str], got an object"),
        ({"attachment_urls": None}, "expected list[str], got None"),
    ],
)
def test_to_dict_names_the_field_holding_a_value_of_another_type(
    change: dict[str, Any], problem: str
) -> None:
    # The generated writer failed inside, with "'str' object has no attribute 'tzinfo'".
    order = _sample_order()
    if "attachment_urls" in change:
        order.order_lines[0] = attrs.evolve(order.order_lines[0], **change)
        problem = f"Order.order_lines[0].attachment_urls: {problem}"
    else:
        order = attrs.evolve(order, **change)
    with pytest.raises(TypeError, match=re.escape(f"cannot write {problem}")):
        to_dict(order)
    with pytest.raises(TypeError, match=re.escape(f"cannot write [1].{problem[6:]}")):
        to_dict([_sample_order(), order])


def test_a_list_of_text_set_by_hand_as_another_collection_is_written_as_a_list() -> None:
    # The check that refuses a string there must not refuse what list() reads item by item.
    line = _sample_order().order_lines[0]
    for given in ({"https://x/a.pdf"}, ("https://x/a.pdf",), (u for u in ["https://x/a.pdf"])):
        written = to_dict(attrs.evolve(line, attachment_urls=given))
        assert written["attachment_urls"] == ["https://x/a.pdf"]


def test_a_date_set_by_hand_past_the_years_in_utc_is_named_both_ways() -> None:
    # 10000-01-01T04:00 in UTC: to_dict raised a bare OverflowError naming no field, and
    # from_dict an "unknown error", where the same date as text was named.
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    problem = "expected a date within the years 1 to 9999 in UTC, got '9999-12-31T23:00:00-05:00'"
    order = attrs.evolve(_sample_order(), date_ordered=late)
    with pytest.raises(ValueError, match=re.escape(f"cannot write Order.date_ordered: {problem}")):
        to_dict(order)
    for value in (late, late.isoformat()):
        with pytest.raises(StructureError, match=re.escape(f"{problem} @ $.date_ordered")):
            from_dict({"order_id": "A", "date_ordered": value}, Order)


def test_to_dict_names_the_wrong_field_beside_a_tuple_it_writes_as_a_list() -> None:
    # It named taxes, which wrote fine, for the date that failed.
    order = _sample_order()
    order = attrs.evolve(order, taxes=tuple(order.taxes), date_ordered="2016-02-01")
    with pytest.raises(TypeError, match=re.escape("cannot write Order.date_ordered")):
        to_dict(order)


def test_to_dict_names_a_wrong_value_deep_inside() -> None:
    order = _sample_order()
    line = order.order_lines[0]
    order.order_lines[0] = attrs.evolve(line, fields=[*line.fields[:1], {"k": "v"}])
    field_type = type(line.fields[0]).__name__
    with pytest.raises(
        TypeError, match=re.escape(f"Order.order_lines[0].fields[1]: expected {field_type}")
    ):
        to_dict(order)


def test_to_dict_refuses_extra_holding_a_field_of_its_own() -> None:
    # Written after the fields, it replaced what the model held: order_id "999" went out for
    # an order whose order_id is another.
    order = attrs.evolve(_sample_order(), extra={"order_id": "999", "kept": 1})
    with pytest.raises(
        ValueError, match=re.escape("Order.extra holds 'order_id', a field of its own")
    ):
        to_dict(order)
    order.extra = {"kept": 1}
    assert to_dict(order)["kept"] == 1
    assert to_dict(order)["order_id"] == SAMPLE_ORDER["order_id"]
