"""REST answers the spec does not show, and what a retried write reports (respx, sandbox)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.sandbox import SandboxConfig, serve

from .conftest import FAST_RETRY, REST

ORDERS = f"{REST}/api/v1/orders"
VARIANTS = f"{REST}/api/v1/product-variants"
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
