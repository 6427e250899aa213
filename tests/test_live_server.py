"""Against a server answering as LIVE-SERVER.md describes.

The fixtures here are written by hand from LIVE-SERVER.md's tables (products, orders with the
undocumented keys, document URLs carrying the login key), never produced by the sandbox's
renderer, so the SDK is held to the live server and not to our own idea of it.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import cli, errors
from omsclient._decoding import PageDecoder, structure, structure_many, unstructure
from omsclient._decoding._lazy import Deferred
from omsclient.export import export_orders
from omsclient.legacy import (
    Condition,
    NewStatus,
    Op,
    OrderField,
    OrderIncludes,
    ProductField,
    ScanPage,
    StatusChange,
    StatusUpdate,
)
from omsclient.legacy.models import Order, Product

from .conftest import LEGACY, RESPX_TRANSPORT, form_of, ok

FIND = f"{LEGACY}/api/json/manage_orders/find"
UPDATE = f"{LEGACY}/api/json/manage_orders/update_order_status"
PFIND = f"{LEGACY}/api/json/manage_products/find"
PGET = f"{LEGACY}/api/json/manage_products/get"
ALL = Condition(OrderField.INVOICE_NUMBER, Op.GT, string=0)
EVERY_PRODUCT = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)

LOGIN_KEY = "3f2a9c41d07be8a5c6f1e2d3b4a5968778695a4b"  # 40 hex, as live URLs carry
KEYED = f"?user[id]=5521&key={LOGIN_KEY}"

# A product as manage_products/find and manage_products/get send it (LIVE-SERVER.md, Products).
LIVE_PRODUCT: dict[str, Any] = {
    "product_id": 288447781,
    "product_code": "J317",
    "product_name": "Core Soft Shell Jacket",
    "supplier": "SanMar",
    "brand": "Port Authority",
    "categories": [{"name": "Jackets"}],
    "colors": [{"id": 360396, "name": "Black"}, {"id": 360397, "name": "Deep Black"}],
    "sizes": [{"id": 96, "name": "Small", "code": "S"}, {"id": 97, "name": "Medium", "code": "M"}],
    "skus": [
        {
            "size_id": 96,
            "color_id": 360396,
            "price": 54.98,
            "cost": 27.49,
            "sku": "J317-BLK-S",
            "dn_sku_id": "288447781_360396096",
        },
        {
            "size_id": 97,
            "color_id": 360397,
            "price": 54.98,
            "cost": 27.49,
            "sku": "J317-DBK-M",
            "dn_sku_id": "288447781_360397097",
        },
    ],
}
# About 1% of live products have no product_code, and about 2% no category.
LIVE_PRODUCT_WITHOUT_CODE: dict[str, Any] = {
    "product_id": 288447790,
    "product_name": "Unbranded Tote",
    "supplier": "Local",
    "brand": "",
    "categories": [],
    "colors": [{"id": 1, "name": "Natural"}],
    "sizes": [{"id": 5, "name": "One Size", "code": "OS"}],
    "skus": [
        {
            "size_id": 5,
            "color_id": 1,
            "price": 4.5,
            "cost": 2.1,
            "sku": "TOTE-OS",
            "dn_sku_id": "288447790_1005",
        }
    ],
}

# A live 2024 order (LIVE-SERVER.md, Orders): string ids, .000+00:00 dates, nulls, the keys the
# docs leave out, and document URLs carrying the user's login key (the order's PDFs, an area's
# proof and a process's production and source files alike).
LIVE_ORDER: dict[str, Any] = {
    "order_id": "927602",
    "order_status": 4,
    "source_type": 2,
    "is_priority": False,
    "created_by": {"id": 5521, "login": "shopadmin", "firstname": "Dana", "lastname": "Reyes"},
    "date_ordered": "2024-10-09T02:24:39.000+00:00",
    "date_produced": None,
    "date_shipped": None,
    "date_modified": "2024-10-10T17:05:12.000+00:00",
    "quote_pdf_url": f"https://shop.example.com/manage/orders/download_quote/927602{KEYED}",
    "production_pdf_url": f"https://shop.example.com/orders/print_freight/927602{KEYED}",
    "billing_details": {"firstname": "Sam", "company_id": None, "salutation": None},
    # Whole amounts come as integers, and a payment taken in person names no gateway.
    "item_amount": 353,
    "payment_details": {"payment_type_id": 415651, "payment_type_name": "In Person"},
    "store": {"id": 41, "name": "Marque", "owner": {"firstname": "Lee", "company_id": None}},
    "payments": [
        {
            "id": 77120,
            "paid_amount": 120.5,
            "code": "stripe_cc",
            "driver_code": "stripe",
            "driver_sub_code": "card",
        },
        {"id": 77121, "paid_amount": 0, "driver_code": None, "driver_sub_code": None},
    ],
    "order_lines": [
        {
            "id": "3180941336",
            "product_id": 288447781,
            "product_code": "J317",
            "product_supplier_name": "SanMar",
            "fc_production_status": "",
            "attachment_urls": ["https://shop.example.com/files/brief.pdf"],
            "item_type": 25,
            "product_color": {"id": 360396, "name": "Black"},
            "processed_by": None,
            "production_assigned_to": None,
            "qty": 3,
            "fields": [
                {
                    "field_id": 1,
                    "field_name": "Size",
                    "field_type": 0,
                    "string_value": None,
                    "date_value": None,
                    "file_value_url": None,
                    "options": [
                        {
                            "option_id": 96,
                            "qty": 3,
                            "code": "S",
                            "dn_sku_id": "288447781_360396096",
                            "price": 54.98,
                            "cost": 27.49,
                        }
                    ],
                }
            ],
            "views": [
                {
                    "view_id": 1,
                    "areas": [
                        {
                            "area_id": 2,
                            "proof_url": (
                                f"https://shop.example.com/production/get_area_proof/2{KEYED}"
                            ),
                            "processes": [
                                {
                                    "process": "Embroidery",
                                    "production_file_url": (
                                        f"https://shop.example.com/orders/get_design/9{KEYED}"
                                    ),
                                    "source_file_url": (
                                        "https://shop.example.com/production/"
                                        f"get_source_artwork/9{KEYED}"
                                    ),
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


def live_order(order_id: str, status: int) -> dict[str, Any]:
    order = copy.deepcopy(LIVE_ORDER)
    order["order_id"] = order_id
    order["order_status"] = status
    return order


def extras(obj: Any) -> list[Any]:
    """Every non-empty ``extra`` in a model tree."""
    found = []
    if hasattr(obj, "extra"):
        if obj.extra:
            found.append((type(obj).__name__, obj.extra))
        for name in type(obj).__attrs_attrs__:
            value = getattr(obj, name.name)
            for item in value if isinstance(value, list) else [value]:
                found += extras(item)
    return found


# -- products -------------------------------------------------------------------------------


def test_a_live_product_decodes_to_typed_attributes() -> None:
    product = structure(LIVE_PRODUCT, Product)
    assert (product.product_id, product.product_code, product.product_name) == (
        288447781,
        "J317",
        "Core Soft Shell Jacket",
    )
    assert (product.supplier, product.brand) == ("SanMar", "Port Authority")
    assert [c.name for c in product.categories] == ["Jackets"]
    assert [(c.id, c.name) for c in product.colors] == [(360396, "Black"), (360397, "Deep Black")]
    assert [(s.id, s.name, s.code) for s in product.sizes] == [
        (96, "Small", "S"),
        (97, "Medium", "M"),
    ]
    sku = product.skus[0]
    assert (sku.size_id, sku.color_id, sku.price, sku.cost) == (96, 360396, 54.98, 27.49)
    assert (sku.sku, sku.dn_sku_id) == ("J317-BLK-S", "288447781_360396096")
    assert extras(product) == []
    assert unstructure(product) == LIVE_PRODUCT
    bare = structure(LIVE_PRODUCT_WITHOUT_CODE, Product)
    assert bare.product_code is None
    assert bare.categories == []
    assert unstructure(bare) == LIVE_PRODUCT_WITHOUT_CODE


def test_product_pages_decode_the_same_on_the_fast_path() -> None:
    body = orjson.dumps(ok(products=[LIVE_PRODUCT, LIVE_PRODUCT_WITHOUT_CODE], total=2))
    decoded = PageDecoder("products", Product, "product_id").decode(body)
    assert decoded is not None
    assert decoded.items == structure_many([LIVE_PRODUCT, LIVE_PRODUCT_WITHOUT_CODE], Product)


def catalogue(count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        row = copy.deepcopy(LIVE_PRODUCT if n % 100 else LIVE_PRODUCT_WITHOUT_CODE)
        row["product_id"] = 1001 + n * 7
        rows.append(row)
    return rows


@respx.mock
async def test_get_many_of_345_existing_ids_returns_345_in_order(
    oms: omsclient.AsyncClient,
) -> None:
    rows = {row["product_id"]: row for row in catalogue(345)}

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["ids"].split(",")]
        # The live server answers in its own order, not the order asked.
        return httpx.Response(200, json=ok(products=[rows[i] for i in sorted(ids)]))

    route = respx.post(PGET).mock(side_effect=answer)
    asked = list(rows)[::-1]
    got = await oms.legacy.products.get_many(asked)
    assert route.call_count == 4
    assert len(got) == 345
    assert [p.product_id for p in got] == asked
    assert all(p.skus for p in got)


@respx.mock
async def test_get_returns_id_code_name_and_skus(oms: omsclient.AsyncClient) -> None:
    respx.post(PGET).respond(json=ok(product=LIVE_PRODUCT))
    product = await oms.legacy.products.get(288447781)
    assert (product.product_id, product.product_code, product.product_name) == (
        288447781,
        "J317",
        "Core Soft Shell Jacket",
    )
    assert [s.dn_sku_id for s in product.skus] == ["288447781_360396096", "288447781_360397097"]


@respx.mock
async def test_iterate_and_scan_key_on_product_id(oms: omsclient.AsyncClient) -> None:
    rows = catalogue(345)

    def find(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        after = int(form["string"])
        offset, limit = int(form["offset"]), int(form["limit"])
        match = [r for r in rows if r["product_id"] > after]
        return httpx.Response(
            200, json=ok(products=match[offset : offset + limit], total=len(match))
        )

    respx.post(PFIND).mock(side_effect=find)
    iterated = [p.product_id async for p in oms.legacy.products.iterate(EVERY_PRODUCT)]
    assert iterated == [r["product_id"] for r in rows]
    scan = oms.legacy.products.scan()
    scanned = [p["product_id"] async for p in scan]
    assert scanned == iterated
    assert scan.state.after == rows[-1]["product_id"]


@respx.mock
async def test_a_scan_of_rows_without_product_id_says_so(oms: omsclient.AsyncClient) -> None:
    documented_shape = {"id": 7, "code": "G2000", "name": "Gildan 2000"}
    respx.post(PFIND).respond(json=ok(products=[documented_shape], total=1))
    with pytest.raises(errors.DecodeError, match="no usable product_id"):
        [_ async for _ in oms.legacy.products.scan()]


@respx.mock
async def test_a_scan_reads_product_ids_as_the_model_does(oms: omsclient.AsyncClient) -> None:
    # "5.0" is the product 5 that get_many returns: a scan (and so an export or a sync) keeps
    # it, and resumes after it.
    respx.post(PFIND).respond(json=ok(products=[{**LIVE_PRODUCT, "product_id": "5.0"}], total=1))
    scan = oms.legacy.products.scan()
    assert [p["product_id"] async for p in scan] == ["5.0"]
    assert scan.state.after == 5


@pytest.mark.parametrize("product_id", [5.7, True, "five"])
@respx.mock
async def test_a_scan_refuses_a_product_id_the_model_cannot_read(
    oms: omsclient.AsyncClient, product_id: object
) -> None:
    # int() made 5.7 product 5 and true product 1: the next page would have started there.
    row = {**LIVE_PRODUCT, "product_id": product_id}
    respx.post(PFIND).respond(json=ok(products=[row], total=1))
    with pytest.raises(errors.DecodeError, match="no usable product_id"):
        [_ async for _ in oms.legacy.products.scan()]


# -- orders ---------------------------------------------------------------------------------


def test_a_live_order_decodes_with_every_undocumented_key_typed() -> None:
    order = structure(LIVE_ORDER, Order)
    assert extras(order) == []  # every key LIVE-SERVER.md lists is an attribute
    assert (order.order_id, order.order_status, order.source_type) == ("927602", 4, 2)
    assert order.is_priority is False
    assert order.created_by is not None
    assert order.created_by.login == "shopadmin"
    assert order.date_produced is None
    line = order.order_lines[0]
    assert line.id == 3180941336
    assert (line.product_supplier_name, line.fc_production_status, line.item_type) == (
        "SanMar",
        "",
        25,
    )
    assert line.attachment_urls == ["https://shop.example.com/files/brief.pdf"]
    assert line.processed_by is None
    assert line.product_color is not None
    assert line.product_color.colors == []
    option = line.fields[0].options[0]
    assert (option.price, option.cost) == (54.98, 27.49)
    process = line.views[0].areas[0].processes[0]
    assert process.source_file_url == (
        f"https://shop.example.com/production/get_source_artwork/9{KEYED}"
    )
    assert LOGIN_KEY in (order.order_lines[0].views[0].areas[0].proof_url or "")
    payment, in_person = order.payments
    assert (payment.code, payment.driver_code, payment.driver_sub_code) == (
        "stripe_cc",
        "stripe",
        "card",
    )
    assert (in_person.paid_amount, in_person.driver_code, in_person.driver_sub_code) == (
        0,
        None,
        None,
    )
    assert order.item_amount == 353
    assert order.payment_details is not None
    assert order.payment_details.card_number is None
    assert order.store is not None
    assert order.store.owner is not None
    assert order.store.owner.company_id is None
    field = line.fields[0]
    assert (field.string_value, field.date_value, field.file_value_url) == (None, None, None)
    # The login key stays in the data, lossless.
    assert LOGIN_KEY in (order.quote_pdf_url or "")
    assert LOGIN_KEY in orjson.dumps(omsclient.to_dict(order)).decode()


@pytest.mark.parametrize("status", [1, 2, 3, 4, 7, 12])
def test_every_status_decodes_on_both_paths_keeping_its_number(status: int) -> None:
    rows = [live_order("927602", status), live_order("927603", 7)]
    body = orjson.dumps(ok(orders=rows, total=2))
    decoded = PageDecoder("orders", Order, "order_id").decode(body)
    assert decoded is not None
    assert [o.order_status for o in decoded.items] == [status, 7]
    assert decoded.items == structure_many(orjson.loads(orjson.dumps(rows)), Order)


@respx.mock
async def test_searches_iterations_and_scans_decode_statuses_4_and_7(
    oms: omsclient.AsyncClient,
) -> None:
    rows = [live_order(str(927600 + n), (1, 4, 7)[n % 3]) for n in range(9)]
    respx.post(FIND).respond(json=ok(orders=rows, total=9))
    page = await oms.legacy.orders.search(ALL)
    assert [o.order_status for o in page.items] == [1, 4, 7] * 3
    raw = [o["order_status"] async for o in oms.legacy.orders.iterate_raw(ALL)]
    assert raw == [1, 4, 7] * 3


# -- login keys -----------------------------------------------------------------------------


@respx.mock
async def test_default_searches_send_skip_login_token(oms: omsclient.AsyncClient) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    await oms.legacy.orders.search(ALL)
    [_ async for _ in oms.legacy.orders.iterate(ALL)]
    [_ async for _ in oms.legacy.orders.iterate_raw(ALL)]
    [_ async for _ in oms.legacy.orders.scan()]
    forms = [form_of(call.request) for call in route.calls]
    assert len(forms) >= 4
    assert all(form.get("skip_login_token") == "1" for form in forms)


@respx.mock
async def test_login_tokens_only_when_asked_for(oms: omsclient.AsyncClient) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    await oms.legacy.orders.search(ALL, include_login_tokens=True)
    [_ async for _ in oms.legacy.orders.iterate_raw(ALL, includes=OrderIncludes(login_tokens=True))]
    [_ async for _ in oms.legacy.orders.scan(include_login_tokens=True)]
    forms = [form_of(call.request) for call in route.calls]
    assert len(forms) >= 3
    assert not [form for form in forms if "skip_login_token" in form]
    with pytest.raises(errors.ValidationError, match="include_login_tokens"):
        await oms.legacy.orders.search(ALL, include_login_tokens="yes")  # type: ignore[arg-type]


def test_reprs_are_short_and_hold_no_login_key() -> None:
    order = structure(LIVE_ORDER, Order)
    page = omsclient.Page(items=[order, LIVE_ORDER], total=2, offset=0, limit=100)
    scan_page = ScanPage(window=0, items=[order, LIVE_ORDER])
    assert repr(scan_page) == "ScanPage(window=0, items=<2 items>)"
    assert repr(order) == "Order(order_id='927602', order_status=4, ...)"
    product = structure(LIVE_PRODUCT, Product)
    assert repr(product) == (
        "Product(product_id=288447781, product_code='J317', "
        "product_name='Core Soft Shell Jacket', ...)"
    )
    shown = [repr(order), str(order), repr(order.order_lines), repr(page), str(page)]
    shown += [repr(scan_page), str(scan_page)]
    shown += [repr(order.order_lines[0].views), repr(order.payments)]
    shown += [repr(model) for model in _models_in(order)]  # an area's proof, a process's files
    for text in shown:
        assert LOGIN_KEY not in text
        assert len(text) < 600


def test_a_login_key_in_an_identifying_field_stays_out_of_reprs() -> None:
    # A server putting a document link where the order's id goes: the short repr printed the
    # fields it shows as they were.
    from rich.pretty import pretty_repr

    link = f"https://shop.example.com/q/1?user[id]=2143423&key={LOGIN_KEY}"
    order = structure({**LIVE_ORDER, "order_id": link}, Order)
    product = structure({**LIVE_PRODUCT, "product_name": link}, Product)
    for model in (order, product):
        for text in (repr(model), str(model), pretty_repr(model)):
            assert LOGIN_KEY not in text
            assert "key=[REDACTED]" in text
    assert order.order_id == link  # the data itself is the server's


def _models_in(value: Any) -> list[Any]:
    """``value`` and every model inside it, depth first."""
    found = [value]
    for name in getattr(type(value), "__slots__", ()):
        part = getattr(value, name, None)
        parts = part if isinstance(part, list) else [part]
        found += [
            m for p in parts if type(p).__module__.startswith("omsclient.") for m in _models_in(p)
        ]
    return found


def test_rich_prints_models_as_short_as_repr() -> None:
    # rich (a dependency: the command's progress and tracebacks) prints attrs classes field by
    # field whatever their __repr__, as do its tracebacks with show_locals=True.
    from rich.pretty import pretty_repr

    order = structure(LIVE_ORDER, Order)
    models = _models_in(order) + _models_in(structure(LIVE_PRODUCT, Product))
    assert len({type(m) for m in models}) > 10
    for model in models:
        assert pretty_repr(model, max_width=10_000) == repr(model)
    page = omsclient.Page(items=[order], total=1, offset=0, limit=100)
    assert LOGIN_KEY not in pretty_repr(page) + pretty_repr([order, ScanPage(window=0, items=[])])
    # The parts of a page's order not read yet: a mirror of the JSON, which msgspec would print.
    mirror = PageDecoder("orders", Order, "order_id").parse(
        orjson.dumps(ok(orders=[LIVE_ORDER], total=1))
    )
    assert mirror is not None
    deferred = Deferred(mirror.rows[0], {}, print)
    assert pretty_repr(deferred) == repr(deferred) == "Deferred(...)"


@respx.mock
async def test_no_debug_log_line_or_error_holds_a_login_key(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = orjson.dumps(ok(orders=[LIVE_ORDER], total=1))
    # Then answers cut short, retried and failing: the error shows the start of the body.
    cut = f'{{"orders":[{{"quote_pdf_url":"https://shop.example.com/q/1{KEYED}","order_id'.encode()
    answers = iter([good])

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=next(answers, cut))

    respx.post(FIND).mock(side_effect=answer)
    page = await oms.legacy.orders.search(ALL, include_login_tokens=True)
    assert LOGIN_KEY in (page.items[0].quote_pdf_url or "")
    with pytest.raises(errors.OmsError) as caught:
        await oms.legacy.orders.search(ALL, include_login_tokens=True)
    assert "key=[REDACTED]" in getattr(caught.value, "snippet", "")
    text = caplog.text + str(caught.value) + repr(caught.value) + repr(page) + str(page.items)
    text += getattr(caught.value, "snippet", "")
    assert caplog.records  # the requests were logged at DEBUG
    assert LOGIN_KEY not in text


async def test_exports_leave_login_keys_out_unless_asked(oms_sandbox: Any, tmp_path: Path) -> None:
    token = oms_sandbox.state.login_token
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        plain = await export_orders(oms, tmp_path / "plain.jsonl", windows=1)
        keyed = await export_orders(
            oms, tmp_path / "keyed.jsonl", windows=1, include_login_tokens=True
        )
    assert plain.exported == keyed.exported > 0
    assert token not in (tmp_path / "plain.jsonl").read_text()
    assert "key=" not in (tmp_path / "plain.jsonl").read_text()
    assert (tmp_path / "keyed.jsonl").read_text().count(f"key={token}") >= keyed.exported


# -- status updates -------------------------------------------------------------------------


@respx.mock
async def test_one_change_is_sent_flat_with_shipping_code(oms: omsclient.AsyncClient) -> None:
    route = respx.post(UPDATE).respond(json=ok())
    change = StatusChange(
        order_id="927602",
        new_status=NewStatus.SHIPPED,
        order_line_id=3180941336,
        contact_customer=True,
        shipping_tracking_code="1Z999AA10123456784",
        operator_login="shopadmin",
    )
    sent = await oms.legacy.orders.update_status(change)
    sent_form = form_of(route.calls.last.request)
    del sent_form["username"], sent_form["password"]
    assert sent_form == {
        "order_id": "927602",
        "new_status": "3",
        "order_line_id": "3180941336",
        "contact_customer": "true",
        "shipping_code": "1Z999AA10123456784",
        "operator_login": "shopadmin",
    }
    assert sent == StatusUpdate(
        changes=(change,),
        format="single",
        form=(
            ("order_id", "927602"),
            ("new_status", "3"),
            ("order_line_id", "3180941336"),
            ("contact_customer", "true"),
            ("shipping_code", "1Z999AA10123456784"),
            ("operator_login", "shopadmin"),
        ),
    )


@respx.mock
async def test_a_change_not_asking_to_contact_the_customer_sends_no_flag(
    oms: omsclient.AsyncClient,
) -> None:
    # Sent "as needed" by public clients: "false" went with every change, a non-empty string
    # that a PHP server testing the value as text reads as true, mailing every customer.
    route = respx.post(UPDATE).respond(json=ok())
    sent = await oms.legacy.orders.update_status(StatusChange(order_id="927602", new_status=2))
    sent_form = form_of(route.calls.last.request)
    del sent_form["username"], sent_form["password"]
    assert sent_form == {"order_id": "927602", "new_status": "2"}
    assert sent.form == (("order_id", "927602"), ("new_status", "2"))


@respx.mock
async def test_several_changes_are_sent_as_changes_n(oms: omsclient.AsyncClient) -> None:
    route = respx.post(UPDATE).respond(json=ok())
    changes = [
        StatusChange(order_id="927602", new_status=2, operator_id=5521),
        StatusChange(
            order_id="927603",
            new_status=3,
            order_line_id=3180941337,
            workflow_item_id=88,
            qty=2,
            shipping_tracking_code="TRK-2",
        ),
    ]
    sent = await oms.legacy.orders.update_status(changes)
    sent_form = form_of(route.calls.last.request)
    del sent_form["username"], sent_form["password"]
    assert sent_form == {
        "changes[1][order_id]": "927602",
        "changes[1][new_status]": "2",
        "changes[1][operator_id]": "5521",
        "changes[2][order_id]": "927603",
        "changes[2][new_status]": "3",
        "changes[2][order_line_id]": "3180941337",
        "changes[2][workflow_item_id]": "88",
        "changes[2][qty]": "2",
        "changes[2][shipping_tracking_code]": "TRK-2",
    }
    assert (sent.format, sent.changes) == ("multi", tuple(changes))
    assert dict(sent.form) == sent_form


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"new_status": 2.0}, "new_status"),
        ({"new_status": True}, "new_status"),
        ({"new_status": "2"}, "new_status"),
        ({"new_status": 1}, "new_status"),
        ({"order_id": "   "}, "order_id"),
        ({"order_id": 927602}, "order_id"),
        ({"new_status": 3, "shipping_tracking_code": 12345}, "shipping_tracking_code"),
        ({"new_status": 3, "shipping_tracking_code": " "}, "shipping_tracking_code"),
        ({"operator_login": ["x"]}, "operator_login"),
        ({"operator_login": "\t"}, "operator_login"),
        ({"contact_customer": 1}, "contact_customer"),
        ({"order_line_id": "11"}, "order_line_id"),
        ({"operator_id": True}, "operator_id"),
    ],
)
@respx.mock
async def test_bad_changes_are_refused_before_sending(
    oms: omsclient.AsyncClient, kwargs: dict[str, Any], field: str
) -> None:
    route = respx.post(UPDATE).respond(json=ok())
    arguments: dict[str, Any] = {"order_id": "927602", "new_status": 2, **kwargs}
    with pytest.raises(errors.ValidationError, match=re.escape(field)):
        await oms.legacy.orders.update_status(StatusChange(**arguments))
    assert not route.called


async def test_the_sandbox_takes_both_forms(oms_sandbox: Any) -> None:
    ready = [r.order_id for r in oms_sandbox.state.orders if r.status == 1][:3]
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        single = await oms.legacy.orders.update_status(
            StatusChange(order_id=ready[0], new_status=3, shipping_tracking_code="FLAT-1")
        )
        multi = await oms.legacy.orders.update_status(
            [StatusChange(order_id=i, new_status=2) for i in ready[1:]]
        )
    assert (single.format, multi.format) == ("single", "multi")
    assert oms_sandbox.state.order(ready[0]).status == 3
    assert [oms_sandbox.state.order(i).status for i in ready[1:]] == [2, 2]
    shipped = oms_sandbox.state.render(oms_sandbox.state.order(ready[0]))
    assert [s["tracking_number"] for s in shipped["shipments"]] == ["FLAT-1"]


@pytest.mark.parametrize(("flag", "skip"), [((), "1"), (("--include-login-tokens",), None)])
def test_cli_export_sends_skip_login_token_unless_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flag: tuple[str, ...], skip: str | None
) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", "pw-secret")
    with respx.mock:
        route = respx.post(FIND).respond(json=ok(orders=[], total=0))
        argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--quiet", *flag]
        assert cli.main([*argv, *RESPX_TRANSPORT]) == 0
    forms = [form_of(call.request) for call in route.calls]
    assert forms
    assert {form.get("skip_login_token") for form in forms} == {skip}
