"""Text a server writes into its errors reaches messages and logs on one line, cut short, with
no control characters; the error's attributes keep it whole."""

from __future__ import annotations

import httpx
import pytest
import respx

import omsclient
from omsclient import errors
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


@pytest.mark.parametrize("value", [b'"cut \\ud83d"', b"1e400"], ids=["lone surrogate", "1e400"])
@pytest.mark.parametrize(
    ("status", "error"), [(422, errors.InvalidRequestError), (404, errors.NotFoundError)]
)
async def test_a_rest_error_holding_what_orjson_refuses_keeps_its_reasons(
    oms: omsclient.AsyncClient, value: bytes, status: int, error: type[errors.ApiError]
) -> None:
    # Valid JSON orjson refuses: the body was kept as its snippet, its field errors lost; a
    # 404 was no answer of the API's at all ("check rest_url"), not a NotFoundError.
    body = b'{"message":"The given data was invalid.","errors":{"name":["bad"]},"sent":%b}' % value
    with respx.mock:
        respx.get(f"{REST}/api/v1/orders/U1").mock(
            return_value=httpx.Response(
                status, content=body, headers={"content-type": "application/json"}
            )
        )
        with pytest.raises(errors.ApiError) as caught:
            await oms.rest.orders.get("U1")
    assert type(caught.value) is error
    assert caught.value.field_errors == {"name": ["bad"]}
    assert caught.value.body["message"] == "The given data was invalid."
    assert str(caught.value).endswith("The given data was invalid. (name: bad)")


async def test_a_lone_surrogate_of_the_servers_text_is_escaped_in_messages_alone(
    oms: omsclient.AsyncClient,
) -> None:
    # The message held the character itself: print(error) failed with UnicodeEncodeError.
    body = b'{"message":"bad name \\ud83d","errors":{"name":["cut \\ud83d"]}}'
    with respx.mock:
        respx.get(f"{REST}/api/v1/orders/U1").mock(return_value=httpx.Response(422, content=body))
        respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(
            return_value=httpx.Response(
                200,
                content=b'{"response_status":{"code":50005,"severity":"ERROR",'
                b'"description":"cut \\ud83d"}}',
            )
        )
        with pytest.raises(errors.ApiError) as rest:
            await oms.rest.orders.get("U1")
        with pytest.raises(errors.ApiError) as legacy:
            await oms.legacy.orders.search(SINCE)
    assert str(rest.value).endswith("422: bad name \\ud83d (name: cut \\ud83d)")
    assert str(legacy.value).endswith("50005: cut \\ud83d")
    # The attributes keep what the server sent.
    assert rest.value.field_errors == {"name": ["cut \ud83d"]}
    assert legacy.value.description == "cut \ud83d"


async def test_characters_a_reader_cannot_see_are_escaped_in_messages_alone(
    oms: omsclient.AsyncClient,
) -> None:
    # A right-to-left override shows "exe.txt" as "txt.exe" in a log line or a terminal, a
    # zero-width space hides; the joiners emoji are written with are kept.
    text = "see \u202eexe.txt\u200b done \U0001f469\u200d\U0001f4bb"
    with respx.mock:
        respx.get(f"{REST}/api/v1/orders/U1").mock(
            return_value=httpx.Response(400, json={"message": text})
        )
        with pytest.raises(errors.ApiError) as caught:
            await oms.rest.orders.get("U1")
    assert str(caught.value).endswith(
        "400: see \\u202eexe.txt\\u200b done \U0001f469\u200d\U0001f4bb"
    )
    assert caught.value.body == {"message": text}  # kept whole


DEEP = b"[" * 950 + b'"no"' + b"]" * 950  # read by orjson, past Python's stack for str()


@pytest.mark.parametrize(
    ("status", "error", "code", "said"),
    [
        # 1e400 is an infinity once read, which int() refuses with an OverflowError; it was
        # then quoted as JSON writes an infinity: "ERROR null".
        (
            b'{"code":1e400,"severity":"ERROR","description":"x"}',
            errors.UnknownStatusError,
            None,
            "ERROR 1E+400: x",
        ),
        (b'{"code":1e400,"severity":"SUCCESS"}', errors.UnknownStatusError, None, None),
        (b'{"code":-1e400}', errors.UnknownStatusError, None, "ERROR -1E+400: no known code"),
        (b"1e400", errors.UnknownStatusError, None, "ERROR 1E+400: no known code"),
        (
            b'{"code":50005,"severity":"ERROR","description":%b}' % DEEP,
            errors.InvalidParametersError,
            50005,
            None,
        ),
        (b'{"code":50005,"severity":%b}' % DEEP, errors.InvalidParametersError, 50005, None),
    ],
    ids=[
        "1e400 code",
        "1e400 code of a success",
        "-1e400 code",
        "1e400 status",
        "deep description",
        "deep severity",
    ],
)
async def test_a_legacy_status_holding_odd_values_raises_its_error(
    oms: omsclient.AsyncClient,
    status: bytes,
    error: type[errors.ApiError],
    code: int | None,
    said: str | None,
) -> None:
    # Each was a bare OverflowError or RecursionError, out of every legacy call.
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(
            return_value=httpx.Response(200, content=b'{"response_status":%b}' % status)
        )
        with pytest.raises(errors.ApiError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert type(caught.value) is error
    assert caught.value.code == code
    clean(str(caught.value))
    if said is not None:
        assert str(caught.value) == f"legacy.orders.search: {said}"


async def test_a_deep_severity_beside_the_success_code_is_a_success(
    oms: omsclient.AsyncClient,
) -> None:
    status = b'{"code":10001,"severity":%b}' % DEEP
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(
            return_value=httpx.Response(
                200, content=b'{"response_status":%b,"total":0,"orders":[]}' % status
            )
        )
        page = await oms.legacy.orders.search(SINCE)
    assert (page.total, page.items) == (0, [])
