"""manage_products/find and manage_products/get."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx
import pytest

import omsclient
from omsclient.sandbox import SandboxConfig, _dates, asgi_transport

from ._support import AUTH, PRODUCTS_FIND, PRODUCTS_GET, Sandbox, SandboxFactory

ALL = {"field": "4", "condition": "4", "string": "0"}
# The keys of a live product (LIVE-SERVER.md), the same in find rows and get answers.
LIVE_KEYS = {
    "product_id",
    "product_code",
    "product_name",
    "supplier",
    "brand",
    "categories",
    "colors",
    "sizes",
    "skus",
}
SKU_KEYS = {"size_id", "color_id", "price", "cost", "sku", "dn_sku_id"}
OPTIONAL_KEYS = {"product_code"}  # absent on about 1% of live products
SAMPLE = pathlib.Path(__file__).parent.parent / "data" / "sample_product.json"


def has_live_keys(product: dict[str, Any]) -> bool:
    """Exactly the keys of a live product, ``product_code`` optional: any other key fails."""
    return LIVE_KEYS - OPTIONAL_KEYS <= set(product) <= LIVE_KEYS


async def find(sandbox: Sandbox, **params: Any) -> Any:
    return await sandbox.legacy(PRODUCTS_FIND, **params)


async def get(sandbox: Sandbox, **params: Any) -> Any:
    return await sandbox.legacy(PRODUCTS_GET, **params)


async def test_list_all_products(sandbox: Sandbox) -> None:
    body = await find(sandbox, **ALL, limit="100")
    assert body["response_status"]["code"] == 10001
    assert body["total"] == 60
    assert len(body["products"]) == 60
    # The total counts every match, not the rows of the page asked for.
    tail = await find(sandbox, **ALL, limit="7", offset="55")
    assert (tail["total"], len(tail["products"])) == (60, 5)
    # Fails when the sandbox renders a key live servers do not send (an id, a description...).
    assert all(has_live_keys(p) for p in body["products"])


async def test_a_product_in_no_category_has_an_empty_category_list(sandbox: Sandbox) -> None:
    # LIVE-SERVER.md: categories are {name} objects, "empty for about 2%".
    rows = (await find(sandbox, **ALL, limit="100"))["products"]
    categories = [p["categories"] for p in rows]
    assert [] in categories
    named = [c for c in categories if c]
    assert all(len(c) == 1 and set(c[0]) == {"name"} and c[0]["name"] for c in named)
    assert len(named) >= len(rows) - 2


@pytest.mark.parametrize("extra", ["id", "description", "unit_price"])
def test_the_key_check_refuses_keys_live_servers_do_not_send(extra: str) -> None:
    live = dict.fromkeys(LIVE_KEYS)
    assert has_live_keys(live)
    assert has_live_keys({k: v for k, v in live.items() if k != "product_code"})
    assert not has_live_keys({**live, extra: 1})
    assert not has_live_keys({k: v for k, v in live.items() if k != "skus"})


async def test_about_one_product_in_a_hundred_has_no_code(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = await sandbox_factory(products=250, seed=7)
    body = await find(sandbox, **ALL, limit="100")
    rows = body["products"]
    for offset in (100, 200):
        rows += (await find(sandbox, **ALL, limit="100", offset=str(offset)))["products"]
    assert len(rows) == 250
    assert all(has_live_keys(p) for p in rows)
    without = [p["product_id"] for p in rows if "product_code" not in p]
    assert len(without) in (2, 3)  # one in every hundred
    records = {p.id: p for p in sandbox.state.products}
    assert all(records[i].code_missing for i in without)
    # The same seed leaves out the same products; the record still has its code for SKUs.
    again = await sandbox_factory(products=250, seed=7)
    assert sorted(p.id for p in again.state.products if p.code_missing) == sorted(without)
    body = await get(sandbox, id=str(without[0]))
    assert "product_code" not in body["product"]
    assert body["product"]["skus"][0]["sku"].startswith(records[without[0]].code)
    # The client reads such a product with code None, like any optional key.
    transport, info = asgi_transport(SandboxConfig(products=250, seed=7, orders=10))
    async with omsclient.AsyncClient(
        **info.client_kwargs(), http_client=httpx.AsyncClient(transport=transport)
    ) as oms:
        products = await oms.legacy.products.get_many(without)
    assert [p.product_id for p in products] == without
    assert all(p.product_code is None and p.product_name and p.skus for p in products)


async def test_a_product_sent_without_a_code_has_none_to_search_or_sort_by(
    sandbox_factory: SandboxFactory,
) -> None:
    # It matched Product Code conditions on the code its row leaves out, and sorted by it
    # among the others: a row without product_code answered "Product Code == CC1244".
    sandbox = await sandbox_factory(products=250, seed=7)
    without = [p for p in sandbox.state.products if p.code_missing]
    assert without
    for product in without:
        for op in ("1", "3", "5", "6"):
            body = await find(sandbox, field="1", condition=op, string=product.code)
            assert product.id not in {p["product_id"] for p in body["products"]}
    # A null never matches, whatever the operator: != leaves them out too.
    body = await find(sandbox, field="1", condition="2", string="no such code", limit="0")
    assert body["total"] == 250 - len(without)
    # Sorted by Product Code, they come first (nulls first), then the codes in order.
    body = await find(sandbox, **ALL, sortby="1", limit="100")
    rows = body["products"]
    assert [p["product_id"] for p in rows[: len(without)]] == [p.id for p in without]
    codes = [p["product_code"].casefold() for p in rows[len(without) :]]
    assert codes == sorted(codes)


@pytest.mark.parametrize(
    ("field", "attr"), [(1, "product_code"), (2, "name"), (3, "supplier"), (4, "id")]
)
@pytest.mark.parametrize("op", [1, 2, 3, 4, 5, 6])
async def test_fields_and_operators(sandbox: Sandbox, field: int, attr: str, op: int) -> None:
    # A product sent without product_code has no code: it matches no Product Code condition.
    products = [p for p in sandbox.state.products if getattr(p, attr) is not None]
    assert len(products) in (59, 60)
    pivot = sorted(getattr(p, attr) for p in products)[len(products) // 2]
    ops = {
        1: lambda a, b: a == b,
        2: lambda a, b: a != b,
        3: lambda a, b: a < b,
        4: lambda a, b: a > b,
        5: lambda a, b: a <= b,
        6: lambda a, b: a >= b,
    }

    def norm(v: Any) -> Any:
        return v.casefold() if isinstance(v, str) else v

    expected = {p.id for p in products if ops[op](norm(getattr(p, attr)), norm(pivot))}
    body = await find(sandbox, field=str(field), condition=str(op), string=str(pivot))
    assert {p["product_id"] for p in body["products"]} == expected
    assert body["total"] == len(expected)


async def test_string_match_ignores_case(sandbox: Sandbox) -> None:
    code = sandbox.state.products[3].code
    body = await find(sandbox, field="1", condition="1", string=code.lower())
    assert [p["product_code"] for p in body["products"]] == [code]


async def test_date_modified_between(sandbox: Sandbox) -> None:
    # Live products carry no date: the filter is checked against the records.
    low, high = "2024-03-01T00:00:00", "2024-09-01T00:00:00"
    body = await find(sandbox, field="5", condition="7", date1=low, date2=high)
    ids = [p["product_id"] for p in body["products"]]
    assert ids
    start, end = _dates.parse(low), _dates.parse(high)
    assert start is not None
    assert end is not None
    inside = [p.id for p in sandbox.state.products if start <= p.date_modified <= end]
    assert sorted(ids) == sorted(inside)
    assert body["total"] == len(inside)
    assert all("date_modified" not in p for p in body["products"])


@pytest.mark.parametrize(
    ("sortby", "attr"),
    [
        (1, "product_code"),
        (2, "name"),
        (3, "supplier"),
        (4, "id"),
        (5, "date_modified"),
        (6, "sort_position"),
        (None, "sort_position"),
    ],
)
async def test_sorting(sandbox: Sandbox, sortby: int | None, attr: str) -> None:
    extra = {"sortby": str(sortby)} if sortby else {}
    first = await find(sandbox, **ALL, **extra, limit="30")
    second = await find(sandbox, **ALL, **extra, limit="30", offset="30")
    products = first["products"] + second["products"]
    assert len({p["product_id"] for p in products}) == 60
    records = {p.id: p for p in sandbox.state.products}
    values = [getattr(records[p["product_id"]], attr) for p in products]
    # Nulls first: a product sent without product_code sorts before every code.
    keys = [(v is not None, v.casefold() if isinstance(v, str) else v) for v in values]
    assert keys == sorted(keys)


async def test_get_one(sandbox: Sandbox) -> None:
    product = sandbox.state.products[5]
    body = await get(sandbox, id=str(product.id))
    assert body["response_status"]["code"] == 10001
    assert set(body["product"]) == LIVE_KEYS  # this one has a code
    assert body["product"]["product_id"] == product.id
    assert body["product"]["product_code"] == product.code
    skus = body["product"]["skus"]
    assert skus
    assert all(set(sku) == SKU_KEYS for sku in skus)
    sizes = {s["id"] for s in body["product"]["sizes"]}
    colors = {c["id"] for c in body["product"]["colors"]}
    assert {(s["size_id"], s["color_id"]) for s in skus} == {(s, c) for s in sizes for c in colors}
    assert all(s["dn_sku_id"].startswith(f"{product.id}_") for s in skus)
    assert "products" not in body


async def test_shape_matches_the_live_sample(sandbox: Sandbox) -> None:
    sample = json.loads(SAMPLE.read_text())
    body = await get(sandbox, id=str(sandbox.state.products[0].id))
    assert set(body["product"]) == set(sample)
    for key in ("categories", "colors", "sizes", "skus"):
        assert set(body["product"][key][0]) == set(sample[key][0])


async def test_get_unknown_is_a_warning(sandbox: Sandbox) -> None:
    body = await get(sandbox, id="123")
    assert body == {
        "response_status": {
            "code": 40004,
            "severity": "WARNING",
            "description": "Product ID Not Found",
        }
    }


async def test_get_many_returns_found_ones_in_order(sandbox: Sandbox) -> None:
    ids = [p.id for p in sandbox.state.products[:5]][::-1]
    body = await get(sandbox, ids=",".join(map(str, ids)))
    assert body["response_status"]["code"] == 10001
    assert [p["product_id"] for p in body["products"]] == ids
    assert all(has_live_keys(p) for p in body["products"])
    mixed = await get(sandbox, ids=f"{ids[0]}, 17,{ids[1]},18")
    assert mixed["response_status"] == {
        "code": 40004,
        "severity": "WARNING",
        "description": "Product ID Not Found: 17, 18",
    }
    assert [p["product_id"] for p in mixed["products"]] == ids[:2]
    none = await get(sandbox, ids="17")
    assert none["products"] == []
    assert none["response_status"]["code"] == 40004


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"id": "abc"},
        {"ids": "1,abc"},
        {"ids": ",".join(str(i) for i in range(101))},
        {"id": "1", "ids": "1,2"},
    ],
)
async def test_get_invalid(sandbox: Sandbox, params: dict[str, str]) -> None:
    body = await get(sandbox, **params)
    assert body["response_status"]["code"] == 50005


async def test_hundred_ids_is_the_limit(sandbox: Sandbox) -> None:
    ids = [p.id for p in sandbox.state.products] + list(range(1, 41))
    assert len(ids) == 100
    body = await get(sandbox, ids=",".join(map(str, ids)))
    assert len(body["products"]) == 60


async def test_product_errors(sandbox: Sandbox) -> None:
    assert (await find(sandbox))["response_status"]["code"] == 50002
    body = await find(sandbox, field="6", condition="1", string="1")
    assert body["response_status"]["code"] == 50005
    body = await find(sandbox, field="5", condition="4", date1="nope")
    assert body["response_status"] == {
        "code": 50003,
        "severity": "ERROR",
        "description": "date1 is invalid",
    }
    body = await find(sandbox, **ALL, limit="-1")
    assert body["response_status"]["code"] == 50004
    # Over 100 is served 100 rows, as the live API hard-caps its pages.
    body = await find(sandbox, **ALL, limit="500")
    assert (body["response_status"]["code"], len(body["products"])) == (10001, 60)
    response = await sandbox.client.post(
        PRODUCTS_GET, data={"username": "x", "password": "y", "id": "1"}
    )
    assert response.json()["response_status"]["code"] == 30001
    response = await sandbox.client.get(PRODUCTS_FIND, params={**AUTH, **ALL, "limit": "1"})
    assert response.json()["total"] == 60


async def test_get_reads_the_ids_from_the_query_string_only(sandbox: Sandbox) -> None:
    # The product spec lists id and ids as query parameters, and public clients send them
    # there; a body's are not read, so a client sending them only there fails here too.
    product_id = str(sandbox.state.products[0].id)
    for name in ("id", "ids"):
        in_body = await sandbox.client.post(PRODUCTS_GET, data={**AUTH, name: product_id})
        status = in_body.json()["response_status"]
        assert status["code"] == 50005
        assert "in the query string (not read from a body)" in status["description"]
        in_query = await sandbox.client.post(PRODUCTS_GET, params={name: product_id}, data=AUTH)
        assert in_query.json()["response_status"]["code"] == 10001
