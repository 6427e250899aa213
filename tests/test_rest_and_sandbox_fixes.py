"""Defects found by audit in the REST SDK and the sandbox, each pinned by a test.

REST SDK tests answer with respx; sandbox tests talk to a sandbox over real sockets.
"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.legacy import Condition, Op, OrderField
from omsclient.rest import (
    PrintFileFailedError,
    PrintFileStatus,
    PrintFileTimeoutError,
    TemplateConfig,
)
from omsclient.sandbox import SandboxConfig, SandboxInfo, serve

from .conftest import REST
from .test_defects_validation import ITEM

ROOT = Path(__file__).parent.parent
PRINT = rf"{REST}/api/v1/order-items/(?P<item>[^/]+)/print"
FAST: dict[str, Any] = {"initial_interval": 0.001, "max_interval": 0.001}
AUTH = {"username": "sandbox", "password": "pw-sandbox-1"}


def print_answer(item: str, status: str) -> httpx.Response:
    # A ready file comes with its url, as the spec sends it.
    url = f"https://files.test/{item}.pdf" if status == "ready" else None
    return httpx.Response(200, json={"ecommerce_order_item_id": item, "status": status, "url": url})


# -- 1, 2: the print-file waiter -----------------------------------------------------------


@respx.mock
async def test_the_first_failure_stops_the_other_polls(oms: omsclient.AsyncClient) -> None:
    route = respx.get(url__regex=PRINT).mock(
        side_effect=lambda request, item: print_answer(
            item, "processingfailed" if item == "I0" else "processing"
        )
    )
    with pytest.raises(PrintFileFailedError) as info:
        await oms.rest.order_items.wait_for_print_files(
            [f"I{n}" for n in range(20)], concurrency=1, timeout=5, **FAST
        )
    assert info.value.item_id == "I0"
    # Raised on the first answer: none of the 19 other items was polled.
    assert route.call_count == 1


@respx.mock
async def test_a_failure_cancels_the_polls_in_flight(oms: omsclient.AsyncClient) -> None:
    started: list[str] = []

    async def answer(request: httpx.Request, item: str) -> httpx.Response:
        started.append(item)
        if item != "BAD":
            await anyio.sleep(10)
        return print_answer(item, "processingfailed" if item == "BAD" else "processing")

    respx.get(url__regex=PRINT).mock(side_effect=answer)
    with anyio.fail_after(5), pytest.raises(PrintFileFailedError):
        await oms.rest.order_items.wait_for_print_files(
            ["SLOW-1", "BAD", "SLOW-2"], concurrency=3, timeout=30, **FAST
        )
    assert sorted(started) == ["BAD", "SLOW-1", "SLOW-2"]


@pytest.mark.parametrize(
    ("status", "quoted"),
    [
        ("processing\nERROR root: payment gateway DOWN", "a string of 43 characters"),
        ("\x1b[31mqueued", "a string of 11 characters"),
        ("queued:https://bucket.test/pf/1.pdf?X-Amz-Signature=" + "a1" * 32, "a string of 116"),
        (None, "None"),
        ("ready", "'ready' without a url to download it from"),
    ],
)
@respx.mock
async def test_a_timeout_describes_a_status_it_would_not_copy(
    oms: omsclient.AsyncClient, status: str | None, quoted: str
) -> None:
    # Copied whole, a line break forged a log line and a signed link pasted into the status
    # went into every log of the error.
    answer = {"ecommerce_order_item_id": "A", "status": status, "url": None}
    respx.get(url__regex=PRINT).respond(json=answer)
    with pytest.raises(PrintFileTimeoutError) as info:
        # Long enough for a first answer on a loaded machine (0.3 s missed it at times).
        await oms.rest.order_items.wait_for_print_file("A", timeout=1.0, **FAST)
    message = str(info.value)
    assert f"last status {quoted}" in message
    for copied in ("\n", "\x1b", "Signature"):
        assert copied not in message


@pytest.mark.parametrize("status", ["processing", "ready"])
@respx.mock
async def test_a_timeout_keeps_the_answers_of_the_round_in_progress(
    oms: omsclient.AsyncClient, status: str
) -> None:
    async def answer(request: httpx.Request, item: str) -> httpx.Response:
        if item == "B":
            await anyio.sleep(10)
        return print_answer(item, status)

    respx.get(url__regex=PRINT).mock(side_effect=answer)
    with pytest.raises(PrintFileTimeoutError) as info:
        # Long enough for A's answer on a busy machine, B's never comes.
        await oms.rest.order_items.wait_for_print_files(["A", "B"], timeout=2, **FAST)
    error = info.value
    assert set(error.print_files) == {"A"}
    assert error.print_files["A"].status == PrintFileStatus(status)
    if status == "processing":
        assert error.pending == ["A", "B"]
        assert "last status 'processing'" in str(error)
        assert "no answer yet" not in str(error)
    else:
        # Done in the round the timeout cut short: not pending, not named "not ready".
        assert error.pending == ["B"]
        assert "order item 'B' not ready" in str(error)
        assert "no answer yet" in str(error)


# -- 3: PHP's [] for a dict field ----------------------------------------------------------


@respx.mock
async def test_an_empty_php_array_reads_as_an_empty_dict(oms: omsclient.AsyncClient) -> None:
    respx.get(f"{REST}/api/v1/orders/X").respond(
        json={
            "uid": "X",
            "items": [
                {"uid": "I", "properties": []},
                {"uid": "J", "properties": {"colour": "red"}},
                {"uid": "K"},
            ],
        }
    )
    order = await oms.rest.orders.get("X")
    assert [item.properties for item in order.items] == [{}, {"colour": "red"}, None]


@respx.mock
async def test_an_empty_php_array_is_not_blamed_when_another_value_fails(
    oms: omsclient.AsyncClient,
) -> None:
    # The explanation of a failed read comes from the converter's detailed twin: it must take
    # [] for an empty dict as the fast one does, and name only the real problem.
    item = {"uid": "I", "properties": [], "quantity": {"a": 1}}
    respx.get(f"{REST}/api/v1/orders/X").respond(json={"uid": "X", "items": [item]})
    with pytest.raises(errors.DecodeError) as caught:
        await oms.rest.orders.get("X")
    assert "$.items[0].quantity" in str(caught.value)
    assert "properties" not in str(caught.value)


# -- 4: TolerantEnum.known -----------------------------------------------------------------


def test_an_unknown_value_is_not_a_member_whatever_its_name() -> None:
    unknown = PrintFileStatus("processing_failed")
    assert unknown is not PrintFileStatus.PROCESSING_FAILED
    assert not unknown.known
    assert unknown.name != PrintFileStatus.PROCESSING_FAILED.name
    assert unknown == "processing_failed"
    assert str(unknown) == "processing_failed"
    assert PrintFileStatus("processingfailed").known
    assert PrintFileStatus("READY") is PrintFileStatus.READY
    assert PrintFileStatus("READY").known


# -- 5: template_config edits compared as JSON ---------------------------------------------


@pytest.mark.parametrize(("new", "json_text"), [(True, "true"), (1.0, "1.0"), (False, "false")])
def test_an_edit_equal_in_python_but_not_in_json_is_sent(new: object, json_text: str) -> None:
    config = TemplateConfig.from_raw("%7B%22flag%22%3A1%7D")
    config["flag"] = new
    assert config.encode() == f"%7B%22flag%22%3A{json_text}%7D"


def test_an_unchanged_config_still_sends_the_received_string() -> None:
    raw = "%7B%22flag%22%3A%20true%7D"  # a space the compact encoding would drop
    assert TemplateConfig.from_raw(raw).encode() == raw


def test_a_form_encoded_config_reads_plus_as_a_space() -> None:
    # Form encoding writes a space as "+" and a plus as "%2B".
    assert TemplateConfig.from_raw("%7B%22text%22%3A%22a+b%2Bc%22%7D") == {"text": "a b+c"}


def test_undecodable_configs_differ_by_what_was_sent() -> None:
    # Each is an empty dict with a problem: equal as dicts, though the server sent two values,
    # so a job comparing orders would miss that one changed.
    first, second = TemplateConfig.from_raw("%ZZ"), TemplateConfig.from_raw("%YY")
    assert first.problem
    assert second.problem
    assert first != second
    assert first == TemplateConfig.from_raw("%ZZ")
    assert first != TemplateConfig()
    edited = TemplateConfig.from_raw("%ZZ")
    edited["flag"] = 1
    assert edited != first
    # Decodable configs compare as the dicts they are, as before.
    assert TemplateConfig.from_raw("%7B%22flag%22%3A1%7D") == {"flag": 1}


# -- 6: empty required arrays --------------------------------------------------------------


@respx.mock
async def test_an_empty_required_array_is_refused_and_nothing_sent(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "X"})
    with pytest.raises(errors.ValidationError, match=r"items\[0\]\.thumbnails needs at least"):
        await oms.rest.orders.create(ecommerce_order_id="A", items=[{**ITEM, "thumbnails": []}])
    with pytest.raises(errors.ValidationError, match=r"items needs at least one item"):
        await oms.rest.orders.create(ecommerce_order_id="A", items=[])
    route_put = respx.put(f"{REST}/api/v1/orders/X").respond(json={"uid": "X"})
    with pytest.raises(errors.ValidationError, match=r"items\[0\]\.thumbnails needs at least"):
        await oms.rest.orders.update("X", items=[{**ITEM, "thumbnails": []}])
    assert not route.called
    assert not route_put.called


# -- sandbox over real sockets -------------------------------------------------------------


# The sandbox, and httpx clients of its two APIs (`rest`, `legacy`): tests/conftest.py.


# -- 7: Unicode digits in ids --------------------------------------------------------------


@pytest.mark.parametrize("resource", ["products", "product-variants", "product-categories"])
@pytest.mark.parametrize("key", ["%C2%B2", "%D9%A3", "%EF%BC%91"])  # ², Arabic 3, fullwidth 1
def test_a_unicode_digit_id_is_not_found(rest: httpx.Client, resource: str, key: str) -> None:
    response = rest.get(f"/api/v1/{resource}/{key}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "not found" in response.json()["message"].lower()


def test_a_unicode_digit_id_is_refused_by_the_legacy_api(legacy: httpx.Client) -> None:
    got = legacy.post("/api/json/manage_products/get", data={**AUTH, "id": "²"})
    assert got.status_code == 200, got.text
    assert got.json()["response_status"]["code"] == 50005
    update = legacy.post(
        "/api/json/manage_orders/update_order_status",
        data={**AUTH, "order_id": "INV1000²", "new_status": "2"},
    )
    assert update.status_code == 200, update.text
    assert update.json()["response_status"]["severity"] == "ERROR"


# -- 8: references checked on the resource's own fields only -------------------------------


def test_a_key_the_resource_does_not_have_is_not_checked(rest: httpx.Client) -> None:
    created = rest.post("/api/v1/product-categories", json={"name": "A", "product_id": 5})
    assert created.status_code in (200, 201), created.text
    category = created.json()
    assert "product_id" not in category
    changed = rest.put(
        f"/api/v1/product-categories/{category['id']}", json={"name": "B", "category_id": 999}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "B"
    # The resource's own references are still checked.
    bad = rest.post("/api/v1/product-categories", json={"name": "C", "parent_id": "999999"})
    assert bad.status_code == 400  # the sandbox's validation status (docs/sandbox.md)
    assert "parent id" in bad.json()["message"]


# -- 9: the legacy page cap ----------------------------------------------------------------


def test_a_limit_over_100_is_served_100_rows(legacy: httpx.Client) -> None:
    find = "/api/json/manage_orders/find"
    every = {"field": "3", "condition": "4", "string": "0"}
    page = legacy.post(find, data={**AUTH, **every, "limit": "500"}).json()
    assert page["response_status"]["code"] == 10001
    assert (len(page["orders"]), page["total"]) == (100, 300)
    for limit in ("-1", "ten", "1.5"):
        refused = legacy.post(find, data={**AUTH, **every, "limit": limit}).json()
        assert refused["response_status"]["code"] == 50004, limit


# -- 10: null where the live server sends null ---------------------------------------------


def _all_orders(legacy: httpx.Client) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    while True:
        page = legacy.post(
            "/api/json/manage_orders/find",
            data={**AUTH, "field": "3", "condition": "4", "string": "0", "offset": len(orders)},
        ).json()
        orders += page["orders"]
        if len(orders) >= page["total"]:
            return orders


def test_unset_operators_company_ids_and_salutations_are_null(legacy: httpx.Client) -> None:
    orders = _all_orders(legacy)
    lines = [line for order in orders for line in order["order_lines"]]
    assert all("assigned_to" in order for order in orders)
    assert any(order["assigned_to"] is None for order in orders)
    assert any(order["assigned_to"] is not None for order in orders)
    assert all("shipped_by" in line for line in lines)
    assert any(line["shipped_by"] is None for line in lines)
    assert any(line["shipped_by"] is not None for line in lines)
    billing = [order["billing_details"] for order in orders]
    assert all("company_id" in contact for contact in billing)
    assert any(contact["company_id"] is None for contact in billing)
    assert all((contact["company_id"] is None) == (not contact["company"]) for contact in billing)
    salutations = [contact["salutation"] for contact in billing]
    assert None in salutations
    assert "" not in salutations


async def test_the_sdk_reads_the_null_shapes(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:  # type: ignore[arg-type]
        everything = Condition(OrderField.INVOICE_NUMBER, Op.GT, string=0)
        orders = [order async for order in oms.legacy.orders.iterate(everything)]
    assert len(orders) == 300
    assert any(order.assigned_to is None for order in orders)
    assert any(
        order.billing_details and order.billing_details.company_id is None for order in orders
    )
    assert any(line.shipped_by is None for order in orders for line in order.order_lines)


def test_the_same_seed_renders_the_same_nulls() -> None:
    def render() -> list[Any]:
        with (
            serve(SandboxConfig(orders=40, products=10, seed=7)) as info,
            httpx.Client(base_url=str(info.client_kwargs()["legacy_url"])) as client,
        ):
            return _all_orders(client)

    assert render() == render()


# -- 11: the examples of docs/sandbox.md ---------------------------------------------------


def _block(heading: str) -> str:
    """The first python block after a heading of docs/sandbox.md."""
    page = (ROOT / "docs" / "sandbox.md").read_text()
    section = page[page.index(heading) :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_the_python_helpers_example_runs() -> None:
    source = _block("## Python helpers")
    # Top-level `async with`, as in a notebook or `python -m asyncio`; `...` bodies do nothing.
    code = compile(source, "docs/sandbox.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    names: dict[str, Any] = {}
    result = eval(code, names)
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    assert names["app"].state.sandbox is not None
    assert isinstance(names["transport"], httpx.ASGITransport)


class _MyApp:
    """What the example's ``my_app`` stands for: the reader's code marking an order produced."""

    @staticmethod
    async def mark_produced(oms: omsclient.AsyncClient, order_id: str) -> None:
        from omsclient.legacy import StatusChange

        await oms.legacy.orders.update_status(StatusChange(order_id=order_id, new_status=2))


async def test_the_testing_example_passes_against_the_fixture_sandbox() -> None:
    names: dict[str, Any] = {"my_app": _MyApp}
    exec(_block("## Testing your integration"), names)
    # What the oms_sandbox fixture serves: 300 orders, 60 products.
    with serve(SandboxConfig(orders=300, products=60)) as info:
        await names["test_marks_orders_produced"](info)


@respx.mock
async def test_a_timeout_while_the_server_holds_the_client_says_so(
    oms: omsclient.AsyncClient,
) -> None:
    # It said "no answer yet", as if the server were silent, while it had asked to wait 30 s.
    respx.get(url__regex=PRINT).respond(429, headers={"retry-after": "1"})
    with pytest.raises(PrintFileTimeoutError) as info:
        await oms.rest.order_items.wait_for_print_file("A", timeout=0.6, **FAST)
    message = str(info.value)
    assert "no answer yet: the server asked to wait (HTTP 429, or 503 with Retry-After)" in message
    assert message.endswith(", 1 s more)")  # under a second left: rounded up, never "0 s"


async def test_a_timeout_while_the_clients_other_calls_hold_every_slot_says_so(
    client_kwargs: dict[str, Any],
) -> None:
    # It said "no answer yet", as if the server were silent, while the poll had never left:
    # a long call of the same client held its only slot.
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200, json={"uid": "U1"})

    with respx.mock:
        respx.get(url__regex=r"/api/v1/orders/U1$").mock(side_effect=slow)
        polled = respx.get(url__regex=PRINT).respond(404)
        async with (
            omsclient.AsyncClient(**client_kwargs, max_in_flight=1) as oms,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(oms.rest.orders.get, "U1")
            await anyio.sleep(0.05)
            with pytest.raises(PrintFileTimeoutError) as info:
                await oms.rest.order_items.wait_for_print_file("A", timeout=0.3, **FAST)
            tg.cancel_scope.cancel()
    assert "no answer yet: the client's other calls held all 1 of its request slots" in str(
        info.value
    )
    assert not polled.called


NAMES_NOTHING = "naming nothing (no ecommerce_order_item_id or status)"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"success": False, "error": "Order item not found"}, "failed (Order item not found)"),
        ({"orders": [], "total": 0}, NAMES_NOTHING),
        (
            {"success": False, "status": 404, "message": "not\nfound"},
            "an answer saying it failed (not found)",
        ),
        ({"ecommerce_order_item_id": "A", "ok": "false"}, "an answer saying it failed"),
    ],
)
@respx.mock
async def test_an_answer_that_is_no_print_file_fails_the_waiter_at_once(
    oms: omsclient.AsyncClient, body: dict[str, Any], problem: str
) -> None:
    # Read as a print file not ready, it was polled until the waiter's timeout (10 minutes by
    # default), and its reason was lost.
    route = respx.get(url__regex=PRINT).respond(json=body)
    with pytest.raises(omsclient.DecodeError) as caught:
        await oms.rest.order_items.wait_for_print_file("A", timeout=30, **FAST)
    assert route.call_count == 1
    assert problem in str(caught.value)
    assert caught.value.transient is False


@respx.mock
async def test_a_print_file_of_another_item_is_refused(oms: omsclient.AsyncClient) -> None:
    # It was handed back as the file asked for: its url would print another order's artwork.
    respx.get(url__regex=PRINT).respond(
        json={"ecommerce_order_item_id": "ZZZ", "status": "ready", "url": "https://cdn.test/z"}
    )
    with pytest.raises(omsclient.DecodeError) as caught:
        await oms.rest.order_items.print_file("A")
    assert "answered with the print file of order item 'ZZZ', not of 'A'" in str(caught.value)
    assert caught.value.transient is False
    assert caught.value.response is not None
    with pytest.raises(omsclient.DecodeError, match="order item 'ZZZ', not of 'A'"):
        await oms.rest.order_items.wait_for_print_files(["A"], timeout=30, **FAST)


@respx.mock
async def test_a_print_file_naming_its_item_as_a_number_is_the_item_asked_for(
    oms: omsclient.AsyncClient,
) -> None:
    respx.get(url__regex=PRINT).respond(
        json={"ecommerce_order_item_id": 7, "status": "ready", "url": "https://cdn.test/7"}
    )
    assert (await oms.rest.order_items.print_file("7")).url == "https://cdn.test/7"
    assert (await oms.rest.order_items.print_file(7)).ready
    # Another text of digits is another item's id: "007" was taken for 7.
    with pytest.raises(omsclient.DecodeError, match="order item '7', not of '007'"):
        await oms.rest.order_items.print_file("007")


@pytest.mark.parametrize("status", ["error", "Fail"])
@respx.mock
async def test_a_print_file_answer_in_jsends_failure_stops_the_waiter(
    oms: omsclient.AsyncClient, status: str
) -> None:
    # {"status": "error", "message": ...} read as a file in an unknown state, not ready: the
    # waiter polled it until its timeout (10 minutes by default).
    route = respx.get(url__regex=PRINT).respond(json={"status": status, "message": "No item"})
    with pytest.raises(omsclient.DecodeError, match=r"saying it failed \(No item\)$"):
        await oms.rest.order_items.wait_for_print_file("A", timeout=30, **FAST)
    assert route.call_count == 1
