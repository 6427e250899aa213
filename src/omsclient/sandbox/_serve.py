"""Running a sandbox: over real sockets in a background thread, or in-process."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio.lowlevel
import anyio.to_thread
import attrs
import httpx

from omsclient.errors import ConfigurationError

from ._config import SandboxConfig
from ._extra import EXTRA_MISSING, has_extra

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

    from ._state import SandboxState

IN_PROCESS_URL = "http://sandbox.local"


@attrs.frozen
class SandboxInfo:
    """Where a sandbox listens and how to sign in; ``state`` is its live data and logs.

    Both APIs are served from ``url``. The repr hides the password and token.
    """

    url: str
    username: str
    password: str = attrs.field(repr=False)
    api_token: str = attrs.field(repr=False)
    store_id: str
    state: SandboxState = attrs.field(repr=False)

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``omsclient.AsyncClient`` / ``omsclient.Client``: the URLs,
        the credentials, and ``legacy_timezone``, the zone the sandbox compares dates in
        (``"UTC"`` unless its ``condition_zone`` names another), so that an
        ``OMS_LEGACY_TIMEZONE`` set for another server does not shift the client's dates.
        ``overrides`` replace or add keys (``client_kwargs(legacy_timezone="UTC")`` reads a
        sandbox comparing in New York's time as a client left at UTC would).

        Typed ``Any``, not ``str``: a type checker checks a ``dict[str, str]`` unpacked into
        the client against every parameter (``max_in_flight: int``...) and refuses it."""
        return {
            "legacy_url": self.url,
            "username": self.username,
            "password": self.password,
            "rest_url": self.url,
            "api_token": self.api_token,
            "store_id": self.store_id,
            "legacy_timezone": self.state.config.quirks.condition_zone or "UTC",
            **overrides,
        }


def _info(url: str, state: SandboxState) -> SandboxInfo:
    config = state.config
    return SandboxInfo(
        url=url,
        username=config.username,
        password=config.password,
        api_token=config.api_token,
        store_id=config.store_id,
        state=state,
    )


def _check_address(host: object, port: object) -> None:
    """Refuse a ``host`` or ``port`` no sandbox should listen on, naming it.

    Raises:
        TypeError: ``host`` is no str, or ``port`` no int.
        ValueError: ``host`` is empty (bound as given, it listens on every interface, its
            login keys and credentials served to the network), or ``port`` is not 0..65535.
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str, got {type(host).__name__}")
    if not host:
        raise ValueError("host must not be empty (0.0.0.0 is every interface)")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, got {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0..65535 (0 picks a free one), got {port}")


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one), ready to hand to uvicorn; ``host``
    and ``port`` checked by the caller (:func:`serve`, or the command's arguments).

    Raises:
        OSError: the address cannot be bound (in use, or no interface of this machine).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # With its protocol named: asyncio turns Nagle off only on connections it sees are TCP
    # (proto IPPROTO_TCP, which accepted sockets take from this one), and with Nagle on each
    # answer's body waits for the client's delayed ACK of its headers, 40 ms a request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        # Named, as the command says it: a bare "Address already in use" leaves the caller
        # to find which of its sandboxes or servers it was.
        raise type(exc)(exc.errno, exc.strerror, f"{host}:{port}") from None
    # Listening now lets clients connect (and wait in the backlog) before uvicorn starts.
    sock.listen(2048)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL a bound socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def serve(
    config: SandboxConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 30.0,
) -> Iterator[SandboxInfo]:
    """Serve a sandbox with uvicorn in a background thread until the block ends.

    ``port=0`` (the default) picks a free port; ``info.url`` says which. While it serves,
    ``NO_PROXY`` names its host, so that clients made in the block reach it directly, never
    through the environment's ``HTTP_PROXY``.

    Raises:
        ConfigurationError: starlette or uvicorn is not installed (the ``sandbox`` extra).
        TypeError, ValueError: ``host`` is no str or is empty (which would listen on every
            interface), or ``port`` is no int 0..65535; checked before the data is made.
    """
    if not has_extra():
        raise ConfigurationError(f"serving a sandbox {EXTRA_MISSING}")
    _check_address(host, port)
    import uvicorn

    from ._app import create_app
    from ._uvicorn import SandboxServer

    app = create_app(config)
    sock = bind(host, port)
    server = SandboxServer(
        uvicorn.Config(
            app,
            http="h11",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="omsclient-sandbox", daemon=True
    )
    thread.start()
    try:
        # Inside the try: Ctrl-C while the server starts (a notebook cell interrupted) stops
        # it too, rather than leaving it serving for the life of the process.
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        url = url_of(sock)
        with _reached_directly(url):
            yield _info(url, app.state.sandbox)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.asynccontextmanager
async def serve_async(
    config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[SandboxInfo]:
    """:func:`serve` for async code: the server runs in its own thread and event loop,
    so blocking clients used from the test's loop cannot deadlock it."""
    manager = serve(config, host=host, port=port)
    outcome: list[SandboxInfo | BaseException] = []
    started = threading.Event()

    def start() -> None:
        try:
            outcome.append(manager.__enter__())
        except BaseException as error:
            outcome.append(error)
        finally:
            started.set()

    # A thread of its own: a worker thread of to_thread may never run a call whose caller was
    # cancelled, and then nothing would tell whether a server had started.
    threading.Thread(target=start, name="omsclient-sandbox-start", daemon=True).start()
    try:
        await anyio.to_thread.run_sync(started.wait)
        # An anyio cancel scope (fail_after, move_on_after) whose deadline passed while the
        # sandbox started lets the wait end as if nothing had happened: the block would run.
        await anyio.lowlevel.checkpoint_if_cancelled()
    except BaseException:
        # asyncio's own cancellation (asyncio.timeout, Task.cancel) does not wait for the
        # thread as an anyio cancel scope does: the start-up goes on, and its server would
        # serve until the garbage collector found the context manager. Wait for it, stop it.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(started.wait)
            if isinstance(outcome[0], SandboxInfo):
                await anyio.to_thread.run_sync(manager.__exit__, None, None, None)
        raise
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    info = outcome[0]
    try:
        yield info
    finally:
        # Shielded: to_thread checks for a cancellation before it starts the thread, so a
        # block ended by a timeout would leave the server running until the garbage collector
        # finds the context manager.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(manager.__exit__, None, None, None)


_NO_PROXY = ("NO_PROXY", "no_proxy")
_bypass_lock = threading.Lock()
_serving: dict[str, int] = {}
"""The hosts sandboxes serve on in this process, and how many on each."""
_saved: dict[str, str | None] = {}
"""NO_PROXY and no_proxy as they were before the first of them started."""
_ours: str | None = None
"""The value both were given, while they hold it."""
_added: list[str] = []
"""The names added to it."""


@contextlib.contextmanager
def _reached_directly(url: str) -> Iterator[None]:
    """``url``'s host in ``NO_PROXY`` until the block ends: through a corporate ``HTTP_PROXY``
    a client failed with the proxy's 407, sending it the sandbox's credentials, or reached the
    proxy's own 127.0.0.1. A client reads ``NO_PROXY`` when it is made.

    Each host stays named while any sandbox serves on it; once the last one ends, both
    variables are as they were, or, if someone set them meanwhile, as they set them.
    """
    global _saved
    host = urlsplit(url).hostname or "127.0.0.1"
    with _bypass_lock:
        if not _serving:
            _saved = {name: os.environ.get(name) for name in _NO_PROXY}
        _serving[host] = _serving.get(host, 0) + 1
        _name_hosts()
    try:
        yield
    finally:
        with _bypass_lock:
            _serving[host] -= 1
            if not _serving[host]:
                del _serving[host]
            _name_hosts()


def _name_hosts() -> None:
    """Set both variables to the value they hold apart from this module's additions, with
    the hosts served added; drop the additions when none is served."""
    global _ours, _added
    values = {name: os.environ.get(name) for name in _NO_PROXY}
    untouched = _ours is not None and all(v == _ours for v in values.values())
    # What each holds apart from what was added here: someone may have set one meanwhile.
    base = {name: _apart_from_ours(name, v) for name, v in values.items()}
    # Where both are set the lowercase one is read, even empty: urllib and httpx then bypass
    # nothing, whatever NO_PROXY says.
    given = base["no_proxy"] if base["no_proxy"] is not None else base["NO_PROXY"]
    named = _parts(given or "")
    # An IPv6 address as httpx reads it (bracketed, as urllib reads it, httpx refuses).
    added = [host for host in _serving if host not in named]
    # "*" bypasses every host, and is read so only alone.
    if "*" in named or not added:
        if untouched or _added:
            for name, value in base.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        _ours, _added = None, []
        return
    _ours, _added = ",".join([*named, *added]), added
    for name in _NO_PROXY:
        os.environ[name] = _ours


def _apart_from_ours(name: str, value: str | None) -> str | None:
    """``value`` of the variable ``name`` without this module's additions; one that still holds
    just what was set here is as it was before (emptied, a lowercase ``no_proxy`` would stop
    ``NO_PROXY`` being read)."""
    if value is None:
        return None
    if value == _ours:
        return _saved[name]
    return ",".join(part for part in _parts(value) if part not in _added)


def _parts(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A sandbox app with data generated from ``config``, to serve with any ASGI server; its
    state is ``app.state.sandbox``.

    Raises:
        ConfigurationError: starlette is not installed (the ``sandbox`` extra).
    """
    if not has_extra(serving=False):
        raise ConfigurationError(f"a sandbox app {EXTRA_MISSING}")
    from . import _app

    return _app.create_app(config)


def asgi_transport(config: SandboxConfig | None = None) -> tuple[httpx.ASGITransport, SandboxInfo]:
    """An in-process ``httpx.ASGITransport`` to a new sandbox, and its info.

    Use the info's URL (``http://sandbox.local``) as base URL. With no socket, dropped
    connections and truncated bodies surface as the ``httpx.RemoteProtocolError`` a socket
    client would get.

    Raises:
        ConfigurationError: starlette is not installed (the ``sandbox`` extra).
    """
    if not has_extra(serving=False):
        raise ConfigurationError(f"an in-process sandbox {EXTRA_MISSING}")
    from ._app import create_app

    app = create_app(config)
    return httpx.ASGITransport(app=app), _info(IN_PROCESS_URL, app.state.sandbox)
