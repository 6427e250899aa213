"""Headers: ours, the caller's defaults per client and per call, the app name, their client's."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
import respx

import omsclient
from omsclient import _redact
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEGACY, REST, ok

FIND = f"{LEGACY}/api/json/manage_orders/find"
COND = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2020, 1, 1))
EMPTY = ok(orders=[], total=0)


@respx.mock
async def test_default_headers_and_the_app_name_reach_the_server(
    client_kwargs: dict[str, object],
) -> None:
    route = respx.post(FIND).mock(return_value=httpx.Response(200, json=EMPTY))
    rest = respx.get(f"{REST}/api/v1/orders/7").mock(
        return_value=httpx.Response(200, json={"uid": "7"})
    )
    async with omsclient.AsyncClient(
        **client_kwargs,  # type: ignore[arg-type]
        default_headers={"X-Tenant": "north", "Authorization": "not ours"},
        app_name="shipping-sync/2.1",
    ) as oms:
        await oms.legacy.orders.search(COND)
        call = oms.with_options(
            default_headers={"X-Request-Id": "r-1", "X-Tenant": "south", "User-Agent": "nightly/3"}
        )
        await call.legacy.orders.search(COND)
        await call.rest.orders.get(7)
        await oms.legacy.orders.search(COND)
    first, per_call, after = (c.request.headers for c in route.calls)
    assert first["x-tenant"] == "north"
    assert first["user-agent"] == "omsclient/0.1 shipping-sync/2.1"
    assert first["accept"] == "application/json"
    assert "x-request-id" not in first
    assert per_call["x-request-id"] == "r-1"
    assert per_call["x-tenant"] == "south"
    assert per_call["user-agent"] == "nightly/3 omsclient/0.1 shipping-sync/2.1"
    assert "x-request-id" not in after
    # Our bearer token wins over a default Authorization header.
    assert rest.calls[0].request.headers["authorization"] == f"Bearer {client_kwargs['api_token']}"
    assert rest.calls[0].request.headers["x-request-id"] == "r-1"


@respx.mock
async def test_their_own_http_client_keeps_its_headers_and_user_agent(
    client_kwargs: dict[str, object],
) -> None:
    route = respx.post(FIND).mock(return_value=httpx.Response(200, json=EMPTY))
    http = httpx.AsyncClient(headers={"User-Agent": "acme-portal/5", "X-Team": "ops"})
    async with omsclient.AsyncClient(**client_kwargs, http_client=http) as oms:  # type: ignore[arg-type]
        await oms.legacy.orders.search(COND)
    await http.aclose()
    sent = route.calls[0].request.headers
    assert sent["user-agent"] == "acme-portal/5 omsclient/0.1"
    assert sent["x-team"] == "ops"
    # One with httpx's own User-Agent, which names no application of theirs.
    async with (
        httpx.AsyncClient() as plain,
        omsclient.AsyncClient(**client_kwargs, http_client=plain) as oms,
    ):  # type: ignore[arg-type]
        await oms.legacy.orders.search(COND)
    assert route.calls[1].request.headers["user-agent"] == "omsclient/0.1"


@respx.mock
def test_the_blocking_client_takes_default_headers(client_kwargs: dict[str, object]) -> None:
    route = respx.post(FIND).mock(return_value=httpx.Response(200, json=EMPTY))
    with omsclient.Client(**client_kwargs, default_headers={"X-Tenant": "east"}) as oms:
        oms.with_options(default_headers={"X-Request-Id": "r-2"}).legacy.orders.search(COND)
    sent = route.calls[0].request.headers
    assert (sent["x-tenant"], sent["x-request-id"]) == ("east", "r-2")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"default_headers": {"X-Count": 3}}, r"default_headers\['X-Count'\] must be a str"),
        ({"default_headers": [("a", "b")]}, "default_headers must be a mapping"),
        ({"app_name": ""}, "app_name must be a non-empty string"),
    ],
)
def test_bad_header_options_fail_before_sending(
    client_kwargs: dict[str, object], options: dict[str, object], message: str
) -> None:
    with pytest.raises(omsclient.ConfigurationError, match=message):
        omsclient.AsyncClient(**client_kwargs, **options)  # type: ignore[arg-type]


@respx.mock
async def test_an_idempotency_key_echoed_in_an_error_is_shown_as_sent(
    client_kwargs: dict[str, object],
) -> None:
    # A per-call value, no credential: the message tells which create it was.
    respx.get(f"{REST}/api/v1/orders/7").mock(
        side_effect=lambda request: httpx.Response(
            409, json={"message": f"key {request.headers['idempotency-key']} already used"}
        )
    )
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        call = oms.with_options(default_headers={"Idempotency-Key": "create-E1-0042"})
        with pytest.raises(omsclient.ApiError) as caught:
            await call.rest.orders.get(7)
    assert "key create-E1-0042 already used" in str(caught.value)


@respx.mock
async def test_a_cookie_in_default_headers_is_redacted_from_an_echoing_error(
    client_kwargs: dict[str, object],
) -> None:
    # A gateway's session cookie was no credential to the redactor: a server echoing the
    # request's headers in an error showed it in the message and the body.
    cookie = "gw_session=Zq81kPSecretCookie"
    respx.get(f"{REST}/api/v1/orders/7").mock(
        side_effect=lambda request: httpx.Response(
            400,
            json={
                "message": f"bad request (Cookie: {request.headers['cookie']})",
                "headers": dict(request.headers),
            },
        )
    )
    async with omsclient.AsyncClient(
        **client_kwargs,  # type: ignore[arg-type]
        default_headers={"Cookie": cookie},
    ) as oms:
        with pytest.raises(omsclient.ApiError) as caught:
            await oms.rest.orders.get(7)
    error = caught.value
    assert error.status_code == 400
    assert "[REDACTED]" in str(error)
    for shown in (str(error), repr(error), repr(error.body), error.response.text):
        assert "Zq81kPSecretCookie" not in shown


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts redaction patterns are built for, in order."""
    texts: list[str] = []
    pattern = _redact._pattern
    monkeypatch.setattr(
        _redact, "_pattern", lambda text, *a, **k: texts.append(text) or pattern(text, *a, **k)
    )
    return texts


@respx.mock
async def test_views_with_a_users_key_build_no_redaction_until_something_is_redacted(
    client_kwargs: dict[str, object], built: list[str]
) -> None:
    # A web app making a view per request with the user's key in a header paid for building
    # that key's redaction patterns (and its client's again) at every view: 4 ms for a key of
    # 16 characters, 90 for one of 400, on the event loop, before the request left.
    keys = [f"user-key-{n:04d}-{'q' * 300}" for n in range(20)]
    respx.get(f"{REST}/api/v1/orders/7").mock(
        side_effect=lambda request: (
            httpx.Response(200, json={"id": 7, "uid": "7"})
            if request.headers["x-api-key"] != keys[-1]
            else httpx.Response(
                401, json={"message": f"unknown key {request.headers['x-api-key']}"}
            )
        )
    )
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        for key in keys[:-1]:
            await oms.with_options(default_headers={"X-Api-Key": key}).rest.orders.get(7)
        assert not any(secret in keys for secret in built)
        with pytest.raises(omsclient.ApiError) as caught:
            await oms.with_options(default_headers={"X-Api-Key": keys[-1]}).rest.orders.get(7)
    # The client's own secrets were built once, for the first view; the failing view's key
    # when its error was redacted.
    assert [secret for secret in built if secret in keys] == [keys[-1]]
    assert len(built) == len(set(built))
    assert keys[-1] not in str(caught.value)
    assert "unknown key [REDACTED]" in str(caught.value)


@respx.mock
async def test_a_view_of_a_view_forgets_the_header_values_it_replaced(
    client_kwargs: dict[str, object], built: list[str]
) -> None:
    # A worker rotating a gateway's key (oms = oms.with_options(...)) grew one secret, and its
    # patterns, each time for good: each view's redactor was its parent view's and the new key.
    keys = [f"gw-key-{n:04d}-{'q' * 20}" for n in range(200)]
    respx.get(f"{REST}/api/v1/orders/7").mock(
        side_effect=lambda request: httpx.Response(
            401, json={"message": f"unknown key {request.headers['x-api-key']}"}
        )
    )
    async with omsclient.AsyncClient(**client_kwargs) as root:  # type: ignore[arg-type]
        oms = root
        for key in keys:
            oms = oms.with_options(default_headers={"X-Api-Key": key})
        assert not any(key in oms._session.redact._secrets for key in keys[:-1])
        with pytest.raises(omsclient.ApiError) as caught:
            await oms.rest.orders.get(7)
        assert "unknown key [REDACTED]" in str(caught.value)
        # What the client was made with is still redacted in every view.
        assert root._session.redact._secrets <= oms._session.redact._secrets
    assert [secret for secret in built if secret in keys] == [keys[-1]]


@respx.mock
async def test_views_take_their_clients_patterns_for_what_is_left_of_a_non_ascii_secret(
    built: list[str],
) -> None:
    # Each view's redactor built again the pattern of what is left of its client's non-ASCII
    # password read as ASCII, for every error or log line it redacted.
    respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(500, json={"message": "no"})
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="пароль-Q7x!kP2zQ7x", max_retries=0
    ) as oms:
        for n in range(5):
            view = oms.with_options(default_headers={"X-Api-Key": f"user-key-{n}"})
            with pytest.raises(omsclient.ServerError):
                await view.legacy.orders.search(Condition(OrderField.ORDER_STATUS, Op.EQ, string=1))
    assert built.count("-Q7x!kP2zQ7x") == 1
