"""Secrets a hostile server echoes where redaction used to miss them, over a real socket: cut
short or escaped in a message quoting a wrong-typed value, as a JSON number, in a header's name,
through a one-byte charset, and in the error aiohttp raises for a malformed answer."""

from __future__ import annotations

import contextlib
import copy
import gzip
import io
import json
import logging
import pickle
import socket
import traceback
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.abc
import attrs
import httpx
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient._redact import REDACTED, Redactor
from omsclient.rest import PrintFileFailedError, PrintFileTimeoutError

from .conftest import LEGACY, REST, ok
from .hostile import (
    HostileServer,
    Request,
    close_connection,
    frame_variables,
    hostile_server,
    linked,
    write_json,
    write_response,
)
from .test_hostile import ALL_PRODUCTS, NO_RETRY, SINCE

PASSWORD = "pw-secret-1"
TOKEN = "tok-secret-1"
SANCTUM = "7|Xq3vN8kLpR2sT5wY9zA1bC4dE6fG0hJ2mK8nP5qR"  # a long token, as Laravel Sanctum makes


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


def client(server: HostileServer, **options: Any) -> omsclient.AsyncClient:
    settings: dict[str, Any] = {
        "legacy_url": server.url,
        "username": "fred",
        "password": PASSWORD,
        "rest_url": server.url,
        "api_token": TOKEN,
        "store_id": "1",
        "retry": NO_RETRY,
        "timeout": 5,
    }
    return omsclient.AsyncClient(**{**settings, **options})


def everything(exc: BaseException) -> str:
    """str, repr, traceback and attributes of ``exc`` and of every error linked to it, and the
    variables of every frame its traceback went through outside the test (what an error
    reporter such as Sentry, or rich's ``show_locals``, prints)."""
    parts = ["".join(traceback.format_exception(exc)), *frame_variables(exc)]
    for current in linked(exc):
        parts += [str(current), repr(current), repr(vars(current))]
        response = getattr(current, "response", None)
        if response is not None:
            parts += [repr(response), repr(list(response.headers.items()))]
            with contextlib.suppress(httpx.ResponseNotRead):  # an answer refused unread
                parts.append(response.text)
        if isinstance(current, httpx.RequestError):
            # What an error reporter reads when it walks the chain.
            parts += requested(current.request)
        for value in vars(current).values():
            if isinstance(value, httpx.Response):
                # An HTTP answer keeps the request it answered.
                parts += requested(value.request)
    return "\n".join(parts)


def requested(request: httpx.Request) -> list[str]:
    """The URL, headers and body of a request an error reporter finds in the chain."""
    content = request.content.decode("utf-8", "replace")
    return [str(request.url), repr(list(request.headers.items())), content]


def products_answer(color_id: Any) -> dict[str, Any]:
    status = {"code": 10001, "severity": "SUCCESS", "description": ""}
    product = {"product_id": 5, "product_name": "Tee", "colors": [{"id": color_id, "name": "x"}]}
    return {"response_status": status, "total": 1, "products": [product]}


async def test_a_long_token_in_a_wrong_typed_value_is_not_quoted_in_part(
    server: HostileServer,
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        token = request.headers["authorization"].removeprefix("Bearer ")
        await write_json(stream, {"data": {"id": 1, "name": "n", "default_dpi": token}})

    server.handler = handler
    async with client(server, api_token=SANCTUM) as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.rest.categories.get(1)
    assert "a string of 42 characters" in str(caught.value)
    assert SANCTUM[:12] not in everything(caught.value)


@pytest.mark.parametrize("password", ['it\'s "fine" 42', "pass\u200bword-secret", SANCTUM])
async def test_a_password_quoted_as_a_wrong_typed_value_is_redacted(
    server: HostileServer, password: str
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_json(stream, products_answer(request.form["password"]))

    server.handler = handler
    async with client(server, password=password) as oms:
        with pytest.raises(errors.OmsError) as caught:
            await oms.legacy.products.search(ALL_PRODUCTS)
    text = everything(caught.value)
    assert "fine" not in text
    assert "word-secret" not in text
    assert SANCTUM[:12] not in text


async def test_a_password_echoed_in_the_status_of_an_answer_it_cannot_read_is_in_no_frame(
    server: HostileServer,
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        answer = products_answer("not a number")
        answer["response_status"]["description"] = f"hello {request.form['password']}"
        await write_json(stream, answer)

    server.handler = handler
    async with client(server, password="pass-word-secret") as oms:
        with pytest.raises(errors.StructureError) as caught:
            await oms.legacy.products.search(ALL_PRODUCTS)
    assert "word-secret" not in everything(caught.value)


@pytest.mark.parametrize("call", ["get", "get_many"])
async def test_a_password_quoted_in_a_product_looked_up_by_id_is_redacted(
    server: HostileServer, call: str
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        answer = products_answer(request.form["password"])
        if call == "get":
            answer["product"] = answer.pop("products")[0]
        await write_json(stream, answer)

    server.handler = handler
    async with client(server, password="pass-word-secret") as oms:
        with pytest.raises(errors.StructureError) as caught:
            if call == "get":
                await oms.legacy.products.get(5)
            else:
                await oms.legacy.products.get_many([5])
    assert "word-secret" not in everything(caught.value)


async def test_a_password_in_a_get_many_answer_that_lacks_an_id_is_in_no_frame(
    server: HostileServer,
) -> None:
    # The coroutine that asked for the ids kept the answer in a variable, which an error
    # reporter prints with the DecodeError raised for the id the answer lacked.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        answer = products_answer(1)
        answer["products"][0]["product_code"] = request.form["password"]
        await write_json(stream, answer)

    server.handler = handler
    async with client(server, password="pass-word-secret") as oms:
        with pytest.raises(errors.DecodeError, match="holds no product 6") as caught:
            await oms.legacy.products.get_many([5, 6])
    assert "word-secret" not in everything(caught.value)


@pytest.mark.parametrize("raw", ["sent", True, False])
async def test_a_password_in_a_scanned_answer_refused_is_in_no_frame(
    server: HostileServer, raw: Any
) -> None:
    # The scan of orders as sent (the export's and the sync's) kept the answer in a coroutine's
    # variable, which an error reporter prints with the DecodeError.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        description = f"hello {request.form['password']}"
        status = {"code": 10001, "severity": "SUCCESS", "description": description}
        await write_json(stream, {"response_status": status, "total": 1, "orders": {"x": 1}})

    server.handler = handler
    async with client(server, password="pass-word-secret") as oms:
        with pytest.raises(errors.DecodeError, match="not an array") as caught:
            async for _ in oms.legacy.orders.scan(raw=raw):
                pass
    assert "word-secret" not in everything(caught.value)


@pytest.mark.parametrize("shape", ["text", "object", "array"])
@pytest.mark.parametrize("call", ["search", "iterate", "scan", "products"])
async def test_a_password_echoed_as_the_total_is_in_no_frame(
    server: HostileServer, shape: str, call: str
) -> None:
    # The answer, still in the frame that raised, showed its total in its repr.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        password = request.form["password"]
        total = {"text": password, "object": {password: 1}, "array": [password]}[shape]
        rows = "products" if "products" in request.path else "orders"
        status = {"code": 10001, "severity": "SUCCESS", "description": "Success"}
        await write_json(stream, {"response_status": status, "total": total, rows: []})

    server.handler = handler
    async with client(server, password="pass-word-secret") as oms:
        with pytest.raises(errors.DecodeError, match="total") as caught:
            if call == "search":
                await oms.legacy.orders.search(SINCE)
            elif call == "products":
                await oms.legacy.products.search(ALL_PRODUCTS)
            else:
                rows = getattr(oms.legacy.orders, call)
                async for _ in rows(SINCE) if call == "iterate" else rows(since=SINCE.date1):
                    pass
    assert "word-secret" not in everything(caught.value)


async def test_a_password_echoed_as_a_json_number_is_redacted(server: HostileServer) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        echoed = {"message": "bad", "errors": {"password": [int(request.form["password"])]}}
        await write_json(stream, echoed, status=422)

    server.handler = handler
    async with client(server, password="73920518") as oms:
        with pytest.raises(errors.ApiError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert caught.value.body == {"message": "bad", "errors": {"password": ["[REDACTED]"]}}
    assert "73920518" not in everything(caught.value)


async def test_a_token_in_a_header_name_is_redacted(server: HostileServer) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        token = request.headers["authorization"].removeprefix("Bearer ")
        headers = {f"x-bad-{token}": "1", "x-echo": token}
        await write_response(stream, b'{"message": "no"}', status=401, headers=headers)

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(errors.AuthenticationError) as caught:
            await oms.rest.categories.get(1)
    assert TOKEN not in everything(caught.value)
    assert caught.value.response.headers["x-echo"] == "[REDACTED]"


async def test_a_header_that_is_not_ascii_still_gives_the_api_error(
    server: HostileServer,
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        head = b"HTTP/1.1 401 X\r\ncontent-type: application/json\r\ncontent-length: 2\r\n"
        head += b"x-echo: " + request.form["password"].encode() + b"\r\n"
        await stream.send(head + b"server: Caf\xe9\r\n\r\n{}")

    server.handler = handler
    async with client(server, password="pässwort-geheim") as oms:
        with pytest.raises(errors.AuthenticationError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert caught.value.response.headers["server"] == "Café"
    assert "sswort-geheim" not in everything(caught.value)


async def test_a_password_through_a_one_byte_charset_is_redacted(server: HostileServer) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        status = {"code": 10001, "severity": "SUCCESS", "description": ""}
        answer = {"response_status": status, "total": 0, "orders": [], "debug": ""}
        answer["debug"] = request.form["password"]
        # UTF-8 bytes under a Latin-1 label: httpx reads them as "pÃ¤sswort".
        body = json.dumps(answer, ensure_ascii=False).encode()
        await write_response(stream, body, content_type="application/json; charset=iso-8859-1")

    server.handler = handler
    async with client(server, password="pässwort-geheim") as oms:
        raw = await oms.legacy.orders.with_raw_response.search(SINCE)
    assert "sswort-geheim" not in raw.text
    assert '"debug": "[REDACTED]"' in raw.text


async def test_a_password_in_latin_1_bytes_is_redacted_from_the_snippet(
    server: HostileServer,
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        body = f"<html>Login failed for {request.form['password']}</html>".encode("latin-1")
        await write_response(stream, body, content_type="text/html; charset=iso-8859-1")

    server.handler = handler
    async with client(server, password="pässwort-geheim") as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert "Login failed for [REDACTED]" in caught.value.snippet
    assert "sswort-geheim" not in everything(caught.value)


async def test_a_login_key_after_an_escaped_ampersand_is_redacted(server: HostileServer) -> None:
    key = "0123456789abcdef0123456789abcdef01234567"

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        # PHP's JSON_HEX_AMP writes "&" as \u0026; the body is cut short.
        url = "https:\\/\\/s.test\\/q.pdf?user[id]=7\\u0026key=" + key
        await write_response(stream, ('{"orders": [{"quote_pdf_url": "' + url + '"').encode())

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert key not in everything(caught.value)
    assert "key=[REDACTED]" in caught.value.snippet


@pytest.mark.parametrize("api", ["rest", "legacy"])
async def test_aiohttps_error_for_a_malformed_answer_is_not_kept(
    server: HostileServer, api: str
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(b"HTTP/1.1 2x0 denied\r\ncontent-length: 2\r\n\r\n{}")

    server.handler = handler
    async with client(server, transport="aiohttp") as oms:
        with pytest.raises(errors.TransportError) as caught:
            if api == "rest":
                await oms.rest.categories.get(1)
            else:
                await oms.legacy.orders.search(SINCE)
    text = everything(caught.value)
    # aiohttp's error holds the request's headers (the token) in its request_info.
    assert TOKEN not in text
    assert PASSWORD not in text
    assert "str() failed" not in text


def _refusing_url() -> str:
    """A URL on which nothing listens: a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_the_request_an_httpx_error_keeps_holds_no_secret(transport: str) -> None:
    # A refused connection is a TransportError raised from httpx's error, which keeps the
    # request: its form body holds the password, its headers the token.
    url = _refusing_url()
    async with omsclient.AsyncClient(
        legacy_url=url,
        username="fred",
        password=PASSWORD,
        rest_url=url,
        api_token=TOKEN,
        retry=NO_RETRY,
        transport=transport,
    ) as oms:
        with pytest.raises(errors.TransportError) as legacy:
            await oms.legacy.orders.search(SINCE)
        with pytest.raises(errors.TransportError) as rest:
            await oms.rest.categories.get(1)
    for caught in (legacy, rest):
        kept = caught.value.__cause__
        assert isinstance(kept, httpx.RequestError)
        text = everything(caught.value)
        assert PASSWORD not in text
        assert TOKEN not in text
    # What is left is still the request that failed, for whoever debugs it.
    request = legacy.value.__cause__.request  # type: ignore[union-attr]
    assert request.method == "POST"
    assert request.url.path.endswith("/manage_orders/find")
    assert b"username=fred" in request.content
    assert b"password=%5BREDACTED%5D" in request.content or b"password=[REDACTED]" in (
        request.content
    )


@pytest.mark.parametrize(
    ("password", "host"),
    [
        ("acmeshop-2024", "redacted.example.com"),  # the host begins as the password does
        ("8443/api-secret", None),  # its port and path do: the request keeps its path alone
    ],
)
async def test_a_secret_the_url_begins_with_leaves_the_failure_a_transport_error(
    password: str, host: str | None
) -> None:
    # The kept request's URL was rebuilt with "[REDACTED]" in its host, which httpx reads as a
    # broken IPv6 address: its InvalidURL escaped in place of the TransportError.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http,
        omsclient.AsyncClient(
            legacy_url="https://acmeshop.example.com:8443",
            username="fred",
            password=password,
            http_client=http,
            retry=NO_RETRY,
        ) as oms,
    ):
        with pytest.raises(errors.TransportError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert password not in everything(caught.value)
    kept = caught.value.__cause__
    assert isinstance(kept, httpx.ConnectError)
    assert (kept.request.url.host or None) == host
    assert kept.request.url.path.endswith("/json/manage_orders/find")


async def test_a_fault_of_the_in_process_sandbox_is_a_transport_error() -> None:
    # asgi_transport's sandbox is http://sandbox.local, its password pw-sandbox-1: every
    # dropped connection or cut body ended in httpx's InvalidURL (see the test above).
    from omsclient.sandbox import SandboxConfig, asgi_transport

    transport, info = asgi_transport(SandboxConfig(orders=20, products=5))
    async with (
        httpx.AsyncClient(transport=transport) as http,
        omsclient.AsyncClient(**info.client_kwargs(), http_client=http, retry=NO_RETRY) as oms,
    ):
        for fault in ("drop", "truncate"):
            info.state.queue_faults(fault)
            with pytest.raises(errors.TransportError):
                await oms.legacy.orders.search(SINCE)
            info.state.queue_faults(fault)
            with pytest.raises(errors.TransportError):
                await oms.rest.orders.get("ORD-1")


@pytest.mark.parametrize("refusal", ["stacked", "too large"])
async def test_an_answer_refused_unread_leaves_no_request_in_the_chain(
    server: HostileServer, refusal: str
) -> None:
    # Refused before its body was read: a stack of codings, or a body over the size cap.
    body = gzip.compress(gzip.compress(b"{}")) if refusal == "stacked" else b" " * 4096
    coding = {"content-encoding": "gzip, gzip"} if refusal == "stacked" else {}
    echoed = {**coding, "x-echo": f"{PASSWORD} {TOKEN}"}

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, body, headers=echoed)

    server.handler = handler
    async with client(server, max_response_bytes=1024) as oms:
        with pytest.raises(errors.DecodeError) as legacy:
            await oms.legacy.orders.search(SINCE)
        with pytest.raises(errors.DecodeError) as rest:
            await oms.rest.categories.get(1)
    assert PASSWORD not in everything(legacy.value)
    assert TOKEN not in everything(rest.value)
    # The answer that was refused is still the error's .response: its status and headers
    # (redacted), no body.
    for caught in (legacy, rest):
        answer = caught.value.response
        assert answer is not None
        assert (answer.status_code, answer.text) == (200, "")
        assert answer.headers["x-echo"] == "[REDACTED] [REDACTED]"


GATEWAY_KEY = "gw-key-4f2a9c"
GATEWAY_BASIC = "Z2F0ZXdheTpodW50ZXIy"  # base64 of gateway:hunter2


@pytest.mark.parametrize("where", ["client", "with_options", "http_client"])
async def test_a_gateways_credentials_in_headers_are_redacted(
    server: HostileServer, where: str
) -> None:
    # The docs send a gateway's credentials to default_headers: a server or proxy echoes them
    # like the token, and the request an httpx error keeps carries them.
    headers = {"X-Api-Key": GATEWAY_KEY, "Proxy-Authorization": f"Basic {GATEWAY_BASIC}"}

    async def echo(request: Request, stream: anyio.abc.SocketStream) -> None:
        if request.path.startswith("/api/v1/"):
            reason = f"key {request.headers['x-api-key']} refused; {GATEWAY_BASIC} unknown"
            await write_json(stream, {"message": reason}, status=403)
        else:
            close_connection()

    server.handler = echo
    options: dict[str, Any] = {}
    if where == "client":
        options["default_headers"] = headers
    async with httpx.AsyncClient(headers=headers) as http:
        if where == "http_client":
            options["http_client"] = http
        async with client(server, **options) as oms:
            view = oms.with_options(default_headers=headers) if where == "with_options" else oms
            with pytest.raises(errors.PermissionDeniedError) as refused:
                await view.rest.categories.get(1)
            with pytest.raises(errors.TransportError) as failed:
                await view.legacy.orders.search(SINCE)
    for caught in (refused, failed):
        text = everything(caught.value)
        assert GATEWAY_KEY not in text
        assert GATEWAY_BASIC not in text
    assert "refused" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "content_type"),
    [
        (400, "text/plain; charset=utf-16"),  # a reason in plain text, quoted in the message
        (200, "text/html; charset=UTF-16LE"),
        (502, "text/plain"),  # no charset: the byte order mark says UTF-16
    ],
)
async def test_a_password_echoed_in_utf_16_is_redacted(
    server: HostileServer, status: int, content_type: str
) -> None:
    # Read as UTF-8, UTF-16 puts a NUL between the characters of the echoed password.
    charset = "utf-16-le" if "LE" in content_type else "utf-16"

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        body = f"wrong password {request.form['password']}".encode(charset)
        await write_response(stream, body, status=status, content_type=content_type)

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(errors.OmsError) as caught:
            await oms.legacy.orders.search(SINCE)
    text = everything(caught.value).replace("\\x00", "").replace("\x00", "")
    assert "secret-1" not in text
    if status == 400:
        assert str(caught.value).endswith(": wrong password [REDACTED]")


@pytest.mark.parametrize(
    ("status", "charset", "error"),
    [
        (500, "punycode", errors.ServerError),  # its codec fails on a byte over 127
        (400, "idna", errors.InvalidRequestError),  # its codec takes no "replace"
        (200, "undefined", errors.DecodeError),  # its codec decodes nothing
    ],
)
async def test_an_answer_in_a_charset_whose_codec_always_fails_is_an_error_of_ours(
    server: HostileServer, status: int, charset: str, error: type[errors.OmsError]
) -> None:
    # The codec's UnicodeError quoted the body, the echoed form and its password with it.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        body = f"no: {request.form['password']} \xff".encode("latin-1")
        await write_response(
            stream, body, status=status, content_type=f"text/plain; charset={charset}"
        )

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(error) as caught:
            await oms.legacy.orders.search(SINCE)
    assert PASSWORD not in everything(caught.value)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_credential_echoed_in_the_status_line_is_in_no_frame(
    server: HostileServer, transport: str
) -> None:
    # An answer's repr shows its status line's text, and error reporters print the repr of
    # every frame's variables: the session's hold the answer.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        echoed = request.form.get("password") or request.headers["authorization"]
        await write_response(stream, b"{}", status=401, reason=f"Bad {echoed}")

    server.handler = handler
    async with client(server, transport=transport) as oms:
        with pytest.raises(errors.AuthenticationError) as legacy:
            await oms.legacy.orders.search(SINCE)
        with pytest.raises(errors.AuthenticationError) as rest:
            await oms.rest.orders.get("U1")
    shown = "\n".join(frame_variables(legacy.value) + frame_variables(rest.value))
    assert "<Response [401 Bad [REDACTED]]>" in shown
    assert PASSWORD not in shown
    assert TOKEN not in shown


MIXED_CASE_TOKEN = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


async def test_a_token_echoed_in_another_case_is_redacted(server: HostileServer) -> None:
    # httpx lowercases header names, and some servers shout their messages.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        token = request.headers["authorization"].removeprefix("Bearer ")
        body = json.dumps({"message": f"TOKEN {token.upper()} REVOKED"}).encode()
        await write_response(stream, body, status=401, headers={f"x-bad-{token}": "1"})

    server.handler = handler
    async with client(server, api_token=MIXED_CASE_TOKEN) as oms:
        with pytest.raises(errors.AuthenticationError) as caught:
            await oms.rest.categories.get(1)
    text = everything(caught.value).lower()
    assert MIXED_CASE_TOKEN.lower() not in text
    assert "revoked" in text


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_the_http_stacks_own_log_lines_hold_no_echoed_secret(
    server: HostileServer, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpcore logs every response header at DEBUG, httpx the status line's reason at INFO.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        secret = request.form.get("password") or request.headers["authorization"]
        head = f"HTTP/1.1 401 Refused {secret}\r\nx-echo: {secret}\r\ncontent-length: 2\r\n\r\n"
        await stream.send(head.encode() + b"{}")

    server.handler = handler
    caplog.set_level(logging.DEBUG)
    async with client(server, transport=transport) as oms:
        with pytest.raises(errors.AuthenticationError):
            await oms.legacy.orders.search(SINCE)
        with pytest.raises(errors.AuthenticationError):
            await oms.rest.categories.get(1)
    assert "Refused" in caplog.text  # the lines are still written
    assert PASSWORD not in caplog.text
    assert TOKEN not in caplog.text


@respx.mock
@pytest.mark.parametrize("secret", [TOKEN, PASSWORD])
async def test_a_secret_passed_as_an_id_is_in_no_log_line_nor_the_errors_path(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A credential given where a UID belongs: the error read /api/v1/orders/[REDACTED], while
    # the attempt, retry and give-up lines wrote the path as sent.
    respx.get(f"{REST}/api/v1/orders/{secret}").mock(
        side_effect=[
            httpx.ReadError("connection dropped"),
            httpx.Response(503, text="busy"),
            httpx.Response(404, json={}),
        ]
    )
    caplog.set_level(logging.DEBUG, logger="omsclient")
    retry = omsclient.RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.001)
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="fred", password=PASSWORD, rest_url=REST, api_token=TOKEN
    ) as oms:
        with pytest.raises(errors.ServerError) as failed:
            await oms.with_options(retry=retry).rest.orders.get(secret)
        with pytest.raises(errors.NotFoundError) as missing:
            await oms.rest.orders.get(secret)
    for error in (failed.value, missing.value):
        # The attributes code compares keep the path, but for the secret.
        assert error.path == "/api/v1/orders/[REDACTED]"
        assert error.response is not None
        assert error.response.path == "/api/v1/orders/[REDACTED]"
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("omsclient")]
    assert [line.split(" (")[0] for line in lines] == [
        "GET /api/v1/orders/[REDACTED] -> TransportError",
        "retrying GET /api/v1/orders/[REDACTED]",
        "GET /api/v1/orders/[REDACTED] -> 503",
        "giving up on GET /api/v1/orders/[REDACTED]",
        "GET /api/v1/orders/[REDACTED] -> 404",
    ]
    assert secret not in "\n".join(lines)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize("charset", ["latin-1", "utf-8"])
async def test_a_password_not_in_ascii_echoed_in_the_status_line_is_in_no_log_line(
    server: HostileServer, transport: str, charset: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx reads the text as ASCII, its other letters dropped: "psswort-geheim-42" matched no
    # form of the password, in httpx's log line and in the answer's repr. On aiohttp a byte
    # that is no UTF-8 failed the request with a bare UnicodeEncodeError.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        echoed = request.form["password"].encode(charset)
        await stream.send(b"HTTP/1.1 401 Refused %b\r\ncontent-length: 2\r\n\r\n{}" % echoed)

    server.handler = handler
    caplog.set_level(logging.DEBUG)
    async with client(server, transport=transport, password="p\xe4sswort-geheim-42") as oms:
        with pytest.raises(errors.AuthenticationError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert "Refused" in caplog.text
    for text in (caplog.text, everything(caught.value)):
        assert "geheim" not in text


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize(
    ("password", "charset"), [("пароль-2024-12", "cp1251"), ("密码password1", "gbk")]
)
async def test_a_password_echoed_in_a_header_in_a_local_charset_is_in_no_text(
    server: HostileServer,
    transport: str,
    password: str,
    charset: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Read as Latin-1, "пароль" in cp1251 is "ïàðîëü", which no form of the password matched:
    # it stayed, whole, in the error's answer and httpcore's log line of the headers.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        echoed = request.form["password"].encode(charset)
        await stream.send(
            b"HTTP/1.1 401 Refused\r\nx-echo: %b\r\ncontent-length: 2\r\n\r\n{}" % echoed
        )

    server.handler = handler
    caplog.set_level(logging.DEBUG)
    async with client(server, transport=transport, password=password) as oms:
        with pytest.raises(errors.AuthenticationError) as caught:
            await oms.legacy.orders.search(SINCE)
    latin_1 = password.encode(charset).decode("latin-1")
    ascii_part = password.encode("ascii", "ignore").decode()
    for text in (caplog.text, everything(caught.value)):
        assert latin_1 not in text
        assert ascii_part not in text
    assert "x-echo" in everything(caught.value)


@pytest.mark.parametrize("name", ["hpack.hpack", "hpack.table"])
def test_http2_header_logs_are_redacted_too(name: str, caplog: pytest.LogCaptureFixture) -> None:
    # With http2=True, hpack logs every header it encodes and decodes at DEBUG, the request's
    # authorization among them.
    oms = omsclient.AsyncClient(rest_url="https://oms.example.com", api_token=TOKEN)
    caplog.set_level(logging.DEBUG)
    logging.getLogger(name).debug("Encoding %s", ("authorization", f"Bearer {TOKEN}"))
    assert "Encoding" in caplog.text
    assert TOKEN not in caplog.text
    del oms


def test_the_sessions_repr_holds_no_header_value() -> None:
    # Error reporters that capture frame locals (Sentry's default) print every ``self``.
    oms = omsclient.AsyncClient(
        legacy_url="https://shop.example.com",
        username="fred",
        password="a-password",
        default_headers={"X-Api-Key": GATEWAY_KEY},
    )
    text = repr(oms._session)
    assert GATEWAY_KEY not in text
    assert "a-password" not in text
    assert "<2 headers>" in text


@contextlib.contextmanager
def httpx_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """httpx's logger at INFO, writing into the text it yields alone (not propagated)."""
    log = logging.getLogger("httpx")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield log, out
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


def test_a_malformed_record_of_the_http_loggers_is_left_for_logging_to_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A record whose arguments do not fit its format is logging's to report ("--- Logging
    # error ---" on stderr); the redacting filter must not raise it into the code that logged.
    # Held: the loggers redact the secrets of the clients alive, and a client dropped at once
    # is gone by the time of the records whenever a collection runs in between.
    oms = omsclient.AsyncClient(
        legacy_url="https://shop.example.com", username="u", password=PASSWORD
    )
    with httpx_log() as (log, out):
        log.info("%d requests", "many")
        log.info("echo %s", PASSWORD)
    assert "--- Logging error ---" in capsys.readouterr().err
    assert out.getvalue() == f"echo {REDACTED}\n"
    del oms


def test_a_password_holding_another_clients_is_redacted_whole_from_the_http_logs() -> None:
    # Each client's secrets were taken out in turn: past the client of "secret", the one of
    # "pw-secret-1" found "pw-[REDACTED]-1" and left its first and last characters in the log.
    # Which client came first was the order of a set: six nested passwords, one order in 720.
    passwords = [
        "secret",
        "secret-1",
        "pw-secret-1",
        "pw-secret-12",
        "xpw-secret-12",
        "xpw-secret-123",
    ]
    clients = [
        omsclient.AsyncClient(legacy_url="https://shop.example.com", username="u", password=pw)
        for pw in passwords
    ]
    with httpx_log() as (log, out):
        for password in passwords:
            log.info("echo %s.", password)
    assert out.getvalue() == f"echo {REDACTED}.\n" * len(passwords)
    del clients


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_password_beyond_ascii_echoed_in_a_header_is_redacted_from_the_http_logs(
    server: HostileServer, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpcore logs a response's headers as bytes, whose repr writes every byte beyond ASCII
    # as \xNN: the password's UTF-8 bytes (or a one-byte charset's) in a form no text pattern
    # finds.
    password = "pä-ß€cret-1"

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        echo = request.form["password"].encode()
        cp1252 = request.form["password"].encode("cp1252")
        other_case = request.form["password"].replace("ä", "Ä").encode()
        head = b"HTTP/1.1 401 Refused\r\nx-echo: " + echo + b"\r\nx-cp1252: " + cp1252
        head += b"\r\nx-other-case: " + other_case
        await stream.send(head + b"\r\ncontent-length: 2\r\n\r\n{}")

    server.handler = handler
    caplog.set_level(logging.DEBUG)
    async with client(server, transport=transport, password=password) as oms:
        with pytest.raises(errors.AuthenticationError):
            await oms.legacy.orders.search(SINCE)
    if transport == "httpx":
        assert "x-echo" in caplog.text  # the lines are still written
    assert "p\\xc3\\xa4-\\xc3\\x9f\\xe2\\x82\\xaccret-1" not in caplog.text
    assert "p\\xe4-\\xdf\\x80cret-1" not in caplog.text
    assert "p\\xc3\\x84-\\xc3\\x9f\\xe2\\x82\\xaccret-1" not in caplog.text
    assert password not in caplog.text


async def test_errors_pickle_and_copy_whole_and_without_a_secret(server: HostileServer) -> None:
    # A worker process hands its error to the parent pickled (multiprocessing, a process pool):
    # unpickling called the class with the message alone, which the keyword-only attributes
    # refuse, and the pool broke instead of reporting the error.
    from omsclient.legacy.models import Order, Product

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        if request.path.startswith("/api/v1"):
            echo = {"message": f"bad token {TOKEN}", "errors": {"token": [TOKEN]}}
            await write_json(stream, echo, status=400)
        elif request.path.endswith("/manage_orders/find"):
            status = {"code": 30001, "severity": "ERROR", "description": f"no {PASSWORD}"}
            await write_json(stream, {"response_status": status})
        else:
            await write_response(stream, f"<html>no {PASSWORD}</html>".encode())

    server.handler = handler
    caught: list[errors.OmsError] = []
    async with client(server) as oms:
        for call in (
            lambda: oms.legacy.orders.search(SINCE),
            lambda: oms.rest.orders.get("U"),
            lambda: oms.legacy.products.get(5),
        ):
            with pytest.raises(errors.OmsError) as raised:
                await call()
            caught.append(raised.value)
    assert [type(e) for e in caught] == [
        errors.AuthenticationError,
        errors.InvalidRequestError,
        errors.DecodeError,
    ]
    caught += [
        errors.StructureError(list[Order], ["expected a date, got 'soon' @ $[0].date_due"]),
        errors.RunawayPagingError("repeated page", offset=100, total=300),
        errors.ProductsNotFoundError(
            "1 of 2 ids not found: 7",
            operation="legacy.products.get_many",
            method="POST",
            path="/api/json/manage_products/get",
            missing_ids=[7],
            found=[Product(product_id=5)],
        ),
        errors.RequestTimeoutError("read timeout", operation="o", method="GET", path="/p"),
    ]
    for error in caught:
        pickled = pickle.dumps(error)
        assert PASSWORD.encode() not in pickled
        assert TOKEN.encode() not in pickled
        for copied in (pickle.loads(pickled), copy.copy(error), copy.deepcopy(error)):
            assert type(copied) is type(error)
            assert str(copied) == str(error)
            assert repr(copied) == repr(error)
            assert vars(copied) == vars(error)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_password_echoed_in_a_cookie_name_is_redacted_from_the_http_logs(
    server: HostileServer, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    # aiohttp's session parsed every Set-Cookie and logged a name it refused, at WARNING: shown
    # on stderr with no logging configured at all. It keeps no cookie now, and reads none.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        cookie = f"login failed for {request.form['password']}=no"
        await write_response(stream, b"{}", status=401, headers={"set-cookie": cookie})

    server.handler = handler
    caplog.set_level(logging.DEBUG)
    # By a name: aiohttp takes no cookie from an IP address.
    named = server.url.replace("127.0.0.1", "localhost")
    async with client(server, transport=transport, legacy_url=named) as oms:
        with pytest.raises(errors.AuthenticationError):
            await oms.legacy.orders.search(SINCE)
    assert "Illegal cookie name" not in caplog.text
    assert PASSWORD not in caplog.text


def test_clearing_an_errors_frames_leaves_a_suspended_generator_running() -> None:
    """An error caught and kept by a generator that goes on (a wait that notes an item's error
    and sleeps to the next round) may end up in the chain of an error leaving omsclient; before
    Python 3.13, clearing that generator's frame would close it under its owner."""
    from omsclient._redact import forget_frames

    kept: list[BaseException] = []

    def rounds() -> Iterator[int]:
        try:
            raise LookupError("item 2 is unknown")
        except LookupError as exc:
            kept.append(exc)
        yield 1
        yield 2

    waiter = rounds()
    assert next(waiter) == 1
    error = RuntimeError("the round failed")
    error.__context__ = kept[0]
    forget_frames(error)
    assert next(waiter, "closed") == 2


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_non_ascii_password_in_a_malformed_header_line_is_redacted(
    server: HostileServer, transport: str
) -> None:
    # httpx quotes the bad line as a bytes repr (\xc3\xbc for "ü"); aiohttp's parser quoted it
    # twice over. Both transports leave the line out of the message, and out of the chain.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        password = request.form["password"].encode()
        await stream.send(b"HTTP/1.1 200 OK\r\n" + password + b"\r\ncontent-length: 2\r\n\r\n{}")
        close_connection()

    server.handler = handler
    password = "Geheimnis-für-Büro"
    async with client(server, password=password, transport=transport) as oms:
        with pytest.raises(errors.TransportError) as caught:
            await oms.legacy.products.search(ALL_PRODUCTS)
    # The messages, reprs and attributes of the chain (httpcore's and h11's frames keep the
    # bytes they read in their variables, as for any answer cut short).
    text = "\n".join(f"{e} {e!r} {vars(e)!r}" for e in linked(caught.value))
    ending = "illegal header line" if transport == "httpx" else "Invalid header token"
    assert str(caught.value).endswith(ending)
    assert "Geheimnis" not in text
    assert "B\\xc3\\xbcro" not in text


LOGIN_KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("backend", "transport"), [("asyncio", "httpx"), ("trio", "httpx"), ("asyncio", "aiohttp")]
)
@pytest.mark.parametrize("cut", ["stalled", "dropped", "malformed"])
def test_an_answer_cut_short_leaves_what_was_read_in_no_frame(
    server: HostileServer, backend: str, transport: str, cut: str
) -> None:
    # What was read stayed in the variables of the frames that read it (omsclient's, httpx's,
    # httpcore's, h11's, aiohttp's), which an error reporter capturing variables sends on.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        password = request.form["password"]
        if cut == "malformed":
            await stream.send(f"HTTP/1.1 200 OK\r\n{password}\r\n\r\n".encode())
            close_connection()
        body = json.dumps({"echo": password, "url": f"https://x.test/d?id=5&key={LOGIN_KEY}"})
        head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999"
        await stream.send(f"{head}\r\n\r\n{body}".encode())
        if cut == "stalled":
            await anyio.sleep(10)
        close_connection()

    server.handler = handler

    async def search() -> omsclient.OmsError:
        async with client(server, transport=transport, timeout=0.5) as oms:
            with pytest.raises(errors.TransportError) as caught:
                await oms.legacy.products.search(ALL_PRODUCTS)
            return caught.value

    error = anyio.run(search, backend=backend)
    shown = "\n".join(frame_variables(error))
    assert PASSWORD not in shown
    assert LOGIN_KEY not in shown
    # The frames are kept, file and line, for the traceback.
    assert any("httpx" in line or "aiohttp" in line for line in traceback.format_exception(error))


class _JobFailed(Exception):
    def __init__(self, message: str, rows: list[Any]) -> None:
        super().__init__(message)
        self.rows = rows


async def test_the_callers_own_error_is_left_as_it_is(client_kwargs: dict[str, Any]) -> None:
    # A call failing while its caller handled an error of its own redacted that one too, as
    # the call's error's context: its attributes were replaced by copies, and one holding
    # itself was copied for ever (the call never returned).
    rows: list[Any] = [{"id": 1}]
    looped: list[Any] = []
    looped.append(looped)
    for kept in (rows, looped):
        own = _JobFailed("job 7 failed", kept)
        try:
            raise own
        except _JobFailed:
            with respx.mock:
                respx.get(f"{REST}/api/v1/orders/7").respond(404, json={"error": "not found"})
                async with omsclient.AsyncClient(**client_kwargs) as oms:
                    with anyio.fail_after(10), pytest.raises(errors.NotFoundError) as caught:
                        await oms.rest.orders.get("7")
        assert caught.value.__context__ is own
        assert own.rows is kept


@pytest.mark.parametrize("depth", [150, 900])
async def test_an_error_whose_body_nests_deep_pickles_and_copies(
    server: HostileServer, depth: int
) -> None:
    # From 500 levels on, pickle and deepcopy raised RecursionError: a process pool handed its
    # parent that in place of the InvalidRequestError.
    # Written by hand: json.dumps recurses too.
    nested = '{"items":' * depth + '"field required"' + "}" * depth
    body = f'{{"message": "invalid", "errors": {nested}}}'.encode()

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        headers = {"content-type": "application/json"}
        await write_response(stream, body, status=422, headers=headers)

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(errors.InvalidRequestError) as raised:
            await oms.rest.orders.get("U")
    error = raised.value
    for copied in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(copied) is errors.InvalidRequestError
        assert (str(copied), copied.status_code) == (str(error), 422)
        if depth < 200:
            assert copied.body == error.body
        else:
            assert copied.body == "(nested deeper than 200 levels: left out of this copy)"
    assert copy.copy(error).body is error.body  # a shallow copy recurses into nothing


@pytest.mark.parametrize("depth", [300, 600])
def test_a_print_file_error_holding_deep_json_pickles_and_copies(depth: int) -> None:
    # The models it holds (a print file's extra) were not looked into: RecursionError. Then
    # pickle was asked, which from Python 3.12 on takes 600 levels that deepcopy does not
    # (RecursionError again), and on 3.11 kept 300 that the error's bound leaves out.
    from omsclient.rest import PrintFile, PrintFileFailedError, PrintFileStatus

    nested: Any = "x"
    for _ in range(depth):
        nested = {"a": nested}
    failed = PrintFile(ecommerce_order_item_id="A", status=PrintFileStatus.PROCESSING_FAILED)
    failed = attrs.evolve(failed, extra={"trace": nested})
    error = PrintFileFailedError(
        "rest.order_items.wait_for_print_file: the print file of order item 'A' failed",
        item_id="A",
        print_file=failed,
        pending=[],
        print_files={"A": failed},
        operation="rest.order_items.wait_for_print_file",
        method="GET",
        path="/api/v1/order-items/A/print",
        status_code=200,
        body=None,
    )
    left_out = "(nested deeper than 200 levels: left out of this copy)"
    for copied in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(copied) is PrintFileFailedError
        assert (str(copied), copied.item_id) == (str(error), "A")
        assert (copied.print_file, copied.print_files) == (left_out, left_out)
    assert copy.copy(error).print_file is failed


def test_an_error_holding_what_pickle_refuses_still_deep_copies() -> None:
    # Asking pickle whether an attribute nests too deep made deepcopy fail on one that pickle
    # refuses for another reason (a callable set on the error), which it had copied.
    error = errors.ValidationError("bad")
    error.check = lambda: None  # type: ignore[attr-defined]
    assert copy.deepcopy(error).check is error.check  # type: ignore[attr-defined]


async def _told_by_a_failed_get(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """What a REST get failing with a 5xx tells: its message, body, log lines and answer."""
    with (
        caplog.at_level(logging.INFO, logger="omsclient"),
        pytest.raises(errors.ServerError) as caught,
    ):
        await oms.rest.orders.get("U1")
    assert caught.value.response is not None
    return [str(caught.value), repr(caught.value.body), caplog.text, caught.value.response.text]


@respx.mock
async def test_a_cookie_in_the_callers_http_client_jar_is_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # httpx sends the jar's values in a Cookie header of each request: only the client's
    # headers were read for secrets, and an echo of the cookie came back in clear.
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"message": f"refused {request.headers.get('cookie')}"})

    respx.get(url__startswith="https://oms.test/").mock(side_effect=echo)
    http = httpx.AsyncClient(cookies={"gw_session": "COOKIE-SECRET-1234abcd"})
    async with (
        http,
        omsclient.AsyncClient(
            rest_url="https://oms.test",
            api_token="t" * 20,
            http_client=http,
            retry=omsclient.RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.01),
        ) as oms,
    ):
        told = await _told_by_a_failed_get(oms, caplog)
    assert "refused gw_session=" in told[0]
    assert all("COOKIE-SECRET-1234abcd" not in text for text in told)


@respx.mock
async def test_two_tokens_sharing_a_start_are_each_redacted_whole() -> None:
    # Two JWTs share their header: the longer one's cut-short form, tried first, took the
    # other's start and left the rest of it, signature and all, in clear.
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    token = header + "eyJzdWIiOiJhcGkiLCJleHAiOjE3MDAwMDAwMDB9." + "A" * 43
    gateway = header + "eyJzdWIiOiJndyIsImV4cCI6MTcwMDAwMDAwMH0." + "B" * 43
    respx.get(url__startswith="https://oms.test/").respond(
        401, json={"message": f"token {gateway} expired"}
    )
    async with omsclient.AsyncClient(
        rest_url="https://oms.test",
        api_token=token,
        default_headers={"x-gateway-token": gateway},
        max_retries=0,
    ) as oms:
        with pytest.raises(errors.AuthenticationError) as caught:
            await oms.rest.orders.get("U1")
    assert str(caught.value).endswith("HTTP 401: token [REDACTED] expired")


def _echo_credentials(request: httpx.Request) -> httpx.Response:
    sent = " and ".join(v for k, v in request.headers.items() if k.startswith(("x-", "cookie")))
    return httpx.Response(503, json={"message": f"upstream refused {sent}"})


@respx.mock
async def test_a_gateway_key_rotated_or_added_by_a_hook_is_redacted_from_its_calls_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Only the values the caller's http_client held when the client was made were redacted: a
    # token rotated on it, a cookie set in its jar, or a key an event hook adds, came back in
    # clear in the error, the retry log lines and the answer it carries.
    respx.get(url__startswith="https://oms.test/").mock(side_effect=_echo_credentials)

    async def add_key(request: httpx.Request) -> None:
        request.headers["x-api-key"] = "hook-secret-5555cccc6666"

    http = httpx.AsyncClient(
        headers={"x-gateway-token": "gw-first-1111aaaa2222"}, event_hooks={"request": [add_key]}
    )
    async with (
        http,
        omsclient.AsyncClient(
            rest_url="https://oms.test", api_token="t" * 20, http_client=http, max_retries=1
        ) as oms,
    ):
        http.headers["x-gateway-token"] = "gw-rotated-3333bbbb4444"
        http.cookies.set("gw_session", "cookie-rotated-7777dddd")
        told = await _told_by_a_failed_get(oms, caplog)
    assert "upstream refused" in told[0]
    assert "retrying" in caplog.text
    for secret in (
        "gw-rotated-3333bbbb4444",
        "hook-secret-5555cccc6666",
        "cookie-rotated-7777dddd",
    ):
        assert all(secret not in text for text in told), secret


@respx.mock
async def test_a_key_new_with_each_request_is_redacted_from_its_own_call_and_not_kept() -> None:
    # Kept for the call that sent it alone: learned for good, a value changing with every
    # request grew the secrets without end (an error took seconds to redact after 1,000 calls).
    respx.get(url__startswith="https://oms.test/").mock(side_effect=_echo_credentials)
    signed = iter(range(1000, 2000))

    async def sign(request: httpx.Request) -> None:
        request.headers["x-signature"] = f"sig-{next(signed)}-0123456789"

    async with (
        httpx.AsyncClient(event_hooks={"request": [sign]}) as http,
        omsclient.AsyncClient(
            rest_url="https://oms.test", api_token="t" * 20, http_client=http, max_retries=2
        ) as oms,
    ):
        known = len(oms._session.redact._secrets)
        failed: list[errors.ServerError] = []

        async def call() -> None:
            with pytest.raises(errors.ServerError) as caught:
                await oms.rest.orders.get("U1")
            failed.append(caught.value)

        async with anyio.create_task_group() as tasks:  # in flight together
            for _ in range(5):
                tasks.start_soon(call)
        assert len(oms._session.redact._secrets) == known
    assert len(failed) == 5
    for error in failed:
        assert error.response is not None
        for text in (str(error), error.response.text):
            assert "upstream refused" in text
            assert "sig-1" not in text, text


@respx.mock
async def test_a_hook_added_key_is_redacted_from_a_shape_error_found_after_its_call() -> None:
    # A search's rows are checked once the call has ended: the error's answer and snippet were
    # redacted with the session's secrets alone.
    async def add_key(request: httpx.Request) -> None:
        request.headers["x-api-key"] = "hook-secret-8888eeee9999"

    def echo(request: httpx.Request) -> httpx.Response:
        body = ok(orders="nope", total=1, note=f"key {request.headers['x-api-key']}")
        return httpx.Response(200, json=body)

    respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(side_effect=echo)
    async with (
        httpx.AsyncClient(event_hooks={"request": [add_key]}) as http,
        omsclient.AsyncClient(
            legacy_url=LEGACY, username="u", password=PASSWORD, http_client=http, max_retries=0
        ) as oms,
    ):
        with pytest.raises(errors.DecodeError, match="not an array") as caught:
            await oms.legacy.orders.search(SINCE)
    error = caught.value
    assert error.response is not None
    assert "key [REDACTED]" in error.snippet
    assert "hook-secret" not in error.response.text + error.snippet + repr(error)


@respx.mock
@pytest.mark.parametrize("read", ["search", "iterate", "scan", "product"])
async def test_a_hook_added_key_is_redacted_from_a_row_read_after_its_call(read: str) -> None:
    # Rows are built once the call has ended (an iterator builds them once its next requests
    # are out): a value quoted by the error building one was redacted with the session's
    # secrets alone, the key the call's request carried left in clear.
    key = "hook-secret-8888eeee9999"

    async def add_key(request: httpx.Request) -> None:
        request.headers["x-api-key"] = key

    order = {"order_id": "INV5", "date_ordered": f"not a date {key}"}
    product = {"product_id": 1, "product_name": "Tee", "sizes": f"many {key}"}
    respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(json=ok(orders=[order], total=1))
    respx.post(f"{LEGACY}/api/json/manage_products/get").respond(json=ok(products=[product]))
    async with (
        httpx.AsyncClient(event_hooks={"request": [add_key]}) as http,
        omsclient.AsyncClient(
            legacy_url=LEGACY, username="u", password=PASSWORD, http_client=http, max_retries=0
        ) as oms,
    ):
        reads = {
            "search": lambda: oms.legacy.orders.search(SINCE),
            "iterate": lambda: anext(aiter(oms.legacy.orders.iterate(SINCE))),
            "scan": lambda: anext(aiter(oms.legacy.orders.scan(since="2024-01-01"))),
            "product": lambda: oms.legacy.products.get_many([1]),
        }
        with pytest.raises((errors.StructureError, errors.DecodeError)) as caught:
            await reads[read]()
    error = caught.value
    told = [str(error), repr(error), str(getattr(error, "snippet", ""))]
    assert "[REDACTED]" in told[0]
    assert all(key not in text for text in told), told


async def test_a_hook_added_key_is_redacted_from_the_http_stacks_own_log_lines(
    server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    # httpcore logs an answer's headers at DEBUG, and httpx its status line at INFO, while the
    # request is sent: before the call had read what its event hooks added.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        key = request.headers["x-api-key"]
        headers = {"x-echo": key}
        await write_response(stream, b"{}", status=401, reason=f"Denied {key}", headers=headers)

    async def add_key(request: httpx.Request) -> None:
        request.headers["x-api-key"] = "hook-secret-4444ffff5555"

    server.handler = handler
    caplog.set_level(logging.DEBUG)
    async with (
        httpx.AsyncClient(event_hooks={"request": [add_key]}) as http,
        client(server, http_client=http) as oms,
    ):
        with pytest.raises(errors.AuthenticationError):
            await oms.rest.orders.get("U1")
    assert "receive_response_headers.complete" in caplog.text
    assert "HTTP Request: GET" in caplog.text
    assert "hook-secret" not in caplog.text


@respx.mock
async def test_a_password_starting_like_the_sdks_words_leaves_an_errors_call_fields_whole() -> None:
    # The cut-short form of "Orders2024!" matches "orders": the error's operation read
    # "legacy.[REDACTED].search" and its path "/api/json/manage_[REDACTED]/find", which code
    # compares and metrics are keyed on.
    respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(503, text="busy")
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="Orders2024!", max_retries=0
    ) as oms:
        with pytest.raises(errors.ServerError) as caught:
            await oms.legacy.orders.search(SINCE)
    error = caught.value
    assert (error.operation, error.method, error.path) == (
        "legacy.orders.search",
        "POST",
        "/api/json/manage_orders/find",
    )


@pytest.mark.parametrize("ending", ["failed", "timeout"])
async def test_a_hook_added_key_is_redacted_from_a_print_file_waits_errors(ending: str) -> None:
    # The wait's errors quote its polls' answers once those calls have ended (the failed
    # file's body, the last status): redacted with the session's secrets alone, a key the
    # caller's event hook added to each poll was left in clear.
    key = "hook-secret-8888eeee9999"

    def answer(request: httpx.Request) -> httpx.Response:
        item = request.url.path.split("/")[-2]
        if ending == "failed":
            body = {"ecommerce_order_item_id": item, "status": "processingfailed"}
            return httpx.Response(200, json={**body, "message": f"bad key {key}"})
        return httpx.Response(200, json={"ecommerce_order_item_id": item, "status": f"w-{key}"})

    async def add_key(request: httpx.Request) -> None:
        request.headers["x-api-key"] = key

    async with (
        httpx.AsyncClient(
            transport=httpx.MockTransport(answer), event_hooks={"request": [add_key]}
        ) as http,
        omsclient.AsyncClient(
            rest_url="http://rest.test", api_token="t" * 20, http_client=http, max_retries=0
        ) as oms,
    ):
        with pytest.raises((PrintFileFailedError, PrintFileTimeoutError)) as caught:
            await oms.rest.order_items.wait_for_print_files(
                ["A", "B"], timeout=0.3, initial_interval=0.05, max_interval=0.05
            )
    told = [str(caught.value), repr(getattr(caught.value, "body", None))]
    assert "[REDACTED]" in told[0 if ending == "timeout" else 1]
    assert all(key not in text for text in told), told


@attrs.define(eq=False)
class _Linked:
    name: str
    other: Any = None


def test_an_error_holding_a_cycle_of_models_copies_them_whole() -> None:
    # Walked as a tree, the cycle counted past 200 levels: left out, "nested deeper than 200".
    first, second = _Linked("first"), _Linked("second")
    first.other, second.other = second, first
    error = omsclient.OmsError("x")
    error.linked = first  # type: ignore[attr-defined]
    for copied in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        kept = copied.linked  # type: ignore[attr-defined]
        assert isinstance(kept, _Linked)
        assert (kept.name, kept.other.name, kept.other.other) == ("first", "second", kept)


# A credential the client never knew (an old token a gateway quotes back, a proxy's own).
UNKNOWN = "eyJhbGciOiJIUzI1NiJ9.old-token.sig"


# Without the catch-all, a Bearer credential the client did not send was quoted whole in the
# error's message and body; no test sent one.
@respx.mock
async def test_a_bearer_credential_the_client_never_knew_is_redacted_from_an_error(
    oms: omsclient.AsyncClient,
) -> None:
    respx.get(f"{REST}/api/v1/orders/U1").respond(
        401, json={"message": f"token revoked: Authorization: Bearer {UNKNOWN}"}
    )
    with pytest.raises(errors.ApiError) as caught:
        await oms.rest.orders.get("U1")
    assert UNKNOWN not in str(caught.value)
    assert UNKNOWN not in repr(caught.value.body)
    assert Redactor()(f"Bearer {UNKNOWN}") == "Bearer [REDACTED]"
