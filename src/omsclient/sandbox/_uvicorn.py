"""The uvicorn server of a sandbox: stopped with requests under way, it answers them first."""

from __future__ import annotations

import socket
from collections.abc import Coroutine
from typing import Any

import uvicorn

from ._app import SandboxApp


class SandboxServer(uvicorn.Server):
    """A ``uvicorn.Server`` that ends the sandbox's injected delays when it stops.

    uvicorn waits ``timeout_graceful_shutdown`` for the requests under way, then cancels
    them and logs each as an "Exception in ASGI application" traceback (the client gets a
    500). A request waiting out a latency longer than that was one: a test's teardown or a
    Ctrl-C printed a traceback that read like a failure. With its delay ended, the request
    is answered at once and the server stops within a fraction of a second.
    """

    _serving: Coroutine[Any, Any, None] | None = None
    banner: str | None = None
    """Printed once the server serves (see :meth:`startup`)."""

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve until stopped, as uvicorn does."""
        try:
            super().run(sockets)
        finally:
            # A Ctrl-C or SIGTERM as the event loop started (right after the banner) left
            # uvicorn's coroutine never started, which Python warned of on stderr: closed.
            if self._serving is not None:
                self._serving.close()

    def serve(self, sockets: list[socket.socket] | None = None) -> Coroutine[Any, Any, None]:
        """uvicorn's ``serve()``, its coroutine kept for :meth:`run` to close."""
        self._serving = super().serve(sockets)
        return self._serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then print :attr:`banner`: its URL is read as "serving", and a
        Ctrl-C or SIGTERM after it then meets uvicorn's own handling. Printed before the event
        loop ran, a SIGTERM sent on reading it could cut into the loop's making, and the loop
        left half made printed an error as it was freed."""
        await super().startup(sockets)
        if self.banner is not None and self.started:
            print(self.banner, flush=True)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """End the injected delays, then stop as uvicorn does."""
        app = self.config.app
        if isinstance(app, SandboxApp):
            app.latency.end()
        await super().shutdown(sockets)
