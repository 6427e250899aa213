"""Bad input is refused before anything is sent, naming the parameter and never a secret.

Client options raise ConfigurationError when the client is made (the blocking ``Client`` the
same); call arguments raise ValidationError before the request. Each case below was accepted,
silently reshaped, or failed with a bare Python error before (respx; nothing is answered).
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import math
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import cli, errors, legacy, rest
from omsclient._commands import _arguments
from omsclient._settings import LEGACY_API, REST_API
from omsclient._validate import json_problems
from omsclient.legacy import Condition, NewStatus, Op, OrderField, ProductField, StatusChange
from omsclient.rest import OrderItem

from .conftest import LEGACY, PASSWORD, REST, TOKEN, form_of, ok
from .hostile import frame_variables, linked
from .test_defects_validation import ITEM

ORDER = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")
PRODUCTS = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)


@pytest.fixture
def wire() -> Iterator[respx.Route]:
    """Every request, to either API; tests assert it was never called."""
    with respx.mock(assert_all_called=False) as mock:
        yield mock.route()


LEGACY_REFUSALS: list[tuple[str, Callable[[Any], Any]]] = [
    ("legacy.orders.search", lambda oms: oms.legacy.orders.search(limit=500)),
    ("legacy.orders.search", lambda oms: oms.legacy.orders.with_raw_response.search(offset=-1)),
    ("legacy.orders.iterate", lambda oms: oms.legacy.orders.iterate(ORDER, concurrency=0)),
    ("legacy.orders.iterate_raw", lambda oms: oms.legacy.orders.iterate_raw(ORDER, max_items=-1)),
    ("legacy.orders.scan", lambda oms: oms.legacy.orders.scan(windows=0)),
    ("legacy.orders.update_status", lambda oms: oms.legacy.orders.update_status([])),
    ("legacy.products.search", lambda oms: oms.legacy.products.search(limit=101)),
    ("legacy.products.iterate", lambda oms: oms.legacy.products.iterate(PRODUCTS, concurrency=0)),
    ("legacy.products.scan", lambda oms: oms.legacy.products.scan(state=5)),
    ("legacy.products.get", lambda oms: oms.legacy.products.get(0)),
    ("legacy.products.get_many", lambda oms: oms.legacy.products.get_many("5")),
]


@pytest.mark.parametrize(
    ("operation", "call"),
    LEGACY_REFUSALS,
    ids=[f"{op}-{n}" for n, (op, _) in enumerate(LEGACY_REFUSALS)],
)
async def test_a_legacy_methods_refusal_names_its_operation_as_a_rest_ones_does(
    client_kwargs: dict[str, object],
    wire: respx.Route,
    operation: str,
    call: Callable[[Any], Any],
) -> None:
    # "limit must be an integer 0..100, got 500" named no call, where a REST method's
    # refusals and every request's errors do.
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        with pytest.raises(errors.ValidationError) as refusal:
            result = call(oms)
            if inspect.isawaitable(result):
                await result
    assert str(refusal.value).startswith(f"{operation}: ")
    assert str(refusal.value).count(operation) == 1
    with (
        omsclient.Client(**client_kwargs) as blocking,  # type: ignore[arg-type]
        pytest.raises(errors.ValidationError) as again,
    ):
        call(blocking)
    assert str(again.value) == str(refusal.value)
    assert not wire.called


def refused(kwargs: dict[str, object], changes: dict[str, object], name: str, *secrets: str) -> str:
    """Make a client (async and blocking) with ``changes``: both must raise a
    ConfigurationError naming ``name`` and holding none of ``secrets``."""
    options = {**kwargs, **changes}
    with pytest.raises(errors.ConfigurationError) as caught:
        omsclient.AsyncClient(**options)  # type: ignore[arg-type]
    message = str(caught.value)
    with pytest.raises(errors.ConfigurationError) as blocking:
        omsclient.Client(**options)
    assert str(blocking.value) == message
    assert name in message
    # Nor any error it carries as its cause or context, which error reporters print.
    shown = [repr(e) for error in (caught.value, blocking.value) for e in linked(error)]
    for secret in (PASSWORD, TOKEN, *secrets):
        assert secret not in message
        assert not [text for text in shown if secret in text]
    return message


# -- 1. base URLs ----------------------------------------------------------------------------

BAD_URLS = [
    ("https://shop.test/#frag", "fragment"),
    ("https://shop.test#", "fragment"),
    ("https://shop.test/base#/x", "fragment"),
    ("https://shop.test/?", "query"),
    ("https://shop.test/?key=hunter2", "query"),
    ("https://fred:hunter2@shop.test", "user info"),
    ("https://fred@shop.test", "user info"),
    ("https://fred:hunter2@shop..test", "user info"),
    ("https://", "host"),
    ("https:///api", "host"),
    ("https://:443", "host"),
    ("https:shop.test", "host"),
    ("ftp://shop.test", "http:// or https://"),
    ("shop.test", "http:// or https://"),
    ("https://shop.test:port", "not a valid URL"),
    # urlsplit read "hunter2" as the port, and its error, the refusal's context, quoted it.
    ("https://fred:hunter2/x@shop.test", "not a valid URL"),
    ("https://shop.test/a\nb", "control characters"),
    ("https://shop.test/a b", "spaces"),
]


@pytest.mark.parametrize("option", ["legacy_url", "rest_url"])
@pytest.mark.parametrize(("url", "problem"), BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_a_base_url_that_would_lose_its_path_or_leak_is_refused(
    client_kwargs: dict[str, object], wire: respx.Route, option: str, url: str, problem: str
) -> None:
    message = refused(client_kwargs, {option: url}, option, "hunter2")
    assert problem in message
    assert not wire.called


@pytest.mark.parametrize(
    ("option", "url", "base"),
    [
        ("rest_url", "https://oms.test/api/v1", "https://oms.test"),
        ("rest_url", "https://oms.test/api/v1/", "https://oms.test"),
        ("rest_url", "https://oms.test/oms/API/V1", "https://oms.test/oms"),
        ("legacy_url", "https://shop.test/api/json", "https://shop.test"),
        ("legacy_url", "https://shop.test:8443/oms/api/json/", "https://shop.test:8443/oms"),
        # A gateway's folder that holds the API's path is a folder like any other.
        ("rest_url", "https://gw.test/api/v1/oms", "https://gw.test/api/v1/oms"),
        ("legacy_url", "https://gw.test/tenants/api/json/7", "https://gw.test/tenants/api/json/7"),
        ("rest_url", "https://oms.test/api/v10", "https://oms.test/api/v10"),
        ("legacy_url", "https://shop.test/api/jsonp", "https://shop.test/api/jsonp"),
        ("rest_url", "https://api/v1", "https://api/v1"),
        # With the slashes it leaves: a base of https://h/ sent every call to //api/v1/...
        ("rest_url", "https://oms.test//api/v1", "https://oms.test"),
        ("rest_url", "https://oms.test/oms//api/v1/", "https://oms.test/oms"),
        ("legacy_url", "https://shop.test//api/json", "https://shop.test"),
        # Once: a gateway may serve the API under a folder of that name.
        ("rest_url", "https://gw.test/api/v1/api/v1", "https://gw.test/api/v1"),
    ],
)
async def test_a_base_url_ending_in_the_apis_own_path_is_taken_without_it(
    client_kwargs: dict[str, object], option: str, url: str, base: str
) -> None:
    # Copied from the API's docs, which write every endpoint after it: kept, every call went to
    # .../api/v1/api/v1/..., a 404 each, which a REST delete reads as "already gone".
    with respx.mock:
        legacy = respx.post(f"{base}/api/json/manage_orders/find").respond(json=ok(orders=[]))
        rest = respx.get(f"{base}/api/v1/orders/U1").respond(json={"uid": "U1"})
        async with omsclient.AsyncClient(**{**client_kwargs, option: url}) as oms:  # type: ignore[arg-type]
            assert getattr(oms.settings, option) == base
            if option == "legacy_url":
                await oms.legacy.orders.search(ORDER)
            else:
                await oms.rest.orders.get("U1")
        assert (legacy if option == "legacy_url" else rest).called


def test_the_resources_paths_begin_with_the_apis_own() -> None:
    for module in (legacy.orders, legacy.products):
        paths = [
            v
            for k, v in vars(module).items()
            if k.isupper() and isinstance(v, str) and k != "LEGACY_API"  # the prefix itself
        ]
        assert paths, module
        assert all(p.startswith(f"{LEGACY_API}/") for p in paths if p.startswith("/")), paths
    for module in (
        rest.batch_orders,
        rest.categories,
        rest.order_items,
        rest.orders,
        rest.products,
        rest.variants,
    ):
        assert module.PATH.startswith(f"{REST_API}/"), module.PATH


BAD_HOSTS = [
    ("https://shop..test", "an empty label"),
    ("https://.shop.test", "an empty label"),
    ("https://shop.test..", "an empty label"),
    ("https://shop..test:8443/oms", "an empty label"),
    (f"https://{'a' * 64}.test", "a label of 64 characters (at most 63)"),
    ("https://" + "\u00e4" * 60 + ".test", "no valid internationalised (IDNA) name"),
    (f"https://{'ab.' * 85}test", "259 characters long (at most 253)"),
    (f"https://{'ab.' * 83}tests", "254 characters long (at most 253)"),
    ("https://xn--zz.test", "no valid internationalised (IDNA) name"),
    ("https://\u2603.test", "no valid internationalised (IDNA) name"),
    ("https://shop\u200b.test", "no valid internationalised (IDNA) name"),
    ("https://shop%2e.test", "'%'"),
    ("https://shop(1).test", "'('"),
    # Numbers read as an address and none: the message blamed IDNA, or the resolver failed.
    ("http://256.1.1.1", "no valid IPv4 address"),
    ("http://1.2.3.4.5:8080", "no valid IPv4 address"),
    # A shorthand works on httpx (the resolver reads "127.1" as 127.0.0.1), but aiohttp
    # refused it at each request, a write's error saying it may have been applied; with a
    # dot after it, every resolver failed it, retried even for a write.
    ("http://127.1:8080", "no valid IPv4 address written in full"),
    ("http://2130706433", "no valid IPv4 address written in full"),
    ("http://0x7f.1", "no valid IPv4 address written in full"),
    ("http://010.0.0.1", "no valid IPv4 address written in full"),
    ("http://10.0.0.1.", "no dot after them"),
    ("http://shop.1", "as URL parsers read a host ending in a number"),
]


@pytest.mark.parametrize("option", ["legacy_url", "rest_url"])
@pytest.mark.parametrize(("url", "problem"), BAD_HOSTS, ids=[u[:40] for u, _ in BAD_HOSTS])
def test_a_host_no_name_lookup_could_take_is_refused_when_the_client_is_made(
    client_kwargs: dict[str, object], wire: respx.Route, option: str, url: str, problem: str
) -> None:
    # Sent, such a host fails only at its first request, as a connection error that is retried
    # (a write's too: it never left), or as a UnicodeError from deep in httpx.
    message = refused(client_kwargs, {option: url}, option, "hunter2")
    assert problem in message
    assert "host" in message
    assert not wire.called


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.test.",
        f"https://{'a' * 63}.test",
        "https://b\u00fccher.test/oms",
        "http://order_service:8080",
        "http://127.0.0.1:8080",
        "https://[::1]:8443",
        "http://localhost",
        "http://10.0.0.1",
        "http://shop1.test",
        "http://1shop",
    ],
)
def test_a_host_a_name_lookup_could_take_is_kept(
    client_kwargs: dict[str, object], url: str
) -> None:
    oms = omsclient.AsyncClient(**{**client_kwargs, "legacy_url": url})  # type: ignore[arg-type]
    assert oms.settings.legacy_url == url


def test_a_bad_url_from_the_environment_names_the_variable(
    client_kwargs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", "https://shop.test/#x")
    message = refused({**client_kwargs, "legacy_url": None}, {}, "OMS_LEGACY_URL")
    assert "fragment" in message


@pytest.mark.parametrize("option", ["legacy_url", "rest_url"])
def test_a_url_must_be_a_str(client_kwargs: dict[str, object], option: str) -> None:
    assert "must be a str, got bytes" in refused(client_kwargs, {option: b"https://x"}, option)


def test_a_base_url_too_long_for_any_request_is_refused(
    client_kwargs: dict[str, object],
) -> None:
    # Taken, every call then failed with httpx's bare InvalidURL("URL too long").
    url = "https://shop.test/" + "a" * 70_000
    message = refused(client_kwargs, {"legacy_url": url}, "legacy_url", "a" * 100)
    assert "70018 characters long" in message


async def test_a_path_id_too_long_for_a_url_is_refused_by_name(
    client_kwargs: dict[str, object],
) -> None:
    with respx.mock:
        route = respx.route()
        async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
            with pytest.raises(errors.ValidationError, match=r"rest\.orders\.get: .*URL too long"):
                await oms.rest.orders.get("x" * 65_600)
        assert not route.called


@pytest.mark.parametrize("too_long", ["x" * 65_600, "é" * 11_000], ids=["ascii", "escaped"])
async def test_the_print_file_waiter_refuses_an_id_too_long_for_a_url_before_any_poll(
    oms: omsclient.AsyncClient, wire: respx.Route, too_long: str
) -> None:
    # It was refused when its own poll was built, the others' already sent, in the words of
    # a single print_file call and naming no id. 11,000 é are 66,000 characters escaped.
    wire.mock(return_value=httpx.Response(200, json={"status": "ready"}))
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.order_items.wait_for_print_files(["ITEM-1", "ITEM-2", too_long, "ITEM-4"])
    assert str(caught.value).startswith(
        f"rest.order_items.wait_for_print_files: ecommerce_order_item_id '{too_long[:10]}"
    )
    assert str(caught.value).endswith(": the request's URL is invalid: URL too long")
    assert not wire.called


async def test_a_good_base_url_keeps_its_path(
    client_kwargs: dict[str, object], wire: respx.Route
) -> None:
    wire.mock(return_value=httpx.Response(200, json=ok(total=0, orders=[])))
    async with omsclient.AsyncClient(  # type: ignore[arg-type]
        **{**client_kwargs, "legacy_url": "https://shop.test:8443/oms/"}
    ) as oms:
        await oms.legacy.orders.search(ORDER)
    assert (
        str(wire.calls.last.request.url) == "https://shop.test:8443/oms/api/json/manage_orders/find"
    )


# -- 2. credentials --------------------------------------------------------------------------

BAD_TOKENS = [
    ("tok\r\nX-Evil: 1", "a line break at position 3"),
    ("tok\n", "a line break at position 3"),
    ("t\u00f6k-secret", "a non-ASCII character at position 1"),
    ("tok\x00secret", "a control character at position 3"),
    ("tok-secret ", "must not begin or end with a space or tab"),
    ("\ttok-secret", "must not begin or end with a space or tab"),
    ("   ", "must not be blank"),
    ("Bearer tok-secret", "must be the token alone: the client sends 'Bearer ' before it"),
    ("bearer\ttok-secret", "must be the token alone: the client sends 'Bearer ' before it"),
    # A scheme is case-blind (RFC 9110): "BEARER tok" went out as "Bearer BEARER tok".
    ("BEARER tok-secret", "must be the token alone: the client sends 'Bearer ' before it"),
    ("bEaReR tok-secret", "must be the token alone: the client sends 'Bearer ' before it"),
]


@pytest.mark.parametrize(
    ("token", "problem"),
    BAD_TOKENS,
    ids=[
        "crlf",
        "lf",
        "umlaut",
        "nul",
        "trailing",
        "leading",
        "blank",
        "scheme",
        "scheme-tab",
        "scheme-upper",
        "scheme-mixed",
    ],
)
def test_an_api_token_that_cannot_be_a_header_is_refused_unechoed(
    client_kwargs: dict[str, object], wire: respx.Route, token: str, problem: str
) -> None:
    message = refused(client_kwargs, {"api_token": token}, "api_token", token, "X-Evil", "secret")
    assert problem in message
    assert not wire.called


def test_a_bad_token_from_the_environment_names_the_variable(
    client_kwargs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_API_TOKEN", "tok\r\nX-Evil: 1")
    refused({**client_kwargs, "api_token": None}, {}, "OMS_API_TOKEN", "X-Evil")


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("OMS_USERNAME", "fred\n", "a line break at position 4"),
        ("OMS_USERNAME", " fred", "must not begin or end with a space or tab"),
        ("OMS_PASSWORD", "pw-from-a-file\n", "a line break at position 14"),
        ("OMS_STORE_ID", "42\r\n", "a line break at position 2"),
        ("OMS_STORE_ID", "42 ", "must not begin or end with a space or tab"),
    ],
)
def test_a_setting_read_from_a_file_with_its_newline_is_refused_by_name(
    client_kwargs: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    problem: str,
) -> None:
    # Sent so, the username or password failed the login and the store id went into every
    # REST create, and nothing said why.
    option = variable.removeprefix("OMS_").lower()
    monkeypatch.setenv(variable, value)
    message = refused({**client_kwargs, option: None}, {}, variable, value.strip())
    assert problem in message


@pytest.mark.parametrize(
    ("option", "value", "position", "what"),
    [
        ("username", "fred\0", 4, "a NUL character"),
        ("password", "Winter\x002026", 6, "a NUL character"),
        ("password", "\0", 0, "a NUL character"),
        ("username", "fred\x1b[31m", 4, "a control character (U+001B)"),
        ("password", "Winter\x7f2026", 6, "a control character (U+007F)"),
    ],
)
def test_a_credential_holding_a_control_character_is_refused_by_name_and_position(
    client_kwargs: dict[str, object], option: str, value: str, position: int, what: str
) -> None:
    # Sent, a NUL went out as %00: a server handing the password to C compares it up to the
    # NUL. An escape sequence no one types; the sandbox's banner printed it as it was.
    message = refused(client_kwargs, {option: value}, option, "Winter", "2026")
    assert f"holds {what} at position {position}" in message


def test_a_password_may_hold_a_tab(client_kwargs: dict[str, object]) -> None:
    settings = omsclient.AsyncClient(**{**client_kwargs, "password": "pw\tpw"}).settings  # type: ignore[arg-type]
    assert settings.password == "pw\tpw"


def test_a_password_may_begin_or_end_with_a_space(client_kwargs: dict[str, object]) -> None:
    settings = omsclient.AsyncClient(**{**client_kwargs, "password": " pw "}).settings  # type: ignore[arg-type]
    assert settings.password == " pw "


@pytest.mark.parametrize(
    ("option", "value"),
    [("api_token", b"tok"), ("username", 42), ("password", 123456), ("password", b"pw")],
)
def test_credentials_must_be_strings(
    client_kwargs: dict[str, object], option: str, value: object
) -> None:
    message = refused(client_kwargs, {option: value}, option, repr(value), "123456")
    assert "must be a str" in message


# -- 7. other client options -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "must be a str or an int, got bool"),
        (1.5, "must be a str or an int, got float"),
        ("  ", "must not be blank"),  # "" is unset, as every setting's empty argument
        (["1"], "must be a str or an int, got list"),
        (10**5000, "store_id is out of range: the API takes 64-bit integers"),
    ],
    ids=["True", "1.5", "blank", "list", "10^5000"],
)
def test_store_id_is_a_str_or_an_int(
    client_kwargs: dict[str, object], value: object, problem: str
) -> None:
    assert problem in refused(client_kwargs, {"store_id": value}, "store_id")


def test_store_id_as_an_int_is_its_digits(client_kwargs: dict[str, object]) -> None:
    oms = omsclient.AsyncClient(**{**client_kwargs, "store_id": 1234})  # type: ignore[arg-type]
    assert oms.settings.store_id == "1234"


@pytest.mark.parametrize("value", [True, "5", 0, -1, math.nan, math.inf, [5]], ids=repr)
def test_requests_per_second_is_a_finite_positive_number(
    client_kwargs: dict[str, object], value: object
) -> None:
    refused(client_kwargs, {"requests_per_second": value}, "requests_per_second")


@pytest.mark.parametrize("value", [object(), httpx.Client()], ids=["object", "httpx.Client"])
def test_http_client_is_an_httpx_async_client(
    client_kwargs: dict[str, object], value: object
) -> None:
    message = refused(client_kwargs, {"http_client": value}, "http_client")
    assert "httpx.AsyncClient" in message


# -- 3. ecommerce_tags -----------------------------------------------------------------------

VARIANT: dict[str, Any] = {"name": "Mug 11oz", "product_id": 7, "country_id": 1}


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        (["a,b", "c"], r"ecommerce_tags\[0\] must not contain a comma"),
        (["", "x"], r"ecommerce_tags\[0\] must not be blank"),
        (["x", "  "], r"ecommerce_tags\[1\] must not be blank"),
    ],
)
async def test_a_tag_that_joining_would_split_or_drop_is_refused(
    oms: omsclient.AsyncClient, wire: respx.Route, tags: list[str], problem: str
) -> None:
    with pytest.raises(errors.ValidationError, match=rf"^rest\.variants\.create: {problem}"):
        await oms.rest.variants.create(**VARIANT, ecommerce_tags=tags)
    with pytest.raises(errors.ValidationError, match=rf"^rest\.variants\.update: {problem}"):
        await oms.rest.variants.update(9, ecommerce_tags=tags)
    assert not wire.called


async def test_plain_tags_are_still_joined(oms: omsclient.AsyncClient, wire: respx.Route) -> None:
    wire.mock(return_value=httpx.Response(200, json={"id": 9, **VARIANT}))
    await oms.rest.variants.create(**VARIANT, ecommerce_tags=["a b", "c"])
    assert b'"ecommerce_tags":"a b,c"' in wire.calls.last.request.content


# -- 4. --since / --until --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["20240131", "2024-01-31Z", "2024-01-31+00:00", "2024-W05-3", "2024-031", "2024-01-31T08"],
)
@pytest.mark.parametrize("flag", ["--since", "--until"])
def test_a_date_in_another_form_is_refused_not_read_as_midnight(
    flag: str,
    text: str,
    wire: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    assert cli.main(["export", "orders", "--out", str(tmp_path / "o.jsonl"), flag, text]) == 2
    err = capsys.readouterr().err
    assert flag in err
    assert "is not a date like 2024-01-31" in err
    assert not wire.called


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("2024-01-31", "2024-01-31T00:00:00", "2024-01-31T23:59:59"),
        (" 2024-01-31 ", "2024-01-31T00:00:00", "2024-01-31T23:59:59"),
        ("2024-01-31T00:00:00", "2024-01-31T00:00:00", "2024-01-31T00:00:00"),
        ("2024-01-31T08:00:00Z", "2024-01-31T08:00:00", "2024-01-31T08:00:00"),
        ("2024-01-31 08:00:00+02:00", "2024-01-31T06:00:00", "2024-01-31T06:00:00"),
        ("2024-01-31T08:00", "2024-01-31T08:00:00", "2024-01-31T08:00:00"),
    ],
)
def test_the_two_date_forms_read_the_same_on_every_python(
    text: str, since: str, until: str
) -> None:
    assert _arguments.date_argument(text) == since
    assert _arguments.until_argument(text) == until


def test_option_abbreviations_are_not_taken(
    wire: respx.Route, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--sinc", "2024-01-01"]
    assert cli.main(argv) == 2
    assert "--sinc" in capsys.readouterr().err
    assert not wire.called


# -- 5. numeric conditions -------------------------------------------------------------------

NUMERIC = [OrderField.ORDER_STATUS, ProductField.PRODUCT_ID]


@pytest.mark.parametrize("field", NUMERIC, ids=str)
@pytest.mark.parametrize(
    ("string", "problem"),
    [
        ("\u0661\u0662", "holds whole numbers"),
        ("\uff15", "holds whole numbers"),
        ("1_0", "holds whole numbers"),
        ("9999999999999999999", "out of range"),
        ("-9223372036854775809", "out of range"),
        ("1" * 5000, "out of range"),
    ],
    ids=["arabic-indic", "fullwidth", "underscore", "2^63+", "-2^63-1", "5000 digits"],
)
def test_a_numeric_string_is_held_to_the_int_rules(
    field: OrderField | ProductField, string: str, problem: str
) -> None:
    with pytest.raises(errors.ValidationError, match=f"^{type(field).__name__}.{field.name}"):
        Condition(field, Op.EQ, string=string)
    with pytest.raises(errors.ValidationError, match=problem):
        Condition(field, Op.EQ, string=string)


@pytest.mark.parametrize("field", NUMERIC, ids=str)
def test_a_numeric_string_is_sent_as_checked(field: OrderField | ProductField) -> None:
    condition = Condition(field, Op.EQ, string=" 5\n")
    assert condition.string == "5"
    assert ("conditions[1][string]", "5") in condition.encode(1, "api")
    assert Condition(field, Op.LE, string="9223372036854775807").string == "9223372036854775807"
    # As the int form would send it: no sign of a positive number, no leading zeros.
    assert Condition(field, Op.EQ, string=" +012 ").string == "12"
    assert Condition(field, Op.GT, string="-007").string == "-7"
    assert Condition(field, Op.EQ, string="-0").string == "0"


async def test_a_stripped_status_is_what_goes_out(
    oms: omsclient.AsyncClient, wire: respx.Route
) -> None:
    wire.mock(return_value=httpx.Response(200, json=ok(total=0, orders=[])))
    await oms.legacy.orders.search(Condition(OrderField.ORDER_STATUS, Op.EQ, string="5\n"))
    assert form_of(wire.calls.last.request)["string"] == "5"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "-1"], "not a status number"),
        (["--status", "0"], "not a status number"),
        (["--status", "\u0661"], "not a status number"),
        (["--status", "99999999999999999999"], "not a status number"),
        (["--where", "status:eq:\u0661\u0662"], "whole numbers"),
        (["--where", "status:eq:9999999999999999999"], "out of range"),
    ],
)
def test_the_cli_refuses_statuses_the_api_cannot_mean(
    args: list[str],
    message: str,
    wire: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    assert cli.main(["export", "orders", "--out", str(tmp_path / "o.jsonl"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not wire.called


@pytest.mark.parametrize(
    "ids",
    ["12", b"12", bytearray(b"12"), memoryview(b"12"), {12: "qty 3"}, 12],
    ids=["str", "bytes", "bytearray", "memoryview", "dict", "int"],
)
@pytest.mark.parametrize(
    ("call", "refusal"),
    [
        (
            lambda oms, ids: oms.legacy.products.get_many(ids),
            "product_ids must be an iterable of integers",
        ),
        (
            lambda oms, ids: oms.rest.order_items.wait_for_print_files(ids),
            "ecommerce_order_item_ids must be a list",
        ),
    ],
    ids=["get_many", "wait_for_print_files"],
)
async def test_a_call_of_many_ids_refuses_one_value_read_by_its_parts(
    oms: omsclient.AsyncClient,
    wire: respx.Route,
    ids: Any,
    call: Callable[[Any, Any], Any],
    refusal: str,
) -> None:
    # A bytearray or memoryview of b"12" was read as the ids 49 and 50, and fetched or polled.
    with pytest.raises(errors.ValidationError, match=refusal):
        await call(oms, ids)
    assert not wire.called


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("173", "must be an integer, got str"),
        (173.0, "must be an integer, got float"),
        (0, "must be an integer >= 1, got 0"),
    ],
)
async def test_get_many_names_the_place_of_a_bad_id(
    oms: omsclient.AsyncClient, wire: respx.Route, bad: Any, problem: str
) -> None:
    # One bad id among 250 read from a file: "product id must be an integer, got str" left the
    # caller to search the list for it.
    ids: list[Any] = list(range(1, 251))
    ids[172] = bad
    with pytest.raises(errors.ValidationError) as caught:
        await oms.legacy.products.get_many(ids)
    assert str(caught.value) == f"legacy.products.get_many: product_ids[172] {problem}"
    assert not wire.called


# -- 6. wait_for_print_files -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["no", 0, None], ids=repr)
async def test_raise_on_failure_is_a_bool(
    oms: omsclient.AsyncClient, wire: respx.Route, value: Any
) -> None:
    with pytest.raises(errors.ValidationError, match="raise_on_failure must be True or False"):
        await oms.rest.order_items.wait_for_print_files(["A"], raise_on_failure=value)
    assert not wire.called


# -- 8. includes -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, {"workflow_data": True}], ids=["None", "dict"])
def test_iterate_raw_includes_must_be_order_includes(
    oms: omsclient.AsyncClient, wire: respx.Route, value: Any
) -> None:
    with pytest.raises(errors.ValidationError, match="includes must be an OrderIncludes"):
        oms.legacy.orders.iterate_raw(ORDER, includes=value)
    assert not wire.called


# -- 9. template_config ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"a": math.nan}, "items[1].template_config.a must be finite, got nan"),
        ({"l": [1, math.inf]}, "items[1].template_config.l[1] must be finite, got inf"),
        ({"n": 2**64}, "items[1].template_config.n is out of range: the API takes 64-bit integers"),
    ],
    ids=["nan", "inf", "2^64"],
)
async def test_a_template_config_problem_has_the_operation_and_path(
    oms: omsclient.AsyncClient, wire: respx.Route, config: dict[str, Any], problem: str
) -> None:
    items = [ITEM, {**ITEM, "ecommerce_order_item_id": "ITEM-2", "template_config": config}]
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="O", items=items)
    assert str(caught.value) == f"rest.orders.create: {problem}"
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.update("UID", items=items)
    assert str(caught.value).startswith("rest.orders.update: ")
    assert problem in str(caught.value)
    assert not wire.called


@pytest.mark.parametrize(
    "items",
    ["ITEM-1", b"\x01", bytearray(b"\x01"), memoryview(b"\x01"), ITEM, 1],
    ids=["str", "bytes", "bytearray", "memoryview", "dict", "int"],
)
async def test_a_list_of_nested_objects_is_no_text_bytes_or_mapping(
    oms: omsclient.AsyncClient, wire: respx.Route, items: Any
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="O", items=items)
    shown = type(items).__name__
    assert (
        str(caught.value) == f"rest.orders.create: items must be a list of OrderItem, got {shown}"
    )
    with pytest.raises(
        errors.ValidationError, match=f"addresses must be a list of Address, got {shown}"
    ):
        await oms.rest.orders.update("UID", addresses=items)
    assert not wire.called


async def test_a_value_refused_as_the_request_is_built_leaves_no_token_in_its_frames(
    oms: omsclient.AsyncClient, wire: respx.Route
) -> None:
    # The frame that builds the request holds the Authorization header: error reporters
    # (Sentry by default, rich's show_locals) print the variables of every frame.
    # A model item's properties, any JSON, are checked in the body written out (a dict item's
    # are checked as it is read into its model).
    item = OrderItem(**{**ITEM, "properties": {"x": math.nan}})
    with pytest.raises(
        errors.ValidationError, match=r"items\[0\]\.properties\.x must be finite"
    ) as caught:
        await oms.rest.orders.create(ecommerce_order_id="O", items=[item])
    assert "_build_request" in "".join(traceback.format_exception(caught.value))
    assert TOKEN not in "\n".join(frame_variables(caught.value))
    assert not wire.called


# -- JSON values nested too deep, or holding themselves --------------------------------------


def nested(depth: int, kind: type = dict) -> Any:
    """``depth`` objects (or arrays) one inside another, around a 1."""
    value: Any = 1
    for _ in range(depth):
        value = {"k": value} if kind is dict else [value]
    return value


def holding_itself() -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    value["me"] = value
    return value


def list_holding_itself() -> dict[str, Any]:
    inner: list[Any] = []
    inner.append(inner)
    return {"l": inner}


TOO_DEEP = "nests deeper than 254 levels, which JSON bodies cannot"
# The body's object, items and the item are around properties: 251 more is what orjson writes.
NESTINGS: list[tuple[str, dict[str, Any], str]] = [
    ("properties 252", {"properties": nested(252)}, f"items[1].properties {TOO_DEEP}"),
    ("properties 2000", {"properties": nested(2000)}, f"items[1].properties {TOO_DEEP}"),
    (
        "properties of lists",
        {"properties": {"l": nested(251, list)}},
        f"items[1].properties {TOO_DEEP}",
    ),
    (
        "properties holding itself",
        {"properties": {"p": holding_itself()}},
        "items[1].properties.p refers to itself (at items[1].properties.p.me), which JSON",
    ),
    (
        "a list holding itself",
        {"properties": list_holding_itself()},
        "items[1].properties.l refers to itself (at items[1].properties.l[0]), which JSON",
    ),
    # Sent as its own document, URL-encoded: 254 levels of its own.
    (
        "template_config 255",
        {"template_config": nested(255)},
        f"items[1].template_config {TOO_DEEP}",
    ),
    (
        "template_config 2000",
        {"template_config": nested(2000)},
        f"items[1].template_config {TOO_DEEP}",
    ),
    (
        "template_config holding itself",
        {"template_config": {"c": holding_itself()}},
        "items[1].template_config.c refers to itself",
    ),
]


@pytest.mark.parametrize(
    ("change", "problem"), [(c, p) for _, c, p in NESTINGS], ids=[i for i, _, _ in NESTINGS]
)
async def test_a_json_value_nested_too_deep_or_holding_itself_is_refused_by_name(
    oms: omsclient.AsyncClient, wire: respx.Route, change: dict[str, Any], problem: str
) -> None:
    # orjson writes 254 levels (past them a bare TypeError), and deeper or circular values
    # failed with a RecursionError on the way to it.
    items = [ITEM, {**ITEM, "ecommerce_order_item_id": "ITEM-2", **change}]
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="O", items=items)
    assert str(caught.value).startswith(f"rest.orders.create: {problem}")
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.update("UID", items=items)
    assert str(caught.value).startswith(f"rest.orders.update: {problem}")
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.update("UID", items=[OrderItem(**items[0]), OrderItem(**items[1])])
    assert problem in str(caught.value)
    assert not wire.called


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"gift": nested(252)}, f"items[0].gift {TOO_DEEP}"),
        ({"gift": holding_itself()}, "items[0].gift refers to itself (at items[0].gift.me)"),
    ],
    ids=["deep", "holding itself"],
)
async def test_a_kept_key_nested_too_deep_or_holding_itself_is_refused_by_name(
    oms: omsclient.AsyncClient, wire: respx.Route, extra: dict[str, Any], problem: str
) -> None:
    item = OrderItem(**ITEM, extra=extra)
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.orders.create(ecommerce_order_id="O", items=[item])
    assert problem in str(caught.value)
    assert not wire.called


@respx.mock
async def test_the_deepest_properties_are_sent_and_one_level_more_is_refused(
    oms: omsclient.AsyncClient,
) -> None:
    create = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "U"})
    await oms.rest.orders.create(
        ecommerce_order_id="O",
        items=[{**ITEM, "properties": nested(251), "template_config": nested(254)}],
    )
    body = orjson.loads(create.calls.last.request.content)
    assert body["items"][0]["properties"] == nested(251)
    with pytest.raises(errors.ValidationError, match=r"items\[0\]\.properties nests deeper"):
        await oms.rest.orders.create(
            ecommerce_order_id="O", items=[{**ITEM, "properties": nested(252)}]
        )
    assert create.call_count == 1


@respx.mock
async def test_an_order_read_with_deep_properties_is_refused_when_written_back(
    oms: omsclient.AsyncClient,
) -> None:
    # Reading takes ~1,000 levels, writing 254: the order comes back fine, and its items
    # written back as they are failed with orjson's bare TypeError, or a RecursionError.
    for depth in (260, 900):
        item = {**ITEM, "uid": "I1", "template_config": "%7B%22a%22%3A1%7D"}
        respx.get(f"{REST}/api/v1/orders/U").respond(
            json={
                "uid": "U",
                "ecommerce_order_id": "O",
                "items": [{**item, "properties": nested(depth)}],
            }
        )
        put = respx.put(f"{REST}/api/v1/orders/U").respond(json={"uid": "U"})
        order = await oms.rest.orders.get("U")
        with pytest.raises(errors.ValidationError) as caught:
            await oms.rest.orders.update("U", items=order.items)
        assert str(caught.value) == f"rest.orders.update: items[0].properties {TOO_DEEP}"
        assert not put.called


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": nested(2000)}, f"a {TOO_DEEP}"),
        ({"a": holding_itself()}, "a refers to itself (at a.me)"),
        (nested(2000, list), f"[0] {TOO_DEEP}"),
    ],
    ids=["deep", "holding itself", "deep list"],
)
def test_a_whole_body_too_deep_or_holding_itself_names_its_field(value: Any, problem: str) -> None:
    # The last check of every JSON body, walked without recursion.
    assert problem in "; ".join(json_problems(value))


# -- iterate's numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"max_items": False},
        {"max_items": True},
        {"max_items": -1},
        {"concurrency": True},
        {"concurrency": 0},
        {"concurrency": 2.0},
    ],
)
@pytest.mark.parametrize("method", ["iterate", "iterate_raw"])
async def test_iterate_refuses_a_bool_or_a_bad_number(
    oms: omsclient.AsyncClient, wire: respx.Route, method: str, options: dict[str, object]
) -> None:
    ready = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
    (name,) = options
    with pytest.raises(errors.ValidationError, match=name):
        getattr(oms.legacy.orders, method)(ready, **options)
    assert not wire.called


# -- 10. enum members are sent as the values they stand for ---------------------------------


class Number(enum.IntEnum):
    """An IntEnum whose str() is its name, as every IntEnum's is on Python 3.10."""

    FIVE = 5
    __str__ = enum.Enum.__str__


class Code(str, enum.Enum):
    """A str enum of the kind Python 3.10 has (no StrEnum): its str() is its name."""

    X = "abc"


LEGACY_FORMS: list[tuple[str, Callable[[omsclient.AsyncClient], Any], dict[str, str]]] = [
    (
        "orders.search limit",
        lambda oms: oms.legacy.orders.search(ORDER, limit=Number.FIVE),
        {"limit": "5"},
    ),
    (
        "orders.search offset",
        lambda oms: oms.legacy.orders.search(ORDER, offset=Number.FIVE),
        {"offset": "5"},
    ),
    (
        "products.search limit",
        lambda oms: oms.legacy.products.search(PRODUCTS, limit=Number.FIVE, offset=Number.FIVE),
        {"limit": "5", "offset": "5"},
    ),
    (
        "orders.iterate start_offset",
        lambda oms: drain(oms.legacy.orders.iterate(ORDER, start_offset=Number.FIVE)),
        {"offset": "5"},
    ),
    ("products.get", lambda oms: oms.legacy.products.get(Number.FIVE), {"id": "5"}),
    ("products.get_many", lambda oms: oms.legacy.products.get_many([Number.FIVE]), {"ids": "5"}),
    (
        "update_status ids",
        lambda oms: oms.legacy.orders.update_status(
            StatusChange(
                order_id="INV1",
                new_status=NewStatus.PRODUCED,
                order_line_id=Number.FIVE,
                workflow_item_id=Number.FIVE,
                qty=Number.FIVE,
                operator_id=Number.FIVE,
            )
        ),
        {"order_line_id": "5", "workflow_item_id": "5", "qty": "5", "operator_id": "5"},
    ),
    (
        "update_status texts",
        lambda oms: oms.legacy.orders.update_status(
            StatusChange(
                order_id=Code.X,
                new_status=NewStatus.SHIPPED,
                shipping_tracking_code=Code.X,
                operator_login=Code.X,
            )
        ),
        {"order_id": "abc", "shipping_code": "abc", "operator_login": "abc"},
    ),
    (
        "condition string",
        lambda oms: oms.legacy.products.search(Condition(ProductField.CODE, Op.EQ, string=Code.X)),
        {"field": "1", "string": "abc"},
    ),
]


async def drain(pages: omsclient.PageIterator[Any]) -> None:
    async for _ in pages:
        pass


@pytest.mark.parametrize(
    ("call", "sent"), [(c, s) for _, c, s in LEGACY_FORMS], ids=[n for n, _, _ in LEGACY_FORMS]
)
async def test_an_enum_member_goes_into_the_form_as_its_value(
    oms: omsclient.AsyncClient,
    wire: respx.Route,
    call: Callable[[omsclient.AsyncClient], Any],
    sent: dict[str, str],
) -> None:
    wire.mock(return_value=httpx.Response(200, json=ok(total=0, orders=[], products=[])))
    with contextlib.suppress(errors.OmsError):  # get and get_many find nothing: no matter
        await call(oms)
    request = wire.calls.last.request
    # A product's id goes in the query string, as the API documents it.
    fields = {**form_of(request), **dict(request.url.params)}
    assert {key: fields.get(key) for key in sent} == sent


REST_PATHS: list[tuple[str, Callable[[omsclient.AsyncClient], Any], str]] = [
    ("products.get", lambda oms: oms.rest.products.get(Number.FIVE), "/api/v1/products/5"),
    (
        "variants.update",
        lambda oms: oms.rest.variants.update(Number.FIVE, name="x"),
        "/api/v1/product-variants/5",
    ),
    ("orders.get", lambda oms: oms.rest.orders.get(Code.X), "/api/v1/orders/abc"),
    (
        "order_items.print_file",
        lambda oms: oms.rest.order_items.print_file(Code.X),
        "/api/v1/order-items/abc/print",
    ),
]


@pytest.mark.parametrize(
    ("call", "path"), [(c, p) for _, c, p in REST_PATHS], ids=[n for n, _, _ in REST_PATHS]
)
async def test_an_enum_member_goes_into_the_path_as_its_value(
    oms: omsclient.AsyncClient,
    wire: respx.Route,
    call: Callable[[omsclient.AsyncClient], Any],
    path: str,
) -> None:
    wire.mock(return_value=httpx.Response(200, json={"id": 5}))
    with contextlib.suppress(errors.OmsError):
        await call(oms)
    assert wire.calls.last.request.url.raw_path.decode() == path


def test_the_values_kept_are_plain_ints_and_strings(client_kwargs: dict[str, object]) -> None:
    change = StatusChange(
        order_id=Code.X, new_status=2, order_line_id=Number.FIVE, operator_login=Code.X
    )
    assert type(change.order_line_id) is int
    assert type(change.order_id) is str
    assert type(change.operator_login) is str
    assert change == StatusChange(
        order_id="abc", new_status=2, order_line_id=5, operator_login="abc"
    )
    assert type(Condition(ProductField.CODE, Op.EQ, string=Code.X).string) is str
    for store_id, expected in ((Number.FIVE, "5"), (Code.X, "abc")):
        oms = omsclient.AsyncClient(**{**client_kwargs, "store_id": store_id})  # type: ignore[arg-type]
        assert oms.settings.store_id == expected
        assert type(oms.settings.store_id) is str


# -- 11. text that has no UTF-8 form ---------------------------------------------------------

LONE = "Zo\udceb"
"""Text holding a lone surrogate: bytes that were no UTF-8, read with ``surrogateescape``."""

SURROGATE_CALLS: list[tuple[str, Callable[[omsclient.AsyncClient], Any], str]] = [
    ("orders.get", lambda oms: oms.rest.orders.get(LONE), "rest.orders.get: order_uid"),
    (
        "wait_for_print_files",
        lambda oms: oms.rest.order_items.wait_for_print_files([LONE]),
        "ecommerce_order_item_id",
    ),
    (
        "orders.create note",
        lambda oms: oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM], note=LONE),
        "rest.orders.create: note",
    ),
    (
        "orders.update item",
        lambda oms: oms.rest.orders.update("U", items=[{**ITEM, "ecommerce_variant_id": LONE}]),
        "rest.orders.update: items[0].ecommerce_variant_id",
    ),
    (
        "categories.create name",
        lambda oms: oms.rest.categories.create(name=LONE),
        "rest.categories.create: name",
    ),
    (
        "variants.update tags",
        lambda oms: oms.rest.variants.update(9, ecommerce_tags=["a", LONE]),
        "rest.variants.update: ecommerce_tags",
    ),
    (
        "batch_orders.create",
        lambda oms: oms.rest.batch_orders.create(order_items=["A"], print_templates=[LONE]),
        "rest.batch_orders.create: print_templates[0]",
    ),
    (
        "template_config value",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O", items=[{**ITEM, "template_config": {"text": LONE}}]
        ),
        "items[0].template_config.text",
    ),
    (
        "template_config key",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O", items=[{**ITEM, "template_config": {LONE: 1}}]
        ),
        "items[0].template_config has a key",
    ),
]


@pytest.mark.parametrize(
    ("call", "name"),
    [(c, n) for _, c, n in SURROGATE_CALLS],
    ids=[i for i, _, _ in SURROGATE_CALLS],
)
async def test_rest_text_that_cannot_be_sent_is_refused_by_name(
    oms: omsclient.AsyncClient,
    wire: respx.Route,
    call: Callable[[omsclient.AsyncClient], Any],
    name: str,
) -> None:
    # Sent, it failed in the encoder: a TypeError or UnicodeEncodeError naming no field.
    with pytest.raises(errors.ValidationError) as caught:
        await call(oms)
    message = str(caught.value)
    assert name in message
    assert "lone surrogate (U+DCEB)" in message
    message.encode()  # the message itself can be printed: the text is not quoted
    assert not wire.called


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("username", LONE),
        ("password", PASSWORD + "\udceb"),
        ("store_id", LONE),
        ("legacy_url", f"https://shop.test/{LONE}"),
        ("rest_url", f"https://{LONE}.test"),
    ],
)
def test_a_setting_that_cannot_be_sent_is_refused_when_the_client_is_made(
    client_kwargs: dict[str, object], option: str, value: str
) -> None:
    message = refused(client_kwargs, {option: value}, option)
    assert "lone surrogate (U+DCEB)" in message
    message.encode()


async def test_a_blank_uid_in_a_batch_is_refused_before_anything_is_sent(
    oms: omsclient.AsyncClient, wire: respx.Route
) -> None:
    # A UID of spaces alone was sent to the server as an item to batch.
    with pytest.raises(errors.ValidationError, match=r"order_items\[1\] must be a non-empty"):
        await oms.rest.batch_orders.create(order_items=["A", "  "], print_templates=["T"])
    assert not wire.called


async def test_every_problem_of_a_batchs_two_lists_is_named_at_once(
    oms: omsclient.AsyncClient, wire: respx.Route
) -> None:
    # The first problem was named alone: a caller fixed one a call.
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.batch_orders.create(
            order_items=["A", "  ", "B\n", "A", "B\n", "C\u200b"], print_templates=[]
        )
    assert str(caught.value) == "rest.batch_orders.create: " + "; ".join(
        [
            "order_items[1] must be a non-empty string",
            "order_items[2] must not begin or end with white space",
            "order_items[3] repeats order_items[0] ('A')",
            "order_items[4] must not begin or end with white space",
            "order_items[5] holds an invisible character ('\\u200b')",
            "print_templates is required (at least one UID)",
        ]
    )
    assert not wire.called


async def test_a_batchs_uid_given_alone_for_a_list_is_refused_before_anything_is_sent(
    oms: omsclient.AsyncClient, wire: respx.Route
) -> None:
    # A str is a sequence: its characters would be sent as UIDs.
    with pytest.raises(errors.ValidationError, match="order_items must be a list of UIDs"):
        await oms.rest.batch_orders.create(order_items="UID1", print_templates=["T"])
    assert not wire.called


def test_a_timeout_of_zero_seconds_is_refused_when_the_client_is_made(
    client_kwargs: dict[str, object],
) -> None:
    # Zero was taken: every request then timed out before it was sent.
    message = refused(client_kwargs, {"timeout": 0}, "timeout")
    assert "above 0" in message


def test_an_empty_token_variable_is_an_unset_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # As a template renders an unset secret (OMS_API_TOKEN=): a legacy-only client was
    # refused, where every other empty OMS_* variable counts as unset.
    monkeypatch.setenv("OMS_API_TOKEN", "")
    client = omsclient.AsyncClient(legacy_url="http://shop.test", username="u", password="p")
    assert client.settings.api_token is None
    monkeypatch.setenv("OMS_API_TOKEN", "   ")
    with pytest.raises(omsclient.ConfigurationError, match=r"OMS_API_TOKEN .* must not be blank"):
        omsclient.AsyncClient(legacy_url="http://shop.test", username="u", password="p")


def test_a_base_url_of_port_0_is_refused_when_the_client_is_made(
    client_kwargs: dict[str, object], wire: respx.Route
) -> None:
    # No server listens there: every call failed to connect, retried four times.
    assert "names port 0" in refused(
        client_kwargs, {"legacy_url": "http://127.0.0.1:0"}, "legacy_url"
    )
    assert not wire.called
