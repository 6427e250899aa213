"""Header options are checked when they are given: a ConfigurationError before anything is
sent, never a UnicodeEncodeError or a TransportError on the first call."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEGACY, ok

FIND = f"{LEGACY}/api/json/manage_orders/find"
SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")

BAD_HEADERS = [
    ({"X-Note": "a\r\nB: 1"}, "no line breaks"),
    ({"X-Note": "line\nbreak"}, "no line breaks"),
    ({"X-Note": "caf\u00e9"}, "printable ASCII"),
    ({"X-Note": "nul\x00"}, "printable ASCII"),
    ({"X Note": "v"}, "is not a header name"),
    ({"X-Note:": "v"}, "is not a header name"),
    ({"": "v"}, "is not a header name"),
    ({"X-\u00e9": "v"}, "is not a header name"),
    ({"X-Tenant": "north "}, "must not begin or end with a space or tab"),
    ({"X-Tenant": "\tnorth"}, "must not begin or end with a space or tab"),
    # Each would break every request: h11's "Too much data", framing sent two ways, another
    # host.
    ({"Content-Length": "5"}, r"\['Content-Length'\] cannot be a default: it frames each"),
    ({"transfer-encoding": "chunked"}, "cannot be a default: it frames each request's body"),
    ({"Host": "evil.example"}, "cannot be a default: it is the URL's"),
]


@pytest.fixture
def mocked() -> Iterator[respx.Route]:
    with respx.mock:
        yield respx.post(FIND).mock(return_value=httpx.Response(200, json=ok(total=0, orders=[])))


@pytest.mark.parametrize(("headers", "message"), BAD_HEADERS)
def test_bad_default_headers_are_refused_by_the_client(
    client_kwargs: dict[str, object], headers: dict[str, str], message: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=message):
        omsclient.AsyncClient(**client_kwargs, default_headers=headers)  # type: ignore[arg-type]


@pytest.mark.parametrize(("headers", "message"), BAD_HEADERS)
async def test_bad_default_headers_are_refused_by_with_options(
    client_kwargs: dict[str, object],
    mocked: respx.Route,
    headers: dict[str, str],
    message: str,
) -> None:
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        with pytest.raises(errors.ConfigurationError, match=message):
            oms.with_options(default_headers=headers)
        await oms.legacy.orders.search(SINCE)  # the client itself is unharmed
    assert mocked.call_count == 1


@pytest.mark.parametrize("name", ["Content-Length", "transfer-encoding", "Host"])
def test_a_framing_or_host_header_on_the_callers_http_client_is_refused(
    client_kwargs: dict[str, object], name: str
) -> None:
    # The same break as a default: h11's LocalProtocolError at every request (no OmsError), or
    # every request sent to another host.
    mine = httpx.AsyncClient(headers={name: "5"})
    with pytest.raises(errors.ConfigurationError, match=rf"http_client's headers\['{name}'\]"):
        omsclient.AsyncClient(**client_kwargs, http_client=mine)  # type: ignore[arg-type]


def test_bad_default_headers_are_refused_by_the_blocking_client(
    client_kwargs: dict[str, object],
) -> None:
    with pytest.raises(errors.ConfigurationError, match="no line breaks"):
        omsclient.Client(**client_kwargs, default_headers={"X": "a\r\nB: 1"})  # type: ignore[arg-type]
    with (
        omsclient.Client(**client_kwargs) as oms,  # type: ignore[arg-type]
        pytest.raises(errors.ConfigurationError, match="is not a header name"),
    ):
        oms.with_options(default_headers={"Bad Name": "v"})


@pytest.mark.parametrize("app_name", ["caf\u00e9/1.0", "app\r\nX-Evil: 1", "tab\x7f"])
def test_a_bad_app_name_is_refused(client_kwargs: dict[str, object], app_name: str) -> None:
    with pytest.raises(errors.ConfigurationError, match="app_name"):
        omsclient.AsyncClient(**client_kwargs, app_name=app_name)  # type: ignore[arg-type]


async def test_headers_with_every_allowed_character_are_sent(
    client_kwargs: dict[str, object], mocked: respx.Route
) -> None:
    name = "X-!#$%&'*+.^_`|~09az"
    value = 'a value\twith (punctuation): "quoted" ~!'
    async with omsclient.AsyncClient(
        **client_kwargs,  # type: ignore[arg-type]
        default_headers={name: value},
        app_name="shipping-sync/2.1 (+https://x.test)",
    ) as oms:
        await oms.legacy.orders.search(SINCE)
    sent = mocked.calls[0].request.headers
    assert sent[name] == value
    assert sent["user-agent"] == "omsclient/0.1 shipping-sync/2.1 (+https://x.test)"


def test_a_token_with_a_stray_space_from_the_environment_is_refused_when_the_client_is_made(
    client_kwargs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_API_TOKEN", "tok-secret ")
    with pytest.raises(errors.ConfigurationError, match="OMS_API_TOKEN") as caught:
        omsclient.AsyncClient(**{**client_kwargs, "api_token": None})  # type: ignore[arg-type]
    assert "tok-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        # What httpx takes as headers, but not default_headers: the value is a gateway's key.
        ([("X-Api-Key", "gw-secret-123")], "must be a mapping, got list"),
        ({"X-Api-Key": b"gw-secret-123"}, r"\['X-Api-Key'\] must be a str, got bytes"),
        ({b"X-Api-Key": "gw-secret-123"}, "names must be str, got bytes"),
    ],
)
def test_a_header_of_the_wrong_type_is_refused_without_its_value(
    client_kwargs: dict[str, object], headers: object, message: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=message) as caught:
        omsclient.AsyncClient(**client_kwargs, default_headers=headers)  # type: ignore[arg-type]
    assert "gw-secret" not in str(caught.value)
