"""manage_orders/find: conditions, sorting, paging, include flags, errors."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from omsclient.sandbox import SandboxConfig

from ._support import ALL_ORDERS, AUTH, EVERYTHING, FIND, PRODUCTS_FIND, Sandbox, SandboxFactory

ATTRS_API = {
    1: "date_ordered",
    2: "date_production_files_ready",
    3: "number",
    4: "status",
    5: "date_due",
    6: "date_shipped",
    7: "date_invoiced",
    8: "date_modified",
}
OPS: dict[int, Callable[[Any, Any], bool]] = {
    1: operator.eq,
    2: operator.ne,
    3: operator.lt,
    4: operator.gt,
    5: operator.le,
    6: operator.ge,
}
DOCUMENT_KEYS = (
    "order_proof_pdf_url",
    "quote_pdf_url",
    "production_pdf_url",
)


def iso(ts: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(seconds=ts)).isoformat()


def expected_ids(sandbox: Sandbox, attr: str, op: int, v1: Any, v2: Any = None) -> list[str]:
    """The reference answer, straight from the records, in invoice order."""
    out = []
    for record in sandbox.state.orders:
        value = getattr(record, attr)
        if value is None:
            continue
        hit = v1 <= value <= v2 if op == 7 else OPS[op](value, v1)
        if hit:
            out.append(record.order_id)
    return sorted(out)


async def found_ids(sandbox: Sandbox, **params: Any) -> list[str]:
    orders = await sandbox.all_orders(**params)
    return sorted(o["order_id"] for o in orders)


def date_values(sandbox: Sandbox, attr: str) -> list[int]:
    return sorted(v for r in sandbox.state.orders if (v := getattr(r, attr)) is not None)


@pytest.mark.parametrize("field", [1, 2, 5, 6, 7, 8])
@pytest.mark.parametrize("op", [1, 2, 3, 4, 5, 6, 7])
async def test_date_fields_every_operator(sandbox: Sandbox, field: int, op: int) -> None:
    values = date_values(sandbox, ATTRS_API[field])
    low, high = values[len(values) // 4], values[3 * len(values) // 4]
    conditions = {"field": str(field), "condition": str(op), "date1": iso(low)}
    if op == 7:
        conditions["date2"] = iso(high)
    expected = expected_ids(sandbox, ATTRS_API[field], op, low, high)
    assert expected, "the chosen values must select something"
    assert (await sandbox.find(**conditions, limit="0"))["total"] == len(expected)
    page = await sandbox.find(**conditions, sortby="3", limit="100")
    assert page["total"] == len(expected)
    assert [o["order_id"] for o in page["orders"]] == expected[:100]


@pytest.mark.parametrize("op", [1, 2, 3, 4, 5, 6])
async def test_invoice_number_compares_numerically(sandbox: Sandbox, op: int) -> None:
    body = await sandbox.find(field="3", condition=str(op), string="INV10150", limit="0")
    assert body["total"] == len(expected_ids(sandbox, "number", op, 10150))
    bare = await sandbox.find(field="3", condition=str(op), string="10150", limit="0")
    assert bare["total"] == body["total"]


@pytest.mark.parametrize("op", [1, 2, 3, 4, 5, 6])
async def test_order_status_compares_numerically(sandbox: Sandbox, op: int) -> None:
    body = await sandbox.find(field="4", condition=str(op), string="2", limit="0")
    assert body["total"] == len(expected_ids(sandbox, "status", op, 2))
    orders = await sandbox.all_orders(field="4", condition=str(op), string="2")
    assert all(OPS[op](o["order_status"], 2) for o in orders)


async def test_null_dates_never_match(sandbox: Sandbox) -> None:
    unshipped = {r.order_id for r in sandbox.state.orders if r.date_shipped is None}
    assert unshipped
    found = set(await found_ids(sandbox, field="6", condition="2", date1="1999-01-01T00:00:00"))
    assert found.isdisjoint(unshipped)
    assert len(found) == len(sandbox.state.orders) - len(unshipped)


async def test_multi_conditions_are_anded(sandbox: Sandbox) -> None:
    values = date_values(sandbox, "date_ordered")
    middle = values[len(values) // 2]
    params = {
        "conditions[1][field]": "1",
        "conditions[1][condition]": "6",
        "conditions[1][date1]": iso(middle),
        "conditions[2][field]": "4",
        "conditions[2][condition]": "1",
        "conditions[2][string]": "1",
    }
    expected = sorted(
        r.order_id for r in sandbox.state.orders if r.date_ordered >= middle and r.status == 1
    )
    assert expected
    assert await found_ids(sandbox, **params) == expected


async def test_field_numbering_follows_config(sandbox_factory: SandboxFactory) -> None:
    api = await sandbox_factory(order_field_numbering="api")
    blueprint = await sandbox_factory(order_field_numbering="blueprint")
    cond = {"condition": "6", "date1": "2000-01-01T00:00:00", "limit": "0"}
    shipped = sum(r.date_shipped is not None for r in api.state.orders)
    invoiced = sum(r.date_invoiced is not None for r in api.state.orders)
    assert shipped != invoiced
    assert (await api.find(field="6", **cond))["total"] == shipped
    assert (await api.find(field="7", **cond))["total"] == invoiced
    assert (await blueprint.find(field="6", **cond))["total"] == invoiced
    assert (await blueprint.find(field="7", **cond))["total"] == shipped
    body = await blueprint.find(**ALL_ORDERS, sortby="7", limit="100")
    keys = [o.get("date_shipped") or "" for o in body["orders"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize("sortby", range(1, 9))
async def test_sort_and_paging_are_stable(sandbox: Sandbox, sortby: int) -> None:
    pages = []
    for offset in (0, 100, 200):
        body = await sandbox.find(**ALL_ORDERS, sortby=str(sortby), offset=str(offset))
        pages.extend(body["orders"])
    ids = [o["order_id"] for o in pages]
    assert len(ids) == len(set(ids)) == 300
    attr = ATTRS_API[sortby]
    records = {r.order_id: r for r in sandbox.state.orders}

    def key(order_id: str) -> tuple[Any, ...]:
        record = records[order_id]
        value = getattr(record, attr)
        return (value is not None, value or 0, record.index)

    assert ids == sorted(ids, key=key)


async def test_default_sort_is_production_files_ready(sandbox: Sandbox) -> None:
    default = await sandbox.find(**ALL_ORDERS)
    explicit = await sandbox.find(**ALL_ORDERS, sortby="2")
    assert [o["order_id"] for o in default["orders"]] == [o["order_id"] for o in explicit["orders"]]


async def test_limit_offset_total(sandbox: Sandbox) -> None:
    body = await sandbox.find(**ALL_ORDERS, limit="7", offset="295")
    assert body["total"] == 300
    assert len(body["orders"]) == 5
    assert (await sandbox.find(**ALL_ORDERS))["total"] == 300
    assert len((await sandbox.find(**ALL_ORDERS))["orders"]) == 100
    past_end = await sandbox.find(**ALL_ORDERS, offset="1000")
    assert past_end["orders"] == []
    assert past_end["total"] == 300


async def test_success_envelope(sandbox: Sandbox) -> None:
    body = await sandbox.find(**ALL_ORDERS, limit="1")
    assert body["response_status"] == {"code": 10001, "severity": "SUCCESS", "description": "."}
    order = body["orders"][0]
    assert order["order_id"].startswith("INV")


async def test_include_flags_add_objects_only_when_asked(sandbox: Sandbox) -> None:
    def lines(body: Any) -> list[dict[str, Any]]:
        return [line for o in body["orders"] for line in o["order_lines"]]

    def processes(body: Any) -> list[dict[str, Any]]:
        return [
            p
            for line in lines(body)
            for view in line["views"]
            for area in view["areas"]
            for p in area["processes"]
        ]

    plain = await sandbox.find(**ALL_ORDERS)
    assert all("shipments" not in o for o in plain["orders"])
    assert all("workflow_items" not in line for line in lines(plain))
    assert all("format" not in p and "cropped" not in p for p in processes(plain))

    workflow = await sandbox.find(**ALL_ORDERS, include_workflow_data="1")
    items = [w for line in lines(workflow) for w in line["workflow_items"]]
    assert items
    assert all("purchase_order_lines" not in w for w in items)

    po = await sandbox.find(**ALL_ORDERS, include_po_data="1")
    items = [w for line in lines(po) for w in line["workflow_items"]]
    assert items
    assert all("purchase_order_lines" in w for w in items)
    assert any(w["purchase_order_lines"] for w in items)

    shipments = await sandbox.find(**ALL_ORDERS, include_shipments="1")
    assert all("shipments" in o for o in shipments["orders"])
    shipped = [o for o in shipments["orders"] if o["order_status"] == 3]
    assert shipped
    assert all(o["shipments"] for o in shipped)
    assert all("workflow_items" not in s for o in shipped for s in o["shipments"])

    info = await sandbox.find(**ALL_ORDERS, include_production_file_info="1")
    for process in processes(info):
        assert {"stitch_count", "cropped", "top", "left", "width", "height", "format"} <= set(
            process
        )

    everything = await sandbox.find(**ALL_ORDERS, **EVERYTHING)
    shipped = [o for o in everything["orders"] if o["order_status"] == 3]
    assert all(s["workflow_items"] for o in shipped for s in o["shipments"])


async def test_document_urls_carry_login_token(sandbox: Sandbox) -> None:
    token = sandbox.state.login_token
    order = (await sandbox.find(**ALL_ORDERS, limit="1"))["orders"][0]
    urls = [order[k] for k in DOCUMENT_KEYS]
    for line in order["order_lines"]:
        for view in line["views"]:
            for area in view["areas"]:
                for process in area["processes"]:
                    urls += [process["production_file_url"], process["edit_file_url"]]
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    assert all(url.endswith(f"?user[id]=700001&key={token}") for url in urls)
    skipped = (await sandbox.find(**ALL_ORDERS, limit="1", skip_login_token="1"))["orders"][0]
    assert all("?" not in skipped[k] for k in DOCUMENT_KEYS)
    assert token not in str(skipped)
    assert "key=" not in str(skipped)
    # A flag is on for "true" as for "1" (docs/sandbox.md).
    spelled = (await sandbox.find(**ALL_ORDERS, limit="1", skip_login_token="true"))["orders"]
    assert "key=" not in str(spelled)


async def test_order_size_is_realistic(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(FIND, data={**AUTH, **ALL_ORDERS})
    per_order = len(response.content) / 100
    assert 4_000 < per_order < 12_000
    orders = response.json()["orders"]
    assert max(len(o["order_lines"]) for o in orders) >= 3


async def test_get_with_query_credentials(sandbox: Sandbox) -> None:
    response = await sandbox.client.get(FIND, params={**AUTH, **ALL_ORDERS, "limit": "1"})
    assert response.json()["total"] == 300


async def test_form_overrides_query(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        FIND,
        params={"username": "sandbox", "password": "wrong"},
        data={**AUTH, **ALL_ORDERS, "limit": "1"},
    )
    assert response.json()["total"] == 300


@pytest.mark.parametrize(
    "date",
    ["2024-06-01", "2024-06-01T00:00:00Z", "2024-06-01T02:00:00+02:00", "2024-06-01 00:00:00"],
)
async def test_accepted_date_shapes(sandbox: Sandbox, date: str) -> None:
    reference = await sandbox.find(field="1", condition="6", date1="2024-06-01T00:00:00", limit="0")
    body = await sandbox.find(field="1", condition="6", date1=date, limit="0")
    assert body["total"] == reference["total"] > 0


@pytest.mark.parametrize(
    ("date", "after_every_date"),
    [("9999-12-31T23:59:59-01:00", False), ("0001-01-01T00:00:00+01:00", True)],
)
@pytest.mark.parametrize(("path", "field"), [(FIND, "1"), (PRODUCTS_FIND, "5")])
async def test_a_date_past_the_calendar_in_utc_is_searched_as_that_instant(
    sandbox: Sandbox, date: str, after_every_date: bool, path: str, field: str
) -> None:
    # Both read as dates, but moved to UTC they leave datetime's range: the search answered
    # 500 (OverflowError) instead of comparing the instant with every date.
    everything = 300 if path == FIND else 60
    body = await sandbox.legacy(path, field=field, condition="4", date1=date, limit="0")
    assert status(body)[0] == 10001
    assert body["total"] == (everything if after_every_date else 0)
    body = await sandbox.legacy(path, field=field, condition="3", date1=date, limit="0")
    assert body["total"] == (0 if after_every_date else everything)


def status(body: Any) -> tuple[int, str, str]:
    rs = body["response_status"]
    return rs["code"], rs["severity"], rs["description"]


async def test_bad_credentials(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        FIND, data={"username": "sandbox", "password": "nope", **ALL_ORDERS}
    )
    assert response.status_code == 200
    assert status(response.json()) == (30001, "ERROR", "Authentication failed")
    response = await sandbox.client.post(FIND, data=ALL_ORDERS)
    assert status(response.json())[0] == 30001


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
async def test_a_form_not_labelled_url_encoded_signs_in_with_nothing(
    sandbox: Sandbox, content_type: str | None
) -> None:
    # As PHP fills $_POST from url-encoded (and multipart) bodies alone: read as a form, a
    # client that left the header out passed here and failed live.
    headers = {} if content_type is None else {"content-type": content_type}
    body = "&".join(f"{k}={v}" for k, v in {**AUTH, **ALL_ORDERS}.items()).encode()
    response = await sandbox.client.post(FIND, content=body, headers=headers)
    assert status(response.json())[0] == 30001
    labelled = {"content-type": "Application/X-WWW-Form-Urlencoded; charset=utf-8"}
    response = await sandbox.client.post(f"{FIND}?limit=1", content=body, headers=labelled)
    assert response.json()["total"] == len(sandbox.state.orders)
    # The record keeps the query string and the form apart.
    record = sandbox.state.requests[-1]
    assert (record.query, record.form["field"]) == ({"limit": "1"}, "3")


async def test_api_disabled(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(legacy_api_enabled=False)
    assert status(await sandbox.find(**ALL_ORDERS)) == (
        31000,
        "ERROR",
        "API not enabled on your site",
    )
    response = await sandbox.client.post(FIND, data={"username": "x", "password": "y"})
    assert status(response.json())[0] == 31000


@pytest.mark.parametrize(
    ("params", "code", "description"),
    [
        ({}, 50002, "No conditions specified"),
        ({"limit": "5"}, 50002, "No conditions specified"),
        ({"condition": "1", "string": "1"}, 50003, "Condition 1 'field' is missing"),
        ({"field": "4", "string": "1"}, 50003, "Condition 1 'condition' is missing"),
        ({"field": "1", "condition": "4"}, 50003, "date1 is invalid"),
        ({"field": "1", "condition": "4", "date1": "yesterday"}, 50003, "date1 is invalid"),
        (
            {"field": "1", "condition": "4", "date1": "2024-13-01T00:00:00"},
            50003,
            "date1 is invalid",
        ),
        (
            {"field": "8", "condition": "7", "date1": "2024-01-01T00:00:00"},
            50003,
            "date2 is invalid",
        ),
        (
            {"field": "8", "condition": "7", "date1": "2024-01-01T00:00:00", "date2": "x"},
            50003,
            "date2 is invalid",
        ),
        (
            {
                "conditions[1][field]": "4",
                "conditions[1][condition]": "1",
                "conditions[1][string]": "1",
                "conditions[2][condition]": "1",
            },
            50003,
            "Condition 2 'field' is missing",
        ),
        (
            {
                "conditions[1][field]": "4",
                "conditions[1][condition]": "1",
                "conditions[1][string]": "1",
                "conditions[3][field]": "4",
            },
            50003,
            "Condition 2 'field' is missing",
        ),
        # A limit over 100 is not refused: the live API serves 100 rows (see
        # test_rest_and_sandbox_fixes.py).
        ({**ALL_ORDERS, "limit": "-1"}, 50004, "Invalid limit or offset"),
        ({**ALL_ORDERS, "limit": "ten"}, 50004, "Invalid limit or offset"),
        ({**ALL_ORDERS, "offset": "-5"}, 50004, "Invalid limit or offset"),
    ],
)
async def test_documented_errors(
    sandbox: Sandbox, params: dict[str, str], code: int, description: str
) -> None:
    assert status(await sandbox.find(**params)) == (code, "ERROR", description)


@pytest.mark.parametrize(
    "params",
    [
        {"field": "9", "condition": "1", "string": "1"},
        {"field": "4", "condition": "8", "string": "1"},
        {"field": "4", "condition": "1", "string": "one"},
        {"field": "4", "condition": "1"},
        {"field": "3", "condition": "1", "string": "INV"},
        {"field": "4", "condition": "7", "string": "1"},
        {**ALL_ORDERS, "sortby": "9"},
        {**ALL_ORDERS, "conditions[1][field]": "4"},
        {"conditions[0][field]": "4", "conditions[0][condition]": "1"},
        {"conditions[x][field]": "4"},
    ],
)
async def test_invalid_parameters(sandbox: Sandbox, params: dict[str, str]) -> None:
    code, severity, description = status(await sandbox.find(**params))
    assert (code, severity) == (50005, "ERROR")
    assert description.startswith("Invalid request parameters")


# Two conditions each endpoint answers: order status 1 and Date Ordered, product id > 0 and
# Date Modified.
NUMBERED = {
    FIND: {
        "conditions[1][field]": "4",
        "conditions[1][condition]": "1",
        "conditions[1][string]": "1",
        "conditions[2][field]": "1",
        "conditions[2][condition]": "6",
        "conditions[2][date1]": "2000-01-01T00:00:00",
    },
    PRODUCTS_FIND: {
        "conditions[1][field]": "4",
        "conditions[1][condition]": "4",
        "conditions[1][string]": "0",
        "conditions[2][field]": "5",
        "conditions[2][condition]": "6",
        "conditions[2][date1]": "2000-01-01T00:00:00",
    },
}


@pytest.mark.parametrize("path", [FIND, PRODUCTS_FIND])
@pytest.mark.parametrize(
    "flat",
    [
        {"field": "4"},
        {"condition": "1"},
        {"string": "2"},
        {"date1": "2030-01-01T00:00:00"},
        {"date2": "2030-01-01T00:00:00"},
    ],
)
async def test_flat_and_numbered_conditions_in_one_request_are_refused(
    sandbox: Sandbox, path: str, flat: dict[str, str]
) -> None:
    # The documents give the numbered form for several conditions and the flat one for one:
    # a request with both is refused, not read as one of them with the other dropped.
    assert status(await sandbox.legacy(path, **NUMBERED[path]))[0] == 10001
    answer = await sandbox.legacy(path, **NUMBERED[path], **flat)
    assert status(answer) == (
        50005,
        "ERROR",
        "Invalid request parameters: single and multi condition formats mixed",
    )


async def test_records_are_compact_until_written(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(SandboxConfig(orders=500, products=50))
    await sandbox.all_orders(**EVERYTHING)
    assert all(r._state is None for r in sandbox.state.orders)
