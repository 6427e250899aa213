"""TLS failures reach the caller as the client's own errors, on either transport."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import trustme
from cryptography import x509

import omsclient
from omsclient import cli
from omsclient.legacy import Condition, Op, OrderField, StatusChange

from .conftest import FAST_RETRY
from .test_rest_answers_and_retries import ITEM

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")


@contextlib.contextmanager
def serving(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A listener on 127.0.0.1 handing each connection to ``handle`` in a thread; its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        # Closing alone leaves the thread in accept() until the join gives up; shutting the
        # listener down wakes it.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)
    assert not thread.is_alive()


@pytest.fixture
def needs_a_client_certificate(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An HTTPS server that, like a mutual-TLS gateway, requires a client certificate: under TLS
    1.3 its refusal, an alert, comes once the client's handshake is over, when it reads."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED

    def refuse(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            context.wrap_socket(connection, server_side=True)
        # Open a while after the alert, as a server tearing down: the client's write goes
        # through, and its read gets the alert (or, as often, the connection's end).
        time.sleep(0.3)
        connection.close()

    with serving(refuse) as port, ca.cert_pem.tempfile() as ca_file:
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        yield f"https://localhost:{port}"


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_tls_alert_after_the_handshake_is_a_transport_error(
    needs_a_client_certificate: str, transport: str
) -> None:
    # On httpx it escaped as a bare ssl.SSLError, which the command took for a failure of
    # its own output file ("cannot write the export ...").
    async with omsclient.AsyncClient(
        legacy_url=needs_a_client_certificate,
        username="u",
        password="p",
        max_retries=0,
        transport=transport,
    ) as oms:
        for _ in range(10):
            with pytest.raises(omsclient.TransportError) as info:
                await oms.legacy.orders.search(SINCE)
            assert info.value.maybe_applied is True


_EMPTY_PAGE = (
    b'{"response_status": {"code": 10001, "severity": "SUCCESS", "description": ""}, '
    b'"orders": [], "total": 0}'
)


@pytest.fixture
def https_server() -> Iterator[tuple[str, trustme.CA]]:
    """An HTTPS server answering every request with an empty page of orders, and its CA."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)

    def answer(connection: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True) as tls:
            received = b""
            while True:
                head, _, body = received.partition(b"\r\n\r\n")
                if not _:
                    chunk = tls.recv(65536)
                    if not chunk:
                        return
                    received += chunk
                    continue
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length:
                    body += tls.recv(65536)
                received = body[length:]
                tls.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(_EMPTY_PAGE)}\r\n\r\n".encode()
                    + _EMPTY_PAGE
                )

    with serving(answer) as port:
        yield f"https://localhost:{port}", ca


async def test_clients_load_the_certificates_to_trust_once(
    https_server: tuple[str, trustme.CA], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Each client loaded SSL_CERT_FILE as it was made (to check it) and again for its first
    # HTTPS pool: about 50 ms of CPU each time, for a program making a client per job.
    url, ca = https_server
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(ca.cert_pem.bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    # The first client loads the file (aiohttp makes its own context too, as it is imported).
    omsclient.AsyncClient(legacy_url=url, username="u", password="p", transport="aiohttp")
    loaded: list[str | None] = []
    load = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        loaded.append(kwargs.get("cafile"))
        return load(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)

    async def search_twice() -> None:
        for _ in range(2):
            async with omsclient.AsyncClient(
                legacy_url=url, username="u", password="p", max_retries=0
            ) as oms:
                assert (await oms.legacy.orders.search(SINCE)).total == 0
        async with omsclient.AsyncClient(
            legacy_url=url, username="u", password="p", max_retries=0, transport="aiohttp"
        ) as oms:
            assert (await oms.legacy.orders.search(SINCE)).total == 0
        with omsclient.Client(legacy_url=url, username="u", password="p", max_retries=0) as oms:
            assert oms.legacy.orders.search(SINCE).total == 0

    await search_twice()
    assert loaded == []
    # Another CA's certificates in the same file too: loaded again, once, and trusted.
    other = trustme.CA()
    bundle.write_bytes(other.cert_pem.bytes() + ca.cert_pem.bytes())
    await search_twice()
    assert loaded == [str(bundle)]
    # A file no longer trusting the server's CA: the context loaded before is not used.
    bundle.write_bytes(other.cert_pem.bytes())
    async with omsclient.AsyncClient(
        legacy_url=url, username="u", password="p", max_retries=0
    ) as oms:
        with pytest.raises(omsclient.TransportError, match="certificate"):
            await oms.legacy.orders.search(SINCE)


def _der(tag: int, body: bytes) -> bytes:
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8 or 1, "big")
    return bytes([tag]) + (size if len(body) < 128 else bytes([0x80 | len(size)]) + size) + body


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    body = b""
    for arc in (40 * first + second, *rest):
        digits = [arc & 0x7F]
        while arc := arc >> 7:
            digits.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(digits))
    return _der(0x06, body)


def _subject_hash(pem: bytes) -> str:
    """The name OpenSSL looks a certificate up by in a directory, as ``openssl x509 -hash``
    gives it: the SHA-1 of the subject with each value as UTF-8, trimmed, its spaces collapsed
    and lowercased (for the ASCII names trustme writes)."""
    canonical = b""
    for rdn in x509.load_pem_x509_certificate(pem).subject.rdns:
        values = b""
        for value in rdn:
            text = re.sub(r"\s+", " ", str(value.value).strip()).lower()
            values += _der(0x30, _oid(value.oid.dotted_string) + _der(0x0C, text.encode()))
        canonical += _der(0x31, values)
    return f"{int.from_bytes(hashlib.sha1(canonical).digest()[:4], 'little'):08x}"


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_server_is_trusted_through_a_list_of_certificate_directories(
    https_server: tuple[str, trustme.CA],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    transport: str,
) -> None:
    # OpenSSL reads SSL_CERT_DIR as a list of directories; httpx 0.27 took a list for no
    # directory and trusted certifi's bundle instead, so the server was not trusted.
    url, ca = https_server
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    pem = second / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    subject = _subject_hash(ca.cert_pem.bytes())
    (second / f"{subject}.0").symlink_to(pem)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", f"{first}{os.pathsep}{second}")
    async with omsclient.AsyncClient(
        legacy_url=url, username="u", password="p", max_retries=0, transport=transport
    ) as oms:
        assert (await oms.legacy.orders.search(SINCE)).total == 0
    # One of them not there (an optional one an image lists): skipped, as OpenSSL skips it.
    monkeypatch.setenv("SSL_CERT_DIR", f"{tmp_path / 'gone'}{os.pathsep}{second}")
    async with omsclient.AsyncClient(
        legacy_url=url, username="u", password="p", max_retries=0, transport=transport
    ) as oms:
        assert (await oms.legacy.orders.search(SINCE)).total == 0
    monkeypatch.setenv("SSL_CERT_DIR", f"{first}{os.pathsep}{second}")
    # The same directories without the CA: not trusted (the list is what was read).
    pem.unlink()
    (second / f"{subject}.0").unlink()
    (second / "other.pem").write_bytes(trustme.CA().cert_pem.bytes())
    async with omsclient.AsyncClient(
        legacy_url=url, username="u", password="p", max_retries=0, transport=transport
    ) as oms:
        with pytest.raises(omsclient.TransportError, match="certificate"):
            await oms.legacy.orders.search(SINCE)


_YEAR = datetime.timedelta(days=365)
_NOW = datetime.datetime.now(datetime.timezone.utc)


@contextlib.contextmanager
def counting(handle: Callable[[socket.socket], None]) -> Iterator[tuple[int, list[None]]]:
    """:func:`serving`, with a list that gets an item for each connection accepted."""
    accepted: list[None] = []

    def counted(connection: socket.socket) -> None:
        accepted.append(None)
        handle(connection)

    with serving(counted) as port:
        yield port, accepted


def _hands_over(context: ssl.SSLContext) -> Callable[[socket.socket], None]:
    """A handler that shakes hands with ``context`` (the client refuses its certificate) and
    closes the connection."""

    def handle(connection: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True):
            pass
        connection.close()

    return handle


# How each server's certificate fails the client's check: OpenSSL's reason, and what the
# message tells to do about it.
_UNTRUSTED = {
    "self-signed": ("self-signed certificate", "SSL_CERT_FILE"),
    "unknown authority": ("unable to get local issuer certificate", "SSL_CERT_FILE"),
    "another host": (
        "Hostname mismatch, certificate is not valid for 'localhost'",
        "a host name the certificate names",
    ),
    "expired": ("certificate has expired", "renewed"),
}


@pytest.fixture(params=list(_UNTRUSTED))
def untrusted(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[str, str, list[None]]]:
    """An HTTPS server on localhost whose certificate the client does not trust, as the
    parameter says why; its kind, its URL and the connections it accepted."""
    kind = request.param
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if kind == "self-signed":
        # The authority's own certificate, which signs itself.
        context.load_cert_chain(*_pem_files(ca, tmp_path))
    elif kind == "another host":
        ca.issue_cert("shop.example").configure_cert(context)
    elif kind == "expired":
        leaf = ca.issue_cert("localhost", not_before=_NOW - 2 * _YEAR, not_after=_NOW - _YEAR)
        leaf.configure_cert(context)
    else:
        ca.issue_cert("localhost").configure_cert(context)
    trusted = ca if kind in ("another host", "expired") else trustme.CA()
    bundle = tmp_path / "trusted.pem"
    bundle.write_bytes(trusted.cert_pem.bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with counting(_hands_over(context)) as (port, accepted):
        yield kind, f"https://localhost:{port}", accepted


def _pem_files(ca: trustme.CA, folder: Path) -> tuple[str, str]:
    certificate, key = folder / "ca.pem", folder / "ca.key"
    certificate.write_bytes(ca.cert_pem.bytes())
    key.write_bytes(ca.private_key_pem.bytes())
    return str(certificate), str(key)


async def _failures(
    url: str, transport: str, accepted: list[None]
) -> list[tuple[str, omsclient.TransportError, int]]:
    """A read and a write of each API sent to ``url``, each failing: its name, its error and
    the connections the server accepted for it."""
    failures: list[tuple[str, omsclient.TransportError, int]] = []
    async with omsclient.AsyncClient(
        legacy_url=url,
        username="u",
        password="p",
        rest_url=url,
        api_token="t0k3n",
        retry=FAST_RETRY,
        transport=transport,
    ) as oms:
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "legacy read": lambda: oms.legacy.orders.search(SINCE),
            "legacy write": lambda: oms.legacy.orders.update_status(
                StatusChange(order_id="INV1", new_status=2)
            ),
            "REST read": lambda: oms.rest.orders.get("U1"),
            "REST write": lambda: oms.rest.orders.create(
                ecommerce_order_id="TLS-1", items=[ITEM], store_id=1
            ),
        }
        for name, call in calls.items():
            before = len(accepted)
            with pytest.raises(omsclient.TransportError) as info:
                await call()
            failures.append((name, info.value, len(accepted) - before))
    return failures


async def _each_call_fails_at_once(
    untrusted: tuple[str, str, list[None]], transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    kind, url, accepted = untrusted
    reason, remedy = _UNTRUSTED[kind]
    caplog.set_level(logging.INFO, logger="omsclient")
    for name, error, connections in await _failures(url, transport, accepted):
        assert connections == 1, name
        assert type(error) is omsclient.TransportError
        assert error.attempts == 1
        assert error.maybe_applied is False
        message = str(error)
        assert f"{url}/" in message
        assert (
            f": the server's certificate is not trusted (certificate verify failed: {reason})"
            in message
        ), message
        assert remedy in message
        assert "may have applied" not in message
    assert not [r for r in caplog.records if r.name == "omsclient"]


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_certificate_the_client_does_not_trust_fails_the_call_at_once(
    untrusted: tuple[str, str, list[None]], transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Retried as any connection failure was: four handshakes, a second of back-off and three
    # log lines for a check that fails the same way each time.
    await _each_call_fails_at_once(untrusted, transport, caplog)


def test_a_certificate_the_client_does_not_trust_fails_the_call_at_once_under_trio(
    untrusted: tuple[str, str, list[None]], caplog: pytest.LogCaptureFixture
) -> None:
    # trio's TLS stream raises the failed check as the cause of its own error.
    anyio.run(_each_call_fails_at_once, untrusted, "httpx", caplog, backend="trio")


def _cuts_the_handshake(connection: socket.socket) -> None:
    connection.recv(4096)  # the client's hello
    connection.close()


def _speaks_no_tls(connection: socket.socket) -> None:
    connection.recv(4096)
    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    connection.close()


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize("handle", [_cuts_the_handshake, _speaks_no_tls])
async def test_a_tls_failure_that_is_no_verification_is_retried(
    handle: Callable[[socket.socket], None], transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A handshake the server cut, or a protocol error: another attempt may get through.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with counting(handle) as (port, accepted):
        failures = await _failures(f"https://localhost:{port}", transport, accepted)
    for name, error, connections in failures:
        assert connections == 4, name
        assert error.attempts == 4
        assert error.maybe_applied is False
        assert "certificate is not trusted" not in str(error)


def test_the_command_leaves_a_certificate_not_trusted_to_the_error_s_own_advice(
    untrusted: tuple[str, str, list[None]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # "check OMS_LEGACY_URL (the host, the port, http or https)" sent a user whose URL was
    # right to change it, where the certificate was the one to trust.
    kind, url, accepted = untrusted
    monkeypatch.setenv("OMS_LEGACY_URL", url)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", "pw")
    out = tmp_path / "o.jsonl"
    argv = ["export", "orders", "--out", str(out), "--quiet", "--transport", "httpx"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "the server's certificate is not trusted" in err
    assert _UNTRUSTED[kind][1] in err
    assert "OMS_LEGACY_URL" not in err
    assert len(accepted) == 1
