"""What the legacy resources send, and how each kind of answer is read (respx)."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.export import export_products
from omsclient.legacy import (
    Condition,
    NewStatus,
    Op,
    OrderField,
    ProductField,
    ProductSort,
    StatusChange,
)

from .conftest import LEGACY, PASSWORD, form_of, legacy_error, ok

FIND = f"{LEGACY}/api/json/manage_orders/find"
UPDATE = f"{LEGACY}/api/json/manage_orders/update_order_status"
PFIND = f"{LEGACY}/api/json/manage_products/find"
PGET = f"{LEGACY}/api/json/manage_products/get"

SAMPLE = json.loads((Path(__file__).parent / "data" / "sample_order.json").read_text())
READY = Condition(OrderField.DATE_PRODUCTION_FILES_READY, Op.GT, date1=datetime(2016, 2, 1))


@respx.mock
async def test_search_sends_credentials_in_the_body_and_everything_else_encoded(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[SAMPLE], total="1"))
    page = await oms.legacy.orders.search(
        READY,
        Condition(OrderField.ORDER_STATUS, Op.EQ, string=1),
        limit=50,
        offset=100,
        sort_by=OrderField.DATE_SHIPPED,
        include_workflow_data=True,
        include_shipments=True,
    )
    request = route.calls.last.request
    assert request.url.query == b""
    assert PASSWORD not in str(request.url)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    # Without include_login_tokens=True the login key is kept out of document URLs.
    assert form_of(request) == {
        "conditions[1][field]": "2",
        "conditions[1][condition]": "4",
        "conditions[1][date1]": "2016-02-01T00:00:00",
        "conditions[2][field]": "4",
        "conditions[2][condition]": "1",
        "conditions[2][string]": "1",
        "sortby": "6",
        "include_workflow_data": "1",
        "include_shipments": "1",
        "skip_login_token": "1",
        "limit": "50",
        "offset": "100",
        "username": "fred",
        "password": PASSWORD,
    }
    assert (page.total, page.offset, page.limit) == (1, 100, 50)
    assert page.items[0].order_id == "INV1234"


# One condition goes out in the flat form of the docs' examples, the form public clients send
# to the live server (LIVE-SERVER.md: field=4, condition=4, string=0); more than one needs the
# numbered form, the only one the docs give for several.
ORDER_FORMS = [
    pytest.param(
        [Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2024, 1, 2, 3, 4, 5))],
        {"field": "1", "condition": "6", "date1": "2024-01-02T03:04:05"},
        id="one",
    ),
    pytest.param(
        [
            Condition(
                OrderField.DATE_DUE,
                Op.BETWEEN,
                date1=datetime(2024, 1, 1),
                date2=datetime(2024, 2, 1, 12),
            )
        ],
        {
            "field": "5",
            "condition": "7",
            "date1": "2024-01-01T00:00:00",
            "date2": "2024-02-01T12:00:00",
        },
        id="one-between",
    ),
    pytest.param(
        [Condition(OrderField.INVOICE_NUMBER, Op.EQ, string="INV77")],
        {"field": "3", "condition": "1", "string": "INV77"},
        id="one-string",
    ),
    pytest.param(
        [
            Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2024, 1, 2, 3, 4, 5)),
            Condition(OrderField.ORDER_STATUS, Op.EQ, string=1),
        ],
        {
            "conditions[1][field]": "1",
            "conditions[1][condition]": "6",
            "conditions[1][date1]": "2024-01-02T03:04:05",
            "conditions[2][field]": "4",
            "conditions[2][condition]": "1",
            "conditions[2][string]": "1",
        },
        id="two",
    ),
]


@respx.mock
@pytest.mark.parametrize(("conditions", "sent"), ORDER_FORMS)
async def test_an_order_search_sends_one_condition_flat_and_more_numbered(
    oms: omsclient.AsyncClient, conditions: list[Condition], sent: dict[str, str]
) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    await oms.legacy.orders.search(*conditions, limit=10, offset=20)
    assert form_of(route.calls.last.request) == {
        **sent,
        "skip_login_token": "1",
        "limit": "10",
        "offset": "20",
        "username": "fred",
        "password": PASSWORD,
    }


PRODUCT_FORMS = [
    pytest.param(
        [Condition(ProductField.PRODUCT_ID, Op.GT, string=0)],
        {"field": "4", "condition": "4", "string": "0"},
        id="one",
    ),
    pytest.param(
        [
            Condition(ProductField.CODE, Op.NE, string="TEE"),
            Condition(
                ProductField.DATE_MODIFIED,
                Op.BETWEEN,
                date1=datetime(2024, 3, 1),
                date2=datetime(2024, 4, 1),
            ),
            Condition(ProductField.PRODUCT_ID, Op.GT, string=0),
        ],
        {
            "conditions[1][field]": "1",
            "conditions[1][condition]": "2",
            "conditions[1][string]": "TEE",
            "conditions[2][field]": "5",
            "conditions[2][condition]": "7",
            "conditions[2][date1]": "2024-03-01T00:00:00",
            "conditions[2][date2]": "2024-04-01T00:00:00",
            "conditions[3][field]": "4",
            "conditions[3][condition]": "4",
            "conditions[3][string]": "0",
        },
        id="three",
    ),
]


@respx.mock
@pytest.mark.parametrize(("conditions", "sent"), PRODUCT_FORMS)
async def test_a_product_search_sends_one_condition_flat_and_more_numbered(
    oms: omsclient.AsyncClient, conditions: list[Condition], sent: dict[str, str]
) -> None:
    route = respx.post(PFIND).respond(json=ok(products=[], total=0))
    await oms.legacy.products.search(*conditions, limit=10, sort_by=ProductSort.NAME)
    assert form_of(route.calls.last.request) == {
        **sent,
        "sortby": "2",
        "limit": "10",
        "offset": "0",
        "username": "fred",
        "password": PASSWORD,
    }


@respx.mock
async def test_every_page_of_an_iteration_sends_its_one_condition_flat(
    oms: omsclient.AsyncClient,
) -> None:
    def find(request: httpx.Request) -> httpx.Response:
        offset = int(form_of(request)["offset"])
        rows = [dict(SAMPLE, order_id=f"INV{i}") for i in range(offset, min(offset + 100, 250))]
        return httpx.Response(200, json=ok(orders=rows, total=250))

    route = respx.post(FIND).mock(side_effect=find)
    status = Condition(OrderField.ORDER_STATUS, Op.EQ, string=2)
    got = [o.order_id async for o in oms.legacy.orders.iterate(status, concurrency=1)]
    assert len(got) == 250
    forms = [form_of(call.request) for call in route.calls]
    assert sorted(f["offset"] for f in forms) == ["0", "100", "200"]
    for form in forms:
        assert {k: v for k, v in form.items() if k not in ("offset", "limit")} == {
            "field": "4",
            "condition": "1",
            "string": "2",
            "skip_login_token": "1",
            "username": "fred",
            "password": PASSWORD,
        }


@respx.mock
async def test_blueprint_numbering_changes_sort_and_filter_codes(
    client_kwargs: dict[str, object],
) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    async with omsclient.AsyncClient(**client_kwargs, order_field_numbering="blueprint") as oms:  # type: ignore[arg-type]
        await oms.legacy.orders.search(
            Condition(OrderField.DATE_INVOICED, Op.GT, date1=datetime(2020, 1, 1)),
            sort_by=OrderField.DATE_SHIPPED,
        )
    form = form_of(route.calls.last.request)
    assert form["field"] == "6"
    assert form["sortby"] == "7"


@respx.mock
async def test_response_status_may_be_missing_and_numbers_may_be_strings(
    oms: omsclient.AsyncClient,
) -> None:
    respx.post(FIND).respond(json={"total": "3", "orders": [SAMPLE]})
    page = await oms.legacy.orders.search(READY)
    assert page.total == 3
    assert len(page.items) == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (30001, errors.AuthenticationError),
        (31000, errors.ApiNotEnabledError),
        (40004, errors.NotFoundError),
        (50002, errors.NoConditionsError),
        (50003, errors.InvalidConditionError),
        (50004, errors.InvalidPagingError),
        (50005, errors.InvalidParametersError),
        (77777, errors.UnknownStatusError),
    ],
)
@respx.mock
async def test_every_documented_code_raises_its_class(
    oms: omsclient.AsyncClient, code: int, cls: type[errors.ApiError]
) -> None:
    route = respx.post(FIND).respond(json=legacy_error(code, f"problem {code}"))
    with pytest.raises(cls) as caught:
        await oms.legacy.orders.search(READY)
    exc = caught.value
    assert (exc.code, exc.severity, exc.description) == (code, "ERROR", f"problem {code}")
    assert exc.operation == "legacy.orders.search"
    assert str(code) in str(exc)
    assert route.call_count == 1  # refusals are not retried
    assert PASSWORD not in str(exc) + repr(exc)


@pytest.mark.parametrize("status", [50003, "50003"], ids=["int", "str"])
@respx.mock
async def test_a_response_status_sent_as_a_bare_code_raises_its_class(
    oms: omsclient.AsyncClient, status: int | str
) -> None:
    respx.post(FIND).respond(json={"response_status": status, "total": 0, "orders": []})
    with pytest.raises(errors.InvalidConditionError) as caught:
        await oms.legacy.orders.search(READY)
    assert caught.value.code == 50003


@pytest.mark.parametrize("severity", ["ERROR", "Error", "error"])
@pytest.mark.parametrize("call", ["search", "iterate", "iterate_raw", "scan_sent", "update"])
@respx.mock
async def test_severity_error_is_a_failure_even_with_the_success_code(
    oms: omsclient.AsyncClient, call: str, severity: str
) -> None:
    # LIVE-SERVER.md: clients detect failure by severity ERROR or a code other than 10001. A
    # server writing the severity in its own case still reports one: read as a success, its
    # "Database error" would pass for a search that found nothing.
    status = {"code": 10001, "severity": severity, "description": "Database error"}
    answer = {"response_status": status, "total": 0, "orders": []}
    respx.post(FIND).respond(json=answer)
    respx.post(UPDATE).respond(json=answer)
    orders = oms.legacy.orders
    with pytest.raises(errors.UnknownStatusError, match=f"{severity} 10001: Database error"):
        if call == "search":
            await orders.search(READY)
        elif call == "iterate":
            [o async for o in orders.iterate(READY)]
        elif call == "iterate_raw":
            [o async for o in orders.iterate_raw(READY)]
        elif call == "scan_sent":
            [o async for o in orders.scan(raw="sent")]
        else:
            await orders.update_status(StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED))


@respx.mock
async def test_a_refusal_stops_a_product_scan_and_export_instead_of_reading_no_products(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # A scan reads its answers exactly, by a path of its own: a refused login there must raise
    # as it does for a search, not end the scan (and the export) with 0 products.
    route = respx.post(PFIND).respond(json=legacy_error(30001, "Authentication failed"))
    with pytest.raises(errors.AuthenticationError, match="30001: Authentication failed"):
        [p async for p in oms.legacy.products.scan()]
    out = tmp_path / "products.jsonl"
    with pytest.raises(errors.AuthenticationError, match="30001: Authentication failed"):
        await export_products(oms, out)
    assert not out.exists()
    assert route.call_count == 2  # one refused request each, not retried


@respx.mock
async def test_an_answer_holding_nan_is_no_json_to_any_read(oms: omsclient.AsyncClient) -> None:
    # JSON has no NaN (Python's json reads it, orjson does not): a raw read handed it out
    # as a float where a typed one refused it.
    body = b'{"response_status":{"code":10001,"severity":"SUCCESS","description":""},'
    body += b'"total":1,"orders":[{"order_id":"INV1","billable_amount":NaN}]}'
    respx.post(FIND).respond(content=body, headers={"content-type": "application/json"})
    quick = oms.with_options(max_retries=0)
    with pytest.raises(errors.DecodeError, match="invalid JSON"):
        await quick.legacy.orders.search(READY)
    with pytest.raises(errors.DecodeError, match="invalid JSON"):
        [o async for o in quick.legacy.orders.iterate_raw(READY)]


@respx.mock
async def test_html_login_page_is_a_clear_error_and_not_retried(oms: omsclient.AsyncClient) -> None:
    route = respx.post(FIND).respond(
        200, html=f"<html><form>Login <input name=password value={PASSWORD}></form></html>"
    )
    with pytest.raises(errors.DecodeError, match="HTML page") as caught:
        await oms.legacy.orders.search(READY)
    assert route.call_count == 1
    assert PASSWORD not in caught.value.snippet
    assert "html" in caught.value.content_type


@respx.mock
async def test_empty_and_cut_bodies_are_retried_for_reads_then_reported(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(FIND).mock(
        side_effect=[
            httpx.Response(200, content=b""),
            httpx.Response(200, content=b'{"orders": [{"ord'),
        ]
        + [httpx.Response(200, content=b"")] * 5
    )
    with pytest.raises(errors.DecodeError, match="empty body"):
        await oms.legacy.orders.search(READY)
    assert route.call_count == 4  # 1 + max_retries


@respx.mock
async def test_transient_failures_are_retried_until_success(oms: omsclient.AsyncClient) -> None:
    route = respx.post(FIND).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(503, text="busy"),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200, json=ok(orders=[], total=0)),
        ]
    )
    page = await oms.legacy.orders.search(READY)
    assert page.total == 0
    assert route.call_count == 4


@respx.mock
async def test_retry_after_http_date_is_understood(oms: omsclient.AsyncClient) -> None:
    from omsclient._retry import parse_retry_after

    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("soon") is None
    # 400 digits read as infinity: RateLimitError.retry_after was inf, and a caller's
    # time.sleep(exc.retry_after) an OverflowError, as it was for 10**20 or a year 9999.
    longest = omsclient._retry.LONGEST_RETRY_AFTER
    assert parse_retry_after("9" * 400) == longest
    assert parse_retry_after("1" + "0" * 20) == longest
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") == longest
    assert parse_retry_after("-" + "9" * 400) == 0.0
    assert longest <= threading.TIMEOUT_MAX  # a wait of a thread or a sleep can take it
    future = datetime.now(timezone.utc).timestamp() + 30
    from email.utils import formatdate

    assert 25 < (parse_retry_after(formatdate(future, usegmt=True)) or 0) <= 30


@respx.mock
async def test_writes_are_not_retried_once_they_may_have_arrived(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(UPDATE).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=ok())]
    )
    with pytest.raises(errors.ServerError) as caught:
        await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert caught.value.status_code == 503
    assert route.call_count == 1

    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json=ok())]
    with pytest.raises(errors.RequestTimeoutError, match=r"legacy\.orders\.update_status"):
        await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert route.call_count == 2

    route.side_effect = [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(200, json=ok()),
    ]
    with pytest.raises(errors.TransportError) as dropped:
        await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert route.call_count == 3
    # httpx's full stop, then ours: it read "response.; the server may have applied it".
    assert "without sending a response; the server may have applied it" in str(dropped.value)


@respx.mock
async def test_writes_are_retried_when_they_surely_did_not_arrive(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(UPDATE).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200, json=ok()),
        ]
    )
    await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert route.call_count == 3


@respx.mock
async def test_max_retries_zero_turns_retrying_off(oms: omsclient.AsyncClient) -> None:
    route = respx.post(FIND).mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json=ok(orders=[], total=0))]
    )
    with pytest.raises(errors.ServerError):
        await oms.with_options(max_retries=0).legacy.orders.search(READY)
    assert route.call_count == 1


@respx.mock
async def test_timeouts_name_the_operation(oms: omsclient.AsyncClient) -> None:
    respx.post(PGET).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.RequestTimeoutError) as caught:
        await oms.with_options(timeout=2.5).legacy.products.get(5)
    assert "legacy.products.get" in str(caught.value)
    assert "read timeout of 2.5 s" in str(caught.value)
    assert caught.value.attempts == 4


@respx.mock
async def test_update_status_sends_the_multi_change_format(oms: omsclient.AsyncClient) -> None:
    route = respx.post(UPDATE).respond(json=ok())
    await oms.legacy.orders.update_status(
        [
            StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED, operator_login="bob"),
            StatusChange(
                order_id="INV2",
                order_line_id=11,
                workflow_item_id=22,
                qty=3,
                new_status=3,
                contact_customer=True,
                shipping_tracking_code="TRK1",
                operator_id=7,
            ),
        ]
    )
    assert form_of(route.calls.last.request) == {
        "changes[1][order_id]": "INV1",
        "changes[1][new_status]": "2",
        "changes[1][operator_login]": "bob",
        "changes[2][order_id]": "INV2",
        "changes[2][order_line_id]": "11",
        "changes[2][workflow_item_id]": "22",
        "changes[2][qty]": "3",
        "changes[2][new_status]": "3",
        "changes[2][contact_customer]": "true",
        "changes[2][shipping_tracking_code]": "TRK1",
        "changes[2][operator_id]": "7",
        "username": "fred",
        "password": PASSWORD,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_id": "INV1", "new_status": 1}, "new_status must be 2"),
        ({"order_id": "", "new_status": 2}, "order_id"),
        ({"order_id": "INV1", "new_status": 2, "qty": 2}, "qty needs workflow_item_id"),
        ({"order_id": "INV1", "new_status": 2, "shipping_tracking_code": "T"}, "SHIPPED"),
        (
            {"order_id": "INV1", "new_status": 3, "workflow_item_id": 1, "qty": 0},
            "qty must be a positive",
        ),
        # Sent as they were (the sandbox stripped them, a live server may not).
        ({"order_id": " INV1", "new_status": 2}, "order_id must not begin or end with white"),
        ({"order_id": "INV1\n", "new_status": 2}, "order_id must not begin or end with white"),
        (
            {"order_id": "INV\x001", "new_status": 2},
            r"invisible character \('\\x00'\) at position 3",
        ),
        (
            {"order_id": "\ufeffINV1", "new_status": 2},
            r"invisible character \('\\ufeff'\) at position 0",
        ),
        ({"order_id": "INV\u200b1", "new_status": 2}, "invisible character"),
        ({"order_id": "INV\u20281", "new_status": 2}, "invisible character"),
        (
            {"order_id": "INV1", "new_status": 2, "operator_login": "bob "},
            "operator_login must not",
        ),
    ],
)
def test_bad_status_changes_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(omsclient.ValidationError, match=message):
        StatusChange(**kwargs)  # type: ignore[arg-type]


@respx.mock
async def test_bad_paging_is_rejected_before_sending(oms: omsclient.AsyncClient) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    for kwargs in ({"limit": 101}, {"limit": -1}, {"offset": -1}, {"limit": True}):
        with pytest.raises(omsclient.ValidationError):
            await oms.legacy.orders.search(READY, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(omsclient.ValidationError):
        await oms.legacy.orders.search()
    with pytest.raises(omsclient.ValidationError):
        await oms.legacy.orders.update_status([])
    assert route.call_count == 0


@respx.mock
async def test_iterate_walks_every_page_with_concurrency(oms: omsclient.AsyncClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        offset, limit = int(form["offset"]), int(form["limit"])
        rows = [dict(SAMPLE, order_id=f"INV{i}") for i in range(offset, min(offset + limit, 345))]
        return httpx.Response(200, json=ok(orders=rows, total=345))

    respx.post(FIND).mock(side_effect=answer)
    it = oms.legacy.orders.iterate(READY, concurrency=3)
    ids = [o.order_id async for o in it]
    assert ids == [f"INV{i}" for i in range(345)]
    assert it.total == 345
    raw = [o["order_id"] async for o in oms.legacy.orders.iterate_raw(READY, max_items=150)]
    assert raw == [f"INV{i}" for i in range(150)]


def product(pid: int) -> dict[str, object]:
    return {"product_id": pid, "product_code": f"C{pid}", "product_name": f"Product {pid}"}


@respx.mock
async def test_product_search_and_get(oms: omsclient.AsyncClient) -> None:
    find = respx.post(PFIND).respond(json=ok(products=[product(1), product(2)], total=2))
    page = await oms.legacy.products.search(
        Condition(ProductField.PRODUCT_ID, Op.GT, string=0), sort_by=ProductSort.SORT_POSITION
    )
    assert [p.product_id for p in page.items] == [1, 2]
    form = form_of(find.calls.last.request)
    assert (form["field"], form["condition"], form["string"], form["sortby"]) == (
        "4",
        "4",
        "0",
        "6",
    )

    get = respx.post(PGET).respond(json=ok(product=product(7)))
    detailed = await oms.legacy.products.get(7)
    assert (detailed.product_id, detailed.product_code) == (7, "C7")
    # The id in the query string, where the API documents it and public clients send it; the
    # credentials in the body, never in a URL that server and proxy logs keep.
    sent = get.calls.last.request
    assert dict(sent.url.params) == {"id": "7"}
    assert form_of(sent) == {"username": "fred", "password": PASSWORD}


@respx.mock
async def test_get_returns_the_product_asked_for_or_says_what_came_instead(
    oms: omsclient.AsyncClient,
) -> None:
    # A server (or a cache in front of it) answering with another product than the one asked
    # for: get(7) must not hand back product 8 as product 7.
    respx.post(PGET).respond(json=ok(product=product(8)))
    with pytest.raises(errors.DecodeError, match=r"asked for product 7, got product 8"):
        await oms.legacy.products.get(7)

    # A success without any product: said so, naming the id, not "expected a JSON object
    # for Product, got None @ $".
    respx.post(PGET).respond(json=ok())
    with pytest.raises(errors.DecodeError, match=r"no product 7"):
        await oms.legacy.products.get(7)

    respx.post(PGET).respond(json=ok(product={**product(7), "product_id": "7"}))
    assert (await oms.legacy.products.get(7)).product_id == 7


@respx.mock
async def test_get_many_splits_by_100_keeps_order_and_reports_missing(
    oms: omsclient.AsyncClient,
) -> None:
    missing = {13, 250}

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["ids"].split(",")]
        assert len(ids) <= 100
        found = [product(i) for i in reversed(ids) if i not in missing]
        if len(found) < len(ids):
            return httpx.Response(
                200,
                json={**legacy_error(40004, "Product ID Not Found", "WARNING"), "products": found},
            )
        return httpx.Response(200, json=ok(products=found))

    route = respx.post(PGET).mock(side_effect=answer)
    asked = list(range(300, 0, -1))
    with pytest.raises(errors.ProductsNotFoundError) as caught:
        await oms.legacy.products.get_many(asked)
    assert route.call_count == 3
    assert caught.value.missing_ids == [250, 13]
    assert [p.product_id for p in caught.value.found] == [i for i in asked if i not in missing]

    got = await oms.legacy.products.get_many([5, 3, 5])
    assert [p.product_id for p in got] == [5, 3, 5]
    with pytest.raises(omsclient.ValidationError):
        await oms.legacy.products.get_many([1, "2"])  # type: ignore[list-item]
    calls = route.call_count
    # Read by its keys, a dict of quantities by id would fetch the products and drop the rest.
    with pytest.raises(omsclient.ValidationError, match="product_ids must be an iterable"):
        await oms.legacy.products.get_many({5: "qty 3", 6: "qty 1"})
    assert route.call_count == calls


@respx.mock
async def test_get_many_returns_the_products_found_as_sent_beside_a_missing_id(
    client_kwargs: dict[str, object],
) -> None:
    # A password that happens to be a word of the catalogue: the products found are the
    # caller's data, not an error's text to redact.
    client_kwargs["password"] = "Softshell"
    found = {**product(288447781), "product_name": "Core Softshell"}
    respx.post(PGET).respond(
        json={**legacy_error(40004, "Product ID Not Found", "WARNING"), "products": [found]}
    )
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        with pytest.raises(errors.ProductsNotFoundError) as caught:
            await oms.legacy.products.get_many([288447781, 1])
    assert caught.value.missing_ids == [1]
    assert caught.value.found[0].product_name == "Core Softshell"
    assert "Softshell" not in str(caught.value)


@respx.mock
async def test_get_many_reads_product_ids_as_the_model_does_and_never_drops_a_row_sent(
    oms: omsclient.AsyncClient,
) -> None:
    # "5.0" is the product 5 the model reads, not a missing id.
    respx.post(PGET).respond(json=ok(products=[{**product(5), "product_id": "5.0"}]))
    [got] = await oms.legacy.products.get_many([5])
    assert got.product_id == 5

    # A product without product_id (the vendor's documented "id" shape) was sent: calling
    # its id "not found" would hide the server's answer behind a wrong error.
    respx.post(PGET).respond(json=ok(products=[{"id": 5, "code": "G2000"}]))
    with pytest.raises(errors.DecodeError, match="no usable product_id"):
        await oms.legacy.products.get_many([5])


@respx.mock
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (ok(), "a successful answer holds no product 5, 7"),
        (ok(products=[]), "a successful answer holds no product 5, 7"),
        (ok(products=[product(5)]), "a successful answer holds no product 7"),
        (ok(products="5,7"), "products is a JSON string where an array was expected"),
    ],
)
async def test_get_many_calls_no_id_missing_on_a_successful_answer(
    oms: omsclient.AsyncClient, answer: dict[str, object], message: str
) -> None:
    # Only "not found" (40004) says an id is missing: a caller may delete what it is told is
    # gone, on the strength of a malformed answer.
    respx.post(PGET).respond(json=answer)
    with pytest.raises(errors.DecodeError, match=message):
        await oms.legacy.products.get_many([5, 7])


@respx.mock
async def test_get_many_reads_products_sent_as_an_object_keyed_by_id(
    oms: omsclient.AsyncClient,
) -> None:
    # PHP's json_encode writes an array whose keys are not 0..n-1 as an object.
    respx.post(PGET).respond(json=ok(products={"7": product(7), "5": product(5)}))
    got = await oms.legacy.products.get_many([5, 7])
    assert [p.product_id for p in got] == [5, 7]


@respx.mock
async def test_get_many_names_the_product_whose_data_does_not_fit(
    oms: omsclient.AsyncClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["ids"].split(",")]
        rows = [product(i) for i in sorted(ids)]  # the server's order, not the order asked
        for row in rows:
            if row["product_id"] == 137:
                row["skus"] = [{"sku": "X", "price": "call us"}]
        return httpx.Response(200, json=ok(products=rows))

    respx.post(PGET).mock(side_effect=answer)
    with pytest.raises(errors.StructureError) as caught:
        await oms.legacy.products.get_many(range(300, 0, -1))
    # The row's place in some list the caller never saw says nothing; its id does.
    assert "product 137" in str(caught.value)
    assert caught.value.errors == [
        "product 137: expected a number, got 'call us' @ $.skus[0].price"
    ]


@respx.mock
async def test_get_many_raises_an_http_404_as_it_is_not_as_missing_ids(
    oms: omsclient.AsyncClient,
) -> None:
    # A wrong legacy_url, or a proxy answering 404: no answer of manage_products/get at all,
    # so no id can be said to be missing.
    respx.post(PGET).respond(status_code=404, text="<h1>Not Found</h1>")
    with pytest.raises(errors.DecodeError, match="check legacy_url") as caught:
        await oms.legacy.products.get_many([2353000009, 2353000011])
    assert caught.value.status_code == 404
    assert caught.value.transient is False


@respx.mock
async def test_no_secret_reaches_logs_errors_or_reprs(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="omsclient")
    respx.post(FIND).mock(
        side_effect=[
            httpx.Response(500, text=f"crash password={PASSWORD}"),
            httpx.ConnectError(f"refused with {PASSWORD}"),
            httpx.Response(
                200, html=f"<a href='x?login_token=abc123&password={PASSWORD}'>login</a>"
            ),
        ]
    )
    with pytest.raises(errors.DecodeError) as caught:
        await oms.legacy.orders.search(READY)
    text = caplog.text + str(caught.value) + repr(caught.value) + caught.value.snippet + repr(oms)
    text += repr(oms.settings)
    assert "POST /api/json/manage_orders/find -> 500 (attempt 1" in caplog.text
    assert "retrying" in caplog.text
    assert PASSWORD not in text
    assert "abc123" not in text


def test_missing_settings_are_reported_when_the_api_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LEGACY_URL", "USERNAME", "PASSWORD", "REST_URL", "API_TOKEN", "STORE_ID"):
        monkeypatch.delenv(f"OMS_{name}", raising=False)

    async def run() -> None:
        async with omsclient.AsyncClient(legacy_url=LEGACY) as oms:
            with pytest.raises(omsclient.ConfigurationError, match="OMS_USERNAME"):
                await oms.legacy.orders.search(READY)
        async with omsclient.AsyncClient(username="u", password="p") as oms:
            with pytest.raises(omsclient.ConfigurationError, match="OMS_LEGACY_URL"):
                await oms.legacy.orders.search(READY)
        # A password missing, the form would carry "password=None".
        async with omsclient.AsyncClient(legacy_url=LEGACY, username="u") as oms:
            with respx.mock, pytest.raises(omsclient.ConfigurationError, match="OMS_PASSWORD"):
                await oms.legacy.orders.search(READY)

    import anyio

    anyio.run(run)
    with pytest.raises(omsclient.ConfigurationError, match="http"):
        omsclient.AsyncClient(legacy_url="shop.example.com")
    with pytest.raises(omsclient.ConfigurationError, match="query string"):
        omsclient.AsyncClient(legacy_url="https://shop.example.com/?password=x")
    with pytest.raises(omsclient.ConfigurationError):
        omsclient.AsyncClient(max_in_flight=0)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "OMS_LEGACY_URL": "https://a.test/",
        "OMS_USERNAME": "u",
        "OMS_PASSWORD": "p-secret",
        "OMS_REST_URL": "https://b.test",
        "OMS_API_TOKEN": "t-secret",
        "OMS_STORE_ID": "9",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    oms = omsclient.AsyncClient()
    s = oms.settings
    assert (s.legacy_url, s.username, s.password, s.rest_url, s.api_token, s.store_id) == (
        "https://a.test",
        "u",
        "p-secret",
        "https://b.test",
        "t-secret",
        "9",
    )
    assert "secret" not in repr(oms) + repr(s)
    # An empty argument counts as not given (a blank field of a settings form): the
    # environment's value is taken, not an empty username sent.
    blank = omsclient.AsyncClient(
        legacy_url="", username="", password="", rest_url="", api_token="", store_id=""
    )
    assert blank.settings == s
    assert blank.settings.store_id == "9"
    monkeypatch.setenv("OMS_STORE_ID", "")
    assert omsclient.AsyncClient(store_id="").settings.store_id is None
    assert omsclient.AsyncClient().settings.store_id is None


async def test_a_passed_http_client_is_used_and_left_open(client_kwargs: dict[str, object]) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=ok(orders=[], total=0))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with omsclient.AsyncClient(**client_kwargs, http_client=http) as oms:  # type: ignore[arg-type]
        await oms.legacy.orders.search(READY)
    assert seen == ["/api/json/manage_orders/find"]
    assert not http.is_closed
    await http.aclose()


@respx.mock
async def test_a_refused_multi_change_update_may_have_applied_the_changes_before(
    oms: omsclient.AsyncClient,
) -> None:
    # No document says changes[n][...] is applied all or nothing: resending a batch whose
    # change 1 ("produce qty 3") went in before change 2 was refused would apply it twice.
    produce = StatusChange(
        order_id="INV1", new_status=NewStatus.PRODUCED, order_line_id=11, workflow_item_id=21, qty=3
    )
    ship = StatusChange(order_id="INV2", new_status=NewStatus.SHIPPED)
    route = respx.post(UPDATE)
    route.respond(json=legacy_error(50005, "Invalid request parameters"))
    with pytest.raises(errors.InvalidParametersError) as multi:
        await oms.legacy.orders.update_status([produce, ship])
    assert multi.value.maybe_applied is True
    # It named none of the changes to look at, far from the list it came from.
    assert str(multi.value).endswith(
        "the server may have applied it: look before sending it again "
        "(2 changes, to orders INV1, INV2)"
    )
    with pytest.raises(errors.InvalidParametersError) as single:
        await oms.legacy.orders.update_status(produce)
    assert single.value.maybe_applied is False
    assert "may have applied" not in str(single.value)
    # A refusal of the whole request applied nothing, one change or many.
    route.respond(json=legacy_error(30001, "Authentication failed"))
    with pytest.raises(errors.AuthenticationError) as refused:
        await oms.legacy.orders.update_status([produce, ship])
    assert refused.value.maybe_applied is False
    route.respond(status_code=403, text="Forbidden")
    with pytest.raises(errors.ApiError) as forbidden:
        await oms.legacy.orders.update_status([produce, ship])
    assert forbidden.value.maybe_applied is False
    route.respond(status_code=400, text="Bad Request")
    with pytest.raises(errors.ApiError) as bad:
        await oms.legacy.orders.update_status([produce, ship])
    assert bad.value.maybe_applied is False
    assert route.call_count == 5


@pytest.mark.parametrize("form", ["asctime", "-0000"])
def test_retry_after_http_date_without_gmt_is_gmt_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    # HTTP dates are always GMT (RFC 9110, 5.6.7), also in the asctime form a recipient must
    # read, which names no zone.
    from omsclient._retry import parse_retry_after

    monkeypatch.setenv("TZ", "JST-9")  # nine hours east of GMT: a GMT date read as local is past
    time.tzset()
    try:
        when = datetime.now(timezone.utc) + timedelta(seconds=30)
        if form == "asctime":
            header = when.strftime("%a %b %d %H:%M:%S %Y")
        else:
            header = when.strftime("%a, %d %b %Y %H:%M:%S -0000")
        assert 25 < (parse_retry_after(header) or 0) <= 30
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    "status",
    [
        {"severity": "ERROR", "description": "Change 2: unknown order INV2"},
        {"code": "E50005", "severity": "ERROR", "description": "Change 2: unknown order INV2"},
        {"code": None, "severity": "ERROR", "description": "Change 2: unknown order INV2"},
    ],
)
@respx.mock
async def test_a_multi_change_refusal_without_a_numeric_code_may_have_applied_the_changes_before(
    oms: omsclient.AsyncClient, status: dict[str, object]
) -> None:
    # Clients of the live server read a failure from its severity alone: an ERROR whose code is
    # missing or no number is still a refusal inside an answer, after the changes before it,
    # not a refusal of the whole request by HTTP.
    respx.post(UPDATE).respond(json={"response_status": status})
    with pytest.raises(errors.UnknownStatusError) as refused:
        await oms.legacy.orders.update_status(
            [
                StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED),
                StatusChange(order_id="INV2", new_status=NewStatus.SHIPPED),
            ]
        )
    assert refused.value.status_code == 200
    assert refused.value.maybe_applied is True
    if status.get("code") is None:
        # It read "ERROR None: ...".
        said = "update_status: ERROR (no response_status code): Change 2: unknown order INV2"
        assert said in str(refused.value)


@pytest.mark.parametrize("http_status", [200, 400, 404, 422])
@respx.mock
async def test_a_multi_change_refusal_in_an_envelope_may_have_applied_whatever_its_http_status(
    oms: omsclient.AsyncClient, http_status: int
) -> None:
    # The API's own refusal in a 4xx said maybe_applied=False, "send it again as is", which
    # applied the changes before the refused one twice; and a 400's reason was lost.
    route = respx.post(UPDATE).respond(
        http_status, json=legacy_error(50005, "Invalid order_id INV-NOPE")
    )
    changes = [
        StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED),
        StatusChange(order_id="INV-NOPE", new_status=NewStatus.PRODUCED),
    ]
    with pytest.raises(errors.InvalidParametersError) as refused:
        await oms.legacy.orders.update_status(changes)
    assert refused.value.status_code == http_status
    assert refused.value.code == 50005
    assert "ERROR 50005: Invalid order_id INV-NOPE" in str(refused.value)
    assert refused.value.maybe_applied is True
    assert "(2 changes, to orders INV1, INV-NOPE)" in str(refused.value)
    with pytest.raises(errors.InvalidParametersError) as single:
        await oms.legacy.orders.update_status(changes[1])
    assert single.value.maybe_applied is False
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("http_status", "code", "cls"),
    [
        (401, 10002, errors.AuthenticationError),
        (401, None, errors.AuthenticationError),
        (403, 10005, errors.PermissionDeniedError),
        (400, 12345, errors.InvalidRequestError),
        (404, 12345, errors.UnknownStatusError),  # not "no such order"
    ],
)
@respx.mock
async def test_an_envelope_of_a_code_no_document_explains_keeps_what_its_http_status_says(
    oms: omsclient.AsyncClient, http_status: int, code: int | None, cls: type[Exception]
) -> None:
    # Read by its code alone, a 401 of code 10002 (seen for a login refused) was an
    # UnknownStatusError: no AuthenticationError to catch, no credentials advice, and a
    # multi-change refusal said it may have applied.
    status: dict[str, object] = {"severity": "ERROR", "description": "Nope"}
    if code is not None:
        status["code"] = code
    respx.post(UPDATE).respond(http_status, json={"response_status": status})
    changes = [
        StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED),
        StatusChange(order_id="INV2", new_status=NewStatus.PRODUCED),
    ]
    with pytest.raises(errors.ApiError) as refused:
        await oms.legacy.orders.update_status(changes)
    assert type(refused.value) is cls
    assert refused.value.status_code == http_status
    assert "Nope" in str(refused.value)
    refused_whole = http_status in (401, 403)
    assert refused.value.maybe_applied is not refused_whole


@pytest.mark.parametrize("http_status", [408, 429])
@respx.mock
async def test_a_resend_status_keeps_its_meaning_whatever_envelope_it_carries(
    oms: omsclient.AsyncClient, http_status: int
) -> None:
    route = respx.post(FIND).mock(
        side_effect=[
            httpx.Response(http_status, json=legacy_error(50005, "slow down")),
            httpx.Response(200, json=ok(orders=[SAMPLE], total=1)),
        ]
    )
    page = await oms.legacy.orders.search(READY)
    assert len(page.items) == 1
    assert route.call_count == 2


@respx.mock
async def test_a_server_error_carrying_an_envelope_says_its_description(
    oms: omsclient.AsyncClient,
) -> None:
    # The message said only "failed with HTTP 500", the server's reason left in .body.
    respx.post(FIND).respond(500, json=legacy_error(50000, "Database error, try again"))
    with pytest.raises(errors.ServerError) as caught:
        await oms.with_options(max_retries=0).legacy.orders.search(READY)
    assert str(caught.value).endswith("failed with HTTP 500: Database error, try again")


@pytest.mark.parametrize(
    ("answer", "cls", "said"),
    [
        # Each came back as a StatusUpdate: the order never marked shipped, reported as applied.
        (
            {"success": False, "error": "Order INV1 not found"},
            errors.DecodeError,
            "an answer saying it failed (Order INV1 not found)",
        ),
        (
            {"error": {"code": 500, "message": "deadlock, rolled back"}},
            errors.DecodeError,
            "an answer saying it failed (deadlock, rolled back)",
        ),
        (
            {"status": "error", "message": "Order is locked"},
            errors.DecodeError,
            "an answer saying it failed (Order is locked)",
        ),
        # Said maybe_applied=False, "refused, send it again", though nothing refused it: what
        # the server meant is unknown, and sent again the change could mail the customer twice.
        (
            {"response_status": {"severity": "SUCCESS", "description": "Order status updated"}},
            errors.UnknownStatusError,
            "Order status updated",
        ),
        ({"response_status": "success"}, errors.UnknownStatusError, "success"),
        ({"response_status": {"code": 10000}}, errors.UnknownStatusError, "10000"),
    ],
)
@respx.mock
async def test_a_status_update_answered_200_but_not_as_done_may_have_applied(
    oms: omsclient.AsyncClient, answer: dict[str, object], cls: type[Exception], said: str
) -> None:
    respx.post(UPDATE).respond(json=answer)
    with pytest.raises(errors.OmsError) as caught:
        await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=3))
    assert type(caught.value) is cls
    assert said in str(caught.value)
    assert caught.value.maybe_applied is True
    assert "(the change to order INV1)" in str(caught.value)


@respx.mock
async def test_a_status_update_answered_without_response_status_and_no_failure_is_done(
    oms: omsclient.AsyncClient,
) -> None:
    respx.post(UPDATE).respond(json={"success": True, "error": None})
    update = await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=3))
    assert update.description is None


@pytest.mark.parametrize(
    ("http_status", "status"),
    [
        (400, {"code": 12345, "severity": "ERROR", "description": "Nope"}),
        # Severity ERROR refuses, whatever the code (10002 was seen for a login refused).
        (200, {"code": 10002, "severity": "ERROR", "description": "Nope"}),
        (200, "error"),
    ],
)
@respx.mock
async def test_a_status_update_refused_with_an_unknown_code_did_nothing(
    oms: omsclient.AsyncClient, http_status: int, status: object
) -> None:
    respx.post(UPDATE).respond(http_status, json={"response_status": status})
    with pytest.raises(errors.ApiError) as caught:
        await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=3))
    assert caught.value.maybe_applied is False


ALL_PRODUCTS = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)


async def _typed_orders(oms: omsclient.AsyncClient) -> list[object]:
    return list((await oms.legacy.orders.search(READY)).items)


async def _iterated_orders(oms: omsclient.AsyncClient) -> list[object]:
    return [order async for order in oms.legacy.orders.iterate(READY)]


async def _scanned_orders(oms: omsclient.AsyncClient) -> list[object]:
    return [order async for order in oms.legacy.orders.scan()]


async def _raw_orders(oms: omsclient.AsyncClient) -> list[object]:
    return [order async for order in oms.legacy.orders.iterate_raw(READY)]


async def _sent_orders(oms: omsclient.AsyncClient) -> list[object]:
    return [order async for order in oms.legacy.orders.scan(raw="sent")]


async def _typed_products(oms: omsclient.AsyncClient) -> list[object]:
    return list((await oms.legacy.products.search(ALL_PRODUCTS)).items)


async def _iterated_products(oms: omsclient.AsyncClient) -> list[object]:
    return [row async for row in oms.legacy.products.iterate(ALL_PRODUCTS)]


async def _scanned_products(oms: omsclient.AsyncClient) -> list[object]:
    return [row async for row in oms.legacy.products.scan()]


SEARCHES = {
    "orders.search": (FIND, _typed_orders),
    "orders.iterate": (FIND, _iterated_orders),
    "orders.iterate_raw": (FIND, _raw_orders),
    "orders.scan": (FIND, _scanned_orders),
    "orders.scan(raw='sent')": (FIND, _sent_orders),
    "products.search": (PFIND, _typed_products),
    "products.iterate": (PFIND, _iterated_products),
    "products.scan": (PFIND, _scanned_products),
}


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        # Read as no rows: an export ended with exit 0 and an empty file, and a scheduled
        # --overwrite export would have replaced a good one with it.
        (
            {"success": False, "error": "Database unavailable"},
            r"saying it failed \(Database unavailable\)",
        ),
        ({"message": "maintenance"}, "no total and no response_status"),
        # With no row in its rows, a failure is still one.
        (
            {"status": "error", "message": "db down", "orders": [], "products": []},
            r"saying it failed \(db down\)",
        ),
        # With rows, search, iterate and the scans of models or sent orders took it for a
        # page, where iterate_raw and scan(raw=True) refused it.
        (
            {
                "success": False,
                "error": "Database unavailable",
                "orders": [SAMPLE],
                "products": [product(5)],
                "total": 1,
            },
            r"saying it failed \(Database unavailable\)",
        ),
    ],
    ids=["failed", "says-nothing", "failed-with-no-rows", "failed-with-rows"],
)
@pytest.mark.parametrize("search", list(SEARCHES))
@respx.mock
async def test_a_search_answer_that_is_no_search_answer_is_no_empty_page(
    oms: omsclient.AsyncClient, search: str, answer: dict[str, object], said: str
) -> None:
    url, read = SEARCHES[search]
    respx.post(url).respond(json=answer)
    with pytest.raises(errors.DecodeError, match=said):
        await read(oms)


@pytest.mark.parametrize(
    "answer",
    [{"response_status": {"code": 10001}}, {"total": 0}, {"orders": [], "products": []}],
    ids=["status", "total", "rows"],
)
@pytest.mark.parametrize("search", list(SEARCHES))
@respx.mock
async def test_a_search_answer_with_a_status_a_total_or_rows_may_find_nothing(
    oms: omsclient.AsyncClient, search: str, answer: dict[str, object]
) -> None:
    url, read = SEARCHES[search]
    respx.post(url).respond(json=answer)
    assert await read(oms) == []


@pytest.mark.parametrize("search", list(SEARCHES))
@respx.mock
async def test_a_search_answered_with_rows_and_no_response_status_is_read(
    oms: omsclient.AsyncClient, search: str
) -> None:
    url, read = SEARCHES[search]
    rows = [SAMPLE] if url == FIND else [product(5)]
    key = "orders" if url == FIND else "products"
    respx.post(url).respond(json={key: rows, "total": 1})
    assert len(await read(oms)) == 1
    respx.post(url).respond(json={key: rows, "total": 1, "success": True})
    assert len(await read(oms)) == 1


def test_a_status_change_needs_its_order_id() -> None:
    # StatusChange(None, 3) was made and sent as order_id=None; an unknown outcome then
    # raised a TypeError from joining the orders sent, in place of maybe_applied.
    with pytest.raises(omsclient.ValidationError, match="order_id must be a non-blank string"):
        StatusChange(None, 3)  # type: ignore[arg-type]


@respx.mock
async def test_a_product_scan_page_it_cannot_place_carries_its_answer(
    oms: omsclient.AsyncClient,
) -> None:
    # Checked after the call had ended: its DecodeError had no .response.
    respx.post(PFIND).respond(json=ok(products=[product(5), product(3)], total=2))
    with pytest.raises(errors.DecodeError, match="product id 3 is not above 5") as caught:
        [p async for p in oms.legacy.products.scan()]
    assert caught.value.response is not None
    assert caught.value.response.status_code == 200


@respx.mock
async def test_a_change_listed_twice_is_refused_before_sending(oms: omsclient.AsyncClient) -> None:
    # It was sent, and the sandbox produced the line's quantity twice.
    route = respx.post(UPDATE).respond(json=ok())
    produce = StatusChange(order_id="INV1", new_status=2, workflow_item_id=21, qty=1)
    ship = StatusChange(order_id="INV2", new_status=3)
    with pytest.raises(
        omsclient.ValidationError, match="change 3 is the same as change 1: it would be applied"
    ):
        await oms.legacy.orders.update_status([produce, ship, produce])
    assert route.call_count == 0


@respx.mock
async def test_changes_past_a_php_servers_form_fields_are_refused_before_sending(
    oms: omsclient.AsyncClient,
) -> None:
    # PHP reads 1,000 fields by default and drops the rest, the credentials (sent last) first:
    # 334 changes of 3 fields came back "Authentication failed". 500 of 2 fields make 1,000.
    route = respx.post(UPDATE).respond(json=ok())
    changes = [StatusChange(order_id=f"INV{n}", new_status=2) for n in range(500)]
    with pytest.raises(omsclient.ValidationError) as caught:
        await oms.legacy.orders.update_status(changes)
    assert "500 changes make 1,000 form fields" in str(caught.value)
    assert str(caught.value).endswith("send at most 499 of these changes a call")
    assert route.call_count == 0
    sent = await oms.legacy.orders.update_status(changes[:499])
    assert len(sent.form) == 998


@respx.mock
async def test_the_servers_description_of_an_update_is_kept(oms: omsclient.AsyncClient) -> None:
    # It was thrown away, and changes were called "applied" whatever it said.
    said = "2 of 3 changes applied: change 3 order INV3 not found"
    respx.post(UPDATE).respond(
        json={"response_status": {"code": 10001, "severity": "SUCCESS", "description": said}}
    )
    sent = await oms.legacy.orders.update_status(
        [StatusChange(order_id=f"INV{n}", new_status=2) for n in (1, 2, 3)]
    )
    assert sent.description == said
    # Read as an error reads it: redacted (it held the echoed password), stripped.
    respx.post(UPDATE).respond(
        json={"response_status": {"code": 10001, "description": f"  done for {PASSWORD} \n"}}
    )
    sent = await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert sent.description == "done for [REDACTED]"


@pytest.mark.parametrize(
    ("status", "said"),
    [
        ("failed", "ERROR failed: no known code"),
        ({"severity": "ERROR"}, "ERROR: no response_status code"),
        (
            {"severity": "ERROR", "description": "Search failed"},
            "ERROR (no response_status code): Search failed",
        ),
        ({"code": "E_AUTH", "severity": "ERROR", "description": "bad login"}, "ERROR E_AUTH: bad"),
        ({"code": "E_AUTH", "severity": "ERROR"}, "ERROR E_AUTH: no known code"),
        ({"code": "   ", "severity": "ERROR"}, "ERROR: no response_status code"),
        # int() read 10001.5 as the success code, true as the code 1.
        ({"code": 10001.5}, "ERROR 10001.5: no known code"),
        ({"code": True, "severity": "ERROR"}, "ERROR true: no known code"),
        # The success code failed by its severity: "unknown response_status code" blamed it.
        ({"code": 10001, "severity": "ERROR"}, "ERROR 10001: the success code, with severity"),
    ],
)
@respx.mock
async def test_a_response_status_without_a_numeric_code_says_what_came(
    oms: omsclient.AsyncClient, status: object, said: str
) -> None:
    # It said "unknown response_status code" where none was sent, and left a code of text out.
    respx.post(FIND).respond(json={"response_status": status, "orders": [], "total": 0})
    with pytest.raises(errors.UnknownStatusError) as caught:
        await oms.legacy.orders.search(READY)
    assert f"legacy.orders.search: {said}" in str(caught.value)


def test_a_login_written_with_joiners_is_no_invisible_character() -> None:
    # Persian writes with the zero-width non-joiner, emoji sequences with the joiner: both
    # were refused as invisible characters.
    for login in (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "ops-\U0001f469\u200d\U0001f4bb",
    ):
        assert (
            StatusChange(order_id="INV1", new_status=2, operator_login=login).operator_login
            == login
        )


@respx.mock
async def test_a_connect_timeout_no_trace_tells_apart_names_the_pools_limit_too(
    client_kwargs: dict[str, object],
) -> None:
    # aiohttp counts the wait for a free connection in its connect timeout and reports both as
    # one: the message named the connect limit (3 s) where the pool's (1 s) had run out.
    respx.post(FIND).mock(side_effect=httpx.ConnectTimeout("timed out"))
    timeout = httpx.Timeout(5, connect=3, pool=1)
    kwargs = {**client_kwargs, "timeout": timeout, "retry": omsclient.RetryPolicy(max_retries=0)}
    async with omsclient.AsyncClient(**kwargs) as oms:  # type: ignore[arg-type]
        with pytest.raises(errors.RequestTimeoutError) as caught:
            await oms.legacy.orders.search(READY)
    assert "connect timeout of 3 s (or of 1 s waiting for a free connection) on" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("<html><h1>404 Not Found</h1>nginx</html>", "an HTML page"),
        ("File not found.", "a body that is no envelope"),
        ('{"error": "Not Found"}', "a body that is no envelope"),
    ],
)
@respx.mock
async def test_a_404_that_is_no_envelope_is_a_wrong_url_not_a_missing_object(
    oms: omsclient.AsyncClient, body: str, said: str
) -> None:
    # The API says "not found" with 40004 in a 200: a 404 is a web server's or a proxy's, for
    # a wrong legacy_url, and a NotFoundError would read as "no such product".
    respx.post(PGET).respond(status_code=404, text=body)
    respx.post(FIND).respond(status_code=404, text=body)
    for call in (
        lambda: oms.legacy.products.get(2353000009),
        lambda: oms.legacy.orders.search(Condition(OrderField.ORDER_STATUS, Op.EQ, string="1")),
    ):
        with pytest.raises(errors.DecodeError, match=f"{said}, not the API's answer") as caught:
            await call()
        assert "check legacy_url" in str(caught.value)
        assert caught.value.status_code == 404
        assert not caught.value.transient


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        (40004, errors.NotFoundError),
        # Read by its code, not its HTTP status: a login refused is no missing product.
        (30001, errors.AuthenticationError),
        (31000, errors.ApiNotEnabledError),
    ],
)
@respx.mock
async def test_a_404_carrying_the_envelope_is_read_as_the_envelope_says(
    oms: omsclient.AsyncClient, code: int, raised: type[errors.ApiError]
) -> None:
    # A lone surrogate's escape in the description, which orjson alone refuses.
    body = json.dumps(legacy_error(code, "said so \ud800")).encode()
    respx.post(PGET).respond(status_code=404, content=body)
    with pytest.raises(raised) as caught:
        await oms.legacy.products.get(2353000009)
    assert type(caught.value) is raised
    assert caught.value.code == code
    assert caught.value.status_code == 404


@respx.mock
async def test_a_row_that_does_not_fit_is_named_by_its_id(oms: omsclient.AsyncClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(dict(form_of(request)).get("offset", "0"))
        rows = [product(1000 + offset + i) for i in range(100)]
        if offset == 100:
            rows[80]["skus"] = [{"sku": "X", "price": "call us"}]
        return httpx.Response(200, json=ok(total=300, products=rows))

    respx.post(PFIND).mock(side_effect=answer)
    with pytest.raises(errors.StructureError) as caught:
        async for _ in oms.legacy.products.iterate(
            Condition(ProductField.PRODUCT_ID, Op.GT, string="0"), concurrency=3
        ):
            pass
    # Its place in one page of several read at once says little; its id says which.
    assert caught.value.errors == [
        "product 1180: expected a number, got 'call us' @ $[80].skus[0].price"
    ]


@pytest.mark.parametrize("kind", ["orders", "products"])
@respx.mock
async def test_rows_php_wrote_as_an_object_of_indexes_are_read(
    oms: omsclient.AsyncClient, kind: str
) -> None:
    # A row filtered out on the server leaves an array whose keys are no longer 0, 1, 2...
    if kind == "orders":
        rows = {"0": {**SAMPLE, "order_id": "A"}, "2": {**SAMPLE, "order_id": "B"}}
        respx.post(FIND).respond(json=ok(total=2, orders=rows))
        found = await oms.legacy.orders.search(Condition(OrderField.ORDER_STATUS, Op.EQ, string=1))
        assert [o.order_id for o in found.items] == ["A", "B"]
    else:
        rows = {"0": product(7), "2": product(5)}
        respx.post(PFIND).respond(json=ok(total=2, products=rows))
        got = await oms.legacy.products.search(Condition(ProductField.PRODUCT_ID, Op.GT, string=0))
        assert [p.product_id for p in got.items] == [7, 5]  # in the order sent


@respx.mock
async def test_rows_as_an_object_of_other_keys_are_still_refused(
    oms: omsclient.AsyncClient,
) -> None:
    respx.post(PFIND).respond(json=ok(total=1, products={"first": product(7)}))
    with pytest.raises(errors.DecodeError, match="'products' is a JSON object, not an array"):
        await oms.legacy.products.search(Condition(ProductField.PRODUCT_ID, Op.GT, string=0))


@respx.mock
@pytest.mark.parametrize(
    ("rows", "kind_of_rows"),
    [(False, "boolean"), ("", "string"), (0, "number")],
    ids=["false", "empty-string", "zero"],
)
@pytest.mark.parametrize("search", list(SEARCHES))
async def test_rows_of_no_array_are_refused_even_when_they_read_as_false(
    oms: omsclient.AsyncClient, search: str, rows: object, kind_of_rows: str
) -> None:
    # PHP's false where a query failed, read as no rows, ended a scan done with the rest
    # unread and an iterator early, with no error.
    url, read = SEARCHES[search]
    key = "orders" if url == FIND else "products"
    respx.post(url).respond(json=ok(total=537, **{key: rows}))
    with pytest.raises(errors.DecodeError, match=f"'{key}' is a JSON {kind_of_rows}, not an"):
        await read(oms)


@respx.mock
async def test_get_many_finds_the_missing_ids_when_not_found_lists_no_product(
    oms: omsclient.AsyncClient,
) -> None:
    # A server answering several ids as it answers one: "not found", and no products at all.
    # Every id of the call was reported missing (100 of 150 where one was).
    def answer(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["ids"].split(",")]
        if 7 in ids:
            return httpx.Response(200, json=legacy_error(40004, "Product ID Not Found", "WARNING"))
        return httpx.Response(200, json=ok(products=[product(i) for i in ids]))

    route = respx.post(PGET).mock(side_effect=answer)
    with pytest.raises(errors.ProductsNotFoundError) as caught:
        await oms.legacy.products.get_many(range(1, 151))
    assert caught.value.missing_ids == [7]
    assert [p.product_id for p in caught.value.found] == [i for i in range(1, 151) if i != 7]
    # Halves asked again down to the one id: a few requests, not one per id.
    assert route.call_count <= 2 + 2 * 7


@respx.mock
async def test_get_many_takes_an_empty_list_of_products_at_its_word(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(PGET).respond(
        json={**legacy_error(40004, "Product ID Not Found", "WARNING"), "products": []}
    )
    with pytest.raises(errors.ProductsNotFoundError) as caught:
        await oms.legacy.products.get_many([5, 6, 7])
    assert caught.value.missing_ids == [5, 6, 7]
    assert route.call_count == 1
