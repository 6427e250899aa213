"""Generated data: deterministic per seed, valid against the blueprint's order schema."""

from __future__ import annotations

import collections
import copy
import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from omsclient.sandbox import Churn, Faults, Quirks, SandboxConfig

from ._support import (
    ALL_ORDERS,
    BLUEPRINT,
    EVERYTHING,
    PRODUCTS_GET,
    SCHEMA,
    Sandbox,
    SandboxFactory,
)


def relaxed(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the objects that only the include flags bring."""
    schema = copy.deepcopy(schema)
    order = schema["properties"]["orders"]["items"]
    order["required"].remove("shipments")
    line = order["properties"]["order_lines"]["items"]
    line["required"].remove("workflow_items")
    item = line["properties"]["workflow_items"]["items"]
    item["required"].remove("purchase_order_lines")
    shipment = order["properties"]["shipments"]["items"]
    shipment["required"].remove("workflow_items")
    return schema


def check(schema: dict[str, Any], body: Any) -> None:
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


async def requests(sandbox: Sandbox) -> list[Any]:
    out = [
        await sandbox.find(**ALL_ORDERS, **EVERYTHING, limit="20", offset="100"),
        await sandbox.find(field="4", condition="1", string="1", sortby="8", limit="10"),
        await sandbox.legacy(
            "/api/json/manage_products/find", field="4", condition="4", string="0"
        ),
        await sandbox.legacy(PRODUCTS_GET, id=str(sandbox.state.products[7].id)),
    ]
    created = await sandbox.rest(
        "POST",
        "/api/v1/orders",
        {
            "store_id": "1",
            "ecommerce_order_id": "O1",
            "items": [
                {
                    "ecommerce_order_item_id": "I1",
                    "ecommerce_variant_id": "V",
                    "quantity": 1,
                    "template_config": "x",
                    "thumbnails": ["t.png"],
                }
            ],
        },
    )
    out.append(created.json())
    return out


async def test_same_seed_same_answers(sandbox_factory: SandboxFactory) -> None:
    config = SandboxConfig(orders=300, products=60, seed=42)
    first = await requests(await sandbox_factory(config))
    second = await requests(await sandbox_factory(config))
    assert first == second
    other = await requests(await sandbox_factory(SandboxConfig(orders=300, products=60, seed=43)))
    assert other[0] != first[0]
    assert other[2] != first[2]
    assert other[4]["uid"] != first[4]["uid"]


async def test_an_order_reads_the_same_whatever_the_flags(sandbox: Sandbox) -> None:
    plain = (await sandbox.find(**ALL_ORDERS, limit="30"))["orders"]
    full = (await sandbox.find(**ALL_ORDERS, **EVERYTHING, limit="30"))["orders"]
    for small, big in zip(plain, full, strict=True):
        big = {k: v for k, v in big.items() if k != "shipments"}
        for line in big["order_lines"]:
            line.pop("workflow_items")
            for view in line["views"]:
                for area in view["areas"]:
                    for process in area["processes"]:
                        for key in (
                            "stitch_count",
                            "cropped",
                            "top",
                            "left",
                            "width",
                            "height",
                            "format",
                        ):
                            del process[key]
        assert small == big


async def test_orders_validate_against_the_schema(sandbox: Sandbox) -> None:
    for offset in (0, 100, 200):
        check(SCHEMA, await sandbox.find(**ALL_ORDERS, **EVERYTHING, offset=str(offset)))
    check(relaxed(SCHEMA), await sandbox.find(**ALL_ORDERS))
    check(relaxed(SCHEMA), await sandbox.find(**ALL_ORDERS, include_shipments="1", offset="100"))


async def test_written_and_churned_orders_stay_valid(sandbox_factory: SandboxFactory) -> None:
    from omsclient.sandbox import Churn

    sandbox = await sandbox_factory(
        SandboxConfig(orders=100, products=10, churn=Churn(new_orders=5, changed_orders=5))
    )
    open_ids = [r.order_id for r in sandbox.state.orders if r.status == 1][:3]
    await sandbox.update(order_id=open_ids[0], new_status="3", shipping_code="TRK")
    await sandbox.update(order_id=open_ids[1], new_status="3")
    body = await sandbox.find(field="8", condition="4", date1="2024-12-30T00:00:00", **EVERYTHING)
    assert body["total"] >= 10  # the written, churned and recent orders
    check(SCHEMA, body)


def test_schema_file_is_the_cleaned_blueprint_schema() -> None:
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node)
            keys.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(BLUEPRINT)
    assert "enum" not in keys
    assert "proof_url" in keys
    assert "po_number" in keys
    assert not [k for k in keys if " " in k or (":" in k and k != "$schema")]
    item = BLUEPRINT["properties"]["orders"]["items"]["properties"]["order_lines"]["items"]
    po = item["properties"]["workflow_items"]["items"]["properties"]["purchase_order_lines"]
    assert "po_number" in po["items"]["required"]


@pytest.mark.parametrize("orders", [0, 1])
async def test_tiny_datasets(sandbox_factory: SandboxFactory, orders: int) -> None:
    sandbox = await sandbox_factory(SandboxConfig(orders=orders, products=1))
    body = await sandbox.find(**ALL_ORDERS)
    assert body["total"] == orders


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="at least one product"):
        SandboxConfig(orders=5, products=0)
    with pytest.raises(ValueError, match="order_field_numbering"):
        SandboxConfig(order_field_numbering="other")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="orders must be >= 0"):
        SandboxConfig(orders=-1)
    with pytest.raises(ValueError, match="print_polls"):
        SandboxConfig(print_polls=0)
    with pytest.raises(ValueError, match="render_cache_mb must be >= 0"):
        SandboxConfig(render_cache_mb=-1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # Each was taken, and every search then answered HTTP 500 (a float shifted, formatted
        # as digits, or counted orders by), or the sandbox failed to start naming nothing.
        (lambda: SandboxConfig(render_cache_mb=0.5), "render_cache_mb must be a whole number"),
        (lambda: SandboxConfig(days=1.5), "days must be a whole number, got 1.5"),
        (lambda: SandboxConfig(orders="10"), "orders must be a whole number, got '10'"),
        (lambda: SandboxConfig(seed=None), "seed must be a whole number, got None"),
        (lambda: SandboxConfig(print_polls=True), "print_polls must be a whole number"),
        (lambda: Churn(new_orders=1.5), "new_orders must be a whole number"),
        (lambda: Faults(seed=1.5), "seed must be a whole number"),
        (lambda: Faults(retry_after="1"), "retry_after must be a whole number"),
        (lambda: Faults(error_rate="0.1"), "error_rate must be a number between 0 and 1"),
        (lambda: SandboxConfig(faults={"error_rate": 0.1}), "faults must be a Faults, got dict"),
        (lambda: SandboxConfig(churn=Faults()), "churn must be a Churn, got Faults"),
        # Text from an .ini file or a variable: "false" is a true string, and a test of a
        # disabled API ran against a working one.
        (
            lambda: SandboxConfig(legacy_api_enabled="false"),
            "legacy_api_enabled must be True or False, got 'false'",
        ),
        (lambda: SandboxConfig(log_requests="no"), "log_requests must be True or False"),
        (lambda: Quirks(string_ids="yes"), "string_ids must be True or False, got 'yes'"),
        (lambda: Faults(error_statuses=503), "error_statuses must be a tuple of 5xx codes"),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_naming_it(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        make()


def test_dates_past_the_clock_are_spread_over_the_day_before_it() -> None:
    # They were all set to the clock: 86 of 20,000 orders (947 of 200,000) shared one
    # date_modified, inside the overlap of every later database sync, which read them again.
    from omsclient.sandbox._orders import generate

    now = 1_735_603_200
    orders = generate(20_000, seed=1, start=now - 365 * 86400, now=now)
    modified = [o.date_modified for o in orders]
    assert max(collections.Counter(modified).values()) <= 2
    assert sum(m > now - 600 for m in modified) <= 5
    for o in orders:
        dates = [o.date_ordered, o.date_production_files_ready, o.date_produced, o.date_shipped]
        known = [d for d in dates if d is not None]
        assert known == sorted(known)
        assert max([*known, o.date_invoiced or 0]) <= o.date_modified <= now


def test_fault_rates_adding_up_to_one_in_tenths_are_taken() -> None:
    # 0.2 + 0.4 + 0.3 + 0.1 is 1.0000000000000002 in floats: refused as "more than 1".
    faults = Faults(error_rate=0.2, rate_limit_rate=0.4, drop_rate=0.3, truncate_rate=0.1)
    assert faults.enabled
    with pytest.raises(ValueError, match=r"fault rates add up to 1\.1, more than 1"):
        Faults(error_rate=0.2, rate_limit_rate=0.4, drop_rate=0.3, truncate_rate=0.2)


def test_error_statuses_from_settings_keep_the_config_hashable() -> None:
    # A list read from JSON or YAML was kept: hash(config) raised TypeError.
    faults = Faults(error_rate=0.5, error_statuses=[503])  # type: ignore[arg-type]
    assert faults.error_statuses == (503,)
    assert hash(SandboxConfig(faults=faults)) == hash(SandboxConfig(faults=faults))
