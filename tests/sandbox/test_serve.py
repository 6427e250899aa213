"""Serving helpers, the command line and the pytest fixtures."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import anyio
import httpx
import pytest

import omsclient
from omsclient import cli
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import (
    Churn,
    Faults,
    Quirks,
    SandboxConfig,
    SandboxInfo,
    _serve,
    asgi_transport,
    create_app,
    pytest_plugin,
    serve,
    serve_async,
)
from omsclient.sandbox._cli import add_arguments, config_from_args

from ._support import ALL_ORDERS, AUTH, FIND, TOKEN

oms_sandbox = pytest_plugin.oms_sandbox
EVERY = Condition(OrderField.ORDER_STATUS, Op.GE, string=0)
oms_sandbox_factory = pytest_plugin.oms_sandbox_factory


def test_serve_over_sockets() -> None:
    config = SandboxConfig(orders=50, products=5, password="p-secret", api_token="t-secret")
    with serve(config) as info:
        assert info.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=info.url) as client:
            body = client.post(
                FIND, data={"username": "sandbox", "password": "p-secret", **ALL_ORDERS}
            ).json()
            assert body["total"] == 50
            rest = client.get("/api/v1/orders/x", headers={"Authorization": "Bearer t-secret"})
            assert rest.status_code == 404
        record = info.state.requests[0]
        assert record.method == "POST"
        assert record.path == FIND
        assert record.form["password"] == "p-secret"
        assert record.params["field"] == "3"
    with pytest.raises(httpx.ConnectError):
        httpx.get(info.url, timeout=2)


def test_serving_on_a_port_in_use_names_the_address() -> None:
    # A bare "[Errno 98] Address already in use" left the caller to find which one.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(OSError, match=f"in use: '127.0.0.1:{port}'") as raised,
            serve(SandboxConfig(orders=0, products=0), port=port),
        ):
            pass
    assert raised.value.errno == errno.EADDRINUSE
    # A name no lookup finds stays the lookup's error, named too.
    with (
        pytest.raises(socket.gaierror, match=re.escape("'no-such-host.invalid:0'")),
        serve(SandboxConfig(orders=0, products=0), host="no-such-host.invalid"),
    ):
        pass


@pytest.mark.parametrize(
    ("address", "error", "problem"),
    [
        # Bound as given, "" listened on every interface: the command refuses it.
        ({"host": ""}, ValueError, "host must not be empty (0.0.0.0 is every interface)"),
        ({"host": None}, TypeError, "host must be a str, got NoneType"),
        ({"port": 70000}, ValueError, "port must be 0..65535 (0 picks a free one), got 70000"),
        ({"port": -1}, ValueError, "port must be 0..65535 (0 picks a free one), got -1"),
        ({"port": "0"}, TypeError, "port must be an int, got str"),
        ({"port": True}, TypeError, "port must be an int, got bool"),
    ],
)
async def test_an_address_no_sandbox_should_listen_on_is_refused_naming_it(
    address: dict[str, Any], error: type[Exception], problem: str
) -> None:
    # "argument of type 'NoneType' is not iterable", or bind()'s OverflowError, named nothing.
    with pytest.raises(error, match=f"^{re.escape(problem)}$"), serve(**address):
        pass
    with pytest.raises(error, match=f"^{re.escape(problem)}$"):
        async with serve_async(**address):
            pass


def test_the_state_names_an_argument_of_another_type() -> None:
    _transport, info = asgi_transport(SandboxConfig(orders=1, products=1))
    # queue_faults(["drop"]) and order(10001) failed inside, on a list's or an int's method.
    with pytest.raises(TypeError, match="queue_faults takes each kind as a str argument"):
        info.state.queue_faults(["drop"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"order takes an order id as a str \(INV10001\)"):
        info.state.order(10001)  # type: ignore[arg-type]
    assert not info.state.queued_faults


def test_request_records_print_parameter_names_only() -> None:
    from rich.pretty import pretty_repr

    config = SandboxConfig(orders=1, products=1, password="p-secret", api_token="t-secret")
    with serve(config) as info, httpx.Client(base_url=info.url) as client:
        client.post(FIND, data={"username": "sandbox", "password": "p-secret", **ALL_ORDERS})
        client.get("/api/v1/orders/x", headers={"Authorization": "Bearer t-secret"})
    for record in info.state.requests:
        # rich prints an attrs class field by field, whatever its __repr__, unless told otherwise.
        for shown in (repr(record), pretty_repr(record, max_width=10_000)):
            assert "p-secret" not in shown
            assert "t-secret" not in shown
    assert pretty_repr(info.state.requests[0], max_width=10_000) == repr(info.state.requests[0])


def test_the_listening_socket_is_tcp_so_asyncio_turns_nagle_off() -> None:
    # A listening socket made without its protocol number (0, not IPPROTO_TCP) hands asyncio
    # connections it does not recognise as TCP, so it leaves Nagle on: the body of each answer
    # then waited for the client's delayed ACK of its headers, 40 ms for every request but the
    # first on a connection.
    from omsclient.sandbox._serve import bind

    sock = bind()
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_info_hides_secrets() -> None:
    config = SandboxConfig(orders=1, products=1, password="p-secret", api_token="t-secret")
    assert "p-secret" not in repr(config)
    assert "t-secret" not in repr(config)
    assert "orders=1" in repr(config)
    transport, info = asgi_transport(config)
    assert "p-secret" not in repr(info)
    assert "t-secret" not in repr(info)
    assert info.client_kwargs() == {
        "legacy_url": "http://sandbox.local",
        "username": "sandbox",
        "password": "p-secret",
        "rest_url": "http://sandbox.local",
        "api_token": "t-secret",
        "store_id": "1",
        "legacy_timezone": "UTC",
    }
    assert isinstance(transport, httpx.ASGITransport)


async def test_serve_async() -> None:
    config = SandboxConfig(orders=10, products=2)
    async with serve_async(config) as info, httpx.AsyncClient(base_url=info.url) as client:
        response = await client.post(FIND, data={**AUTH, **ALL_ORDERS})
        assert response.json()["total"] == 10


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_serve_async_ended_by_a_timeout_stops_its_server(backend: str) -> None:
    async def main() -> bool:
        with anyio.move_on_after(0.3) as scope:
            async with serve_async(SandboxConfig(orders=10, products=2)):
                await anyio.sleep(30)
        assert scope.cancelled_caught
        return any(t.name == "omsclient-sandbox" for t in threading.enumerate())

    # Stopped when the block ends, not later by the garbage collector.
    gc.disable()
    try:
        assert not anyio.run(main, backend=backend)
    finally:
        gc.enable()


@pytest.fixture
def slow_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sandbox takes 0.3 s to start, as one of a large dataset does."""
    from omsclient.sandbox import _app

    build = _app.create_app  # not the package's create_app, which calls this one

    def slow_app(config: SandboxConfig | None = None) -> object:
        time.sleep(0.3)
        return build(config)

    monkeypatch.setattr(_app, "create_app", slow_app)


@pytest.mark.usefixtures("slow_start")
def test_serve_async_cancelled_while_starting_stops_its_server() -> None:

    kept: list[BaseException] = []

    async def serve() -> None:
        async with serve_async(SandboxConfig(orders=10, products=2)):
            await asyncio.sleep(30)

    async def main() -> list[bool]:
        # asyncio's own timeout cancels the task without waiting for a worker thread
        # (wait_for, not asyncio.timeout: Python 3.10 has no asyncio.timeout, and its
        # asyncio.TimeoutError is not yet the builtin TimeoutError).
        try:
            await asyncio.wait_for(serve(), 0.05)
        except asyncio.TimeoutError as error:
            kept.append(error)  # as pytest keeps the traceback of a failed test
        running = [any(t.name == "omsclient-sandbox" for t in threading.enumerate())]
        # The start-up the timeout cut short must not go on to serve in the background.
        await asyncio.sleep(0.6)
        running.append(any(t.name == "omsclient-sandbox" for t in threading.enumerate()))
        return running

    gc.disable()
    try:
        assert asyncio.run(main()) == [False, False]
    finally:
        gc.enable()


@pytest.mark.usefixtures("slow_start")
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_serve_async_past_an_anyio_deadline_while_starting_never_runs_its_block(
    backend: str,
) -> None:
    entered: list[bool] = []

    async def main() -> None:
        with anyio.fail_after(0.05):
            async with serve_async(SandboxConfig(orders=10, products=2)):
                entered.append(True)  # no checkpoint: only a check before the block stops it

    with pytest.raises(TimeoutError):
        anyio.run(main, backend=backend)
    assert entered == []
    assert not any(t.name == "omsclient-sandbox" for t in threading.enumerate())


def test_clients_made_while_a_sandbox_serves_pass_the_environments_proxy_by(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Through a corporate proxy (here one refusing every connection) a test's client sent the
    # sandbox's credentials to the proxy, or failed; NO_PROXY naming only localhost did not help.
    for name in ("NO_PROXY", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("no_proxy", "localhost")
    with serve(SandboxConfig(orders=10, products=2)) as info:
        with omsclient.Client(**info.client_kwargs(), max_retries=0) as oms:
            assert oms.legacy.orders.search(EVERY, limit=1).total == 10
        host = info.url.split("//")[1].split(":")[0]
        with serve(SandboxConfig(orders=3, products=2)) as other:  # the host named once
            with omsclient.Client(**other.client_kwargs(), max_retries=0) as oms:
                assert oms.legacy.orders.search(EVERY, limit=1).total == 3
            assert os.environ["no_proxy"] == os.environ["NO_PROXY"] == f"localhost,{host}"
    assert os.environ["no_proxy"] == "localhost"  # as it was
    assert "NO_PROXY" not in os.environ


@pytest.mark.parametrize(
    ("upper", "lower", "during"),
    [
        # no_proxy set but empty is the one read: it bypasses nothing, whatever NO_PROXY says.
        ("127.0.0.1", "", "127.0.0.1"),
        (None, None, "127.0.0.1"),
        ("*", None, None),  # every host already: left as it is ("*,127.0.0.1" is no longer *)
    ],
)
def test_no_proxy_names_the_sandbox_as_clients_read_it(
    monkeypatch: pytest.MonkeyPatch, upper: str | None, lower: str | None, during: str | None
) -> None:
    import urllib.request

    for name, value in (("NO_PROXY", upper), ("no_proxy", lower)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    with serve(SandboxConfig(orders=3, products=2)) as info:
        host = info.url.split("//")[1].split(":")[0]
        assert urllib.request.proxy_bypass_environment(host)
        assert os.environ.get("no_proxy") == (during if during is not None else lower)
        with omsclient.Client(**info.client_kwargs(), max_retries=0) as oms:
            assert oms.legacy.orders.search(EVERY, limit=1).total == 3
    assert (os.environ.get("NO_PROXY"), os.environ.get("no_proxy")) == (upper, lower)


def test_sandboxes_serving_at_once_keep_their_hosts_named_until_the_last_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    config = SandboxConfig(orders=3, products=2)
    first = serve(config, host="127.0.0.1")
    second = serve(config, host="127.0.0.2")
    first.__enter__()
    second.__enter__()
    assert os.environ["no_proxy"] == "127.0.0.1,127.0.0.2"
    first.__exit__(None, None, None)  # ends before the second: not nested
    assert os.environ["no_proxy"] == os.environ["NO_PROXY"] == "127.0.0.2"
    second.__exit__(None, None, None)
    assert "no_proxy" not in os.environ
    assert "NO_PROXY" not in os.environ


def test_a_sandbox_started_after_no_proxy_was_changed_still_names_its_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import urllib.request

    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    config = SandboxConfig(orders=3, products=2)
    with serve(config):
        for name in ("NO_PROXY", "no_proxy"):
            os.environ[name] = "internal.example"  # the program's own, set meanwhile
    assert os.environ["no_proxy"] == os.environ["NO_PROXY"] == "internal.example"
    with serve(config) as info, omsclient.Client(**info.client_kwargs(), max_retries=0) as oms:
        assert oms.legacy.orders.search(EVERY, limit=1).total == 3
        assert urllib.request.proxy_bypass_environment("internal.example")
    assert os.environ["no_proxy"] == os.environ["NO_PROXY"] == "internal.example"


def test_one_variable_changed_while_serving_leaves_the_other_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A test setting NO_PROXY while a sandbox serves: no_proxy, set only by the sandbox, was
    # left empty, and an empty no_proxy, read first, made every later NO_PROXY bypass nothing.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve(SandboxConfig(orders=3, products=2)):
        os.environ["NO_PROXY"] = "internal.example"
    assert "no_proxy" not in os.environ
    assert os.environ["NO_PROXY"] == "internal.example"


def test_an_ipv6_sandbox_is_named_as_httpx_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    with serve(SandboxConfig(orders=3, products=2), host="::1") as info:
        assert os.environ["no_proxy"] == "::1"
        with omsclient.Client(**info.client_kwargs(), max_retries=0) as oms:
            assert oms.legacy.orders.search(EVERY, limit=1).total == 3


def test_serving_without_the_sandbox_extra_says_what_to_install() -> None:
    # asgi_transport and create_app raised a bare ModuleNotFoundError naming starlette.
    printed = without_the_extra(
        "from omsclient.sandbox import asgi_transport, create_app, serve\n"
        "for start in (lambda: serve().__enter__(), asgi_transport, create_app):\n"
        "    try:\n"
        "        start()\n"
        "    except Exception as exc:\n"
        "        print(type(exc).__name__, exc)\n"
    )
    assert printed.splitlines() == [
        "ConfigurationError serving a sandbox needs the sandbox extra: "
        "pip install 'omsclient[sandbox]'",
        "ConfigurationError an in-process sandbox needs the sandbox extra: "
        "pip install 'omsclient[sandbox]'",
        "ConfigurationError a sandbox app needs the sandbox extra: "
        "pip install 'omsclient[sandbox]'",
    ]


def test_serve_interrupted_while_starting_stops_its_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from omsclient.sandbox import _serve

    # The server may not finish starting before the interrupt: warm, it starts before serve()
    # first looks, and then nothing would be interrupted.
    interrupt_sent = threading.Event()
    startup = uvicorn.Server.startup

    async def held_startup(self: uvicorn.Server, sockets: object = None) -> None:
        interrupt_sent.wait(10)
        await startup(self, sockets=sockets)  # type: ignore[arg-type]

    def interrupted(_seconds: float) -> None:
        interrupt_sent.set()
        raise KeyboardInterrupt  # Ctrl-C in a notebook cell while the server starts

    monkeypatch.setattr(uvicorn.Server, "startup", held_startup)
    monkeypatch.setattr(_serve.time, "sleep", interrupted)
    with pytest.raises(KeyboardInterrupt), serve(SandboxConfig(orders=10, products=2)):
        pass
    monkeypatch.undo()
    deadline = time.monotonic() + 5
    while any(t.name == "omsclient-sandbox" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the server went on serving"
        time.sleep(0.05)
    # Not merely stopped later: the one thread was told to stop at once.
    time.sleep(0.3)
    assert not any(t.name == "omsclient-sandbox" for t in threading.enumerate())


def _post_in_background(
    url: str, sent: threading.Event | None = None
) -> tuple[threading.Thread, list[object]]:
    """A legacy search sent from another thread; the list gets its answer or its error, and
    ``sent`` is set once the request's body is out."""
    outcome: list[object] = []

    def trace(event: str, info: dict[str, object]) -> None:
        if sent is not None and event == "http11.send_request_body.complete":
            sent.set()

    def post() -> None:
        try:
            with httpx.Client(timeout=60) as http:
                answer = http.post(
                    url + FIND, data={**AUTH, **ALL_ORDERS}, extensions={"trace": trace}
                )
            outcome.append(answer)
        except httpx.HTTPError as error:
            outcome.append(error)

    thread = threading.Thread(target=post)
    thread.start()
    return thread, outcome


def test_serve_stopped_with_a_request_in_flight_stops_quietly_and_at_once(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # A client mid-request when the block ends (a fixture's teardown): uvicorn's graceful
    # shutdown waited 2 s, then cancelled the request and logged its CancelledError as an
    # "Exception in ASGI application" traceback, which reads like a failed test.
    config = SandboxConfig(orders=5, products=2, faults=Faults(latency=30))
    caplog.set_level("WARNING")
    with serve(config) as info:
        thread, outcome = _post_in_background(info.url)
        deadline = time.monotonic() + 10
        while not info.state.requests:  # logged before its latency: the request is waiting
            assert time.monotonic() < deadline, "the request never reached the server"
            time.sleep(0.01)
    thread.join(10)
    # The injected delay ends with the server, and the request is answered. That is also what
    # shows the stop came at once, with no clock to read: still under way after uvicorn's 2 s
    # of grace, the request would have been cancelled, a 500 and a logged traceback.
    assert isinstance(outcome[0], httpx.Response)
    assert outcome[0].status_code == 200
    assert outcome[0].json()["total"] == 5
    assert caplog.records == []
    assert capfd.readouterr().err == ""


def test_command_line_interrupted_with_a_request_in_flight_stops_quietly() -> None:
    with subprocess.Popen(  # closes its pipes when the test ends, whatever happens
        [sys.executable, "-m", "omsclient.sandbox", "--port", "0", "--orders", "5",
         "--products", "2", "--latency", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:  # fmt: skip
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split(" on ", 1)[1].split(" ", 1)[0]
            sent = threading.Event()
            thread, outcome = _post_in_background(url, sent)
            # Not a fixed pause: on a loaded machine the request was not out before the signal.
            assert sent.wait(20), "the request was never sent"
            time.sleep(0.5)  # the server reads it and waits out its latency
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
            thread.join(10)
            assert isinstance(outcome[0], httpx.Response)
            assert outcome[0].status_code == 200
            assert process.stderr is not None
            err = process.stderr.read()
            assert "Traceback" not in err
            assert "ERROR" not in err
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_create_app_exposes_state() -> None:
    app = create_app(SandboxConfig(orders=3, products=1))
    assert len(app.state.sandbox.orders) == 3
    assert app.state.sandbox.config.orders == 3


def test_cli_options_build_the_config() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--orders", "20", "--products", "4", "--seed", "9", "--field-numbering", "blueprint",
            "--latency", "0.1,0.3", "--error-rate", "0.1", "--rate-limit-rate", "0.05",
            "--retry-after", "0", "--drop-rate", "0.02", "--truncate-rate", "0.03",
            "--string-ids", "--html-login-page", "--empty-body-rate", "0.1",
            "--churn-new", "2", "--churn-changed", "3", "--legacy-disabled",
            "--render-cache-mb", "64",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert (config.orders, config.products, config.seed) == (20, 4, 9)
    assert config.render_cache_mb == 64
    assert config_from_args(parser.parse_args([])).render_cache_mb == 256
    assert config.order_field_numbering == "blueprint"
    assert not config.legacy_api_enabled
    assert config.faults == Faults(
        latency=(0.1, 0.3),
        error_rate=0.1,
        rate_limit_rate=0.05,
        retry_after=0,
        drop_rate=0.02,
        truncate_rate=0.03,
    )
    assert config.quirks == Quirks(string_ids=True, html_login_page=True, empty_body_rate=0.1)
    assert config.churn == Churn(new_orders=2, changed_orders=3)
    # A 429 without Retry-After, as the Python helpers allow with retry_after=None.
    assert config_from_args(parser.parse_args(["--retry-after", "none"])).faults.retry_after is None
    every = config_from_args(parser.parse_args(["--all-quirks"]))
    assert every.quirks == Quirks.all()
    with pytest.raises(SystemExit):
        parser.parse_args(["--error-rate", "2"])


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("api_token", "Bearer abc123", "must be the token alone: the client sends 'Bearer '"),
        ("api_token", "bearer\tabc123", "must be the token alone: the client sends 'Bearer '"),
        ("api_token", "abc123 ", "must not begin or end with a space or tab"),
        ("api_token", "", "must not be blank"),
        ("api_token", "t\u00f6k", "a non-ASCII character at position 1"),
        ("api_token", "tok\nen", "a line break at position 3"),
        # A blank store id could never be sent: the REST API answered "required" to it and 403
        # to any other.
        ("store_id", "", "must not be blank"),
        ("store_id", " ", "must not be blank"),
        ("store_id", " 1", "must not begin or end with a space or tab"),
        ("store_id", "1\n", "holds a line break at position 1"),
    ],
)
def test_a_setting_the_client_refuses_is_refused_by_the_sandbox_too(
    setting: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Served, the banner's OMS_* lines and client_kwargs() gave a client that refuses them.
    with pytest.raises(omsclient.ConfigurationError, match=re.escape(message)):
        omsclient.AsyncClient(rest_url="http://127.0.0.1:1", **{setting: value or " "})
    with pytest.raises(ValueError, match=f"^{setting} .*{re.escape(message)}"):
        SandboxConfig(**{setting: value})  # type: ignore[arg-type]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args([f"--{setting.replace('_', '-')}", value])
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("username", "", "must not be empty"),
        ("password", "", "must not be empty"),
        ("host", "", "must not be empty"),
        # The client refuses them: the banner printed settings that failed.
        ("username", " ", "must not begin or end with a space or tab"),
        ("username", "sandbox ", "must not begin or end with a space or tab"),
        ("password", "pw\n1", "holds a line break at position 2"),
        ("username", "sand\0box", "holds a NUL character at position 4"),
    ],
)
def test_a_credential_or_host_the_client_refuses_is_refused_by_the_sandbox(
    setting: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The banner printed OMS_USERNAME='' for a client that takes it as none set, or one the
    # client refuses; an empty --host (an unset variable) listened on every interface.
    if setting != "host":
        with pytest.raises(ValueError, match=f"^{setting} {re.escape(message)}"):
            SandboxConfig(**{setting: value})  # type: ignore[arg-type]
        if value:
            with pytest.raises(omsclient.ConfigurationError, match=re.escape(message)):
                omsclient.AsyncClient(legacy_url="http://127.0.0.1:1", **{setting: value})
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args([f"--{setting}", value])
    assert f"argument --{setting}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--start", "9999-06-01", "--days", "365"],
        ["--days", "100000000"],
        ["--start", "0001-01-01"],
    ],
)
def test_a_date_range_past_the_calendar_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It started, and then every search rendering a date past year 9999 answered 500.
    def bind(host: str, port: int) -> socket.socket:
        raise AssertionError("the command went on to serve")

    monkeypatch.setattr(_serve, "bind", bind)
    assert cli.main(["sandbox", "--port", "0", *argv]) == 2
    out, err = capsys.readouterr()
    assert "start and days must keep the orders between 0001-01-02 and 9999-01-01" in err
    # As every other usage error: a bare "error: ..." named no command and showed no usage.
    assert err.startswith("usage: ")
    assert "omsclient sandbox: error: start and days" in err
    assert out == ""
    with pytest.raises(ValueError, match="must keep the orders between"):
        SandboxConfig(start=datetime(9998, 1, 1, 12), days=365)
    assert SandboxConfig(start=datetime(9998, 1, 1, 12), days=364).days == 364
    assert SandboxConfig(start=datetime(1, 1, 2), days=1).days == 1


def test_the_start_of_the_date_range_takes_a_date_or_its_text() -> None:
    # As the command's --start does: a date and "2024-03-01" failed with TypeErrors from
    # inside the check of the range (date.replace() takes no tzinfo, str.replace() no keyword).
    assert SandboxConfig(start=date(2024, 3, 1)).start == datetime(2024, 3, 1)
    assert SandboxConfig(start="2024-03-01").start == datetime(2024, 3, 1)
    assert SandboxConfig(start="2024-03-01T05:00Z").start == datetime(
        2024, 3, 1, 5, tzinfo=timezone.utc
    )
    with pytest.raises(ValueError, match="start must be a datetime, a date or an ISO 8601"):
        SandboxConfig(start="March")
    with pytest.raises(TypeError, match="start must be a datetime, a date or an ISO 8601"):
        SandboxConfig(start=20240301)  # type: ignore[arg-type]


async def test_command_line_server_keeps_no_request_log() -> None:
    # The log is for tests holding the state; a server run from the command line has no
    # reader for it, and it grew by about 2 KB per request until the server stopped.
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--orders", "5", "--products", "2"]))
    transport, info = asgi_transport(config)
    async with httpx.AsyncClient(transport=transport, base_url=info.url) as client:
        for _ in range(3):
            assert (await client.post(FIND, data={**AUTH, **ALL_ORDERS})).status_code == 200
    assert info.state.requests == []
    assert SandboxConfig().log_requests


def test_command_line_serves_until_interrupted() -> None:
    with subprocess.Popen(  # closes its pipes when the test ends, whatever happens
        [
            sys.executable,
            "-m",
            "omsclient.sandbox",
            "--port",
            "0",
            "--orders",
            "30",
            "--products",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert "omsclient sandbox on http://127.0.0.1:" in first
            url = first.split(" on ", 1)[1].split(" ", 1)[0]
            lines = [process.stdout.readline() for _ in range(6)]
            assert any("pw-sandbox-1" in line for line in lines)
            assert any("tk-sandbox-1" in line for line in lines)
            response = httpx.post(url + FIND, data={**AUTH, **ALL_ORDERS}, timeout=30)
            assert response.json()["total"] == 30
            assert httpx.get(url + "/api/v1/orders/x", headers=TOKEN).status_code == 404
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_command_line_interrupted_while_generating(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from omsclient.sandbox import _app

    def interrupted(config: SandboxConfig | None = None) -> object:
        raise KeyboardInterrupt  # Ctrl-C while a million orders are generated

    monkeypatch.setattr(_app, "create_app", interrupted)
    assert cli.main(["sandbox", "--port", "0"]) == 0
    assert capsys.readouterr().err == ""


def without_the_extra(code: str, missing: tuple[str, ...] = ("starlette", "uvicorn")) -> str:
    """What ``code`` prints in a Python where the ``missing`` modules cannot be imported."""
    prelude = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in missing)
    result = subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_in_process_sandbox_needs_starlette_alone() -> None:
    printed = without_the_extra(
        "import anyio, httpx, omsclient\n"
        "from omsclient.legacy import Condition, Op, OrderField\n"
        "from omsclient.sandbox import SandboxConfig, asgi_transport\n"
        "transport, info = asgi_transport(SandboxConfig(orders=10, products=2))\n"
        "async def main():\n"
        "    async with httpx.AsyncClient(transport=transport) as http, omsclient.AsyncClient(\n"
        "        **info.client_kwargs(), http_client=http\n"
        "    ) as oms:\n"
        "        c = Condition(OrderField.INVOICE_NUMBER, Op.GT, string=0)\n"
        "        print((await oms.legacy.orders.search(c, limit=1)).total)\n"
        "anyio.run(main)\n",
        missing=("uvicorn",),
    )
    assert printed.strip() == "10"


def test_plugin_imports_without_the_sandbox_extra() -> None:
    printed = without_the_extra(
        "import omsclient.sandbox.pytest_plugin\n"
        "from omsclient.sandbox import SandboxConfig, Faults, Quirks, Churn\n"
        "print(repr(SandboxConfig(orders=1)))\n"
    )
    assert "orders=1" in printed


def test_plugin_pytest_loads_imports_neither_the_client_nor_the_sandbox() -> None:
    # pytest imports the plugin at every start of every project that installs omsclient,
    # tests using the sandbox or not: importing the omsclient package added 0.4 s to each.
    pyproject = (pathlib.Path(__file__).parents[2] / "pyproject.toml").read_text()
    module = re.search(r'^omsclient_sandbox = "([\w.]+)"$', pyproject, re.MULTILINE)
    assert module is not None
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"import {module[1]}\n"
        "heavy = ('omsclient', 'httpx', 'starlette', 'uvicorn')\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _app_tests_pass(folder: pathlib.Path, settings: str, *options: str, autoload: bool) -> None:
    """Run a project's one test of the ``oms_sandbox`` fixture in ``folder`` with pytest,
    ``settings`` its pytest.ini's, and check it passed."""
    (folder / "test_app.py").write_text(
        "def test_served(oms_sandbox):\n    assert oms_sandbox.state.orders\n"
    )
    # The app's own settings: without them pytest looks for some up from the temporary folder,
    # and where that lies inside this project (nox puts it there) takes its addopts (-n 2,
    # which needs xdist, not loaded here).
    (folder / "pytest.ini").write_text(f"[pytest]\n{settings}")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    "load",
    [["-p", "omsclient_sandbox"], ["-p", "_omsclient_pytest"]],
    ids=["by its name", "by its module"],
)
def test_the_plugin_loads_as_the_docs_say_where_autoload_is_off(
    tmp_path: pathlib.Path, load: list[str]
) -> None:
    # The docs named omsclient.sandbox.pytest_plugin, which imports the package, anyio with
    # it, at pytest's start: pytest then warned it could not rewrite anyio, an error under
    # filterwarnings = error, and no test ran.
    _app_tests_pass(tmp_path, "", "-W", "error", *load, "-p", "anyio", autoload=False)


@pytest.mark.parametrize("autoload", [True, False], ids=["autoload on", "autoload off"])
def test_the_plugin_named_in_the_apps_settings_loads_whether_autoload_is_on_or_off(
    tmp_path: pathlib.Path, autoload: bool
) -> None:
    # The docs offered pytest_plugins = ["_omsclient_pytest"] in a conftest for runs without
    # autoload: with it on (pytest's default) pytest stopped at once, the module registered
    # twice ("Plugin already registered under a different name"). -p omsclient_sandbox in the
    # settings' addopts works either way.
    settings = "addopts = -p omsclient_sandbox -p anyio\n"
    _app_tests_pass(tmp_path, settings, "-p", "no:xdist", autoload=autoload)


def test_fixture(oms_sandbox: SandboxInfo) -> None:
    response = httpx.post(oms_sandbox.url + FIND, data={**AUTH, **ALL_ORDERS, "limit": "1"})
    assert response.json()["total"] == len(oms_sandbox.state.orders) > 0


def test_fixture_factory(oms_sandbox_factory: Callable[..., SandboxInfo]) -> None:
    one = oms_sandbox_factory(orders=5)
    two = oms_sandbox_factory(SandboxConfig(orders=7, products=2, username="other"))
    assert one.url != two.url
    assert len(two.state.orders) == 7
    assert two.username == "other"
    response = httpx.post(
        two.url + FIND, data={"username": "other", "password": "pw-sandbox-1", **ALL_ORDERS}
    )
    assert response.json()["total"] == 7
    with pytest.raises(TypeError):
        oms_sandbox_factory(SandboxConfig(), orders=3)


async def test_request_log_repr_hides_values() -> None:
    transport, info = asgi_transport(SandboxConfig(orders=1, products=1, password="p-secret"))
    async with httpx.AsyncClient(transport=transport, base_url=info.url) as client:
        await client.post(FIND, data={"username": "sandbox", "password": "p-secret"})
    record = info.state.requests[0]
    assert record.form["password"] == "p-secret"
    assert "p-secret" not in repr(record)
    assert "password" in repr(record)


async def test_a_numeric_store_id_is_the_one_the_client_sends(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # The client takes store_id=42 as "42" (a string, as the REST API wants it); the sandbox
    # took 42 as is and refused every create as another store's.
    info = oms_sandbox_factory(orders=5, products=2, store_id=42)
    assert info.client_kwargs()["store_id"] == "42"
    item = {
        "ecommerce_order_item_id": "NUM-1",
        "ecommerce_variant_id": "VAR-1",
        "quantity": 1,
        "template_config": "%7B%7D",
        "thumbnails": ["https://cdn.example/t.png"],
    }
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        order = await oms.rest.orders.create(ecommerce_order_id="NUM-1", items=[item])
    assert order.ecommerce_order_id == "NUM-1"


def test_a_usage_error_of_the_sandbox_module_escapes_what_a_terminal_acts_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `python -m omsclient.sandbox` quoted an argument as given: its escape sequence reached
    # the terminal, where `omsclient sandbox` showed it escaped.
    assert cli.main(["sandbox", "\x1b[31mRED\u202e"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "unrecognized arguments: \\x1b[31mRED\\u202e" in err
