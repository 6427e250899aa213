"""TLS failures reach the caller as the client's own errors, on either transport."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509

import omsclient
from omsclient.legacy import Condition, Op, OrderField

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
