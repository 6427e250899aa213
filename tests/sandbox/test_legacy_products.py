"""manage_products/find and manage_products/get."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from ._support import AUTH, PRODUCTS_FIND, PRODUCTS_GET, Sandbox

ALL = {"field": "4", "condition": "4", "string": "0"}
SUMMARY_KEYS = {"id", "code", "name", "supplier", "date_modified", "sort_position", "active"}
DETAIL_KEYS = SUMMARY_KEYS | {"description", "unit_price", "unit_weight", "colors", "sizes"}
SAMPLE = pathlib.Path(__file__).parent.parent / "data" / "sample_product.json"


async def find(sandbox: Sandbox, **params: Any) -> Any:
    return await sandbox.legacy(PRODUCTS_FIND, **params)


async def get(sandbox: Sandbox, **params: Any) -> Any:
    return await sandbox.legacy(PRODUCTS_GET, **params)


async def test_list_all_products(sandbox: Sandbox) -> None:
    body = await find(sandbox, **ALL, limit="100")
    assert body["response_status"]["code"] == 10001
    assert body["total"] == 60
    assert len(body["products"]) == 60
    assert all(set(p) == SUMMARY_KEYS for p in body["products"])


@pytest.mark.parametrize(("field", "attr"), [(1, "code"), (2, "name"), (3, "supplier"), (4, "id")])
@pytest.mark.parametrize("op", [1, 2, 3, 4, 5, 6])
async def test_fields_and_operators(sandbox: Sandbox, field: int, attr: str, op: int) -> None:
    products = sandbox.state.products
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
    assert {p["id"] for p in body["products"]} == expected
    assert body["total"] == len(expected)


async def test_string_match_ignores_case(sandbox: Sandbox) -> None:
    code = sandbox.state.products[3].code
    body = await find(sandbox, field="1", condition="1", string=code.lower())
    assert [p["code"] for p in body["products"]] == [code]


async def test_date_modified_between(sandbox: Sandbox) -> None:
    body = await find(
        sandbox, field="5", condition="7", date1="2024-03-01T00:00:00", date2="2024-09-01T00:00:00"
    )
    dates = [p["date_modified"] for p in body["products"]]
    assert dates
    assert all("2024-03-01" <= d <= "2024-09-01T00:00:00" for d in dates)
    everything = await find(sandbox, **ALL)
    inside = [
        p
        for p in everything["products"]
        if "2024-03-01" <= p["date_modified"] <= "2024-09-01T00:00:00"
    ]
    assert len(inside) == body["total"]


@pytest.mark.parametrize(
    ("sortby", "key"),
    [
        (1, "code"),
        (2, "name"),
        (3, "supplier"),
        (4, "id"),
        (5, "date_modified"),
        (6, "sort_position"),
        (None, "sort_position"),
    ],
)
async def test_sorting(sandbox: Sandbox, sortby: int | None, key: str) -> None:
    extra = {"sortby": str(sortby)} if sortby else {}
    first = await find(sandbox, **ALL, **extra, limit="30")
    second = await find(sandbox, **ALL, **extra, limit="30", offset="30")
    products = first["products"] + second["products"]
    assert len({p["id"] for p in products}) == 60
    values = [p[key].casefold() if isinstance(p[key], str) else p[key] for p in products]
    assert values == sorted(values)


async def test_get_one(sandbox: Sandbox) -> None:
    product = sandbox.state.products[5]
    body = await get(sandbox, id=str(product.id))
    assert body["response_status"]["code"] == 10001
    assert set(body["product"]) == DETAIL_KEYS
    assert body["product"]["id"] == product.id
    assert body["product"]["sizes"][0]["sku"].startswith(product.code)
    assert "products" not in body


async def test_shape_matches_the_project_sample(sandbox: Sandbox) -> None:
    sample = json.loads(SAMPLE.read_text())
    sample = sample.get("product", sample)
    body = await get(sandbox, id=str(sandbox.state.products[0].id))
    assert set(body["product"]) == set(sample)
    assert set(body["product"]["colors"][0]) == set(sample["colors"][0])
    assert set(body["product"]["sizes"][0]) == set(sample["sizes"][0])


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
    assert [p["id"] for p in body["products"]] == ids
    assert all(set(p) == DETAIL_KEYS for p in body["products"])
    mixed = await get(sandbox, ids=f"{ids[0]}, 17,{ids[1]},18")
    assert mixed["response_status"] == {
        "code": 40004,
        "severity": "WARNING",
        "description": "Product ID Not Found: 17, 18",
    }
    assert [p["id"] for p in mixed["products"]] == ids[:2]
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
    body = await find(sandbox, **ALL, limit="500")
    assert body["response_status"]["code"] == 50004
    response = await sandbox.client.post(
        PRODUCTS_GET, data={"username": "x", "password": "y", "id": "1"}
    )
    assert response.json()["response_status"]["code"] == 30001
    response = await sandbox.client.get(PRODUCTS_FIND, params={**AUTH, **ALL, "limit": "1"})
    assert response.json()["total"] == 60
