"""TLS failures reach the caller as the client's own errors, on either transport."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import trustme

import omsclient
from omsclient.legacy import Condition, Op, OrderField

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")


@pytest.fixture
def needs_a_client_certificate(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An HTTPS server that, like a mutual-TLS gateway, requires a client certificate: under TLS
    1.3 its refusal, an alert, comes once the client's handshake is over, when it reads."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    listener = socket.create_server(("127.0.0.1", 0))

    def refuse(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            context.wrap_socket(connection, server_side=True)
        # Open a while after the alert, as a server tearing down: the client's write goes
        # through, and its read gets the alert (or, as often, the connection's end).
        time.sleep(0.3)
        connection.close()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=refuse, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with ca.cert_pem.tempfile() as ca_file:
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        yield f"https://localhost:{listener.getsockname()[1]}"
    # Closing alone leaves the thread in accept() until the join gives up; shutting the
    # listener down wakes it.
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(5)
    assert not thread.is_alive()


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
