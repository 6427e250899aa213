"""REST answers the spec does not show, and what a retried write reports (respx, sandbox)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.rest import OrderItem, TemplateConfig
from omsclient.sandbox import SandboxConfig, serve

from .conftest import FAST_RETRY, REST

ORDERS = f"{REST}/api/v1/orders"
PRODUCTS = f"{REST}/api/v1/products"
VARIANTS = f"{REST}/api/v1/product-variants"
UUID = "aef6d9d6-3c7b-4f7e-9a51-0c2b8d1e4f60"
ITEM: dict[str, Any] = {
    "ecommerce_order_item_id": "DEL-1-1",
    "ecommerce_variant_id": "VAR-1",
    "quantity": 1,
    "template_config": {"template": "mug"},
    "thumbnails": ["https://cdn.test/t1.png"],
}


# -- a DELETE retried after its answer was lost --------------------------------------------


@respx.mock
async def test_a_delete_whose_answer_was_lost_says_the_404_may_be_its_own_doing(
    oms: omsclient.AsyncClient,
) -> None:
    # The first DELETE reached the server, which deleted the order; the connection dropped
    # before the answer came back. The retry finds the order gone.
    route = respx.delete(f"{ORDERS}/U1").mock(
        side_effect=[
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            httpx.Response(404, json={"message": "Order not found"}),
        ]
    )
    with pytest.raises(errors.NotFoundError) as info:
        await oms.rest.orders.delete("U1")
    assert route.call_count == 2
    error = info.value
    assert error.maybe_applied is True
    assert error.attempts == 2
    assert "an earlier attempt may have deleted it" in str(error)

    # A 404 to the first attempt is a plain "not found": nothing was deleted by us.
    route.side_effect = None
    route.return_value = httpx.Response(404, json={"message": "Order not found"})
    with pytest.raises(errors.NotFoundError) as info:
        await oms.rest.orders.delete("U1")
    assert info.value.maybe_applied is False
    assert "earlier attempt" not in str(info.value)


@respx.mock
async def test_a_catalog_delete_retried_after_a_gateway_error_says_so_too(
    oms: omsclient.AsyncClient,
) -> None:
    respx.delete(f"{VARIANTS}/9").mock(
        side_effect=[httpx.Response(502), httpx.Response(404, json={"message": "Not found"})]
    )
    with pytest.raises(errors.NotFoundError, match="an earlier attempt may have deleted it"):
        await oms.rest.variants.delete(9)


async def test_a_delete_dropped_after_the_sandbox_deleted_says_so_over_sockets() -> None:
    with serve(SandboxConfig(orders=0, products=0)) as info:
        kwargs: dict[str, Any] = info.client_kwargs()
        async with omsclient.AsyncClient(**kwargs, retry=FAST_RETRY) as oms:
            order = await oms.rest.orders.create(ecommerce_order_id="DEL-1", items=[ITEM])
            assert order.uid is not None
            # The sandbox deletes the order, then closes the connection without an answer.
            info.state.queue_faults("drop")
            with pytest.raises(errors.NotFoundError) as info_error:
                await oms.rest.orders.delete(order.uid)
            error = info_error.value
            assert (error.maybe_applied, error.attempts) == (True, 2)
            assert "an earlier attempt may have deleted it" in str(error)
            with pytest.raises(errors.NotFoundError):
                await oms.rest.orders.get(order.uid)


# -- an HTML page where the API answers JSON -----------------------------------------------

NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@respx.mock
async def test_an_html_404_is_a_wrong_url_not_an_object_gone(
    oms: omsclient.AsyncClient,
) -> None:
    # The API answers JSON (omsclient asks for it); a 404 page in HTML comes from a proxy or
    # a web server in front of it: the URL is wrong, and the order may well exist.
    html = {"content-type": "text/html"}
    delete = respx.delete(f"{ORDERS}/U1").respond(404, text=NGINX_404, headers=html)
    respx.get(f"{ORDERS}/U1").respond(404, text=NGINX_404, headers=html)
    for call in (oms.rest.orders.delete, oms.rest.orders.get):
        with pytest.raises(errors.DecodeError, match="HTML page") as info:
            await call("U1")
        assert not isinstance(info.value, errors.NotFoundError)
        assert (info.value.status_code, info.value.transient) == (404, False)
        assert info.value.maybe_applied is False
    assert delete.call_count == 1

    # The API's own 404 stays a NotFoundError.
    respx.get(f"{ORDERS}/U2").respond(404, json={"message": "Order not found"})
    with pytest.raises(errors.NotFoundError):
        await oms.rest.orders.get("U2")


async def test_a_wrong_rest_url_over_sockets_is_not_taken_for_a_missing_order() -> None:
    with serve(SandboxConfig(orders=0, products=0)) as info:
        kwargs: dict[str, Any] = {**info.client_kwargs(), "rest_url": info.url + "/oms"}
        async with omsclient.AsyncClient(**kwargs, retry=FAST_RETRY) as oms:
            with pytest.raises(errors.OmsError) as caught:
                await oms.rest.orders.delete("U1")
    assert not isinstance(caught.value, errors.NotFoundError)


# -- template_config as a PHP server may send it --------------------------------------------


@respx.mock
async def test_an_empty_template_config_object_sent_as_php_array_is_read(
    oms: omsclient.AsyncClient,
) -> None:
    # A config the server holds decoded and empty comes back as PHP writes an empty object.
    respx.get(f"{ORDERS}/U1").respond(
        json={"uid": "U1", "items": [{"uid": "I1", "template_config": [], "quantity": 1}]}
    )
    order = await oms.rest.orders.get("U1")
    config = order.items[0].template_config
    assert config == {}
    assert isinstance(config, TemplateConfig)
    assert config.problem is None


@respx.mock
@pytest.mark.parametrize(
    ("value", "shown"), [(5, "got 5"), (True, "got True"), ([1, 2], "got an array")], ids=str
)
async def test_a_template_config_of_another_kind_names_its_path_and_the_problem(
    oms: omsclient.AsyncClient, value: object, shown: str
) -> None:
    respx.get(f"{ORDERS}/U1").respond(
        json={"uid": "U1", "items": [{"uid": "I1", "template_config": value}]}
    )
    with pytest.raises(errors.DecodeError) as info:
        await oms.rest.orders.get("U1")
    message = str(info.value)
    assert "expected a URL-encoded JSON string or an object" in message
    assert shown in message
    assert "@ $.items[0].template_config" in message

    # The same value in a dict given to create is refused as clearly, before sending.
    route = respx.post(ORDERS)
    with pytest.raises(errors.ValidationError) as refused:
        await oms.rest.orders.create(
            ecommerce_order_id="E1", items=[{**ITEM, "template_config": value}]
        )
    assert str(refused.value) == (
        "rest.orders.create: items[0].template_config: "
        f"expected a URL-encoded JSON string or an object, {shown}"
    )
    assert not route.called


# -- limits the spec states ----------------------------------------------------------------


@respx.mock
@pytest.mark.parametrize("field", ["weight", "default_dpi"])
async def test_a_negative_unsigned_variant_field_is_refused_before_sending(
    oms: omsclient.AsyncClient, field: str
) -> None:
    # The spec: "Weight of the variant (unsigned)", "Default DPI for the variant (unsigned)".
    create = respx.post(VARIANTS).respond(json={"id": 1})
    update = respx.put(f"{VARIANTS}/1").respond(json={"id": 1})
    with pytest.raises(
        errors.ValidationError, match=rf"rest.variants.create: {field} must not be negative, got -1"
    ):
        await oms.rest.variants.create(name="V", product_id=1, country_id=1, **{field: -1})
    with pytest.raises(
        errors.ValidationError, match=rf"rest.variants.update: {field} must not be negative, got -5"
    ):
        await oms.rest.variants.update(1, **{field: -5})
    assert (create.called, update.called) == (False, False)

    # Zero is unsigned; None clears the field.
    await oms.rest.variants.create(name="V", product_id=1, country_id=1, **{field: 0})
    await oms.rest.variants.update(1, **{field: None})
    assert (create.called, update.called) == (True, True)


@respx.mock
async def test_a_variants_product_id_is_sent_as_the_integer_the_spec_asks_for(
    oms: omsclient.AsyncClient,
) -> None:
    # The spec: product_id is an integer in a variant's body, and a product's id an integer
    # in its paths. "12" went out as a JSON string, "abc" as well.
    create = respx.post(VARIANTS).respond(json={"id": 1})
    update = respx.put(f"{VARIANTS}/1").respond(json={"id": 1})
    await oms.rest.variants.create(name="V", product_id="12", country_id=1)
    assert json.loads(create.calls.last.request.content)["product_id"] == 12
    await oms.rest.variants.update(1, product_id="0042")
    assert json.loads(update.calls.last.request.content) == {"product_id": 42}
    await oms.rest.variants.create(name="V", product_id=7, country_id=1)
    assert json.loads(create.calls.last.request.content)["product_id"] == 7
    calls = (create.call_count, update.call_count)

    with pytest.raises(errors.ValidationError, match="product_id is required"):
        await oms.rest.variants.create(name="V", product_id=" ", country_id=1)
    # An optional one was sent as it was, for the server to refuse with a 400.
    for blank in ("", "  "):
        with pytest.raises(errors.ValidationError, match=r"default_location_id must not be blank$"):
            await oms.rest.variants.create(
                name="V", product_id=7, country_id=1, default_location_id=blank
            )
        with pytest.raises(errors.ValidationError, match=r"default_location_id must not be blank$"):
            await oms.rest.products.create(
                category_id=1,
                name="P",
                order_column=1,
                active=True,
                team_id=1,
                default_location_id=blank,
            )
    for bad in ("abc", " 12", "-5", "1.0", "\u0661\u0662", "x" * 5000):
        with pytest.raises(
            errors.ValidationError,
            match=r"^rest.variants.create: product_id must be an integer or a string of its "
            r"digits, got ",
        ):
            await oms.rest.variants.create(name="V", product_id=bad, country_id=1)
    with pytest.raises(errors.ValidationError, match=r"^rest.variants.update: product_id must"):
        await oms.rest.variants.update(1, product_id="uuid-of-a-product")
    for huge in ("9" * 30, "9" * 5000):
        with pytest.raises(errors.ValidationError, match="product_id is out of range"):
            await oms.rest.variants.create(name="V", product_id=huge, country_id=1)
    assert (create.call_count, update.call_count) == calls


@respx.mock
async def test_a_default_location_id_is_sent_as_the_integer_the_spec_asks_for(
    oms: omsclient.AsyncClient,
) -> None:
    # Products' and variants' default_location_id are integers in the spec (a category's is a
    # UID): "2" went out as a JSON string, which the server refuses with a 400.
    product = respx.post(PRODUCTS).respond(json={"id": 1})
    variant = respx.put(f"{VARIANTS}/1").respond(json={"id": 1})
    await oms.rest.products.create(
        category_id=1, name="P", order_column=1, active=True, team_id=5, default_location_id="2"
    )
    assert json.loads(product.calls.last.request.content)["default_location_id"] == 2
    await oms.rest.variants.update(1, default_location_id="0042")
    assert json.loads(variant.calls.last.request.content) == {"default_location_id": 42}
    with pytest.raises(errors.ValidationError, match="default_location_id must be an integer"):
        await oms.rest.products.update(1, default_location_id="abc")
    assert (product.call_count, variant.call_count) == (1, 1)


@respx.mock
@pytest.mark.parametrize("quantity", [0, -3])
async def test_an_item_quantity_below_one_is_refused_before_sending(
    oms: omsclient.AsyncClient, quantity: int
) -> None:
    # An order of no mugs (or of minus three) is a mistake of the caller's; sent, it would be
    # refused by the server at best, or make an order nobody can fulfil.
    create = respx.post(ORDERS).respond(json={"uid": "U"})
    update = respx.put(f"{ORDERS}/U").respond(json={"uid": "U"})
    items = [ITEM, {**ITEM, "ecommerce_order_item_id": "ITEM-2", "quantity": quantity}]
    with pytest.raises(
        errors.ValidationError,
        match=rf"rest.orders.create: items\[1\].quantity must be at least 1, got {quantity}$",
    ):
        await oms.rest.orders.create(ecommerce_order_id="O", items=items)
    with pytest.raises(
        errors.ValidationError,
        match=rf"rest.orders.update: items\[1\].quantity must be at least 1, got {quantity}$",
    ):
        await oms.rest.orders.update("U", items=items)
    model = OrderItem(
        ecommerce_order_item_id="I",
        ecommerce_variant_id="V",
        quantity=quantity,
        template_config="t",
        thumbnails=["https://cdn.test/t.png"],
    )
    with pytest.raises(errors.ValidationError, match=r"items\[0\].quantity must be at least 1"):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[model])
    assert (create.called, update.called) == (False, False)

    await oms.rest.orders.create(ecommerce_order_id="O", items=[{**ITEM, "quantity": 1}])
    assert create.called


# -- error bodies of other shapes ----------------------------------------------------------


@respx.mock
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            httpx.Response(400, json={"errors": ["The store id is invalid."]}),
            "The store id is invalid.",
        ),
        (
            httpx.Response(400, json={"error": {"message": "store_id is invalid", "code": 12}}),
            "store_id is invalid",
        ),
        (httpx.Response(400, json={"message": ["Bad store", "Bad items"]}), "Bad store; Bad items"),
        (httpx.Response(400, text="store_id is invalid"), "store_id is invalid"),
        # These said only "failed with HTTP 400".
        (
            httpx.Response(
                400, json={"type": "about:blank", "title": "Bad Request", "detail": "No store."}
            ),
            "No store.",
        ),
        (httpx.Response(400, json={"title": "Bad Request", "status": 400}), "Bad Request"),
        (
            httpx.Response(
                400, json={"errors": [{"status": "400", "title": "Invalid", "detail": "No store."}]}
            ),
            "No store.",
        ),
        (
            httpx.Response(400, json={"error": "invalid_token", "error_description": "Expired."}),
            "invalid_token; Expired.",
        ),
        (httpx.Response(400, json={"success": False, "msg": "No store."}), "No store."),
        (httpx.Response(400, json=["No store.", "No items."]), "No store.; No items."),
    ],
    ids=[
        "errors-list",
        "error-object",
        "message-list",
        "plain-text",
        "problem-details",
        "problem-title",
        "json-api",
        "oauth",
        "msg",
        "array",
    ],
)
async def test_the_servers_reason_is_in_the_message_whatever_its_shape(
    oms: omsclient.AsyncClient, answer: httpx.Response, reason: str
) -> None:
    respx.get(f"{ORDERS}/U1").mock(return_value=answer)
    with pytest.raises(errors.InvalidRequestError) as info:
        await oms.rest.orders.get("U1")
    assert str(info.value).endswith(f"failed with HTTP 400: {reason}")


@respx.mock
async def test_nested_field_errors_are_named_by_their_dotted_path(
    oms: omsclient.AsyncClient,
) -> None:
    body = {"message": "Invalid.", "errors": {"customer": {"email": ["Must be an email."]}}}
    respx.get(f"{ORDERS}/U1").respond(400, json=body)
    with pytest.raises(errors.InvalidRequestError) as info:
        await oms.rest.orders.get("U1")
    assert info.value.field_errors == {"customer.email": ["Must be an email."]}
    assert str(info.value).endswith("Invalid. (customer.email: Must be an email.)")


@pytest.mark.parametrize(
    ("errors_sent", "field_errors"),
    [
        (
            {"order_items": [None, {"uid": ["not found"]}, {"uid": ["already batched"]}]},
            {"order_items.1.uid": ["not found"], "order_items.2.uid": ["already batched"]},
        ),
        (
            {"order_items": [{"order_item": "I2", "message": "not found"}]},
            {"order_items": ["not found"]},
        ),
        # A field's own messages, as objects or nested lists, stay under its name.
        (
            {"email": [{"message": "is invalid", "code": "invalid"}], "qty": [["must be > 0"]]},
            {"email": ["is invalid"], "qty": ["must be > 0"]},
        ),
        ({"name": [None]}, {"name": []}),
        (
            {"items": [{"quantity": ["bad"]}, {"thumbnails": ["required"]}]},
            {"items.0.quantity": ["bad"], "items.1.thumbnails": ["required"]},
        ),
        ({"note": ["too long", "bad"], "email": None}, {"note": ["too long", "bad"]}),
        ({"note": [], "email": {}}, {"note": [], "email": []}),
        ({"status": 7}, {"status": ["7"]}),
    ],
    ids=[
        "null-and-objects",
        "message-objects",
        "own-message-objects",
        "null-message",
        "items",
        "messages",
        "empty",
        "number",
    ],
)
@respx.mock
async def test_field_errors_in_lists_are_named_by_their_index(
    oms: omsclient.AsyncClient,
    errors_sent: dict[str, object],
    field_errors: dict[str, list[str]],
) -> None:
    # Each entry went through str(): Python reprs for messages, "None" for an item with
    # nothing wrong, and the index saying which item failed was lost.
    respx.get(f"{ORDERS}/U1").respond(422, json={"message": "Invalid.", "errors": errors_sent})
    with pytest.raises(errors.InvalidRequestError) as info:
        await oms.rest.orders.get("U1")
    assert info.value.field_errors == field_errors
    assert "{" not in str(info.value)


# -- a deletion confirmed by an empty object -----------------------------------------------


@respx.mock
async def test_a_delete_answered_with_phps_empty_object_is_a_deletion(
    oms: omsclient.AsyncClient,
) -> None:
    # json_encode of an empty PHP array: the deletion is done, the confirmation empty.
    respx.delete(f"{ORDERS}/U1").respond(200, json=[])
    respx.delete(f"{VARIANTS}/9").respond(200, json={})
    order = await oms.rest.orders.delete("U1")
    assert (order.message, order.order_uid) == (None, "U1")
    # A 200 with no body at all confirms it as a 204 does.
    respx.delete(f"{ORDERS}/U2").respond(200)
    assert (await oms.rest.orders.delete("U2")).order_uid == "U2"
    variant = await oms.rest.variants.delete(9)
    assert (variant.message, variant.variant_id) == (None, 9)

    # A confirmation naming no id still says which one was deleted.
    respx.delete(f"{REST}/api/v1/products/3").respond(
        200, json={"message": "Product successfully deleted"}
    )
    product = await oms.rest.products.delete(3)
    assert (product.message, product.product_id) == ("Product successfully deleted", 3)


@pytest.mark.parametrize(
    "body",
    [
        {"success": False, "message": "Order cannot be deleted: it is in production"},
        {"success": False, "order_uid": "U1"},
        {"error": "Order is locked"},
        {"error": {"message": "Order is locked", "code": 7}},
        {"success": 0, "message": "Order cannot be deleted"},
        {"success": "false", "message": "Order cannot be deleted"},
        {"errors": ["Order is in production and cannot be deleted"]},
        {"errors": {"order_uid": ["Order is in production"]}},
        {"status": "error", "message": "Order cannot be deleted"},
        {"deleted": False},
        {"status": "fail", "data": {"order_uid": "in production"}},
        {"deleted": 0},
        {"deleted": "false"},
        {"Success": False},
        {"ok": False},
        {"status": False},
        {"result": "error"},
        {"status": "false", "message": "Order cannot be deleted"},
        {"result": "false"},
        {"status": 404, "message": "Order not found"},
        {"error": {"info": "Order U1 has shipped and cannot be deleted"}},
        {"errors": [{"info": "Order U1 not found"}]},
        {"message": "Order successfully deleted", "success": True, "deleted": False},
        # PHP's exceptions carry code 0 unless told otherwise: the message is the reason.
        {"error": {"code": 0, "message": "Order U1 is in production and cannot be deleted"}},
        {"error": {"code": "0", "message": "SQLSTATE[23000]: Integrity constraint violation"}},
        {"errors": [{"code": 0, "message": "Order U1 is in production"}]},
        {"success": True, "deleted": "false"},
        {"success": "true", "deleted": " FALSE "},
    ],
    ids=[
        "success-false",
        "success-false-with-id",
        "error-text",
        "error-object",
        "success-0",
        "success-false-text",
        "errors-list",
        "errors-object",
        "status-error",
        "deleted-false",
        "status-fail",
        "deleted-0",
        "deleted-false-text",
        "Success-false",
        "ok-false",
        "status-false",
        "result-error",
        "status-false-text",
        "result-false-text",
        "status-404",
        "error-info",
        "errors-info",
        "success-true-deleted-false",
        "error-code-0-message",
        "error-code-0-text-message",
        "errors-list-code-0-message",
        "success-true-deleted-false-text",
        "success-true-text-deleted-false-text",
    ],
)
@respx.mock
async def test_a_delete_answered_2xx_saying_it_failed_is_a_decode_error(
    oms: omsclient.AsyncClient, body: dict[str, object]
) -> None:
    # Taken for a confirmation, the order still in the shop read as deleted.
    respx.delete(f"{ORDERS}/U1").respond(200, json=body)
    with pytest.raises(errors.DecodeError) as caught:
        await oms.rest.orders.delete("U1")
    assert "a delete's answer saying it failed" in str(caught.value)
    assert orjson.loads(caught.value.snippet) == body


@respx.mock
async def test_a_delete_whose_confirmation_says_success_true_or_no_error_is_a_deletion(
    oms: omsclient.AsyncClient,
) -> None:
    respx.delete(f"{ORDERS}/U1").respond(200, json={"success": True, "error": None})
    deletion = await oms.rest.orders.delete("U1")
    assert deletion.order_uid == "U1"
    assert deletion.extra == {"success": True, "error": None}
    confirmations: list[dict[str, object]] = [
        {"success": 1, "errors": []},
        {"success": "true", "status": "deleted"},
        {"deleted": True, "status": "ok"},
        {"success": "1", "error": "0"},
        {"success": True, "error": "false"},
        {"status": "deleted", "errors": "0"},
        {"success": 1, "error": {"code": 0, "message": "OK"}},
        {"errors": None, "deleted": 1},
        {"success": True, "error": {"code": None, "message": None}},
        {"success": True, "error": "none"},
        {"status": "ok", "error": " "},
        {"errors": {"order_uid": []}},
        {"errors": [None]},
        {"deleted": True, "error": {"message": ""}},
        {"status": "success", "error": {"code": 200, "message": "OK"}},
        {"status": "success", "error": "No error"},
        {"status": 200, "error": None},
        {"message": "Order successfully deleted", "success": True, "deleted": 0},
        {"status": "success", "deleted": "0"},
        {"message": "Order successfully deleted", "errors": {"warnings": ["not restocked"]}},
        {"message": "Order successfully deleted", "errors": [{"warning": "not restocked"}]},
        {"error": {"code": 0, "message": "OK"}},
        {"error": {"code": 200, "message": "Order successfully deleted"}},
        {"status": 200, "error": {"code": "200", "message": "Deleted"}},
        {"errors": {"code": 0, "message": "Success"}},
        {"error": {"code": 0, "message": "No errors"}},
        {"status": "success", "deleted": " 0 "},
    ]
    for body in confirmations:
        respx.delete(f"{ORDERS}/U1").respond(200, json=body)
        deletion = await oms.rest.orders.delete("U1")
        assert deletion.extra == {k: v for k, v in body.items() if k != "message"}


@respx.mock
async def test_a_write_that_may_have_applied_says_so_in_its_message(
    oms: omsclient.AsyncClient,
) -> None:
    # maybe_applied was only an attribute: a log of the message showed no sign that the
    # create must be looked up before it is sent again.
    respx.post(ORDERS).mock(side_effect=httpx.ReadError("connection dropped"))
    with pytest.raises(errors.TransportError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="E1", items=[ITEM])
    assert caught.value.maybe_applied is True
    assert str(caught.value).endswith(
        "; the server may have applied it: look before sending it again"
    )
    # A read says nothing of the kind, nor a write the server certainly refused.
    respx.get(f"{ORDERS}/U1").mock(side_effect=httpx.ReadError("connection dropped"))
    with pytest.raises(errors.TransportError) as read:
        await oms.with_options(max_retries=0).rest.orders.get("U1")
    assert "may have applied" not in str(read.value)
    # An update is retried like a read, yet it changes the order all the same.
    respx.put(f"{ORDERS}/U1").mock(side_effect=httpx.ReadError("connection dropped"))
    with pytest.raises(errors.TransportError) as update:
        await oms.with_options(max_retries=0).rest.orders.update("U1", note="x")
    assert str(update.value).endswith(
        "; the server may have applied it: look before sending it again"
    )
    respx.put(f"{ORDERS}/U1").mock(return_value=httpx.Response(422, json={"message": "no"}))
    with pytest.raises(errors.InvalidRequestError) as refused:
        await oms.rest.orders.update("U1", note="x")
    assert "may have applied" not in str(refused.value)


@respx.mock
async def test_the_may_have_applied_words_come_once_whatever_the_server_says(
    oms: omsclient.AsyncClient,
) -> None:
    # The server's own "may have" kept the words out; a delete said it twice, two ways.
    respx.post(ORDERS).mock(
        return_value=httpx.Response(500, json={"message": "The order may have been locked"})
    )
    with pytest.raises(errors.ServerError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="E1", items=[ITEM])
    assert str(caught.value).endswith(
        "; the server may have applied it: look before sending it again"
    )
    respx.delete(f"{ORDERS}/abc").mock(
        side_effect=[httpx.Response(502), httpx.Response(404, json={"message": "Not found"})]
    )
    with pytest.raises(errors.NotFoundError) as deleted:
        await oms.with_options(retry=FAST_RETRY).rest.orders.delete("abc")
    assert str(deleted.value).endswith(
        "an earlier attempt may have deleted it (its answer was lost, 2 attempts)"
    )
    assert "look before sending it again" not in str(deleted.value)


# -- answers wrapped in an envelope --------------------------------------------------------

MADE = {"uid": "OU", "ecommerce_order_id": "O"}


@pytest.mark.parametrize(
    "body",
    [
        {"success": True, "message": "Order created", "data": MADE},
        {"status": "success", "data": MADE},  # JSend's
        {"Success": "true", "Message": "ok", "data": MADE, "meta": {}},
        {"data": MADE, "links": {}},
    ],
)
@respx.mock
async def test_a_create_answered_in_an_envelope_is_read_from_its_data(
    oms: omsclient.AsyncClient, body: dict[str, Any]
) -> None:
    # Only "data", "links" and "meta" were taken for an envelope: a create that worked,
    # answered in the envelope of a Laravel controller, raised "naming nothing it made".
    respx.post(ORDERS).respond(json=body)
    made = await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert made.uid == "OU"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            {"success": False, "message": "Order is locked", "data": MADE},
            "an answer saying it failed (Order is locked)",
        ),
        # It said "naming nothing it made (no uid)", the reason left out.
        ({"success": False, "message": "Order is locked"}, "saying it failed (Order is locked)"),
        # JSend's failures; it said "naming nothing it made", the reason left out.
        ({"status": "fail", "data": {"title": "required"}}, "an answer saying it failed"),
        ({"status": "error", "message": "Order is locked"}, "saying it failed (Order is locked)"),
        ({"success": False, "errors": ["Order is locked"]}, "saying it failed (Order is locked)"),
    ],
)
@respx.mock
async def test_an_envelope_saying_the_create_failed_is_not_unwrapped(
    oms: omsclient.AsyncClient, body: dict[str, Any], problem: str
) -> None:
    respx.post(ORDERS).respond(json=body)
    with pytest.raises(errors.DecodeError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert problem in str(caught.value)
    assert caught.value.maybe_applied is True


@respx.mock
async def test_an_order_whose_items_php_wrote_as_an_object_is_read(
    oms: omsclient.AsyncClient,
) -> None:
    # {"items": {"0": ..., "2": ...}} (an item filtered out on the server): it was a
    # DecodeError, the order unreadable.
    item = {**ITEM, "uid": "IU"}
    items = {"0": item, "2": {**item, "ecommerce_order_item_id": "I3"}}
    respx.get(f"{ORDERS}/U1").respond(json={"uid": "U1", "items": items, "addresses": {}})
    order = await oms.rest.orders.get("U1")
    assert [i.ecommerce_order_item_id for i in order.items] == ["DEL-1-1", "I3"]
    assert order.addresses == []


@respx.mock
async def test_a_delete_answered_in_an_envelope_keeps_its_message(
    oms: omsclient.AsyncClient,
) -> None:
    # The envelope's message was dropped with it.
    body = {"success": True, "message": "Order successfully deleted", "data": {"order_uid": "U"}}
    respx.delete(f"{ORDERS}/U").respond(json=body)
    respx.delete(f"{ORDERS}/V").respond(json={"success": True, "message": "Gone", "data": {}})
    deleted = await oms.rest.orders.delete("U")
    assert (deleted.order_uid, deleted.message) == ("U", "Order successfully deleted")
    assert (await oms.rest.orders.delete("V")).message == "Gone"


@respx.mock
@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {
                "errors": [
                    {"source": {"pointer": "/data/attributes/name"}, "detail": "is too short."},
                    {"source": {"pointer": "/data/attributes/items/0/qty"}, "detail": "is 0."},
                ]
            },
            {"name": ["is too short."], "items.0.qty": ["is 0."]},
        ),
        (
            {"detail": [{"loc": ["body", "name"], "msg": "field required", "type": "missing"}]},
            {"name": ["field required"]},
        ),
        # A loc holding what is no name nor index names no field ("None.{'a': 1}" did).
        (
            {
                "detail": [
                    {"loc": ["body", "name"], "msg": "field required"},
                    {"loc": ["body", None, {"a": 1}, True], "msg": "bad value"},
                ]
            },
            {"name": ["field required"]},
        ),
    ],
    ids=["json-api", "fastapi", "fastapi-odd-loc"],
)
async def test_listed_errors_name_their_fields_as_json_api_and_fastapi_do(
    oms: omsclient.AsyncClient, body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    # The reasons were quoted without their fields, and field_errors stayed empty.
    respx.put(f"{ORDERS}/U1").respond(422, json=body)
    with pytest.raises(errors.InvalidRequestError) as info:
        await oms.rest.orders.update("U1", note="n")
    assert info.value.field_errors == fields
    first, reason = next(iter(fields.items()))
    assert f"({first}: {reason[0]}" in str(info.value)


# -- an order's answer about another order -------------------------------------------------


@pytest.mark.parametrize(
    ("call", "route", "answer", "named"),
    [
        (
            "get",
            ("GET", "AAAA-MINE"),
            {"uid": "BBBB-OTHER"},
            "uid 'BBBB-OTHER', not uid 'AAAA-MINE'",
        ),
        ("update", ("PUT", "AAAA-MINE"), {"uid": "BBBB-OTHER"}, "uid 'BBBB-OTHER', not"),
        # A UID of digits is still a UID: an order has no id to compare it with instead.
        ("get", ("GET", "10001"), {"uid": "10002"}, "uid '10002', not uid '10001'"),
        ("delete", ("DELETE", "AAAA-MINE"), {"order_uid": "BBBB-OTHER"}, "order_uid 'BBBB-OTHER'"),
        # An order has UIDs alone: one of digits confirmed by another is another order.
        ("delete", ("DELETE", "20240001"), {"order_uid": "OU-777"}, "order_uid 'OU-777'"),
        ("delete", ("DELETE", "OU-1"), {"order_uid": "20249999"}, "order_uid '20249999'"),
        (
            "create",
            ("POST", ""),
            {"uid": "OU", "ecommerce_order_id": "ORD-OTHER"},
            "ecommerce_order_id 'ORD-OTHER', not ecommerce_order_id 'ORD-MINE'",
        ),
    ],
)
@respx.mock
async def test_an_order_call_answered_about_another_order_is_refused(
    oms: omsclient.AsyncClient,
    call: str,
    route: tuple[str, str],
    answer: dict[str, Any],
    named: str,
) -> None:
    # Each handed back the other order as the one asked for: an update read as applied to
    # it, a create's UID kept named someone else's order.
    method, uid = route
    respx.route(method=method, url=f"{ORDERS}/{uid}".rstrip("/")).respond(json=answer)
    orders = oms.rest.orders
    with pytest.raises(errors.DecodeError, match="an answer about") as info:
        if call == "create":
            await orders.create(ecommerce_order_id="ORD-MINE", items=[ITEM])
        elif call == "update":
            await orders.update(uid, note="mine")
        else:
            await getattr(orders, call)(uid)
    assert named in str(info.value)
    assert info.value.maybe_applied is True


@respx.mock
async def test_an_order_named_as_asked_or_not_at_all_is_taken(
    oms: omsclient.AsyncClient,
) -> None:
    # An int asked, its text answered (a UID "0010001" is another order's: compared as text).
    respx.get(f"{ORDERS}/10001").respond(json={"uid": "10001"})
    respx.put(f"{ORDERS}/abc-1").respond(json={"uid": "ABC-1", "note": "mine"})
    respx.delete(f"{ORDERS}/U").respond(json={"message": "Deleted", "category_id": 3})
    respx.post(ORDERS).respond(json={"uid": "OU", "ecommerce_order_id": 42})
    assert (await oms.rest.orders.get(10001)).uid == "10001"
    assert (await oms.rest.orders.update("abc-1", note="mine")).note == "mine"
    # Named by a field of another kind: nothing says it is another order.
    assert (await oms.rest.orders.delete("U")).message == "Deleted"
    made = await oms.rest.orders.create(ecommerce_order_id="42", items=[ITEM])
    assert made.uid == "OU"
    respx.post(ORDERS).respond(json={"uid": "OV"})  # no ecommerce_order_id in the answer
    assert (await oms.rest.orders.create(ecommerce_order_id="43", items=[ITEM])).uid == "OV"


@respx.mock
@pytest.mark.parametrize(("sent", "answered"), [("0042", "42"), ("42", "0042"), ("ord-1", "ORD-1")])
async def test_a_create_answered_about_another_shop_order_id_is_refused(
    oms: omsclient.AsyncClient, sent: str, answered: str
) -> None:
    # The shop's own id, text the server stores as sent: read as a number or in either case,
    # another order's answer was taken and its UID kept.
    respx.post(ORDERS).respond(json={"uid": "OU", "ecommerce_order_id": answered})
    with pytest.raises(errors.DecodeError, match="an answer about ecommerce_order_id") as info:
        await oms.rest.orders.create(ecommerce_order_id=sent, items=[ITEM])
    assert info.value.maybe_applied is True


@respx.mock
async def test_a_catalog_delete_answered_about_another_object_is_refused(
    oms: omsclient.AsyncClient,
) -> None:
    respx.delete(f"{PRODUCTS}/3").respond(json={"message": "Deleted", "product_id": 9})
    respx.delete(f"{PRODUCTS}/4").respond(json={"message": "Deleted", "product_id": "04"})
    with pytest.raises(errors.DecodeError, match="about product_id 9, not product_id 3"):
        await oms.rest.products.delete(3)
    assert (await oms.rest.products.delete("4")).product_id == "04"


# -- an answer naming tens of thousands of fields ------------------------------------------

_MANY_FIELDS = """
import anyio, httpx, respx, omsclient
from omsclient import errors

N = 20_000
SHAPES = [
    {"errors": {f"items.{i}.quantity": ["at least 1"] for i in range(N)}},
    {"errors": {"items": [{"quantity": ["at least 1"]} for _ in range(N)]}},
    {"errors": {f"field_{i}": [] for i in range(N)}},
]

async def main() -> None:
    async with omsclient.AsyncClient(
        rest_url="https://oms.test", api_token="t", store_id="1", max_retries=0
    ) as oms:
        for body in SHAPES:
            with respx.mock:
                respx.put(url__regex=r".*/orders/U1").respond(422, json=body)
                try:
                    await oms.rest.orders.update("U1", note="x")
                except errors.InvalidRequestError as exc:
                    assert len(exc.field_errors) == N, len(exc.field_errors)
                    print(sorted(exc.field_errors)[0], exc.field_errors[sorted(exc.field_errors)[0]])

anyio.run(main)
"""


def test_an_answer_naming_tens_of_thousands_of_fields_is_read_at_once() -> None:
    # Each list of messages was checked against every field read before it: 20,000 fields
    # (a large batch refused, or a hostile server) held the event loop for 26 s, 50,000 for
    # minutes, past any deadline, which does not cover reading an answer. (Read once now,
    # 20,000 fields of each shape take a few seconds, redacting their text.)
    done = subprocess.run(
        [sys.executable, "-c", _MANY_FIELDS], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "items.0.quantity ['at least 1']",
        "items.0.quantity ['at least 1']",
        "field_0 []",
    ]


@respx.mock
async def test_a_category_deleted_by_uid_and_confirmed_by_id_is_taken(
    oms: omsclient.AsyncClient,
) -> None:
    # The spec's own confirmation names the category by id ({"category_id": 1}) for a path
    # holding its UID: it was a DecodeError saying the delete may have applied.
    categories = f"{REST}/api/v1/product-categories"
    respx.delete(f"{categories}/{UUID}").respond(
        json={"message": "Category deleted", "category_id": 1}
    )
    respx.delete(f"{categories}/u3").respond(json={"message": "Deleted", "category_id": "u9"})
    assert (await oms.rest.categories.delete(UUID)).category_id == 1
    with pytest.raises(errors.DecodeError, match="about category_id 'u9', not category_id 'u3'"):
        await oms.rest.categories.delete("u3")


OTHER_UUID = "3bb75d9c-1f0e-4c7a-9d55-0c2f1a9e87ac"


@pytest.mark.parametrize("call", ["get", "update"])
@respx.mock
async def test_a_category_asked_by_uid_and_answered_about_another_uid_in_its_id_is_refused(
    oms: omsclient.AsyncClient, call: str
) -> None:
    # Taken: a UID asked was compared with the answer's uid alone, and a server putting its
    # UIDs in id had another category read as the one asked (an update read as applied).
    categories = f"{REST}/api/v1/product-categories"
    answer = {"id": OTHER_UUID, "name": "Other"}
    respx.route(url=f"{categories}/{UUID}").respond(json=answer)
    with pytest.raises(errors.DecodeError, match=f"about id '{OTHER_UUID}', not"):
        if call == "get":
            await oms.rest.categories.get(UUID)
        else:
            await oms.rest.categories.update(UUID, name="New")


@respx.mock
async def test_an_order_deleted_by_an_int_uid_is_confirmed_with_its_text(
    oms: omsclient.AsyncClient,
) -> None:
    # Deletion.order_uid, typed str, held the int asked when the answer was empty.
    respx.delete(f"{ORDERS}/12345").respond(204)
    assert (await oms.rest.orders.delete(12345)).order_uid == "12345"


@respx.mock
async def test_a_category_asked_by_uid_and_answered_with_its_id_or_uid_in_id_is_taken(
    oms: omsclient.AsyncClient,
) -> None:
    categories = f"{REST}/api/v1/product-categories"
    respx.get(f"{categories}/{UUID}").respond(json={"id": 7, "name": "Mine"})
    assert (await oms.rest.categories.get(UUID)).id == 7
    respx.get(f"{categories}/{UUID}").respond(json={"id": UUID.upper(), "name": "Mine"})
    assert (await oms.rest.categories.get(UUID)).name == "Mine"


# -- valid JSON that only the standard library reads, and a Location that makes no URL -------

_DIGITS_5000 = "1" + "0" * 5000  # past Python's 4,300 digits read from text, and a double's


@respx.mock
async def test_an_integer_of_5000_digits_reads_as_1e400_does(oms: omsclient.AsyncClient) -> None:
    # Valid JSON that orjson refuses and the standard library would not read as an int: taken
    # for JSON cut short, a get was sent four times and a 422 lost its field errors.
    route = respx.get(f"{ORDERS}/U1").respond(
        content=b'{"uid":"U1","total_price":%s}' % _DIGITS_5000.encode(),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(errors.DecodeError, match="expected a finite number, got inf") as info:
        await oms.rest.orders.get("U1")
    assert (info.value.transient, route.call_count) == (False, 1)
    route.respond(
        422,
        content=b'{"message":"bad","errors":{"quantity":["too big"]},"max":%s}'
        % _DIGITS_5000.encode(),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(errors.InvalidRequestError) as refused:
        await oms.rest.orders.get("U1")
    assert refused.value.field_errors == {"quantity": ["too big"]}


@pytest.mark.parametrize("location", ["javascript:alert(1)", "data:text/plain,hi", "http://[::1"])
@respx.mock
async def test_a_redirect_to_a_location_that_makes_no_url_is_an_oms_error(
    oms: omsclient.AsyncClient, location: str
) -> None:
    # httpx makes the request a redirect points to, followed or not: from javascript: or data:
    # it raised a bare httpx.InvalidURL, which `except OmsError` let through after a create
    # the server may have carried out.
    route = respx.post(ORDERS).respond(302, headers={"location": location})
    with pytest.raises(errors.TransportError, match="Invalid URL in location header") as info:
        await oms.rest.orders.create(ecommerce_order_id="O-1", items=[ITEM], store_id=1)
    assert info.value.maybe_applied is True
    assert route.call_count == 1


@respx.mock
async def test_an_answer_holding_a_data_object_beside_its_own_keys_is_not_unwrapped(
    oms: omsclient.AsyncClient,
) -> None:
    # docs/rest.md: an envelope holds, beside its data, "nothing but links, meta, a success
    # or ok flag, a status saying success and a message". An order whose own keys include
    # an undocumented "data" object is the order, not an envelope around "data".
    body = {**MADE, "note": "n", "data": {"source": "shop", "ecommerce_order_id": "X"}}
    respx.post(ORDERS).respond(json=body)
    made = await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert made.uid == "OU"
    assert made.extra["data"] == body["data"]


@pytest.mark.parametrize("status", ["pending", "queued", 202])
@respx.mock
async def test_an_envelope_whose_status_is_no_word_for_success_is_not_unwrapped(
    oms: omsclient.AsyncClient, status: Any
) -> None:
    # Only a status saying "success" (or "ok", "done") makes an envelope of the answer: any
    # other is read whole, and names no order made.
    respx.post(ORDERS).respond(json={"status": status, "data": MADE})
    with pytest.raises(errors.DecodeError, match="naming nothing it made"):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
