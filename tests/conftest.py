"""Shared fixtures: a client pointed at mocked URLs, with fast retries."""

from __future__ import annotations

import gc
import signal
import socket
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import anyio
import httpx
import pytest
import trio.testing

import omsclient
from omsclient._decoding import _answers
from omsclient.dbsync import _runner
from omsclient.sandbox import SandboxConfig, SandboxInfo, serve

# For test_leak_guard.py, which runs the guard below in a session of its own.
pytest_plugins = ["pytester"]

LEGACY = "https://shop.test"
REST = "https://oms.test"
PASSWORD = "pa55-w0rd-secret"
TOKEN = "tok-abcdef-secret"

RESPX_TRANSPORT = ["--transport", "httpx"]
"""The CLI flag for tests that respx answers: it mocks httpx's own transport, and the bulk
commands send through aiohttp when it is installed."""

FAST_RETRY = omsclient.RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.01)


def pytest_configure(config: pytest.Config) -> None:
    # The Ctrl-C tests raise SIGINT in this process and in the commands they start. A shell
    # script running the suite in the background (`pytest &`) starts it with SIGINT ignored,
    # which Python keeps and every child inherits: each such test would wait for an interrupt
    # that never comes. Caught here, the signal is back to its default in every child.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def form_of(request: httpx.Request) -> dict[str, str]:
    """The form fields of a sent request, as a dict."""
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def ok(**body: object) -> dict[str, object]:
    """A successful legacy answer carrying ``body``."""
    return {"response_status": {"code": 10001, "severity": "SUCCESS", "description": ""}, **body}


def legacy_error(code: int, description: str, severity: str = "ERROR") -> dict[str, object]:
    """A legacy error answer."""
    return {"response_status": {"code": code, "severity": severity, "description": description}}


T = TypeVar("T")


def on_virtual_time(main: Callable[[], Awaitable[T]]) -> T:
    """``main()`` run under trio on a virtual clock, which jumps to the next timer as soon as
    every task waits: the times read in it are exact, however loaded the machine is."""
    clock = trio.testing.MockClock(autojump_threshold=0)
    return anyio.run(main, backend="trio", backend_options={"clock": clock})


@pytest.fixture
def client_kwargs(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    for name in ("LEGACY_URL", "USERNAME", "PASSWORD", "REST_URL", "API_TOKEN", "STORE_ID"):
        monkeypatch.delenv(f"OMS_{name}", raising=False)
    return {
        "legacy_url": LEGACY,
        "username": "fred",
        "password": PASSWORD,
        "rest_url": REST,
        "api_token": TOKEN,
        "store_id": "42",
        "retry": FAST_RETRY,
    }


@pytest.fixture
async def oms(client_kwargs: dict[str, object]) -> AsyncIterator[omsclient.AsyncClient]:
    async with omsclient.AsyncClient(**client_kwargs) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def converter_pages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the rows of each page the converter had to read (the page decoder refused it)."""
    calls: list[int] = []
    structure = _answers.structure_many

    def counting(rows: Any, cls: Any) -> Any:
        calls.append(len(rows))
        return structure(rows, cls)

    monkeypatch.setattr(_answers, "structure_many", counting)
    return calls


@pytest.fixture
def a_batch_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync commits each page by itself, as it does when a server's pages come slower than a
    batch waits for its rows: for the tests that cut, or catch, a run of a small sandbox between
    two of its pages."""
    monkeypatch.setattr(_runner, "_BATCH_SECONDS", 0.0)


@pytest.fixture
def nothing_left_unclosed() -> Iterator[None]:
    """With ``filterwarnings("error::ResourceWarning")``, fails a test that leaves a socket, a
    transport or a file for the collector to close: such a warning comes from ``__del__``,
    where it cannot fail anything by itself, and often only once a collection runs, in some
    later test. What earlier tests left is collected before the test starts
    (:func:`pytest_runtest_protocol`), so it is not blamed on this one."""
    yield
    gc.collect()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Before a test guarded by :func:`nothing_left_unclosed`, collect what earlier tests left,
    their warnings left warnings. Here, outside pytest's handling of the test's warnings: there
    the module's filter makes them errors from the start of its set-up, and a collection that
    runs by itself before the fixture would make another test's leak this test's error."""
    if "nothing_left_unclosed" in getattr(item, "fixturenames", ()):
        with warnings.catch_warnings():
            warnings.simplefilter("default", ResourceWarning)
            gc.collect()
    return (yield)


LEAVES_NOTHING_UNCLOSED = [
    pytest.mark.filterwarnings("error::ResourceWarning"),
    pytest.mark.usefixtures("nothing_left_unclosed"),
]
"""``pytestmark`` of the modules whose tests open, cancel and drop connections."""


def free_port() -> int:
    """A port of 127.0.0.1 no one listens on (as far as the moment it is returned)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxInfo]:
    """A sandbox over real sockets for a module's tests (a module may define its own)."""
    with serve(SandboxConfig(orders=300, products=60)) as info:
        yield info


@pytest.fixture
def rest(sandbox: SandboxInfo) -> Iterator[httpx.Client]:
    """An httpx client of the sandbox's REST API, with its token: requests as sent, raw."""
    kwargs = sandbox.client_kwargs()
    headers = {"Authorization": f"Bearer {kwargs['api_token']}"}
    with httpx.Client(base_url=str(kwargs["rest_url"]), headers=headers) as client:
        yield client


@pytest.fixture
def legacy(sandbox: SandboxInfo) -> Iterator[httpx.Client]:
    """An httpx client of the sandbox's legacy API: forms as sent, raw."""
    with httpx.Client(base_url=str(sandbox.client_kwargs()["legacy_url"])) as client:
        yield client


def reads_of(
    monkeypatch: pytest.MonkeyPatch, decoder: Any, names: tuple[str, ...]
) -> list[tuple[str, bool]]:
    """The calls of ``decoder``'s methods ``names`` from now on, each its name and whether it
    ran in a search's fetch (reading the answer, under ``_answer``), not where models are
    built."""
    seen: list[tuple[str, bool]] = []
    for name in names:
        method = getattr(decoder, name)

        def spy(*args: Any, _name: str = name, _method: Any = method) -> Any:
            frame: Any = sys._getframe(1)
            while frame is not None and frame.f_code.co_name != "_answer":
                frame = frame.f_back
            seen.append((_name, frame is not None))
            return _method(*args)

        monkeypatch.setattr(decoder, name, spy)
    return seen
