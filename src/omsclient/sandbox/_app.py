"""The Starlette application serving both APIs."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from . import _legacy, _rest
from ._config import SandboxConfig
from ._gateway import Gateway, Latency
from ._http import json_response, login_page
from ._state import SandboxState


class SandboxApp(Starlette):
    """A Starlette app whose outermost layer is the request log and fault injector.

    Starlette puts its error middleware outside user middleware; faults must sit outside
    everything so a dropped connection is never turned into a clean 500. ``latency`` is the
    gateway's injected delays, for a stopping server to end.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.latency = Latency()
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        """Wrap Starlette's own stack in the gateway."""
        return Gateway(super().build_middleware_stack(), self.state.sandbox, self.latency)


async def _index(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return json_response(
        {
            "sandbox": "omsclient",
            "orders": len(state.orders),
            "products": len(state.products),
            "legacy": [str(getattr(r, "path", "")) for r in _legacy.ROUTES],
            "rest": [str(getattr(r, "path", "")) for r in _rest.ROUTES],
        }
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    state: SandboxState = request.app.state.sandbox
    path = request.url.path
    if path == "/api/v1" or path.startswith("/api/v1/"):
        message = "Not Found" if exc.status_code == 404 else str(exc.detail)
        answer = json_response({"message": message}, exc.status_code)
    elif path.startswith("/api/json/") and state.config.quirks.html_login_page:
        return login_page()
    else:
        answer = Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")
    # Starlette's own: a 405's Allow, which HTTP requires of every 405.
    answer.headers.update(exc.headers or {})
    return answer


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A sandbox app with data generated from ``config``; its state is ``app.state.sandbox``."""
    state = SandboxState(config or SandboxConfig())
    app = SandboxApp(
        routes=[Route("/", _index), *_legacy.ROUTES, *_rest.ROUTES],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sandbox = state
    return app
