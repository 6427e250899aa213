"""Proxy settings from the environment keep one pool per event loop: a client serves
``asyncio.run`` (and trio) one after another through the proxy, or past it for ``NO_PROXY``."""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.abc
import certifi
import httpx
import pytest

import omsclient
from omsclient import _proxies
from omsclient._orphans import reclaim_orphans
from omsclient.legacy import Condition, Op, OrderField, StatusChange

from .conftest import free_port
from .hostile import HostileServer, Request, hostile_server, linked, write_json

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
    status = {"code": 10001, "severity": "SUCCESS", "description": ""}
    await write_json(stream, {"response_status": status, "total": 0, "orders": []})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with hostile_server() as running:
        running.handler = answer
        yield running


def search_from_each_loop(legacy_url: str) -> list[str]:
    """Search with one client from two ``asyncio.run`` calls and a ``trio`` run, then close it;
    return the ResourceWarnings seen."""
    gc.collect()  # what earlier tests left warns now, not below: only this client's count
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oms = omsclient.AsyncClient(
            legacy_url=legacy_url, username="u", password="p" * 8, max_retries=0, timeout=5
        )

        async def search() -> int:
            return (await oms.legacy.orders.search(SINCE)).total

        assert asyncio.run(search()) == 0
        assert asyncio.run(search()) == 0
        assert anyio.run(search, backend="trio") == 0
        asyncio.run(oms.aclose())
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_requests_go_through_an_http_proxy_from_every_loop(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hostile server is the proxy: it answers requests for a host that does not exist.
    monkeypatch.setenv("HTTP_PROXY", server.url)
    assert search_from_each_loop("http://oms.invalid") == []
    assert [r.path for r in server.requests] == [
        "http://oms.invalid/api/json/manage_orders/find"
    ] * 3


@pytest.mark.parametrize(
    "environment",
    [
        {"NO_PROXY": "localhost"},
        {"no_proxy": "localhost,127.0.0.1"},
        {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"},
        {"ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "*"},
    ],
    ids=["NO_PROXY alone", "no_proxy lower case", "bypassed proxy", "NO_PROXY=*"],
)
def test_a_bypassed_proxy_keeps_one_pool_per_loop(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert search_from_each_loop(server.url) == []
    assert [r.path for r in server.requests] == ["/api/json/manage_orders/find"] * 3


def test_connections_orphaned_behind_a_proxy_are_taken_back(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool a proxy mount keeps is cleaned like the direct one (httpcore#1093)."""
    monkeypatch.setenv("HTTP_PROXY", server.url)

    async def main() -> int:
        async with omsclient.AsyncClient(
            legacy_url="http://oms.invalid", username="u", password="p" * 8, max_retries=0
        ) as oms:
            await oms.legacy.orders.search(SINCE)
            http = oms._session.http
            mounted = [t.current() for t in http._mounts.values() if t is not None]
            (proxied,) = [t._pool for t in mounted if t is not None and t._pool._connections]
            # A connection the pool holds busy for no request: what a cancelled wait leaves.
            orphan = proxied._connections[0]
            monkeypatch.setattr(orphan, "is_idle", lambda: False)
            reclaimed = await reclaim_orphans(http)
            assert orphan not in proxied._connections
            return reclaimed

    assert asyncio.run(main()) == 1


@pytest.mark.parametrize(
    ("environment", "proxied"),
    [
        ({"HTTP_PROXY": "{server}"}, True),
        ({"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}, False),
    ],
    ids=["through the proxy", "bypassed proxy"],
)
def test_the_aiohttp_transport_follows_the_proxy_settings_too(
    server: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    proxied: bool,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value.format(server=server.url))
    # Through the proxy, the host does not exist: only the proxy can answer for it.
    legacy_url = "http://oms.invalid" if proxied else server.url
    oms = omsclient.AsyncClient(
        legacy_url=legacy_url,
        username="u",
        password="p" * 8,
        max_retries=0,
        timeout=5,
        transport="aiohttp",
    )

    async def search() -> int:
        return (await oms.legacy.orders.search(SINCE)).total

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(search()) == 0
        assert asyncio.run(search()) == 0
        asyncio.run(oms.aclose())
        gc.collect()
    # Each loop's aiohttp session, the proxy's included, was closed by its loop.
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    path = "/api/json/manage_orders/find"
    assert [r.path for r in server.requests] == [
        f"http://oms.invalid{path}" if proxied else path
    ] * 2


def make(transport: str = "httpx") -> omsclient.AsyncClient:
    """A client of hosts that do not exist: only a proxy can answer for them."""
    return omsclient.AsyncClient(
        legacy_url="http://oms.invalid",
        rest_url="https://oms.invalid",
        username="u",
        password="p" * 8,
        max_retries=0,
        timeout=5,
        transport=transport,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("target", ["http", "https"])
@pytest.mark.parametrize("password", ["proxy-secret", "pässwört€"])
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_proxy_password_goes_to_the_proxy_as_basic_auth(
    server: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
    password: str,
    target: str,
) -> None:
    # On aiohttp the credentials went through its deprecated proxy_auth (two
    # DeprecationWarnings a request, errors under -W error) encoded as Latin-1, which has no
    # "€": a bare UnicodeEncodeError. Both transports now send UTF-8, as httpx does, to the
    # proxy of a plain request and to the CONNECT of a tunnel.
    async def refuse_tunnels(request: Request, stream: anyio.abc.SocketStream) -> None:
        if request.method != "CONNECT":
            await answer(request, stream)
            return
        await stream.send(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")

    server.handler = refuse_tunnels
    host_port = server.url.removeprefix("http://")
    quoted = httpx.URL(f"http://proxy-user:{password}@{host_port}")  # escapes the password
    monkeypatch.setenv(f"{target.upper()}_PROXY", str(quoted))

    async def search() -> None:
        async with omsclient.AsyncClient(
            legacy_url=f"{target}://oms.invalid",
            username="u",
            password="p" * 8,
            max_retries=0,
            timeout=5,
            transport=transport,  # type: ignore[arg-type]
        ) as oms:
            if target == "http":
                assert (await oms.legacy.orders.search(SINCE)).total == 0
            else:
                with pytest.raises(omsclient.TransportError, match="403 Forbidden"):
                    await oms.legacy.orders.search(SINCE)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(search())
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []
    (request,) = server.requests
    assert request.method == ("POST" if target == "http" else "CONNECT")
    headers = {name.lower(): value for name, value in request.headers.items()}
    sent = base64.b64encode(f"proxy-user:{password}".encode()).decode()
    assert headers["proxy-authorization"] == f"Basic {sent}"


def update_through_the_proxy(
    transport: str = "httpx", timeout: float = 5
) -> omsclient.TransportError:
    """The error of a status update to a host only the proxy of ``HTTPS_PROXY`` can reach,
    tried three times."""

    async def update() -> omsclient.TransportError:
        async with omsclient.AsyncClient(
            legacy_url="https://oms.invalid",
            username="u",
            password="p" * 8,
            retry=omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.001),
            timeout=timeout,
            transport=transport,  # type: ignore[arg-type]
        ) as oms:
            with pytest.raises(omsclient.TransportError) as caught:
                await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
            return caught.value

    return asyncio.run(update())


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_proxy_refusing_the_tunnel_is_a_proxy_error_on_both_transports(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    async def refuse(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(
            b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n"
        )

    server.handler = refuse
    monkeypatch.setenv("HTTPS_PROXY", server.url)
    error = update_through_the_proxy(transport)
    assert isinstance(error.__cause__, httpx.ProxyError)
    # The request never reached the server: not applied, so even a write is tried again.
    assert error.maybe_applied is False
    assert error.attempts == 3
    # The same words on both: the URL tried and the proxy (aiohttp's said the path alone,
    # and "407, message='...', url='...'").
    assert str(error).startswith(
        "legacy.orders.update_status: ProxyError on POST https://oms.invalid/api/json/"
        f"manage_orders/update_order_status through the proxy HTTPS_PROXY names ({server.url}): "
        "407 Proxy Authentication Required"
    )


@pytest.mark.parametrize("charset", ["utf-8", "latin-1"])
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_proxy_password_beyond_ascii_echoed_in_the_tunnels_refusal_is_redacted(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, transport: str, charset: str
) -> None:
    # httpcore reads the refusal's status line as ASCII, dropping the other bytes: the rest of
    # the password ("Psswrt-Geheim-2026") was in the error, its logs and its cause. aiohttp kept
    # each byte that is no UTF-8 as a lone surrogate, which repr() wrote out as "\udce4".
    password = "Pässwört-Geheim-2026"

    async def refuse(request: Request, stream: anyio.abc.SocketStream) -> None:
        reason = f"Wrong password {password} for corp-user".encode(charset)
        await stream.send(b"HTTP/1.1 407 " + reason + b"\r\ncontent-length: 0\r\n\r\n")

    server.handler = refuse
    host_port = server.url.removeprefix("http://")
    monkeypatch.setenv(
        "HTTPS_PROXY", f"http://corp-user:P%C3%A4ssw%C3%B6rt-Geheim-2026@{host_port}"
    )
    error = update_through_the_proxy(transport)
    assert "407 Wrong password [REDACTED] for corp-user" in str(error)
    shown = " ".join(f"{e} {e!r}" for e in linked(error))
    assert "Geheim-2026" not in shown
    assert "\\udc" not in shown


def test_a_tunnel_that_never_opens_is_a_write_never_sent(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # httpcore sends the proxy's CONNECT with the request's trace: its headers going out were
    # taken for the request's, and a proxy that never answered it made a write "may have been
    # applied", not tried again.
    async def never_answers(request: Request, stream: anyio.abc.SocketStream) -> None:
        await anyio.sleep(30)

    server.handler = never_answers
    monkeypatch.setenv("HTTPS_PROXY", server.url)
    error = update_through_the_proxy(timeout=0.3)
    assert error.maybe_applied is False
    assert error.attempts == 3
    assert [r.method for r in server.requests] == ["CONNECT"] * 3


@pytest.mark.parametrize("quoted", ["headers", "credential alone"])
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_proxy_echoing_its_credentials_has_them_redacted(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, transport: str, quoted: str
) -> None:
    # Quoted alone, not after its header's name, the Basic value must go too: it decodes to
    # the proxy's password.
    async def echo(request: Request, stream: anyio.abc.SocketStream) -> None:
        basic = request.headers.get("proxy-authorization", "").removeprefix("Basic ")
        sent = request.headers if quoted == "headers" else basic
        await write_json(stream, {"message": f"proxy says no: {sent}"}, status=502)

    server.handler = echo
    host_port = server.url.removeprefix("http://")
    monkeypatch.setenv("HTTP_PROXY", f"http://proxy-user:Pr0xy%40S3cret@{host_port}")

    async def search() -> omsclient.OmsError:
        async with make(transport) as oms:
            with pytest.raises(omsclient.ServerError) as caught:
                await oms.legacy.orders.search(SINCE)
            return caught.value

    error = asyncio.run(search())
    text = f"{error} {error.body}"
    assert "proxy says no" in text
    assert quoted != "headers" or "proxy-authorization" in text.lower()
    assert "Pr0xy@S3cret" not in text
    assert base64.b64encode(b"proxy-user:Pr0xy@S3cret").decode() not in text


def test_the_credentials_of_a_proxy_on_the_callers_own_http_client_are_redacted(
    server: HostileServer,
) -> None:
    # The client knows the environment's proxies, not those of an http_client it is given:
    # a proxy echoing the request showed the Basic value, which decodes to the password.
    async def echo(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_json(stream, {"message": f"proxy says no: {request.headers}"}, status=502)

    server.handler = echo
    host_port = server.url.removeprefix("http://")

    async def search() -> omsclient.OmsError:
        proxy = f"http://proxy-user:Pr0xy%40S3cret@{host_port}"
        async with (
            httpx.AsyncClient(proxy=proxy, trust_env=False) as http,
            omsclient.AsyncClient(
                legacy_url="http://oms.invalid", username="u", password="p" * 8, http_client=http
            ) as oms,
        ):
            with pytest.raises(omsclient.ServerError) as caught:
                await oms.with_options(max_retries=0).legacy.orders.search(SINCE)
            return caught.value

    error = asyncio.run(search())
    text = f"{error} {error.body}"
    assert "proxy-authorization': 'basic [redacted]" in text.lower()
    assert base64.b64encode(b"proxy-user:Pr0xy@S3cret").decode() not in text


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize(
    ("variable", "url", "message"),
    [
        ("HTTPS_PROXY", "ftp://fred:Pr0xy-S3cret@proxy.test:21", "a ftp:// proxy, which httpx"),
        ("HTTP_PROXY", "gopher://fred:Pr0xy-S3cret@proxy.test", "a gopher:// proxy"),
    ],
)
def test_a_proxy_of_a_scheme_httpx_cannot_use_is_refused_when_the_client_is_made(
    server: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
    variable: str,
    url: str,
    message: str,
) -> None:
    # It failed every request with a ValueError, no OmsError.
    monkeypatch.setenv(variable, url)
    with pytest.raises(omsclient.ConfigurationError, match=f"^{variable} names {message}") as info:
        make(transport)
    assert "Pr0xy" not in str(info.value)
    assert "fred" not in str(info.value)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize(
    "url",
    [
        "http://fred:Pr0xy/S3cret@proxy.test:3128",
        "http://fred:Pr0xy#S3cret@proxy.test:3128",
        "http://fred:Pr0xy?S3cret@proxy.test:3128",
        "http://fred:Pr0xyS3cret@[proxy.test]:3128",
    ],
)
def test_a_proxy_url_httpx_cannot_read_is_refused_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, transport: str, url: str
) -> None:
    # httpx.InvalidURL("Invalid port: 'Pr0xy'") escaped, no OmsError, quoting the password;
    # then it went on as the refusal's context, which error reporters print.
    monkeypatch.setenv("HTTPS_PROXY", url)
    with pytest.raises(omsclient.ConfigurationError, match=r"^HTTPS_PROXY is not a valid") as info:
        make(transport)
    for error in linked(info.value):
        assert "Pr0xy" not in repr(error)
        assert "fred" not in repr(error)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://fred:Pr0xyS3cret@127.0.0.1:99999", "names a proxy port out of range"),
        ("http://fred:Pr0xyS3cret@127.0.0.1:0", "names a proxy port out of range"),
        ("http://fred:Pr0xyS3cret@proxy..test:3128", "has no valid proxy host name"),
        ("http://fred:Pr0xyS3cret@", "names no proxy host"),
        (" http://fred:Pr0xyS3cret@proxy.test:3128 ", "has spaces around its URL"),
    ],
)
def test_a_proxy_no_request_could_reach_is_refused_when_the_client_is_made(
    monkeypatch: pytest.MonkeyPatch, transport: str, url: str, problem: str
) -> None:
    # httpx and aiohttp took them, and the first request failed with an OverflowError or a
    # UnicodeError that is no client error, or a connection error retried as if it were down.
    monkeypatch.setenv("HTTP_PROXY", url)
    with pytest.raises(omsclient.ConfigurationError, match=f"^HTTP_PROXY {problem}") as info:
        make(transport)
    assert "Pr0xy" not in str(info.value)
    assert "fred" not in str(info.value)


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("https_proxy", "http://proxy.test:99999"),
        ("http_proxy", "http://proxy..test:3128"),
        ("all_proxy", "ftp://proxy.test:21"),
    ],
)
def test_a_bad_proxy_is_named_by_the_variable_as_the_environment_spells_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    # A lowercase variable was named in upper case, which the user's environment did not hold.
    monkeypatch.setenv(variable, url)
    with pytest.raises(omsclient.ConfigurationError, match=f"^{variable} "):
        make("httpx")


def test_a_socks_proxy_needs_a_transport_that_sends_through_it(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each failed every request, with an ImportError or aiohttp's own error.
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    with pytest.raises(omsclient.ConfigurationError, match='transport="aiohttp" cannot send'):
        make("aiohttp")
    monkeypatch.setattr(_proxies, "find_spec", lambda name: None)
    with pytest.raises(omsclient.ConfigurationError, match=r"needs socksio: pip install"):
        make()
    monkeypatch.setattr(_proxies, "find_spec", lambda name: object())
    assert make() is not None
    monkeypatch.setenv("NO_PROXY", "*")
    assert make("aiohttp") is not None  # NO_PROXY=* leaves no proxy to check


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_proxy_no_request_of_the_client_takes_is_not_checked(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    # A SOCKS ALL_PROXY refused a client of a server NO_PROXY names (the sandbox, which
    # names its own host there), and an HTTPS_PROXY of another scheme a client on http://.
    monkeypatch.setattr(_proxies, "find_spec", lambda name: None)
    monkeypatch.setenv("ALL_PROXY", "socks5://fred:Pr0xyS3cret@proxy.test:1080")
    monkeypatch.setenv("HTTPS_PROXY", "ftp://fred:Pr0xyS3cret@proxy.test:21")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    oms = omsclient.AsyncClient(
        legacy_url=server.url,
        username="u",
        password="p" * 8,
        max_retries=0,
        transport=transport,  # type: ignore[arg-type]
    )

    async def search() -> int:
        async with oms:
            return (await oms.legacy.orders.search(SINCE)).total

    assert anyio.run(search) == 0
    assert len(server.requests) == 1
    # Once a base URL would take the proxy, it is checked as before.
    with pytest.raises(omsclient.ConfigurationError, match=r"^HTTPS_PROXY names a ftp://"):
        omsclient.AsyncClient(
            legacy_url=server.url, rest_url="https://oms.invalid", username="u", password="p" * 8
        )
    monkeypatch.delenv("NO_PROXY")
    with pytest.raises(omsclient.ConfigurationError, match=r"^ALL_PROXY names a SOCKS proxy"):
        omsclient.AsyncClient(legacy_url=server.url, username="u", password="p" * 8)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_certificates_the_environment_names_must_be_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, transport: str, variable: str
) -> None:
    # httpx failed every request with a FileNotFoundError; aiohttp trusted no certificate.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv(variable, str(tmp_path / "gone"))
    with pytest.raises(omsclient.ConfigurationError, match=f"^{variable} names '.*gone', which"):
        make(transport)
    monkeypatch.setenv(variable, certifi.where() if variable == "SSL_CERT_FILE" else str(tmp_path))
    assert make(transport) is not None


def test_a_list_of_certificate_directories_is_taken_as_openssl_takes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # OpenSSL reads SSL_CERT_DIR as a list, parted as PATH is: the whole was refused as no
    # directory.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv("SSL_CERT_DIR", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert make() is not None
    # One of them missing (an optional one an image lists) is skipped, as OpenSSL skips it:
    # the whole list was refused. None there is refused.
    monkeypatch.setenv("SSL_CERT_DIR", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'gone'}")
    assert make() is not None
    monkeypatch.setenv("SSL_CERT_DIR", f"{tmp_path / 'gone'}{os.pathsep}{tmp_path / 'lost'}")
    with pytest.raises(omsclient.ConfigurationError, match=r"^SSL_CERT_DIR names"):
        make()


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize("content", ["", "not a certificate\n"])
def test_a_certificate_file_holding_no_certificate_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, transport: str, content: str
) -> None:
    # Taken, every request failed with a bare ssl.SSLError naming neither the file nor the
    # variable, which the command reported as a failure to write its own output.
    bundle = tmp_path / "ca.pem"
    bundle.write_text(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(omsclient.ConfigurationError, match=r"^SSL_CERT_FILE names .* no certif"):
        make(transport)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_connection_that_failed_through_a_proxy_names_the_proxy(
    monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    # The URL alone pointed at the API's host, which no connection had tried: the proxy's was
    # the one refused. Its address is named, never its user or password.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    port = free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://proxy-user:proxy-secret@127.0.0.1:{port}")
    async with omsclient.AsyncClient(
        legacy_url="http://shop.test", username="u", password="p" * 8, transport=transport
    ) as oms:
        with pytest.raises(omsclient.TransportError) as caught:
            await oms.with_options(max_retries=0).legacy.orders.search(SINCE)
    message = str(caught.value)
    assert (
        "on POST http://shop.test/api/json/manage_orders/find through the proxy HTTP_PROXY "
        f"names (http://127.0.0.1:{port})" in message
    )
    assert "proxy-secret" not in message
    assert "proxy-user" not in message


async def test_a_failed_connection_names_the_proxy_the_client_took_not_the_environments_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The transports took their proxies when the client was made: a variable set or cleared
    # since changes nothing they do, and the message named a proxy never contacted.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    port, proxy_port = free_port(), free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = omsclient.AsyncClient(
        legacy_url=f"http://127.0.0.1:{port}", username="u", password="p" * 8, max_retries=0
    )
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy_port}")
    proxied = omsclient.AsyncClient(
        legacy_url="http://shop.test", username="u", password="p" * 8, max_retries=0
    )
    monkeypatch.delenv("http_proxy")
    monkeypatch.setenv("HTTP_PROXY", "http://other.test:9")
    async with direct, proxied:
        with pytest.raises(omsclient.TransportError) as went_direct:
            await direct.legacy.orders.search(SINCE)
        with pytest.raises(omsclient.TransportError) as went_through:
            await proxied.legacy.orders.search(SINCE)
    assert "proxy" not in str(went_direct.value)
    # Named as the environment spelled it when the client took it: a user grepping for
    # HTTP_PROXY would find nothing, or another proxy.
    assert f"through the proxy http_proxy names (http://127.0.0.1:{proxy_port})" in str(
        went_through.value
    )


def test_a_no_proxy_entry_httpx_cannot_read_leaves_the_other_proxies_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "[::1]" (httpx makes "all://*[::1]" of it) failed every pattern's match, so the
    # HTTPS_PROXY a client's URL takes was dropped, and its requests went out directly.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,[::1]")
    proxies = _proxies.environment_proxies("httpx", ["https://oms.example.com"])
    assert {pattern: str(p.url) for pattern, p in proxies.items() if p} == {
        "https://": "http://proxy.test:3128"
    }
    assert _proxies.proxy_for("https://oms.example.com") == (
        "HTTPS_PROXY",
        "http://proxy.test:3128",
    )
