"""Text a server writes into its errors reaches messages and logs on one line, cut short, with
no control characters; the error's attributes keep it whole."""

from __future__ import annotations

import httpx
import pytest
import respx

import omsclient
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEGACY, REST, legacy_error

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")
# A line break that forges a log line, then escape sequences that repaint a terminal and ring it.
FORGED = "bad\r\n2026-01-01 00:00:00 CRITICAL omsclient: fake line\x1b[31mRED\x1b[0m\x07"
LONG = "x" * 20_000


def clean(message: str) -> None:
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in message), repr(message)
    assert len(message) < 1_000


@pytest.mark.parametrize("text", [FORGED, LONG])
async def test_a_rest_error_message_quotes_the_servers_text_on_one_line(
    oms: omsclient.AsyncClient, text: str
) -> None:
    with respx.mock:
        respx.get(f"{REST}/api/v1/orders/U1").mock(
            return_value=httpx.Response(400, json={"message": text, "errors": {"note": [text]}})
        )
        with pytest.raises(omsclient.InvalidRequestError) as caught:
            await oms.rest.orders.get("U1")
    clean(str(caught.value))
    assert "fake line" in str(caught.value) or "characters)" in str(caught.value)
    assert caught.value.body == {"message": text, "errors": {"note": [text]}}  # kept whole
    assert caught.value.field_errors == {"note": [text]}


@pytest.mark.parametrize("text", [FORGED, LONG])
async def test_a_legacy_error_message_quotes_the_description_on_one_line(
    oms: omsclient.AsyncClient, text: str
) -> None:
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(
            return_value=httpx.Response(200, json=legacy_error(50005, text))
        )
        with pytest.raises(omsclient.ApiError) as caught:
            await oms.legacy.orders.search(SINCE)
    clean(str(caught.value))
    assert caught.value.description == text.strip()  # kept whole
