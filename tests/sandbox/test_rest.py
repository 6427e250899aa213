"""REST API v1: auth, validation, orders, print files, catalog CRUD, batch orders."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from omsclient.sandbox import SandboxConfig

from ._support import TOKEN, Sandbox

TEMPLATE = "%7B%22layers%22%3A%5B%7B%22text%22%3A%22Hi%22%7D%5D%7D"


def item(item_id: str = "ITEM-001", **extra: Any) -> dict[str, Any]:
    return {
        "ecommerce_order_item_id": item_id,
        "ecommerce_variant_id": "VAR-1",
        "quantity": 2,
        "template_config": TEMPLATE,
        "thumbnails": ["https://cdn.example/thumb.png"],
        **extra,
    }


def order(
    order_id: str = "ORD-001", items: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"store_id": "1", "ecommerce_order_id": order_id, "items": items or [item()], **extra}


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(orders=10, products=5, failing_print_items=["ITEM-BAD"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic tk-sandbox-1"},
        {"Authorization": "tk-sandbox-1"},
    ],
)
async def test_unauthenticated(sandbox: Sandbox, headers: dict[str, str]) -> None:
    for method, path in [
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/orders/x"),
        ("GET", "/api/v1/order-items/x/print"),
        ("POST", "/api/v1/product-categories"),
        ("POST", "/api/v1/batch-orders"),
    ]:
        response = await sandbox.rest(method, path, {}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated."}


async def test_order_lifecycle(sandbox: Sandbox) -> None:
    body = order(
        ecommerce_order_number="#1001",
        total_price=59.98,
        currency_code="USD",
        customer={"email": "a@example.com", "name": "Ann"},
        note="Gift wrap",
        addresses=[
            {
                "type_id": "shipping",
                "address_1": "1 Main St",
                "post_code": "12345",
                "city": "Town",
                "country_code": "US",
            }
        ],
        shippings=[{"code": "STANDARD", "shipping_price": 4.99}],
        create_print_files=True,
        items=[item(price=29.99, properties={"color": "red"}), item("ITEM-002")],
    )
    created = await sandbox.rest("POST", "/api/v1/orders", body)
    assert created.status_code == 200
    data = created.json()
    uid = data["uid"]
    assert data["ecommerce_order_id"] == "ORD-001"
    assert [i["ecommerce_order_item_id"] for i in data["items"]] == ["ITEM-001", "ITEM-002"]
    assert all(len(i["uid"]) == 36 for i in data["items"])
    assert data["items"][0]["template_config"] == TEMPLATE
    assert data["items"][0]["properties"] == {"color": "red"}
    assert data["items"][1]["price"] is None
    assert data["note"] == "Gift wrap"
    assert data["create_print_files"] is True
    assert data["addresses"] == body["addresses"]
    assert data["customer"] == body["customer"]
    assert data["shippings"] == body["shippings"]
    assert data["currency_code"] == "USD"
    assert data["created_at"].endswith("Z")

    fetched = await sandbox.rest("GET", f"/api/v1/orders/{uid}")
    assert fetched.status_code == 200
    assert fetched.json() == data

    updated = await sandbox.rest(
        "PUT",
        f"/api/v1/orders/{uid}",
        {
            "note": "Updated",
            "total_price": 69.98,
            "items": [item("ITEM-002", quantity=5), item("ITEM-003")],
        },
    )
    assert updated.status_code == 200
    new = updated.json()
    assert new["note"] == "Updated"
    assert new["total_price"] == 69.98
    assert new["ecommerce_order_number"] == "#1001"
    assert new["items"][0]["uid"] == data["items"][1]["uid"]
    assert new["items"][0]["quantity"] == 5
    assert new["updated_at"] > data["updated_at"]

    deleted = await sandbox.rest("DELETE", f"/api/v1/orders/{uid}")
    assert deleted.json() == {"message": "Order successfully deleted", "order_uid": uid}
    assert (await sandbox.rest("GET", f"/api/v1/orders/{uid}")).status_code == 404
    assert sandbox.state.writes_applied == 3


async def test_order_validation(sandbox: Sandbox) -> None:
    response = await sandbox.rest("POST", "/api/v1/orders", {})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {
        "store_id": ["The store id field is required."],
        "ecommerce_order_id": ["The ecommerce order id field is required."],
        "items": ["The items field is required."],
    }
    assert response.json()["message"] == "The store id field is required. (and 2 more errors)"

    bad_item = {
        "ecommerce_variant_id": 5,
        "quantity": 0,
        "template_config": {"a": 1},
        "thumbnails": "x",
    }
    response = await sandbox.rest(
        "POST",
        "/api/v1/orders",
        order(
            items=[bad_item],
            store_id=1,
            addresses=[{"type_id": "home"}],
            shippings=[{"code": "X", "shipping_price": "free"}],
            create_print_files="yes",
        ),
    )
    errors = response.json()["errors"]
    assert errors["store_id"] == ["The store id field must be a string."]
    assert errors["items.0.ecommerce_order_item_id"] == [
        "The items.0.ecommerce order item id field is required."
    ]
    assert errors["items.0.ecommerce_variant_id"] == [
        "The items.0.ecommerce variant id field must be a string."
    ]
    assert errors["items.0.quantity"] == ["The items.0.quantity field must be at least 1."]
    assert errors["items.0.template_config"] == [
        "The items.0.template config field must be a string."
    ]
    assert errors["items.0.thumbnails"] == ["The items.0.thumbnails field must be an array."]
    assert errors["addresses.0.type_id"] == ["The selected addresses.0.type id is invalid."]
    assert errors["addresses.0.address_1"] == ["The addresses.0.address 1 field is required."]
    assert errors["shippings.0.shipping_price"] == [
        "The shippings.0.shipping price field must be a number."
    ]
    assert errors["create_print_files"] == ["The create print files field must be true or false."]
    assert sandbox.state.rest.orders == {}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [(True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False)],
)
async def test_a_boolean_takes_laravels_list_and_stores_it_as_its_cast_does(
    sandbox: Sandbox, sent: object, stored: bool
) -> None:
    # "0" was refused, where Laravel takes it, and stored as true had it been taken
    # (bool("0")); 1.0 was taken, which Laravel's strict list refuses.
    created = await sandbox.rest("POST", "/api/v1/orders", order(create_print_files=sent))
    assert created.status_code == 200, created.text
    assert created.json()["create_print_files"] is stored


@pytest.mark.parametrize("sent", [1.0, 0.0, 2, "true", "yes"])
async def test_a_boolean_outside_laravels_list_is_refused(sandbox: Sandbox, sent: object) -> None:
    refused = await sandbox.rest("POST", "/api/v1/orders", order(create_print_files=sent))
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "create_print_files": ["The create print files field must be true or false."]
    }
    assert sandbox.state.rest.orders == {}


@pytest.mark.parametrize("blank", ["", "   "])
async def test_a_blank_string_is_read_as_null_as_laravel_reads_it(
    sandbox: Sandbox, blank: str
) -> None:
    # A Laravel app's middleware trims strings and makes an empty one null. A blank required
    # field was taken, and "" in an optional object, array or number field stored: every
    # read of the order by the SDK then failed ("expected a JSON object for Customer").
    response = await sandbox.rest(
        "POST", "/api/v1/orders", order(order_id=blank, items=[item(ecommerce_variant_id=blank)])
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "ecommerce_order_id": ["The ecommerce order id field is required."],
        "items.0.ecommerce_variant_id": ["The items.0.ecommerce variant id field is required."],
    }
    assert sandbox.state.rest.orders == {}
    created = await sandbox.rest(
        "POST", "/api/v1/orders", order(customer=blank, addresses=blank, shippings=blank)
    )
    assert created.status_code == 200
    stored = created.json()
    assert (stored["customer"], stored["addresses"], stored["shippings"]) == (None, None, None)
    category = await sandbox.rest(
        "POST", "/api/v1/product-categories", {"name": "Shirts", "default_dpi": blank}
    )
    assert category.json()["default_dpi"] is None


async def test_an_empty_php_array_in_a_list_is_an_empty_object(sandbox: Sandbox) -> None:
    # A PHP client encodes an empty object as [], at the top level (customer: []) and inside
    # lists alike; in a list it was "must be an array", where {} names the missing fields.
    for empty in ({}, []):
        response = await sandbox.rest(
            "POST", "/api/v1/orders", order(items=[empty], addresses=[empty], shippings=[empty])
        )
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert set(errors) == {
            "items.0.ecommerce_order_item_id",
            "items.0.ecommerce_variant_id",
            "items.0.quantity",
            "items.0.template_config",
            "items.0.thumbnails",
            "addresses.0.type_id",
            "addresses.0.address_1",
            "addresses.0.post_code",
            "addresses.0.city",
            "addresses.0.country_code",
            "shippings.0.code",
            "shippings.0.shipping_price",
        }
        assert errors["addresses.0.city"] == ["The addresses.0.city field is required."]
    # Anything else in place of an object is still refused as such.
    response = await sandbox.rest("POST", "/api/v1/orders", order(items=[[1]], addresses=["x"]))
    assert response.json()["errors"] == {
        "items.0": ["The items.0 field must be an array."],
        "addresses.0": ["The addresses.0 field must be an array."],
    }
    assert sandbox.state.rest.orders == {}


async def test_order_conflicts_and_store(sandbox: Sandbox) -> None:
    assert (await sandbox.rest("POST", "/api/v1/orders", order())).status_code == 200
    again = await sandbox.rest("POST", "/api/v1/orders", order())
    assert again.status_code == 400
    assert again.json()["errors"] == {
        "ecommerce_order_id": ["The ecommerce order id has already been taken."]
    }
    reused = await sandbox.rest("POST", "/api/v1/orders", order("ORD-002"))
    assert reused.json()["errors"] == {
        "items.0.ecommerce_order_item_id": [
            "The items.0.ecommerce order item id has already been taken."
        ]
    }
    # Print files are asked for by the item id: two items of one order cannot share it.
    twice = await sandbox.rest("POST", "/api/v1/orders", order("ORD-004", [item("A"), item("A")]))
    assert (twice.status_code, twice.json()["errors"]) == (
        400,
        {
            "items.1.ecommerce_order_item_id": [
                "The items.1.ecommerce order item id has already been taken."
            ]
        },
    )
    other_store = await sandbox.rest("POST", "/api/v1/orders", order("ORD-003", store_id="2"))
    assert other_store.status_code == 403
    assert other_store.json() == {"message": "This action is unauthorized."}


async def test_body_errors_and_unknown_routes(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/api/v1/orders", content=b"{not json", headers={"Authorization": "Bearer tk-sandbox-1"}
    )
    assert response.status_code == 400
    assert "message" in response.json()
    response = await sandbox.rest("POST", "/api/v1/orders", [1, 2])
    assert response.status_code == 400
    for method, path in [
        ("GET", "/api/v1/orders/nope"),
        ("PUT", "/api/v1/orders/nope"),
        ("DELETE", "/api/v1/orders/nope"),
    ]:
        response = await sandbox.rest(method, path, {})
        assert response.status_code == 404
        assert response.json() == {"message": "Order not found."}
    for path in ("/api/v1/unknown", "/api/v1", "/api/v1/"):  # the API's root too, not text
        response = await sandbox.rest("GET", path)
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}
    response = await sandbox.rest("GET", "/api/v1/orders")
    assert response.status_code == 405
    assert "message" in response.json()


async def test_put_validation(sandbox: Sandbox) -> None:
    uid = (await sandbox.rest("POST", "/api/v1/orders", order())).json()["uid"]
    response = await sandbox.rest("PUT", f"/api/v1/orders/{uid}", {"items": [], "total_price": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"items", "total_price"}


def nested_body(order_id: str, levels: int) -> str:
    """An order whose item's properties nest ``levels`` objects; the body nests 3 more."""
    properties = '{"a":' * levels + "1" + "}" * levels
    text = json.dumps(order(order_id, [item(order_id, properties="PROPERTIES")]))
    return text.replace('"PROPERTIES"', properties)


async def test_a_body_php_reads_is_answered_and_a_deeper_one_stores_nothing(
    sandbox: Sandbox,
) -> None:
    # PHP's json_decode reads 512 levels: 509 of properties under the order, its items and
    # the item. Stored deeper than the sandbox could encode, an order answered 500 to its
    # create and to every read after it.
    headers = {**TOKEN, "Content-Type": "application/json"}
    created = await sandbox.client.post(
        "/api/v1/orders", content=nested_body("DEEP-1", 509), headers=headers
    )
    assert created.status_code == 200
    uid = created.json()["uid"]
    fetched = await sandbox.rest("GET", f"/api/v1/orders/{uid}")
    assert (fetched.status_code, fetched.content) == (200, created.content)
    properties = fetched.json()["items"][0]["properties"]
    for _ in range(509):
        properties = properties["a"]
    assert properties == 1

    refused = {"message": "The request body is nested more than 512 levels deep."}
    for method, path, order_id in [
        ("POST", "/api/v1/orders", "DEEP-2"),
        ("PUT", f"/api/v1/orders/{uid}", "DEEP-1"),
    ]:
        response = await sandbox.client.request(
            method, path, content=nested_body(order_id, 510), headers=headers
        )
        assert (response.status_code, response.json()) == (400, refused)
    assert list(sandbox.state.rest.orders) == [uid]
    assert (await sandbox.rest("GET", f"/api/v1/orders/{uid}")).content == created.content
    assert sandbox.state.writes_applied == 1


async def test_print_file_progress(sandbox: Sandbox) -> None:
    items = [item("ITEM-A"), item("ITEM-fail-1"), item("ITEM-BAD")]
    await sandbox.rest("POST", "/api/v1/orders", order(items=items))

    async def poll(item_id: str) -> dict[str, Any]:
        response = await sandbox.rest("GET", f"/api/v1/order-items/{item_id}/print")
        assert response.status_code == 200
        result: dict[str, Any] = response.json()
        return result

    assert await poll("ITEM-A") == {
        "ecommerce_order_item_id": "ITEM-A",
        "status": "received",
        "url": None,
    }
    assert (await poll("ITEM-A"))["status"] == "processing"
    ready = await poll("ITEM-A")
    assert ready["status"] == "ready"
    assert ready["url"].endswith("/ITEM-A.pdf")
    assert (await poll("ITEM-A"))["status"] == "ready"
    for failing in ("ITEM-fail-1", "ITEM-BAD"):
        statuses = [(await poll(failing)) for _ in range(3)]
        assert [s["status"] for s in statuses] == ["received", "processing", "processingfailed"]
        assert all(s["url"] is None for s in statuses)
    missing = await sandbox.rest("GET", "/api/v1/order-items/NOPE/print")
    assert missing.status_code == 404


async def test_a_print_files_url_holds_its_item_id_as_one_path_segment(sandbox: Sandbox) -> None:
    # "q?x=1" made the URL's path /print-files/q and its query x=1.pdf.
    odd = ["q?x=1", "a/b", "h#frag", "50%", "é"]
    await sandbox.rest("POST", "/api/v1/orders", order(items=[item(i) for i in odd]))
    for item_id in odd:
        for _ in range(2):
            await sandbox.rest("GET", f"/api/v1/order-items/{quote(item_id, safe='')}/print")
        ready = await sandbox.rest("GET", f"/api/v1/order-items/{quote(item_id, safe='')}/print")
        url = httpx.URL(ready.json()["url"])
        assert (url.query, url.fragment) == (b"", "")
        assert url.raw_path.decode() == f"/print-files/{quote(item_id, safe='')}.pdf"


async def test_a_new_item_with_a_deleted_items_id_has_a_print_file_of_its_own(
    sandbox: Sandbox,
) -> None:
    # Progress was kept by the shop's item id and outlived the order: the new item's first
    # poll answered "ready" with the old item's file.
    async def poll() -> str:
        response = await sandbox.rest("GET", "/api/v1/order-items/ITEM-R/print")
        status: str = response.json()["status"]
        return status

    first = (await sandbox.rest("POST", "/api/v1/orders", order("ORD-1", [item("ITEM-R")]))).json()
    assert [await poll() for _ in range(3)] == ["received", "processing", "ready"]
    # An update keeping the item keeps its uid, and so its print file.
    kept = {"note": "kept", "items": [item("ITEM-R", quantity=3)]}
    assert (await sandbox.rest("PUT", f"/api/v1/orders/{first['uid']}", kept)).status_code == 200
    assert await poll() == "ready"
    assert (await sandbox.rest("DELETE", f"/api/v1/orders/{first['uid']}")).status_code == 200

    second = await sandbox.rest("POST", "/api/v1/orders", order("ORD-2", [item("ITEM-R")]))
    assert second.json()["items"][0]["uid"] != first["items"][0]["uid"]
    assert [await poll() for _ in range(3)] == ["received", "processing", "ready"]
    # An update that drops the item and one that brings it back make a new item too.
    uid = second.json()["uid"]
    await sandbox.rest("PUT", f"/api/v1/orders/{uid}", {"items": [item("ITEM-S")]})
    await sandbox.rest("PUT", f"/api/v1/orders/{uid}", {"items": [item("ITEM-R")]})
    assert await poll() == "received"


def test_failing_print_items_is_a_collection_of_ids() -> None:
    assert SandboxConfig(failing_print_items=("ITEM-9",)).failing_print_items == {"ITEM-9"}
    # One string is one id to a reader, but its characters to frozenset().
    with pytest.raises(TypeError, match="failing_print_items"):
        SandboxConfig(failing_print_items="ITEM-9")
    # An item id is text: 1 (or 0) matched no item, and the failure never came.
    for odd in (1, 0, None):
        with pytest.raises(TypeError, match=f"as strings .*, got {odd!r}$"):
            SandboxConfig(failing_print_items=["ITEM-9", odd])  # type: ignore[list-item]


async def test_print_polls_config(sandbox_factory: Any) -> None:
    sandbox = await sandbox_factory(orders=1, products=1, print_polls=4)
    await sandbox.rest("POST", "/api/v1/orders", order())
    statuses = []
    for _ in range(5):
        response = await sandbox.rest("GET", "/api/v1/order-items/ITEM-001/print")
        statuses.append(response.json()["status"])
    assert statuses == ["received", "processing", "processing", "processing", "ready"]


async def test_catalog_crud(sandbox: Sandbox) -> None:
    category = await sandbox.rest("POST", "/api/v1/product-categories", {"name": "T-Shirts"})
    assert category.status_code == 200
    cat = category.json()
    assert cat["id"] == 1
    assert len(cat["uid"]) == 36
    assert cat["default_dpi"] == 300
    child = await sandbox.rest(
        "POST",
        "/api/v1/product-categories",
        {"name": "Kids", "parent_id": cat["uid"], "default_dpi": 600},
    )
    assert child.json()["parent_id"] == cat["uid"]
    assert child.json()["default_dpi"] == 600
    orphan = await sandbox.rest(
        "POST", "/api/v1/product-categories", {"name": "X", "parent_id": "nope"}
    )
    assert orphan.json()["errors"] == {"parent_id": ["The selected parent id is invalid."]}
    assert (await sandbox.rest("GET", f"/api/v1/product-categories/{cat['uid']}")).json() == cat
    renamed = await sandbox.rest(
        "PUT", "/api/v1/product-categories/1", {"name": "Premium T-Shirts"}
    )
    assert renamed.json()["name"] == "Premium T-Shirts"

    missing = await sandbox.rest("POST", "/api/v1/products", {"name": "Tee"})
    assert set(missing.json()["errors"]) == {"category_id", "order_column", "active", "team_id"}
    bad_category = await sandbox.rest(
        "POST",
        "/api/v1/products",
        {"category_id": 99, "name": "Tee", "order_column": 1, "active": True, "team_id": 5},
    )
    assert bad_category.json()["errors"] == {
        "category_id": ["The selected category id is invalid."]
    }
    product = await sandbox.rest(
        "POST",
        "/api/v1/products",
        {
            "category_id": 1,
            "name": "Classic Tee",
            "code": "CWT001",
            "order_column": 1,
            "active": True,
            "team_id": 5,
        },
    )
    prod = product.json()
    assert prod["id"] == 1
    assert len(prod["uuid"]) == 36
    assert prod["code"] == "CWT001"
    assert prod["description"] is None
    changed = await sandbox.rest("PUT", "/api/v1/products/1", {"active": False, "default_dpi": 600})
    assert changed.json()["active"] is False
    assert changed.json()["name"] == "Classic Tee"
    wrong_type = await sandbox.rest("PUT", "/api/v1/products/1", {"order_column": "first"})
    assert wrong_type.json()["errors"] == {
        "order_column": ["The order column field must be an integer."]
    }
    # PHP's integers are 64 bits; 2**64 - 1 was stored and sent back.
    for past in (2**63, -(2**63) - 1):
        too_big = await sandbox.rest("PUT", "/api/v1/products/1", {"default_dpi": past})
        assert too_big.status_code == 400
        assert too_big.json()["errors"] == {
            "default_dpi": ["The default dpi field must be an integer."]
        }
    edge = await sandbox.rest("PUT", "/api/v1/products/1", {"default_dpi": 2**63 - 1})
    assert edge.json()["default_dpi"] == 2**63 - 1

    variant = await sandbox.rest(
        "POST",
        "/api/v1/product-variants",
        {"name": "Classic Tee - L", "product_id": 1, "country_id": 1, "weight": 200},
    )
    var = variant.json()
    assert var["id"] == 1
    assert var["weight"] == 200
    assert len(var["uuid"]) == 36
    given = await sandbox.rest(
        "POST",
        "/api/v1/product-variants",
        {
            "name": "XL",
            "product_id": 1,
            "country_id": 1,
            "uuid": "aef6d9d6-4cc6-4b45-bccf-aab97e886440",
        },
    )
    assert given.json()["uuid"] == "aef6d9d6-4cc6-4b45-bccf-aab97e886440"
    # The spec's "unique identifier": a create sent again made a second variant of it.
    again = await sandbox.rest(
        "POST",
        "/api/v1/product-variants",
        {"name": "XL", "product_id": 1, "country_id": 1, "uuid": given.json()["uuid"]},
    )
    assert again.status_code == 400
    assert again.json()["errors"] == {"uuid": ["The uuid has already been taken."]}
    taken = await sandbox.rest("PUT", "/api/v1/product-variants/1", {"uuid": given.json()["uuid"]})
    assert taken.json()["errors"] == {"uuid": ["The uuid has already been taken."]}
    # A product's uuid is the server's, not the body's: a product cloned with it is made.
    clone = {**prod, "name": "Clone"}
    assert (await sandbox.rest("POST", "/api/v1/products", clone)).status_code == 200
    invalid = await sandbox.rest(
        "POST",
        "/api/v1/product-variants",
        {"name": "XL", "product_id": 7, "country_id": 1, "uuid": "short", "weight": -1},
    )
    assert invalid.json()["errors"] == {
        "uuid": ["The uuid field must be 36 characters."],
        "weight": ["The weight field must be at least 0."],
    }
    no_product = await sandbox.rest(
        "POST", "/api/v1/product-variants", {"name": "XL", "product_id": 7, "country_id": 1}
    )
    assert no_product.json()["errors"] == {"product_id": ["The selected product id is invalid."]}

    assert (await sandbox.rest("DELETE", "/api/v1/product-variants/1")).json() == {
        "message": "Product variant successfully deleted",
        "variant_id": 1,
    }
    assert (await sandbox.rest("DELETE", "/api/v1/products/1")).json() == {
        "message": "Product successfully deleted",
        "product_id": 1,
    }
    assert (await sandbox.rest("DELETE", "/api/v1/product-categories/1")).json() == {
        "message": "Product category successfully deleted",
        "category_id": 1,
    }
    for path in (
        "/api/v1/product-variants/1",
        "/api/v1/products/1",
        "/api/v1/product-categories/1",
        "/api/v1/products/abc",
    ):
        response = await sandbox.rest("GET", path)
        assert response.status_code == 404


async def test_batch_orders(sandbox: Sandbox) -> None:
    created = (
        await sandbox.rest("POST", "/api/v1/orders", order(items=[item("A"), item("B")]))
    ).json()
    uids = [i["uid"] for i in created["items"]]
    response = await sandbox.rest(
        "POST", "/api/v1/batch-orders", {"order_items": uids, "print_templates": ["T1"]}
    )
    assert response.status_code == 200
    batch = response.json()
    assert set(batch) == {"uid", "status"}
    assert batch["status"] == "Batching"
    statuses = []
    for _ in range(3):
        polled = (await sandbox.rest("GET", f"/api/v1/batch-orders/{batch['uid']}")).json()
        statuses.append(polled["status"])
        assert polled["order_items"] == uids
    assert statuses == ["Processing", "Completed", "Completed"]
    assert polled["url"].endswith(".pdf")
    bad = await sandbox.rest(
        "POST", "/api/v1/batch-orders", {"order_items": ["nope"], "print_templates": ["T1"]}
    )
    assert bad.json()["errors"] == {"order_items.0": ["The selected order items.0 is invalid."]}
    empty = await sandbox.rest(
        "POST", "/api/v1/batch-orders", {"order_items": [], "print_templates": []}
    )
    assert set(empty.json()["errors"]) == {"order_items", "print_templates"}
    assert (await sandbox.rest("GET", "/api/v1/batch-orders/nope")).status_code == 404


async def test_request_log_keeps_json_and_token(sandbox: Sandbox) -> None:
    await sandbox.rest("POST", "/api/v1/orders", order())
    record = sandbox.state.requests[-1]
    assert record.method == "POST"
    assert record.path == "/api/v1/orders"
    assert record.json["items"][0]["template_config"] == TEMPLATE
    assert record.headers["authorization"] == "Bearer tk-sandbox-1"
    assert record.status == 200
